"""Deck 003, "Detalles de Deep Learning" in practice: inputs of different lengths through global
pooling, data augmentation, and what the batch size costs and buys on a CPU.

* ``variable_length``: "finalizar el bloque convolucional con un global pooling ... nos permite que
  las muestras tengan diferentes largos". One Conv1D network with ``input_shape=(None,)`` and a
  global max pooling, trained on MNIST-1D signals resampled to several lengths (each minibatch one
  length) and tested on every length, against the same network trained on one length only.
* ``augmentation``: test accuracy with and without ``numbanet.data.augment`` in ``fit``.
* ``batch_size_costs``: time per epoch, peak memory and test accuracy against the batch size
  ("Sobre el batchsize").

Every function seeds everything it draws, builds its networks with numbanet's engine and returns
plain data (dicts of lists, arrays and numbers).
"""

from __future__ import annotations

import numpy as np

#: the signal lengths of ``variable_length`` (MNIST-1D's own is 40)
LENGTHS = (24, 40, 64)


def mnist1d_lengths(lengths=LENGTHS, n_train=4000, n_test=1000, seed=0, dtype="float32"):
    """MNIST-1D at several final lengths: the same examples (same seed), each resampled by the
    generator's last step ("interpolate down to the final length") to every length.

    Returns ``{"train": {L: (x, y)}, "test": {L: (x, y)}}``: the training examples are dealt
    round-robin to the lengths (example i gets ``lengths[i % k]``), so every length has its own
    examples; the test set is given at every length.
    """
    from ..data import load_mnist1d

    lengths = tuple(int(L) for L in lengths)
    train, test = {}, {}
    k = len(lengths)
    n = n_train + n_test
    for j, L in enumerate(lengths):
        d = load_mnist1d(
            n_samples=n, train_split=n_train / n, seed=seed, dtype=dtype, final_seq_length=L
        )
        train[L] = (d.x_train[j::k], d.y_train[j::k])
        test[L] = (d.x_test, d.y_test)
    return {"train": train, "test": test}


def global_pool_cnn(channels=32, kernel=5, seed=0, backend="cpu", length=None):
    """Conv1D(1, c, k, same) - ReLU - Conv1D(c, c, k, same) - ReLU - GlobalMaxPool1D - Dense(c, 10)
    with ``input_shape=(length,)``: ``None`` (the default) accepts signals of every length."""
    import numbanet as nb

    layers = [
        nb.Conv1D(1, channels, kernel, padding="same"),
        nb.ReLU(),
        nb.Conv1D(channels, channels, kernel, padding="same"),
        nb.ReLU(),
        nb.GlobalMaxPool1D(),
        nb.Dense(channels, 10),
    ]
    return nb.Sequential(layers, backend=backend, seed=seed, input_shape=(length,))


def train_on_lengths(net, train, epochs, lr=3e-3, batch_size=32, seed=0):
    """Adam on minibatches of every length of ``train`` ({L: (x, y)}), interleaved: each epoch
    cuts every length's examples into minibatches (a minibatch has one length, so it is one
    array) and visits all of them in one seeded random order, so that consecutive updates mix
    the lengths. Returns the mean training loss of each epoch."""
    from .. import losses, optim
    from ..data import batches

    rng = np.random.default_rng(seed)
    opt = optim.get("adam", net.parameters(), lr)
    cost = losses.CrossEntropy()
    net.loss = cost  # how evaluate and predict_classes read the outputs
    lengths = sorted(train)
    out = []
    for _ in range(int(epochs)):
        work = [(L, idx) for L in lengths for idx in batches(len(train[L][0]), batch_size, rng)]
        total, count = 0.0, 0
        for k in rng.permutation(len(work)):
            L, idx = work[k]
            x, y = train[L][0][idx], train[L][1][idx]
            opt.zero_grad()
            value = cost.forward(net.forward(x, training=True), y)
            net.backward(cost.backward())
            opt.step()
            total += float(value) * len(idx)
            count += len(idx)
        out.append(total / count)
    return out


