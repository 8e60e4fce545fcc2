r"""The computational graph of a ``Sequential`` (FF deck 002, "Grafo computacional").

``computational-graph``
    The deck's PyTorch MLP (``Linear - ReLU - Linear - ReLU - Linear``, then ``log_softmax`` and
    the negative log-likelihood) as numbanet builds it: the forward graph (parameters, operations,
    values) and, below it, the backward graph that backpropagation walks from the cost to every
    parameter's gradient.

``graph_of(net, loss)`` reads the structure off a model's layers (their parameters and the
shapes the model infers) and returns plain data; ``draw_graph`` draws it with matplotlib alone
(boxes and arrows: no Graphviz or other system program). ``Sequential.graph()`` does both.

The notation is the slides': a layer with parameters computes
:math:`z^{l} = W^{l} a^{l-1} + b^{l}` (the l-th such layer), an activation
:math:`a^{l} = \sigma(z^{l})`, and backpropagation carries
:math:`\delta^{l} = \partial C / \partial z^{l}` and :math:`\partial C / \partial a^{l}` back:

.. math:: \frac{\partial C}{\partial a^{l-1}} = (W^{l})^\top \delta^{l},\qquad
          \delta^{l} = \frac{\partial C}{\partial a^{l}} \odot \sigma'(z^{l}),\qquad
          \frac{\partial C}{\partial W^{l}} = \delta^{l} (a^{l-1})^\top,\qquad
          \frac{\partial C}{\partial b^{l}} = \delta^{l}.

Each backward operation reads what its forward twin kept (the layer's input, the weights, the
pre-activation): those reads are drawn as dotted edges.
"""

from __future__ import annotations

from ._style import set_title, tr

#: node kind -> (face colour, edge colour)
KIND_COLOURS = {
    "input": ("#dbe9f6", "#1f77b4"),
    "value": ("#dbe9f6", "#1f77b4"),
    "param": ("#ffe8cc", "#ff7f0e"),
    "op": ("#eeeeee", "#555555"),
    "loss": ("#fadbd8", "#d62728"),
    "grad": ("#e9dff3", "#9467bd"),
    "bop": ("#f5f5f5", "#9467bd"),
    "pgrad": ("#dff3df", "#2ca02c"),
}

#: edge kind -> (colour, line style)
EDGE_STYLES = {
    "forward": ("#333333", "-"),
    "backward": ("#9467bd", "-"),
    "saved": ("#999999", ":"),
}


def _shape_text(shape):
    return "(n, " + ", ".join("?" if s is None else str(s) for s in shape) + ")"


