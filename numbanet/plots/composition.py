r"""Figures of composing networks (UDL deck 000, "Componer dos redes"; FF deck 002).

Every count printed on these figures is computed, never typed: the networks are the slides' own
(``numbanet.experiments.udl``: real ``Sequential`` models, or ``(W, b, act)`` lists for the
hand-set nets), their linear pieces are traced exactly by
:func:`numbanet.theory.regions.count_1d` and their 2-D partitions by
:func:`numbanet.theory.regions.count_2d`.

* ``compose-1d``: the slides' net1 and net2 (1-3-1 ReLU nets) and net2(net1(x)): 3, 4 and 12 pieces.
* ``folding``: net1 folds [-1, 1] onto itself three times, so net1(net1(x)) has 3 x 3 = 9 pieces
  and net2(net1(net1(x))) 36.
* ``compose-vs-shallow``: the 12-piece composition (2 x 3 hidden units) beside a shallow net with
  the same 6 hidden units trained to imitate it: at most 6 + 1 = 7 pieces, whatever its weights.
* ``compose-2d``: a 2-input shallow net feeding net2, the exact regions of both.
* ``deep-as-clipping``: the 1-3-3-1 net of UDL fig. 4.3 dissected unit by unit.

Size: over 600 lines on purpose: the composition figures share their exact region-counting and
polygon-drawing helpers.
"""

from __future__ import annotations

import numpy as np

from ._style import by_budget, set_title, tr

# ------------------------------------------------------------------------------ shared helpers


def _nets():
    from ..experiments.udl import udl_nets

    return udl_nets(backend="reference")


def _curve(net, a, b, n=801):
    """x grid, the net's output on it, and the exact count (Segment1D) on [a, b]."""
    from ..theory import regions as R

    x = np.linspace(a, b, n)
    y = R.forward(net, x[:, None])[:, 0]
    seg = R.count_1d(net, a, b)
    return {
        "x": x,
        "y": y,
        "pieces": int(seg.pieces),
        "regions": int(seg.regions),
        "breaks": seg.piece_x[:, 0].copy(),
    }


#: grid points of :func:`grid_pieces`
GRID_N = 200_001


def grid_pieces(net, a, b, n=GRID_N, rtol=1e-6):
    """Linear pieces of a 1-D net on [a, b] counted on a fine grid, independently of count_1d.

    The engine's ``predict`` is evaluated on ``n`` points; a kink changes the slope of the grid
    interval holding it and of the next, so each run of slope changes larger than ``rtol``
    (relative to the largest slope) is one breakpoint. Kinks closer than two grid steps
    (``2 (b - a) / (n - 1)``) would merge.
    """
    x = np.linspace(a, b, n)
    y = np.asarray(net.predict(x[:, None]), dtype=np.float64)[:, 0]
    slope = np.diff(y) / np.diff(x)
    change = np.abs(np.diff(slope)) > rtol * max(1.0, float(np.abs(slope).max()))
    runs = int(np.count_nonzero(change[1:] & ~change[:-1]) + (1 if change[:1].any() else 0))
    return runs + 1


def _plot_curve(ax, c, color="C0", label=None, lw=2.0):
    ax.plot(c["x"], c["y"], color=color, lw=lw, label=label)
    if len(c["breaks"]):  # the breakpoints count_1d found
        yb = np.interp(c["breaks"], c["x"], c["y"])
        ax.plot(c["breaks"], yb, "o", color=color, ms=3.5, mfc="white", mew=1.2)


def _pieces_title(lang, what, n):
    return f"{what}: " + tr(lang, f"{n} linear pieces", f"{n} tramos lineales")


# ---------------------------------------------------------------------------------- compose-1d
def compute_compose_1d(seed=0, backend="cpu", budget="reduced"):
    nets = _nets()
    return {
        "net1": _curve(nets["net1"], -1.0, 1.0),
        "net2": _curve(nets["net2"], -1.0, 1.0),
        "net2(net1)": _curve(nets["net2(net1)"], -1.0, 1.0),
    }


