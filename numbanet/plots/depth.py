"""Figures of depth and the vanishing gradient (DL, MLP, NN decks).

Each figure is a pair: ``compute_*`` runs the experiment (``numbanet.experiments.vanishing``) or
the theory (``numbanet.theory.init_variance``) and returns plain data (dicts of NumPy arrays and
numbers); ``draw_*`` turns that data into a matplotlib figure and computes nothing. Constants from
the slides (``numbanet.slides``: Nielsen's reference speeds, the slide's accuracies) are inputs
drawn *beside* numbanet's own numbers, never in their place.

``gradient-speed-bars``, ``speed-of-learning``
    Nielsen's experiment (*Neural Networks and Deep Learning*, ch. 5): the speed of learning of
    hidden layer l is :math:`s_l = \\| \\tfrac{1}{n} \\sum_x \\partial C_x / \\partial b^l \\|`,
    measured on the first 1,000 MNIST training images.
``depth-accuracy``
    MNIST validation accuracy of 784-30^k-10 sigmoid nets, mean and spread over seeds.
``init-variance``
    Forward :math:`E[z^2]` and backward gradient variance through 50 layers for each initialiser.
"""

from __future__ import annotations

import numpy as np

from .. import slides
from ..experiments.vanishing import NIELSEN_ARCHS as ARCHS
from ._style import by_budget, set_title, tr

LAYER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


# =========================================================================== gradient-speed-bars
def compute_gradient_speed_bars(seed=0, backend="cpu", budget="reduced"):
    """Speeds at initialisation of Nielsen's three nets, over several seeds.

    Returns
    -------
    dict
        ``archs`` (list of size tuples), and per architecture index i: ``speeds_i`` of shape
        (n_seeds, n_hidden), ``mean_i``, ``std_i``, ``reference_i`` (Nielsen's values).
    """
    from ..experiments.vanishing import initial_speeds

    n_seeds = by_budget(budget, tiny=2, reduced=10, full=50)
    seeds = [seed + s for s in range(n_seeds)]
    speeds = initial_speeds(ARCHS, seeds=seeds, backend=backend)
    out = {"archs": [list(a) for a in ARCHS], "seeds": np.array(seeds), "budget": budget}
    for i, sizes in enumerate(ARCHS):
        s = speeds[sizes]
        out[f"speeds_{i}"] = s
        out[f"mean_{i}"] = s.mean(axis=0)
        out[f"std_{i}"] = s.std(axis=0, ddof=1)
        out[f"reference_{i}"] = np.array(slides.NIELSEN_SPEEDS[sizes])
    return out


