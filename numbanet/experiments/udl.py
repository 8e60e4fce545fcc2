"""Deck 000 (UDL: deep networks, after *Understanding Deep Learning* ch. 4): its experiments.

* the slides' networks as engine models: net1, net2 and their compositions (``udl_nets``), the
  1-3-3-1 clipping net (``clipping_layers``), and a 2-input shallow net feeding net2
  (``shallow_2d_layers``, ``net2_layers``);
* a shallow 6-unit net trained to imitate the 12-piece composition (``fit_shallow``);
* exact region counts of random and of trained ReLU nets against depth and width
  (``region_counts``);
* shallow against deep MLPs at equal parameter counts on MNIST-1D (``wide_vs_deep``), and
  3 against 11 convolutional layers at equal parameter counts (``conv_wide_vs_deep``);
* UDL fig. 20.2: nets of 1-4 hidden layers fitting random MNIST-1D labels (``random_labels``).

Layers given as ``(W, b, activation)`` tuples are the form ``numbanet.theory.regions`` counts
directly; ``Sequential`` models are the engine's.
"""

from __future__ import annotations

import numpy as np

from .. import slides
from ..errors import ValidationError


# ================================================================================ the nets
def udl_nets(backend="reference"):
    """net1 and net2 of the UDL composition slides (``slides.NET1``, ``slides.NET2``) as real
    ``Sequential`` models in float64, plus their compositions (stacking the layers: the output
    Dense of one feeds the hidden Dense of the next, with no activation in between).

    Returns ``{"net1", "net2", "net2(net1)", "net1(net1)", "net2(net1(net1))"}``."""
    from ..nn import Dense, ReLU, Sequential

    def build(*specs):
        stack, sets = [], []
        for spec in specs:
            hidden, out = Dense(1, 3), Dense(3, 1)
            stack += [hidden, ReLU(), out]
            sets.append((hidden, out, spec))
        net = Sequential(stack, backend=backend, dtype=np.float64, seed=0)
        for hidden, out, spec in sets:
            hidden.W.value = np.array([[slope] for _, slope in spec["hidden"]])
            hidden.b.value = np.array([bias for bias, _ in spec["hidden"]])
            out.W.value = np.array([spec["output"][1:]])
            out.b.value = np.array([spec["output"][0]])
        return net

    n1, n2 = slides.NET1, slides.NET2
    return {
        "net1": build(n1),
        "net2": build(n2),
        "net2(net1)": build(n1, n2),
        "net1(net1)": build(n1, n1),
        "net2(net1(net1))": build(n1, n1, n2),
    }


def clipping_layers():
    """The 1-3-3-1 net of ``deep-as-clipping`` (``slides.CLIP_*``) as ``(W, b, act)`` layers."""
    l1, l2, out = slides.CLIP_LAYER1, slides.CLIP_LAYER2, slides.CLIP_OUTPUT
    W1 = np.array([[r[1]] for r in l1])
    b1 = np.array([r[0] for r in l1])
    W2 = np.array([r[1:] for r in l2])
    b2 = np.array([r[0] for r in l2])
    W3 = np.array([out[1:]])
    b3 = np.array([out[0]])
    return [(W1, b1, "relu"), (W2, b2, "relu"), (W3, b3, "identity")]


#: the 2-input shallow net of the compose-2d figure (the slide's picture is lost; three lines in
#: general position in [-1, 1]^2): hidden rows (bias, w1, w2), output (phi0..phi3)
SHALLOW_2D = dict(
    h=[(-0.1, 1.0, 0.5), (0.2, -0.4, 1.0), (0.3, -0.9, -1.0)], o=[-0.8, 0.9, 0.8, 0.7]
)


def shallow_2d_layers():
    """``SHALLOW_2D`` as ``(W, b, act)`` layers."""
    W1 = np.array([[r[1], r[2]] for r in SHALLOW_2D["h"]])
    b1 = np.array([r[0] for r in SHALLOW_2D["h"]])
    W2 = np.array([SHALLOW_2D["o"][1:]])
    b2 = np.array([SHALLOW_2D["o"][0]])
    return [(W1, b1, "relu"), (W2, b2, "identity")]


def net2_layers():
    """net2 of the slides as ``(W, b, act)`` tuples, read from its ``Sequential``."""
    d1, _, d2 = udl_nets()["net2"].layers
    return [(d1.W.value, d1.b.value, "relu"), (d2.W.value, d2.b.value, "identity")]


