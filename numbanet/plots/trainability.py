"""Figure ``depth-trainability`` (UDL deck 000, "training is easier up to 20 layers; beyond, several
tricks are needed"; deck 004's speeds of learning).

``compute_depth_trainability`` trains plain, residual, batch-normalised and layer-normalised ReLU
MLPs of depth 2 to 50 on MNIST-1D (``numbanet.experiments.trainability``) and computes the
residual stream's variance by the initialisation recursion and on sampled nets
(``numbanet.theory.init_variance.residual_recursion`` / ``residual_measure``);
``draw_depth_trainability`` draws four panels: final training loss and epochs to fit against
depth, the per-layer speeds of the deepest nets at initialisation, and the variance through the
residual blocks with and without the branch scale the residual nets use.
"""

from __future__ import annotations

import math

import numpy as np

from .. import slides
from ._style import by_budget, set_title, tr

FAMILY_STYLE = {
    "plain": ("#7f7f7f", "o", "-"),
    "residual": ("#2ca02c", "s", "-"),
    "batchnorm": ("#1f77b4", "^", "--"),
    "layernorm": ("#ff7f0e", "D", "--"),
}


def _family_label(lang, f):
    return {
        "plain": tr(lang, "plain", "simple"),
        "residual": tr(lang, "residual", "residual"),
        "batchnorm": tr(lang, "batch norm", "normalización por lotes"),
        "layernorm": tr(lang, "layer norm", "normalización por capa"),
    }[f]


def compute_depth_trainability(seed=0, backend="cpu", budget="reduced"):
    """Reduced budget: depths 2, 5, 10, 20, 30, 50, the first 1,000 MNIST-1D training signals,
    20 epochs, one seed (about half a minute on two cores); full: depths 2 to 50 (adding 40),
    the same signals and epochs, three seeds (the spread across initialisations).

    Returns the experiment's result (``experiments.trainability.depth_trainability``) plus
    ``theory``: the residual stream's :math:`E[x_l^2]` through ``max(depths) - 1`` blocks of the
    experiment's width, for the unscaled branch (s = 1) and the scaled one the residual nets use
    (:math:`s = 1/\\sqrt{L}`), by the recursion and measured (means and standard errors)."""
    from ..experiments import trainability as T
    from ..theory import init_variance as IV

    depths, n_train, epochs, n_seeds, n_nets, n_samples = by_budget(
        budget,
        tiny=((2, 4), 200, 2, 1, 2, 32),
        reduced=((2, 5, 10, 20, 30, 50), 1000, 20, 1, 4, 128),
        full=((2, 5, 10, 20, 30, 40, 50), 1000, 20, 3, 8, 256),
    )
    seeds = tuple(seed + i for i in range(n_seeds))
    res = T.depth_trainability(
        depths=depths,
        n_train=n_train,
        epochs=epochs,
        seeds=seeds,
        speed_examples=min(500, n_train),
        backend=backend,
    )
    width = res["settings"]["width"]
    L = max(max(depths) - 1, 1)
    theory = {
        "width": width,
        "n_blocks": L,
        "n_nets": n_nets,
        "n_samples": n_samples,
        "scales": {"1": 1.0, "1/sqrt(L)": 1.0 / math.sqrt(L)},
    }
    for name, s in theory["scales"].items():
        rec = IV.residual_recursion("relu", width, L, "he_normal", branch_scale=s)
        mes = IV.residual_measure(
            "relu",
            width,
            L,
            "he_normal",
            branch_scale=s,
            n_samples=n_samples,
            n_nets=n_nets,
            seed=seed,
        )
        theory[name] = {
            "recursion": rec.forward,
            "measured": mes.forward,
            "measured_sem": mes.forward_sem,
            "recursion_backward": rec.backward,
        }
    theory["plain"] = IV.recursion("relu", [width] * (L + 1), "he_normal").forward
    res["theory"] = theory
    res["slide_depth"] = slides.EASY_TRAINING_DEPTH
    res["budget"] = budget
    return res


