r"""Figures of depth, composition and linear regions (UDL chapter 4, FF deck).

Every count printed on these figures is computed, never typed: the networks are real
``numbanet.Sequential`` models (or plain ``(W, b, act)`` lists for the hand-built folding nets),
their linear pieces are traced exactly by :func:`numbanet.theory.regions.count_1d` and their 2-D
partitions by :func:`numbanet.theory.regions.count_2d`; the bounds come from the same module.

* ``compose-1d``: the slides' net1 and net2 (1-3-1 ReLU nets) and net2(net1(x)): 3, 4 and 12 pieces.
* ``folding``: net1 folds [-1, 1] onto itself three times, so net1(net1(x)) has 3 x 3 = 9 pieces
  and net2(net1(net1(x))) 36.
* ``compose-vs-shallow``: the 12-piece composition (2 x 3 hidden units) beside a shallow net with
  the same 6 hidden units trained to imitate it: at most 6 + 1 = 7 pieces, whatever its weights.
* ``compose-2d``: a 2-input shallow net feeding net2, the exact regions of both.
* ``deep-as-clipping``: the 1-3-3-1 net of UDL fig. 4.3 dissected unit by unit.
* ``regions-per-parameter``: the maximum number of regions against parameters (UDL fig. 4.7).
* ``regions-depth-width``: exact counts of random and trained nets beside the bounds.
* ``space-folding-2d``: a deep net that folds the square about both axes (Montufar et al. 2014).
"""

from __future__ import annotations

import numpy as np

from ._style import budget_note, tr

# ------------------------------------------------------------------------------ shared helpers


def _nets():
    from ..claims import udl_nets

    return udl_nets(backend="reference")


def _curve(net, a, b, n=801):
    """x grid, the net's output on it, and the exact count (Segment1D) on [a, b]."""
    from ..theory import regions as R

    x = np.linspace(a, b, n)
    y = R.forward(net, x[:, None])[:, 0]
    seg = R.count_1d(net, a, b)
    return {"x": x, "y": y, "pieces": int(seg.pieces), "regions": int(seg.regions),
            "breaks": seg.piece_x[:, 0].copy()}  # fmt: skip


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
    if len(c["breaks"]):
        from ..theory import regions  # noqa: F401  (documentation: breaks come from count_1d)

        yb = np.interp(c["breaks"], c["x"], c["y"])
        ax.plot(c["breaks"], yb, "o", color=color, ms=3.5, mfc="white", mew=1.2)


def _hidden_layers(lang, k):
    """"1 hidden layer" / "2 hidden layers" (and the Spanish forms)."""
    return tr(lang, f"{k} hidden layer" + ("s" if k != 1 else ""),
              f"{k} capa" + ("s ocultas" if k != 1 else " oculta"))  # fmt: skip


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
    fig.suptitle(tr(lang,
                    f"Composing two 1-3-1 ReLU networks: the pieces multiply ({prod}), counted "
                    "exactly (open dots: breakpoints)",
                    f"Componer dos redes ReLU 1-3-1: los tramos se multiplican ({prod}), "
                    "contados exactamente (puntos: cambios de tramo)"))  # fmt: skip
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
    out["folds"] = [(float(edges[i]), float(edges[i + 1]), float(vals[i]), float(vals[i + 1]))
                    for i in range(len(edges) - 1)]  # fmt: skip
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
        ax.annotate("", xy=(xa, y1), xytext=(xa, y0),
                    arrowprops=dict(arrowstyle="->", color=f"C{i}", lw=1.8))  # fmt: skip
    ax.axvline(1.0, color="0.5", lw=0.8)
    ax.set_xlim(-1, 1.1 + 0.1 * n)
    ax.set_title(tr(lang, f"net1: {n} folds of [-1, 1]\n(arrows: the range each fold covers)",
                    f"net1: {n} pliegues de [-1, 1]\n(flechas: el rango que cubre cada pliegue)"))  # fmt: skip
    ax.set_xlabel("x")
    ax.set_ylabel("y = net1(x)")
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    for ax, key, title, col in ((axes[1], "net1(net1)", "net1(net1(x))", "C4"),
                                (axes[2], "net2(net1(net1))", "net2(net1(net1(x)))", "C2")):  # fmt: skip
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
    fig.suptitle(tr(lang,
                    "Folding: every fold of net1 maps its interval over the whole range, so the next "
                    f"stage is repeated in each fold\n({prod}; shading: the folds of "
                    "net1; open dots: breakpoints, counted exactly)",
                    "Plegado: cada pliegue de net1 recorre todo el rango, así la siguiente etapa se "
                    f"repite en cada pliegue\n({prod}; sombreado: los pliegues de net1; "
                    "puntos: cambios de tramo, contados exactamente)"))  # fmt: skip
    return fig


# -------------------------------------------------------------------------- compose-vs-shallow
def compute_compose_vs_shallow(seed=0, backend="cpu", budget="reduced"):
    import numbanet as nb

    from ..theory import regions as R

    nets = _nets()
    deep = _curve(nets["net2(net1)"], -1.0, 1.0)
    x = np.linspace(-1, 1, 400)[:, None]
    target = R.forward(nets["net2(net1)"], x)
    restarts = 4 if budget == "reduced" else 16
    epochs = 1500 if budget == "reduced" else 6000
    best = None
    for r in range(restarts):
        net = nb.Sequential([nb.Dense(1, 6, init="he_normal"), nb.ReLU(), nb.Dense(6, 1)],
                            backend=backend, seed=seed * 1000 + r, dtype=np.float64)  # fmt: skip
        net.fit(x, target, loss=nb.losses.MSE(reduction="mean"), optimizer="adam", lr=0.01,
                epochs=epochs, batch_size=len(x), progress=False, train_metrics=False,
                seed=seed * 1000 + r)  # fmt: skip
        mse = float(np.mean((net.predict(x) - target) ** 2))
        if best is None or mse < best[0]:
            best = (mse, net)
    mse, net = best
    shallow = _curve(net, -1.0, 1.0)
    # an independent check of the exact counts: slope changes of the engine's output on a grid
    deep["grid_pieces"] = grid_pieces(nets["net2(net1)"], -1.0, 1.0)
    shallow["grid_pieces"] = grid_pieces(net, -1.0, 1.0)
    gaps = np.diff(shallow["breaks"])
    k = int(np.argmin(gaps)) if len(gaps) else None
    closest = zoom = None
    if k is not None:
        c0, c1 = float(shallow["breaks"][k]), float(shallow["breaks"][k + 1])
        closest, w = (c0, c1), c1 - c0
        zx = np.linspace(c0 - 6 * w, c1 + 6 * w, 1001)  # the net around its two closest kinks
        zoom = (zx, R.forward(net, zx[:, None])[:, 0])
    return {"deep": deep, "shallow": shallow, "mse": mse, "restarts": restarts, "epochs": epochs,
            "bound": R.zaslavsky(1, 6), "reduced": budget == "reduced", "closest": closest,
            "zoom": zoom}  # fmt: skip