# ====================================================================== shallow imitation
def fit_shallow(target, hidden=6, n=400, restarts=4, epochs=1500, seed=0, backend="cpu"):
    """Train shallow 1-``hidden``-1 ReLU nets to imitate ``target`` (a 1-D net) on [-1, 1].

    Full-batch Adam (lr 0.01) on the mean squared error over ``n`` points, ``restarts`` He-normal
    starts (seeds ``seed * 1000 + r``); the best run is kept.

    Returns ``{"net": the best Sequential, "mse": its mean squared error, "x", "target"}``."""
    import numbanet as nb

    from ..theory import regions as R

    x = np.linspace(-1, 1, n)[:, None]
    y = R.forward(target, x)
    best = None
    for r in range(restarts):
        s = seed * 1000 + r
        net = nb.Sequential(
            [nb.Dense(1, hidden, init="he_normal"), nb.ReLU(), nb.Dense(hidden, 1)],
            backend=backend,
            seed=s,
            dtype=np.float64,
        )
        net.fit(
            x,
            y,
            loss=nb.losses.MSE(reduction="mean"),
            optimizer="adam",
            lr=0.01,
            epochs=epochs,
            batch_size=len(x),
            progress=False,
            train_metrics=False,
            seed=s,
        )
        mse = float(np.mean((net.predict(x) - y) ** 2))
        if best is None or mse < best[0]:
            best = (mse, net)
    return {"net": best[1], "mse": best[0], "x": x[:, 0], "target": y[:, 0]}


# =========================================================================== region counts
#: standard deviation of the random biases of the "random" nets of ``region_counts``
BIAS_STD = 0.5

#: the sweeps of ``region_counts``: (input dimension, "depth" | "width") -> [(x value, widths)]
REGION_SWEEPS = {
    (1, "depth"): [(k, [8] * k) for k in (1, 2, 3, 4, 5)],
    (1, "width"): [(w, [w] * 2) for w in (2, 4, 8, 16, 32)],
    (2, "depth"): [(k, [6] * k) for k in (1, 2, 3, 4)],
    (2, "width"): [(w, [w] * 2) for w in (2, 4, 6, 8, 12)],
}


def relu_net(d_in, hidden, seed, backend, bias_std=BIAS_STD):
    """A ``d_in``-hidden...-1 ReLU net, He-normal weights and N(0, ``bias_std``^2) biases.

    He initialisation starts the biases at zero, which puts every first-layer boundary through
    the origin (a 1-D net would then have 2 regions whatever its depth); random biases as in
    Hanin & Rolnick (2019)."""
    import numbanet as nb

    layers = []
    d = d_in
    for w in hidden:
        layers += [nb.Dense(d, w, init="he_normal"), nb.ReLU()]
        d = w
    layers.append(nb.Dense(d, 1, init="he_normal"))
    net = nb.Sequential(layers, backend=backend, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed + 7919)
    for layer in layers:
        if isinstance(layer, nb.Dense):
            layer.b.value = rng.normal(0.0, bias_std, size=layer.b.value.shape)
    return net


def wiggly_target(d_in, n, rng):
    """A regression target: sin(3 pi x) in 1-D, a product of sines in 2-D, x ~ U(-1, 1)."""
    x = rng.uniform(-1, 1, size=(n, d_in))
    if d_in == 1:
        y = np.sin(3 * np.pi * x)
    else:
        y = np.sin(2 * np.pi * x[:, :1]) * np.sin(2 * np.pi * x[:, 1:2])
    return x, y


def count_regions(net, d_in):
    """Exact number of linear regions of ``net`` on [-1, 1]^d_in (d_in = 1 or 2)."""
    from ..theory import regions as R

    if d_in == 1:
        return int(R.count_1d(net, -1.0, 1.0).regions)
    return int(R.count_2d(net, (-1.0, 1.0, -1.0, 1.0)).regions)


