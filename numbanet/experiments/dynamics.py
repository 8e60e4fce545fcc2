"""Training dynamics the decks warn about, measured on MNIST-1D.

* ``dead_relu`` (deck 003, "Puede matar neuronas ... cambiarla por Leaky-ReLU"): the fraction of
  rectifier units that are never active on held-out signals, during plain SGD at a high learning
  rate, for ReLU and for leaky ReLU (``numbanet.callbacks.DeadUnits``);
* ``batch_size_sharpness`` (deck 001, after Keskar et al. 2017): test accuracy and the sharpness
  of the minimum reached (top Hessian eigenvalue, ``numbanet.theory.sharpness``) against the
  minibatch size, over several seeds.
"""

from __future__ import annotations

import numpy as np

#: the nets of ``dead_relu``: four hidden layers of 64 units on MNIST-1D's 40 inputs
DEAD_RELU_HIDDEN = (64, 64, 64, 64)


def _rect_mlp(d_in, hidden, d_out, activation, seed, backend):
    """``Dense + activation`` per hidden width (He normal), then a ``Dense`` of logits."""
    import numbanet as nb

    make = {"relu": nb.ReLU, "leaky_relu": lambda: nb.LeakyReLU(0.01)}[activation]
    layers, d = [], d_in
    for w in hidden:
        layers += [nb.Dense(d, w, init="he_normal"), make()]
        d = w
    layers.append(nb.Dense(d, d_out, init="he_normal"))
    return nb.Sequential(layers, backend=backend, seed=seed)


def _accuracy(net, x, y):
    return float(np.mean(net.predict(x).argmax(1) == y))


def dead_relu(
    lrs=(0.05, 0.2, 0.5),
    epochs=20,
    seeds=2,
    seed=0,
    backend="cpu",
    hidden=DEAD_RELU_HIDDEN,
    batch_size=32,
    n_heldout=500,
    optimizer="sgd",
):
    """Dead units during training, ReLU against leaky ReLU (alpha = 0.01).

    For each activation, learning rate and seed: an MLP ``40 - hidden - 10`` (He normal) trained
    with ``optimizer`` (default plain SGD; minibatch ``batch_size``) on the MNIST-1D training set
    for ``epochs`` epochs;
    after each epoch ``DeadUnits`` counts the units whose pre-activation is <= 0 on every one of
    the first ``n_heldout`` test signals. A run that diverges (non-finite loss) keeps its last
    finite epoch and is flagged.

    Returns ``{"lrs", "epochs", "seeds", "hidden", "activations": ["relu", "leaky_relu"],
    "curves": {act: {lr: array (seeds, epochs + 1)}}`` (epoch 0 = initialisation, NaN after a
    divergence), ``"test_accuracy": {act: {lr: [per seed]}}``, ``"diverged": {act: {lr: [bool]}}``.
    """
    import numbanet as nb

    from ..callbacks import DeadUnits
    from ..data import load_mnist1d
    from ..errors import DivergenceError

    d = load_mnist1d()
    held = d.x_test[:n_heldout]
    acts = ["relu", "leaky_relu"]
    out = {
        "lrs": list(lrs),
        "epochs": epochs,
        "seeds": seeds,
        "hidden": list(hidden),
        "batch_size": batch_size,
        "n_heldout": int(held.shape[0]),
        "activations": acts,
        "curves": {a: {} for a in acts},
        "test_accuracy": {a: {} for a in acts},
        "diverged": {a: {} for a in acts},
    }
    with nb.deterministic():
        for act in acts:
            for lr in lrs:
                curves, accs, div = [], [], []
                for s in range(seeds):
                    run_seed = seed * 1000 + s
                    net = _rect_mlp(40, hidden, 10, act, run_seed, backend)
                    rec = DeadUnits(held)
                    diverged = False
                    try:
                        net.fit(
                            d.x_train,
                            d.y_train,
                            loss="cross_entropy",
                            optimizer=optimizer,
                            lr=lr,
                            epochs=epochs,
                            batch_size=batch_size,
                            seed=run_seed,
                            callbacks=[rec],
                            progress=False,
                            train_metrics=False,
                        )
                    except DivergenceError:
                        diverged = True
                    series = [r["dead_fraction"] for r in rec.records]
                    row = np.full(epochs + 1, np.nan)
                    row[0] = rec.at_start["dead_fraction"]
                    row[1 : 1 + len(series)] = series
                    curves.append(row)
                    accs.append(_accuracy(net, d.x_test, d.y_test) if not diverged else np.nan)
                    div.append(diverged)
                out["curves"][act][lr] = np.array(curves)
                out["test_accuracy"][act][lr] = accs
                out["diverged"][act][lr] = div
    return out