def draw_compose_1d(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12.5, 3.9))
    spec = [
        ("net1", "y = net1(x)", "x", "y", "C0"),
        ("net2", "y' = net2(y)", "y", "y'", "C1"),
        ("net2(net1)", "y' = net2(net1(x))", "x", "y'", "C2"),
    ]
    for ax, (key, title, xl, yl, col) in zip(axes, spec):
        c = data[key]
        _plot_curve(ax, c, col)
        ax.set_title(_pieces_title(lang, title, c["pieces"]))
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_xlim(-1, 1)
    prod = f"{data['net1']['pieces']} x {data['net2']['pieces']} = {data['net2(net1)']['pieces']}"
    set_title(
        fig,
        tr(
            lang,
            f"Composing two 1-3-1 ReLU networks: the pieces multiply ({prod}), counted "
            "exactly (open dots: breakpoints)",
            f"Componer dos redes ReLU 1-3-1: los tramos se multiplican ({prod}), "
            "contados exactamente (puntos: cambios de tramo)",
        ),
    )
    return fig


# ------------------------------------------------------------------------------------- folding
def compute_folding(seed=0, backend="cpu", budget="reduced"):
    from ..theory import regions as R

    nets = _nets()
    out = {k: _curve(nets[k], -1.0, 1.0) for k in ("net1", "net1(net1)", "net2(net1(net1))")}
    out["net2_pieces"] = int(R.count_1d(nets["net2"], -1.0, 1.0).pieces)
    # the folds: the x-intervals on which net1 is monotone, and the range each is mapped onto
    seg = R.count_1d(nets["net1"], -1.0, 1.0)
    edges = np.concatenate([[-1.0], seg.piece_x[:, 0], [1.0]])
    vals = R.forward(nets["net1"], edges[:, None])[:, 0]
    out["folds"] = [
        (float(edges[i]), float(edges[i + 1]), float(vals[i]), float(vals[i + 1]))
        for i in range(len(edges) - 1)
    ]
    return out


def draw_folding(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13, 8.2))
    gs = fig.add_gridspec(2, 2, height_ratios=[1, 1.05])
    axes = [fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1]), fig.add_subplot(gs[1, :])]
    ax = axes[0]
    c = data["net1"]
    n = len(data["folds"])
    for i, (x0, x1, y0, y1) in enumerate(data["folds"]):
        m = (c["x"] >= x0) & (c["x"] <= x1)
        ax.plot(c["x"][m], c["y"][m], color=f"C{i}", lw=2.6)
        ax.axvspan(x0, x1, color=f"C{i}", alpha=0.08)
        # each fold's range as an arrow, in a strip right of x = 1 that the curve never enters
        xa = 1.1 + 0.1 * i
        ax.annotate(
            "",
            xy=(xa, y1),
            xytext=(xa, y0),
            arrowprops=dict(arrowstyle="->", color=f"C{i}", lw=1.8),
        )
    ax.axvline(1.0, color="0.5", lw=0.8)
    ax.set_xlim(-1, 1.1 + 0.1 * n)
    ax.set_title(
        tr(
            lang,
            f"net1: {n} folds of [-1, 1]\n(arrows: the range each fold covers)",
            f"net1: {n} pliegues de [-1, 1]\n(flechas: el rango que cubre cada pliegue)",
        )
    )
    ax.set_xlabel("x")
    ax.set_ylabel("y = net1(x)")
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    for ax, key, title, col in (
        (axes[1], "net1(net1)", "net1(net1(x))", "C4"),
        (axes[2], "net2(net1(net1))", "net2(net1(net1(x)))", "C2"),
    ):
        c = data[key]
        for i, (x0, x1, _, _) in enumerate(data["folds"]):
            ax.axvspan(x0, x1, color=f"C{i}", alpha=0.06)
        _plot_curve(ax, c, col, lw=1.6)
        ax.set_title(_pieces_title(lang, title, c["pieces"]))
        ax.set_xlabel("x")
        ax.set_xlim(-1, 1)
        ax.set_xticks(np.linspace(-1, 1, 9 if ax is axes[2] else 5))
    p1, p11, p2 = data["net1"]["pieces"], data["net1(net1)"]["pieces"], data["net2_pieces"]
    prod = f"{p1} x {p1} = {p11}, {p11} x {p2} = {data['net2(net1(net1))']['pieces']}"
    set_title(
        fig,
        tr(
            lang,
            f"Folding: each fold of net1 repeats the next stage, so the pieces multiply ({prod})",
            f"Plegado: cada pliegue de net1 repite la etapa siguiente y los tramos se "
            f"multiplican ({prod})",
        ),
        details=[
            tr(
                lang,
                "shading: the folds of net1; open dots: breakpoints, counted exactly",
                "sombreado: los pliegues de net1; puntos: cambios de tramo, contados exactamente",
            )
        ],
    )
    return fig