def region_counts(sweeps=None, seeds=3, epochs=300, n_points=256, seed=0, backend="cpu"):
    """Exact region counts of random ReLU nets (``relu_net``) and of the same nets after
    ``epochs`` of full-batch Adam on ``wiggly_target``, beside the bounds.

    Parameters
    ----------
    sweeps : dict, optional
        ``{(d_in, name): [(x value, hidden widths), ...]}``; default ``REGION_SWEEPS``.
    seeds : int
        Nets per configuration (seeds ``seed * 1000 + s``).

    Returns
    -------
    dict
        ``panels[(d_in, name)]``: one row per configuration with ``x``, ``hidden``, ``random``
        and ``trained`` (counts per seed), ``upper`` (Serra et al. 2018), ``shallow``
        (Zaslavsky with the same number of units), ``lower`` (Montufar et al. 2014, None when a
        layer is narrower than the input); ``seeds``, ``epochs``.
    """
    import numbanet as nb

    from ..theory import regions as R

    sweeps = REGION_SWEEPS if sweeps is None else sweeps
    out = {"panels": {}, "seeds": seeds, "epochs": epochs}
    for (d_in, kind), configs in sweeps.items():
        x, y = wiggly_target(d_in, n_points, np.random.default_rng(seed))
        rows = []
        for value, hidden in configs:
            rand, trained = [], []
            for s in range(seeds):
                net = relu_net(d_in, hidden, seed * 1000 + s, backend)
                rand.append(count_regions(net, d_in))
                net.fit(
                    x,
                    y,
                    loss=nb.losses.MSE(reduction="mean"),
                    optimizer="adam",
                    lr=0.01,
                    epochs=epochs,
                    batch_size=len(x),
                    progress=False,
                    train_metrics=False,
                    seed=s,
                )
                trained.append(count_regions(net, d_in))
            row = {
                "x": value,
                "hidden": hidden,
                "random": rand,
                "trained": trained,
                "upper": float(R.serra_upper(d_in, hidden)),
                "shallow": float(R.zaslavsky(d_in, sum(hidden))),
            }
            row["lower"] = float(R.montufar_lower(d_in, hidden)) if min(hidden) >= d_in else None
            rows.append(row)
        out["panels"][(d_in, kind)] = rows
    return out


# ============================================================================ wide vs deep
def relu_mlp(d_in, hidden, d_out, seed, backend):
    """``Dense + ReLU`` per hidden width (He normal), then a ``Dense`` of logits."""
    import numbanet as nb

    layers, d = [], d_in
    for w in hidden:
        layers += [nb.Dense(d, w, init="he_normal"), nb.ReLU()]
        d = w
    layers.append(nb.Dense(d, d_out, init="he_normal"))
    return nb.Sequential(layers, backend=backend, seed=seed)


def _accuracy(net, x, y):
    return float(np.mean(net.predict(x).argmax(1) == y))


#: hidden widths of the two families of ``wide_vs_deep``: one layer up to the deep nets' size,
#: three equal layers
SHALLOW_WIDTHS = (8, 16, 32, 64, 128, 256, 512)
DEEP_WIDTHS = (8, 16, 32, 48, 64, 96)


def wide_vs_deep(
    epochs=30, seeds=2, seed=0, backend="cpu", shallow=SHALLOW_WIDTHS, deep=DEEP_WIDTHS
):
    """Shallow (1 hidden layer) and deep (3 hidden layers) ReLU MLPs on MNIST-1D: test accuracy
    against parameter count. Adam (lr 3e-3), minibatch 100, ``epochs`` epochs, ``seeds`` runs.

    Returns ``{"epochs", "seeds", "families": {"shallow"|"deep": [{"hidden", "params",
    "test_accuracy": [per seed]}]}}``."""
    import numbanet as nb

    from ..data import load_mnist1d
    from ..theory.regions import parameter_count

    d = load_mnist1d()
    families = {"shallow": [[w] for w in shallow], "deep": [[w] * 3 for w in deep]}
    out = {"epochs": epochs, "seeds": seeds, "families": {}}
    with nb.deterministic():
        for name, configs in families.items():
            rows = []
            for hidden in configs:
                accs = []
                for s in range(seeds):
                    net = relu_mlp(40, hidden, 10, seed * 1000 + s, backend)
                    net.fit(
                        d.x_train,
                        d.y_train,
                        loss=nb.losses.CrossEntropy(),
                        optimizer="adam",
                        lr=3e-3,
                        epochs=epochs,
                        batch_size=100,
                        progress=False,
                        train_metrics=False,
                        seed=seed * 1000 + s,
                    )
                    accs.append(_accuracy(net, d.x_test, d.y_test))
                rows.append(
                    {
                        "hidden": hidden,
                        "params": parameter_count([40, *hidden, 10]),
                        "test_accuracy": accs,
                    }
                )
            out["families"][name] = rows
    return out