#: minibatch sizes of ``batch_size_sharpness`` (the last one the whole training subset)
BATCH_SIZES = (10, 50, 250, 1000)


def batch_size_sharpness(
    batch_sizes=BATCH_SIZES,
    n_train=1000,
    seeds=2,
    seed=0,
    backend="cpu",
    lr=0.1,
    hidden=(64, 64),
    target_loss=0.02,
    max_epochs=5000,
    check_every=10,
    power_iters=30,
):
    """Keskar et al.'s experiment on MNIST-1D: small against large minibatches, each trained to
    the same training loss.

    For each minibatch size and seed: a ReLU MLP ``40 - hidden - 10`` (He normal) trained with
    plain SGD at the same learning rate ``lr`` on the first ``n_train`` training signals until
    its mean training cross-entropy is below ``target_loss`` (checked every ``check_every``
    epochs; at most ``max_epochs``), so every run ends at a minimum that fits the training set
    and only the minibatch differs. Then its test accuracy (the 1,000 test signals) and its
    sharpness: the top eigenvalue of the Hessian of the training loss
    (``top_hessian_eigenvalue``, at most ``power_iters`` Hessian-vector products). Gradient
    descent with step ``lr`` is stable only where that eigenvalue is below ``2 / lr``.

    Returns ``{"batch_sizes", "n_train", "seeds", "lr", "hidden", "target_loss",
    "test_accuracy", "train_accuracy", "train_loss", "sharpness", "epochs", "steps"}``, the last
    six arrays (len(batch_sizes), seeds).
    """
    import numbanet as nb

    from ..data import load_mnist1d
    from ..theory.sharpness import top_hessian_eigenvalue
    from .udl import relu_mlp

    d = load_mnist1d()
    x, y = d.x_train[:n_train], d.y_train[:n_train]
    n = len(y)
    shape = (len(batch_sizes), seeds)
    keys = ("test_accuracy", "train_accuracy", "train_loss", "sharpness", "epochs", "steps")
    res = {k: np.zeros(shape) for k in keys}
    with nb.deterministic():
        for i, b in enumerate(batch_sizes):
            b = int(b)
            for s in range(seeds):
                run_seed = seed * 1000 + s
                net = relu_mlp(40, list(hidden), 10, run_seed, backend)
                epochs = 0
                while epochs < max_epochs:
                    net.fit(
                        x,
                        y,
                        loss="cross_entropy",
                        optimizer="sgd",
                        lr=lr,
                        epochs=check_every,
                        batch_size=b,
                        seed=run_seed + epochs,
                        progress=False,
                        train_metrics=False,
                    )
                    epochs += check_every
                    ev = net.evaluate(x, y, loss="cross_entropy")
                    if ev["loss"] < target_loss:
                        break
                res["epochs"][i, s] = epochs
                res["steps"][i, s] = epochs * -(-n // b)
                res["train_loss"][i, s] = ev["loss"]
                res["train_accuracy"][i, s] = ev["accuracy"]
                res["test_accuracy"][i, s] = _accuracy(net, d.x_test, d.y_test)
                sharp = top_hessian_eigenvalue(
                    net, x, y, "cross_entropy", iters=power_iters, tol=1e-3, seed=run_seed
                )
                res["sharpness"][i, s] = sharp.eigenvalue
    return {
        "batch_sizes": [int(b) for b in batch_sizes],
        "n_train": int(n),
        "seeds": seeds,
        "lr": lr,
        "hidden": list(hidden),
        "target_loss": target_loss,
        **res,
    }
