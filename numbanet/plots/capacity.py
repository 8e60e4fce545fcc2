r"""Figures of what depth buys at a fixed parameter count (UDL deck 000, FF and DL decks).

* ``wide-vs-deep``: test accuracy against parameters for shallow and deep MLPs on MNIST-1D
  (``numbanet.experiments.udl.wide_vs_deep``; the slides show Goodfellow et al. 2014 on SVHN),
  and for 3 against 11 Conv1D layers at matched parameters (``udl.conv_wide_vs_deep``).
* ``mnist1d-random-labels``: UDL fig. 20.2, nets of 1-4 hidden layers memorising random labels
  (``numbanet.experiments.udl.random_labels``).
"""

from __future__ import annotations

import numpy as np

from .. import slides
from ._style import by_budget, hidden_layers, set_title, tr


# -------------------------------------------------------------------------------- wide-vs-deep
def compute_wide_vs_deep(seed=0, backend="cpu", budget="reduced", epochs=None, seeds=None):
    """Shallow (1 hidden layer) and deep (3 hidden layers) ReLU MLPs on MNIST-1D, Adam
    (reduced: 30 epochs x 2 seeds; full: 40 x 5); and, under ``"conv"``, deck 004's "11 vs. 3":
    Conv1D nets of 3 and 11 layers at matched parameters (``udl.conv_wide_vs_deep``, minibatch
    25; reduced: three sizes, 4 epochs on 1,500 signals, 1 seed; full: the same sizes, 10 epochs
    on all 4,000, 2 seeds). ``epochs`` and ``seeds`` override (for the convolutional nets, at
    most their budget's)."""
    from ..experiments.udl import conv_wide_vs_deep, wide_vs_deep

    e, s = by_budget(budget, tiny=(1, 1), reduced=(30, 2), full=(40, 5))
    out = wide_vs_deep(epochs=epochs or e, seeds=seeds or s, seed=seed, backend=backend)
    ce, cs, cn, ch, cb = by_budget(
        budget,
        tiny=(1, 1, 300, (4, 8), 50),
        reduced=(4, 1, 1500, (8, 16, 32), 25),
        full=(10, 2, None, (8, 16, 32), 25),
    )
    out["conv"] = conv_wide_vs_deep(
        epochs=min(ce, epochs or ce),
        seeds=min(cs, seeds or cs),
        seed=seed,
        backend=backend,
        channels=ch,
        n_train=cn,
        batch_size=cb,
    )
    out["reduced"] = budget != "full"
    return out


def conv_wide_vs_deep_note(conv, lang):
    """One line: how the 11-layer nets did against the 3-layer nets of the same size."""
    sh, dp = conv["families"]["conv3"], conv["families"]["conv11"]
    diffs = [
        100 * (np.mean(b["test_accuracy"]) - np.mean(a["test_accuracy"])) for a, b in zip(sh, dp)
    ]
    wins = sum(d > 0 for d in diffs)
    head = tr(
        lang,
        f"11 layers beat 3 in {wins} of {len(diffs)} sizes ",
        f"11 capas superan a 3 en {wins} de {len(diffs)} tamaños ",
    )
    tail = ", ".join(f"{d:+.1f}" for d in diffs)
    return head + tr(lang, f"(points: {tail})", f"(puntos: {tail})")


def _wide_vs_deep_note(data, lang):
    from ..experiments.udl import wide_vs_deep_comparison

    rows = wide_vs_deep_comparison(data)
    wins = [d > 0 for _, d in rows]
    sep = tr(lang, ",", " ")
    p_last, d_last = rows[-1]
    head = tr(
        lang,
        f"At equal parameter counts deep wins {sum(wins)} of {len(rows)} comparisons;\n"
        f"at {p_last:,} parameters: deep {d_last:+.1f} points.\n".replace(",", sep),
        f"Con los mismos parámetros la profunda gana {sum(wins)} de {len(rows)} "
        f"comparaciones;\ncon {p_last:,} parámetros: profunda {d_last:+.1f} puntos.\n".replace(
            ",", sep
        ),
    )
    claim = tr(
        lang,
        "The slides' claim (deeper generalises better) ",
        "La afirmación de las diapositivas (más profunda generaliza mejor)\n",
    )
    if all(wins):
        tail = tr(lang, "\nholds here.", "se cumple aquí.")
    elif not any(wins):
        tail = tr(lang, "\ndoes NOT hold here.", "NO se cumple aquí.")
    elif all(wins[i] <= wins[i + 1] for i in range(len(wins) - 1)):  # losses, then only wins
        p0 = f"{rows[wins.index(True)][0]:,}".replace(",", sep)
        tail = tr(
            lang,
            f"\nholds here only from {p0} parameters up; smaller deep nets do no better.",
            f"solo se cumple aquí desde {p0} parámetros; las profundas más pequeñas no mejoran.",
        )
    else:
        tail = tr(
            lang, "\nholds here only at some sizes.", "solo se cumple aquí en algunos tamaños."
        )
    return head + claim + tail


