"""Figures of what one hidden layer can and cannot do (FF deck 002).

* ``linear-hidden-collapse``: hidden layers with linear activation give one affine map;
* ``softmax``: softmax class probabilities on a 2-D three-class problem;
* ``universal-approximation``: shallow nets fitting a 1-D function as the hidden units grow, a
  2-D classification and a small autoencoder.

The networks are trained by ``numbanet.experiments.feedforward``; the figures evaluate them on
grids and draw.
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, by_budget, grid, set_title, tr


# ============================================================================ linear-hidden-collapse
def compute_linear_hidden_collapse(seed=0, backend="cpu", budget="reduced"):
    """Nets with 1-3 hidden layers of linear units fitted to a cubic, a tanh net beside them, and
    a bottlenecked linear net's single matrix (``experiments.feedforward.linear_hidden_collapse``;
    1,500 epochs)."""
    from ..experiments.feedforward import linear_hidden_collapse

    epochs = by_budget(budget, tiny=30, reduced=1500, full=1500)
    return linear_hidden_collapse(seed=seed, backend=backend, epochs=epochs)


def draw_linear_hidden_collapse(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.35, 1]})
    a1.scatter(
        data["x"],
        data["t"],
        s=12,
        color="0.45",
        label=tr(lang, "data: 4x³ − 3x + noise", "datos: 4x³ − 3x + ruido"),
    )
    w, b = data["lsq"]
    a1.plot(
        data["xg"],
        w * data["xg"] + b,
        color="k",
        lw=5,
        alpha=0.25,
        label=tr(
            lang,
            f"least-squares line y = {w:.3f}x {b:+.3f}",
            f"recta de mínimos cuadrados y = {w:.3f}x {b:+.3f}",
        ),
    )
    ls = {1: "-", 2: "--", 3: ":"}
    for depth, f in data["fits"].items():
        s, c = data["maps"][depth]
        a1.plot(
            data["xg"],
            f,
            ls=ls[depth],
            color=COLOURS[depth - 1],
            lw=1.8,
            label=tr(
                lang,
                f"{depth} linear hidden layer(s) of 16: y = {s:.3f}x {c:+.3f}",
                f"{depth} capa(s) oculta(s) lineal(es) de 16: y = {s:.3f}x {c:+.3f}",
            ),
        )
    a1.plot(
        data["xg"],
        data["tanh_fit"],
        color=COLOURS[3],
        lw=1.6,
        label=tr(
            lang, "same shape with tanh: follows the curve", "misma forma con tanh: sigue la curva"
        ),
    )
    a1.set_xlabel("x")
    a1.set_ylabel("y")
    a1.set_title(
        tr(
            lang,
            "Linear hidden layers fit only a line",
            "Capas ocultas lineales solo ajustan una recta",
        )
    )
    a1.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    names = list(data["svals"])
    wbar = 0.38
    for i, name in enumerate(names):
        sv = data["svals"][name]
        a2.bar(
            np.arange(len(sv)) + (i - 0.5) * wbar,
            np.maximum(sv, 1e-18),
            width=wbar,
            color=COLOURS[4 + i],
            label=tr(
                lang,
                f"{name}: rank {data['rank'][name]}, max |net − (Ax + c)| = {data['devs'][name]:.1e}",
                f"{name}: rango {data['rank'][name]}, máx |red − (Ax + c)| = {data['devs'][name]:.1e}",
            ),
        )
    a2.set_yscale("log")
    a2.set_ylim(1e-18, 1e2)
    a2.set_xticks(range(4), [f"s{i + 1}" for i in range(4)])
    a2.set_xlabel(tr(lang, "singular values of A = W₄W₃W₂W₁", "valores singulares de A = W₄W₃W₂W₁"))
    a2.set_ylabel(tr(lang, "singular value (log)", "valor singular (log)"))
    a2.set_title(
        tr(
            lang,
            "A linear net is one affine map x ↦ Ax + c",
            "Una red lineal es una sola aplicación afín x ↦ Ax + c",
        )
    )
    a2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    return fig


# ============================================================================ softmax
def compute_softmax(seed=0, backend="cpu", budget="reduced"):
    """Softmax regression on three Gaussian classes (``experiments.feedforward.
    softmax_regression``); the three class probabilities over the plane."""
    from ..experiments.feedforward import softmax_regression

    epochs, n = by_budget(budget, tiny=(5, 40), reduced=(150, 160), full=(150, 160))
    r = softmax_regression(seed=seed, backend=backend, epochs=epochs)
    X = r["X"]
    lo, hi = X.min(0) - 0.7, X.max(0) + 0.7
    g1, g2, G = grid((lo[0], hi[0]), (lo[1], hi[1]), n)
    P = r["net"].predict(G)
    return {
        "X": X,
        "y": r["y"],
        "g1": g1,
        "g2": g2,
        "P": P.reshape(g1.shape + (3,)),
        "W": r["W"],
        "b": r["b"],
        "accuracy": r["accuracy"],
        "loss": r["loss"],
    }


def draw_softmax(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap

    fig, axes = plt.subplots(1, 4, figsize=(16, 4.3))
    X, y, P = data["X"], data["y"], data["P"]
    cols = COLOURS[:3]
    for k in range(3):
        ax = axes[k]
        cmap = LinearSegmentedColormap.from_list(f"c{k}", ["white", cols[k]])
        im = ax.contourf(data["g1"], data["g2"], P[..., k], levels=np.linspace(0, 1, 11), cmap=cmap)
        ax.contour(data["g1"], data["g2"], P[..., k], levels=[0.5], colors="k", linewidths=1)
        for c in range(3):
            ax.scatter(
                X[y == c, 0],
                X[y == c, 1],
                s=8,
                color=cols[c],
                edgecolors="k",
                linewidths=0.3,
                alpha=1.0 if c == k else 0.35,
            )
        ax.set_title(tr(lang, f"P(class {k + 1} | x)", f"P(clase {k + 1} | x)"))
        fig.colorbar(im, ax=ax, shrink=0.85, ticks=[0, 0.5, 1])
    ax = axes[3]
    ax.contourf(
        data["g1"],
        data["g2"],
        P.argmax(-1),
        levels=[-0.5, 0.5, 1.5, 2.5],
        cmap=ListedColormap(cols),
        alpha=0.25,
    )
    ax.contour(
        data["g1"],
        data["g2"],
        P.max(-1),
        levels=[0.5, 0.9],
        colors="0.3",
        linewidths=0.8,
        linestyles=["-", ":"],
    )
    for c in range(3):
        ax.scatter(
            X[y == c, 0],
            X[y == c, 1],
            s=8,
            color=cols[c],
            edgecolors="k",
            linewidths=0.3,
            label=tr(lang, f"class {c + 1}", f"clase {c + 1}"),
        )
    ax.plot([], [], "-", color="0.3", lw=0.8, label="max p = 0.5")
    ax.plot([], [], ":", color="0.3", lw=0.8, label="max p = 0.9")
    ax.set_title(
        tr(
            lang,
            f"argmax: accuracy {100 * data['accuracy']:.1f} %",
            f"argmax: exactitud {100 * data['accuracy']:.1f} %",
        )
    )
    ax.legend(fontsize=7.5, loc="lower right")
    for ax in axes:
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.set_aspect("equal")
        ax.grid(False)
    set_title(
        fig,
        tr(
            lang,
            "Softmax regression on three classes: p_k = exp(z_k) / Σ_j exp(z_j), z = Wx + b; the probabilities sum to 1",
            "Regresión softmax con tres clases: p_k = exp(z_k) / Σ_j exp(z_j), z = Wx + b; las probabilidades suman 1",
        ),
    )
    return fig


# ============================================================================ universal-approximation
def compute_universal_approximation(seed=0, backend="cpu", budget="reduced"):
    """Three pictures of what one hidden layer can do (``experiments.feedforward.
    universal_approximation``): 1-H-1 sigmoid fits of sin(2 pi x), a 2-64-3 spiral classifier
    (its decision regions over a grid) and a 2-16-1-16-2 autoencoder."""
    from ..experiments.feedforward import universal_approximation

    kw, n = by_budget(
        budget,
        tiny=(dict(epochs=30, spiral_epochs=5, ae_epochs=10, n_starts=1), 40),
        # reduced: the output layer is refitted by least squares, so 1,000 Adam epochs already
        # give the theorem's falling error (0.61 -> 2e-7 from H = 1 to 32); 11.2 -> 4.7 CPU s
        reduced=(dict(epochs=1000, spiral_epochs=400, ae_epochs=1000), 160),
        full=(dict(epochs=10000, spiral_epochs=2000, ae_epochs=5000), 160),
    )
    out = universal_approximation(seed=seed, backend=backend, **kw)
    net, scale = out.pop("spiral_net"), out.pop("spiral_scale")
    g1, g2, G = grid((-1.15, 1.15), (-1.15, 1.15), n)
    out.update(
        g1=g1, g2=g2, cls=net.predict_classes(scale * G).reshape(g1.shape), reduced=budget != "full"
    )
    return out


def draw_universal_approximation(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    ax = axes[0, 0]
    ax.plot(data["xg"], data["tg"], color="k", lw=4, alpha=0.25, label="sin(2πx)")
    cmap = plt.get_cmap("viridis")
    for i, H in enumerate(data["units"]):
        ax.plot(
            data["xg"],
            data["fits"][int(H)],
            color=cmap(i / (len(data["units"]) - 1)),
            lw=1.4,
            label=f"H = {H}",
        )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_ylim(-1.6, 1.6)
    ax.set_title(
        tr(
            lang,
            "One hidden layer of H sigmoid units fitting sin(2πx)",
            "Una capa oculta de H sigmoides ajustando sin(2πx)",
        )
    )
    ax.legend(ncol=4, fontsize=8, loc="lower left")
    ax = axes[0, 1]
    ax.loglog(data["units"], data["rms"], "o-", color=COLOURS[0])
    ax.set_xticks(data["units"], [str(u) for u in data["units"]])
    ax.set_xlabel(tr(lang, "hidden units H", "neuronas ocultas H"))
    ax.set_ylabel(tr(lang, "RMS error on [−1, 1] (log)", "error RMS en [−1, 1] (log)"))
    ax.set_title(
        tr(
            lang,
            "Error against H (output layer at its least-squares optimum)",
            "Error frente a H\n(capa de salida óptima por mínimos cuadrados)",
        )
    )
    ax = axes[1, 0]
    cols = COLOURS[:3]
    ax.contourf(
        data["g1"],
        data["g2"],
        data["cls"],
        levels=[-0.5, 0.5, 1.5, 2.5],
        cmap=ListedColormap(cols),
        alpha=0.25,
    )
    for c in range(3):
        sel = data["ys"] == c
        ax.scatter(
            data["Xs"][sel, 0],
            data["Xs"][sel, 1],
            s=9,
            color=cols[c],
            edgecolors="k",
            linewidths=0.3,
            label=tr(lang, f"arm {c + 1}", f"brazo {c + 1}"),
        )
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.grid(False)
    ax.set_title(
        tr(
            lang,
            f"2-64-3 sigmoid net on three spirals:\ntraining accuracy {100 * data['spiral_accuracy']:.1f} %",
            f"Red sigmoide 2-64-3 con tres espirales:\nexactitud de entrenamiento "
            f"{100 * data['spiral_accuracy']:.1f} %",
        )
    )
    ax.legend(fontsize=8, loc="lower right")
    ax = axes[1, 1]
    P, R = data["P"], data["R"]
    ax.scatter(P[:, 0], P[:, 1], s=8, color="0.6", label=tr(lang, "data", "datos"))
    ax.scatter(
        R[:, 0],
        R[:, 1],
        s=6,
        color=COLOURS[1],
        label=tr(
            lang,
            f"reconstructions 2-16-1-16-2 (MSE {data['ae_mse']:.4f})",
            f"reconstrucciones 2-16-1-16-2 (MSE {data['ae_mse']:.4f})",
        ),
    )
    ax.plot(
        data["curve"][:, 0],
        data["curve"][:, 1],
        color=COLOURS[3],
        lw=1.6,
        label=tr(lang, "decoder over all codes", "decodificador sobre todos los códigos"),
    )
    ax.plot(
        data["lin_curve"][:, 0],
        data["lin_curve"][:, 1],
        color=COLOURS[0],
        ls="--",
        lw=1.4,
        label=tr(
            lang,
            f"linear 2-1-2 autoencoder (MSE {data['lin_mse']:.4f})",
            f"autocodificador lineal 2-1-2 (MSE {data['lin_mse']:.4f})",
        ),
    )
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_aspect("equal")
    ax.set_title(
        tr(
            lang,
            "A small autoencoder:\na 1-unit code that follows a curve",
            "Un autocodificador pequeño:\nun código de 1 neurona que sigue una curva",
        )
    )
    ax.legend(fontsize=7.5, loc="lower right")
    return fig
