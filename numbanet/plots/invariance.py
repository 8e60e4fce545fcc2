"""Figures of what convolution and pooling see (decks 003 and 004), computed on MNIST.

* ``translation-invariance``: accuracy of an MLP and of the slides' LeNet on test digits shifted
  by 0-4 pixels, and how much the pixels and LeNet's maps change with the shift
  (``numbanet.experiments.invariance.translation_invariance``);
* ``feature-hierarchy``: deck 004's "Pixel => arista => parte => objeto": the maps of each
  convolution of a trained LeNet and the input patches that excite each filter most
  (``numbanet.experiments.invariance.feature_hierarchy``).
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, set_title, tr

_STAGE_LABEL = {
    "pixels": ("pixels", "píxeles"),
    "conv 1": ("conv 1 maps (ReLU)", "mapas conv 1 (ReLU)"),
    "pool 1": ("after pooling 1", "tras pooling 1"),
    "conv 2": ("conv 2 maps (ReLU)", "mapas conv 2 (ReLU)"),
    "pool 2": ("after pooling 2", "tras pooling 2"),
}


# ------------------------------------------------------------------------ translation-invariance
def compute_translation_invariance(seed=0, backend="cpu", budget="reduced"):
    """``experiments.invariance.translation_invariance``: both nets trained on 2,000 MNIST digits
    for 2 epochs and tested on 500 shifted test digits (full: 20,000 digits, 3 epochs, all
    10,000 test digits)."""
    from ..experiments.invariance import translation_invariance

    kw = by_budget(
        budget,
        tiny=dict(n_train=1000, epochs=2, n_test=200),
        reduced=dict(n_train=2000, epochs=2, n_test=500),
        full=dict(n_train=20000, epochs=3, n_test=10000),
    )
    out = translation_invariance(seed=seed, backend=backend, **kw)
    out["budget"] = budget
    return out


def draw_translation_invariance(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 5.2))
    gs = fig.add_gridspec(2, 2, height_ratios=[1, 4.2])
    ex = fig.add_subplot(gs[0, :])
    s = np.asarray(data["shifts"])
    strip = np.concatenate(
        [np.pad(im, ((0, 0), (0, 3)), constant_values=np.nan) for im in data["example"]], axis=1
    )
    ex.imshow(strip, cmap="gray_r", interpolation="nearest")
    ex.set_xticks([28 * k + 3 * k + 14 for k in range(len(s))])
    ex.set_xticklabels([tr(lang, f"shift {k}", f"desplazamiento {k}") for k in s], fontsize=8.5)
    ex.set_yticks([])
    ex.grid(False)
    for side in ("left", "bottom"):
        ex.spines[side].set_visible(False)
    ax = fig.add_subplot(gs[1, 0])
    acc = data["accuracy"]
    ax.plot(
        s, 100 * acc["mlp"], "o-", color="C0", label=tr(lang, "MLP 784-100-10", "MLP 784-100-10")
    )
    ax.plot(
        s,
        100 * acc["lenet"],
        "s-",
        color="C1",
        label=tr(lang, "LeNet (conv + pooling)", "LeNet (conv + pooling)"),
    )
    for key, off, col in (("mlp", -12, "C0"), ("lenet", 6, "C1")):
        ax.annotate(
            f"{100 * acc[key][-1]:.0f} %",
            (s[-1], 100 * acc[key][-1]),
            xytext=(-6, off),
            textcoords="offset points",
            ha="right",
            fontsize=8.5,
            color=col,
        )
    ax.set_xticks(s)
    ax.set_xlabel(
        tr(
            lang,
            "shift of the test digits (pixels)",
            "desplazamiento de los dígitos de test (píxeles)",
        )
    )
    ax.set_ylabel(tr(lang, "test accuracy (%)", "exactitud de test (%)"))
    ax.set_ylim(0, 100)
    ax.set_title(
        tr(
            lang,
            f"trained on {data['n_train']:,} unshifted digits, {data['epochs']} epochs",
            f"entrenadas con {data['n_train']:,} dígitos sin desplazar, {data['epochs']} épocas",
        ),
        fontsize=10,
    )
    ax.legend(loc="lower left")
    bx = fig.add_subplot(gs[1, 1])
    styles = {
        "pixels": ("k", "o"),
        "conv 1": ("C2", "^"),
        "pool 1": ("C2", "v"),
        "conv 2": ("C4", "^"),
        "pool 2": ("C4", "v"),
    }
    for name, vals in data["change"].items():
        col, mk = styles.get(name, ("C7", "o"))
        ls = "--" if name.startswith("conv") else "-"
        bx.plot(
            s, vals, ls, marker=mk, color=col, label=tr(lang, *_STAGE_LABEL.get(name, (name, name)))
        )
    bx.set_xticks(s)
    bx.set_xlabel(tr(lang, "shift (pixels)", "desplazamiento (píxeles)"))
    bx.set_ylabel(
        tr(
            lang,
            r"relative change $\|f(T_s x) - f(x)\| / \|f(x)\|$",
            r"cambio relativo $\|f(T_s x) - f(x)\| / \|f(x)\|$",
        )
    )
    bx.set_title(
        tr(lang, "how far LeNet's features move", "cuánto cambian las características de LeNet"),
        fontsize=10,
    )
    bx.legend(loc="lower right", fontsize=8)
    k = min(2, len(s) - 1)
    drop = {n: 100 * (acc[n][0] - acc[n][k]) for n in ("mlp", "lenet")}
    holds = drop["lenet"] < drop["mlp"]
    fig.supxlabel(
        tr(
            lang,
            f"At a {s[k]}-pixel shift the MLP loses {drop['mlp']:.0f} points, LeNet "
            f"{drop['lenet']:.0f}"
            + ("" if holds else " (here pooling does not make LeNet the more robust)")
            + f"; after pooling 2 features move {data['change']['pool 2'][1]:.2f} of their norm "
            f"at 1 pixel, pixels {data['change']['pixels'][1]:.2f}",
            f"Con {s[k]} píxeles de desplazamiento el MLP pierde {drop['mlp']:.0f} puntos, LeNet "
            f"{drop['lenet']:.0f}"
            + ("" if holds else " (aquí el pooling no hace a LeNet más robusta)")
            + f"; tras pooling 2 las características cambian {data['change']['pool 2'][1]:.2f} de "
            f"su norma con 1 píxel, los píxeles {data['change']['pixels'][1]:.2f}",
        ),
        fontsize=9,
    )
    return set_title(
        fig,
        tr(
            lang,
            "Shifted digits: an MLP against LeNet, and how far pooled features move",
            "Dígitos desplazados: un MLP frente a LeNet, y cuánto cambian las características",
        ),
        details=[f"{data['n_test']} test digits, each shifted right, left, down and up"],
    )


# ---------------------------------------------------------------------------- feature-hierarchy
def compute_feature_hierarchy(seed=0, backend="cpu", budget="reduced"):
    """``experiments.invariance.feature_hierarchy``: LeNet trained on 2,000 MNIST digits for 2
    epochs, top 8 patches per filter over 1,000 test digits (full: 20,000 digits, 3 epochs, all
    10,000 test digits)."""
    from ..experiments.invariance import feature_hierarchy

    kw = by_budget(
        budget,
        tiny=dict(n_train=1000, epochs=2, n_images=300),
        reduced=dict(n_train=2000, epochs=2, n_images=1000),
        full=dict(n_train=20000, epochs=3, n_images=10000),
    )
    out = feature_hierarchy(seed=seed, backend=backend, **kw)
    out["budget"] = budget
    return out


def _mosaic(tiles, cols, gap=1):
    """Tiles (m, h, w) laid out in rows of ``cols``, separated by NaN (drawn blank)."""
    m, h, w = tiles.shape
    rows = -(-m // cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for k in range(m):
        r, c = divmod(k, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tiles[k]
    return out


def _show(ax, img, cmap, title, sym=False):
    import matplotlib as mpl

    cm = mpl.colormaps[cmap].with_extremes(bad="white")
    if sym:
        v = np.nanmax(np.abs(img)) or 1.0
        ax.imshow(img, cmap=cm, vmin=-v, vmax=v, interpolation="nearest")
    else:
        ax.imshow(img, cmap=cm, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for sp in ax.spines.values():
        sp.set_visible(False)
    ax.set_title(title, fontsize=9.5)


def draw_feature_hierarchy(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13, 8.2))
    gs = fig.add_gridspec(2, 4, height_ratios=[1, 2.4], width_ratios=[0.35, 1.4, 1.6, 1.6])
    _show(
        fig.add_subplot(gs[0, 0]),
        data["digit"],
        "gray_r",
        tr(lang, f"input: a {data['digit_label']}", f"entrada: un {data['digit_label']}"),
    )
    _show(
        fig.add_subplot(gs[0, 1]),
        _mosaic(np.asarray(data["maps1"]), 3, gap=2),
        "RdBu_r",
        tr(lang, "conv 1: 6 maps (26 x 26)", "conv 1: 6 mapas (26 x 26)"),
        sym=True,
    )
    _show(
        fig.add_subplot(gs[0, 2:]),
        _mosaic(np.asarray(data["maps2"]), 8, gap=2),
        "RdBu_r",
        tr(lang, "conv 2: 16 maps (11 x 11)", "conv 2: 16 mapas (11 x 11)"),
        sym=True,
    )
    k = data["k"]
    p1 = np.asarray(data["patches1"])
    _show(
        fig.add_subplot(gs[1, 0]),
        _mosaic(np.asarray(data["filters1"]), 1),
        "RdBu_r",
        tr(lang, "conv 1 filters", "filtros conv 1"),
        sym=True,
    )
    _show(
        fig.add_subplot(gs[1, 1]),
        _mosaic(p1.reshape(-1, *p1.shape[2:]), k),
        "gray_r",
        tr(
            lang,
            f"conv 1: top {k} patches per filter (3 x 3 pixels)",
            f"conv 1: los {k} parches que más la excitan (3 x 3 píxeles)",
        ),
    )
    p2 = np.asarray(data["patches2"])
    half = (p2.shape[0] + 1) // 2
    left = _mosaic(p2[:half].reshape(-1, *p2.shape[2:]), k, gap=1)
    right = _mosaic(p2[half:].reshape(-1, *p2.shape[2:]), k, gap=1)
    right = np.pad(right, ((0, left.shape[0] - right.shape[0]), (0, 0)), constant_values=np.nan)
    both = np.concatenate([left, np.full((left.shape[0], 4), np.nan), right], axis=1)
    _show(
        fig.add_subplot(gs[1, 2:]),
        both,
        "gray_r",
        tr(
            lang,
            f"conv 2: top {k} patches per filter (8 x 8 pixels), filters 1-{half} | {half + 1}-"
            f"{p2.shape[0]}",
            f"conv 2: los {k} parches que más la excitan (8 x 8 píxeles), filtros 1-{half} | "
            f"{half + 1}-{p2.shape[0]}",
        ),
    )
    pur1, pur2 = 100 * np.mean(data["purity1"]), 100 * np.mean(data["purity2"])
    note = tr(
        lang,
        f"Share of a filter's top {data['k_purity']} digits with the same label: conv 1 "
        f"{pur1:.0f} %, conv 2 "
        f"{pur2:.0f} %"
        + (
            " (deeper filters respond to parts of particular digits)"
            if pur2 > pur1
            else " (no rise with depth here)"
        )
        + f"; test accuracy {100 * data['accuracy']:.0f} %",
        f"Fracción de los {data['k_purity']} dígitos que más excitan un filtro con la misma "
        "etiqueta: conv 1 "
        f"{pur1:.0f} %, conv 2 {pur2:.0f} %"
        + (
            " (los filtros profundos responden a partes de ciertos dígitos)"
            if pur2 > pur1
            else " (aquí no sube con la profundidad)"
        )
        + f"; exactitud de test {100 * data['accuracy']:.0f} %",
    )
    fig.supxlabel(note, fontsize=9.5)
    return set_title(
        fig,
        tr(
            lang,
            "Feature hierarchy in LeNet: what the filters of each convolution respond to",
            "Jerarquía de características en LeNet: a qué responden los filtros de cada capa",
        ),
        details=[
            f"LeNet trained on {data['n_train']} MNIST digits for {data['epochs']} epochs; "
            f"patches from {data['n_images']} test digits, one per digit"
        ],
    )