def wide_vs_deep_comparison(data):
    """Deep minus shallow mean test accuracy (points of %) at each deep net's parameter count,
    the shallow curve interpolated in log-parameters (deep nets outside its range skipped).

    Returns ``[(parameters, difference), ...]``."""
    sh, dp = data["families"]["shallow"], data["families"]["deep"]
    lp = np.log10([r["params"] for r in sh])
    acc = np.array([np.mean(r["test_accuracy"]) for r in sh]) * 100
    rows = []
    for r in dp:
        q = np.log10(r["params"])
        if lp[0] <= q <= lp[-1]:
            rows.append(
                (r["params"], float(np.mean(r["test_accuracy"]) * 100 - np.interp(q, lp, acc)))
            )
    return rows


# ============================================================ wide vs deep, convolutional
#: channels of the 3-layer convolutional family of ``conv_wide_vs_deep``; the 11-layer family
#: gets, for each, the channel count whose net has the nearest number of parameters
CONV_SHALLOW_CHANNELS = (8, 16, 32, 64)


def conv_params(depth, channels, length=40, pool=4, classes=10, kernel=3):
    """Parameters of ``conv_net(depth, channels)``: the first convolution (1 -> C), depth - 1
    convolutions C -> C, and the read-out Dense(C * length / pool, classes)."""
    c = channels
    first = kernel * c + c
    rest = (depth - 1) * (kernel * c * c + c)
    return first + rest + c * (length // pool) * classes + classes


def matched_channels(depth, target, length=40, pool=4):
    """The channel count of a ``depth``-layer ``conv_net`` whose parameter count is nearest to
    ``target``."""
    best = min(range(1, 513), key=lambda c: abs(conv_params(depth, c, length, pool) - target))
    return best


def conv_net(depth, channels, seed, backend, length=40, pool=4):
    """Goodfellow et al.'s families on MNIST-1D: ``depth`` Conv1D layers (kernel 3, padding
    'same', ReLU, He normal) of ``channels`` channels, an average pooling by ``pool`` and a
    Dense read-out of logits."""
    import numbanet as nb

    layers, c_in = [], 1
    for _ in range(depth):
        layers += [nb.Conv1D(c_in, channels, 3, padding="same"), nb.ReLU()]
        c_in = channels
    layers += [nb.AvgPool1D(pool), nb.Flatten(), nb.Dense(channels * (length // pool), 10)]
    return nb.Sequential(layers, backend=backend, seed=seed, input_shape=(length,))


def conv_wide_vs_deep(
    epochs=10,
    seeds=1,
    seed=0,
    backend="cpu",
    channels=CONV_SHALLOW_CHANNELS,
    n_train=None,
    batch_size=100,
):
    """Deck 004's "11 vs. 3" (Goodfellow et al. 2014) with convolutions on MNIST-1D: for each
    3-layer net of ``channels`` channels, an 11-layer net with (as nearly as whole channels
    allow) the same number of parameters; test accuracy of both. Adam (lr 3e-3), minibatch
    ``batch_size``, ``epochs`` epochs on the first ``n_train`` training signals (None: all 4,000).

    Returns ``{"epochs", "seeds", "n_train", "families": {"conv3"|"conv11": [{"depth",
    "channels", "params", "test_accuracy": [per seed]}]}}``."""
    import numbanet as nb

    from ..data import load_mnist1d

    d = load_mnist1d()
    x, y = d.x_train[:n_train], d.y_train[:n_train]
    configs = {
        "conv3": [(3, c) for c in channels],
        "conv11": [(11, matched_channels(11, conv_params(3, c))) for c in channels],
    }
    out = {
        "epochs": epochs,
        "seeds": seeds,
        "n_train": int(len(y)),
        "batch_size": batch_size,
        "families": {},
    }
    with nb.deterministic():
        for name, nets in configs.items():
            rows = []
            for depth, c in nets:
                accs = []
                for s in range(seeds):
                    net = conv_net(depth, c, seed * 1000 + s, backend)
                    net.fit(
                        x,
                        y,
                        loss=nb.losses.CrossEntropy(),
                        optimizer="adam",
                        lr=3e-3,
                        epochs=epochs,
                        batch_size=batch_size,
                        progress=False,
                        train_metrics=False,
                        seed=seed * 1000 + s,
                    )
                    accs.append(_accuracy(net, d.x_test, d.y_test))
                rows.append(
                    {
                        "depth": depth,
                        "channels": c,
                        "params": net.n_params(),
                        "test_accuracy": accs,
                    }
                )
            out["families"][name] = rows
    return out


# =========================================================================== random labels
def _relu_mlp_weights(net):
    """The ``(W^T, b)`` float32 pairs of a ``Sequential`` of ``Dense`` layers with ``ReLU``
    between them and none after the last (what ``relu_mlp`` builds), or a ValidationError."""
    import numbanet as nb

    layers = list(net.layers)
    dense = layers[0::2]
    ok = (
        len(layers) % 2 == 1
        and all(type(d) is nb.Dense and d.use_bias and d.weight_noise == 0 for d in dense)
        and all(type(a) is nb.ReLU for a in layers[1::2])
    )
    if not ok:
        raise ValidationError(
            "full_batch_gd trains Dense, ReLU, Dense, ..., Dense nets only (with biases, no "
            f"weight noise); got {[type(layer).__name__ for layer in layers]}; use net.fit "
            "for other nets"
        )
    return dense, [
        (np.ascontiguousarray(d.W.value.T, np.float32), np.array(d.b.value, np.float32))
        for d in dense
    ]


def full_batch_gd(net, x, y, lr, epochs, record_every=1, stop_at_zero=True):
    r"""Plain full-batch gradient descent on the mean cross-entropy of a ReLU MLP, one fused
    float32 loop: what ``net.fit(x, y, optimizer=SGD(lr), batch_size=len(x), shuffle=False)``
    computes, epoch after epoch, without the per-call work of ``fit`` and without a separate
    evaluation pass.

    Each epoch is one forward pass ``z^l = h^{l-1} W^{l\top} + b^l``, ``h^l = ReLU(z^l)``, the
    softmax's gradient ``(softmax(z^L) - onehot(y)) / n`` and one backward pass, then
    ``W <- W - lr dC/dW`` (BLAS for the products, on one thread: at 4,000 x 40 inputs and about
    15k parameters a second thread only waits for the first). The training error of the
    weights after ``e`` updates is read off the forward pass of epoch ``e + 1`` (argmax of the
    logits), so recording it costs nothing; it is checked every epoch, so a run that memorises
    its labels stops at the exact epoch (``stop_at_zero``).

    The trained weights are written back into ``net``.

    Parameters
    ----------
    net : Sequential
        ``Dense, ReLU, ..., Dense`` (as ``relu_mlp`` builds it); other nets raise a
        ValidationError.
    x : array (n, d_in); y : int array (n,)
    lr : float
        The learning rate.
    epochs : int
        At most this many updates.
    record_every : int
        Record the training error after every ``record_every`` updates (and at the last one).

    Returns
    -------
    dict
        ``epochs`` (updates done at each record, from 0), ``train_error`` (% at each record),
        ``fit_epoch`` (updates after which every label was fitted, or None), ``done`` (updates
        run).
    """
    from .._threads import threadpoolctl

    threadpool_limits = threadpoolctl().threadpool_limits

    from .._validate import positive_float, positive_int

    lr = positive_float(lr, "lr")
    epochs = positive_int(epochs, "epochs")
    every = positive_int(record_every, "record_every")
    dense, params = _relu_mlp_weights(net)
    x = np.ascontiguousarray(x, np.float32)
    y = np.asarray(y)
    n = len(x)
    if x.ndim != 2 or y.shape != (n,) or n == 0:
        raise ValidationError(
            f"full_batch_gd needs x of shape (n, d) and labels y of shape (n,); got {x.shape} "
            f"and {y.shape}"
        )
    k = params[-1][0].shape[1]
    if y.min() < 0 or y.max() >= k:
        raise ValidationError(f"labels must be in 0..{k - 1} for a net with {k} outputs")
    onehot_n = np.zeros((n, k), np.float32)
    onehot_n[np.arange(n), y] = 1.0 / n
    lr32 = np.float32(lr)
    rec_e, rec_err, fit = [], [], None
    with threadpool_limits(limits=1, user_api="blas"):
        e = 0
        while True:
            hs = [x]
            for i, (W, b) in enumerate(params):
                z = hs[-1] @ W
                z += b
                if i < len(params) - 1:
                    np.maximum(z, 0.0, out=z)
                hs.append(z)
            z = hs.pop()
            err = 100.0 * np.count_nonzero(z.argmax(axis=1) != y) / n
            if e % every == 0 or e == epochs or err == 0:
                rec_e.append(e)
                rec_err.append(err)
            if err == 0 and stop_at_zero:
                fit = e
                break
            if e == epochs:
                break
            # the mean cross-entropy's gradient at the logits: (softmax(z) - onehot) / n
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            z *= (1.0 / n) / z.sum(axis=1, keepdims=True)
            g = z
            g -= onehot_n
            for i in range(len(params) - 1, -1, -1):
                W, b = params[i]
                h = hs[i]
                dW = h.T @ g
                db = g.sum(axis=0)
                if i:
                    g = g @ W.T
                    g *= h > 0
                W -= lr32 * dW
                b -= lr32 * db
            e += 1
    for d, (W, b) in zip(dense, params):
        d.W.value = np.ascontiguousarray(W.T, dtype=d.W.value.dtype)
        d.b.value = b.astype(d.b.value.dtype)
    if fit is None and err == 0:
        fit = e
    return {
        "epochs": np.array(rec_e),
        "train_error": np.array(rec_err),
        "fit_epoch": fit,
        "done": e,
    }


def random_labels(
    n=1000,
    lr=0.02,
    epochs=10_000,
    record_every=10,
    seed=0,
    backend="cpu",
    nets=slides.RANDOM_LABEL_WIDTHS,
    epochs_1_layer=None,
):
    r"""UDL fig. 20.2: full-batch gradient descent on ``n`` MNIST-1D training signals with random
    labels, for ReLU nets with the hidden widths ``nets`` (He initialisation, plain gradient
    descent at ``lr`` on the mean cross-entropy, no momentum or regularisation).

    The nets are the engine's (``relu_mlp``, seeded), trained by ``full_batch_gd``, the fused
    float32 loop of exactly this update (5-10x faster than ``net.fit`` one epoch at a time, and
    the error is checked every epoch at no cost). Each run stops at the first epoch with zero
    training error (``fit_epoch``), or at ``epochs`` (``epochs_1_layer`` for the one-layer net,
    default the same) with ``fit_epoch`` None; the error is recorded every ``record_every``
    epochs (None: a thousandth of the run). The slide's set-up is ``slides.RANDOM_LABEL_SETUP``.

    Returns ``{"lr", "n", "nets": [{"hidden", "params", "epochs", "train_error" (%),
    "fit_epoch", "max_epochs", "seconds" (CPU seconds of the run)}]}``."""
    import time

    from ..data import load_mnist1d
    from ..theory.regions import parameter_count

    d = load_mnist1d()
    x = d.x_train[:n]
    y = np.random.default_rng(seed).integers(0, 10, size=n)  # random labels
    out = {"lr": lr, "n": n, "nets": []}
    for hidden in nets:
        hidden = list(hidden)
        E = epochs_1_layer if (len(hidden) == 1 and epochs_1_layer) else epochs
        every = record_every or max(1, E // 1000)
        net = relu_mlp(40, hidden, 10, seed, backend)
        t0 = time.process_time()
        run = full_batch_gd(net, x, y, lr=lr, epochs=E, record_every=every)
        out["nets"].append(
            {
                "hidden": hidden,
                "params": parameter_count([40, *hidden, 10]),
                "epochs": run["epochs"],
                "train_error": run["train_error"],
                "fit_epoch": run["fit_epoch"],
                "max_epochs": E,
                "seconds": time.process_time() - t0,
            }
        )
    return out


def random_labels_cached(**settings):
    """``random_labels(**settings)`` through the results cache (``experiments.cache``): the
    full-budget run is paid for once, and the English and Spanish renders share it."""
    from .cache import cached

    def run(**kw):  # the cache stores nested dicts of arrays, not lists of them
        d = random_labels(**kw)
        d["nets"] = {str(i): r for i, r in enumerate(d["nets"])}
        return d

    d = cached("udl.random_labels", settings, run)
    d["nets"] = [d["nets"][str(i)] for i in range(len(d["nets"]))]
    return d


def random_labels_ordered(data):
    """True when every deeper net fits all its labels in fewer epochs than the shallower ones. A
    net that never fits within its cap counts as slower than any that does, so the nets that do
    not fit must all be shallower than those that do (the slide's budget can leave the
    shallowest one or two short of zero error)."""
    fits = [r["fit_epoch"] for r in data["nets"]]
    done = [f for f in fits if f is not None]
    first = len(fits) - len(done)  # the unfitted nets must be the first (shallowest) ones
    if not done or any(f is None for f in fits[first:]):
        return False
    return all(f > g for f, g in zip(done, done[1:]))
