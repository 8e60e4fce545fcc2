"""Figures of single neurons, the perceptron and small networks (MLP, FF, NN and DL decks).

Each figure is a pair: ``compute_<name>(seed, backend, budget)`` runs numbanet itself and returns
plain data (dicts of NumPy arrays and numbers); ``draw_<name>(data, lang)`` draws that data and
computes nothing. The computations go through the engine only:

* the perceptron rule: ``numbanet.unsupervised.Perceptron`` on the slides' truth tables;
* networks: ``nb.Sequential`` of ``nb.Dense`` and the activation layers, trained with ``fit``
  (losses and optimisers of ``numbanet.losses`` / ``numbanet.optim``); hidden representations
  are the outputs of the first layers of the trained model;
* activation functions and their derivatives: the activation layers' own forward and backward
  passes on the requested backend;
* data: ``numbanet.data.toy`` and ``numbanet.data.load_semeion``.

Problems are small on purpose (a few hundred 2-D points, the 4 rows of a truth table) so that each
figure computes in seconds and shows one idea clearly.
"""

from __future__ import annotations

import numpy as np

from ._style import COLOURS, budget_note, tr

# ----------------------------------------------------------------------------- helpers


def _seq(layers, backend, seed, dtype=np.float64):
    import numbanet as nb

    return nb.Sequential(layers, backend=backend, seed=seed, dtype=dtype)


def _through(net, x, n_layers):
    """Output of the first ``n_layers`` layers of ``net`` for ``x`` (evaluation mode): the hidden
    representation the rest of the network sees."""
    be = net.backend
    xb = be.asarray(np.ascontiguousarray(x, dtype=net.dtype), net.dtype)
    return np.asarray(be.to_numpy(net._forward(xb, training=False, layers=net.layers[:n_layers])))


def _after(net, h, first_layer):
    """Output of layers ``first_layer:`` of ``net`` fed with ``h`` (e.g. a decoder half)."""
    be = net.backend
    hb = be.asarray(np.ascontiguousarray(h, dtype=net.dtype), net.dtype)
    return np.asarray(
        be.to_numpy(net._forward(hb, training=False, layers=net.layers[first_layer:]))
    )


def _grid(xlim, ylim, n):
    g1, g2 = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    return g1, g2, np.column_stack([g1.ravel(), g2.ravel()])


def _dense_rows(net):
    """(W, b) of every Dense layer of a trained net, as NumPy arrays."""
    import numbanet as nb

    return [(layer.W.value.astype(np.float64), layer.b.value.astype(np.float64))
            for layer in net.layers if isinstance(layer, nb.Dense)]  # fmt: skip


def _line_points(w, b, xlim):
    """Two points of the line w[0] x + w[1] y + b = 0 over ``xlim`` (vertical when w[1] ~ 0)."""
    w = np.asarray(w, dtype=np.float64)
    if abs(w[1]) < 1e-9 * max(1.0, abs(w[0])):
        x0 = -b / w[0]
        return np.array([x0, x0]), np.array([-1e3, 1e3])
    xs = np.array(xlim, dtype=np.float64)
    return xs, -(w[0] * xs + b) / w[1]


def _two_layer_classifier(
    X,
    y,
    hidden,
    seed,
    backend,
    epochs,
    lr,
    max_tries=10,
    stop_margin=None,
    stop_accuracy=None,
    chunk=25,
):
    """Train a 2-``hidden``-1 sigmoid net with the binary cross-entropy and Adam; restart from the
    next seed when a run ends in a poor local minimum (the XOR net is known to get stuck).

    With ``stop_margin`` (or ``stop_accuracy``), training runs in chunks of ``chunk`` epochs (one
    Adam optimiser throughout) and stops as soon as every output is within ``stop_margin`` of its
    target (or the training accuracy reaches ``stop_accuracy``): the units are then decided but not
    yet saturated, which keeps the hidden-space picture readable.

    Returns the net, its losses per epoch, the seed that was kept and the number of runs made."""
    import numbanet as nb

    T = y.reshape(-1, 1).astype(np.float64)
    best = None
    for k in range(max_tries):
        s = seed + k
        net = _seq([nb.Dense(2, hidden, init="glorot_normal"), nb.Sigmoid(),
                    nb.Dense(hidden, 1, init="glorot_normal"), nb.Sigmoid()], backend, s)  # fmt: skip
        opt = nb.optim.get("adam", net.parameters(), lr)
        early = stop_margin is not None or stop_accuracy is not None
        step = chunk if early else epochs
        losses = []
        for _ in range(0, epochs, step):
            h = net.fit(X, T, loss="bce", optimizer=opt, epochs=step, batch_size=min(32, len(X)),
                        seed=s + len(losses), progress=False)  # fmt: skip
            losses += list(h["loss"])
            out = net.predict(X)[:, 0]
            if stop_margin is not None and np.max(np.abs(out - y)) < stop_margin:
                break
            if stop_accuracy is not None and np.mean((out > 0.5) == y) >= stop_accuracy:
                break
        acc = float(np.mean(net.predict_classes(X) == y))
        if best is None or acc > best[3]:
            best = (net, np.array(losses), s, acc)
        if acc >= 0.98:
            break
    return best[0], best[1], best[2], k + 1


def _hidden_space_data(net, X, y, xlim, ylim, n_grid=150, n_lines=11):
    """Everything the input-space / hidden-space pair of panels needs."""
    (W1, b1), (W2, b2) = _dense_rows(net)
    g1, g2, G = _grid(xlim, ylim, n_grid)
    out = net.predict(G)[:, 0].reshape(g1.shape)
    U = _through(net, X, 2)
    # the image of a square grid of lines of the input space in the hidden space
    lines = []
    for v in np.linspace(xlim[0], xlim[1], n_lines):
        pts = np.column_stack([np.full(200, v), np.linspace(*ylim, 200)])
        lines.append(_through(net, pts, 2))
    for v in np.linspace(ylim[0], ylim[1], n_lines):
        pts = np.column_stack([np.linspace(*xlim, 200), np.full(200, v)])
        lines.append(_through(net, pts, 2))
    pred = net.predict_classes(X)
    return {"X": X, "y": y, "U": U, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "g1": g1, "g2": g2,
            "out": out, "grid_lines": np.array(lines), "accuracy": float(np.mean(pred == y)),
            "xlim": xlim, "ylim": ylim}  # fmt: skip


