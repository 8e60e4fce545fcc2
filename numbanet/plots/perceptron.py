"""Figures of the perceptron (MLP deck 001): Rosenblatt's rule on the logic gates.

The runs are ``numbanet.experiments.backprop.perceptron_gates`` (``numbanet.unsupervised.Perceptron``
on the slides' truth tables); the figures draw the learned decision lines and the errors per epoch.
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, by_budget, grid, line_points, set_title, tr

# ============================================================================ logic-gates
GATES_2D = ("AND", "OR", "NAND", "NOR", "XOR")
PERCEPTRON_EPOCHS = 20


def compute_logic_gates(seed=0, backend="cpu", budget="reduced"):
    """The perceptron rule (eta = 1, zero start, examples in table order) on each truth table.

    For each gate: learned ``w``, ``b``, errors per epoch, whether it converged, and the step
    output over a grid of the input square (the decision regions)."""
    from ..experiments.backprop import perceptron_gates

    n = by_budget(budget, tiny=31, reduced=121, full=121)
    g1, g2, G = grid((-0.5, 1.5), (-0.5, 1.5), n)
    out = {"epochs": PERCEPTRON_EPOCHS, "gates": {}, "g1": g1, "g2": g2}
    runs = perceptron_gates((*GATES_2D, "NOT"), epochs=PERCEPTRON_EPOCHS)
    for name, r in runs.items():
        p, X = r["perceptron"], r["X"]
        rec = {
            "X": X,
            "y": r["y"],
            "w": np.array(p.w, dtype=float),
            "b": float(p.b),
            "errors": r["errors"],
            "converged": r["converged"],
            "pred": p.predict(X),
        }
        if X.shape[1] == 2:
            rec["regions"] = p.predict(G).reshape(g1.shape)
        else:
            rec["x_line"] = np.linspace(-0.5, 1.5, 201)
            rec["regions"] = p.predict(rec["x_line"][:, None])
        out["gates"][name] = rec
    return out


def draw_logic_gates(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(2, 3, figsize=(11.5, 7.6))
    cmap = ListedColormap(["#cfe0f1", "#f6cfcf"])
    for ax, name in zip(axes.ravel(), (*GATES_2D, "NOT")):
        g = data["gates"][name]
        X, y, w, b = g["X"], g["y"], g["w"], g["b"]
        if name == "NOT":
            xl = g["x_line"]
            ax.fill_between(xl, -1, 1, where=g["regions"] == 1, color="#f6cfcf", step="mid")
            ax.fill_between(xl, -1, 1, where=g["regions"] == 0, color="#cfe0f1", step="mid")
            ax.axvline(-b / w[0], color="k", lw=1.6)
            for xi, yi in zip(X[:, 0], y):
                ax.scatter(
                    [xi],
                    [0],
                    s=110,
                    marker="s" if yi else "o",
                    edgecolors="k",
                    zorder=3,
                    c=COLOURS[3] if yi else COLOURS[0],
                )
                ax.annotate(
                    f"NOT {int(xi)} = {yi}",
                    (xi, 0),
                    textcoords="offset points",
                    xytext=(-22, 14),
                    fontsize=9,
                )
            ax.set_ylim(-1, 1)
            ax.set_yticks([])
            ax.set_xlabel("x₁")
            eq = f"w = {w[0]:g}, b = {b:g}"
        else:
            ax.contourf(data["g1"], data["g2"], g["regions"], levels=[-0.5, 0.5, 1.5], cmap=cmap)
            if np.any(w != 0):
                xs, ys = line_points(w, b, (-0.5, 1.5))
                ax.plot(xs, ys, "k-", lw=1.6)
            for (x1, x2), yi in zip(X, y):
                ax.scatter(
                    [x1],
                    [x2],
                    s=110,
                    marker="s" if yi else "o",
                    edgecolors="k",
                    zorder=3,
                    c=COLOURS[3] if yi else COLOURS[0],
                )
                ax.annotate(
                    str(yi), (x1, x2), textcoords="offset points", xytext=(9, 6), fontsize=10
                )
            ax.set_ylim(-0.5, 1.5)
            ax.set_xlabel("x₁")
            ax.set_ylabel("x₂")
            ax.set_aspect("equal")
            eq = f"w = ({w[0]:g}, {w[1]:g}), b = {b:g}"
        ax.set_xlim(-0.5, 1.5)
        ax.grid(False)
        n_ep = len(g["errors"])
        if g["converged"]:
            status = tr(lang, f"converged in {n_ep} epochs", f"converge en {n_ep} épocas")
        else:
            status = tr(
                lang,
                f"{g['errors'][-1]} errors in epoch {n_ep}: never 0",
                f"{g['errors'][-1]} errores en la época {n_ep}: nunca 0",
            )
        ax.set_title(
            f"{name}: {status}\n{eq}", fontsize=10.5, color="k" if g["converged"] else COLOURS[3]
        )
    set_title(
        fig,
        tr(
            lang,
            "The perceptron rule (η = 1, zero start) on the logic gates: learned decision lines\n"
            "(step φ(z) = 1 if z = w·x + b ≥ 0, so a point on the line is classified 1)",
            "La regla del perceptrón (η = 1, inicio en cero) en las puertas lógicas: rectas de decisión aprendidas\n"
            "(escalón φ(z) = 1 si z = w·x + b ≥ 0: un punto sobre la recta se clasifica como 1)",
        ),
    )
    return fig


# ============================================================================ perceptron-training
def compute_perceptron_training(seed=0, backend="cpu", budget="reduced"):
    """Errors per epoch of the perceptron rule for every gate (zero start, table order), and the
    epochs needed to converge from ``n_starts`` random starts with shuffled example orders."""
    from ..experiments.backprop import perceptron_gates

    n_starts = by_budget(budget, tiny=3, reduced=20, full=100)
    names = ("AND", "OR", "NAND", "NOR", "NOT", "XOR")
    runs = perceptron_gates(names, epochs=PERCEPTRON_EPOCHS, n_starts=n_starts, seed=seed)
    return {
        "names": names,
        "epochs": PERCEPTRON_EPOCHS,
        "n_starts": n_starts,
        "errors": {k: r["errors"] for k, r in runs.items()},
        "converged": {k: r["converged"] for k, r in runs.items()},
        "epochs_random": {k: r["epochs_random"] for k, r in runs.items()},
    }


def draw_perceptron_training(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 4.3), gridspec_kw={"width_ratios": [1.4, 1]})
    markers = ("o", "s", "^", "v", "D", "X")
    E = data["epochs"]
    n = len(data["names"])
    for i, name in enumerate(data["names"]):
        e = data["errors"][name]
        # true values (no offset): curves that coincide show as nested hollow markers, the
        # earlier gates' larger, so each stays visible
        a1.plot(
            np.arange(1, len(e) + 1),
            e,
            marker=markers[i],
            ms=4 + 2.2 * (n - i),
            mfc="none",
            mew=1.4,
            color=COLOURS[i],
            lw=2.4 if name == "XOR" else 1.4,
            label=name,
            zorder=2 + i,
        )
    a1.set_xlim(0.5, E + 0.5)
    a1.set_xticks(np.arange(1, E + 1, 2))
    a1.yaxis.set_major_locator(MaxNLocator(integer=True))
    a1.set_xlabel(tr(lang, "epoch", "época"))
    a1.set_ylabel(
        tr(
            lang,
            "misclassified examples (updates) in the epoch",
            "ejemplos mal clasificados (actualizaciones) en la época",
        )
    )
    a1.set_title(
        tr(
            lang,
            "Zero start, table order: every gate but XOR reaches 0 errors",
            "Inicio en cero, orden de la tabla: todas menos XOR llegan a 0 errores",
        )
    )
    a1.legend(
        ncol=3,
        title=tr(
            lang, "coinciding curves: nested markers", "curvas que coinciden: marcadores anidados"
        ),
        title_fontsize=8,
    )
    names = data["names"]
    for i, name in enumerate(names):
        ep = data["epochs_random"][name]
        ok = ep[ep > 0]
        jit = np.linspace(-0.2, 0.2, len(ok)) if len(ok) > 1 else np.zeros(len(ok))
        a2.scatter(np.full(len(ok), i) + jit, ok, s=16, color=COLOURS[i], alpha=0.8)
        n_fail = int(np.sum(ep < 0))
        if n_fail:
            a2.scatter([i], [E + 1.5], marker="x", s=60, color=COLOURS[i])
            a2.annotate(
                tr(lang, f"{n_fail}/{len(ep)}\nnever", f"{n_fail}/{len(ep)}\nnunca"),
                (i, E + 1.5),
                textcoords="offset points",
                xytext=(0, -30),
                ha="center",
                fontsize=8.5,
            )
    a2.axhline(E + 0.5, color="0.5", lw=0.8, ls=":")
    a2.set_xticks(range(len(names)), names)
    a2.set_ylim(0, E + 3)
    a2.set_ylabel(tr(lang, f"epochs to converge (max {E})", f"épocas hasta converger (máx. {E})"))
    a2.set_title(
        tr(
            lang,
            f"{data['n_starts']} random starts, shuffled order",
            f"{data['n_starts']} inicios aleatorios, orden barajado",
        )
    )
    return fig