# -------------------------------------------------------------------------- compose-vs-shallow
def compute_compose_vs_shallow(seed=0, backend="cpu", budget="reduced"):
    """The 12-piece composition and the best of several shallow 1-6-1 nets trained to imitate it
    (``experiments.udl.fit_shallow``), both counted exactly and on a fine grid."""
    from ..experiments.udl import fit_shallow
    from ..theory import regions as R

    nets = _nets()
    deep = _curve(nets["net2(net1)"], -1.0, 1.0)
    restarts, epochs = by_budget(budget, tiny=(1, 20), reduced=(4, 1500), full=(16, 6000))
    fit = fit_shallow(
        nets["net2(net1)"], hidden=6, restarts=restarts, epochs=epochs, seed=seed, backend=backend
    )
    net, mse = fit["net"], fit["mse"]
    shallow = _curve(net, -1.0, 1.0)
    # an independent check of the exact counts: slope changes of the engine's output on a grid
    deep["grid_pieces"] = grid_pieces(nets["net2(net1)"], -1.0, 1.0)
    shallow["grid_pieces"] = grid_pieces(net, -1.0, 1.0)
    gaps = np.diff(shallow["breaks"])
    k = int(np.argmin(gaps)) if len(gaps) else None
    closest = None
    if k is not None:  # the shortest piece: ringed and stated when too short to see
        closest = (float(shallow["breaks"][k]), float(shallow["breaks"][k + 1]))
    return {
        "deep": deep,
        "shallow": shallow,
        "mse": mse,
        "restarts": restarts,
        "epochs": epochs,
        "bound": R.zaslavsky(1, 6),
        "reduced": budget != "full",
        "closest": closest,
    }


#: breakpoints closer than this (in x, on [-1, 1]) are invisible at the figure's scale: the piece
#: between them is ringed and its width stated in one line (a zoom panel on a piece a few
#: ten-thousandths wide showed nothing about deep against shallow, only that the piece exists)
ZOOM_GAP = 0.02