def _draw_input_space(ax, d, lang, labels=None):
    ax.contourf(d["g1"], d["g2"], d["out"], levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(d["g1"], d["g2"], d["out"], levels=[0.5], colors="k", linewidths=1.4)
    for j, (w, b) in enumerate(zip(d["W1"], d["b1"])):
        xs, ys = _line_points(w, b, d["xlim"])
        ax.plot(xs, ys, ls="--", color=COLOURS[2 + 2 * j], lw=2.2, zorder=4,
                label=tr(lang, f"hidden unit {j + 1}: w·x + b = 0", f"neurona oculta {j + 1}: w·x + b = 0"))  # fmt: skip
    X, y = d["X"], d["y"]
    s = 90 if len(X) <= 8 else 14
    for c, m in ((0, "o"), (1, "s")):
        ax.scatter(X[y == c, 0], X[y == c, 1], c=COLOURS[0] if c == 0 else COLOURS[3], marker=m, s=s,
                   edgecolors="k", linewidths=0.5, zorder=3,
                   label=tr(lang, f"class {c}", f"clase {c}"))  # fmt: skip
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
    xs, ys = _line_points(d["W2"][0], d["b2"][0], (-0.1, 1.1))
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
        ax.scatter(U[y == c, 0], U[y == c, 1], c=COLOURS[0] if c == 0 else COLOURS[3], marker=m, s=s,
                   edgecolors="k", linewidths=0.5, zorder=3,
                   label=tr(lang, f"class {c}", f"clase {c}"))  # fmt: skip
    if labels is not None:  # points that land on the same spot share one label
        done = np.zeros(len(U), bool)
        for i in range(len(U)):
            if done[i]:
                continue
            near = np.where(np.hypot(*(U - U[i]).T) < 0.06)[0]
            done[near] = True
            ax.annotate(", ".join(labels[j] for j in near), U[i], textcoords="offset points",
                        xytext=(-10 if U[i, 0] > 0.7 else 8, -14 if U[i, 1] > 0.9 else 7),
                        ha="right" if U[i, 0] > 0.7 else "left", fontsize=9)  # fmt: skip
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


# ============================================================================ logic-gates
GATES_2D = ("AND", "OR", "NAND", "NOR", "XOR")
PERCEPTRON_EPOCHS = 20


def compute_logic_gates(seed=0, backend="cpu", budget="reduced"):
    """The perceptron rule (eta = 1, zero start, examples in table order) on each truth table.

    For each gate: learned ``w``, ``b``, errors per epoch, whether it converged, and the step
    output over a grid of the input square (the decision regions)."""
    from ..unsupervised import LOGIC_GATES, Perceptron

    g1, g2, G = _grid((-0.5, 1.5), (-0.5, 1.5), 121)
    out = {"epochs": PERCEPTRON_EPOCHS, "gates": {}, "g1": g1, "g2": g2}
    for name in (*GATES_2D, "NOT"):
        X, y = LOGIC_GATES[name]
        p = Perceptron(X.shape[1])
        errors = p.fit(X, y, epochs=PERCEPTRON_EPOCHS)
        rec = {"X": np.asarray(X, float), "y": np.asarray(y), "w": np.array(p.w, dtype=float),
               "b": float(p.b), "errors": np.array(errors), "converged": bool(p.converged),
               "pred": p.predict(X)}  # fmt: skip
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
                ax.scatter([xi], [0], s=110, marker="s" if yi else "o", edgecolors="k", zorder=3,
                           c=COLOURS[3] if yi else COLOURS[0])  # fmt: skip
                ax.annotate(f"NOT {int(xi)} = {yi}", (xi, 0), textcoords="offset points",
                            xytext=(-22, 14), fontsize=9)  # fmt: skip
            ax.set_ylim(-1, 1)
            ax.set_yticks([])
            ax.set_xlabel("x₁")
            eq = f"w = {w[0]:g}, b = {b:g}"
        else:
            ax.contourf(data["g1"], data["g2"], g["regions"], levels=[-0.5, 0.5, 1.5], cmap=cmap)
            if np.any(w != 0):
                xs, ys = _line_points(w, b, (-0.5, 1.5))
                ax.plot(xs, ys, "k-", lw=1.6)
            for (x1, x2), yi in zip(X, y):
                ax.scatter([x1], [x2], s=110, marker="s" if yi else "o", edgecolors="k", zorder=3,
                           c=COLOURS[3] if yi else COLOURS[0])  # fmt: skip
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
            status = tr(lang, f"{g['errors'][-1]} errors in epoch {n_ep}: never 0",
                        f"{g['errors'][-1]} errores en la época {n_ep}: nunca 0")  # fmt: skip
        ax.set_title(f"{name}: {status}\n{eq}", fontsize=10.5,
                     color="k" if g["converged"] else COLOURS[3])  # fmt: skip
    fig.suptitle(tr(lang, "The perceptron rule (η = 1, zero start) on the logic gates: learned decision lines\n"
                          "(step φ(z) = 1 if z = w·x + b ≥ 0, so a point on the line is classified 1)",
                    "La regla del perceptrón (η = 1, inicio en cero) en las puertas lógicas: rectas de decisión aprendidas\n"
                    "(escalón φ(z) = 1 si z = w·x + b ≥ 0: un punto sobre la recta se clasifica como 1)"))  # fmt: skip
    return fig


# ============================================================================ perceptron-training
def compute_perceptron_training(seed=0, backend="cpu", budget="reduced"):
    """Errors per epoch of the perceptron rule for every gate (zero start, table order), and the
    epochs needed to converge from ``n_starts`` random starts with shuffled example orders."""
    from ..unsupervised import LOGIC_GATES, Perceptron

    n_starts = 20 if budget == "reduced" else 100
    names = ("AND", "OR", "NAND", "NOR", "NOT", "XOR")
    out = {"names": names, "epochs": PERCEPTRON_EPOCHS, "n_starts": n_starts, "errors": {},
           "converged": {}, "epochs_random": {}}  # fmt: skip
    for name in names:
        X, y = LOGIC_GATES[name]
        p = Perceptron(X.shape[1])
        out["errors"][name] = np.array(p.fit(X, y, epochs=PERCEPTRON_EPOCHS))
        out["converged"][name] = bool(p.converged)
        ep = []
        for k in range(n_starts):
            q = Perceptron(X.shape[1], seed=seed * 1000 + k)
            q.fit(X, y, epochs=PERCEPTRON_EPOCHS)
            ep.append(q.n_epochs_ if q.converged else -1)  # -1: not converged
        out["epochs_random"][name] = np.array(ep)
    return out


def draw_perceptron_training(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 4.3), gridspec_kw={"width_ratios": [1.4, 1]})
    markers = ("o", "s", "^", "v", "D", "X")
    E = data["epochs"]
    for i, name in enumerate(data["names"]):
        e = data["errors"][name]
        off = (i - 2.5) * 0.05  # a small vertical offset so overlapping curves stay visible
        a1.plot(np.arange(1, len(e) + 1), e + off, marker=markers[i], ms=5, color=COLOURS[i],
                lw=2.4 if name == "XOR" else 1.4, label=name)  # fmt: skip
    a1.set_xlim(0.5, E + 0.5)
    a1.set_xticks(np.arange(1, E + 1, 2))
    a1.set_xlabel(tr(lang, "epoch", "época"))
    a1.set_ylabel(tr(lang, "misclassified examples (updates) in the epoch",
                     "ejemplos mal clasificados (actualizaciones) en la época"))  # fmt: skip
    a1.set_title(tr(lang, "Zero start, table order: every gate but XOR reaches 0 errors",
                    "Inicio en cero, orden de la tabla: todas menos XOR llegan a 0 errores"))  # fmt: skip
    a1.legend(ncol=3, title=tr(lang, "curves offset by ±0.12 to stay visible", "curvas desplazadas ±0.12 para verse"),
              title_fontsize=8)  # fmt: skip
    names = data["names"]
    for i, name in enumerate(names):
        ep = data["epochs_random"][name]
        ok = ep[ep > 0]
        jit = np.linspace(-0.2, 0.2, len(ok)) if len(ok) > 1 else np.zeros(len(ok))
        a2.scatter(np.full(len(ok), i) + jit, ok, s=16, color=COLOURS[i], alpha=0.8)
        n_fail = int(np.sum(ep < 0))
        if n_fail:
            a2.scatter([i], [E + 1.5], marker="x", s=60, color=COLOURS[i])
            a2.annotate(tr(lang, f"{n_fail}/{len(ep)}\nnever", f"{n_fail}/{len(ep)}\nnunca"), (i, E + 1.5),
                        textcoords="offset points", xytext=(0, -30), ha="center", fontsize=8.5)  # fmt: skip
    a2.axhline(E + 0.5, color="0.5", lw=0.8, ls=":")
    a2.set_xticks(range(len(names)), names)
    a2.set_ylim(0, E + 3)
    a2.set_ylabel(tr(lang, f"epochs to converge (max {E})", f"épocas hasta converger (máx. {E})"))
    a2.set_title(tr(lang, f"{data['n_starts']} random starts, shuffled order",
                    f"{data['n_starts']} inicios aleatorios, orden barajado"))  # fmt: skip
    return fig