#: breakpoints closer than this (in x, on [-1, 1]) are invisible at the figure's scale: zoom in
ZOOM_GAP = 0.02


def draw_compose_vs_shallow(data, lang="en"):
    import matplotlib.pyplot as plt

    d, s = data["deep"], data["shallow"]
    close = data["closest"]
    zoom = close is not None and close[1] - close[0] < ZOOM_GAP
    fig, axes = plt.subplots(1, 3 if zoom else 2, figsize=(14.5 if zoom else 11, 4.4),
                             width_ratios=[1, 1, 0.5] if zoom else [1, 1])  # fmt: skip
    axes[1].sharey(axes[0])
    _plot_curve(axes[0], d, "C2")
    axes[0].set_title(tr(lang, f"deep: net2(net1(x)), 3 + 3 hidden units\n{d['pieces']} linear pieces",
                         f"profunda: net2(net1(x)), 3 + 3 unidades ocultas\n{d['pieces']} tramos lineales"))  # fmt: skip
    axes[1].plot(d["x"], d["y"], color="C2", lw=1.2, alpha=0.45,
                 label=tr(lang, "target: the deep net", "objetivo: la red profunda"))  # fmt: skip
    _plot_curve(axes[1], s, "C3", label=tr(lang, "shallow 1-6-1 net, trained (Adam)",
                                           "red superficial 1-6-1 entrenada (Adam)"))  # fmt: skip
    extra = ""
    if zoom:
        w = close[1] - close[0]
        extra = tr(lang, f"\n(two breakpoints only {w:.1g} apart: see zoom)",
                   f"\n(dos cambios de tramo a solo {w:.1g}: ver ampliación)")  # fmt: skip
    axes[1].set_title(tr(lang,
                         f"shallow, 6 hidden units: {s['pieces']} linear pieces (at most {data['bound']})",
                         f"superficial, 6 unidades: {s['pieces']} tramos lineales (como mucho {data['bound']})")
                      + extra)  # fmt: skip
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
                   title=f"MSE = {data['mse']:.3g}")  # fmt: skip
    for ax in axes[:2]:
        ax.set_xlabel("x")
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    if zoom:
        ax = axes[2]
        c0, c1 = close
        zx, zy = data["zoom"]
        inside = s["breaks"][(s["breaks"] > zx[0]) & (s["breaks"] < zx[-1])]
        ax.plot(zx, zy, color="C3", lw=2.0)
        ax.plot(inside, np.interp(inside, zx, zy), "o", color="C3", ms=4.5, mfc="white", mew=1.2)
        ax.axvspan(c0, c1, color="C3", alpha=0.15)
        ax.xaxis.set_major_locator(plt.MaxNLocator(3))
        ym = float(np.interp(c0, zx, zy))  # ring the spot in the shallow panel
        axes[1].plot([c0], [ym], "o", ms=13, mfc="none", mec="0.25", mew=1.0)
        ax.set_xlim(zx[0], zx[-1])
        ax.set_title(tr(lang, f"zoom: the piece on\n[{c0:.4f}, {c1:.4f}]",
                        f"ampliación: el tramo en\n[{c0:.4f}, {c1:.4f}]"))  # fmt: skip
        ax.set_xlabel("x")
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.tick_params(axis="x", labelrotation=30)
    axes[0].set_ylabel("y")
    note = tr(
        lang,
        f"best of {data['restarts']} restarts x {data['epochs']} full-batch epochs; pieces counted "
        f"exactly (open dots: breakpoints), checked on a {GRID_N:,}-point grid",
        f"mejor de {data['restarts']} inicios x {data['epochs']} épocas de lote completo; tramos "
        f"contados exactamente (puntos: cambios de tramo), comprobados en una malla de "
        f"{GRID_N:,} puntos".replace(",", " "),
    )
    fig.suptitle(tr(lang, "Same number of hidden units, deep vs shallow\n",
                    "Mismo número de unidades ocultas, profunda frente a superficial\n")
                 + note + budget_note(data["reduced"], lang))  # fmt: skip
    return fig


# ---------------------------------------------------------------------------------- compose-2d
#: the 2-input shallow net of the compose-2d figure: hidden rows (bias, w1, w2), output (phi0..3)
SHALLOW_2D = dict(
    h=[(-0.1, 1.0, 0.5), (0.2, -0.4, 1.0), (0.3, -0.9, -1.0)], o=[-0.8, 0.9, 0.8, 0.7]
)


def _shallow_2d_layers():
    W1 = np.array([[r[1], r[2]] for r in SHALLOW_2D["h"]])
    b1 = np.array([r[0] for r in SHALLOW_2D["h"]])
    W2 = np.array([SHALLOW_2D["o"][1:]])
    b2 = np.array([SHALLOW_2D["o"][0]])
    return [(W1, b1, "relu"), (W2, b2, "identity")]