def draw_gradient_speed_bars(data, lang="en"):
    import matplotlib.pyplot as plt

    ks = [len(data[f"mean_{i}"]) for i in range(len(data["archs"]))]
    # panel widths in proportion to the number of bars: every bar (and its label) as wide
    fig, axes = plt.subplots(
        1,
        len(ks),
        figsize=(14, 4.8),
        sharey=True,
        constrained_layout=True,
        gridspec_kw=dict(width_ratios=[k + 0.6 for k in ks]),
    )
    n_seeds = len(data["seeds"])
    dec = "," if lang == "es" else "."

    def sig3(v):
        """Three significant figures, trailing zeros kept (0.0600, not 0.06)."""
        return format(float(v), "#.3g").rstrip(".").replace(".", dec)

    for i, ax in enumerate(axes):
        mean, std, ref = data[f"mean_{i}"], data[f"std_{i}"], data[f"reference_{i}"]
        single = data[f"speeds_{i}"]
        k = len(mean)
        pos = np.arange(k)
        bw, off = 0.36, 0.21  # a gap between the two bars of a layer
        ax.bar(
            pos - off,
            mean,
            bw,
            yerr=std,
            capsize=3,
            color="#4c72b0",
            label=tr(
                lang,
                f"numbanet: mean $\\pm$ std, {n_seeds} seeds",
                f"numbanet: media $\\pm$ desv., {n_seeds} semillas",
            ),
        )
        ax.scatter(
            np.repeat(pos - off, single.shape[0]),
            single.T.ravel(),
            s=6,
            color="k",
            alpha=0.35,
            zorder=3,
            label=tr(lang, "single seeds", "semillas individuales"),
        )
        ax.bar(
            pos + off,
            ref,
            bw,
            color="#dd8452",
            label=tr(lang, "Nielsen (reference)", "Nielsen (referencia)"),
        )
        for p, m, sd, top, r in zip(pos, mean, std, single.max(axis=0), ref):
            # each label just above its own bar (the seeds' spread included), 3 sig. figures
            ax.text(
                p - off,
                max(m + sd, top) * 1.1,
                sig3(m),
                ha="center",
                va="bottom",
                fontsize=8,
                color="#27406b",
            )
            ax.text(
                p + off, r * 1.1, sig3(r), ha="center", va="bottom", fontsize=8, color="#8a4a1c"
            )
        ax.set_yscale("log")
        ax.set_xticks(pos, [tr(lang, f"layer {j + 1}", f"capa {j + 1}") for j in range(k)])
        ax.set_xlim(-0.65, k - 0.35)
        ax.set_title("-".join(map(str, data["archs"][i])), fontsize=11)
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.set_ylim(1e-3, 3.0)
    axes[0].set_ylabel(
        tr(
            lang,
            "speed of learning $\\|\\partial C/\\partial b^{[l]}\\|$ (log scale)",
            "velocidad de aprendizaje $\\|\\partial C/\\partial b^{[l]}\\|$ (escala log)",
        )
    )
    axes[0].legend(loc="upper left", fontsize=8)
    set_title(
        fig,
        tr(
            lang,
            "Speed of learning of each hidden layer at initialisation "
            "(sigmoid nets, first 1,000 MNIST images)",
            "Velocidad de aprendizaje de cada capa oculta al inicio "
            "(redes sigmoides, primeras 1.000 imágenes de MNIST)",
        ),
        fontsize=12.5,
    )
    return fig


# =========================================================================== speed-of-learning
def compute_speed_of_learning(seed=0, backend="cpu", budget="reduced"):
    """Speeds of every hidden layer during full-batch gradient descent (eta 0.1, lambda 5.0).

    Returns ``curves_i`` of shape (n_seeds, epochs + 1, n_hidden) for each architecture i."""
    from ..experiments.vanishing import speed_curves, speed_curves_cached

    epochs, n_seeds = by_budget(
        budget, tiny=(3, 2), reduced=(100, 3), full=(slides.SPEED_OF_LEARNING_EPOCHS, 5)
    )  # reduced: by epoch 100 every layer's speed has fallen to its plateau (150 epochs: 11 s)
    seeds = [seed + s for s in range(n_seeds)]
    if budget == "full":  # the slide's 500 epochs, cached: both languages' renders share it
        got = speed_curves_cached(ARCHS, seeds=seeds, epochs=epochs, backend=backend)
        curves = {tuple(a): got[f"curves_{i}"] for i, a in enumerate(ARCHS)}
    else:  # BLAS on one thread: the 1,000-row products gain little from a second one and its
        # spinning workers made the reduced run 3x slower in CPU time on a busy machine
        from ..config import deterministic

        with deterministic():
            curves = speed_curves(ARCHS, seeds=seeds, epochs=epochs, backend=backend)
    out = {
        "archs": [list(a) for a in ARCHS],
        "epochs": epochs,
        "seeds": np.array(seeds),
        "budget": budget,
        "slide_epochs": slides.SPEED_OF_LEARNING_EPOCHS,
    }
    for i, sizes in enumerate(ARCHS):
        out[f"curves_{i}"] = curves[sizes]
    return out