def draw_wide_vs_deep(data, lang="en"):
    import matplotlib.pyplot as plt

    if "conv" in data:
        fig, (ax, cx) = plt.subplots(
            1, 2, figsize=(14, 5.4), gridspec_kw={"width_ratios": [1.45, 1]}
        )
        _draw_conv_wide_vs_deep(cx, data["conv"], lang)
    else:
        fig, ax = plt.subplots(figsize=(8.4, 5.2))
    fam = data["families"]
    widths = {k: ", ".join(str(r["hidden"][0]) for r in rows) for k, rows in fam.items()}
    labels = {
        "shallow": tr(
            lang,
            f"shallow: 1 hidden layer, D = {widths['shallow']}",
            f"superficial: 1 capa oculta, D = {widths['shallow']}",
        ),
        "deep": tr(
            lang,
            f"deep: 3 hidden layers, D = {widths['deep']}",
            f"profunda: 3 capas ocultas, D = {widths['deep']}",
        ),
    }
    for i, (name, rows) in enumerate(fam.items()):
        p = [r["params"] for r in rows]
        a = np.array([r["test_accuracy"] for r in rows]) * 100
        ax.plot(p, a.mean(1), "o-", color=f"C{i}", label=labels[name])
        ax.fill_between(p, a.min(1), a.max(1), color=f"C{i}", alpha=0.15)
        # only the two ends are labelled (the legend lists every width, left to right): deep
        # above its points, shallow below, so no label meets another or a line
        for j in (0, len(rows) - 1):
            ax.annotate(
                f"D = {rows[j]['hidden'][0]}",
                (p[j], a.mean(1)[j]),
                xytext=(0, 9) if i else (0, -15),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color=f"C{i}",
            )
    ax.set_xscale("log")
    ax.set_xlabel(tr(lang, "number of parameters", "número de parámetros"))
    ax.set_ylabel(tr(lang, "MNIST-1D test accuracy (%)", "exactitud de test en MNIST-1D (%)"))
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 2, hi + 1)
    ax.legend(loc="lower right", fontsize=8.5)
    ax.text(
        0.02,
        0.98,
        _wide_vs_deep_note(data, lang),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=8.5,
        bbox=dict(boxstyle="round,pad=0.35", fc="white", ec="0.7", alpha=0.95),
    )
    ax.set_title(
        tr(
            lang,
            f"Wide vs deep on MNIST-1D (Adam, {data['epochs']} epochs, {data['seeds']} "
            "seeds: mean, band min-max)",
            f"Ancha frente a profunda en MNIST-1D (Adam, {data['epochs']} épocas, "
            f"{data['seeds']} semillas: media, banda mín-máx)",
        ),
        fontsize=10 if "conv" in data else None,
    )
    return fig


def _draw_conv_wide_vs_deep(ax, conv, lang):
    """The convolutional panel: 3 against 11 Conv1D layers at matched parameters."""
    for i, rows in enumerate(conv["families"].values()):
        p = [r["params"] for r in rows]
        a = np.array([r["test_accuracy"] for r in rows]) * 100
        depth = rows[0]["depth"]
        chans = ", ".join(str(r["channels"]) for r in rows)
        ax.plot(
            p,
            a.mean(1),
            "o-" if depth == 3 else "s-",
            color=f"C{i + 2}",
            label=tr(
                lang,
                f"{depth} convolutional layers, C = {chans}",
                f"{depth} capas convolucionales, C = {chans}",
            ),
        )
        if a.shape[1] > 1:
            ax.fill_between(p, a.min(1), a.max(1), color=f"C{i + 2}", alpha=0.15)
    ax.set_xscale("log")
    ax.set_xlabel(tr(lang, "number of parameters", "número de parámetros"))
    ax.set_ylabel(tr(lang, "MNIST-1D test accuracy (%)", "exactitud de test en MNIST-1D (%)"))
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.91), fontsize=8.5)
    ax.text(
        0.02,
        0.98,
        conv_wide_vs_deep_note(conv, lang),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=8.5,
        bbox=dict(boxstyle="round,pad=0.35", fc="white", ec="0.7", alpha=0.95),
    )
    ax.set_title(
        tr(
            lang,
            f'Convolutions, "11 vs. 3" ({conv["epochs"]} epochs on {conv["n_train"]:,} signals, '
            + ("1 seed)" if conv["seeds"] == 1 else f"{conv['seeds']} seeds)"),
            f'Convoluciones, "11 frente a 3" ({conv["epochs"]} épocas con {conv["n_train"]:,} '
            + (
                "señales, 1 semilla)"
                if conv["seeds"] == 1
                else f"señales, {conv['seeds']} semillas)"
            ),
        ),
        fontsize=10,
    )