# ============================================================================ xor-mlp
XOR_LABELS = ("(0,0)", "(0,1)", "(1,0)", "(1,1)")


def compute_xor_mlp(seed=0, backend="cpu", budget="reduced"):
    """A 2-2-1 sigmoid net trained on XOR with the binary cross-entropy and Adam; the decision
    regions in the input space and the four points in the space of the two hidden units."""
    from ..data import toy

    X, y = toy.logic_gate("xor")
    X = np.asarray(X, dtype=np.float64)
    net, loss, used, runs = _two_layer_classifier(X, y, 2, seed, backend, epochs=2000, lr=0.05,
                                                  stop_margin=0.2)  # fmt: skip
    d = _hidden_space_data(net, X, y, (-0.5, 1.5), (-0.5, 1.5), n_grid=121, n_lines=9)
    # which logic function each hidden unit computes on the four inputs (its rounded outputs)
    names = {(0, 0, 0, 1): "AND", (0, 1, 1, 1): "OR", (1, 1, 1, 0): "NAND", (1, 0, 0, 0): "NOR",
             (0, 1, 0, 0): "x₂ AND NOT x₁", (0, 0, 1, 0): "x₁ AND NOT x₂",
             (1, 0, 1, 1): "x₁ OR NOT x₂", (1, 1, 0, 1): "x₂ OR NOT x₁"}  # fmt: skip
    unit_gates = [names.get(tuple(int(v) for v in np.round(d["U"][:, j])), "?") for j in range(2)]
    d.update(loss=loss, seed_used=used, runs=runs, outputs=net.predict(X)[:, 0],
             unit_gates=unit_gates)  # fmt: skip
    return d