def draw_speed_of_learning(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.8), sharey=True, constrained_layout=True)
    n_layers = 0
    for i, ax in enumerate(axes):
        c = data[f"curves_{i}"]
        e = np.arange(c.shape[1])
        n_layers = max(n_layers, c.shape[2])
        for j in range(c.shape[2]):
            med = np.exp(np.log(c[:, :, j]).mean(axis=0))
            ax.fill_between(
                e,
                c[:, :, j].min(axis=0),
                c[:, :, j].max(axis=0),
                color=LAYER_COLOURS[j],
                alpha=0.2,
                lw=0,
            )
            ax.plot(e, med, color=LAYER_COLOURS[j], lw=1.6)
        ax.set_yscale("log")
        ax.set_xlim(0, e[-1])
        ax.set_xlabel(tr(lang, "epoch (full-batch GD step)", "época (paso de GD con todo el lote)"))
        ax.set_title("-".join(map(str, data["archs"][i])), fontsize=11)
        ax.grid(which="major", alpha=0.3)
        ax.grid(which="minor", alpha=0.1)
    axes[0].set_ylabel(
        tr(
            lang,
            "speed of learning $\\|\\partial C/\\partial b^{[l]}\\|$ (log scale)",
            "velocidad de aprendizaje $\\|\\partial C/\\partial b^{[l]}\\|$ (escala log)",
        )
    )
    # one legend for the three panels (a layer has the same colour in each), below them
    handles = [
        Line2D(
            [],
            [],
            color=LAYER_COLOURS[j],
            lw=2,
            label=tr(lang, f"hidden layer {j + 1}", f"capa oculta {j + 1}"),
        )
        for j in range(n_layers)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=n_layers, fontsize=9)
    ep, slide_ep, k = data["epochs"], data.get("slide_epochs", 500), len(data["seeds"])
    run = tr(
        lang,
        f"{ep} epochs" + (f" (the slide: {slide_ep})" if ep != slide_ep else ""),
        f"{ep} épocas" + (f" (la diapositiva: {slide_ep})" if ep != slide_ep else ""),
    )
    set_title(
        fig,
        tr(
            lang,
            f"Speed of learning during training: {run}, $\\eta$ = 0.1, "
            f"$\\lambda$ = 5.0\n(line: geometric mean, band: min-max over {k} seeds)",
            f"Velocidad de aprendizaje durante el entrenamiento: {run}, $\\eta$ = 0,1, "
            f"$\\lambda$ = 5,0\n(línea: media geométrica, banda: mín-máx en {k} semillas)",
        ),
        fontsize=12,
    )
    return fig


# =========================================================================== depth-accuracy
def compute_depth_accuracy(seed=0, backend="cpu", budget="reduced"):
    """Validation accuracy (%) of 1-4 hidden layers of 30 sigmoid units (Nielsen's set-up).

    Reduced budget: 2 seeds x 4 epochs; full: the slide's budget, 30 epochs, with 5 seeds
    (``experiments.vanishing.DEPTH_ACCURACY_FULL``), through the results cache that claim 9
    reads (``experiments.vanishing.depth_accuracy_cached``)."""
    from ..experiments.vanishing import (
        DEPTH_ACCURACY_FULL,
        depth_accuracy,
        depth_accuracy_cached,
    )

    full = DEPTH_ACCURACY_FULL
    n_seeds, epochs, n_train, n_val = by_budget(
        budget,
        tiny=(2, 1, 500, 500),
        reduced=(2, 4, 50000, None),
        full=(len(full["seeds"]), full["epochs"], full["n_train"], full["n_val"]),
    )
    seeds = tuple(seed + i for i in range(n_seeds))
    settings = dict(
        seeds=seeds,
        epochs=epochs,
        depths=tuple(full["depths"]),
        backend=backend,
        n_train=n_train,
        n_val=n_val,
    )
    run = depth_accuracy_cached if budget == "full" else depth_accuracy
    res = run(**settings)
    return {
        "acc": res["acc"],
        "mean": res["mean"],
        "std": res["std"],
        "curves": res["curves"],
        "depths": np.array(res["depths"]),
        "seeds": np.array(seeds),
        "epochs": epochs,
        "slide": np.array(slides.DEPTH_ACCURACY),
        "slide_epochs": slides.DEPTH_ACCURACY_EPOCHS,
        "budget": budget,
    }