def _net2_layers():
    """net2 of the slides as ``(W, b, act)`` tuples, read from its ``Sequential``."""
    d1, _, d2 = _nets()["net2"].layers
    return [(d1.W.value, d1.b.value, "relu"), (d2.W.value, d2.b.value, "identity")]


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
                    if abs(u[0] * r0[1] - u[1] * r0[0]) > tol or abs(u[0] * r1[1] - u[1] * r1[0]) > tol:
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
    return {"regions": int(part.regions), "pieces": int(part.pieces), "polygons": polygons,
            "labels": part.piece_labels.copy(), "Z": Z, "box": tuple(box),
            "edges": shared_edges(polygons, part.piece_labels)}  # fmt: skip


def compute_compose_2d(seed=0, backend="cpu", budget="reduced"):
    box = (-1.0, 1.0, -1.0, 1.0)
    n = 161 if budget == "reduced" else 401
    shallow = _shallow_2d_layers()
    composed = shallow + _net2_layers()
    return {"shallow": _partition_data(shallow, box, n), "net2": _curve(_nets()["net2"], -1.5, 1.5),
            "composed": _partition_data(composed, box, n)}  # fmt: skip


def _draw_partition(ax, d, cmap="viridis"):
    from matplotlib.collections import LineCollection

    x0, x1, y0, y1 = d["box"]
    im = ax.imshow(d["Z"], origin="lower", extent=(x0, x1, y0, y1), cmap=cmap, aspect="equal")
    # piece boundaries solid; region boundaries inside one piece dashed
    ax.add_collection(LineCollection(d["edges"]["piece"], colors="white", linewidths=1.3))
    if d["edges"]["region"]:
        ax.add_collection(LineCollection(d["edges"]["region"], colors="0.4", linewidths=1.1,
                                         linestyles=(0, (3, 2.5))))  # fmt: skip
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    ax.set_yticks([-1, -0.5, 0, 0.5, 1])
    ax.grid(False)
    return im


def _regions_pieces(lang, d):
    return tr(lang, f"{d['regions']} regions, {d['pieces']} linear pieces",
              f"{d['regions']} regiones, {d['pieces']} tramos lineales")  # fmt: skip


def draw_compose_2d(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 5.0), width_ratios=[1.15, 1, 1.15])
    s, c = data["shallow"], data["composed"]
    im = _draw_partition(axes[0], s)
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    axes[0].set_title(tr(lang, "shallow 2-3-1 net y(x₁, x₂)\n", "red superficial 2-3-1 y(x₁, x₂)\n")
                      + _regions_pieces(lang, s))  # fmt: skip
    _plot_curve(axes[1], data["net2"], "C1")
    lo, hi = float(s["Z"].min()), float(s["Z"].max())
    axes[1].axvspan(lo, hi, color="C0", alpha=0.12,
                    label=tr(lang, "range of y over the square", "rango de y en el cuadrado"))  # fmt: skip
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.14))
    axes[1].set_title("y' = net2(y)\n" + _regions_pieces(lang, data["net2"]))
    axes[1].set_xlabel("y")
    axes[1].set_ylabel("y'")
    im = _draw_partition(axes[2], c, cmap="magma")
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    axes[2].set_title("net2(y(x₁, x₂))\n" + _regions_pieces(lang, c))
    fig.suptitle(tr(lang,
                    "Composition in 2-D: every level set of y where net2 bends becomes a new "
                    "boundary (boundaries exact, from count_2d)",
                    "Composición en 2-D: cada curva de nivel de y donde net2 se dobla es una nueva "
                    "frontera (fronteras exactas de count_2d)"))  # fmt: skip
    merged = c["regions"] - c["pieces"]
    note = tr(lang,
              "Region: the inputs sharing one activation pattern (a convex polygon). Linear piece: "
              "adjacent regions on which the output is one affine function, merged.\nSolid white: "
              "boundaries between pieces; dashed grey: boundaries between regions of one piece "
              f"(here where net2 is flat: {c['regions']} regions make {c['pieces']} pieces, "
              f"{merged} fewer).",
              "Región: las entradas con un mismo patrón de activación (un polígono convexo). Tramo "
              "lineal: regiones adyacentes en las que la salida es una misma función afín, unidas."
              "\nBlanco continuo: fronteras entre tramos; gris discontinuo: fronteras entre regiones de "
              f"un mismo tramo (aquí donde net2 es plana: {c['regions']} regiones forman "
              f"{c['pieces']} tramos, {merged} menos).")  # fmt: skip
    fig.supxlabel(note, fontsize=9.5)
    return fig


# ---------------------------------------------------------------------------- deep-as-clipping
#: UDL fig. 4.3's 1-3-3-1 net: layer 1 rows (bias, slope), layer 2 rows (bias, w1, w2, w3), output
CLIP_L1 = [(0.3, -1.0), (-1.0, 2.0), (-0.5, 0.65)]
CLIP_L2 = [(0.3, 2.0, -1.0, 7.0), (-0.2, 2.0, 1.2, -8.0), (0.3, -2.3, -0.8, 2.0)]
CLIP_OUT = (0.0, 0.5, -1.5, 2.2)


def clipping_layers():
    """The 1-3-3-1 net of ``deep-as-clipping`` as ``(W, b, act)`` layers."""
    W1 = np.array([[r[1]] for r in CLIP_L1])
    b1 = np.array([r[0] for r in CLIP_L1])
    W2 = np.array([r[1:] for r in CLIP_L2])
    b2 = np.array([r[0] for r in CLIP_L2])
    W3 = np.array([CLIP_OUT[1:]])
    b3 = np.array([CLIP_OUT[0]])
    return [(W1, b1, "relu"), (W2, b2, "relu"), (W3, b3, "identity")]


def compute_deep_as_clipping(seed=0, backend="cpu", budget="reduced"):
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
    return {"x": x, "z2": z2, "h2": h2, "weighted": weighted, "y": y, "phi0": float(b3[0]),
            "phi": W3[0].tolist(), "pieces": int(seg.pieces), "z2_pieces": units,
            "breaks": seg.piece_x[:, 0].copy(), "check": float(np.abs(weighted.sum(1) + b3[0] - y).max())}  # fmt: skip