def variable_length(lengths=LENGTHS, epochs=8, n_train=4000, channels=32, seed=0, backend="cpu"):
    """The global-pooling CNN trained on every length at once against the same CNN trained on
    MNIST-1D's own length (40) only; both tested at every length.

    Returns ``{"lengths", "acc_all": [...], "acc_one": [...], "loss_all", "loss_one",
    "one_length", "n_train", "epochs", "params"}`` (accuracies in [0, 1], one per length). The
    one-length net sees the same number of examples (all ``n_train`` at length 40)."""
    data = mnist1d_lengths(lengths, n_train=n_train, seed=seed)
    one = 40 if 40 in data["train"] else int(lengths[len(lengths) // 2])
    mixed = global_pool_cnn(channels, seed=seed, backend=backend)
    loss_all = train_on_lengths(mixed, data["train"], epochs, seed=seed)
    full = mnist1d_lengths((one,), n_train=n_train, seed=seed)["train"]
    single = global_pool_cnn(channels, seed=seed, backend=backend)
    loss_one = train_on_lengths(single, full, epochs, seed=seed)
    acc_all, acc_one = [], []
    for L in lengths:
        x, y = data["test"][int(L)]
        acc_all.append(mixed.evaluate(x, y)["accuracy"])
        acc_one.append(single.evaluate(x, y)["accuracy"])
    return {
        "lengths": [int(L) for L in lengths],
        "acc_all": acc_all,
        "acc_one": acc_one,
        "loss_all": loss_all,
        "loss_one": loss_one,
        "one_length": one,
        "n_train": int(n_train),
        "epochs": int(epochs),
        "params": mixed.n_params(),
    }


# ============================================================================ augmentation
def _mlp(sizes, seed, backend):
    import numbanet as nb

    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nb.Dense(a, b))
        if i < len(sizes) - 2:
            layers.append(nb.ReLU())
    return nb.Sequential(layers, backend=backend, seed=seed)


def _test_curve(net, x, y, xt, yt, epochs, augment, lr, batch_size, seed):
    """Test accuracy after every epoch of ``fit`` (SGD with momentum)."""
    h = net.fit(
        x,
        y,
        optimizer="momentum",
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        validation=(xt, yt),
        seed=seed,
        progress=False,
        augment=augment,
    )
    return list(h["val_accuracy"]), list(h["accuracy"])


def augmentation_run(
    x, y, xt, yt, augment, sizes, epochs, lr=0.05, batch_size=32, seed=0, backend="cpu"
):
    """One data set, the same MLP trained without and with ``augment``.

    Each augmented epoch has ``1 + copies`` times the examples, so the run without augmentation
    trains for that many times the epochs: both curves then span the same number of gradient
    steps. Returns per-epoch test accuracies, the steps at each epoch's end and the training
    accuracies (running, over each epoch's own examples)."""
    reps = augment.copies + int(augment.keep_original)
    steps_per_epoch = -(-len(x) // batch_size)
    plain = _mlp(sizes, seed, backend)
    acc_plain, train_plain = _test_curve(
        plain, x, y, xt, yt, reps * epochs, None, lr, batch_size, seed
    )
    aug = _mlp(sizes, seed, backend)
    acc_aug, train_aug = _test_curve(aug, x, y, xt, yt, epochs, augment, lr, batch_size, seed)
    return {
        "steps_plain": [steps_per_epoch * (e + 1) for e in range(reps * epochs)],
        "steps_aug": [reps * steps_per_epoch * (e + 1) for e in range(epochs)],
        "acc_plain": acc_plain,
        "acc_aug": acc_aug,
        "train_plain": train_plain,
        "train_aug": train_aug,
    }


def augmentation(n_mnist=1000, n_mnist1d=1000, epochs=15, seed=0, backend="cpu", n_test=2000):
    """Test accuracy with and without data augmentation, on few training examples:

    * MNIST: ``n_mnist`` training images, MLP 784-100-10, ``Augment.images(shift=2, rotate=10,
      elastic_alpha=34, elastic_sigma=4)`` (Simard et al. 2003), tested on ``n_test`` test images;
    * MNIST-1D: ``n_mnist1d`` training signals, MLP 40-100-100-10,
      ``Augment.signals(shift=4, scale=0.2)``, tested on the 1,000 test signals.

    ``n_mnist=0`` skips MNIST (no data needed). Also returns a few examples and their augmented
    copies for the figure."""
    from ..data import load_mnist1d
    from ..data.augment import Augment

    out = {"epochs": int(epochs), "seed": int(seed)}
    rng = np.random.default_rng(seed)
    if n_mnist:
        from ..data import mnist_split

        m = mnist_split()
        aug = Augment.images(shift=2, rotate=10.0, elastic_alpha=34.0, elastic_sigma=4.0)
        x, y = m.x_train[:n_mnist], m.y_train[:n_mnist]
        xt, yt = m.x_test[:n_test], m.y_test[:n_test]
        out["mnist"] = augmentation_run(
            x, y, xt, yt, aug, (784, 100, 10), epochs, 0.05, 32, seed, backend
        )
        out["mnist"]["examples"] = x[:4].reshape(4, 28, 28)
        out["mnist"]["augmented"] = aug(x[:4], rng).reshape(4, 28, 28)
        out["mnist"].update(n_train=int(n_mnist), n_test=int(len(xt)), augment=repr(aug))
    d = load_mnist1d(seed=seed)
    aug1 = Augment.signals(shift=4, scale=0.2)
    x, y = d.x_train[:n_mnist1d], d.y_train[:n_mnist1d]
    out["mnist1d"] = augmentation_run(
        x, y, d.x_test, d.y_test, aug1, (40, 100, 100, 10), epochs, 0.02, 32, seed, backend
    )
    out["mnist1d"]["examples"] = x[:3]
    out["mnist1d"]["augmented"] = aug1(x[:3], rng)
    out["mnist1d"]["t"] = d.t
    out["mnist1d"].update(n_train=int(n_mnist1d), n_test=int(len(d.x_test)), augment=repr(aug1))
    return out


# ============================================================================ batch size
#: the batch sizes of ``batch_size_costs`` (powers of 4, and the whole training set)
BATCH_SIZES = (1, 4, 16, 64, 256, 2000)


def _peak_bytes(fn):
    """(result, peak bytes) of ``fn()`` as tracemalloc sees them: every NumPy array (NumPy
    reports its buffers to tracemalloc) and Python object allocated while it runs."""
    import tracemalloc

    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        res = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was:
            tracemalloc.stop()
    return res, max(0, peak - base)


def batch_size_costs(
    batch_sizes=BATCH_SIZES,
    epochs=5,
    n_train=4000,
    width=256,
    lr=0.05,
    seed=0,
    backend="cpu",
    repeats=5,
):
    """Time, memory and accuracy against the batch size B: the MLP 40-width-width-10 on
    MNIST-1D, trained layer by layer (``fused=False``: the same code path for every B) with SGD
    at one learning rate for ``epochs`` epochs.

    For every B: ``epoch_s``, the fastest epoch after the first (which includes compiling);
    ``step_s``, the fastest of ``repeats`` forward and backward passes on one batch of B;
    ``peak_bytes``, the peak memory of such a pass (tracemalloc: activations, their gradients
    and workspaces); ``test_acc`` after the last epoch; ``steps``, the updates made in all.
    ``load`` is the machine's 1-minute load average at the end (timings on a busy machine
    are slower and noisier).
    """
    import os
    import time

    from ..data import load_mnist1d

    d = load_mnist1d(seed=seed)
    x, y = d.x_train[:n_train], d.y_train[:n_train]
    rows = {
        k: []
        for k in ("batch_size", "epoch_s", "step_s", "peak_bytes", "test_acc", "steps", "ex_per_s")
    }
    for B in batch_sizes:
        B = int(min(B, len(x)))
        net = _mlp((40, width, width, 10), seed, backend)
        h = net.fit(
            x,
            y,
            optimizer="sgd",
            lr=lr,
            epochs=epochs,
            batch_size=B,
            seed=seed,
            progress=False,
            fused=False,
            train_metrics=False,
        )
        times = list(h["time"])
        epoch_s = min(times[1:]) if len(times) > 1 else times[0]
        steps = -(-len(x) // B)
        xb, yb = x[:B], y[:B]

        def one_step(net=net, xb=xb, yb=yb):
            from .. import losses

            loss = losses.CrossEntropy()
            t0 = time.perf_counter()
            out = net.forward(xb, training=True)
            loss.forward(out, yb)
            net.zero_grad()
            net.backward(loss.backward())
            return time.perf_counter() - t0

        one_step()  # warm: workspaces of this shape exist before the measured pass
        _, peak = _peak_bytes(one_step)
        step_s = min(one_step() for _ in range(int(repeats)))
        rows["batch_size"].append(B)
        rows["epoch_s"].append(epoch_s)
        rows["step_s"].append(step_s)
        rows["steps"].append(steps * epochs)
        rows["peak_bytes"].append(int(peak))
        rows["test_acc"].append(net.evaluate(d.x_test, d.y_test)["accuracy"])
        rows["ex_per_s"].append(len(x) / epoch_s)
    rows.update(n_train=int(len(x)), epochs=int(epochs), width=int(width), lr=float(lr))
    rows["load"] = float(os.getloadavg()[0]) if hasattr(os, "getloadavg") else float("nan")
    return rows