def draw_depth_accuracy(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(
        1, 2, figsize=(13, 5.0), constrained_layout=True, gridspec_kw=dict(width_ratios=[1.15, 1])
    )
    dec = "," if lang == "es" else "."

    def f2(v):
        return f"{v:.2f}".replace(".", dec)

    def f1(v):
        return f"{v:.1f}".replace(".", dec)

    curves, depths = data["curves"], data["depths"]
    n_seeds, epochs = len(data["seeds"]), int(data["epochs"])
    slide_ep = int(data.get("slide_epochs", 30))

    def layers(k):
        return tr(
            lang,
            f"{k} hidden layer" + ("s" if k > 1 else ""),
            f"{k} capa" + ("s ocultas" if k > 1 else " oculta"),
        )

    # (a) learning curves on a linear accuracy axis; an inset magnifies the second half of
    # training, where the depths differ by tenths of a per cent
    ep = np.arange(1, curves.shape[2] + 1)
    half = max(0, len(ep) // 2 - 1) if len(ep) > 2 else 0
    ins = a1.inset_axes([0.40, 0.07, 0.57, 0.5])
    for j, k in enumerate(depths):
        for ax, sl in ((a1, slice(None)), (ins, slice(half, None))):
            ax.plot(
                ep[sl],
                curves[:, j, sl].mean(axis=0),
                "-o",
                ms=3.5 if ax is a1 else 3,
                color=LAYER_COLOURS[j],
                label=layers(k) if ax is a1 else None,
            )
            if curves.shape[0] > 1:
                ax.fill_between(
                    ep[sl],
                    curves[:, j, sl].min(axis=0),
                    curves[:, j, sl].max(axis=0),
                    color=LAYER_COLOURS[j],
                    alpha=0.15,
                    lw=0,
                )
    lo = float(curves.min())
    a1.set_ylim(max(0.0, lo - 3.0), 100.0)
    a1.set_xlim(0.8, ep[-1] + 0.2)
    a1.xaxis.get_major_locator().set_params(integer=True)
    tail = curves[:, :, half:]
    pad = 0.1 * max(float(tail.max() - tail.min()), 0.5)
    ins.set_ylim(float(tail.min()) - pad, float(tail.max()) + pad)
    ins.set_xlim(ep[half] - 0.2, ep[-1] + 0.2)
    ins.xaxis.get_major_locator().set_params(integer=True)
    ins.tick_params(labelsize=8)
    ins.grid(alpha=0.3)
    ins.set_facecolor("white")
    a1.indicate_inset_zoom(ins, edgecolor="0.4")
    a1.set_xlabel(tr(lang, "epoch", "época"))
    a1.set_ylabel(tr(lang, "validation accuracy (%)", "exactitud de validación (%)"))
    a1.set_title(
        tr(
            lang,
            f"Learning curves, {epochs} epochs (mean; band: min-max over {n_seeds} seeds)",
            f"Curvas de aprendizaje, {epochs} épocas (media; banda: mín-máx en {n_seeds} semillas)",
        ),
        fontsize=10.5,
    )
    a1.grid(alpha=0.3)
    a1.legend(fontsize=9, loc="upper left", bbox_to_anchor=(0.0, 0.62))

    # (b) final accuracies as points (not bars: the axis need not start at zero), numbanet's
    # mean and seeds beside the slide's single 30-epoch run, each value written beside its point
    x = np.arange(len(depths))
    off = 0.14
    a2.errorbar(
        x - off,
        data["mean"],
        yerr=data["std"],
        fmt="o",
        ms=8,
        capsize=4,
        color="#4c72b0",
        label=tr(
            lang,
            f"numbanet after {epochs} epochs: mean $\\pm$ std of {n_seeds} seeds",
            f"numbanet tras {epochs} épocas: media $\\pm$ desv. de {n_seeds} semillas",
        ),
    )
    a2.plot(
        np.repeat(x - off, data["acc"].shape[0]),
        data["acc"].T.ravel(),
        "o",
        ms=3.5,
        color="k",
        alpha=0.45,
        label=tr(lang, "numbanet, single seeds", "numbanet, semillas individuales"),
    )
    a2.plot(
        x + off,
        data["slide"],
        "D",
        ms=8,
        color="#dd8452",
        label=tr(
            lang,
            f"slide: {slide_ep} epochs, one run",
            f"diapositiva: {slide_ep} épocas, una ejecución",
        ),
    )
    for i in x:
        a2.text(
            i - off - 0.09,
            data["mean"][i],
            f2(data["mean"][i]),
            ha="right",
            va="center",
            fontsize=8.5,
            color="#27406b",
        )
        a2.text(
            i + off + 0.09,
            data["slide"][i],
            f2(data["slide"][i]),
            ha="left",
            va="center",
            fontsize=8.5,
            color="#8a4a1c",
        )
    vals = np.concatenate([data["acc"].ravel(), data["mean"] - data["std"], data["slide"]])
    a2.set_ylim(np.floor(vals.min() - 0.6), min(100.0, np.ceil(data["slide"].max() + 1.2)))
    a2.set_xlim(-0.6, len(depths) - 0.4)
    a2.set_xticks(x, [str(d) for d in depths])
    a2.set_xlabel(tr(lang, "hidden layers of 30 sigmoid units", "capas ocultas de 30 sigmoides"))
    a2.set_ylabel(tr(lang, "final validation accuracy (%)", "exactitud final de validación (%)"))
    a2.legend(fontsize=8.5, loc="upper right")
    a2.grid(axis="y", alpha=0.3)
    if epochs < slide_ep:
        title = tr(
            lang,
            f"Not like for like: {epochs} epochs here, {slide_ep} on the slide",
            f"No comparables: {epochs} épocas aquí, {slide_ep} en la diapositiva",
        )
    else:
        title = tr(lang, f"Both after {slide_ep} epochs", f"Ambos tras {slide_ep} épocas")
    title += "\n" + tr(
        lang,
        "(points, not bars: the axis does not start at 0)",
        "(puntos, no barras: el eje no empieza en 0)",
    )
    a2.set_title(title, fontsize=10.5, color="#8a1c1c" if epochs < slide_ep else "k")
    set_title(
        fig,
        tr(
            lang,
            "MNIST validation accuracy against depth (train 50,000, validate "
            "10,000; minibatch 10, $\\eta$ = 0.1, $\\lambda$ = 5.0)",
            "Exactitud de validación en MNIST según la profundidad (50.000 de "
            "entrenamiento, 10.000 de validación; minilote 10, $\\eta$ = 0,1, "
            "$\\lambda$ = 5,0)",
        ),
        fontsize=12,
    )
    return fig


# =========================================================================== init-variance
INIT_FAMILIES = (
    ("he", "#d62728", "He  $v = 2/d_{in}$"),
    ("lecun", "#1f77b4", "LeCun  $v = 1/d_{in}$"),
    ("glorot", "#2ca02c", "Glorot  $v = 2/(d_{in}+d_{out})$"),
)


def compute_init_variance(seed=0, backend="cpu", budget="reduced"):
    """Forward :math:`E[(z^{[l]})^2]` and backward :math:`\\operatorname{Var}(\\delta^{[l]})`
    through 50 layers of 100 units, ReLU and tanh, He/LeCun/Glorot normal and uniform: the
    slide's recursion (``theory.init_variance.recursion``) beside the values measured on sampled
    networks (``measure``; reduced budget 4 nets x 128 inputs, full 16 x 512).

    Returns ``{"<act>/<init>/<recursion|measured>/<forward|backward>": array (50,)}`` plus the
    measured standard errors (``.../forward_sem``), ``depth``, ``width``, ``activations``,
    ``inits``."""
    from ..theory import init_variance as IV

    n_samples, n_nets = by_budget(budget, tiny=(16, 2), reduced=(128, 4), full=(512, 16))
    acts = ("relu", "tanh")
    inits = tuple(f"{f}_{k}" for f, _, _ in INIT_FAMILIES for k in ("normal", "uniform"))
    res = IV.sweep(
        activations=acts,
        inits=inits,
        depth=50,
        width=100,
        n_samples=n_samples,
        n_nets=n_nets,
        seed=seed,
    )
    out = {
        "depth": 50,
        "width": 100,
        "activations": list(acts),
        "inits": list(inits),
        "n_nets": n_nets,
        "n_samples": n_samples,
    }
    for (act, init), d in res.items():
        for kind in ("recursion", "measured"):
            prof = d[kind]
            out[f"{act}/{init}/{kind}/forward"] = np.asarray(prof.forward)
            out[f"{act}/{init}/{kind}/backward"] = np.asarray(prof.backward)
            if kind == "measured":
                out[f"{act}/{init}/{kind}/forward_sem"] = np.asarray(prof.forward_sem)
                out[f"{act}/{init}/{kind}/backward_sem"] = np.asarray(prof.backward_sem)
    return out


def draw_init_variance(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, axes = plt.subplots(2, 2, figsize=(12.5, 8.8), sharex=True, constrained_layout=True)
    layers = np.arange(1, data["depth"] + 1)
    marks = {"normal": "o", "uniform": "x"}
    # equal widths make Glorot's variance LeCun's: LeCun is drawn wide and solid underneath,
    # Glorot dashed on top, so both stay visible; He solid
    style = {
        "he": dict(ls="-", lw=1.8, zorder=3),
        "lecun": dict(ls="-", lw=4.0, alpha=0.55, zorder=2),
        "glorot": dict(ls=(0, (5, 3)), lw=1.6, zorder=4),
    }
    n_series = len(INIT_FAMILIES) * len(marks)
    for c, act in enumerate(data["activations"]):
        for r, direction in enumerate(("forward", "backward")):
            ax = axes[r, c]
            for f, (fam, colour, _) in enumerate(INIT_FAMILIES):
                rec = data[f"{act}/{fam}_normal/recursion/{direction}"]
                ax.plot(layers, rec, color=colour, **style[fam])
                for kk, (kind, mk) in enumerate(marks.items()):
                    m = data[f"{act}/{fam}_{kind}/measured/{direction}"]
                    # staggered: each series has its own layers, so no marker hides another
                    sel = slice(len(marks) * f + kk, None, n_series)
                    ax.plot(
                        layers[sel], m[sel], mk, color=colour, ms=5, mfc="none", mew=1.2, zorder=5
                    )
            ax.set_yscale("log")
            ax.grid(which="major", alpha=0.3)
            name = {"relu": "ReLU", "tanh": "tanh"}[act]
            if direction == "forward":
                q = "$E[(z^{[l]})^2]$"
                ax.set_title(
                    tr(lang, f"{name}: forward, {q}", f"{name}: hacia adelante, {q}"), fontsize=11
                )
                ax.set_ylabel(
                    tr(
                        lang,
                        f"{q} of the pre-activations (log scale)",
                        f"{q} de las preactivaciones (escala log)",
                    )
                )
            else:
                q = "Var$(\\delta^{[l]})$"
                ax.set_title(
                    tr(lang, f"{name}: backward, {q}", f"{name}: hacia atrás, {q}"), fontsize=11
                )
                ax.set_ylabel(
                    tr(lang, f"{q} of the gradient (log scale)", f"{q} del gradiente (escala log)")
                )
                ax.set_xlabel(tr(lang, "layer $l$", "capa $l$"))
    handles = [
        Line2D([], [], color=col, label=lab, **{k: v for k, v in style[f].items() if k != "zorder"})
        for f, col, lab in INIT_FAMILIES
    ]
    handles += [
        Line2D(
            [],
            [],
            color="0.2",
            lw=1.8,
            label=tr(lang, "lines: recursion (slide)", "líneas: recursión (diapositiva)"),
        ),
        Line2D(
            [],
            [],
            color="0.2",
            marker="o",
            ls="",
            mfc="none",
            mew=1.2,
            label=tr(lang, "measured, normal weights", "medido, pesos normales"),
        ),
        Line2D(
            [],
            [],
            color="0.2",
            marker="x",
            ls="",
            mew=1.2,
            label=tr(lang, "measured, uniform weights", "medido, pesos uniformes"),
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9.5)
    set_title(
        fig,
        tr(
            lang,
            f"Signal variance through {data['depth']} layers of {data['width']} "
            "units (equal widths: Glorot = LeCun, dashed over it)\nmeasured on "
            f"{data['n_nets']} sampled nets x {data['n_samples']} inputs",
            f"Varianza de la señal a través de {data['depth']} capas de {data['width']} "
            "unidades (anchos iguales: Glorot = LeCun, discontinua encima)\nmedida en "
            f"{data['n_nets']} redes x {data['n_samples']} entradas",
        ),
        fontsize=12,
    )
    return fig
