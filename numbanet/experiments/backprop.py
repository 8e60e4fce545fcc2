"""Deck 001 (MLP: the perceptron, multilayer networks, backprop and gradient descent): its
experiments.

* Rosenblatt's rule on the logic gates' truth tables (``perceptron_gates``);
* 2-2-1 sigmoid networks: XOR (``xor_mlp``) and a wedge no line separates (``hidden_space``),
  trained by ``two_layer_classifier``;
* the SEMEION digits through two sigmoid hidden units (``semeion_2d``);
* gradient descent on a linear neuron: the step size against the curvature
  (``lr_sensitivity``) and full-batch GD against SGD and minibatches (``gd_vs_sgd``).
"""

from __future__ import annotations

import numpy as np

from ._common import dense_rows, seq, through, trace_callback


# ============================================================================== perceptron
def perceptron_gates(
    names=("AND", "OR", "NAND", "NOR", "XOR", "NOT"), epochs=20, n_starts=0, seed=0
):
    """The perceptron rule (eta = 1, zero start, examples in table order) on each gate's truth
    table, and the epochs it needs from ``n_starts`` random starts with shuffled orders.

    Returns ``{name: {"perceptron", "X", "y", "errors" (per epoch), "converged",
    "epochs_random" (per start, -1 when it did not converge)}}``."""
    from ..unsupervised import LOGIC_GATES, Perceptron

    out = {}
    for name in names:
        X, y = LOGIC_GATES[name]
        p = Perceptron(X.shape[1])
        errors = np.array(p.fit(X, y, epochs=epochs))
        ep = []
        for k in range(n_starts):
            q = Perceptron(X.shape[1], seed=seed * 1000 + k)
            q.fit(X, y, epochs=epochs)
            ep.append(q.n_epochs_ if q.converged else -1)
        out[name] = {
            "perceptron": p,
            "X": np.asarray(X, float),
            "y": np.asarray(y),
            "errors": errors,
            "converged": bool(p.converged),
            "epochs_random": np.array(ep, dtype=int),
        }
    return out