def draw_xor_mlp(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 5.2))
    _draw_input_space(a1, data, lang, labels=[f"{o:.2f}" for o in data["outputs"]])
    a1.set_aspect("equal")
    a1.set_xticks(np.arange(-0.5, 1.51, 0.5))
    a1.set_yticks(np.arange(-0.5, 1.51, 0.5))
    a1.set_title(tr(lang, "Input space: two hidden lines, XOR regions\n(labels: the network's output)",
                    "Espacio de entrada: dos rectas ocultas, regiones XOR\n(etiquetas: la salida de la red)"))  # fmt: skip
    a1.legend(loc="upper center", fontsize=8.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    _draw_hidden_space(a2, data, lang, labels=list(XOR_LABELS))
    a2.set_xticks(np.arange(0, 1.01, 0.25))
    a2.set_yticks(np.arange(0, 1.01, 0.25))
    g1, g2 = data["unit_gates"]
    a2.set_title(tr(lang, f"Hidden space (u₁, u₂): XOR is linearly separable\nu₁ ≈ {g1},  u₂ ≈ {g2}",
                    f"Espacio oculto (u₁, u₂): XOR es linealmente separable\nu₁ ≈ {g1},  u₂ ≈ {g2}"))  # fmt: skip
    a2.legend(loc="upper center", fontsize=8.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    fig.suptitle(tr(lang, f"A 2-2-1 sigmoid net solves XOR: accuracy {100 * data['accuracy']:.0f} %, "
                          f"trained {len(data['loss'])} epochs, until every output was within 0.2 of its target",
                    f"Una red sigmoide 2-2-1 resuelve XOR: exactitud {100 * data['accuracy']:.0f} %, "
                    f"{len(data['loss'])} épocas, hasta que cada salida quedó a menos de 0.2 de su objetivo"))  # fmt: skip
    return fig


# ============================================================================ hidden-space
def _wedge_data(seed, n=400):
    """Points uniform in a square; class 1 inside a wedge (the intersection of two half-planes,
    x2 > 1.1 |x1 - 0.5| - 2), class 0 around it. No line separates a wedge from its outside; two
    lines, one per hidden unit, do. Points closer than 0.25 to the wedge's border are dropped
    so the two classes have a margin."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-4.0, 4.0, (int(n * 1.3), 2))
    m = X[:, 1] - 1.1 * np.abs(X[:, 0] - 0.5) + 2.0
    keep = np.abs(m) / np.hypot(1.0, 1.1) > 0.25
    X, m = X[keep][:n], m[keep][:n]
    return X, (m > 0).astype(np.int64)


def compute_hidden_space(seed=0, backend="cpu", budget="reduced"):
    """Two-class data no line separates, a 2-2-1 sigmoid net trained on it, and the image of the
    data in the space (u1, u2) of the two hidden units, where the output unit's line separates
    it (almost). A logistic regression on the raw inputs is the linear baseline."""
    import numbanet as nb

    X, y = _wedge_data(seed)
    net, loss, used, runs = _two_layer_classifier(X, y, 2, seed, backend, epochs=300, lr=0.05,
                                                  stop_accuracy=0.975, chunk=2)  # fmt: skip
    d = _hidden_space_data(net, X, y, (-4.0, 4.0), (-4.0, 4.0))
    lin = _seq([nb.Dense(2, 1), nb.Sigmoid()], backend, seed)
    lin.fit(X, y.reshape(-1, 1).astype(np.float64), loss="bce", optimizer="adam", lr=0.05,
            epochs=200, batch_size=32, seed=seed, progress=False)  # fmt: skip
    d.update(linear_accuracy=float(np.mean(lin.predict_classes(X) == y)), seed_used=used, runs=runs,
             loss=loss)  # fmt: skip
    ((wl, bl),) = _dense_rows(lin)
    d.update(w_linear=wl[0], b_linear=float(bl[0]))
    return d


def draw_hidden_space(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5.3), gridspec_kw={"width_ratios": [1.3, 1]})
    _draw_input_space(a1, data, lang)
    xs, ys = _line_points(data["w_linear"], data["b_linear"], data["xlim"])
    a1.plot(xs, ys, ":", color="0.3", lw=1.6,
            label=tr(lang, f"best single line (logistic regression): {100 * data['linear_accuracy']:.0f} %",
                     f"mejor recta (regresión logística): {100 * data['linear_accuracy']:.0f} %"))  # fmt: skip
    a1.set_xlim(*data["xlim"])
    a1.set_ylim(*data["ylim"])
    a1.set_title(tr(lang, "Original space (x₁, x₂): not linearly separable",
                    "Espacio original (x₁, x₂): no es linealmente separable"))  # fmt: skip
    a1.legend(loc="upper center", fontsize=7.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    _draw_hidden_space(a2, data, lang)
    a2.set_title(tr(lang, f"Hidden space (u₁, u₂): one line gives {100 * data['accuracy']:.1f} %",
                    f"Espacio oculto (u₁, u₂): una recta da {100 * data['accuracy']:.1f} %"))  # fmt: skip
    a2.legend(loc="upper center", fontsize=7.5, ncol=2, bbox_to_anchor=(0.5, -0.13))
    fig.suptitle(tr(lang, "Two sigmoid hidden units transform the space so a line (almost) separates the classes",
                    "Dos neuronas ocultas sigmoides transforman el espacio para que una recta (casi) separe las clases"))  # fmt: skip
    return fig


# ============================================================================ semeion-2d
def compute_semeion_2d(seed=0, backend="cpu", budget="reduced"):
    """A 256-2-10 net (two sigmoid hidden units, softmax output) trained on the 1593 SEMEION digits
    with the cross-entropy and Adam; the 2-D hidden code of every digit."""
    import numbanet as nb

    from ..data import load_semeion

    d = load_semeion()
    X, y = d.x, d.y
    epochs = 120 if budget == "reduced" else 400
    net = nb.Sequential([nb.Dense(256, 2, init="glorot_normal"), nb.Sigmoid(),
                         nb.Dense(2, 10, init="glorot_normal"), nb.Softmax()],
                        backend=backend, seed=seed)  # fmt: skip
    h = net.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=epochs, batch_size=32,
                seed=seed, progress=False)  # fmt: skip
    U = _through(net, X, 2)
    return {"U": U, "y": y, "loss": np.array(h["loss"]), "acc_curve": np.array(h["accuracy"]),
            "accuracy": float(np.mean(net.predict_classes(X) == y)), "epochs": epochs,
            "n": int(len(y)), "reduced": budget == "reduced"}  # fmt: skip


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

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 6.0), gridspec_kw={"width_ratios": [1.3, 1]})
    U, y = data["U"], data["y"]
    for k in range(10):
        sel = y == k
        a1.scatter(U[sel, 0], U[sel, 1], s=7, color=COLOURS[k], alpha=0.65, label=str(k))
    med = np.array([np.median(U[y == k], axis=0) for k in range(10)])
    pos = _spread_labels(med)
    for k in range(10):
        if np.hypot(*(pos[k] - med[k])) > 0.02:  # a moved label points at its median
            a1.annotate("", med[k], xytext=pos[k], arrowprops=dict(arrowstyle="-", color=COLOURS[k], lw=1.2),
                        zorder=4)  # fmt: skip
            a1.plot(*med[k], "o", ms=4, color=COLOURS[k], mec="k", mew=0.6, zorder=5)
        a1.text(pos[k][0], pos[k][1], str(k), fontsize=13, weight="bold", ha="center", va="center", zorder=6,
                color=COLOURS[k], bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec=COLOURS[k], alpha=0.9))  # fmt: skip
    a1.set_xlim(-0.03, 1.03)
    a1.set_ylim(-0.03, 1.03)
    a1.set_aspect("equal")
    a1.set_xlabel(tr(lang, "u₁ (hidden unit 1, sigmoid)", "u₁ (neurona oculta 1, sigmoide)"))
    a1.set_ylabel(tr(lang, "u₂ (hidden unit 2, sigmoid)", "u₂ (neurona oculta 2, sigmoide)"))
    a1.set_title(tr(lang, f"The {data['n']} SEMEION digits in the 2-D hidden layer\n"
                          "(circled: each digit's median code)",
                    f"Los {data['n']} dígitos SEMEION en la capa oculta 2-D\n"
                    "(en círculo: el código mediano de cada dígito)"), fontsize=10.5)  # fmt: skip
    a1.legend(title=tr(lang, "digit", "dígito"), fontsize=8.5, markerscale=2.5, ncol=10, loc="upper center",
              bbox_to_anchor=(0.5, -0.13), columnspacing=0.9, handletextpad=0.2)  # fmt: skip
    e = np.arange(1, len(data["loss"]) + 1)
    a2.plot(
        e,
        100 * data["acc_curve"],
        color=COLOURS[0],
        label=tr(lang, "training accuracy", "exactitud de entrenamiento"),
    )
    a2.set_xlabel(tr(lang, "epoch", "época"))
    a2.set_ylabel(tr(lang, "training accuracy (%)", "exactitud de entrenamiento (%)"))
    a2.axhline(10, color="0.5", ls=":", lw=1, label=tr(lang, "chance (10 %)", "azar (10 %)"))
    a2.set_ylim(0, 100)
    a2.legend(loc="center right")
    a2.set_title(tr(lang, f"256-2-10 net, Adam: training accuracy {100 * data['accuracy']:.1f} %",
                    f"Red 256-2-10, Adam: exactitud de entrenamiento {100 * data['accuracy']:.1f} %"),
                 fontsize=10.5)  # fmt: skip
    fig.suptitle(tr(lang, f"SEMEION through two hidden units ({data['epochs']} epochs; many codes saturate at the edges)",
                    f"SEMEION a través de dos neuronas ocultas ({data['epochs']} épocas; muchos códigos se saturan en los bordes)")
                 + budget_note(data["reduced"], lang), fontsize=11)  # fmt: skip
    return fig


# ============================================================================ linear-hidden-collapse
def _effective_affine(net):
    """Compose every Dense layer of a net without nonlinearities into one map x -> A x + c."""
    A, c = None, None
    for W, b in _dense_rows(net):
        A = W if A is None else W @ A
        c = b if c is None else W @ c + b
    return A, c


def compute_linear_hidden_collapse(seed=0, backend="cpu", budget="reduced"):
    """Nets with 1-3 hidden layers of linear units fitted (MSE, Adam) to a cubic: each is one
    affine map and lands on the least-squares line; a tanh net of the same shape fits the curve.
    Second part: a 4-8-2-8-4 linear net is the single matrix W4 W3 W2 W1 of rank 2."""
    import numbanet as nb

    from ..data import toy

    x, t = toy.regression_1d("poly", 80, seed=seed, noise=0.1)
    X1 = np.hstack([x, np.ones_like(x)])
    lsq = np.linalg.lstsq(X1, t, rcond=None)[0].ravel()  # the reference the nets are compared to
    xg = np.linspace(-1.05, 1.05, 211)[:, None]
    epochs = 1500
    fits, maps = {}, {}
    for depth in (1, 2, 3):
        layers = [nb.Dense(1, 16, init="glorot_normal"), nb.Identity()]
        for _ in range(depth - 1):
            layers += [nb.Dense(16, 16, init="glorot_normal"), nb.Identity()]
        net = _seq(layers + [nb.Dense(16, 1, init="glorot_normal")], backend, seed + depth)
        net.fit(x, t, loss="mse", optimizer="adam", lr=0.01, epochs=epochs, batch_size=len(x),
                seed=seed, progress=False)  # fmt: skip
        A, c = _effective_affine(net)
        fits[depth] = net.predict(xg)[:, 0]
        maps[depth] = (float(A[0, 0]), float(c[0]))
    tnet = _seq([nb.Dense(1, 16, init="glorot_normal"), nb.Tanh(), nb.Dense(16, 16, init="glorot_normal"),
                 nb.Tanh(), nb.Dense(16, 1, init="glorot_normal")], backend, seed)  # fmt: skip
    tnet.fit(x, t, loss="mse", optimizer="adam", lr=0.01, epochs=epochs, batch_size=len(x), seed=seed,
             progress=False)  # fmt: skip
    # a bottlenecked 4-8-2-8-4 linear net: one 4x4 matrix of rank <= 2
    rng = np.random.default_rng(seed)
    shapes = {"4-8-8-8-4": (4, 8, 8, 8, 4), "4-8-2-8-4": (4, 8, 2, 8, 4)}
    svals, devs = {}, {}
    for name, s in shapes.items():
        layers = []
        for a, b in zip(s[:-1], s[1:]):
            layers += [nb.Dense(a, b, init="glorot_normal", bias_init="normal"), nb.Identity()]
        net = _seq(layers[:-1], backend, seed)
        A, c = _effective_affine(net)
        Z = rng.standard_normal((200, 4))
        devs[name] = float(np.max(np.abs(net.predict(Z) - (Z @ A.T + c))))
        svals[name] = np.linalg.svd(A, compute_uv=False)
    return {"x": x[:, 0], "t": t[:, 0], "xg": xg[:, 0], "lsq": lsq, "fits": fits, "maps": maps,
            "tanh_fit": tnet.predict(xg)[:, 0], "svals": svals, "devs": devs,
            "rank": {k: int(np.sum(v > 1e-6 * v.max())) for k, v in svals.items()}}  # fmt: skip


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
    a1.plot(data["xg"], w * data["xg"] + b, color="k", lw=5, alpha=0.25,
            label=tr(lang, f"least-squares line y = {w:.3f}x {b:+.3f}", f"recta de mínimos cuadrados y = {w:.3f}x {b:+.3f}"))  # fmt: skip
    ls = {1: "-", 2: "--", 3: ":"}
    for depth, f in data["fits"].items():
        s, c = data["maps"][depth]
        a1.plot(data["xg"], f, ls=ls[depth], color=COLOURS[depth - 1], lw=1.8,
                label=tr(lang, f"{depth} linear hidden layer(s) of 16: y = {s:.3f}x {c:+.3f}",
                         f"{depth} capa(s) oculta(s) lineal(es) de 16: y = {s:.3f}x {c:+.3f}"))  # fmt: skip
    a1.plot(data["xg"], data["tanh_fit"], color=COLOURS[3], lw=1.6,
            label=tr(lang, "same shape with tanh: follows the curve", "misma forma con tanh: sigue la curva"))  # fmt: skip
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
        a2.bar(np.arange(len(sv)) + (i - 0.5) * wbar, np.maximum(sv, 1e-18), width=wbar, color=COLOURS[4 + i],
               label=tr(lang, f"{name}: rank {data['rank'][name]}, max |net − (Ax + c)| = {data['devs'][name]:.1e}",
                        f"{name}: rango {data['rank'][name]}, máx |red − (Ax + c)| = {data['devs'][name]:.1e}"))  # fmt: skip
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
SOFTMAX_CENTRES = ((-2.2, -1.2), (2.2, -1.2), (0.0, 2.2))


def compute_softmax(seed=0, backend="cpu", budget="reduced"):
    """Softmax regression (a Dense(2, 3) layer followed by Softmax) trained with the cross-entropy
    on three Gaussian classes; the three class probabilities over the plane."""
    import numbanet as nb

    from ..data import toy

    X, y = toy.blobs(300, centers=SOFTMAX_CENTRES, std=1.1, seed=seed)
    net = _seq([nb.Dense(2, 3, init="glorot_normal"), nb.Softmax()], backend, seed)
    h = net.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=150, batch_size=32,
                seed=seed, progress=False)  # fmt: skip
    lo, hi = X.min(0) - 0.7, X.max(0) + 0.7
    g1, g2, G = _grid((lo[0], hi[0]), (lo[1], hi[1]), 160)
    P = net.predict(G)
    ((W, b),) = _dense_rows(net)
    return {"X": X, "y": y, "g1": g1, "g2": g2, "P": P.reshape(g1.shape + (3,)), "W": W, "b": b,
            "accuracy": float(np.mean(net.predict_classes(X) == y)), "loss": np.array(h["loss"])}  # fmt: skip


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
            ax.scatter(X[y == c, 0], X[y == c, 1], s=8, color=cols[c], edgecolors="k", linewidths=0.3,
                       alpha=1.0 if c == k else 0.35)  # fmt: skip
        ax.set_title(tr(lang, f"P(class {k + 1} | x)", f"P(clase {k + 1} | x)"))
        fig.colorbar(im, ax=ax, shrink=0.85, ticks=[0, 0.5, 1])
    ax = axes[3]
    ax.contourf(data["g1"], data["g2"], P.argmax(-1), levels=[-0.5, 0.5, 1.5, 2.5],
                cmap=ListedColormap(cols), alpha=0.25)  # fmt: skip
    ax.contour(data["g1"], data["g2"], P.max(-1), levels=[0.5, 0.9], colors="0.3", linewidths=0.8,
               linestyles=["-", ":"])  # fmt: skip
    for c in range(3):
        ax.scatter(X[y == c, 0], X[y == c, 1], s=8, color=cols[c], edgecolors="k", linewidths=0.3,
                   label=tr(lang, f"class {c + 1}", f"clase {c + 1}"))  # fmt: skip
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
    fig.suptitle(tr(lang, "Softmax regression on three classes: p_k = exp(z_k) / Σ_j exp(z_j), z = Wx + b; the probabilities sum to 1",
                    "Regresión softmax con tres clases: p_k = exp(z_k) / Σ_j exp(z_j), z = Wx + b; las probabilidades suman 1"))  # fmt: skip
    return fig


# ============================================================================ activations
def _act_layers():
    import numbanet as nb

    return [("sigmoid", r"$\sigma(z) = 1/(1 + e^{-z})$", lambda: nb.Sigmoid()),
            ("tanh", r"$\tanh z$", lambda: nb.Tanh()),
            ("relu", r"ReLU: $\max(0, z)$", lambda: nb.ReLU()),
            ("leaky_relu", r"Leaky ReLU ($\alpha = 0.1$)", lambda: nb.LeakyReLU(0.1)),
            ("prelu_0.05", r"PReLU $\alpha = 0.05$", lambda: nb.PReLU(1, init=0.05)),
            ("prelu_0.25", r"PReLU $\alpha = 0.25$", lambda: nb.PReLU(1, init=0.25)),
            ("prelu_0.5", r"PReLU $\alpha = 0.5$", lambda: nb.PReLU(1, init=0.5)),
            ("elu", r"ELU ($\alpha = 1$)", lambda: nb.ELU(1.0)),
            ("softplus", r"softplus: $\log(1 + e^{z})$", lambda: nb.Softplus()),
            ("gelu", r"GELU: $z\,\Phi(z)$", lambda: nb.GELU()),
            ("silu", r"SiLU / swish: $z\,\sigma(z)$", lambda: nb.SiLU())]  # fmt: skip


def _f_and_df(make, z, backend):
    """f(z) and f'(z) from one activation layer's forward and backward passes (d(sum f)/dz)."""
    import numbanet as nb

    net = nb.Sequential([make()], backend=backend, dtype=np.float64, input_shape=(len(z),))
    f = net.forward(z[None, :], training=True)[0]
    df = net.backward(np.ones((1, len(z))))[0]
    return f, df


def compute_activations(seed=0, backend="cpu", budget="reduced"):
    """Every activation layer of numbanet evaluated on z in [-4, 4] with its derivative, both from
    the layer's own forward and backward passes on ``backend``."""
    z = np.linspace(-4.0, 4.0, 801)
    out = {"z": z, "f": {}, "df": {}, "label": {}}
    for key, label, make in _act_layers():
        out["f"][key], out["df"][key] = _f_and_df(make, z, backend)
        out["label"][key] = label
    return out


def draw_activations(data, lang="en"):
    import matplotlib.pyplot as plt

    panels = [["sigmoid"], ["tanh"], ["relu"], ["leaky_relu"], ["prelu_0.05", "prelu_0.25", "prelu_0.5"],
              ["elu"], ["softplus"], ["gelu"], ["silu"]]  # fmt: skip
    fig, axes = plt.subplots(3, 3, figsize=(12, 9.5), sharex=True)
    z = data["z"]
    unbounded = [k for keys in panels for k in keys if k not in ("sigmoid", "tanh")]
    lo = min(-1.3, min(min(data["f"][k].min(), data["df"][k].min()) for k in unbounded))
    for ax, keys in zip(axes.ravel(), panels):
        for i, k in enumerate(keys):
            c = COLOURS[i] if len(keys) > 1 else COLOURS[0]
            lab = data["label"][k]
            ax.plot(
                z, data["f"][k], color=c, lw=1.9, label=f"f: {lab}" if len(keys) > 1 else "f(z)"
            )
            ax.plot(z, data["df"][k], color=c if len(keys) > 1 else COLOURS[1], ls="--", lw=1.5,
                    label=f"f′: {lab}" if len(keys) > 1 else "f′(z)")  # fmt: skip
        ax.axhline(0, color="0.4", lw=0.6)
        ax.axvline(0, color="0.4", lw=0.6)
        title = (
            r"PReLU ($\alpha$ " + tr(lang, "learned; three values", "aprendida; tres valores") + ")"
            if len(keys) > 1
            else data["label"][keys[0]]
        )
        ax.set_title(title)
        ax.legend(fontsize=7 if len(keys) > 1 else 8.5, loc="upper left")
        if keys[0] in ("sigmoid", "tanh"):
            ax.set_ylim(-1.15, 1.15)
        else:  # one scale for the unbounded ones, low enough for every curve (PReLU's α = 0.5 too)
            ax.set_ylim(lo - 0.3, 4.3)
    for ax in axes[-1]:
        ax.set_xlabel("z")
    for ax in axes[:, 0]:
        ax.set_ylabel(tr(lang, "f(z) and f′(z)", "f(z) y f′(z)"))
    fig.suptitle(tr(lang, "Activation functions (solid) and their derivatives (dashed), from numbanet's layers' forward and backward passes",
                    "Funciones de activación (continua) y sus derivadas (discontinua), de los pasos hacia delante y hacia atrás de las capas de numbanet"))  # fmt: skip
    return fig


# ============================================================================ sigmoid-vs-relu
def compute_sigmoid_vs_relu(seed=0, backend="cpu", budget="reduced"):
    """sigma, sigma' (at most 1/4), ReLU and ReLU' from the layers; then the gradient reaching each
    layer of two 10-hidden-layer nets (width 30) at initialisation, sigmoid vs ReLU.

    The gradient of layer l's biases is the output error times the product of the activation
    derivatives of the layers above (times weights): with sigmoids every factor is at most 1/4."""
    import numbanet as nb

    z = np.linspace(-6.0, 6.0, 601)
    sig, dsig = _f_and_df(nb.Sigmoid, z, backend)
    relu, drelu = _f_and_df(nb.ReLU, z, backend)
    depth, width, n = 10, 30, 256
    n_seeds = 5 if budget == "reduced" else 20
    curves = {"sigmoid": [], "relu": []}
    mean_dsig = []
    rng = np.random.default_rng(seed)
    for s in range(n_seeds):
        x = rng.standard_normal((n, width))
        g = rng.standard_normal((n, 10)) / n  # a generic error signal at the output
        for kind in ("sigmoid", "relu"):
            layers = []
            for _ in range(depth):
                if kind == "sigmoid":
                    layers += [nb.Dense(width, width, init="lecun_normal"), nb.Sigmoid()]
                else:
                    layers += [nb.Dense(width, width, init="he_normal"), nb.ReLU()]
            net = _seq(layers + [nb.Dense(width, 10, init="lecun_normal")], backend, seed * 100 + s)
            net.zero_grad()
            net.forward(x, training=True)
            net.backward(g)
            dense = [layer for layer in net.layers if isinstance(layer, nb.Dense)][:depth]
            curves[kind].append([float(np.linalg.norm(layer.b.grad)) for layer in dense])
            if kind == "sigmoid":  # the mean sigma'(z) of every hidden layer
                outs, h = [], x
                for layer in net.layers[: 2 * depth]:
                    h = _after_layer(net, layer, h)
                    if isinstance(layer, nb.Sigmoid):
                        outs.append(float(np.mean(h * (1 - h))))
                mean_dsig.append(outs)
    return {"z": z, "sigmoid": sig, "dsigmoid": dsig, "relu": relu, "drelu": drelu,
            "depth": depth, "width": width, "n_seeds": n_seeds,
            "grad_sigmoid": np.array(curves["sigmoid"]), "grad_relu": np.array(curves["relu"]),
            "mean_dsigmoid": np.array(mean_dsig)}  # fmt: skip


def _after_layer(net, layer, h):
    be = net.backend
    return np.asarray(be.to_numpy(layer.forward(be.asarray(np.ascontiguousarray(h), net.dtype))))


def draw_sigmoid_vs_relu(data, lang="en"):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.6))
    z = data["z"]
    a1.plot(z, data["sigmoid"], color=COLOURS[0], label="σ(z)")
    a1.plot(z, data["dsigmoid"], color=COLOURS[0], ls="--", label="σ′(z) = σ(1 − σ)")
    a1.plot(z, data["relu"], color=COLOURS[3], label="ReLU(z)")
    a1.plot(z, data["drelu"], color=COLOURS[3], ls="--", label="ReLU′(z)")
    a1.axhline(0.25, color="0.3", ls=":", lw=1)
    a1.annotate(tr(lang, "max σ′ = σ′(0) = 1/4", "máx σ′ = σ′(0) = 1/4"), (0, 0.25), xytext=(-5.8, 0.45),
                arrowprops=dict(arrowstyle="->", color="0.3"), fontsize=9)  # fmt: skip
    a1.set_ylim(-0.1, 1.6)
    a1.set_xlabel("z")
    a1.set_ylabel(tr(lang, "value", "valor"))
    a1.set_title(
        tr(
            lang,
            "σ saturates and σ′ ≤ 1/4; ReLU′ = 1 for z > 0",
            "σ se satura y σ′ ≤ 1/4; ReLU′ = 1 para z > 0",
        )
    )
    a1.legend(loc="upper left")
    L = data["depth"]
    layers = np.arange(1, L + 1)
    for key, c, lab in (
        ("grad_sigmoid", COLOURS[0], "sigmoid (LeCun init)"),
        ("grad_relu", COLOURS[3], "ReLU (He init)"),
    ):
        g = data[key]
        rel = g / g[:, -1:]
        gm = np.exp(np.log(rel).mean(0))
        for r in rel:
            a2.semilogy(layers, r, color=c, lw=0.6, alpha=0.35)
        a2.semilogy(
            layers, gm, color=c, marker="o", ms=4, label=tr(lang, lab, lab.replace("init", "inic."))
        )
    prod = np.exp(np.log(data["mean_dsigmoid"]).mean(0))
    # delta^l = sigma'(z^l) * (W^{l+1})^T delta^{l+1}: from layer L down to l the gradient picks up
    # the factors sigma'(z^k) of layers k = l .. L-1 (0-based: prod[l - 1 : L - 1])
    cum = np.array([np.prod(prod[i : L - 1]) for i in range(L)])
    a2.semilogy(layers, cum, color=COLOURS[0], ls="--", lw=1.2,
                label=tr(lang, r"$\Pi_{k=l}^{L-1}$ mean $\sigma'(z^k)$", r"$\Pi_{k=l}^{L-1}$ $\sigma'(z^k)$ medio"))  # fmt: skip
    a2.semilogy(layers, 0.25 ** (L - layers), color="0.3", ls=":", lw=1.4, label=r"$(1/4)^{L - l}$")
    a2.set_xticks(layers)
    a2.set_xlabel(
        tr(
            lang,
            "hidden layer l (1 = nearest the input)",
            "capa oculta l (1 = la más cercana a la entrada)",
        )
    )
    a2.set_ylabel(r"$\|\partial C/\partial b^l\| \,/\, \|\partial C/\partial b^L\|$ (log)")
    a2.set_title(tr(lang, f"Gradient through {L} layers of {data['width']} at initialisation ({data['n_seeds']} nets)",
                    f"Gradiente a través de {L} capas de {data['width']} al inicio ({data['n_seeds']} redes)"))  # fmt: skip
    a2.legend(fontsize=8, loc="lower right")
    return fig