def draw_deep_as_clipping(data, lang="en"):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13.5, 7.6))
    gs = fig.add_gridspec(3, 4, width_ratios=[1, 1, 1, 1.5])
    x = data["x"]
    cols = [
        ("z2", tr(lang, "pre-activation $h'_j$", "preactivación $h'_j$")),
        ("h2", tr(lang, "clipped: ReLU$(h'_j)$", "recortada: ReLU$(h'_j)$")),
        ("weighted", tr(lang, r"weighted: $\phi'_j\,$ReLU$(h'_j)$",
                        r"ponderada: $\phi'_j\,$ReLU$(h'_j)$")),
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
                ax.set_ylabel(tr(lang, f"unit {j + 1}", f"unidad {j + 1}")
                              + f"\n({data['z2_pieces'][j]} " + tr(lang, "pieces)", "tramos)"))  # fmt: skip
            if key == "weighted":  # the weight in a band above the curve, which no line enters
                lo, hi = ax.get_ylim()
                ax.set_ylim(lo, hi + 0.32 * (hi - lo))
                ax.text(0.98, 0.97, rf"$\phi'_{j + 1}$ = {data['phi'][j]:g}", transform=ax.transAxes,
                        ha="right", va="top", fontsize=9.5)  # fmt: skip
            if j == 2:
                ax.set_xlabel("x")
    ax = fig.add_subplot(gs[:, 3])
    ax.plot(x, data["y"], color="k", lw=2.2)
    yb = np.interp(data["breaks"], x, data["y"])
    ax.plot(data["breaks"], yb, "o", color="k", ms=4, mfc="white")
    ax.set_title(tr(lang, r"output $y = \phi'_0 + \Sigma_j$ (weighted)" + f"\n{data['pieces']} linear pieces on [0, 1)",
                    r"salida $y = \phi'_0 + \Sigma_j$ (ponderadas)" + f"\n{data['pieces']} tramos lineales en [0, 1)"))  # fmt: skip
    ax.set_xlabel("x")
    ax.set_xlim(0, 1)
    fig.suptitle(tr(lang,
                    "A 1-3-3-1 ReLU network as clipping: each second-layer unit clips a piecewise-"
                    "linear function of x, the output adds the clipped pieces",
                    "Una red ReLU 1-3-3-1 como recorte: cada unidad de la segunda capa recorta una "
                    "función lineal a tramos de x; la salida suma los tramos recortados"))  # fmt: skip
    return fig


# ----------------------------------------------------------------------- regions-per-parameter
def compute_regions_per_parameter(seed=0, backend="cpu", budget="reduced"):
    from ..theory import regions as R

    out = {"curves": {}}
    widths = {1: list(range(1, 61)), 10: list(range(10, 210, 10))}
    # the shallow nets need far more units to reach the same parameter counts
    shallow = {1: sorted({int(w) for w in np.geomspace(1, 5000, 40)}),
               10: sorted({int(w) for w in np.geomspace(10, 15000, 40)})}  # fmt: skip
    for d_in in widths:
        for K in (1, 2, 3, 4, 5):
            ws = shallow[d_in] if K == 1 else widths[d_in]
            params, regions = [], []
            for D in ws:
                params.append(R.parameter_count([d_in] + [D] * K + [1]))
                if K == 1:
                    n = R.zaslavsky(d_in, D)
                elif d_in == 1:
                    n = R.deep_1d_max(D, K)
                else:
                    n = R.udl_max_regions(d_in, D, K)
                regions.append(float(n))
            out["curves"][(d_in, K)] = (params, regions)
    out["points"] = {
        1: (R.parameter_count([1] + [10] * 5 + [1]), float(R.deep_1d_max(10, 5))),
        10: (R.parameter_count([10] + [50] * 5 + [1]), float(R.udl_max_regions(10, 50, 5))),
    }
    return out


def _sci(v, digits=1):
    """``v`` as mathtext ``m×10^e`` (e.g. 1.8×10^41)."""
    e = int(np.floor(np.log10(v)))
    m = v / 10.0**e
    if round(m, digits) >= 10:
        m, e = m / 10, e + 1
    return rf"${m:.{digits}f}\times10^{{{e}}}$"


def draw_regions_per_parameter(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for ax, d_in in zip(axes, (1, 10)):
        for K in (1, 2, 3, 4, 5):
            p, r = data["curves"][(d_in, K)]
            lab = tr(lang, "shallow (K = 1)", "superficial (K = 1)") if K == 1 else f"K = {K}"
            ax.plot(p, r, "-", color=f"C{K - 1}", lw=1.8, label=lab)
        px, py = data["points"][d_in]
        ax.plot([px], [py], "*", color="k", ms=13, zorder=5)
        sep = tr(lang, ",", " ")
        txt = f"{px:,} ".replace(",", sep) + tr(lang, "parameters", "parámetros") + "\n"
        txt += (f"{py:,.0f} ".replace(",", sep) if py < 1e9 else _sci(py) + " ")
        txt += tr(lang, "regions", "regiones")
        # text right above the star: only empty space between them (the curves rise to the
        # right), clear of the legend in the empty top-left corner
        ax.annotate(txt, (px, py), xytext=(-30, 58), textcoords="offset points", fontsize=9.5,
                    ha="center", va="bottom",
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.6", alpha=0.95),
                    arrowprops=dict(arrowstyle="->", color="0.2", lw=1.0, shrinkB=7))  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(tr(lang, "number of parameters", "número de parámetros"))
        ax.set_ylabel(tr(lang, "maximum number of linear regions", "máximo de regiones lineales"))
        ax.set_title(tr(lang, f"$D_i$ = {d_in} input" + ("s" if d_in > 1 else ""),
                        f"$D_i$ = {d_in} entrada" + ("s" if d_in > 1 else "")))  # fmt: skip
        ax.legend(title=tr(lang, "hidden layers", "capas ocultas"), loc="upper left")
    fig.suptitle(tr(lang,
                    "Maximum regions against parameters, widths swept (deep: D = 1..60 and 10..200):\n"
                    "at equal parameters depth wins by orders of magnitude (star: the slides' examples)",
                    "Máximo de regiones frente a parámetros, anchuras D = 1..60 y 10..200 (profundas):\n"
                    "con los mismos parámetros la profundidad gana por órdenes de magnitud (estrella: "
                    "los ejemplos de las diapositivas)"))  # fmt: skip
    return fig


# ------------------------------------------------------------------------- regions-depth-width
#: standard deviation of the random biases of the "random" nets of regions-depth-width
BIAS_STD = 0.5


def _relu_net(d_in, hidden, seed, backend):
    import numbanet as nb

    layers = []
    d = d_in
    for w in hidden:
        layers += [nb.Dense(d, w, init="he_normal"), nb.ReLU()]
        d = w
    layers.append(nb.Dense(d, 1, init="he_normal"))
    net = nb.Sequential(layers, backend=backend, seed=seed, dtype=np.float64)
    # He init starts the biases at zero, which puts every first-layer boundary through the
    # origin (a 1-D net would then have 2 regions whatever its depth); random biases as in
    # Hanin & Rolnick (2019), N(0, BIAS_STD^2)
    rng = np.random.default_rng(seed + 7919)
    for layer in layers:
        if isinstance(layer, nb.Dense):
            layer.b.value = rng.normal(0.0, BIAS_STD, size=layer.b.value.shape)
    return net


def _train_target(d_in, n, rng):
    """A wiggly regression target: sin(3 pi x) in 1-D, a product of sines in 2-D."""
    x = rng.uniform(-1, 1, size=(n, d_in))
    if d_in == 1:
        y = np.sin(3 * np.pi * x)
    else:
        y = np.sin(2 * np.pi * x[:, :1]) * np.sin(2 * np.pi * x[:, 1:2])
    return x, y


def _count(net, d_in):
    from ..theory import regions as R

    if d_in == 1:
        return int(R.count_1d(net, -1.0, 1.0).regions)
    return int(R.count_2d(net, (-1.0, 1.0, -1.0, 1.0)).regions)


def compute_regions_depth_width(seed=0, backend="cpu", budget="reduced"):
    import numbanet as nb

    from ..theory import regions as R

    reduced = budget == "reduced"
    seeds = range(3 if reduced else 10)
    epochs = 300 if reduced else 2000
    sweeps = {
        (1, "depth"): [(k, [8] * k) for k in (1, 2, 3, 4, 5)],
        (1, "width"): [(w, [w] * 2) for w in (2, 4, 8, 16, 32)],
        (2, "depth"): [(k, [6] * k) for k in (1, 2, 3, 4)],
        (2, "width"): [(w, [w] * 2) for w in (2, 4, 6, 8, 12)],
    }
    out = {"panels": {}, "seeds": len(seeds), "epochs": epochs, "reduced": reduced}
    for (d_in, kind), configs in sweeps.items():
        rng = np.random.default_rng(seed)
        x, y = _train_target(d_in, 256, rng)
        rows = []
        for value, hidden in configs:
            rand, trained = [], []
            for s in seeds:
                net = _relu_net(d_in, hidden, seed * 1000 + s, backend)
                rand.append(_count(net, d_in))
                net.fit(x, y, loss=nb.losses.MSE(reduction="mean"), optimizer="adam", lr=0.01,
                        epochs=epochs, batch_size=len(x), progress=False, train_metrics=False,
                        seed=s)  # fmt: skip
                trained.append(_count(net, d_in))
            units = sum(hidden)
            row = {"x": value, "hidden": hidden, "random": rand, "trained": trained,
                   "upper": float(R.serra_upper(d_in, hidden)),
                   "shallow": float(R.zaslavsky(d_in, units))}  # fmt: skip
            row["lower"] = float(R.montufar_lower(d_in, hidden)) if min(hidden) >= d_in else None
            rows.append(row)
        out["panels"][(d_in, kind)] = rows
    return out


def draw_regions_depth_width(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(16, 4.8), layout="constrained")
    order = [(1, "depth"), (1, "width"), (2, "depth"), (2, "width")]
    for ax, key in zip(axes, order):
        rows = data["panels"][key]
        x = [r["x"] for r in rows]
        for name, col, lab in (("random", "C0", tr(lang, "random (He init)", "aleatoria (He)")),
                               ("trained", "C3", tr(lang, "trained", "entrenada"))):  # fmt: skip
            vals = np.array([r[name] for r in rows], dtype=float)
            ax.plot(x, vals.mean(1), "o-", color=col, label=lab + tr(lang, ", exact", ", exacta"))
            ax.fill_between(x, vals.min(1), vals.max(1), color=col, alpha=0.15)
        ax.plot(x, [r["upper"] for r in rows], "k--", lw=1.3,
                label=tr(lang, "Serra 2018 upper bound", "cota superior de Serra 2018"))  # fmt: skip
        lo = [(r["x"], r["lower"]) for r in rows if r["lower"] is not None]
        if lo:
            ax.plot(*zip(*lo), "k:", lw=1.6,
                    label=tr(lang, "Montufar 2014 lower bound", "cota inferior de Montufar 2014"))  # fmt: skip
        ax.plot(x, [r["shallow"] for r in rows], "-", color="C2", lw=1.2, alpha=0.8,
                label=tr(lang, "Zaslavsky: shallow net, same units",
                         "Zaslavsky: red superficial, mismas unidades"))  # fmt: skip
        ax.set_yscale("log")
        d_in, kind = key
        w = rows[0]["hidden"]
        if kind == "depth":
            ax.set_xlabel(
                tr(lang, f"hidden layers K (width {w[0]})", f"capas ocultas K (anchura {w[0]})")
            )
        else:
            ax.set_xlabel(
                tr(lang, "width D (", "anchura D (") + _hidden_layers(lang, len(w)) + ")"
            )
        ax.set_title(tr(lang, f"{d_in}-D input, against {kind}",
                        f"entrada {d_in}-D, según {'profundidad' if kind == 'depth' else 'anchura'}"))  # fmt: skip
        ax.set_ylabel(tr(lang, "linear regions", "regiones lineales"))
        ax.set_xticks(x)
    # one legend for the four panels, below them, where it covers no data
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    fig.suptitle(tr(lang,
                    f"Exact region counts in $[-1, 1]^d$ ({data['seeds']} seeds, band: min-max; random: He "
                    f"weights, N(0, {BIAS_STD}²) biases; trained: Adam, {data['epochs']} epochs on a "
                    "wiggly target).\nThe bounds grow exponentially "
                    "with depth, polynomially with width; real nets stay far below them",
                    f"Regiones contadas exactamente en $[-1, 1]^d$ ({data['seeds']} semillas, banda: "
                    f"mín-máx; aleatorias: pesos He, sesgos N(0, {BIAS_STD}²); entrenadas: Adam, "
                    f"{data['epochs']} épocas).\nLas cotas crecen "
                    "exponencialmente con la profundidad y polinómicamente con la anchura; las redes "
                    "reales quedan muy por debajo")
                 + budget_note(data["reduced"], lang))  # fmt: skip
    return fig


# ---------------------------------------------------------------------------- space-folding-2d
#: the last layer's lines in the folded square: rows (bias, w1, w2)
FOLD_LINES = [(-0.1, 1.0, 0.35), (0.25, -0.3, 1.0), (-0.55, 0.8, 0.9)]


def folding_layers(n_folds):
    r"""A deep ReLU net that folds the square [-1, 1]^2 about both axes ``n_folds`` times.

    Each fold computes :math:`u \mapsto 2|u| - 1` per coordinate with two ReLUs,
    :math:`|u| = \mathrm{ReLU}(u) + \mathrm{ReLU}(-u)`, so :math:`4^F` copies of the square land on
    one another; a last hidden layer of three units cuts the folded square with three lines and
    the output sums them. Every region of the last layer therefore appears :math:`4^F` times,
    mirrored (Montufar et al. 2014, fig. 3 in spirit). The affine maps between the ReLU layers are
    merged into single ``Dense`` layers, so it is an ordinary ReLU network.
    """
    M = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])  # u -> (u, -u, v, -v)
    A = np.array([[2.0, 2, 0, 0], [0, 0, 2, 2]])  # relu parts -> 2|u|, 2|v|
    c = np.array([-1.0, -1.0])  # ... - 1
    L = np.array([r[1:] for r in FOLD_LINES])
    bL = np.array([r[0] for r in FOLD_LINES])
    layers = []
    if n_folds == 0:
        layers.append((L, bL, "relu"))
    else:
        layers.append((M, np.zeros(4), "relu"))
        for _ in range(n_folds - 1):
            layers.append((M @ A, M @ c, "relu"))
        layers.append((L @ A, L @ c + bL, "relu"))
    layers.append((np.array([[1.0, -1.3, 1.1]]), np.zeros(1), "identity"))
    return layers


