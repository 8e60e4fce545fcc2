"""Figures of convolution (NN deck 003, DL deck 004).

``conv-example``
    The slide's 6x6 input cross-correlated with the 3x3 vertical-edge filter
    (``numbanet.slides.CONV_INPUT``, ``CONV_FILTER``) by numbanet's ``Conv2D``: padding valid,
    same and full, and stride 2, every number printed in its cell.
``pooling``
    Max, average and global pooling of a small example by the engine's pooling layers.
``lenet``
    The slides' Keras LeNet: summary table, MNIST training curve, learned first-layer filters and
    the feature maps of one digit (``numbanet.experiments.training.lenet_mnist``).

``compute_*`` functions run the engine and return plain data; ``draw_*`` only draw.
"""

from __future__ import annotations

import numpy as np

from .. import slides
from ._style import by_budget, set_title, tr

#: The slide's 6x6 input and 3x3 vertical-edge filter (rows 1, 0, -1), as float64 arrays.
SLIDE_INPUT = np.array(slides.CONV_INPUT, dtype=np.float64)
SLIDE_FILTER = np.array(slides.CONV_FILTER, dtype=np.float64)


def _single_layer(layer, input_shape, backend):
    from ..nn import Sequential

    return Sequential([layer], backend=backend, dtype=np.float64, input_shape=input_shape)


# =========================================================================== conv-example
def compute_conv_example(seed=0, backend="cpu", budget="reduced"):
    """Cross-correlation of the slide's input with the vertical-edge filter by ``Conv2D``.

    .. math:: (x \\star w)_{ij} = \\sum_{u,v} x_{i+u,\\,j+v}\\, w_{uv},\\qquad
              \\dim(\\text{out}) = \\left\\lfloor \\frac{\\dim(x) + 2p - \\dim(w)}{s}
              \\right\\rfloor + 1

    Returns ``input``, ``filter`` and one output per case in ``outputs`` (``valid``, ``same``,
    ``full``, ``valid, stride 2``, ``same, stride 2``) with its ``padding`` and ``stride``.
    """
    from ..nn.conv import Conv2D

    cases = [
        ("valid", "valid", 1),
        ("same", "same", 1),
        ("full", "full", 1),
        ("valid, stride 2", "valid", 2),
        ("same, stride 2", "same", 2),
    ]
    outputs, pads = {}, {}
    for name, padding, stride in cases:
        conv = Conv2D(1, 1, 3, stride=stride, padding=padding)
        net = _single_layer(conv, (1, 6, 6), backend)
        conv.W.value = SLIDE_FILTER[None, None]
        conv.b.value = np.zeros(1)
        outputs[name] = net.forward(SLIDE_INPUT[None, None])[0, 0]
        pads[name] = (padding, stride)
    return {"input": SLIDE_INPUT, "filter": SLIDE_FILTER, "outputs": outputs, "cases": pads}


