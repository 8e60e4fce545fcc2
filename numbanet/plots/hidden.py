"""Figures of hidden representations (MLP deck 001, FF deck 002): what a hidden layer does to
the input space.

* ``xor-mlp``: a 2-2-1 sigmoid net solving XOR, its decision regions and the hidden space where
  XOR becomes separable;
* ``hidden-space``: two-class data no line separates, and its image in the space of two sigmoid
  units where one line (almost) does;
* ``semeion-2d``: the SEMEION digits through a 256-2-10 net, coloured by digit.

The networks are trained by ``numbanet.experiments.backprop``; the figures evaluate the trained
nets on grids and draw.
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, by_budget, grid, line_points, set_title, tr


def _hidden_space_data(net, X, y, xlim, ylim, n_grid=150, n_lines=11):
    """Everything the input-space / hidden-space pair of panels needs: the trained net's weights,
    its output over a grid, the data's hidden codes and the image of a grid of lines."""
    from ..experiments._common import dense_rows, through

    (W1, b1), (W2, b2) = dense_rows(net)
    g1, g2, G = grid(xlim, ylim, n_grid)
    out = net.predict(G)[:, 0].reshape(g1.shape)
    U = through(net, X, 2)
    # the image of a square grid of lines of the input space in the hidden space
    lines = []
    for v in np.linspace(xlim[0], xlim[1], n_lines):
        pts = np.column_stack([np.full(200, v), np.linspace(*ylim, 200)])
        lines.append(through(net, pts, 2))
    for v in np.linspace(ylim[0], ylim[1], n_lines):
        pts = np.column_stack([np.linspace(*xlim, 200), np.full(200, v)])
        lines.append(through(net, pts, 2))
    pred = net.predict_classes(X)
    return {
        "X": X,
        "y": y,
        "U": U,
        "W1": W1,
        "b1": b1,
        "W2": W2,
        "b2": b2,
        "g1": g1,
        "g2": g2,
        "out": out,
        "grid_lines": np.array(lines),
        "accuracy": float(np.mean(pred == y)),
        "xlim": xlim,
        "ylim": ylim,
    }