def compute_space_folding_2d(seed=0, backend="cpu", budget="reduced"):
    from ..theory import regions as R

    box = (-1.0, 1.0, -1.0, 1.0)
    out = {"panels": []}
    for f in (0, 1, 2, 3):
        layers = folding_layers(f)
        part = R.count_2d(layers, box)
        n_last = len(FOLD_LINES)
        last = part.patterns[:, -n_last:]  # the last hidden layer's pattern: invariant under folds
        colour = last @ (1 << np.arange(n_last))
        out["panels"].append({"folds": f, "regions": int(part.regions), "pieces": int(part.pieces),
                              "polygons": [p.copy() for p in part.polygons], "colour": colour,
                              "depth": len(layers) - 1,
                              "upper": int(R.serra_upper(2, [w.shape[0] for w, _, _ in layers[:-1]]))})  # fmt: skip
    out["box"] = box
    return out


def draw_space_folding_2d(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    fig, axes = plt.subplots(1, 4, figsize=(15, 4.3))
    cmap = plt.get_cmap("tab10")
    for ax, p in zip(axes, data["panels"]):
        cols = [cmap(int(c) % 10) for c in p["colour"]]
        ax.add_collection(PolyCollection(p["polygons"], facecolors=cols, edgecolors="white",
                                         linewidths=0.5, alpha=0.9))  # fmt: skip
        x0, x1, y0, y1 = data["box"]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1])
        ax.set_xlabel("x₁")
        if p["folds"] == 0:
            t = tr(lang, "no fold: 3 lines", "sin pliegue: 3 rectas")
        else:
            t = tr(lang, f"{p['folds']} fold" + ("s" if p["folds"] > 1 else ""),
                   f"{p['folds']} pliegue" + ("s" if p["folds"] > 1 else ""))  # fmt: skip
        ax.set_title(t + f" ({_hidden_layers(lang, p['depth'])})\n{p['regions']} "
                     + tr(lang, "regions", "regiones"))  # fmt: skip
    axes[0].set_ylabel("x₂")
    fig.suptitle(tr(lang,
                    "Space folding: each layer maps u to 2|u| - 1 per coordinate, so the last layer's "
                    "3 lines are mirrored into every fold\n(colour: the last layer's activation "
                    "pattern; regions counted exactly by count_2d)",
                    "Plegado del espacio: cada capa aplica u -> 2|u| - 1 a cada coordenada, y las 3 "
                    "rectas de la última capa se reflejan en cada pliegue\n(color: patrón de la "
                    "última capa; regiones contadas exactamente con count_2d)"))  # fmt: skip
    return fig


