"""Figures of convolution and recurrence (NN and DL decks).

``conv-example``
    The slide's 6x6 input cross-correlated with the 3x3 vertical-edge filter by numbanet's
    ``Conv2D``: padding valid, same and full, and stride 2, every number printed in its cell.
``pooling``
    Max, average and global pooling of a small example by the engine's pooling layers.
``lenet``
    The slides' Keras LeNet: summary table, MNIST training curve, learned first-layer filters and
    the feature maps of one digit.
``rnn-lstm``
    A simple RNN against an LSTM on a task with a long dependency, the gradient's norm through
    time, orthogonal vs random recurrent initialisation, and a bidirectional RNN labelling every
    step of a synthetic ECG-like signal.

``compute_*`` functions run the engine and return plain data; ``draw_*`` only draw.
"""

from __future__ import annotations

import numpy as np

from ._b_common import tr

#: The slide's 6x6 input and 3x3 vertical-edge filter (rows 1, 0, -1).
SLIDE_INPUT = np.array(
    [
        [3, 1, 0, 2, 1, 0],
        [2, 0, 1, 3, 2, 1],
        [0, 1, 2, 1, 0, 3],
        [4, 0, 3, 2, 2, 1],
        [1, 1, 0, 1, 0, 1],
        [3, 2, 1, 0, 2, 1],
    ],
    dtype=np.float64,
)
SLIDE_FILTER = np.array([[1, 0, -1]] * 3, dtype=np.float64)
SLIDE_VALID = [[2, -4, 0, 2], [0, -5, 2, 1], [0, -2, 3, -1], [4, 0, 0, 0]]


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


def _grid(ax, a, title, cmap="RdBu_r", vmax=None, vmin=None, pad=0, fmt="{:.0f}", box=None,
          fontsize=None):  # fmt: skip
    """A matrix as coloured cells with its numbers printed.

    ``pad`` > 0 outlines the inner block that the valid output occupies; ``box`` fixes the axes to
    a box x box canvas (matrix centred) so that cells have the same size in every panel."""
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
            ax.text(j, i, fmt.format(v + 0.0), ha="center", va="center", fontsize=fs,
                    color="white" if dark else "black")  # fmt: skip
    for k in range(n + 1):
        ax.plot([-0.5, m - 0.5], [k - 0.5, k - 0.5], color="0.3", lw=0.6)
    for k in range(m + 1):
        ax.plot([k - 0.5, k - 0.5], [-0.5, n - 0.5], color="0.3", lw=0.6)
    if pad:
        ax.add_patch(Rectangle((pad - 0.5, pad - 0.5), m - 2 * pad, n - 2 * pad, fill=False,
                               ec="k", lw=2.4))  # fmt: skip
    if box:
        dx, dy = (box - m) / 2, (box - n) / 2
        ax.set_xlim(-0.5 - dx, m - 0.5 + dx)
        ax.set_ylim(n - 0.5 + dy, -0.5 - dy)
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def draw_conv_example(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(14, 7.4), constrained_layout=True)
    gs = fig.add_gridspec(2, 4)
    ax = fig.add_subplot(gs[0, 0])
    _grid(ax, data["input"], tr(lang, "input x (6x6)", "entrada x (6x6)"), cmap="Greys",
          vmin=0, vmax=8, box=8)  # fmt: skip
    ax = fig.add_subplot(gs[0, 1])
    _grid(ax, data["filter"], tr(lang, "vertical-edge filter w (3x3)",
                                 "filtro de bordes verticales w (3x3)"), box=8)  # fmt: skip
    out = data["outputs"]
    vmax = max(float(np.abs(o).max()) for o in out.values())
    titles = {
        "valid": tr(lang, "valid (p = 0): 6 - 3 + 1 = 4", "válido (p = 0): 6 - 3 + 1 = 4"),
        "same": tr(lang, "same (p = 1): 6 - 3 + 1 + 2 = 6", "igual (p = 1): 6 - 3 + 1 + 2 = 6"),
        "full": tr(lang, "full (p = 2): 6 - 3 + 1 + 4 = 8", "completo (p = 2): 6 - 3 + 1 + 4 = 8"),
        "valid, stride 2": tr(
            lang, "valid, stride 2: floor(3/2) + 1 = 2", "válido, paso 2: floor(3/2) + 1 = 2"
        ),  # fmt: skip
        "same, stride 2": tr(
            lang, "same, stride 2: floor(5/2) + 1 = 3", "igual, paso 2: floor(5/2) + 1 = 3"
        ),  # fmt: skip
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
            _grid(fig.add_subplot(slot), out[name], titles[name], vmax=vmax,
                  pad=inner.get(name, 0), box=8)  # fmt: skip
    fig.suptitle(tr(lang, "Cross-correlation by numbanet's Conv2D: the slide's example "
                          "(out = floor((n + 2p - f) / s) + 1)",
                    "Correlación cruzada con Conv2D de numbanet: el ejemplo de la diapositiva "
                    "(salida = floor((n + 2p - f) / s) + 1)")
                 + tr(lang, "\nthick outline: the valid 4x4 output inside the padded ones",
                      "\nrecuadro grueso: la salida válida 4x4 dentro de las rellenadas"))  # fmt: skip
    return fig
