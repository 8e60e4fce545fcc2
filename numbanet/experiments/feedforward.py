r"""Deck 002 (FF: feed-forward networks): its experiments.

* hidden layers with linear activation collapse into one affine map
  (``linear_hidden_collapse``);
* softmax regression on three classes (``softmax_regression``);
* the universal approximation theorem at work: shallow nets of growing width, a spiral
  classifier and a one-unit autoencoder (``universal_approximation``);
* space folding (Montufar et al. 2014, "On the number of linear regions of deep neural
  networks"): a deep ReLU net built to fold the square (``folding_layers``).
"""

from __future__ import annotations

import numpy as np

from ._common import after, dense_rows, seq, through


# ================================================================ linear hidden layers
def effective_affine(net):
    """Compose every Dense layer of a net without nonlinearities into one map x -> A x + c."""
    A, c = None, None
    for W, b in dense_rows(net):
        A = W if A is None else W @ A
        c = b if c is None else W @ c + b
    return A, c


def linear_hidden_collapse(seed=0, backend="cpu", epochs=1500):
    """Nets with 1-3 hidden layers of linear units fitted (MSE, Adam) to a cubic: each is one
    affine map and lands on the least-squares line; a tanh net of the same shape fits the curve.
    Second part: a 4-8-2-8-4 linear net is the single matrix W4 W3 W2 W1 of rank 2.

    Returns ``{"x", "t", "xg", "lsq" (slope, intercept), "fits" {depth: fit on xg}, "maps"
    {depth: (slope, intercept) of the composed map}, "tanh_fit", "svals", "devs", "rank"}``."""
    import numbanet as nb

    from ..data import toy

    x, t = toy.regression_1d("poly", 80, seed=seed, noise=0.1)
    X1 = np.hstack([x, np.ones_like(x)])
    lsq = np.linalg.lstsq(X1, t, rcond=None)[0].ravel()  # the reference the nets are compared to
    xg = np.linspace(-1.05, 1.05, 211)[:, None]
    fits, maps = {}, {}
    for depth in (1, 2, 3):
        layers = [nb.Dense(1, 16, init="glorot_normal"), nb.Identity()]
        for _ in range(depth - 1):
            layers += [nb.Dense(16, 16, init="glorot_normal"), nb.Identity()]
        net = seq(layers + [nb.Dense(16, 1, init="glorot_normal")], backend, seed + depth)
        net.fit(
            x,
            t,
            loss="mse",
            optimizer="adam",
            lr=0.01,
            epochs=epochs,
            batch_size=len(x),
            seed=seed,
            progress=False,
        )
        A, c = effective_affine(net)
        fits[depth] = net.predict(xg)[:, 0]
        maps[depth] = (float(A[0, 0]), float(c[0]))
    tnet = seq(
        [
            nb.Dense(1, 16, init="glorot_normal"),
            nb.Tanh(),
            nb.Dense(16, 16, init="glorot_normal"),
            nb.Tanh(),
            nb.Dense(16, 1, init="glorot_normal"),
        ],
        backend,
        seed,
    )
    tnet.fit(
        x,
        t,
        loss="mse",
        optimizer="adam",
        lr=0.01,
        epochs=epochs,
        batch_size=len(x),
        seed=seed,
        progress=False,
    )
    # a bottlenecked 4-8-2-8-4 linear net: one 4x4 matrix of rank <= 2
    rng = np.random.default_rng(seed)
    shapes = {"4-8-8-8-4": (4, 8, 8, 8, 4), "4-8-2-8-4": (4, 8, 2, 8, 4)}
    svals, devs = {}, {}
    for name, s in shapes.items():
        layers = []
        for a, b in zip(s[:-1], s[1:]):
            layers += [nb.Dense(a, b, init="glorot_normal", bias_init="normal"), nb.Identity()]
        net = seq(layers[:-1], backend, seed)
        A, c = effective_affine(net)
        Z = rng.standard_normal((200, 4))
        devs[name] = float(np.max(np.abs(net.predict(Z) - (Z @ A.T + c))))
        svals[name] = np.linalg.svd(A, compute_uv=False)
    return {
        "x": x[:, 0],
        "t": t[:, 0],
        "xg": xg[:, 0],
        "lsq": lsq,
        "fits": fits,
        "maps": maps,
        "tanh_fit": tnet.predict(xg)[:, 0],
        "svals": svals,
        "devs": devs,
        "rank": {k: int(np.sum(v > 1e-6 * v.max())) for k, v in svals.items()},
    }