# -------------------------------------------------------------------------------- wide-vs-deep
def _mlp(d_in, hidden, d_out, seed, backend):
    import numbanet as nb

    layers, d = [], d_in
    for w in hidden:
        layers += [nb.Dense(d, w, init="he_normal"), nb.ReLU()]
        d = w
    layers.append(nb.Dense(d, d_out, init="he_normal"))
    return nb.Sequential(layers, backend=backend, seed=seed)


def _accuracy(net, x, y):
    return float(np.mean(net.predict(x).argmax(1) == y))


def compute_wide_vs_deep(seed=0, backend="cpu", budget="reduced", epochs=None, seeds=None):
    """Shallow (1 hidden layer) and deep (3 hidden layers) ReLU MLPs on MNIST-1D, Adam."""
    import numbanet as nb

    from ..data import load_mnist1d
    from ..theory.regions import parameter_count

    reduced = budget == "reduced"
    d = load_mnist1d()
    epochs = epochs or (30 if reduced else 200)
    seeds = seeds or (2 if reduced else 5)
    families = {
        "shallow": [[w] for w in (8, 16, 32, 64, 128, 256, 512)],  # up to the deep nets' size
        "deep": [[w] * 3 for w in (8, 16, 32, 48, 64, 96)],
    }
    out = {"epochs": epochs, "seeds": seeds, "reduced": reduced, "families": {}}
    with nb.deterministic():
        for name, configs in families.items():
            rows = []
            for hidden in configs:
                accs = []
                for s in range(seeds):
                    net = _mlp(40, hidden, 10, seed * 1000 + s, backend)
                    net.fit(d.x_train, d.y_train, loss=nb.losses.CrossEntropy(), optimizer="adam",
                            lr=3e-3, epochs=epochs, batch_size=100, progress=False,
                            train_metrics=False, seed=seed * 1000 + s)  # fmt: skip
                    accs.append(_accuracy(net, d.x_test, d.y_test))
                rows.append({"hidden": hidden, "params": parameter_count([40, *hidden, 10]),
                             "test_accuracy": accs})  # fmt: skip
            out["families"][name] = rows
    return out