def draw_compose_vs_shallow(data, lang="en"):
    import matplotlib.pyplot as plt

    d, s = data["deep"], data["shallow"]
    close = data["closest"]
    tiny_piece = close is not None and close[1] - close[0] < ZOOM_GAP
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    _plot_curve(axes[0], d, "C2")
    axes[0].set_title(
        tr(
            lang,
            f"deep: net2(net1(x)), 3 + 3 hidden units\n{d['pieces']} linear pieces",
            f"profunda: net2(net1(x)), 3 + 3 unidades ocultas\n{d['pieces']} tramos lineales",
        )
    )
    axes[1].plot(
        d["x"],
        d["y"],
        color="C2",
        lw=1.2,
        alpha=0.45,
        label=tr(lang, "target: the deep net", "objetivo: la red profunda"),
    )
    _plot_curve(
        axes[1],
        s,
        "C3",
        label=tr(
            lang, "shallow 1-6-1 net, trained (Adam)", "red superficial 1-6-1 entrenada (Adam)"
        ),
    )
    axes[1].set_title(
        tr(
            lang,
            f"shallow, 6 hidden units\n{s['pieces']} linear pieces (at most {data['bound']})",
            f"superficial, 6 unidades ocultas\n{s['pieces']} tramos lineales "
            f"(como mucho {data['bound']})",
        )
    )
    legend_title = f"MSE = {data['mse']:.3g}"
    if tiny_piece:  # ring the piece too short to see, and say how short it is
        c0, c1 = close
        w = c1 - c0
        ym = float(np.interp(c0, s["x"], s["y"]))
        axes[1].plot([c0], [ym], "o", ms=13, mfc="none", mec="0.25", mew=1.0)
        legend_title += tr(
            lang,
            f"; circled: a piece {w:.1g} wide (x = {c0:.3f})",
            f"; en el círculo: tramo de {w:.1g} (x = {c0:.3f})",
        )
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, title=legend_title)
    for ax in axes:
        ax.set_xlabel("x")
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    axes[0].set_ylabel("y")
    note = tr(
        lang,
        f"best of {data['restarts']} restarts x {data['epochs']} full-batch epochs; pieces counted "
        f"exactly (open dots: breakpoints), checked on a {GRID_N:,}-point grid",
        f"mejor de {data['restarts']} inicios x {data['epochs']} épocas de lote completo; tramos "
        f"contados exactamente (puntos: cambios de tramo), comprobados en una malla de "
        f"{GRID_N:,} puntos".replace(f"{GRID_N:,}", f"{GRID_N:,}".replace(",", " ")),
    )
    set_title(
        fig,
        tr(
            lang,
            "Same number of hidden units, deep vs shallow\n",
            "Mismo número de unidades ocultas, profunda frente a superficial\n",
        )
        + note,
    )
    return fig


# ---------------------------------------------------------------------------------- compose-2d
def shared_edges(polygons, labels, tol=1e-9):
    """The segments two convex polygons share (positive length), split by whether the two sides
    belong to different linear pieces (``"piece"``) or to one piece (``"region"``: a boundary
    between activation regions across which the output's affine map does not change)."""
    out = {"piece": [], "region": []}
    edges = [[(p[i], p[(i + 1) % len(p)]) for i in range(len(p))] for p in polygons]
    for a in range(len(polygons)):
        for b in range(a + 1, len(polygons)):
            for p0, p1 in edges[a]:
                d = p1 - p0
                L = float(np.hypot(*d))
                if L <= tol:
                    continue
                u = d / L
                for q0, q1 in edges[b]:
                    # collinear: both ends of q on p's line
                    r0, r1 = q0 - p0, q1 - p0
                    if (
                        abs(u[0] * r0[1] - u[1] * r0[0]) > tol
                        or abs(u[0] * r1[1] - u[1] * r1[0]) > tol
                    ):
                        continue
                    t0, t1 = sorted((float(u @ (q0 - p0)), float(u @ (q1 - p0))))
                    lo, hi = max(0.0, t0), min(L, t1)
                    if hi - lo > tol:
                        kind = "region" if labels[a] == labels[b] else "piece"
                        out[kind].append(np.array([p0 + lo * u, p0 + hi * u]))
    return out


def _partition_data(layers, box, n_grid):
    from ..theory import regions as R

    part = R.count_2d(layers, box)
    gx = np.linspace(box[0], box[1], n_grid)
    gy = np.linspace(box[2], box[3], n_grid)
    X, Y = np.meshgrid(gx, gy)
    Z = R.forward(layers, np.column_stack([X.ravel(), Y.ravel()]))[:, 0].reshape(X.shape)
    polygons = [p.copy() for p in part.polygons]
    return {
        "regions": int(part.regions),
        "pieces": int(part.pieces),
        "polygons": polygons,
        "labels": part.piece_labels.copy(),
        "Z": Z,
        "box": tuple(box),
        "edges": shared_edges(polygons, part.piece_labels),
    }


def compute_compose_2d(seed=0, backend="cpu", budget="reduced"):
    from ..experiments.udl import net2_layers, shallow_2d_layers

    box = (-1.0, 1.0, -1.0, 1.0)
    n = by_budget(budget, tiny=41, reduced=161, full=401)
    shallow = shallow_2d_layers()
    composed = shallow + net2_layers()
    return {
        "shallow": _partition_data(shallow, box, n),
        "net2": _curve(_nets()["net2"], -1.5, 1.5),
        "composed": _partition_data(composed, box, n),
    }