def graph_of(net, loss="cross_entropy"):
    """The forward and backward computational graph of ``net``, as plain data.

    Parameters
    ----------
    net : Sequential
        Its input shape must be known (``input_shape=`` or a first ``Dense``).
    loss : str or None
        The cost at the end (a node C); None stops the graph at the output.

    Returns
    -------
    dict
        ``nodes``: list of dicts ``{id, kind, label, col, row, shape}`` (kinds: input, value,
        param, op, loss for the forward graph; grad, bop, pgrad for the backward one);
        ``edges``: list of ``(source id, target id, kind)`` with kind ``forward``, ``backward``
        or ``saved`` (a backward operation reading what the forward pass kept);
        ``n_cols``; ``layers``: the layers' reprs.
    """
    from ..errors import ValidationError
    from ..nn.activations import Activation

    if net.input_shape is None:
        raise ValidationError(
            "graph() needs the model's input shape: build it with input_shape=... (or run it once)"
        )
    shapes = net.layer_output_shapes()
    nodes, edges = [], []

    def node(nid, kind, label, col, row, shape=None):
        nodes.append(dict(id=nid, kind=kind, label=label, col=col, row=row, shape=shape))
        return nid

    # rows: 3 parameters, 2 forward, 1 backward (gradients of values, backward ops), 0 gradients
    # of parameters
    prev = node("a0", "input", "$x = a^{0}$", 0, 2, _shape_text(net.input_shape))
    prev_grad = None
    l = 0  # noqa: E741 - the slides' layer index
    tag = {}  # value id -> its name in the slides' notation (without $)
    tag["a0"] = "a^{0}"
    col = 0
    steps = []
    for i, layer in enumerate(net.layers):
        params = [spec[0] for spec in layer._specs]
        kind_name = type(layer).__name__
        col += 1
        op = f"op{i}"
        if params:
            l += 1  # noqa: E741
            name = f"z^{{{l}}}"
            label = kind_name
            node(op, "op", label, col, 2)
            for j, p in enumerate(params):
                pid = f"p{i}_{p}"
                node(pid, "param", f"${p}^{{{l}}}$", col + (j - (len(params) - 1) / 2) * 0.9, 3)
                edges.append((pid, op, "forward"))
        else:
            base = f"a^{{{l}}}" if isinstance(layer, Activation) else f"h^{{{l}}}"
            name = base
            k = 1
            while name in tag.values():
                name = base + "'" * k
                k += 1
            node(op, "op", kind_name, col, 2)
            params = []
        edges.append((prev, op, "forward"))
        col += 1
        out = f"v{i}"
        node(out, "value", f"${name}$", col, 2, _shape_text(shapes[i]))
        tag[out] = name
        edges.append((op, out, "forward"))
        steps.append((i, layer, prev, op, out, params, l))
        prev = out
    if loss is not None:
        col += 1
        node("lossop", "op", str(loss), col, 2)
        edges.append((prev, "lossop", "forward"))
        node("y", "input", "$y$", col, 3)
        edges.append(("y", "lossop", "forward"))
        col += 1
        node("C", "loss", "$C$", col, 2)
        edges.append(("lossop", "C", "forward"))
        prev_grad = node("g_out", "grad", _grad_label(tag[prev], True), col - 1, 1)
        edges.append(("C", "g_out", "backward"))
        edges.append((prev, "g_out", "saved"))
    else:
        prev_grad = node("g_out", "grad", _grad_label(tag[prev], True), col, 1)
    # backward: walk the layers in reverse, from the gradient of each output to that of its input
    for i, layer, inp, op, _out, params, li in reversed(steps):
        bop = f"b{i}"
        node(bop, "bop", type(layer).__name__, _col(nodes, op), 1)
        edges.append((prev_grad, bop, "backward"))
        edges.append((inp, bop, "saved"))  # the layer's input a^{l-1} (or z for an activation)
        for p in params:
            edges.append((f"p{i}_{p}", bop, "saved"))
            gid = f"g{i}_{p}"
            node(
                gid,
                "pgrad",
                f"$\\partial C/\\partial {p}^{{{li}}}$",
                _col(nodes, f"p{i}_{p}"),
                0,
            )
            edges.append((bop, gid, "backward"))
        if i == 0:
            break  # the input's gradient is not needed for training
        gid = f"gv{i}"
        node(gid, "grad", _grad_label(tag[inp]), _col(nodes, inp), 1)
        edges.append((bop, gid, "backward"))
        prev_grad = gid
    return {
        "nodes": nodes,
        "edges": edges,
        "n_cols": col + 1,
        "layers": [repr(layer) for layer in net.layers],
        "loss": None if loss is None else str(loss),
    }


def _grad_label(name, spell_out=False):
    """The gradient of value ``name`` (e.g. ``z^{2}``): delta^{2} for a pre-activation (with
    its definition when ``spell_out``), dC/d name otherwise."""
    if name.startswith("z^{") and "'" not in name:
        delta = f"\\delta^{{{name[3:-1]}}}"
        return f"${delta} = \\partial C/\\partial {name}$" if spell_out else f"${delta}$"
    return f"$\\partial C/\\partial {name}$"


def _col(nodes, nid):
    for n in nodes:
        if n["id"] == nid:
            return n["col"]
    raise KeyError(nid)


#: how the loss node reads, in English and Spanish
_LOSS_NAMES = {
    "cross_entropy": ("cross-entropy\n(log-softmax)", "entropía cruzada\n(log-softmax)"),
    "mse": ("squared error", "error cuadrático"),
}