def wide_vs_deep_comparison(data):
    """Deep minus shallow mean test accuracy (points of %) at each deep net's parameter count,
    the shallow curve interpolated in log-parameters (deep nets outside its range skipped)."""
    sh, dp = data["families"]["shallow"], data["families"]["deep"]
    lp = np.log10([r["params"] for r in sh])
    acc = np.array([np.mean(r["test_accuracy"]) for r in sh]) * 100
    rows = []
    for r in dp:
        q = np.log10(r["params"])
        if lp[0] <= q <= lp[-1]:
            rows.append((r["params"], float(np.mean(r["test_accuracy"]) * 100 - np.interp(q, lp, acc))))
    return rows


def _wide_vs_deep_note(data, lang):
    rows = wide_vs_deep_comparison(data)
    wins = [d > 0 for _, d in rows]
    sep = tr(lang, ",", " ")
    p_last, d_last = rows[-1]
    head = tr(lang, f"At equal parameter counts deep wins {sum(wins)} of {len(rows)} comparisons;\n"
                    f"at {p_last:,} parameters: deep {d_last:+.1f} points.\n".replace(",", sep),
              f"Con los mismos parámetros la profunda gana {sum(wins)} de {len(rows)} "
              f"comparaciones;\ncon {p_last:,} parámetros: profunda {d_last:+.1f} puntos.\n".replace(",", sep))  # fmt: skip
    claim = tr(lang, "The slides' claim (deeper generalises better) ",
               "La afirmación de las diapositivas (más profunda generaliza mejor)\n")
    if all(wins):
        tail = tr(lang, "\nholds here.", "se cumple aquí.")
    elif not any(wins):
        tail = tr(lang, "\ndoes NOT hold here.", "NO se cumple aquí.")
    elif all(wins[i] <= wins[i + 1] for i in range(len(wins) - 1)):  # losses, then only wins
        p0 = f"{rows[wins.index(True)][0]:,}".replace(",", sep)
        tail = tr(lang, f"\nholds here only from {p0} parameters up; smaller deep nets do no better.",
                  f"solo se cumple aquí desde {p0} parámetros; las profundas más pequeñas no mejoran.")  # fmt: skip
    else:
        tail = tr(lang, "\nholds here only at some sizes.", "solo se cumple aquí en algunos tamaños.")
    return head + claim + tail


def draw_wide_vs_deep(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.4, 5.2))
    fam = data["families"]
    widths = {k: ", ".join(str(r["hidden"][0]) for r in rows) for k, rows in fam.items()}
    labels = {"shallow": tr(lang, f"shallow: 1 hidden layer, D = {widths['shallow']}",
                            f"superficial: 1 capa oculta, D = {widths['shallow']}"),
              "deep": tr(lang, f"deep: 3 hidden layers, D = {widths['deep']}",
                         f"profunda: 3 capas ocultas, D = {widths['deep']}")}  # fmt: skip
    for i, (name, rows) in enumerate(fam.items()):
        p = [r["params"] for r in rows]
        a = np.array([r["test_accuracy"] for r in rows]) * 100
        ax.plot(p, a.mean(1), "o-", color=f"C{i}", label=labels[name])
        ax.fill_between(p, a.min(1), a.max(1), color=f"C{i}", alpha=0.15)
        # only the two ends are labelled (the legend lists every width, left to right): deep
        # above its points, shallow below, so no label meets another or a line
        for j in (0, len(rows) - 1):
            ax.annotate(f"D = {rows[j]['hidden'][0]}", (p[j], a.mean(1)[j]),
                        xytext=(0, 9) if i else (0, -15), textcoords="offset points",
                        ha="center", fontsize=8, color=f"C{i}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel(tr(lang, "number of parameters", "número de parámetros"))
    ax.set_ylabel(tr(lang, "MNIST-1D test accuracy (%)", "exactitud de test en MNIST-1D (%)"))
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 2, hi + 1)
    ax.legend(loc="lower right", fontsize=8.5)
    ax.text(0.02, 0.98, _wide_vs_deep_note(data, lang), transform=ax.transAxes, ha="left",
            va="top", fontsize=8.5,
            bbox=dict(boxstyle="round,pad=0.35", fc="white", ec="0.7", alpha=0.95))  # fmt: skip
    ax.set_title(tr(lang,
                    f"Wide vs deep on MNIST-1D (Adam, {data['epochs']} epochs, {data['seeds']} "
                    "seeds: mean, band min-max)",
                    f"Ancha frente a profunda en MNIST-1D (Adam, {data['epochs']} épocas, "
                    f"{data['seeds']} semillas: media, banda mín-máx)")
                 + budget_note(data["reduced"], lang))  # fmt: skip
    return fig


# ----------------------------------------------------------------------- mnist1d-random-labels
#: UDL fig. 20.2's four nets: hidden widths giving about 15.2k parameters each
RANDOM_LABEL_NETS = ([298], [100] * 2, [75] * 3, [63] * 4)