def _draw_partition(ax, d, cmap="viridis"):
    from matplotlib.collections import LineCollection

    x0, x1, y0, y1 = d["box"]
    im = ax.imshow(d["Z"], origin="lower", extent=(x0, x1, y0, y1), cmap=cmap, aspect="equal")
    # piece boundaries solid; region boundaries inside one piece dashed
    ax.add_collection(LineCollection(d["edges"]["piece"], colors="white", linewidths=1.3))
    if d["edges"]["region"]:
        ax.add_collection(
            LineCollection(
                d["edges"]["region"], colors="0.4", linewidths=1.1, linestyles=(0, (3, 2.5))
            )
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    ax.set_yticks([-1, -0.5, 0, 0.5, 1])
    ax.grid(False)
    return im


def _regions_pieces(lang, d):
    return tr(
        lang,
        f"{d['regions']} regions, {d['pieces']} linear pieces",
        f"{d['regions']} regiones, {d['pieces']} tramos lineales",
    )


def draw_compose_2d(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 5.0), width_ratios=[1.15, 1, 1.15])
    s, c = data["shallow"], data["composed"]
    im = _draw_partition(axes[0], s)
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    axes[0].set_title(
        tr(lang, "shallow 2-3-1 net y(x₁, x₂)\n", "red superficial 2-3-1 y(x₁, x₂)\n")
        + _regions_pieces(lang, s)
    )
    _plot_curve(axes[1], data["net2"], "C1")
    lo, hi = float(s["Z"].min()), float(s["Z"].max())
    axes[1].axvspan(
        lo,
        hi,
        color="C0",
        alpha=0.12,
        label=tr(lang, "range of y over the square", "rango de y en el cuadrado"),
    )
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.14))
    axes[1].set_title("y' = net2(y)\n" + _regions_pieces(lang, data["net2"]))
    axes[1].set_xlabel("y")
    axes[1].set_ylabel("y'")
    im = _draw_partition(axes[2], c, cmap="magma")
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    axes[2].set_title("net2(y(x₁, x₂))\n" + _regions_pieces(lang, c))
    set_title(
        fig,
        tr(
            lang,
            "Composition in 2-D: every level set of y where net2 bends becomes a new "
            "boundary (boundaries computed exactly)",
            "Composición en 2-D: cada curva de nivel de y donde net2 se dobla es una nueva "
            "frontera (fronteras calculadas exactamente)",
        ),
    )
    merged = c["regions"] - c["pieces"]
    note = tr(
        lang,
        "Region: the inputs sharing one activation pattern (a convex polygon). Linear piece: "
        "adjacent regions on which the output is one affine function, merged.\nSolid white: "
        "boundaries between pieces; dashed grey: boundaries between regions of one piece "
        f"(here where net2 is flat: {c['regions']} regions make {c['pieces']} pieces, "
        f"{merged} fewer).",
        "Región: las entradas con un mismo patrón de activación (un polígono convexo). Tramo "
        "lineal: regiones adyacentes en las que la salida es una misma función afín, unidas."
        "\nBlanco continuo: fronteras entre tramos; gris discontinuo: fronteras entre regiones de "
        f"un mismo tramo (aquí donde net2 es plana: {c['regions']} regiones forman "
        f"{c['pieces']} tramos, {merged} menos).",
    )
    fig.supxlabel(note, fontsize=9.5)
    return fig