# ============================================================================ universal-approximation
UA_UNITS = (1, 2, 4, 8, 16, 32)


def compute_universal_approximation(seed=0, backend="cpu", budget="reduced"):
    """Three pictures of what one hidden layer can do.

    1. 1-H-1 sigmoid nets fitted (MSE, Adam, full batch) to sin(2 pi x) on [-1, 1] for growing H;
       the RMS error on a dense grid.
    2. A 2-64-3 sigmoid net classifying three spiral arms.
    3. A small autoencoder 2-16-1-16-2 (tanh) whose 1-unit code follows a curve in the plane,
       beside the linear 2-1-2 autoencoder (which can only find the best straight line)."""
    import numbanet as nb

    from ..data import toy

    reduced = budget == "reduced"
    x, t = toy.regression_1d("sin", 200, seed=seed)
    xg = np.linspace(-1, 1, 401)[:, None]
    tg = np.sin(2 * np.pi * xg)
    epochs = 2500 if reduced else 10000
    n_starts = 3
    fits, rms = {}, []
    for H in UA_UNITS:
        best = None
        for r in range(n_starts):  # the theorem is about existence: keep the best of a few starts
            net = _seq([nb.Dense(1, H, init="glorot_normal"), nb.Sigmoid(),
                        nb.Dense(H, 1, init="glorot_normal")], backend, seed * 1000 + 10 * H + r)  # fmt: skip
            # inputs scaled by 3 so the sigmoids' slopes start at a useful size; Adam at 0.02, then
            # the last third at 0.002 so the fit settles instead of jittering around the minimum
            opt = nb.optim.get("adam", net.parameters(), 0.02)
            for ep, lr in ((epochs - epochs // 3, 0.02), (epochs // 3, 0.002)):
                opt.lr = lr
                h = net.fit(3 * x, t, loss="mse", optimizer=opt, epochs=ep, batch_size=len(x),
                            seed=seed, progress=False)  # fmt: skip
            if best is None or h["loss"][-1] < best[0]:
                best = (h["loss"][-1], net.predict(3 * xg)[:, 0])
        fits[H] = best[1]
        rms.append(float(np.sqrt(np.mean((fits[H] - tg[:, 0]) ** 2))))
    # a 2-D classification with one hidden layer
    Xs, ys = toy.spiral(450, classes=3, noise=0.15, seed=seed)
    cnet = _seq([nb.Dense(2, 64, init="glorot_normal"), nb.Sigmoid(), nb.Dense(64, 3, init="glorot_normal")],
                backend, seed)  # fmt: skip
    cep = 600 if reduced else 2000
    cnet.fit(4 * Xs, ys, loss="cross_entropy", optimizer="adam", lr=0.02, epochs=cep, batch_size=64,
             seed=seed, progress=False)  # fmt: skip
    g1, g2, G = _grid((-1.15, 1.15), (-1.15, 1.15), 160)
    cls = cnet.predict_classes(4 * G).reshape(g1.shape)
    # a small autoencoder: points near a curve, squeezed through one unit
    rng = np.random.default_rng(seed)
    s = rng.uniform(-1, 1, 300)
    P = np.column_stack([s, 0.8 * np.sin(2.5 * s)]) + 0.04 * rng.standard_normal((300, 2))
    ae = _seq([nb.Dense(2, 16, init="glorot_normal"), nb.Tanh(), nb.Dense(16, 1, init="glorot_normal"),
               nb.Dense(1, 16, init="glorot_normal"), nb.Tanh(), nb.Dense(16, 2, init="glorot_normal")],
              backend, seed)  # fmt: skip
    aep = 1500 if reduced else 5000
    ae.fit(P, P, loss="mse", optimizer="adam", lr=0.01, epochs=aep, batch_size=50, seed=seed,
           progress=False)  # fmt: skip
    lin = _seq(
        [nb.Dense(2, 1, init="glorot_normal"), nb.Dense(1, 2, init="glorot_normal")], backend, seed
    )
    lin.fit(P, P, loss="mse", optimizer="adam", lr=0.01, epochs=aep // 3, batch_size=50, seed=seed,
            progress=False)  # fmt: skip
    codes = _through(ae, P, 3)
    curve = _after(ae, np.linspace(codes.min(), codes.max(), 200)[:, None], 3)
    lcodes = _through(lin, P, 1)
    lcurve = _after(lin, np.linspace(lcodes.min(), lcodes.max(), 50)[:, None], 1)
    R, Rl = ae.predict(P), lin.predict(P)
    return {"x": x[:, 0], "t": t[:, 0], "xg": xg[:, 0], "tg": tg[:, 0], "units": np.array(UA_UNITS),
            "fits": fits, "rms": np.array(rms), "epochs": epochs, "n_starts": n_starts,
            "Xs": Xs, "ys": ys, "g1": g1, "g2": g2, "cls": cls,
            "spiral_accuracy": float(np.mean(cnet.predict_classes(4 * Xs) == ys)),
            "P": P, "R": R, "curve": curve, "lin_curve": lcurve,
            "ae_mse": float(np.mean((R - P) ** 2)), "lin_mse": float(np.mean((Rl - P) ** 2)),
            "reduced": reduced}  # fmt: skip


def draw_universal_approximation(data, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    ax = axes[0, 0]
    ax.plot(data["xg"], data["tg"], color="k", lw=4, alpha=0.25, label="sin(2πx)")
    cmap = plt.get_cmap("viridis")
    for i, H in enumerate(data["units"]):
        ax.plot(data["xg"], data["fits"][int(H)], color=cmap(i / (len(data["units"]) - 1)), lw=1.4,
                label=f"H = {H}")  # fmt: skip
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_ylim(-1.6, 1.6)
    ax.set_title(tr(lang, "One hidden layer of H sigmoid units fitting sin(2πx)",
                    "Una capa oculta de H sigmoides ajustando sin(2πx)"))  # fmt: skip
    ax.legend(ncol=4, fontsize=8, loc="lower left")
    ax = axes[0, 1]
    ax.loglog(data["units"], data["rms"], "o-", color=COLOURS[0])
    ax.set_xticks(data["units"], [str(u) for u in data["units"]])
    ax.axhspan(ax.get_ylim()[0], 0.05, color="0.9", zorder=0)
    ax.text(0.97, 0.96, tr(lang, "shaded, below ~0.05: the optimiser (finite epochs),\nnot the number of units, sets the error",
                           "sombreado, bajo ~0.05: el error lo fija el optimizador\n(épocas finitas), no el número de neuronas"),
            transform=ax.transAxes, fontsize=8.5, va="top", ha="right", color="0.25",
            bbox=dict(boxstyle="round", fc="0.9", ec="0.75"))  # fmt: skip
    ax.set_xlabel(tr(lang, "hidden units H", "neuronas ocultas H"))
    ax.set_ylabel(tr(lang, "RMS error on [−1, 1] (log)", "error RMS en [−1, 1] (log)"))
    ax.set_title(tr(lang, f"Error against H (best of {data['n_starts']} starts, {data['epochs']} epochs each)",
                    f"Error frente a H (mejor de {data['n_starts']} inicios, {data['epochs']} épocas cada uno)")
                 + budget_note(data["reduced"], lang))  # fmt: skip
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
        ax.scatter(data["Xs"][sel, 0], data["Xs"][sel, 1], s=9, color=cols[c], edgecolors="k", linewidths=0.3,
                   label=tr(lang, f"arm {c + 1}", f"brazo {c + 1}"))  # fmt: skip
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.grid(False)
    ax.set_title(tr(lang, f"2-64-3 sigmoid net on three spirals:\ntraining accuracy {100 * data['spiral_accuracy']:.1f} %",
                    f"Red sigmoide 2-64-3 con tres espirales:\nexactitud de entrenamiento "
                    f"{100 * data['spiral_accuracy']:.1f} %"))  # fmt: skip
    ax.legend(fontsize=8, loc="lower right")
    ax = axes[1, 1]
    P, R = data["P"], data["R"]
    ax.scatter(P[:, 0], P[:, 1], s=8, color="0.6", label=tr(lang, "data", "datos"))
    ax.scatter(R[:, 0], R[:, 1], s=6, color=COLOURS[1],
               label=tr(lang, f"reconstructions 2-16-1-16-2 (MSE {data['ae_mse']:.4f})",
                        f"reconstrucciones 2-16-1-16-2 (MSE {data['ae_mse']:.4f})"))  # fmt: skip
    ax.plot(data["curve"][:, 0], data["curve"][:, 1], color=COLOURS[3], lw=1.6,
            label=tr(lang, "decoder over all codes", "decodificador sobre todos los códigos"))  # fmt: skip
    ax.plot(data["lin_curve"][:, 0], data["lin_curve"][:, 1], color=COLOURS[0], ls="--", lw=1.4,
            label=tr(lang, f"linear 2-1-2 autoencoder (MSE {data['lin_mse']:.4f})",
                     f"autocodificador lineal 2-1-2 (MSE {data['lin_mse']:.4f})"))  # fmt: skip
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_aspect("equal")
    ax.set_title(tr(lang, "A small autoencoder:\na 1-unit code that follows a curve",
                    "Un autocodificador pequeño:\nun código de 1 neurona que sigue una curva"))  # fmt: skip
    ax.legend(fontsize=7.5, loc="lower right")
    return fig