#: the reduced budget of mnist1d-random-labels: a smaller random-label set and a smaller learning
#: rate than the first attempt (4,000 examples, lr 0.5: unstable, spiky, the 1-layer net never fit)
RANDOM_LABEL_REDUCED = dict(n=1000, lr=0.02, epochs=10_000, record_every=10)


def compute_mnist1d_random_labels(seed=0, backend="cpu", budget="reduced", epochs=None, lr=None,
                                  n_train=None, record_every=None):  # fmt: skip
    r"""Full-batch gradient descent on MNIST-1D with random labels (UDL fig. 20.2).

    The original budget (``budget="full"``): 4,000 examples, lr 0.0025 and at most 200,000 epochs
    (500,000 for one hidden layer), hours on this machine. The reduced budget keeps the four nets,
    He initialisation and plain full-batch gradient descent on the mean cross-entropy but fits
    1,000 random labels with lr 0.02 (:data:`RANDOM_LABEL_REDUCED`): slow enough for smooth
    curves (larger rates make the deep nets' error spike), and every net memorises its labels
    within 10,000 epochs. Each run stops at the first recorded epoch with zero training error
    (``fit_epoch``), or at the epoch cap (``fit_epoch`` None).
    """
    import numbanet as nb

    from ..data import load_mnist1d
    from ..theory.regions import parameter_count

    full = budget == "full"
    red = RANDOM_LABEL_REDUCED
    lr = lr or (0.0025 if full else red["lr"])
    d = load_mnist1d()
    n = n_train or (4000 if full else red["n"])
    x = d.x_train[:n]
    y = np.random.default_rng(seed).integers(0, 10, size=n)  # random labels
    out = {"lr": lr, "n": n, "reduced": not full, "nets": []}
    with nb.deterministic():
        for hidden in RANDOM_LABEL_NETS:
            E = epochs or ((500_000 if len(hidden) == 1 else 200_000) if full else red["epochs"])
            every = record_every or (max(1, E // 1000) if full else red["record_every"])
            net = _mlp(40, hidden, 10, seed, backend)
            opt = nb.optim.SGD(net.parameters(), lr=lr)
            ep, err = [0], [100 * (1 - _accuracy(net, x, y))]
            done, fit = 0, None
            while done < E and fit is None:
                k = min(every, E - done)
                net.fit(x, y, loss=nb.losses.CrossEntropy(), optimizer=opt, epochs=k,
                        batch_size=n, shuffle=False, progress=False, train_metrics=False)  # fmt: skip
                done += k
                ep.append(done)
                err.append(100 * (1 - _accuracy(net, x, y)))
                fit = done if err[-1] == 0 else None
            out["nets"].append({"hidden": hidden, "params": parameter_count([40, *hidden, 10]),
                                "epochs": np.array(ep), "train_error": np.array(err),
                                "fit_epoch": fit, "max_epochs": E})  # fmt: skip
    return out


def random_labels_verdict(data):
    """True when every deeper net fits all its labels in fewer epochs than the shallower ones."""
    fits = [r["fit_epoch"] for r in data["nets"]]
    if any(f is None for f in fits[1:]):
        return False
    return all(f is None or f > g for f, g in zip(fits, fits[1:]))


def draw_mnist1d_random_labels(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.6, 5.2))
    for i, r in enumerate(data["nets"]):
        k = len(r["hidden"])
        lab = _hidden_layers(lang, k) + f" × {r['hidden'][0]}, " + f"{r['params']:,} ".replace(",", tr(lang, ",", " "))
        lab += tr(lang, "params", "parámetros")
        f = r["fit_epoch"]
        if f is None:
            lab += tr(lang, f": not fitted in {r['max_epochs']:,} epochs",
                      f": sin ajustar en {r['max_epochs']:,} épocas".replace(",", " "))  # fmt: skip
        else:
            lab += tr(lang, f": all fitted at epoch {f:,}",
                      f": todo ajustado en la época {f:,}".replace(",", " "))  # fmt: skip
        ax.plot(r["epochs"], r["train_error"], color=f"C{i}", lw=2.0, label=lab)
        if f is not None:
            ax.plot([f], [0], "o", color=f"C{i}", ms=7, mec="k", mew=0.6, zorder=5, clip_on=False)
    ax.axhline(90, color="0.5", ls=":", lw=1.2,
               label=tr(lang, "chance (90 % error)", "azar (90 % de error)"))  # fmt: skip
    ax.set_xlabel(tr(lang, "epoch (full-batch gradient descent)",
                     "época (descenso de gradiente de lote completo)"))  # fmt: skip
    ax.set_ylabel(tr(lang, "training error (%)", "error de entrenamiento (%)"))
    ax.set_ylim(0, 95)
    ax.set_xlim(0, None)
    ax.legend(loc="upper right", fontsize=8.5)
    n = f"{data['n']:,}".replace(",", tr(lang, ",", " "))
    title = tr(lang,
               f"Fitting random labels: {n} MNIST-1D examples, He init, plain GD, lr {data['lr']:g}",
               f"Ajustar etiquetas aleatorias: {n} ejemplos de MNIST-1D, init. He, GD, lr {data['lr']:g}")  # fmt: skip
    if random_labels_verdict(data):
        title += tr(lang, "\ndeeper nets memorise the labels in fewer epochs",
                    "\nlas redes más profundas memorizan las etiquetas en menos épocas")  # fmt: skip
    else:
        title += tr(lang, "\nhere depth does NOT order the epochs to fit every label",
                    "\naquí la profundidad NO ordena las épocas hasta ajustar todas las etiquetas")  # fmt: skip
    if data["reduced"]:
        title += tr(lang,
                    "\n(reduced budget: the slide uses 4,000 examples, lr 0.0025, up to 500,000 "
                    "epochs;\n`numbanet figures --full` runs the original)",
                    "\n(presupuesto reducido: la diapositiva usa 4000 ejemplos, lr 0.0025, hasta "
                    "500 000 épocas;\n`numbanet figures --full` ejecuta el original)")  # fmt: skip
    ax.set_title(title, fontsize=10.5)
    return fig