def draw_depth_trainability(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, axes = plt.subplots(2, 2, figsize=(13, 9.4), constrained_layout=True)
    (a1, a2), (a3, a4) = axes
    depths = np.asarray(data["depths"])
    st = data["settings"]
    n_seeds = len(data["seeds"])
    fams = list(data["families"])
    dec = "," if lang == "es" else "."

    def num(v, fmt=".1f"):
        return format(v, fmt).replace(".", dec)

    # (a) final training loss against depth
    for f in fams:
        col, mk, ls = FAMILY_STYLE[f]
        fin = np.asarray(data["final_loss"][f], dtype=np.float64)
        fin = np.where(np.isfinite(fin), fin, np.nan)
        mean = np.nanmean(fin, axis=0)
        a1.plot(depths, mean, ls=ls, marker=mk, color=col, ms=6, label=_family_label(lang, f))
        if n_seeds > 1:
            a1.fill_between(
                depths, np.nanmin(fin, 0), np.nanmax(fin, 0), color=col, alpha=0.15, lw=0
            )
        for i, good in enumerate(np.all(np.asarray(data["diverged"][f]), axis=0)):
            if good:  # diverged on every seed: drawn at the top edge
                a1.plot(depths[i], st["chance"] + 0.25, marker="x", color=col, ms=9, mew=2)
    a1.axhline(st["chance"], color="k", ls=":", lw=1.2)
    a1.text(
        depths[0],
        st["chance"] + 0.03,
        tr(
            lang,
            f"chance, ln 10 = {num(st['chance'], '.2f')}",
            f"azar, ln 10 = {num(st['chance'], '.2f')}",
        ),
        fontsize=8.5,
        va="bottom",
    )
    a1.axhline(st["trains_below"], color="#8a1c1c", ls="--", lw=1.0)
    a1.text(
        depths[0],
        st["trains_below"] - 0.03,
        tr(
            lang,
            f"trains: below {num(st['trains_below'])}",
            f"entrena: por debajo de {num(st['trains_below'])}",
        ),
        fontsize=8.5,
        va="top",
        ha="left",
        color="#8a1c1c",
    )
    slide_depth = data.get("slide_depth")
    if slide_depth is not None and depths[0] <= slide_depth <= depths[-1]:
        a1.axvline(slide_depth, color="#8a4a1c", ls="-.", lw=1.0, alpha=0.7)
        # between the "trains" line and chance, left of the marker: no curve passes there
        a1.text(
            slide_depth * 0.97,
            0.5 * (st["trains_below"] + st["chance"]),
            tr(
                lang,
                f"slide: easier up to\n~{slide_depth} layers",
                f"diapositiva: más fácil\nhasta ~{slide_depth} capas",
            ),
            fontsize=8.5,
            ha="right",
            va="center",
            color="#8a4a1c",
        )
    a1.set_xscale("log")
    a1.set_xticks(depths, [str(d) for d in depths])
    a1.minorticks_off()
    a1.set_xlabel(tr(lang, "hidden layers (depth)", "capas ocultas (profundidad)"))
    a1.set_ylabel(
        tr(
            lang,
            "training loss after the last epoch (nats)",
            "pérdida de entrenamiento tras la última época (nats)",
        )
    )
    seeds_txt = (
        tr(
            lang,
            f"mean; band: min-max of {n_seeds} seeds",
            f"media; banda: mín-máx de {n_seeds} semillas",
        )
        if n_seeds > 1
        else tr(lang, "one seed", "una semilla")
    )
    a1.set_title(
        tr(
            lang,
            f"Final training loss after {st['epochs']} epochs ({seeds_txt})",
            f"Pérdida final de entrenamiento tras {st['epochs']} épocas ({seeds_txt})",
        ),
        fontsize=10.5,
    )
    a1.legend(fontsize=9, loc="center left")

    # (b) epochs to fit
    never = st["epochs"] + max(2, st["epochs"] // 8)
    n_f = len(fams)
    for k, f in enumerate(fams):
        col, mk, ls = FAMILY_STYLE[f]
        fits = data["fit_epoch"][f]
        # per depth: mean over the seeds that fit; 'never' when none did
        y = []
        for i in range(len(depths)):
            got = [s[i] for s in fits if s[i] is not None]
            y.append(float(np.mean(got)) if got else np.nan)
        y = np.asarray(y)
        xs = depths * (1.0 + 0.035 * (k - (n_f - 1) / 2))  # side by side, none hides another
        a2.plot(xs, y, ls=ls, marker=mk, color=col, ms=6)
        miss = np.isnan(y)
        a2.plot(
            xs[miss],
            np.full(miss.sum(), never),
            ls="",
            marker=mk,
            mfc="none",
            color=col,
            ms=8,
            mew=1.5,
        )
    a2.axhline(never - max(1, st["epochs"] // 16), color="0.6", lw=0.8)
    a2.text(
        depths[0],
        never,
        tr(lang, "never (open markers)", "nunca (marcadores huecos)"),
        fontsize=8.5,
        va="center",
        ha="left",
        color="0.3",
        transform=a2.transData,
    )
    a2.set_xscale("log")
    a2.set_xticks(depths, [str(d) for d in depths])
    a2.minorticks_off()
    a2.set_ylim(0, never + max(2, st["epochs"] // 8))
    a2.set_xlabel(tr(lang, "hidden layers (depth)", "capas ocultas (profundidad)"))
    a2.set_ylabel(
        tr(
            lang,
            f"epochs until the training loss reaches {num(st['fit_loss'])}",
            f"épocas hasta que la pérdida llega a {num(st['fit_loss'])}",
        )
    )
    a2.set_title(
        tr(
            lang,
            f"Epochs to fit (loss $\\leq$ {num(st['fit_loss'])}; budget {st['epochs']} epochs)",
            f"Épocas hasta ajustar (pérdida $\\leq$ {num(st['fit_loss'])}; "
            f"presupuesto {st['epochs']} épocas)",
        ),
        fontsize=10.5,
    )

    # (c) speeds at initialisation of the deepest nets
    dmax = int(depths[-1])
    for f in fams:
        col, mk, ls = FAMILY_STYLE[f]
        sp = np.asarray(data["speeds"][f][-1], dtype=np.float64)
        a3.plot(
            np.arange(1, sp.size + 1),
            sp,
            ls=ls,
            marker=mk,
            ms=3.5,
            color=col,
            label=_family_label(lang, f),
        )
    a3.set_yscale("log")
    a3.set_xlabel(
        tr(
            lang,
            "hidden layer $l$ (1 = next to the input)",
            "capa oculta $l$ (1 = junto a la entrada)",
        )
    )
    a3.set_ylabel(
        tr(
            lang,
            "speed $\\|\\partial C/\\partial W^{[l]}\\|_F$ (log scale)",
            "velocidad $\\|\\partial C/\\partial W^{[l]}\\|_F$ (escala log)",
        )
    )
    a3.set_title(
        tr(
            lang,
            f"Speeds of learning at initialisation, depth {dmax} "
            f"({st['speed_examples']} examples, full batch)",
            f"Velocidades de aprendizaje al inicio, profundidad {dmax} "
            f"({st['speed_examples']} ejemplos, lote completo)",
        ),
        fontsize=10.5,
    )
    a3.legend(fontsize=9)

    # (d) the residual stream's variance, with and without the branch scale
    th = data["theory"]
    L = th["n_blocks"]
    blocks = np.arange(1, L + 1)
    scale_style = {
        "1": (
            "#d62728",
            tr(lang, "branch unscaled, $s = 1$: $2^l$", "rama sin escalar, $s = 1$: $2^l$"),
        ),
        "1/sqrt(L)": (
            "#2ca02c",
            tr(
                lang,
                f"branch scaled, $s = 1/\\sqrt{{{L}}}$ (the residual nets)",
                f"rama escalada, $s = 1/\\sqrt{{{L}}}$ (las redes residuales)",
            ),
        ),
    }
    handles = []
    for name, (col, lab) in scale_style.items():
        d = th[name]
        a4.plot(blocks, d["recursion"], color=col, lw=1.8)
        a4.errorbar(
            blocks[::3],
            d["measured"][::3],
            yerr=d["measured_sem"][::3],
            fmt="o",
            mfc="none",
            color=col,
            ms=4.5,
            capsize=2,
        )
        handles.append(Line2D([], [], color=col, lw=1.8, label=lab))
    a4.plot(blocks, th["plain"], color="#7f7f7f", lw=1.2)
    handles.append(
        Line2D(
            [],
            [],
            color="#7f7f7f",
            lw=1.2,
            label=tr(lang, "plain net, He: constant", "red simple, He: constante"),
        )
    )
    handles.append(
        Line2D(
            [],
            [],
            color="0.2",
            marker="o",
            mfc="none",
            ls="",
            label=tr(
                lang,
                f"measured: {th['n_nets']} nets x {th['n_samples']} inputs ($\\pm$ s.e.)",
                f"medido: {th['n_nets']} redes x {th['n_samples']} entradas ($\\pm$ e.e.)",
            ),
        )
    )
    a4.set_yscale("log")
    a4.set_xlabel(tr(lang, "residual block $l$", "bloque residual $l$"))
    a4.set_ylabel(
        tr(
            lang,
            "$E[(x^{[l]})^2]$ of the residual stream (log scale)",
            "$E[(x^{[l]})^2]$ de la corriente residual (escala log)",
        )
    )
    a4.set_title(
        tr(
            lang,
            f"Why the branch is scaled: $x^{{[l]}} = x^{{[l-1]}} + s\\,W\\,"
            f"\\mathrm{{relu}}(x^{{[l-1]}})$, He, width {th['width']}",
            f"Por qué se escala la rama: $x^{{[l]}} = x^{{[l-1]}} + s\\,W\\,"
            f"\\mathrm{{relu}}(x^{{[l-1]}})$, He, ancho {th['width']}",
        ),
        fontsize=10.5,
    )
    a4.legend(handles=handles, fontsize=8.5, loc="upper left")

    n_txt = f"{st['n_train']:,}".replace(",", "." if lang == "es" else ",")
    set_title(
        fig,
        tr(
            lang,
            "Training ReLU MLPs of growing depth on MNIST-1D: plain, residual and normalised",
            "Entrenar MLP ReLU cada vez más profundos en MNIST-1D: simples, residuales y "
            "normalizados",
        ),
        fontsize=12,
        details=[
            tr(
                lang,
                f"{n_txt} signals, width {st['width']}, SGD eta = {num(st['lr'])}, "
                f"minibatch {st['batch_size']}, He initialisation",
                f"{n_txt} señales, ancho {st['width']}, SGD eta = {num(st['lr'])}, "
                f"minilote {st['batch_size']}, inicialización He",
            )
        ],
    )
    return fig