# ========================================================================== 2-2-1 networks
def two_layer_classifier(
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
        net = seq(
            [
                nb.Dense(2, hidden, init="glorot_normal"),
                nb.Sigmoid(),
                nb.Dense(hidden, 1, init="glorot_normal"),
                nb.Sigmoid(),
            ],
            backend,
            s,
        )
        opt = nb.optim.get("adam", net.parameters(), lr)
        early = stop_margin is not None or stop_accuracy is not None
        step = chunk if early else epochs
        losses = []
        for _ in range(0, epochs, step):
            h = net.fit(
                X,
                T,
                loss="bce",
                optimizer=opt,
                epochs=step,
                batch_size=min(32, len(X)),
                seed=s + len(losses),
                progress=False,
            )
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


def xor_mlp(seed=0, backend="cpu", epochs=2000):
    """A 2-2-1 sigmoid net trained on XOR (BCE, Adam 0.05) until every output is within 0.2 of
    its target. Returns ``{"net", "X", "y", "loss", "seed_used", "runs"}``."""
    from ..data import toy

    X, y = toy.logic_gate("xor")
    X = np.asarray(X, dtype=np.float64)
    net, loss, used, runs = two_layer_classifier(
        X, y, 2, seed, backend, epochs=epochs, lr=0.05, stop_margin=0.2
    )
    return {"net": net, "X": X, "y": y, "loss": loss, "seed_used": used, "runs": runs}


def wedge_data(seed, n=400):
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


def hidden_space(seed=0, backend="cpu", epochs=300, linear_epochs=200, n=400):
    """A 2-2-1 sigmoid net trained on ``wedge_data`` (until 97.5 % training accuracy), and a
    logistic regression on the raw inputs as the linear baseline.

    Returns ``{"net", "X", "y", "loss", "seed_used", "runs", "linear_accuracy", "w_linear",
    "b_linear"}``."""
    import numbanet as nb

    X, y = wedge_data(seed, n)
    net, loss, used, runs = two_layer_classifier(
        X, y, 2, seed, backend, epochs=epochs, lr=0.05, stop_accuracy=0.975, chunk=2
    )
    lin = seq([nb.Dense(2, 1), nb.Sigmoid()], backend, seed)
    lin.fit(
        X,
        y.reshape(-1, 1).astype(np.float64),
        loss="bce",
        optimizer="adam",
        lr=0.05,
        epochs=linear_epochs,
        batch_size=32,
        seed=seed,
        progress=False,
    )
    ((wl, bl),) = dense_rows(lin)
    return {
        "net": net,
        "X": X,
        "y": y,
        "loss": loss,
        "seed_used": used,
        "runs": runs,
        "linear_accuracy": float(np.mean(lin.predict_classes(X) == y)),
        "w_linear": wl[0],
        "b_linear": float(bl[0]),
    }


def semeion_2d(epochs=120, seed=0, backend="cpu", lr=0.01):
    """A 256-2-10 net (two sigmoid hidden units, softmax output) trained on the 1,593 SEMEION
    digits with the cross-entropy and Adam (learning rate ``lr``, minibatch 32); the 2-D hidden
    code of every digit.

    Returns ``{"U" (n, 2), "y", "loss", "acc_curve" (per epoch), "accuracy", "epochs", "n"}``."""
    import numbanet as nb

    from ..data import load_semeion

    d = load_semeion()
    X, y = d.x, d.y
    net = nb.Sequential(
        [
            nb.Dense(256, 2, init="glorot_normal"),
            nb.Sigmoid(),
            nb.Dense(2, 10, init="glorot_normal"),
            nb.Softmax(),
        ],
        backend=backend,
        seed=seed,
    )
    h = net.fit(
        X,
        y,
        loss="cross_entropy",
        optimizer="adam",
        lr=lr,
        epochs=epochs,
        batch_size=32,
        seed=seed,
        progress=False,
    )
    U = through(net, X, 2)
    return {
        "U": U,
        "y": y,
        "loss": np.array(h["loss"]),
        "acc_curve": np.array(h["accuracy"]),
        "accuracy": float(np.mean(net.predict_classes(X) == y)),
        "epochs": epochs,
        "lr": lr,
        "n": int(len(y)),
    }


# ======================================================================== gradient descent
def linear_data(n=200, seed=0):
    """1-D regression data y = 2x - 1 + noise, x ~ U(-1, 3) (off-centre, so w and b couple)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 3.0, (n, 1))
    y = 2.0 * x - 1.0 + 0.5 * rng.standard_normal((n, 1))
    return x, y


def neuron(backend="reference", w=0.0, b=0.0):
    """A single linear neuron y = w x + b as a Sequential (its parameters are the 2-D plane)."""
    import numbanet as nb

    net = nb.Sequential([nb.Dense(1, 1, init="zeros")], backend=backend, dtype=np.float64)
    net.set_flat([w, b])
    return net


#: learning rates of ``lr_sensitivity`` as multiples of 1 / lambda_max: too small, good, too
#: large (oscillating), divergent
LR_FACTORS = (0.05, 1.0, 1.95, 2.1)


def lr_sensitivity(factors=LR_FACTORS, steps=60, seed=0, backend="cpu"):
    """Full-batch GD on the linear neuron for learning rates relative to 1 / lambda_max.

    The mean 1/2 MSE of the neuron is a quadratic with Hessian H = X1^T X1 / n: GD multiplies the
    error along an eigenvector of H by (1 - alpha lambda) at every step, so alpha < 1/lambda_max
    creeps, 1/lambda_max < alpha < 2/lambda_max overshoots (the sign flips every step) and still
    converges, alpha > 2/lambda_max diverges. Besides the loss, the error along the top eigenvector
    u_max is recorded: that is what oscillates (the loss, a sum of squares, cannot change sign).

    Returns ``{"factors", "lam_max", "lam_min", "curves" {factor: loss per step}, "along"
    {factor: (theta_t - theta*) . u_max}, "loss_min", "steps"}``.
    """
    x, y = linear_data(seed=seed)
    X1 = np.hstack([x, np.ones_like(x)])
    lams, vecs = np.linalg.eigh(X1.T @ X1 / len(x))  # curvature of the mean 1/2 MSE
    lam, u_max = float(lams[-1]), vecs[:, -1]
    w_star = np.linalg.lstsq(X1, y, rcond=None)[0].ravel()
    loss_min = neuron(backend, *w_star).evaluate(x, y, loss="mse")["loss"]
    curves, along = {}, {}
    for f in factors:
        net = neuron(backend)
        tr_ = trace_callback()
        h = net.fit(
            x,
            y,
            loss="mse",
            optimizer="sgd",
            lr=f / lam,
            epochs=steps,
            batch_size=len(x),
            shuffle=False,
            callbacks=[tr_],
            progress=False,
        )
        curves[f] = np.array(
            h["loss"]
        )  # the loss at theta_0 .. theta_{steps-1} (one step per epoch)
        along[f] = (
            np.array(tr_.points) - w_star
        ) @ u_max  # (theta_t - theta*) . u_max, t = 0..steps
    return {
        "factors": tuple(factors),
        "lam_max": lam,
        "lam_min": float(lams[0]),
        "curves": curves,
        "along": along,
        "loss_min": float(loss_min),
        "steps": steps,
    }


#: the runs of ``gd_vs_sgd``: (name, batch size (None: full batch)); all at ``GD_LR``
GD_RUNS = (("GD", None), ("SGD (b = 1)", 1), ("minibatch (b = 16)", 16))
#: one learning rate and one number of steps for every run of ``gd_vs_sgd``, so the paths differ
#: only by the noise of their gradient estimates
GD_LR, GD_STEPS = 0.2, 100


def gd_vs_sgd(seed=0, backend="cpu", start=(-1.5, 2.5), runs=GD_RUNS, lr=GD_LR, steps=GD_STEPS):
    """Trajectories of full-batch GD, SGD (b = 1) and minibatch SGD on the linear neuron from a
    common start, each ``steps`` updates at the same learning rate ``lr`` (an epoch is one
    update for GD, n / b for the others; the last epoch is cut at ``steps``). Returns
    ``{"runs": {name: (steps + 1, 2) array of (w, b)}, "optimum", "x", "y", "lr", "steps"}``."""
    x, y = linear_data(seed=seed)
    n = len(x)
    out = {}
    for name, bs in runs:
        b = bs or n
        per_epoch = -(-n // b)
        net = neuron(backend, *start)
        tr_ = trace_callback()
        net.fit(
            x,
            y,
            loss="mse",
            optimizer="sgd",
            lr=lr,
            epochs=-(-steps // per_epoch),
            batch_size=b,
            seed=seed,
            callbacks=[tr_],
            progress=False,
        )
        out[name] = np.array(tr_.points[: steps + 1])
    X1 = np.hstack([x, np.ones_like(x)])
    opt = np.linalg.lstsq(X1, y, rcond=None)[0].ravel()
    return {"runs": out, "optimum": opt, "x": x, "y": y, "lr": lr, "steps": steps}
