r"""Deck 003 (NN: training, optimisers, regularisation, convolution and recurrence): its
experiments.

* convexity: a logistic neuron's loss against the loss along the line between two equivalent
  minima of an MLP (``convex_vs_nonconvex``);
* momentum's first moment for a constant gradient (``momentum_constant_gradient``);
* the optimisers on an ill-conditioned quadratic (``quadratic_paths``) and on MNIST-1D
  (``optimizer_curves``);
* four regularisers on one overfitting problem (``regularizers``) and model-wise double descent
  (``double_descent``);
* the slides' LeNet trained on MNIST and looked inside (``lenet_mnist``);
* recurrent networks: recalling the first of 50 steps, RNN against LSTM, and the gradient
  through time (``recall_lstm_vs_rnn``), orthogonal recurrent initialisation over 149 blank steps
  (``recall_orthogonal_init``), a bidirectional tagger (``bidirectional_tagging``).

It is the longest of the experiment modules (about 700 lines) because it follows the rule of one
module per deck and the NN deck spans five topics; each section stands alone.

Size: over 600 lines on purpose: one deck (003) covers five topics: optimisers, schedules,
regularisation, convolution and recurrence.
"""

from __future__ import annotations

import numpy as np


# ================================================================================ convexity
def convex_vs_nonconvex(seed=0, epochs=150):
    """The cross-entropy of one logistic neuron along a line in its weight space (convex), and
    of a 2-8-8-2 tanh MLP (trained ``epochs`` on two moons) along the line from its minimum to
    the same function with permuted hidden units (an equally good, different minimum: a barrier
    between). Reference backend, float64. Returns ``{"t", "convex", "s", "nonconvex"}``."""
    import numbanet as nb

    from ..data import toy

    # a single logistic neuron with cross-entropy: convex in its weights
    X, y = toy.blobs(200, centers=2, std=1.2, seed=seed)
    neuron = nb.Sequential([nb.Dense(2, 1, init="zeros")], backend="reference", dtype=np.float64)
    t = np.linspace(-6, 6, 121)
    convex = []
    for v in t:
        neuron.set_flat([v, 0.5 * v, 0.0])
        convex.append(neuron.evaluate(X, y.reshape(-1, 1), loss="bce_logits")["loss"])
    # an MLP: the loss along the line through two trained solutions (a permutation pair)
    Xm, ym = toy.moons(200, noise=0.1, seed=seed)
    net = nb.Sequential(
        [nb.Dense(2, 8), nb.Tanh(), nb.Dense(8, 8), nb.Tanh(), nb.Dense(8, 2)],
        backend="reference",
        dtype=np.float64,
        seed=seed,
    )
    net.fit(
        Xm,
        ym,
        loss="cross_entropy",
        lr=0.3,
        epochs=epochs,
        batch_size=20,
        seed=seed,
        progress=False,
    )
    a = net.get_flat()
    # the same function with hidden units permuted: an equally good, different minimum
    perm = np.random.default_rng(seed).permutation(8)
    layers = [layer for layer in net.layers if isinstance(layer, nb.Dense)]
    W1, b1, W2, b2, W3 = (
        layers[0].W.value,
        layers[0].b.value,
        layers[1].W.value,
        layers[1].b.value,
        layers[2].W.value,
    )
    layers[0].W.value, layers[0].b.value = W1[perm], b1[perm]
    layers[1].W.value = W2[:, perm]
    perm2 = np.random.default_rng(seed + 1).permutation(8)
    layers[1].W.value, layers[1].b.value = layers[1].W.value[perm2], b2[perm2]
    layers[2].W.value = W3[:, perm2]
    b = net.get_flat()
    s = np.linspace(-0.5, 1.5, 121)
    nonconvex = []
    for v in s:
        net.set_flat((1 - v) * a + v * b)
        nonconvex.append(net.evaluate(Xm, ym, loss="cross_entropy")["loss"])
    return {"t": t, "convex": np.array(convex), "s": s, "nonconvex": np.array(nonconvex)}


# ================================================================================= momentum
def momentum_constant_gradient(steps=40, lr=0.1, beta1=0.9):
    """``numbanet.optim.Momentum`` on a constant gradient g = 1, with and without bias correction:
    its first moment m_t and its effective learning rate (the factor on the newest gradient)
    after each step. Returns ``{"plain"|"corrected": {"m", "eff_lr"}, "t"}``."""
    import numbanet as nb

    out = {}
    for corrected in (False, True):
        net = nb.Sequential(
            [nb.Dense(1, 1, init="zeros", bias=False)], backend="reference", dtype=np.float64
        )
        p = net.parameters()[0]
        opt = nb.optim.Momentum([p], lr=lr, beta1=beta1, bias_correction=corrected)
        m, eff = [], []
        for _ in range(steps):
            p.grad = np.ones((1, 1))  # a constant gradient g = 1
            opt.step()
            m.append(float(opt.state_arrays()["m"][0].ravel()[0]))
            eff.append(float(np.ravel(opt.effective_lr())[0]))
        out["corrected" if corrected else "plain"] = {"m": np.array(m), "eff_lr": np.array(eff)}
    out["t"] = np.arange(1, steps + 1)
    return out