# ---------------------------------------------------------------------------- deep-as-clipping
def compute_deep_as_clipping(seed=0, backend="cpu", budget="reduced"):
    from ..experiments.udl import clipping_layers
    from ..theory import regions as R

    layers = clipping_layers()
    x = np.linspace(0.0, 1.0, 1001)[:-1]  # [0, 1)
    (W1, b1, _), (W2, b2, _), (W3, b3, _) = layers
    h1 = np.maximum(x[:, None] @ W1.T + b1, 0)
    z2 = h1 @ W2.T + b2
    h2 = np.maximum(z2, 0)
    weighted = h2 * W3[0]
    y = R.forward(layers, x[:, None])[:, 0]
    seg = R.count_1d(layers, 0.0, 1.0)
    units = []
    for j in range(3):  # each layer-2 pre-activation is piecewise linear in x: count its pieces
        sub = [layers[0], (W2[j : j + 1], b2[j : j + 1], "identity")]
        units.append(int(R.count_1d(sub, 0.0, 1.0).pieces))
    return {
        "x": x,
        "z2": z2,
        "h2": h2,
        "weighted": weighted,
        "y": y,
        "phi0": float(b3[0]),
        "phi": W3[0].tolist(),
        "pieces": int(seg.pieces),
        "z2_pieces": units,
        "breaks": seg.piece_x[:, 0].copy(),
        "check": float(np.abs(weighted.sum(1) + b3[0] - y).max()),
    }


def draw_deep_as_clipping(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13.5, 7.6))
    gs = fig.add_gridspec(3, 4, width_ratios=[1, 1, 1, 1.5])
    x = data["x"]
    cols = [
        ("z2", tr(lang, "pre-activation $h'_j$", "preactivación $h'_j$")),
        ("h2", tr(lang, "clipped: ReLU$(h'_j)$", "recortada: ReLU$(h'_j)$")),
        (
            "weighted",
            tr(lang, r"weighted: $\phi'_j\,$ReLU$(h'_j)$", r"ponderada: $\phi'_j\,$ReLU$(h'_j)$"),
        ),
    ]
    axes0 = None
    for j in range(3):
        row = []
        for i, (key, label) in enumerate(cols):
            # pre-activation and clipped share the row's y scale, so the clipping is visible
            ax = fig.add_subplot(gs[j, i], sharex=axes0, sharey=row[0] if i == 1 else None)
            axes0 = axes0 or ax
            row.append(ax)
            ax.plot(x, data[key][:, j], color=f"C{j}", lw=1.8)
            ax.axhline(0, color="0.4", lw=0.7)
            if j == 0:
                ax.set_title(label)
            if i == 0:
                ax.set_ylabel(
                    tr(lang, f"unit {j + 1}", f"unidad {j + 1}")
                    + f"\n({data['z2_pieces'][j]} "
                    + tr(lang, "pieces)", "tramos)")
                )
            if key == "weighted":  # the weight in a band above the curve, which no line enters
                lo, hi = ax.get_ylim()
                ax.set_ylim(lo, hi + 0.32 * (hi - lo))
                ax.text(
                    0.98,
                    0.97,
                    rf"$\phi'_{j + 1}$ = {data['phi'][j]:g}",
                    transform=ax.transAxes,
                    ha="right",
                    va="top",
                    fontsize=9.5,
                )
            if j == 2:
                ax.set_xlabel("x")
    ax = fig.add_subplot(gs[:, 3])
    ax.plot(x, data["y"], color="k", lw=2.2)
    yb = np.interp(data["breaks"], x, data["y"])
    ax.plot(data["breaks"], yb, "o", color="k", ms=4, mfc="white")
    ax.set_title(
        tr(
            lang,
            r"output $y = \phi'_0 + \Sigma_j$ (weighted)"
            + f"\n{data['pieces']} linear pieces on [0, 1)",
            r"salida $y = \phi'_0 + \Sigma_j$ (ponderadas)"
            + f"\n{data['pieces']} tramos lineales en [0, 1)",
        )
    )
    ax.set_xlabel("x")
    ax.set_xlim(0, 1)
    set_title(
        fig,
        tr(
            lang,
            "A 1-3-3-1 ReLU network as clipping: each second-layer unit clips a piecewise-"
            "linear function of x, the output adds the clipped pieces",
            "Una red ReLU 1-3-3-1 como recorte: cada unidad de la segunda capa recorta una "
            "función lineal a tramos de x; la salida suma los tramos recortados",
        ),
    )
    return fig