def _grid(
    ax, a, title, cmap="RdBu_r", vmax=None, vmin=None, pad=0, fmt="{:.0f}", box=None, fontsize=None
):
    """A matrix as coloured cells with its numbers printed.

    ``pad`` > 0 outlines the inner block that the valid output occupies; ``box`` fixes the axes to
    a box x box canvas (matrix centred) so that cells have the same size in every panel; a small
    margin keeps the outer borders inside the axes."""
    from matplotlib.patches import Rectangle

    a = np.asarray(a, dtype=float)
    vmax = vmax if vmax is not None else max(1.0, float(np.abs(a).max()))
    vmin = -vmax if vmin is None else vmin
    ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
    n, m = a.shape
    fs = fontsize or 10
    for i in range(n):
        for j in range(m):
            v = a[i, j]
            dark = (v - vmin) / (vmax - vmin) > 0.8 or (vmin < 0 and abs(v) > 0.6 * vmax)
            ax.text(
                j,
                i,
                fmt.format(v + 0.0),
                ha="center",
                va="center",
                fontsize=fs,
                color="white" if dark else "black",
            )
    for k in range(n + 1):
        ax.plot([-0.5, m - 0.5], [k - 0.5, k - 0.5], color="0.3", lw=0.6)
    for k in range(m + 1):
        ax.plot([k - 0.5, k - 0.5], [-0.5, n - 0.5], color="0.3", lw=0.6)
    if pad:
        ax.add_patch(
            Rectangle((pad - 0.5, pad - 0.5), m - 2 * pad, n - 2 * pad, fill=False, ec="k", lw=2.4)
        )
    # a margin around the matrix, so that its outer border lines (and the thick outline) are
    # drawn whole and never clipped by the axes or the figure edge
    margin = 0.15
    box = max(box or 0, n, m)
    dx, dy = (box - m) / 2 + margin, (box - n) / 2 + margin
    ax.set_xlim(-0.5 - dx, m - 0.5 + dx)
    ax.set_ylim(n - 0.5 + dy, -0.5 - dy)
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def draw_conv_example(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(14, 7.4), constrained_layout=True)
    gs = fig.add_gridspec(2, 4)
    ax = fig.add_subplot(gs[0, 0])
    _grid(
        ax,
        data["input"],
        tr(lang, "input x (6x6)", "entrada x (6x6)"),
        cmap="Greys",
        vmin=0,
        vmax=8,
        box=8,
    )
    ax = fig.add_subplot(gs[0, 1])
    _grid(
        ax,
        data["filter"],
        tr(lang, "vertical-edge filter w (3x3)", "filtro de bordes verticales w (3x3)"),
        box=8,
    )
    out = data["outputs"]
    vmax = max(float(np.abs(o).max()) for o in out.values())
    titles = {
        "valid": tr(lang, "valid (p = 0): 6 - 3 + 1 = 4", "válido (p = 0): 6 - 3 + 1 = 4"),
        "same": tr(lang, "same (p = 1): 6 - 3 + 1 + 2 = 6", "igual (p = 1): 6 - 3 + 1 + 2 = 6"),
        "full": tr(lang, "full (p = 2): 6 - 3 + 1 + 4 = 8", "completo (p = 2): 6 - 3 + 1 + 4 = 8"),
        "valid, stride 2": tr(
            lang, "valid, stride 2: floor(3/2) + 1 = 2", "válido, paso 2: floor(3/2) + 1 = 2"
        ),
        "same, stride 2": tr(
            lang, "same, stride 2: floor(5/2) + 1 = 3", "igual, paso 2: floor(5/2) + 1 = 3"
        ),
    }
    slots = {
        "valid": gs[0, 2],
        "valid, stride 2": gs[0, 3],
        "same": gs[1, 0],
        "full": gs[1, 1:3],
        "same, stride 2": gs[1, 3],
    }
    inner = {"same": 1, "full": 2}  # where the valid 4x4 output sits inside the padded ones
    for name, slot in slots.items():
        if name in out:
            _grid(
                fig.add_subplot(slot),
                out[name],
                titles[name],
                vmax=vmax,
                pad=inner.get(name, 0),
                box=8,
            )
    set_title(
        fig,
        tr(
            lang,
            "Cross-correlation by numbanet's Conv2D: the slide's example "
            "(out = floor((n + 2p - f) / s) + 1)",
            "Correlación cruzada con Conv2D de numbanet: el ejemplo de la diapositiva "
            "(salida = floor((n + 2p - f) / s) + 1)",
        )
        + tr(
            lang,
            "\nthick outline: the valid 4x4 output inside the padded ones",
            "\nrecuadro grueso: la salida válida 4x4 dentro de las rellenadas",
        ),
    )
    return fig


# =========================================================================== pooling
#: A 6x6 map to pool: the slide's convolution input, so the numbers are familiar.
POOL_INPUT = SLIDE_INPUT


def compute_pooling(seed=0, backend="cpu", budget="reduced"):
    """Max, average and global pooling of ``POOL_INPUT`` by numbanet's pooling layers.

    .. math:: \\text{max: } y_{ij} = \\max_{u,v} x_{is+u,\\,js+v},\\qquad
              \\text{avg: } y_{ij} = \\frac{1}{k^2}\\sum_{u,v} x_{is+u,\\,js+v},\\qquad
              \\dim(\\text{out}) = \\left\\lfloor \\frac{\\dim(x) - k}{s} \\right\\rfloor + 1

    Returns ``input``, ``outputs`` (name -> 2-D array: ``max 2x2``, ``avg 2x2``,
    ``max 3x3, stride 2``, ``global max``, ``global avg``) and ``grad_max`` / ``grad_avg``: the
    input gradients of max and average pooling 2x2 for an output gradient of ones (max routes
    each 1 to its window's maximum; average spreads 1/4 over the window).
    """
    from ..nn.pooling import AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool2D

    x = POOL_INPUT[None, None]
    cases = [
        ("max 2x2", lambda: MaxPool2D(2)),
        ("avg 2x2", lambda: AvgPool2D(2)),
        ("max 3x3, stride 2", lambda: MaxPool2D(3, stride=2)),
        ("global max", GlobalMaxPool2D),
        ("global avg", GlobalAvgPool2D),
    ]
    outputs, grads = {}, {}
    for name, make in cases:
        net = _single_layer(make(), (1, 6, 6), backend)
        y = net.forward(x)
        outputs[name] = y[0, 0] if y.ndim == 4 else y.reshape(1, 1)
        if name in ("max 2x2", "avg 2x2"):
            grads[name] = net.backward(np.ones_like(y))[0, 0]
    return {
        "input": POOL_INPUT,
        "outputs": outputs,
        "grad_max": grads["max 2x2"],
        "grad_avg": grads["avg 2x2"],
    }