# =============================================================================== optimisers
#: the optimisers compared: (name, options, learning rate on the quadratic)
OPTS = (
    ("sgd", {}, 0.045),
    ("momentum", {"beta1": 0.9}, 0.045),
    ("nesterov", {"beta1": 0.9}, 0.045),
    ("adagrad", {}, 0.6),
    ("rmsprop", {"bias_correction": False}, 0.05),
    ("rmsprop", {"bias_correction": True}, 0.05),
    ("adam", {}, 0.15),
)


def opt_label(name, kw):
    if name == "rmsprop":
        return "RMSProp" + (" (bias-corrected)" if kw.get("bias_correction") else "")
    return {
        "sgd": "SGD",
        "momentum": "Momentum",
        "nesterov": "Nesterov",
        "adagrad": "Adagrad",
        "adam": "Adam",
    }[name]


def quadratic_paths(steps=60):
    """The optimisers' iterates on f(w) = 1/2 (w - w*)^T diag(1, 20) (w - w*), w* = (1, 1).

    f is least squares on two designed rows (the mean 1/2 MSE of a bias-free linear neuron), run
    full batch. Nesterov's model holds the look-ahead point; its path is the slides' theta_t
    (``slide_params``)."""
    import numbanet as nb

    X = np.array([[np.sqrt(2.0), 0.0], [0.0, np.sqrt(40.0)]])
    w_star = np.array([1.0, 1.0])
    y = (X @ w_star).reshape(-1, 1)
    start = np.array([-4.0, 2.5])
    paths, lrs = {}, {}
    for name, kw, lr in OPTS:
        net = nb.Sequential(
            [nb.Dense(2, 1, init="zeros", bias=False)], backend="reference", dtype=np.float64
        )
        net.set_flat(start)
        opt = nb.optim.get(name, net.parameters(), lr, **kw)
        pts = [start.copy()]
        for _ in range(steps):
            net.fit(
                X,
                y,
                loss="mse",
                optimizer=opt,
                epochs=1,
                batch_size=2,
                shuffle=False,
                progress=False,
            )
            # Nesterov's model holds the look-ahead point; the slides' theta_t is slide_params
            pts.append(np.ravel(opt.slide_params(0)) if name == "nesterov" else net.get_flat())
        paths[opt_label(name, kw)] = np.array(pts)
        lrs[opt_label(name, kw)] = lr
    return paths, lrs, w_star


#: learning rate of each optimiser on MNIST-1D. Momentum and Nesterov use the slides' EWMA
#: form m = beta1 m + (1 - beta1) g, whose mean step is alpha g: at SGD's alpha it would only
#: average SGD's steps (the curves coincide). At alpha / (1 - beta1) = 0.5 it is the classical
#: heavy-ball momentum v = beta1 v + g with SGD's rate 0.05, the usual setting (PyTorch's
#: SGD(lr=0.05, momentum=0.9)).
TASK_LR = {
    "sgd": 0.05,
    "momentum": 0.5,
    "nesterov": 0.5,
    "adagrad": 0.05,
    "rmsprop": 0.002,
    "adam": 0.002,
}


def optimizer_curves(epochs=20, seed=0, backend="cpu", n_train=None):
    """Each optimiser of ``OPTS`` training a 40-128-128-10 ReLU net on MNIST-1D (minibatch 64,
    learning rate ``TASK_LR``): training loss and test accuracy per epoch, on the first
    ``n_train`` training signals (default all).

    Returns ``{"curves": {label: (loss, val_accuracy)}, "lr_curve": {label: lr}}``."""
    import numbanet as nb

    from ..data import load_mnist1d

    d = load_mnist1d()
    x, y = (d.x_train, d.y_train) if n_train is None else (d.x_train[:n_train], d.y_train[:n_train])
    curves, lr_curve = {}, {}
    for name, kw, _lr in OPTS:
        net = nb.Sequential(
            [nb.Dense(40, 128), nb.ReLU(), nb.Dense(128, 128), nb.ReLU(), nb.Dense(128, 10)],
            backend=backend,
            seed=seed,
        )
        opt = nb.optim.get(name, net.parameters(), TASK_LR[name], **kw)
        h = net.fit(
            x,
            y,
            loss="cross_entropy",
            optimizer=opt,
            epochs=epochs,
            batch_size=64,
            seed=seed,
            validation=(d.x_test, d.y_test),
            progress=False,
        )
        curves[opt_label(name, kw)] = (np.array(h["loss"]), np.array(h["val_accuracy"]))
        lr_curve[opt_label(name, kw)] = TASK_LR[name]
    return {"curves": curves, "lr_curve": lr_curve}