# ----------------------------------------------------------------------- mnist1d-random-labels
#: the reduced budget of mnist1d-random-labels: a smaller random-label set and a smaller learning
#: rate than the first attempt (4,000 examples, lr 0.5: unstable, spiky, the 1-layer net never fit).
#: 500 examples at lr 0.04 fit in 1,690 / 1,090 / 890 / 740 epochs (seed 0), about 8 s in all;
#: 1,000 at lr 0.02 told the same story in 55 s, lr 0.05 makes the 4-layer net's error spike.
RANDOM_LABEL_REDUCED = dict(n=500, lr=0.04, epochs=10_000, record_every=10)


#: the full budget's speed-up: the slide's 4,000 examples, nets and gradient flow, with the
#: learning rate this many times the slide's 0.0025 and as many times fewer epochs (the same
#: lr x epochs). At the slide's lr the deepest net was at 77.6 % error after 11,000 epochs
#: (110 CPU seconds); at 8x it was at 77.6-78.5 % after the same lr x epochs. Measured at 8x
#: (seed 0, one core, 9-12 CPU ms an epoch): 4 layers fit at 17,118 epochs (136,944 at the
#: slide's lr, 167 CPU s), 3 layers at 21,886 (175,088; 192 s); 2 layers end at 0.5 % error
#: (200,000; 198 s), 1 layer at 0.175 % (500,000; 545 s): 1,100 CPU s in all, against about
#: 8,800 (2.5 hours) for ``RANDOM_LABEL_SETUP`` literally. Near zero error the deep nets' error
#: spikes at 8x (steps at the edge of stability), which the slide's rate may not show.
RANDOM_LABEL_FULL_SPEEDUP = 8


def compute_mnist1d_random_labels(
    seed=0, backend="cpu", budget="reduced", epochs=None, lr=None, n_train=None, record_every=None
):
    r"""Full-batch gradient descent on MNIST-1D with random labels (UDL fig. 20.2).

    The slide's set-up (``slides.RANDOM_LABEL_SETUP``): 4,000 examples, lr 0.0025 and at most
    200,000 epochs (500,000 for one hidden layer), about 2.5 CPU hours here even with the fused
    loop. The full budget (``budget="full"``, through the results cache) runs the same
    examples, nets, labels and gradient flow at :data:`RANDOM_LABEL_FULL_SPEEDUP` times the
    learning rate for that many times fewer epochs, and reports epochs at the slide's rate
    (``epoch_scale``).
    The reduced budget keeps the four nets, He initialisation and plain full-batch gradient
    descent on the mean cross-entropy but fits 500 random labels with lr 0.04
    (:data:`RANDOM_LABEL_REDUCED`): slow enough for smooth curves (larger rates make the deep
    nets' error spike), and every net memorises its labels within 2,000 epochs. Each run stops
    at the first recorded epoch with zero training error (``fit_epoch``), or at the epoch cap
    (``fit_epoch`` None). ``epochs``, ``lr``, ``n_train`` and ``record_every`` override.
    """
    from ..experiments.udl import random_labels

    full = slides.RANDOM_LABEL_SETUP
    red = RANDOM_LABEL_REDUCED
    kw = by_budget(
        budget,
        tiny=dict(n=100, lr=red["lr"], epochs=4, record_every=2),
        reduced=dict(red),
        full=dict(
            n=full["n"],
            lr=full["lr"] * RANDOM_LABEL_FULL_SPEEDUP,
            epochs=full["epochs"] // RANDOM_LABEL_FULL_SPEEDUP,
            epochs_1_layer=full["epochs_1_layer"] // RANDOM_LABEL_FULL_SPEEDUP,
            record_every=None,
        ),
    )
    if epochs:
        kw.update(epochs=epochs, epochs_1_layer=None)
    kw.update({k: v for k, v in (("lr", lr), ("n", n_train), ("record_every", record_every)) if v})
    if budget == "full" and not (epochs or lr or n_train or record_every):
        from ..experiments.udl import random_labels_cached

        # every argument in the cache key, the nets' widths included
        nets = [list(h) for h in slides.RANDOM_LABEL_WIDTHS]
        out = random_labels_cached(seed=seed, backend=backend, nets=nets, **kw)
        # drawn against the slide's epochs: epoch e at 8x the lr is epoch 8e at the slide's lr
        out["epoch_scale"] = RANDOM_LABEL_FULL_SPEEDUP
        out["slide_lr"] = full["lr"]
    else:
        out = random_labels(seed=seed, backend=backend, **kw)
    out["reduced"] = budget != "full"
    return out