def _windows_outline(ax, n, k, s, color="k"):
    """Outline the k x k windows (stride s) of an n x n grid."""
    from matplotlib.patches import Rectangle

    for i in range(0, n - k + 1, s):
        for j in range(0, n - k + 1, s):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), k, k, fill=False, ec=color, lw=2.2))


def draw_pooling(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(14, 7.2), constrained_layout=True)
    gs = fig.add_gridspec(2, 4)
    x = data["input"]
    out = data["outputs"]
    vmax = float(x.max())
    ax = fig.add_subplot(gs[0, 0])
    _grid(
        ax,
        x,
        tr(lang, "input x (6x6), 2x2 windows", "entrada x (6x6), ventanas 2x2"),
        cmap="Greys",
        vmin=0,
        vmax=2 * vmax,
        box=6,
    )
    _windows_outline(ax, 6, 2, 2)
    panels = [
        (
            gs[0, 1],
            "max 2x2",
            tr(lang, "max pool 2x2, stride 2: 3x3", "máx. 2x2, paso 2: 3x3"),
            "{:.0f}",
        ),
        (
            gs[0, 2],
            "avg 2x2",
            tr(lang, "average pool 2x2, stride 2: 3x3", "media 2x2, paso 2: 3x3"),
            "{:.2f}",
        ),
        (
            gs[0, 3],
            "max 3x3, stride 2",
            tr(
                lang,
                "max 3x3, stride 2 (overlapping):\nfloor((6 - 3)/2) + 1 = 2",
                "máx. 3x3, paso 2 (solapadas):\nfloor((6 - 3)/2) + 1 = 2",
            ),
            "{:.0f}",
        ),
        (
            gs[1, 0],
            "global max",
            tr(lang, "global max pool: 1 number per channel", "máx. global: 1 número por canal"),
            "{:.0f}",
        ),
        (gs[1, 1], "global avg", tr(lang, "global average pool", "media global"), "{:.3f}"),
    ]
    for slot, key, title, fmt in panels:
        _grid(
            fig.add_subplot(slot),
            out[key],
            title,
            cmap="Greys",
            vmin=0,
            vmax=2 * vmax,
            fmt=fmt,
            box=6,
        )
    ax = fig.add_subplot(gs[1, 2])
    _grid(
        ax,
        data["grad_max"],
        tr(
            lang,
            "backward of max 2x2 (dy = 1):\nthe gradient goes to each window's maximum",
            "retropropagación del máx. 2x2 (dy = 1):\nel gradiente va al máximo de cada ventana",
        ),
        vmax=1,
        box=6,
    )
    _windows_outline(ax, 6, 2, 2)
    ax = fig.add_subplot(gs[1, 3])
    _grid(
        ax,
        data["grad_avg"],
        tr(
            lang,
            "backward of average 2x2 (dy = 1):\n1/4 to every input",
            "retropropagación de la media 2x2 (dy = 1):\n1/4 a cada entrada",
        ),
        vmax=1,
        fmt="{:.2f}",
        box=6,
    )
    _windows_outline(ax, 6, 2, 2)
    set_title(
        fig,
        tr(
            lang,
            "Pooling by numbanet's MaxPool2D, AvgPool2D and global pooling layers "
            "(no parameters; out = floor((n - k) / s) + 1)",
            "Pooling con las capas MaxPool2D, AvgPool2D y globales de numbanet "
            "(sin parámetros; salida = floor((n - k) / s) + 1)",
        ),
    )
    return fig


# =========================================================================== lenet
def compute_lenet(seed=0, backend="cpu", budget="reduced"):
    """``experiments.training.lenet_mnist``: reduced budget 3 epochs on 20,000 training images,
    validated on 5,000 test images; full 3 epochs on all 60,000, validated on the 10,000 test
    images (the slides' >= 98 %)."""
    from ..experiments.training import lenet_mnist

    n_train, n_val, epochs = by_budget(
        budget, tiny=(256, 200, 1), reduced=(20000, 5000, 3), full=(None, None, 3)
    )
    out = lenet_mnist(n_train=n_train, n_val=n_val, epochs=epochs, seed=seed, backend=backend)
    out["budget"] = budget
    return out