# =========================================================================== regularisation
#: the regularisation experiment: L2 lambdas and input-noise levels swept (0: unregularised),
#: training images, label noise, hidden width, dropout probability, early-stopping patience
L2_LAMBDAS = (0.0, 3.0, 10.0, 30.0, 100.0)
NOISE_STDS = (0.0, 0.5, 1.0)
REG_N_TRAIN, REG_LABEL_NOISE, REG_WIDTH, REG_DROPOUT, REG_PATIENCE = 1000, 0.2, 256, 0.5, 10


def noisy_labels(y, rate, rng, n_classes=10):
    """Replace a fraction ``rate`` of the labels by a different class drawn uniformly."""
    y = y.copy()
    flip = rng.random(y.shape[0]) < rate
    y[flip] = (y[flip] + rng.integers(1, n_classes, int(flip.sum()))) % n_classes
    return y, flip


def regularized_mlp(extra_in=(), drop=0.0, seed=0, backend="cpu", width=REG_WIDTH, d_in=784):
    """784-``width``-``width``-10 ReLU net, optional dropout after each hidden layer and extra
    input layers (e.g. ``GaussianNoise``)."""
    from ..nn import Dense, ReLU, Sequential
    from ..nn.dropout import Dropout

    layers = list(extra_in) + [Dense(d_in, width), ReLU()]
    if drop:
        layers.append(Dropout(drop, seed=seed + 1))
    layers += [Dense(width, width), ReLU()]
    if drop:
        layers.append(Dropout(drop, seed=seed + 2))
    layers.append(Dense(width, 10))
    return Sequential(layers, backend=backend, seed=seed, input_shape=(d_in,))


def _error_recorder(x, y, xt, yt):
    """A callback recording training and test error (evaluation mode, i.e. without dropout
    masks or input noise) after each epoch in ``.train_err`` and ``.test_err``."""
    from ..callbacks import Callback

    class ErrorRecorder(Callback):
        def __init__(self):
            self.data, self.train_err, self.test_err = (x, y, xt, yt), [], []

        def on_epoch_end(self, model, optimizer, epoch, logs):
            x, y, xt, yt = self.data
            self.train_err.append(100 * (1 - model.evaluate(x, y)["accuracy"]))
            self.test_err.append(100 * (1 - model.evaluate(xt, yt)["accuracy"]))
            return False

    return ErrorRecorder()