def draw_mnist1d_random_labels(data, lang="en"):
    import matplotlib.pyplot as plt

    from ..experiments.udl import random_labels_ordered

    # epochs at the slide's lr (full budget: the run's epochs times its lr / the slide's lr)
    scale = data.get("epoch_scale", 1)
    fig, ax = plt.subplots(figsize=(8.6, 5.2))
    for i, r in enumerate(data["nets"]):
        k = len(r["hidden"])
        lab = (
            hidden_layers(lang, k)
            + f" × {r['hidden'][0]}, "
            + f"{r['params']:,} ".replace(",", tr(lang, ",", " "))
        )
        lab += tr(lang, "params", "parámetros")
        f = None if r["fit_epoch"] is None else r["fit_epoch"] * scale
        if f is None:
            lab += tr(
                lang,
                f": not fitted in {r['max_epochs'] * scale:,} epochs",
                f": sin ajustar en {r['max_epochs'] * scale:,} épocas".replace(",", " "),
            )
        else:
            lab += tr(
                lang,
                f": all fitted at epoch {f:,}",
                f": todo ajustado en la época {f:,}".replace(",", " "),
            )
        ax.plot(np.asarray(r["epochs"]) * scale, r["train_error"], color=f"C{i}", lw=2.0, label=lab)
        if f is not None:
            ax.plot([f], [0], "o", color=f"C{i}", ms=7, mec="k", mew=0.6, zorder=5, clip_on=False)
    ax.axhline(
        90,
        color="0.5",
        ls=":",
        lw=1.2,
        label=tr(lang, "chance (90 % error)", "azar (90 % de error)"),
    )

    def num(v):
        return f"{v:g}".replace(".", ",")

    if scale == 1:
        xlabel = tr(
            lang,
            "epoch (full-batch gradient descent)",
            "época (descenso de gradiente de lote completo)",
        )
    else:
        xlabel = tr(
            lang,
            f"epoch at the slide's lr {data['slide_lr']:g} "
            f"(run at lr {data['lr']:g} for 1/{scale:g} of the epochs: the same lr × epochs)",
            f"época con el lr {num(data['slide_lr'])} de la diapositiva "
            f"(ejecutado con lr {num(data['lr'])} en 1/{scale:g} de las épocas: igual lr × épocas)",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(tr(lang, "training error (%)", "error de entrenamiento (%)"))
    ax.set_ylim(0, 95)
    ax.set_xlim(0, None)
    ax.legend(loc="upper right", fontsize=8.5)
    n = f"{data['n']:,}".replace(",", tr(lang, ",", " "))
    if random_labels_ordered(data):
        title = tr(
            lang,
            "Fitting random labels: deeper nets memorise them in fewer epochs",
            "Ajustar etiquetas aleatorias: las redes más profundas las memorizan en menos épocas",
        )
    else:
        title = tr(
            lang,
            "Fitting random labels: here depth does not order the epochs to fit them",
            "Ajustar etiquetas aleatorias: aquí la profundidad no ordena las épocas",
        )
    details = [
        tr(
            lang,
            f"{n} MNIST-1D examples, He init, plain GD, lr {data['lr']:g}",
            f"{n} ejemplos de MNIST-1D, init. He, GD, lr {num(data['lr'])}",
        )
    ]
    if scale != 1:
        details.append(
            tr(
                lang,
                f"the slide's gradient flow at {scale:g}x its lr {data['slide_lr']:g} for "
                f"1/{scale:g} of its epochs (up to 200,000 and 500,000 slide epochs); the "
                "literal run would take about 2.5 CPU hours. Spikes in the error are the higher "
                "rate's (unstable steps); the slide's rate gave the same curve over its first "
                "11,000 epochs",
                f"el flujo de gradiente de la diapositiva con {scale:g} veces su lr "
                f"{num(data['slide_lr'])} en 1/{scale:g} de sus épocas (hasta 200 000 y 500 000 "
                "épocas de la diapositiva); la ejecución literal llevaría unas 2,5 horas de CPU. "
                "Los picos del error son del lr más alto (pasos inestables); el lr de la "
                "diapositiva dio la misma curva en sus primeras 11 000 épocas",
            )
        )
    if data["reduced"]:
        details.append(
            tr(
                lang,
                "the slide uses 4,000 examples, lr 0.0025, up to 500,000 epochs",
                "la diapositiva usa 4000 ejemplos, lr 0,0025, hasta 500 000 épocas",
            )
        )
    set_title(fig, title, details=details)
    return fig