def draw_graph(data, lang="en", ax=None):
    """Draw a ``graph_of`` result: boxes coloured by kind, forward edges black, backward edges
    purple, dotted edges for what the backward pass reads from the forward one. Returns the
    figure."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n_cols = data["n_cols"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(8.0, 1.25 * n_cols), 6.4), constrained_layout=True)
    else:
        fig = ax.figure
    pos = {n["id"]: (n["col"], n["row"] * 1.25) for n in data["nodes"]}
    boxes = {}
    for n in data["nodes"]:
        face, edge = KIND_COLOURS[n["kind"]]
        label = n["label"]
        if n["kind"] == "bop":
            label = tr(lang, f"{label}\nbackward", f"{label}\nhacia atrás")
        elif n["id"] == "lossop":
            label = _LOSS_NAMES.get(label, (label, label))[lang == "es"]
        style = "round,pad=0.35" if n["kind"] in ("op", "bop") else "square,pad=0.35"
        t = ax.text(
            *pos[n["id"]],
            label,
            ha="center",
            va="center",
            fontsize=10,
            zorder=3,
            bbox=dict(boxstyle=style, fc=face, ec=edge, lw=1.4),
        )
        boxes[n["id"]] = t
        if n.get("shape"):
            ax.text(
                pos[n["id"]][0],
                pos[n["id"]][1] + 0.36,
                n["shape"],
                ha="center",
                va="bottom",
                fontsize=7.5,
                color="#555555",
                zorder=3,
            )
    for src, dst, kind in data["edges"]:
        colour, ls = EDGE_STYLES[kind]
        ax.annotate(
            "",
            xy=pos[dst],
            xytext=pos[src],
            arrowprops=dict(
                arrowstyle="-|>",
                color=colour,
                ls=ls,
                lw=1.0 if kind == "saved" else 1.4,
                patchA=boxes[src],
                patchB=boxes[dst],
                shrinkA=2,
                shrinkB=2,
                connectionstyle="arc3,rad=0.0" if kind != "saved" else "arc3,rad=0.12",
            ),
            zorder=2,
        )
    ax.set_xlim(-0.7, n_cols - 0.3)
    ax.set_ylim(-0.7, 4.5)
    ax.axis("off")
    for y, text in (
        (3 * 1.25, tr(lang, "parameters", "parámetros")),
        (2 * 1.25, tr(lang, "forward", "hacia adelante")),
        (1 * 1.25, tr(lang, "backward", "hacia atrás")),
        (0, tr(lang, "gradients", "gradientes")),
    ):
        ax.text(-0.65, y, text, rotation=90, ha="center", va="center", fontsize=9, color="#555555")
    kinds = (
        ("param", "parameter", "parámetro"),
        ("op", "operation", "operación"),
        ("value", "value (shape)", "valor (forma)"),
        ("grad", "delta: gradient of a value", "delta: gradiente de un valor"),
        ("pgrad", "gradient of a parameter", "gradiente de un parámetro"),
    )
    handles = [
        *(
            Patch(fc=KIND_COLOURS[k][0], ec=KIND_COLOURS[k][1], label=tr(lang, en, es))
            for k, en, es in kinds
        ),
        Line2D(
            [],
            [],
            color=EDGE_STYLES["forward"][0],
            label=tr(lang, "forward pass", "pasada hacia adelante"),
        ),
        Line2D(
            [],
            [],
            color=EDGE_STYLES["backward"][0],
            label=tr(lang, "backpropagation", "retropropagación"),
        ),
        Line2D(
            [],
            [],
            color=EDGE_STYLES["saved"][0],
            ls=":",
            label=tr(lang, "read from the forward pass", "leído de la pasada hacia adelante"),
        ),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=4,
        fontsize=8.5,
        frameon=False,
    )
    return fig


# =========================================================================== computational-graph
#: The deck's MLP (FF deck 002, the PyTorch listing before "Grafo computacional"): num_features,
#: num_hidden_1, num_hidden_2, num_classes, for MNIST.
DECK_MLP = (784, 128, 256, 10)


def compute_computational_graph(seed=0, backend="cpu", budget="reduced"):
    """The graph of the deck's MLP ``Linear - ReLU - Linear - ReLU - Linear`` with the
    cross-entropy of its log-softmax, built as a numbanet ``Sequential`` (``DECK_MLP`` sizes);
    the same for every budget (nothing is trained)."""
    from ..nn import Dense, ReLU, Sequential

    d, h1, h2, k = DECK_MLP
    net = Sequential(
        [Dense(d, h1), ReLU(), Dense(h1, h2), ReLU(), Dense(h2, k)], backend=backend, seed=seed
    )
    out = graph_of(net, "cross_entropy")
    out["n_params"] = net.n_params()
    out["sizes"] = list(DECK_MLP)
    out["budget"] = budget
    return out


def draw_computational_graph(data, lang="en"):
    fig = draw_graph(data, lang)
    d, h1, h2, k = data["sizes"]
    set_title(
        fig,
        tr(
            lang,
            f"Computational graph of the {d}-{h1}-{h2}-{k} ReLU MLP: forward and backward",
            f"Grafo computacional del MLP ReLU {d}-{h1}-{h2}-{k}: hacia adelante y hacia atrás",
        ),
    )
    return fig