#: below these fractions of active positions (over the validation digits) a ReLU map is called
#: dead or sparse in its title
DEAD_ACTIVE = 0.01


SPARSE_ACTIVE = 0.10


def _summary_rows(summary):
    """(layer, output shape, params) rows and the footer lines of ``net.summary()``'s text, the
    layer column shortened by dropping the default ``stride=1, padding='valid'``."""
    import re

    rows, foot = [], []
    for line in summary.splitlines():
        if re.match(r"^\d+: ", line):
            cells = re.split(r"\s{2,}", line.strip())
            if len(cells) == 3:
                cells[0] = cells[0].replace(", stride=1, padding='valid'", "")
                rows.append(cells)
        elif line.startswith(("Total", "Trainable", "Non-trainable")):
            foot.append(line.strip())
    return rows, foot


def _activity_title(lang, layer, i, frac, vmax):
    """Title of one feature map: its number, how often its ReLU is active (``frac``, over the
    validation digits) and its maximum on the digit shown; maps (nearly) never active are
    called dead, rarely active ones sparse. Returns (title, colour)."""
    head = tr(lang, f"conv {layer} map {i + 1}", f"mapa conv {layer} n.º {i + 1}")
    pct = f"{100 * frac:.1f} %" if frac < 0.1 else f"{100 * frac:.0f} %"
    line = tr(lang, f"{pct} active, max {vmax:.2g}", f"{pct} activo, máx. {vmax:.2g}")
    if frac < DEAD_ACTIVE:
        return head + tr(lang, ": nearly dead", ": casi muerto") + "\n" + line, "#d62728"
    if frac < SPARSE_ACTIVE:
        return head + tr(lang, ": sparse", ": disperso") + "\n" + line, "#9467bd"
    return head + "\n" + line, "black"