def regularizers(
    epochs=60,
    seeds=(0,),
    n_test=2000,
    backend="cpu",
    lambdas=L2_LAMBDAS,
    noise_stds=NOISE_STDS,
    n_train=REG_N_TRAIN,
):
    """Four regularisers on the same overfitting problem: the first ``n_train`` (1,000) MNIST
    training images with 20 % of their labels replaced by a wrong class (the net can memorise them, and
    memorising them hurts), a wide 784-256-256-10 ReLU net with softmax cross-entropy, minibatch
    SGD (batch 100, lr 0.1). Validation: 1,000 clean images of the held-out part of the
    training set (``mnist_split().x_val``), used to choose lambda, the noise level and the
    stopping epoch; test: the first ``n_test`` images of the official test set, used only to
    report.

    * L2: Nielsen's decay :math:`w \\leftarrow (1 - \\eta\\lambda/n) w - \\eta\\nabla C_0` for
      each lambda: the weights' norm :math:`\\sqrt{\\sum_l \\|W^{[l]}\\|_F^2}` and the errors;
    * inverted dropout (p = 0.5 after each hidden layer): training and test error per epoch
      with and without (measured in evaluation mode, the training error on the noisy labels);
    * early stopping: training and validation loss per epoch, and where
      ``EarlyStopping(patience)`` stops and which epoch's weights it restores;
    * noise injection: ``GaussianNoise(std)`` on the inputs during training.

    The unregularised run (lambda 0, no dropout, no noise, no stopping) is trained once and
    shared by the four panels. Results are averaged over ``seeds`` (each seed its own label noise
    and initialisation).
    """
    from ..callbacks import EarlyStopping
    from ..data import mnist_split
    from ..nn.dropout import GaussianNoise
    from ..optim import SGD

    m = mnist_split()
    n = n_train
    x = m.x_train[:n]
    xv, yv = m.x_val[:1000], m.y_val[:1000]
    xt, yt = m.x_test[:n_test], m.y_test[:n_test]

    def err(net, a, b):
        return 100 * (1 - net.evaluate(a, b)["accuracy"])

    def train(net, y, s, lam=0.0, ep=epochs, callbacks=(), validate=False):
        """Train ``net``; ``validate``: also the validation loss after every epoch (only the
        early-stopping panel's curves and its callback read it: the other runs are compared by
        their final errors, so a validation pass per epoch would only cost time)."""
        opt = SGD(net.parameters(), lr=0.1, l2=lam, n_train=n)
        return net.fit(
            x,
            y,
            loss="cross_entropy",
            optimizer=opt,
            epochs=ep,
            batch_size=100,
            seed=s,
            validation=(xv, yv) if validate else None,
            progress=False,
            callbacks=list(callbacks),
        )

    lam, stds = np.array(lambdas, dtype=float), np.array(noise_stds, dtype=float)
    k = len(seeds)
    acc = {
        key: np.zeros((k, len(lam)))
        for key in ("l2_weight_norm", "l2_train_err", "l2_val_err", "l2_test_err")
    }
    acc.update(
        {
            key: np.zeros((k, len(stds)))
            for key in ("noise_train_err", "noise_val_err", "noise_test_err")
        }
    )
    curves = {
        key: np.zeros((k, epochs))
        for key in (
            "drop_plain_train",
            "drop_plain_test",
            "drop_dropout_train",
            "drop_dropout_test",
            "es_train_loss",
            "es_val_loss",
        )
    }

    def record(key, net, i, y, j):
        acc[f"{key}_train_err"][i, j] = err(net, x, y)
        acc[f"{key}_val_err"][i, j] = err(net, xv, yv)
        acc[f"{key}_test_err"][i, j] = err(net, xt, yt)

    def norm(net):
        return np.sqrt(
            sum(
                float((p.value.astype(np.float64) ** 2).sum())
                for p in net.parameters()
                if p.kind == "weight"
            )
        )

    es_best, es_stop, es_test, es_last, es_prefix = [], [], [], [], []
    n_flipped = []
    for i, s in enumerate(seeds):
        y, flip = noisy_labels(m.y_train[:n], REG_LABEL_NOISE, np.random.default_rng(s))
        n_flipped.append(int(flip.sum()))

        # the unregularised run, and dropout: error curves in evaluation mode
        for name, drop in (("plain", 0.0), ("dropout", REG_DROPOUT)):
            net = regularized_mlp(drop=drop, seed=s, backend=backend)
            rec = _error_recorder(x, y, xt, yt)
            h = train(net, y, s, callbacks=[rec], validate=name == "plain")
            curves[f"drop_{name}_train"][i] = rec.train_err
            curves[f"drop_{name}_test"][i] = rec.test_err
            if name == "plain":
                plain_val_loss = np.array(h["val_loss"])
                curves["es_train_loss"][i] = h["loss"]
                curves["es_val_loss"][i] = plain_val_loss
                record("l2", net, i, y, 0)
                acc["l2_weight_norm"][i, 0] = norm(net)
                record("noise", net, i, y, 0)
        # L2 (lambda = 0 is the unregularised run)
        for j, lm in enumerate(lam[1:], start=1):
            net = regularized_mlp(seed=s, backend=backend)
            train(net, y, s, lam=float(lm))
            record("l2", net, i, y, j)
            acc["l2_weight_norm"][i, j] = norm(net)
        # early stopping: the callback on the same run, which it stops and rewinds
        net = regularized_mlp(seed=s, backend=backend)
        es = EarlyStopping(monitor="val_loss", patience=REG_PATIENCE, restore_best_weights=True)
        h2 = train(net, y, s, callbacks=[es], validate=True)
        es_best.append(int(es.best_epoch))
        es_stop.append(int(es.stopped_epoch) if es.stopped_epoch else epochs)
        es_test.append(err(net, xt, yt))
        es_last.append(acc["l2_test_err"][i, 0])
        es_prefix.append(bool(np.allclose(h2["val_loss"], plain_val_loss[: len(h2["val_loss"])])))
        # Gaussian noise injection at the input (std 0 is the unregularised run)
        for j, sd in enumerate(stds[1:], start=1):
            noise = GaussianNoise(float(sd), seed=s + 3)
            net = regularized_mlp(extra_in=[noise], seed=s, backend=backend)
            train(net, y, s)
            record("noise", net, i, y, j)
    out = {key: v.mean(0) for key, v in {**acc, **curves}.items()}
    # each regulariser's setting is chosen on the validation set, never on the test set
    l2_pick = 1 + int(np.argmin(out["l2_val_err"][1:]))
    noise_pick = 1 + int(np.argmin(out["noise_val_err"][1:]))
    out.update(
        epochs=epochs,
        n_seeds=k,
        backend=backend,
        n_train=n,
        n_val=len(yv),
        n_test=len(yt),
        label_noise=REG_LABEL_NOISE,
        n_flipped=int(np.mean(n_flipped)),
        width=REG_WIDTH,
        dropout_p=REG_DROPOUT,
        l2_lambda=lam,
        noise_std=stds,
        l2_pick=l2_pick,
        noise_pick=noise_pick,
        es_best_epoch=es_best[0],
        es_stopped_epoch=es_stop[0],
        es_patience=REG_PATIENCE,
        es_best_epochs=np.array(es_best),
        es_loss_prefix_equal=all(es_prefix),
        es_test_err_restored=float(np.mean(es_test)),
        es_test_err_last=float(np.mean(es_last)),
        # the unregularised net's final test error, and each regulariser's
        test_err_none=float(out["l2_test_err"][0]),
        test_err_l2=float(out["l2_test_err"][l2_pick]),
        test_err_dropout=float(out["drop_dropout_test"][-1]),
        test_err_early_stopping=float(np.mean(es_test)),
        test_err_noise=float(out["noise_test_err"][noise_pick]),
    )
    return out