def _draw_input_space(ax, d, lang, labels=None):
    ax.contourf(d["g1"], d["g2"], d["out"], levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(d["g1"], d["g2"], d["out"], levels=[0.5], colors="k", linewidths=1.4)
    for j, (w, b) in enumerate(zip(d["W1"], d["b1"])):
        xs, ys = line_points(w, b, d["xlim"])
        ax.plot(
            xs,
            ys,
            ls="--",
            color=COLOURS[2 + 2 * j],
            lw=2.2,
            zorder=4,
            label=tr(
                lang, f"hidden unit {j + 1}: w·x + b = 0", f"neurona oculta {j + 1}: w·x + b = 0"
            ),
        )
    X, y = d["X"], d["y"]
    s = 90 if len(X) <= 8 else 14
    for c, m in ((0, "o"), (1, "s")):
        ax.scatter(
            X[y == c, 0],
            X[y == c, 1],
            c=COLOURS[0] if c == 0 else COLOURS[3],
            marker=m,
            s=s,
            edgecolors="k",
            linewidths=0.5,
            zorder=3,
            label=tr(lang, f"class {c}", f"clase {c}"),
        )
    if labels is not None:
        for (x1, x2), t in zip(X, labels):
            ax.annotate(t, (x1, x2), textcoords="offset points", xytext=(8, 6), fontsize=9)
    ax.plot([], [], "k-", lw=1.6, label=tr(lang, "network output = 0.5", "salida de la red = 0.5"))
    ax.set_xlim(*d["xlim"])
    ax.set_ylim(*d["ylim"])
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")


def _draw_hidden_space(ax, d, lang, labels=None):
    for ln in d["grid_lines"]:
        ax.plot(ln[:, 0], ln[:, 1], color="0.75", lw=0.6, zorder=1)
    xs, ys = line_points(d["W2"][0], d["b2"][0], (-0.1, 1.1))
    ax.plot(
        xs,
        ys,
        "k-",
        lw=1.6,
        label=tr(lang, "output unit: v·u + c = 0", "neurona de salida: v·u + c = 0"),
    )
    U, y = d["U"], d["y"]
    s = 90 if len(U) <= 8 else 14
    for c, m in ((0, "o"), (1, "s")):
        ax.scatter(
            U[y == c, 0],
            U[y == c, 1],
            c=COLOURS[0] if c == 0 else COLOURS[3],
            marker=m,
            s=s,
            edgecolors="k",
            linewidths=0.5,
            zorder=3,
            label=tr(lang, f"class {c}", f"clase {c}"),
        )
    if labels is not None:  # points that land on the same spot share one label
        done = np.zeros(len(U), bool)
        for i in range(len(U)):
            if done[i]:
                continue
            near = np.where(np.hypot(*(U - U[i]).T) < 0.06)[0]
            done[near] = True
            ax.annotate(
                ", ".join(labels[j] for j in near),
                U[i],
                textcoords="offset points",
                xytext=(-10 if U[i, 0] > 0.7 else 8, -14 if U[i, 1] > 0.9 else 7),
                ha="right" if U[i, 0] > 0.7 else "left",
                fontsize=9,
            )
    ax.plot(
        [],
        [],
        color="0.75",
        lw=0.6,
        label=tr(lang, "image of the input grid", "imagen de la rejilla de entrada"),
    )
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_aspect("equal")
    ax.set_xlabel(tr(lang, "u₁ = σ(hidden unit 1)", "u₁ = σ(neurona oculta 1)"))
    ax.set_ylabel(tr(lang, "u₂ = σ(hidden unit 2)", "u₂ = σ(neurona oculta 2)"))


# ============================================================================ xor-mlp
XOR_LABELS = ("(0,0)", "(0,1)", "(1,0)", "(1,1)")


def compute_xor_mlp(seed=0, backend="cpu", budget="reduced"):
    """A 2-2-1 sigmoid net trained on XOR (``experiments.backprop.xor_mlp``); the decision
    regions in the input space and the four points in the space of the two hidden units."""
    from ..experiments.backprop import xor_mlp

    epochs, n_grid = by_budget(budget, tiny=(200, 31), reduced=(2000, 121), full=(2000, 121))
    r = xor_mlp(seed=seed, backend=backend, epochs=epochs)
    net, X, y = r["net"], r["X"], r["y"]
    d = _hidden_space_data(net, X, y, (-0.5, 1.5), (-0.5, 1.5), n_grid=n_grid, n_lines=9)
    # which logic function each hidden unit computes on the four inputs (its rounded outputs)
    names = {(0, 0, 0, 1): "AND", (0, 1, 1, 1): "OR", (1, 1, 1, 0): "NAND", (1, 0, 0, 0): "NOR",
             (0, 1, 0, 0): "x₂ AND NOT x₁", (0, 0, 1, 0): "x₁ AND NOT x₂",
             (1, 0, 1, 1): "x₁ OR NOT x₂", (1, 1, 0, 1): "x₂ OR NOT x₁"}  # fmt: skip
    unit_gates = [names.get(tuple(int(v) for v in np.round(d["U"][:, j])), "?") for j in range(2)]
    d.update(loss=r["loss"], seed_used=r["seed_used"], runs=r["runs"],
             outputs=net.predict(X)[:, 0], unit_gates=unit_gates)  # fmt: skip
    return d


def slide_decomposition(unit_gates):
    """True when the two hidden units compute the slide's decomposition XOR = OR AND NAND (in
    either order). A trained 2-2-1 net often finds another one, e.g. x₁ AND NOT x₂ and
    x₂ AND NOT x₁, whose OR is XOR as well; the figure then names the units' gates and the
    slide's, rather than implying they are the same."""
    return sorted(unit_gates) == ["NAND", "OR"]


def draw_xor_mlp(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 5.2))
    _draw_input_space(a1, data, lang, labels=[f"{o:.2f}" for o in data["outputs"]])
    a1.set_aspect("equal")
    a1.set_xticks(np.arange(-0.5, 1.51, 0.5))
    a1.set_yticks(np.arange(-0.5, 1.51, 0.5))
    a1.set_title(
        tr(
            lang,
            "Input space: two hidden lines, XOR regions\n(labels: the network's output)",
            "Espacio de entrada: dos rectas ocultas, regiones XOR\n(etiquetas: la salida de la red)",
        )
    )
    a1.legend(loc="upper center", fontsize=8.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    _draw_hidden_space(a2, data, lang, labels=list(XOR_LABELS))
    a2.set_xticks(np.arange(0, 1.01, 0.25))
    a2.set_yticks(np.arange(0, 1.01, 0.25))
    g1, g2 = data["unit_gates"]
    gates = f"u₁ ≈ {g1},  u₂ ≈ {g2}"
    if not slide_decomposition(data["unit_gates"]):
        # gradient descent found another pair of gates that also works: say so, not the slide's
        gates += tr(lang, " (the slide: OR, NAND)", " (la diapositiva: OR, NAND)")
    a2.set_title(
        tr(
            lang,
            f"Hidden space (u₁, u₂): XOR is linearly separable\n{gates}",
            f"Espacio oculto (u₁, u₂): XOR es linealmente separable\n{gates}",
        )
    )
    a2.legend(loc="upper center", fontsize=8.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    set_title(
        fig,
        tr(
            lang,
            f"A 2-2-1 sigmoid net solves XOR: accuracy {100 * data['accuracy']:.0f} %, "
            f"trained {len(data['loss'])} epochs, until every output was within 0.2 of its target",
            f"Una red sigmoide 2-2-1 resuelve XOR: exactitud {100 * data['accuracy']:.0f} %, "
            f"{len(data['loss'])} épocas, hasta que cada salida quedó a menos de 0.2 de su objetivo",
        ),
    )
    return fig


# ============================================================================ hidden-space
def compute_hidden_space(seed=0, backend="cpu", budget="reduced"):
    """Two-class data no line separates, a 2-2-1 sigmoid net trained on it, and the image of the
    data in the space (u1, u2) of the two hidden units, where the output unit's line separates
    it (almost). A logistic regression on the raw inputs is the linear baseline
    (``experiments.backprop.hidden_space``)."""
    from ..experiments.backprop import hidden_space

    epochs, lin_epochs, n_grid = by_budget(
        budget, tiny=(20, 10, 31), reduced=(300, 200, 150), full=(300, 200, 150)
    )
    r = hidden_space(seed=seed, backend=backend, epochs=epochs, linear_epochs=lin_epochs)
    d = _hidden_space_data(r["net"], r["X"], r["y"], (-4.0, 4.0), (-4.0, 4.0), n_grid=n_grid)
    d.update(
        {k: r[k] for k in ("linear_accuracy", "seed_used", "runs", "loss", "w_linear", "b_linear")}
    )
    return d


def draw_hidden_space(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5.3), gridspec_kw={"width_ratios": [1.3, 1]})
    _draw_input_space(a1, data, lang)
    xs, ys = line_points(data["w_linear"], data["b_linear"], data["xlim"])
    a1.plot(
        xs,
        ys,
        ":",
        color="0.3",
        lw=1.6,
        label=tr(
            lang,
            f"best single line (logistic regression): {100 * data['linear_accuracy']:.0f} %",
            f"mejor recta (regresión logística): {100 * data['linear_accuracy']:.0f} %",
        ),
    )
    a1.set_xlim(*data["xlim"])
    a1.set_ylim(*data["ylim"])
    a1.set_title(
        tr(
            lang,
            "Original space (x₁, x₂): not linearly separable",
            "Espacio original (x₁, x₂): no es linealmente separable",
        )
    )
    a1.legend(loc="upper center", fontsize=7.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    _draw_hidden_space(a2, data, lang)
    a2.set_title(
        tr(
            lang,
            f"Hidden space (u₁, u₂): one line gives {100 * data['accuracy']:.1f} %",
            f"Espacio oculto (u₁, u₂): una recta da {100 * data['accuracy']:.1f} %",
        )
    )
    a2.legend(loc="upper center", fontsize=7.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    set_title(
        fig,
        tr(
            lang,
            "Two sigmoid hidden units transform the space so a line (almost) separates the classes",
            "Dos neuronas ocultas sigmoides transforman el espacio para que una recta (casi) separe las clases",
        ),
    )
    return fig


# ============================================================================ semeion-2d
def compute_semeion_2d(seed=0, backend="cpu", budget="reduced"):
    """A 256-2-10 net (two sigmoid hidden units, softmax output) trained on the 1593 SEMEION digits
    with the cross-entropy and Adam; the 2-D hidden code of every digit
    (``experiments.backprop.semeion_2d``; 400 epochs reduced, 1000 full).

    Two hidden units hold the training accuracy down: Adam at lr 0.01 (the earlier setting) drove
    most codes into the sigmoids' flat corners and stalled near 65 % after 120 epochs; at lr 0.003
    seed 0 reaches 68 % after 400 epochs (about 3 s) and 72 % after 1000, still rising slowly
    (other seeds: 61-67 % after 400). The figure states the accuracy its own run reached."""
    from ..experiments.backprop import semeion_2d

    out = semeion_2d(
        epochs=by_budget(budget, tiny=3, reduced=400, full=1000),
        seed=seed,
        backend=backend,
        lr=0.003,
    )
    out["reduced"] = budget != "full"
    return out


def _spread_labels(points, min_dist=0.085, lo=0.05, hi=0.95, iters=300):
    """Label positions near ``points`` (n x 2) kept at least ``min_dist`` apart and inside
    [lo, hi]^2: a few hundred rounds of pairwise repulsion (deterministic)."""
    p = np.clip(np.asarray(points, dtype=float).copy(), lo, hi)
    n = len(p)
    for _ in range(iters):
        moved = False
        for i in range(n):
            for j in range(i + 1, n):
                d = p[j] - p[i]
                r = np.hypot(*d)
                if r < min_dist:
                    u = d / r if r > 1e-9 else np.array([np.cos(i + j), np.sin(i + j)])
                    push = 0.5 * (min_dist - r) + 1e-4
                    p[i] -= push * u
                    p[j] += push * u
                    moved = True
        p = np.clip(p, lo, hi)
        if not moved:
            break
    return p


def draw_semeion_2d(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, a1 = plt.subplots(figsize=(7.4, 7.6))
    U, y = data["U"], data["y"]
    for k in range(10):
        sel = y == k
        a1.scatter(U[sel, 0], U[sel, 1], s=7, color=COLOURS[k], alpha=0.65, label=str(k))
    med = np.array([np.median(U[y == k], axis=0) for k in range(10)])
    pos = _spread_labels(med)
    for k in range(10):
        if np.hypot(*(pos[k] - med[k])) > 0.02:  # a moved label points at its median
            a1.annotate(
                "",
                med[k],
                xytext=pos[k],
                arrowprops=dict(arrowstyle="-", color=COLOURS[k], lw=1.2),
                zorder=4,
            )
            a1.plot(*med[k], "o", ms=4, color=COLOURS[k], mec="k", mew=0.6, zorder=5)
        a1.text(
            pos[k][0],
            pos[k][1],
            str(k),
            fontsize=13,
            weight="bold",
            ha="center",
            va="center",
            zorder=6,
            color=COLOURS[k],
            bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec=COLOURS[k], alpha=0.9),
        )
    a1.set_xlim(-0.03, 1.03)
    a1.set_ylim(-0.03, 1.03)
    a1.set_aspect("equal")
    a1.set_xlabel(tr(lang, "u₁ (hidden unit 1, sigmoid)", "u₁ (neurona oculta 1, sigmoide)"))
    a1.set_ylabel(tr(lang, "u₂ (hidden unit 2, sigmoid)", "u₂ (neurona oculta 2, sigmoide)"))
    acc, epochs, curve = 100 * data["accuracy"], data["epochs"], 100 * data["acc_curve"]
    last = max(
        1, len(curve) // 4
    )  # the accuracy curve in one number: its gain over the last quarter
    gain = curve[-1] - curve[-1 - last] if len(curve) > last else 0.0
    a1.set_title(
        tr(
            lang,
            f"The {data['n']} digits, circled: each digit's median code\n"
            f"training accuracy {acc:.1f} % after {epochs} epochs "
            f"({gain:+.1f} points in the last {last})",
            f"Los {data['n']} dígitos; en círculo: el código mediano de cada uno\n"
            f"exactitud de entrenamiento {acc:.1f} % tras {epochs} épocas "
            f"({gain:+.1f} puntos en las últimas {last})",
        ),
        fontsize=10.5,
    )
    a1.legend(
        title=tr(lang, "digit", "dígito"),
        fontsize=8.5,
        markerscale=2.5,
        ncol=10,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        columnspacing=0.9,
        handletextpad=0.2,
    )
    set_title(
        fig,
        tr(
            lang,
            "SEMEION digits through two sigmoid hidden units: the 2-D code",
            "Dígitos SEMEION a través de dos neuronas ocultas sigmoides: el código 2-D",
        ),
        fontsize=11,
        details=[
            tr(
                lang,
                f"256-2-10 net, Adam lr {data['lr']:g}, minibatches of 32, {epochs} epochs",
                f"red 256-2-10, Adam lr {data['lr']:g}, minilotes de 32, {epochs} épocas".replace(
                    ".", ","
                ),
            )
        ],
    )
    return fig