def draw_lenet(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(15, 11.5), constrained_layout=True)
    gs = fig.add_gridspec(
        4, 3, height_ratios=[1.5, 1.05, 0.72, 0.72], width_ratios=[1.25, 1.05, 0.85]
    )
    n_act = data.get("active_n", 0)
    act1 = data.get("active1", np.ones(len(data["maps1"])))
    act2 = data.get("active2", np.ones(len(data["maps2"])))

    # summary table: the rows of net.summary(), in columns
    ax = fig.add_subplot(gs[0, 0])
    ax.axis("off")
    rows, foot = _summary_rows(data["summary"])
    head = [
        tr(lang, "layer", "capa"),
        tr(lang, "output shape", "forma de salida"),
        tr(lang, "params", "parámetros"),
    ]
    w0 = max(len(r[0]) for r in rows + [head]) + 2
    w1 = max(len(r[1]) for r in rows + [head]) + 2
    w2 = max(len(r[2]) for r in rows + [head])
    rule = "-" * (w0 + w1 + w2)
    text = "\n".join([f"{r[0]:<{w0}}{r[1]:<{w1}}{r[2]:>{w2}}" for r in [head] + rows])
    text = text.replace("\n", "\n" + rule + "\n", 1) + "\n" + rule + "\n" + "\n".join(foot[:1])
    ax.text(0.0, 1.0, text, family="monospace", fontsize=11, va="top", transform=ax.transAxes)
    ax.set_title(
        tr(
            lang,
            "net.summary() (channels first; batch axis None)",
            "net.summary() (canales primero; eje de lote None)",
        ),
        fontsize=11,
    )

    # training: test accuracy per epoch above the minibatch loss, sharing the epoch axis
    sub = gs[0, 1].subgridspec(2, 1, height_ratios=[1, 2.1])
    axa = fig.add_subplot(sub[0])
    ax = fig.add_subplot(sub[1], sharex=axa)
    ep = np.arange(1, len(data["val_accuracy"]) + 1)
    acc = 100 * np.asarray(data["val_accuracy"])
    axa.plot(ep, acc, "o-", color="C3")
    for e, a in zip(ep, acc):
        axa.annotate(
            f"{a:.2f} %",
            (e, a),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            va="bottom",
            color="C3",
            fontsize=10,
        )
    lo = min(90.0, 2 * np.floor(acc.min() / 2))
    axa.set_ylim(lo, 100)
    axa.set_ylabel(tr(lang, "test acc. (%)", "exact. test (%)"), color="C3")
    axa.tick_params(labelbottom=False)
    axa.set_title(
        tr(
            lang,
            f"MNIST: {data['n_train']:,} images, SGD + momentum, batch 64\n"
            f"test accuracy on {data['n_val']:,} test images after each epoch",
            f"MNIST: {data['n_train']:_} imágenes, SGD + momento, lote 64\n"
            f"exactitud en {data['n_val']:_} imágenes de test tras cada "
            "época".replace("_", " "),
        ),
        fontsize=11,
    )
    loss = data["batch_loss"]
    k = max(1, len(loss) // 60)
    smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
    steps = np.arange(1, len(loss) + 1) / data["batches_per_epoch"]
    ax.plot(steps, loss, color="0.75", lw=0.6, label=tr(lang, "minibatch loss", "pérdida por lote"))
    ax.plot(
        steps[k - 1 :],
        smooth,
        color="C0",
        lw=1.6,
        label=tr(lang, f"moving mean ({k} batches)", f"media móvil ({k} lotes)"),
    )
    ax.set_xlabel(tr(lang, "epoch", "época"))
    ax.set_ylabel(tr(lang, "cross-entropy", "entropía cruzada"))
    ax.set_yscale("log")
    ax.set_xlim(0, len(ep) + 0.15)
    ax.set_xticks(np.arange(0, len(ep) + 1))
    ax.legend(loc="lower left", fontsize=9)

    # learned filters (each of the first layer's six 3x3 kernels on one colour scale)
    f = data["filters"]
    fmax = float(np.abs(f).max())
    sub = gs[0, 2].subgridspec(2, 3)
    for i in range(min(6, f.shape[0])):
        ax = fig.add_subplot(sub[i // 3, i % 3])
        ax.imshow(f[i], cmap="RdBu_r", vmin=-fmax, vmax=fmax)
        dead = act1[i] < DEAD_ACTIVE
        ax.set_title(
            tr(lang, f"filter {i + 1}", f"filtro {i + 1}")
            + (tr(lang, " (nearly dead)", " (casi muerto)") if dead else ""),
            fontsize=10,
            color="#d62728" if dead else "black",
        )
        ax.axis("off")

    # the digit and its first-layer feature maps (each map scaled to its own maximum)
    m1 = data["maps1"]
    sub = gs[1, :].subgridspec(1, 7)
    ax = fig.add_subplot(sub[0, 0])
    ax.imshow(data["digit"], cmap="Greys")
    ax.set_title(
        tr(
            lang,
            f"test digit: label {data['label']},\npredicted {data['prediction']}",
            f"dígito de test: etiqueta {data['label']},\npredicho {data['prediction']}",
        ),
        fontsize=10,
    )
    ax.axis("off")
    for i in range(min(6, len(m1))):
        ax = fig.add_subplot(sub[0, i + 1])
        ax.imshow(m1[i], cmap="magma", vmin=0, vmax=max(float(m1[i].max()), 1e-12))
        title, col = _activity_title(lang, 1, i, act1[i], float(m1[i].max()))
        ax.set_title(title, fontsize=9.5, color=col)
        ax.axis("off")
    m2 = data["maps2"]
    for r in range(2):
        sub = gs[2 + r, :].subgridspec(1, 8)
        for c in range(8):
            i = 8 * r + c
            if i >= len(m2):
                break
            ax = fig.add_subplot(sub[0, c])
            ax.imshow(m2[i], cmap="magma", vmin=0, vmax=max(float(m2[i].max()), 1e-12))
            title, col = _activity_title(lang, 2, i, act2[i], float(m2[i].max()))
            ax.set_title(title, fontsize=9, color=col)
            ax.axis("off")
    note = tr(
        lang,
        f"Feature maps after ReLU of the digit above (conv 1: 26x26, conv 2: 11x11), "
        f"each scaled to its own maximum (max: its value on this digit).\n% active: "
        f"share of positions where ReLU > 0 over {n_act:,} test digits; a nearly dead "
        f"filter's pre-activation is negative almost everywhere, so its map stays black.",
        f"Mapas tras la ReLU del dígito de arriba (conv 1: 26x26, conv 2: 11x11), cada uno "
        f"escalado a su máximo (máx.: su valor en este dígito).\n% activo: fracción de "
        f"posiciones con ReLU > 0 en {n_act:_} dígitos de test".replace("_", " ")
        + "; la preactivación de un "
        "filtro casi muerto es negativa casi en todas partes: su mapa queda negro.",
    )
    fig.supxlabel(note, fontsize=10)
    set_title(
        fig,
        tr(
            lang,
            "The slides' LeNet trained by numbanet: learned filters and feature maps",
            "La LeNet de las diapositivas entrenada con numbanet: filtros y mapas de "
            "características",
        ),
        fontsize=13,
    )
    return fig