# =========================================================================== double descent
def double_descent(n_train=500, n_seeds=2, n_test=2000, noise=0.2, seed=0, backend="cpu"):
    """Model-wise double descent of a two-layer ReLU net on ``n_train`` MNIST images with a
    fraction ``noise`` of wrong labels, over ``n_seeds`` random subsets; tested on ``n_test``
    held-out (validation) images.

    The net is ``Dense(784, h) -> ReLU -> Dense(h, 10)``. Its first layer keeps its random He
    initialisation (a *random-features* model); the readout is fitted to zero training error
    whenever it can be, by the minimum-norm least-squares solution on one-hot targets,

    .. math:: W_2 = \\Phi^+ Y, \\qquad \\Phi = \\mathrm{ReLU}(X W_1^\\top + b_1),

    which is where gradient descent on the squared loss converges from a zero start. With n
    training examples the readout can interpolate once h >= n: the test error peaks at the
    interpolation threshold h = n and falls again beyond it (the second descent), while the
    training error has reached zero.

    Returns
    -------
    dict
        ``widths`` (k,), and arrays of shape (n_seeds, k): ``train_err``, ``test_err`` (%),
        ``test_mse``, ``w_norm`` (Frobenius norm of the readout); ``n_train``, ``noise``.
    """
    from ..data import mnist_split
    from ..nn import Dense, ReLU, Sequential

    fr = np.array(
        [
            0.02,
            0.05,
            0.1,
            0.2,
            0.35,
            0.5,
            0.65,
            0.8,
            0.9,
            0.95,
            1.0,
            1.05,
            1.1,
            1.25,
            1.5,
            2.0,
            3.0,
            5.0,
            10.0,
            20.0,
        ]
    )
    widths = np.unique(np.round(fr * n_train).astype(int))
    m = mnist_split()
    # the random features in float32 (the engine's default, 3x faster than float64 on the
    # 2,000 x 784 x 10,000 product of the widest net), the readout's least squares in float64
    x_test, y_test = m.x_val[:n_test], m.y_val[:n_test]
    shape = (n_seeds, len(widths))
    res = {k: np.zeros(shape) for k in ("train_err", "test_err", "test_mse", "w_norm")}
    res["noisy_fit"] = np.zeros(shape)
    for si in range(n_seeds):
        rng = np.random.default_rng(seed + 1000 * si)
        idx = rng.choice(m.x_train.shape[0], n_train, replace=False)  # a random subset
        x, y_clean = m.x_train[idx], m.y_train[idx]
        y, flip = noisy_labels(y_clean, noise, rng)
        targets = np.eye(10)[y]
        for wi, h in enumerate(widths):
            # the net in two stages: random features (frozen) and the fitted readout
            feats = Sequential(
                [Dense(784, int(h), init="he_normal"), ReLU()],
                backend=backend,
                seed=seed + 7919 * si + int(h),
                dtype=np.float32,
            )
            head = Sequential([Dense(int(h), 10)], backend=backend, dtype=np.float64)
            phi = feats.predict(x).astype(np.float64)
            # least squares with the bias column: [phi, 1] [W^T; b^T] = Y, minimum norm (LAPACK's
            # SVD solver gelsd: the pseudo-inverse's solution without forming the pseudo-inverse)
            a = np.hstack([phi, np.ones((n_train, 1))])
            sol = np.linalg.lstsq(a, targets, rcond=1e-10)[0]
            head.layers[0].W.value = sol[:-1].T
            head.layers[0].b.value = sol[-1]
            pred_tr = head.predict(phi)
            pred_te = head.predict(feats.predict(x_test).astype(np.float64))
            res["train_err"][si, wi] = 100 * np.mean(pred_tr.argmax(1) != y)
            res["noisy_fit"][si, wi] = 100 * np.mean(pred_tr[flip].argmax(1) == y[flip])
            res["test_err"][si, wi] = 100 * np.mean(pred_te.argmax(1) != y_test)
            res["test_mse"][si, wi] = np.mean(np.sum((pred_te - np.eye(10)[y_test]) ** 2, 1))
            res["w_norm"][si, wi] = np.linalg.norm(sol[:-1])
    res.update(widths=widths, n_train=n_train, noise=noise, n_seeds=n_seeds)
    return res