# ======================================================================= softmax regression
#: the three Gaussian classes' centres
SOFTMAX_CENTRES = ((-2.2, -1.2), (2.2, -1.2), (0.0, 2.2))


def softmax_regression(seed=0, backend="cpu", epochs=150):
    """Softmax regression (``Dense(2, 3)`` then ``Softmax``) trained with the cross-entropy and
    Adam on 300 points of three Gaussian classes. Returns ``{"net", "X", "y", "W", "b",
    "accuracy", "loss"}``."""
    import numbanet as nb

    from ..data import toy

    X, y = toy.blobs(300, centers=SOFTMAX_CENTRES, std=1.1, seed=seed)
    net = seq([nb.Dense(2, 3, init="glorot_normal"), nb.Softmax()], backend, seed)
    h = net.fit(
        X,
        y,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.05,
        epochs=epochs,
        batch_size=32,
        seed=seed,
        progress=False,
    )
    ((W, b),) = dense_rows(net)
    return {
        "net": net,
        "X": X,
        "y": y,
        "W": W,
        "b": b,
        "accuracy": float(np.mean(net.predict_classes(X) == y)),
        "loss": np.array(h["loss"]),
    }


# ================================================================= universal approximation
#: hidden widths of the 1-H-1 fits
UA_UNITS = (1, 2, 4, 8, 16, 32)


def fit_output_layer(net, x, t):
    r"""Set the last ``Dense`` of a one-hidden-layer ``net`` to its least-squares optimum.

    The output :math:`y = W h(x) + b` is linear in (W, b) for fixed hidden features h, so the
    best output layer for the training data solves
    :math:`\min_{W, b} \sum_i (W h_i + b - t_i)^2` exactly (``numpy.linalg.lstsq``, the
    features h_i read through the net's own layers). Gradient descent on the output layer alone
    would converge to the same solution. Returns the training MSE after the refit."""
    H = through(net, x, len(net.layers) - 1)
    Phi = np.hstack([H, np.ones((H.shape[0], 1))])
    coef = np.linalg.lstsq(Phi, t, rcond=None)[0]  # (H + 1, outputs)
    out = net.layers[-1]
    out.W.value = coef[:-1].T
    out.b.value = coef[-1]
    return float(np.mean((Phi @ coef - t) ** 2))