# ==================================================================================== LeNet
def lenet_mnist(n_train=20000, n_val=5000, epochs=3, seed=0, backend="cpu"):
    """Train the slides' LeNet (``numbanet.models.lenet``) on MNIST and look inside it.

    SGD with momentum 0.9 (lr 0.02), batch 64, softmax cross-entropy from the logits, ``epochs``
    epochs on ``n_train`` training images drawn at random (None: all 60,000), validated on the
    first ``n_val`` test images (None: all 10,000).

    Returns ``summary`` (the text of ``net.summary()``), ``shapes`` and ``params`` per layer,
    ``batch_loss`` (every minibatch), ``epoch_samples`` and ``val_accuracy`` (per epoch),
    ``filters`` (6, 3, 3), ``digit`` (28, 28), ``maps1`` (6, 26, 26, after ReLU) and ``maps2``
    (16, 11, 11, after ReLU) for that digit, ``active1``/``active2`` (per map, the fraction of
    positions where the ReLU is active over ``active_n`` = 1,000 validation digits) and
    ``active1_digits``/``active2_digits`` (the fraction of those digits on which the map is
    active anywhere).
    """
    from ..callbacks import Callback
    from ..config import deterministic
    from ..data import load_mnist
    from ..models import lenet
    from ..optim import Momentum

    d = load_mnist(flatten=False)
    n_train = len(d.y_train) if n_train is None else n_train
    n_val = len(d.y_test) if n_val is None else n_val
    rng = np.random.default_rng(seed)
    tr_idx = rng.permutation(len(d.y_train))[:n_train]
    x, y = d.x_train[tr_idx], d.y_train[tr_idx]
    xv, yv = d.x_test[:n_val], d.y_test[:n_val]

    class _Losses(Callback):
        wants_batches = True

        def __init__(self):
            self.losses = []

        def on_batch_end(self, model, optimizer, batch, loss):
            self.losses.append(float(loss))

    net = lenet(backend=backend, seed=seed)
    summary = net.summary(print_fn=None)
    rec = _Losses()
    opt = Momentum(net.parameters(), lr=0.02, beta1=0.9, form="classical")
    # BLAS on one thread: LeNet's dense products are small, and two spinning OpenBLAS threads on
    # a busy two-core machine made training 5-10x slower (and results then are bit-reproducible)
    with deterministic():
        hist = net.fit(
            x,
            y,
            loss="cross_entropy",
            optimizer=opt,
            epochs=epochs,
            batch_size=64,
            seed=seed,
            validation=(xv, yv),
            callbacks=[rec],
            progress=False,
            train_metrics=False,
        )
    # feature maps of the first validation digit, layer by layer on the backend
    be = net.backend
    digit = xv[:1]
    a = be.asarray(digit, net.dtype)
    maps = []
    for layer in net.layers:
        a = layer.forward(a, training=False)
        maps.append(a)
    # how often each ReLU map is active: a filter whose pre-activation is negative on (almost)
    # every position of every digit is "dead" and shows an empty map, which is a property of
    # the trained net, not a drawing error. Over the first 1,000 validation digits: the fraction
    # of positions with a positive output, and the fraction of digits with any positive output
    n_act = min(1000, len(yv))
    a = be.asarray(xv[:n_act], net.dtype)
    act = {}
    for i, layer in enumerate(net.layers[:5]):
        a = layer.forward(a, training=False)
        if i in (1, 4):
            m = be.to_numpy(a) > 0
            act[i] = (m.mean(axis=(0, 2, 3)), m.any(axis=(2, 3)).mean(axis=0))
    return {
        "active1": act[1][0].astype(np.float64),
        "active1_digits": act[1][1].astype(np.float64),
        "active2": act[4][0].astype(np.float64),
        "active2_digits": act[4][1].astype(np.float64),
        "active_n": n_act,
        "summary": summary,
        "shapes": [list(s) for s in net.layer_output_shapes()],
        "params": [layer.n_params() for layer in net.layers],
        "batch_loss": np.array(rec.losses),
        "batches_per_epoch": int(np.ceil(n_train / 64)),
        "val_accuracy": np.array(hist["val_accuracy"]),
        "filters": net.layers[0].W.value[:, 0].astype(np.float64),
        "digit": digit[0, 0].astype(np.float64),
        "label": int(yv[0]),
        "prediction": int(np.argmax(be.to_numpy(maps[-1])[0])),
        "maps1": be.to_numpy(maps[1])[0].astype(np.float64),
        "maps2": be.to_numpy(maps[4])[0].astype(np.float64),
        "n_train": n_train,
        "n_val": n_val,
        "epochs": epochs,
    }


# ================================================================================ recurrent
#: the recall task: symbols, sequence length, noise on the distractor steps; the models' width,
#: Adam's learning rate and the LSTM's forget-gate bias (f = 0.95 at the start, so about
#: 0.95^49 = 8 % of the first step's cell survives 49 steps; with the default bias 1 it is
#: 0.73^49 ~ 2e-7: the "chrono" reasoning of Tallec & Ollivier 2018)
K_SYMBOLS = 4
T_RECALL = 50
NOISE = 1.0
HIDDEN = 32
LR = 3e-3
FORGET_BIAS = 3.0


def recall_first_symbol(n, T=T_RECALL, k=K_SYMBOLS, noise=NOISE, seed=0):
    """The long-dependency task: recall the first of ``T`` steps.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Sequence length; the dependency spans T - 1 steps.
    k : int
        Number of symbols (classes); chance accuracy is 1 / k.
    noise : float
        Standard deviation of the Gaussian noise on the symbol channels at steps 1..T-1
        (0 gives blank distractor steps).
    seed : int

    Returns
    -------
    x : ndarray of shape (n, T, k + 1), float32
        Channel k is the start marker (1 at t = 0 only).
    y : ndarray of shape (n,), int64
        The symbol shown at t = 0.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    x = np.zeros((n, T, k + 1), dtype=np.float32)
    x[np.arange(n), 0, y] = 1.0
    x[:, 0, k] = 1.0
    if noise > 0 and T > 1:
        x[:, 1:, :k] = noise * rng.standard_normal((n, T - 1, k))
    return x, y.astype(np.int64)


def recall_model(
    kind, backend="cpu", seed=0, hidden=HIDDEN, T=T_RECALL, k=K_SYMBOLS, recurrent_init="orthogonal"
):
    """``RNN`` or ``LSTM`` (``kind``) of width ``hidden`` followed by ``Dense(hidden, k)``."""
    import numbanet as nb

    from ..nn.recurrent import LSTM, RNN

    if kind == "lstm":
        rec = LSTM(k + 1, hidden, recurrent_init=recurrent_init, forget_bias=FORGET_BIAS)
    else:
        rec = RNN(k + 1, hidden, recurrent_init=recurrent_init)
    return nb.Sequential(
        [rec, nb.Dense(hidden, k)], backend=backend, seed=seed, input_shape=(T, k + 1)
    )


def train_recall(
    kind,
    n_train,
    epochs,
    seed=0,
    backend="cpu",
    noise=NOISE,
    T=T_RECALL,
    recurrent_init="orthogonal",
    n_val=1000,
    batch_size=32,
):
    """Train ``recall_model(kind)`` with Adam; returns (model, validation accuracy per epoch)."""
    x, y = recall_first_symbol(n_train, T=T, noise=noise, seed=seed + 1)
    xv, yv = recall_first_symbol(n_val, T=T, noise=noise, seed=seed + 1000)
    net = recall_model(kind, backend, seed, T=T, recurrent_init=recurrent_init)
    h = net.fit(
        x,
        y,
        loss="cross_entropy",
        optimizer="adam",
        lr=LR,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        validation=(xv, yv),
        progress=False,
        train_metrics=False,
    )
    return net, np.asarray(h["val_accuracy"], dtype=float)


def gradient_through_time(net, x, y):
    """||dC/dx_t|| for each step t (mean over the batch), C the mean cross-entropy."""
    from .. import losses as L

    loss = L.CrossEntropy()
    net.zero_grad()
    loss.forward(net.forward(x), y)
    dx = net.backward(loss.backward())
    return np.linalg.norm(dx.astype(np.float64), axis=2).mean(axis=0)


# ---------------------------------------------------------------------------- bidirectional
def ecg_like(n, T=60, seed=0):
    """A synthetic beat-labelling task (the slides' ECG example, simplified).

    Each sequence holds beats of 10 steps at random positions over a noisy baseline. A beat
    starts with the same upstroke (4 steps) whatever its class; its class shows only in the
    remaining 6 steps: a positive hump (normal, label 0) or a negative one (ectopic, label 1).
    Every step of an ectopic beat is labelled 1, everything else 0.

    Returns
    -------
    x : ndarray of shape (n, T, 1), float32
    y : ndarray of shape (n, T), float32 (0/1 per step)
    onset : ndarray of shape (n, T), bool
        The first 4 steps of every beat (where only the future tells the class).
    """
    rng = np.random.default_rng(seed)
    x = 0.15 * rng.standard_normal((n, T, 1))
    y = np.zeros((n, T))
    onset = np.zeros((n, T), dtype=bool)
    up = np.array([0.4, 1.0, 1.4, 1.0])
    hump = np.sin(np.linspace(0, np.pi, 6))
    for i in range(n):
        t = int(rng.integers(0, 6))
        while t + 10 <= T:
            cls = int(rng.integers(0, 2))
            x[i, t : t + 4, 0] += up
            x[i, t + 4 : t + 10, 0] += (1.0 if cls == 0 else -1.0) * hump
            y[i, t : t + 10] = cls
            onset[i, t : t + 4] = True
            t += 10 + int(rng.integers(2, 9))
    return x.astype(np.float32), y.astype(np.float32), onset


def tagger(bidirectional, backend, seed, T, hidden=16):
    """A per-step binary tagger: an ``RNN`` (or ``Bidirectional(RNN)``) returning sequences and a
    ``TimeDistributed(Dense(., 1))`` of logits."""
    import numbanet as nb

    from ..nn.recurrent import RNN, Bidirectional, TimeDistributed

    rec = RNN(1, hidden, return_sequences=True)
    layers = (
        [Bidirectional(rec), TimeDistributed(nb.Dense(2 * hidden, 1))]
        if bidirectional
        else [rec, TimeDistributed(nb.Dense(hidden, 1))]
    )
    return nb.Sequential(layers, backend=backend, seed=seed, input_shape=(T, 1))


def tagging_accuracy(net, x, y, mask):
    """Fraction of the steps selected by ``mask`` whose label the tagger gets right."""
    p = net.predict(x)[..., 0] > 0  # logits
    return float((p == (y > 0.5))[mask].mean())


# ---------------------------------------------------------------------------- compute / draw
def recall_lstm_vs_rnn(n_train=3000, epochs=5, seed=0, backend="cpu"):
    """What the ``rnn-lstm`` figure shows, all on the noisy task of ``recall_first_symbol``.

    1. RNN against LSTM (``n_train`` sequences, ``epochs``): validation accuracy per epoch
       (``curves``);
    2. ||dC/dx_t|| at initialisation on one batch of that task (``grads``) for the LSTM and the
       RNN with orthogonal and with random (Glorot uniform) W_hh: through 49 noisy tanh steps
       the RNNs' gradient vanishes geometrically, the LSTM's cell path carries it.
    """
    curves = {}
    for kind in ("rnn", "lstm"):
        _, curves[kind] = train_recall(kind, n_train, epochs, seed=seed, backend=backend)
    xg, yg = recall_first_symbol(256, seed=seed + 7)
    grads = {
        "lstm": gradient_through_time(recall_model("lstm", backend, seed), xg, yg),
        "rnn (orthogonal)": gradient_through_time(recall_model("rnn", backend, seed), xg, yg),
        "rnn (random)": gradient_through_time(
            recall_model("rnn", backend, seed, recurrent_init="glorot_uniform"), xg, yg
        ),
    }
    return {
        "T": T_RECALL,
        "k": K_SYMBOLS,
        "noise": NOISE,
        "hidden": HIDDEN,
        "n_train": n_train,
        "curves": curves,
        "grads": grads,
    }


#: the recurrent initialisations compared by ``recall_orthogonal_init``: name -> ``recurrent_init``
RECURRENT_INITS = {"orthogonal": "orthogonal", "random": "glorot_uniform"}


def recall_orthogonal_init(
    T_init=150, n_init=1200, epochs_init=4, init_seeds=1, seed=0, backend="cpu"
):
    """What the ``rnn-orthogonal`` figure shows, all on the noise-free ("blank") task: the first
    symbol followed by ``T_init - 1`` blank steps (at 50 blank steps both inits succeed, hence
    the longer span).

    1. The RNN with orthogonal W_hh (the slides' advice, ||W h|| = ||h||) against Glorot-uniform
       W_hh (random, the same variance 1/H), ``n_init`` sequences, ``epochs_init``, for
       ``init_seeds`` seeds: validation accuracy per epoch (``init_curves``, each of shape
       (init_seeds, epochs_init));
    2. both RNNs' ||dC/dx_t|| at initialisation on one batch of that task (``grads_blank``):
       with blank inputs the hidden state stays near 0 and tanh' near 1, so the orthogonal W_hh
       carries the gradient back almost undiminished, and the random one does not.
    """
    init_curves, grads_blank = {}, {}
    xb, yb = recall_first_symbol(256, T=T_init, noise=0.0, seed=seed + 7)
    for name, ini in RECURRENT_INITS.items():
        init_curves[name] = np.array(
            [
                train_recall(
                    "rnn",
                    n_init,
                    epochs_init,
                    seed=seed + i,
                    backend=backend,
                    noise=0.0,
                    T=T_init,
                    recurrent_init=ini,
                )[1]
                for i in range(init_seeds)
            ]
        )
        grads_blank[f"rnn ({name})"] = gradient_through_time(
            recall_model("rnn", backend, seed, T=T_init, recurrent_init=ini), xb, yb
        )
    return {
        "k": K_SYMBOLS,
        "hidden": HIDDEN,
        "T_init": T_init,
        "n_init": n_init,
        "init_curves": init_curves,
        "grads_blank": grads_blank,
    }


def bidirectional_tagging(n_tag=600, epochs_tag=6, seed=0, backend="cpu", T=60):
    """What the ``birnn-labelling`` figure shows: a causal and a bidirectional tagger trained on
    ``ecg_like`` (``n_tag`` sequences of ``T`` steps, ``epochs_tag``), their per-step accuracy on
    400 validation sequences overall and at the beats' onsets (``tagging``), and both networks'
    per-step P(ectopic) on the first validation sequence (``example``)."""
    from .. import losses as L

    x, y, _ = ecg_like(n_tag, T, seed=seed + 11)
    xv, yv, onset_v = ecg_like(400, T, seed=seed + 12)
    tag = {}
    for name, bi in (("causal", False), ("bidirectional", True)):
        net = tagger(bi, backend, seed, T)
        net.fit(
            x,
            y,
            loss=L.MultiLabelBCE(),
            optimizer="adam",
            lr=1e-2,
            epochs=epochs_tag,
            batch_size=32,
            seed=seed,
            progress=False,
            train_metrics=False,
        )
        tag[name] = {
            "all": tagging_accuracy(net, xv, yv, yv > -1),  # every step
            "onset": tagging_accuracy(net, xv, yv, onset_v),
            "prob": 1 / (1 + np.exp(-net.predict(xv[:1])[0, :, 0].astype(np.float64))),
        }
    return {
        "n_tag": n_tag,
        "tagging": tag,
        "example": {"x": xv[0, :, 0], "y": yv[0], "onset": onset_v[0]},
    }