def universal_approximation(
    seed=0,
    backend="cpu",
    epochs=2500,
    spiral_epochs=600,
    ae_epochs=1500,
    units=UA_UNITS,
    n_starts=3,
):
    """Three pictures of what one hidden layer can do.

    1. 1-H-1 sigmoid nets fitted (MSE, Adam, full batch, ``epochs``) to sin(2 pi x) on [-1, 1]
       for each H in ``units``, then the output layer refitted exactly by least squares on the
       trained hidden features (``fit_output_layer``), best of ``n_starts``; the RMS error on a
       dense grid. With the output layer at its optimum the error measures what H sigmoids can
       represent rather than how far a finite run of Adam got, so it falls with H as the
       theorem says.
    2. A 2-64-3 sigmoid net classifying three spiral arms (``spiral_epochs``).
    3. A small autoencoder 2-16-1-16-2 (tanh) whose 1-unit code follows a curve in the plane,
       beside the linear 2-1-2 autoencoder (which can only find the best straight line).

    Returns the fits and their errors, the spiral data and its classifier ``spiral_net`` (which
    reads its inputs scaled by ``spiral_scale``), and the autoencoders' reconstructions."""
    import numbanet as nb

    from ..data import toy

    x, t = toy.regression_1d("sin", 200, seed=seed)
    xg = np.linspace(-1, 1, 401)[:, None]
    tg = np.sin(2 * np.pi * xg)
    fits, rms = {}, []
    for H in units:
        best = None
        for r in range(n_starts):  # the theorem is about existence: keep the best of a few starts
            net = seq(
                [
                    nb.Dense(1, H, init="glorot_normal"),
                    nb.Sigmoid(),
                    nb.Dense(H, 1, init="glorot_normal"),
                ],
                backend,
                seed * 1000 + 10 * H + r,
            )
            # inputs scaled by 3 so the sigmoids' slopes start at a useful size; Adam at 0.02, then
            # the last third at 0.002 so the fit settles instead of jittering around the minimum
            opt = nb.optim.get("adam", net.parameters(), 0.02)
            for ep, lr in ((epochs - epochs // 3, 0.02), (epochs // 3, 0.002)):
                opt.lr = lr
                net.fit(
                    3 * x,
                    t,
                    loss="mse",
                    optimizer=opt,
                    epochs=ep,
                    batch_size=len(x),
                    seed=seed,
                    progress=False,
                )
            mse = fit_output_layer(net, 3 * x, t)
            if best is None or mse < best[0]:
                best = (mse, net.predict(3 * xg)[:, 0])
        fits[H] = best[1]
        rms.append(float(np.sqrt(np.mean((fits[H] - tg[:, 0]) ** 2))))
    # a 2-D classification with one hidden layer
    Xs, ys = toy.spiral(450, classes=3, noise=0.15, seed=seed)
    cnet = seq(
        [
            nb.Dense(2, 64, init="glorot_normal"),
            nb.Sigmoid(),
            nb.Dense(64, 3, init="glorot_normal"),
        ],
        backend,
        seed,
    )
    cnet.fit(
        4 * Xs,
        ys,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.02,
        epochs=spiral_epochs,
        batch_size=64,
        seed=seed,
        progress=False,
    )
    # a small autoencoder: points near a curve, squeezed through one unit
    rng = np.random.default_rng(seed)
    s = rng.uniform(-1, 1, 300)
    P = np.column_stack([s, 0.8 * np.sin(2.5 * s)]) + 0.04 * rng.standard_normal((300, 2))
    ae = seq(
        [
            nb.Dense(2, 16, init="glorot_normal"),
            nb.Tanh(),
            nb.Dense(16, 1, init="glorot_normal"),
            nb.Dense(1, 16, init="glorot_normal"),
            nb.Tanh(),
            nb.Dense(16, 2, init="glorot_normal"),
        ],
        backend,
        seed,
    )
    ae.fit(
        P,
        P,
        loss="mse",
        optimizer="adam",
        lr=0.01,
        epochs=ae_epochs,
        batch_size=50,
        seed=seed,
        progress=False,
    )
    lin = seq(
        [nb.Dense(2, 1, init="glorot_normal"), nb.Dense(1, 2, init="glorot_normal")], backend, seed
    )
    lin.fit(
        P,
        P,
        loss="mse",
        optimizer="adam",
        lr=0.01,
        epochs=max(1, ae_epochs // 3),
        batch_size=50,
        seed=seed,
        progress=False,
    )
    codes = through(ae, P, 3)
    curve = after(ae, np.linspace(codes.min(), codes.max(), 200)[:, None], 3)
    lcodes = through(lin, P, 1)
    lcurve = after(lin, np.linspace(lcodes.min(), lcodes.max(), 50)[:, None], 1)
    R, Rl = ae.predict(P), lin.predict(P)
    return {
        "x": x[:, 0],
        "t": t[:, 0],
        "xg": xg[:, 0],
        "tg": tg[:, 0],
        "units": np.array(units),
        "fits": fits,
        "rms": np.array(rms),
        "epochs": epochs,
        "n_starts": n_starts,
        "Xs": Xs,
        "ys": ys,
        "spiral_net": cnet,
        "spiral_scale": 4.0,
        "spiral_accuracy": float(np.mean(cnet.predict_classes(4 * Xs) == ys)),
        "P": P,
        "R": R,
        "curve": curve,
        "lin_curve": lcurve,
        "ae_mse": float(np.mean((R - P) ** 2)),
        "lin_mse": float(np.mean((Rl - P) ** 2)),
    }


# ============================================================================ space folding
#: the last layer's lines in the folded square: rows (bias, w1, w2)
FOLD_LINES = [(-0.1, 1.0, 0.35), (0.25, -0.3, 1.0), (-0.55, 0.8, 0.9)]


def folding_layers(n_folds):
    r"""A deep ReLU net that folds the square [-1, 1]^2 about both axes ``n_folds`` times.

    Each fold computes :math:`u \mapsto 2|u| - 1` per coordinate with two ReLUs,
    :math:`|u| = \mathrm{ReLU}(u) + \mathrm{ReLU}(-u)`, so :math:`4^F` copies of the square land on
    one another; a last hidden layer of three units cuts the folded square with three lines and
    the output sums them. Every region of the last layer therefore appears :math:`4^F` times,
    mirrored (Montufar et al. 2014, fig. 3 in spirit). The affine maps between the ReLU layers are
    merged into single ``Dense`` layers, so it is an ordinary ReLU network, given as
    ``(W, b, activation)`` layers.
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
