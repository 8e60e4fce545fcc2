"""Deck 004 (DL: the vanishing gradient, pre-training): its experiments.

* Nielsen's speeds of learning on the first 1,000 MNIST images, at initialisation
  (``initial_speeds``) and during gradient descent (``speed_curves``);
* Nielsen's depth experiment (``depth_accuracy``): MNIST validation accuracy of 784-30^k-10
  sigmoid nets trained with his network2 set-up (at full budget through the results cache,
  ``depth_accuracy_cached``, shared by the figure and claim 9);
* the gradient reaching each layer of deep sigmoid and ReLU nets (``gradient_by_layer``);
* greedy layer-wise pre-training against random initialisation (``compare_pretraining``);
* an RBM trained with CD-1 on MNIST (``rbm_mnist``);
* a 2-D autoencoder code of the digits (``autoencoder_code``) and the three uses of an
  autoencoder for classification (``compare_autoencoder_uses``).

The models (``numbanet.unsupervised``, ``numbanet.theory.gradient_speed``) take arrays; the
functions here load MNIST when no arrays are given.

Size: over 600 lines on purpose: one module per deck, and deck 004 runs six experiments, each
with its settings checked and recorded beside its results.
"""

from __future__ import annotations

import time

import numpy as np

from .._validate import as_float_array, positive_int
from ..errors import ValidationError


def _seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"seeds must be integers; got {seed!r}")
    return int(seed)


def _mean_std(values):
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


# ======================================================================= speeds of learning
#: Nielsen's three nets (2, 3 and 4 hidden layers of 30 sigmoid units)
NIELSEN_ARCHS = ((784, 30, 30, 10), (784, 30, 30, 30, 10), (784, 30, 30, 30, 30, 10))


def first_1000():
    """Nielsen's data for the speeds: the first 1,000 MNIST training images (float64), labels."""
    from ..data import load_mnist

    d = load_mnist()
    return d.x_train[:1000].astype(np.float64), d.y_train[:1000].copy()


def initial_speeds(archs=NIELSEN_ARCHS, seeds=range(10), backend="cpu"):
    """Speeds of learning ||dC/db^l|| of every hidden layer at initialisation of
    ``nielsen_network2(sizes)`` on ``first_1000()``, for each architecture and seed.

    Returns ``{sizes: array of shape (len(seeds), n_hidden)}``."""
    from ..theory import gradient_speed as G

    x, y = first_1000()
    return {tuple(a): G.initial_speeds(a, x, y, seeds=list(seeds), backend=backend) for a in archs}


def speed_curves(archs=NIELSEN_ARCHS, seeds=range(3), epochs=150, backend="cpu"):
    """The speeds during full-batch gradient descent on ``first_1000()`` (eta 0.1, L2 lambda
    5.0, Nielsen's set-up). Returns ``{sizes: array (len(seeds), epochs + 1, n_hidden)}``."""
    from ..theory import gradient_speed as G

    x, y = first_1000()
    return {
        tuple(a): np.stack(
            [G.speed_curves(a, x, y, epochs=epochs, seed=s, backend=backend) for s in seeds]
        )
        for a in archs
    }


def speed_curves_cached(archs=NIELSEN_ARCHS, seeds=(0, 1, 2), epochs=150, backend="cpu"):
    """``speed_curves`` through the results cache (``experiments.cache``), as plain arrays
    ``{"curves_i": array (len(seeds), epochs + 1, n_hidden)}`` for the i-th architecture: the
    slide's 500 epochs x 5 seeds are paid for once and shared by the English and Spanish
    renders."""
    from .cache import cached

    def run(archs, seeds, epochs, backend):
        curves = speed_curves(archs, seeds=seeds, epochs=epochs, backend=backend)
        return {f"curves_{i}": curves[tuple(a)] for i, a in enumerate(archs)}

    settings = dict(
        archs=[list(a) for a in archs],
        seeds=[_seed(s) for s in seeds],
        epochs=int(epochs),
        backend=backend,
    )
    return cached("vanishing.speed_curves", settings, run)


def gradient_by_layer(depth=10, width=30, n=256, n_seeds=5, seed=0, backend="cpu"):
    """The gradient reaching each hidden layer of two ``depth``-layer nets of ``width`` units at
    initialisation: sigmoid (LeCun normal) against ReLU (He normal), for a generic error signal
    at a 10-unit linear output.

    The gradient of layer l's biases is the output error times the product of the activation
    derivatives of the layers above (times weights): with sigmoids every factor is at most 1/4.

    Returns ``{"grad_sigmoid", "grad_relu"}`` (||dC/db^l|| per seed and layer, shape
    (n_seeds, depth)) and ``mean_dsigmoid`` (the mean sigma'(z) of every sigmoid layer)."""
    import numbanet as nb

    from ._common import seq

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
            net = seq(layers + [nb.Dense(width, 10, init="lecun_normal")], backend, seed * 100 + s)
            net.zero_grad()
            net.forward(x, training=True)
            net.backward(g)
            dense = [layer for layer in net.layers if isinstance(layer, nb.Dense)][:depth]
            curves[kind].append([float(np.linalg.norm(layer.b.grad)) for layer in dense])
            if kind == "sigmoid":  # the mean sigma'(z) of every hidden layer
                be = net.backend
                outs, h = [], x
                for layer in net.layers[: 2 * depth]:
                    h = np.asarray(
                        be.to_numpy(layer.forward(be.asarray(np.ascontiguousarray(h), net.dtype)))
                    )
                    if isinstance(layer, nb.Sigmoid):
                        outs.append(float(np.mean(h * (1 - h))))
                mean_dsig.append(outs)
    return {
        "grad_sigmoid": np.array(curves["sigmoid"]),
        "grad_relu": np.array(curves["relu"]),
        "mean_dsigmoid": np.array(mean_dsig),
    }


# ================================================================================ depth sweep
#: Nielsen's depth experiment at the slide's budget (30 epochs, all 50,000 training images) with
#: five seeds against the slide's single run: what ``numbanet figures --full depth-accuracy`` and
#: claim 9 both run, so the second reads the first's result from the cache (``experiments.cache``)
DEPTH_ACCURACY_FULL = dict(
    seeds=(0, 1, 2, 3, 4), epochs=30, depths=(1, 2, 3, 4), backend="cpu", n_train=50000, n_val=None
)


def depth_accuracy_cached(**settings):
    """``depth_accuracy(**settings)`` through the results cache (``experiments.cache``): run
    once per distinct settings, read back afterwards (``--fresh`` recomputes)."""
    from .cache import cached

    return cached("vanishing.depth_accuracy", settings, depth_accuracy)


def depth_accuracy(
    seeds=(0, 1, 2), epochs=30, depths=(1, 2, 3, 4), backend="cpu", n_train=50000, n_val=None
):
    """MNIST validation accuracy (%) of 784-30^k-10 sigmoid nets, Nielsen's set-up.

    Per-unit sigmoid cross-entropy, weights N(0, 1/n_in), biases N(0, 1), minibatch 10, eta 0.1,
    L2 lambda 5.0 in the form w <- (1 - eta lambda / n) w - (eta / m) sum grad; trained on the
    first ``n_train`` of the 50,000 training images of ``mnist_split()``, validated on the first
    ``n_val`` (default: all 10,000) of its validation images.

    Returns
    -------
    dict
        ``acc`` of shape (len(seeds), len(depths)) (final accuracy, %), ``mean``, ``std`` (ddof 1;
        zeros for one seed), ``curves`` of shape (len(seeds), len(depths), epochs) and ``depths``.
    """
    from ..data import mnist_split
    from ..optim import SGD
    from ..theory.gradient_speed import nielsen_network2

    s = mnist_split()
    xv, yv = (s.x_val, s.y_val) if n_val is None else (s.x_val[:n_val], s.y_val[:n_val])
    acc = np.zeros((len(seeds), len(depths)))
    curves = np.zeros((len(seeds), len(depths), epochs))
    for i, seed in enumerate(seeds):
        for j, k in enumerate(depths):
            net = nielsen_network2(
                [784] + [30] * k + [10], seed=seed, backend=backend, dtype=np.float32
            )
            opt = SGD(net.parameters(), lr=0.1, l2=5.0, n_train=n_train)
            h = net.fit(
                s.x_train[:n_train],
                s.y_train[:n_train],
                loss="sigmoid_cross_entropy",
                optimizer=opt,
                epochs=epochs,
                batch_size=10,
                seed=seed,
                validation=(xv, yv),
                progress=False,
            )
            curves[i, j] = 100 * np.array(h["val_accuracy"])
            acc[i, j] = curves[i, j, -1]
    std = acc.std(axis=0, ddof=1) if len(seeds) > 1 else np.zeros(len(depths))
    return {
        "acc": acc,
        "mean": acc.mean(axis=0),
        "std": std,
        "curves": curves,
        "depths": list(depths),
    }


# ============================================================================ pre-training
def compare_pretraining(
    seeds=(0, 1, 2),
    methods=("random", "autoencoder", "rbm"),
    sizes=(784, 256, 256, 256, 10),
    n_train=10000,
    n_val=2000,
    pretrain_epochs=3,
    top_epochs=1,
    finetune_epochs=3,
    lr=0.1,
    batch_size=32,
    ae_lr=1e-2,
    rbm_lr=0.1,
    pretrain_batch_size=20,
    noise=0.0,
    speed_examples=1000,
    init="glorot_uniform",
    backend="auto",
    data=None,
    match_steps=False,
):
    """Random initialisation vs greedy pre-training of a deep sigmoid net on MNIST.

    For every seed and method ('random', 'autoencoder' = ``StackedAutoencoder``, 'rbm' = ``DBN``
    with CD-1), the same ``sizes`` network is built with that seed; the pre-trained ones get
    ``pretrain_epochs`` of greedy pre-training per layer and ``top_epochs`` of top-layer training
    with frozen hidden layers (autoencoders: Adam, ``ae_lr``; RBMs: CD-1 with momentum 0.5,
    ``rbm_lr``; both with minibatches of ``pretrain_batch_size``). Then every network is
    fine-tuned end to end with plain SGD (``lr``, ``batch_size``) for ``finetune_epochs`` epochs.

    A pre-trained net has taken ``pretrain_steps`` minibatch updates before its fine-tuning
    starts (``pretraining_steps``). With ``match_steps`` the randomly initialised net is given
    them as extra fine-tuning epochs: it trains for ``finetune_epochs`` plus enough epochs to
    cover those steps (exactly the same total when ``pretrain_batch_size == batch_size``), so
    every method is compared at the same total number of gradient steps. Without it, the random
    net gets the ``finetune_epochs`` only (the pre-trained nets then had many more steps).

    Measured:

    * ``val_accuracy``: validation accuracy after each fine-tuning epoch (the slides' claim is
      about the first), and ``start_accuracy`` before fine-tuning;
    * ``steps``: the total gradient steps (pre-training + fine-tuning) at ``start_accuracy`` and
      at each entry of ``val_accuracy``;
    * ``speeds``: per-hidden-layer gradient speeds ||dC/db^l|| (cross-entropy, first
      ``speed_examples`` training images) at the start of fine-tuning, and ``speed_ratio`` =
      fastest / slowest layer (1 = perfectly even);
    * ``pretrain_loss`` and wall-clock ``time``.

    Parameters
    ----------
    data : tuple (x_train, y_train, x_val, y_val), optional
        Default: the first ``n_train`` images of ``mnist_split()``'s training set and the first
        ``n_val`` of its validation set.

    Returns
    -------
    dict
        ``results[method]`` with lists over seeds, ``summary[method]`` with means and standard
        deviations over seeds, and ``settings``.
    """
    from ..theory.gradient_speed import layer_speeds
    from ..unsupervised import DBN, StackedAutoencoder

    methods = tuple(methods)
    for m in methods:
        if m not in ("random", "autoencoder", "rbm"):
            raise ValidationError(
                f"methods must be among 'random', 'autoencoder', 'rbm'; got {m!r}"
            )
    seeds = [_seed(s) for s in seeds]
    if not seeds:
        raise ValidationError("seeds is empty; give at least one seed")
    sizes = tuple(positive_int(s, "sizes") for s in sizes)
    if data is None:
        from ..data import mnist_split

        d = mnist_split()
        data = (d.x_train[:n_train], d.y_train[:n_train], d.x_val[:n_val], d.y_val[:n_val])
    x, y, xv, yv = data
    x = as_float_array(x, "x_train", np.float32, ndim=2)
    xv = as_float_array(xv, "x_val", np.float32, ndim=2)
    y, yv = np.asarray(y), np.asarray(yv)
    xs, ys = x[:speed_examples], y[:speed_examples]
    n = int(x.shape[0])
    settings = {
        "sizes": list(sizes),
        "n_train": n,
        "pretrain_epochs": pretrain_epochs,
        "top_epochs": top_epochs,
        "finetune_epochs": finetune_epochs,
        "batch_size": batch_size,
        "pretrain_batch_size": pretrain_batch_size,
    }
    pre_steps, _ = pretraining_steps(settings)
    per_epoch = -(-n // int(batch_size))
    random_epochs = finetune_epochs + (-(-pre_steps // per_epoch) if match_steps else 0)
    results = {
        m: {
            k: []
            for k in (
                "val_accuracy",
                "loss",
                "start_accuracy",
                "speeds",
                "speed_ratio",
                "pretrain_loss",
                "time",
                "steps",
            )
        }
        for m in methods
    }
    for seed in seeds:
        for m in methods:
            t0 = time.perf_counter()
            if m == "random":
                model = StackedAutoencoder(
                    sizes[:-1], sizes[-1], backend=backend, seed=seed, init=init
                )
                pre = []
            else:
                if m == "autoencoder":
                    model = StackedAutoencoder(
                        sizes[:-1], sizes[-1], noise=noise, backend=backend, seed=seed, init=init
                    )
                    pre = model.pretrain(
                        x,
                        epochs=pretrain_epochs,
                        lr=ae_lr,
                        seed=seed,
                        batch_size=pretrain_batch_size,
                    )
                else:
                    model = DBN(sizes[:-1], sizes[-1], backend=backend, seed=seed, init=init)
                    pre = model.pretrain(
                        x,
                        epochs=pretrain_epochs,
                        lr=rbm_lr,
                        seed=seed,
                        batch_size=pretrain_batch_size,
                    )
                model.train_top(
                    x,
                    y,
                    epochs=top_epochs,
                    lr=lr,
                    batch_size=batch_size,
                    seed=seed,
                    train_metrics=False,
                )
            model.unfreeze()
            start = model.net.evaluate(xv, yv)["accuracy"]
            speeds = layer_speeds(model.net, xs, ys, loss="cross_entropy")
            epochs = random_epochs if m == "random" else finetune_epochs
            h = model.fine_tune(
                x,
                y,
                epochs=epochs,
                lr=lr,
                batch_size=batch_size,
                seed=seed,
                validation=(xv, yv),
                train_metrics=False,
            )
            r = results[m]
            r["val_accuracy"].append([float(a) for a in h["val_accuracy"]])
            r["loss"].append([float(a) for a in h["loss"]])
            r["start_accuracy"].append(float(start))
            first = 0 if m == "random" else pre_steps
            r["steps"].append([first + e * per_epoch for e in range(epochs + 1)])
            r["speeds"].append([float(s) for s in speeds])
            r["speed_ratio"].append(float(speeds.max() / max(speeds.min(), 1e-30)))
            r["pretrain_loss"].append([[float(v) for v in layer] for layer in pre])
            r["time"].append(time.perf_counter() - t0)
    summary = {}
    for m in methods:
        r = results[m]
        first = [va[0] for va in r["val_accuracy"]]
        last = [va[-1] for va in r["val_accuracy"]]
        summary[m] = {
            "first_epoch_accuracy": _mean_std(first),
            "final_accuracy": _mean_std(last),
            "start_accuracy": _mean_std(r["start_accuracy"]),
            "speed_ratio": _mean_std(r["speed_ratio"]),
            "speeds": np.mean(np.asarray(r["speeds"]), axis=0).tolist(),
        }
    return {
        "results": results,
        "summary": summary,
        "settings": {
            "seeds": seeds,
            "methods": list(methods),
            "sizes": list(sizes),
            "n_train": int(x.shape[0]),
            "n_val": int(xv.shape[0]),
            "pretrain_epochs": pretrain_epochs,
            "top_epochs": top_epochs,
            "finetune_epochs": finetune_epochs,
            "lr": lr,
            "batch_size": batch_size,
            "ae_lr": ae_lr,
            "rbm_lr": rbm_lr,
            "pretrain_batch_size": pretrain_batch_size,
            "noise": noise,
            "init": init,
            "speed_examples": int(xs.shape[0]),
            "match_steps": bool(match_steps),
            "pretrain_steps": pre_steps,
            "random_epochs": random_epochs,
        },
    }


def pretraining_steps(settings):
    """(pre-training steps, fine-tuning steps) of one pre-trained net of ``compare_pretraining``
    with these ``settings``: ``pretrain_epochs`` per hidden layer in minibatches of
    ``pretrain_batch_size``, then ``top_epochs`` of the top layer and ``finetune_epochs`` of
    fine-tuning in minibatches of ``batch_size``. One step = one minibatch update."""
    n = int(settings["n_train"])
    hidden = len(settings["sizes"]) - 2
    per_pre = -(-n // int(settings["pretrain_batch_size"]))
    per_fine = -(-n // int(settings["batch_size"]))
    pre = hidden * int(settings["pretrain_epochs"]) * per_pre
    pre += int(settings["top_epochs"]) * per_fine
    return pre, int(settings["finetune_epochs"]) * per_fine


# ============================================================================ autoencoders
#: what ``compare_autoencoder_uses`` can train: the pixel baseline and the three uses
AUTOENCODER_USES = ("raw", "features", "reconstructions", "joint")


def compare_autoencoder_uses(
    x_train=None,
    y_train=None,
    x_test=None,
    y_test=None,
    n_train=5000,
    n_test=2000,
    n_code=32,
    beta=0.5,
    noise=0.2,
    ae_epochs=10,
    clf_epochs=10,
    lr=3e-3,
    ae_lr=1e-2,
    batch_size=64,
    seed=0,
    backend="auto",
    n_examples=8,
    uses=AUTOENCODER_USES,
):
    """The slides' three uses of an autoencoder for classification, on the same data.

    Every classifier is a ``d -> n_code -> 10`` sigmoid net (or its last layer), trained with Adam
    (``lr``) for ``clf_epochs`` epochs; the autoencoder is trained first with Adam (``ae_lr``) for
    ``ae_epochs`` epochs:

    * ``raw``: the baseline, on the pixels x;
    * ``features``: a softmax layer on the codes u of a (denoising) autoencoder trained first;
    * ``reconstructions``: the d -> n_code -> 10 net on x_hat = g(f(x)) (train and test);
    * ``joint``: ``JointAutoencoder`` with :math:`\\beta J_{clas} + (1-\\beta) J_{ae}`, trained for
      ``clf_epochs`` epochs.

    Data default to the first ``n_train`` MNIST training images and ``n_test`` test images.
    ``uses`` (a subset of ``AUTOENCODER_USES``) chooses which of them are trained; the
    autoencoder always is. Each is seeded on its own, so a use's result does not depend on which
    others run (the ``denoising-autoencoder`` figure runs only the autoencoder and ``joint``).

    Returns
    -------
    dict
        ``accuracy`` {use: test accuracy}, ``ae_loss`` (per-epoch reconstruction cost),
        ``recon_error`` (test mean sum of squared errors of the autoencoder), ``joint_history``
        and ``joint_recon_error`` (when ``joint`` is among ``uses``), ``examples`` (the first
        ``n_examples`` test images, corrupted and reconstructed), and the settings.
    """
    from ..unsupervised.autoencoder import Autoencoder, JointAutoencoder, corrupt

    uses = tuple(uses)
    unknown = [u for u in uses if u not in AUTOENCODER_USES]
    if unknown or not uses:
        raise ValidationError(
            f"uses must be a non-empty subset of {AUTOENCODER_USES}; got {uses!r}"
        )
    if x_train is None:
        from ..data import load_mnist

        d = load_mnist()
        x_train, y_train = d.x_train[:n_train], d.y_train[:n_train]
        x_test, y_test = d.x_test[:n_test], d.y_test[:n_test]
    x_train = as_float_array(x_train, "x_train", np.float32, ndim=2)
    x_test = as_float_array(x_test, "x_test", np.float32, ndim=2)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    dim = x_train.shape[1]
    k = int(y_train.max()) + 1
    clf_kw = dict(
        loss="cross_entropy",
        optimizer="adam",
        lr=lr,
        epochs=clf_epochs,
        batch_size=batch_size,
        seed=seed,
        progress=False,
        train_metrics=False,
    )
    from ..models import mlp

    def classifier(sizes):  # sigmoid hidden layers, logits out
        return mlp(sizes, "sigmoid", init="glorot_uniform", backend=backend, seed=seed)

    acc = {}
    if "raw" in uses:
        raw = classifier([dim, n_code, k])
        raw.fit(x_train, y_train, **clf_kw)
        acc["raw"] = raw.evaluate(x_test, y_test)["accuracy"]

    ae = Autoencoder(dim, n_code, noise=noise, backend=backend, seed=seed)
    ae_loss = ae.fit(x_train, epochs=ae_epochs, lr=ae_lr, batch_size=batch_size, seed=seed)
    if "features" in uses:
        u_tr, u_te = ae.encode(x_train), ae.encode(x_test)
        feat = classifier([n_code, k])
        feat.fit(u_tr, y_train, **clf_kw)
        acc["features"] = feat.evaluate(u_te, y_test)["accuracy"]

    if "reconstructions" in uses:
        r_tr, r_te = ae.reconstruct(x_train), ae.reconstruct(x_test)
        rec = classifier([dim, n_code, k])
        rec.fit(r_tr, y_train, **clf_kw)
        acc["reconstructions"] = rec.evaluate(r_te, y_test)["accuracy"]

    joint_out = {}
    if "joint" in uses:
        joint = JointAutoencoder(dim, n_code, k, beta=beta, noise=noise, backend=backend, seed=seed)
        jh = joint.fit(x_train, y_train, epochs=clf_epochs, lr=lr, batch_size=batch_size, seed=seed)
        acc["joint"] = joint.score(x_test, y_test)
        joint_out = {
            "joint_history": [{k2: float(v) for k2, v in h.items()} for h in jh],
            "joint_recon_error": float(
                np.mean(np.sum((x_test - joint.reconstruct(x_test)) ** 2, axis=1))
            ),
        }
    ex = x_test[:n_examples]
    noisy = corrupt(ex, noise, np.random.default_rng(seed))
    return {
        "examples": {
            "x": ex.tolist(),
            "noisy": noisy.tolist(),
            "denoised": ae.reconstruct(noisy).tolist(),
        },
        "accuracy": acc,
        "ae_loss": ae_loss,
        "recon_error": ae.reconstruction_error(x_test),
        **joint_out,
        "settings": {
            "n_train": int(x_train.shape[0]),
            "n_test": int(x_test.shape[0]),
            "n_code": n_code,
            "beta": beta,
            "noise": noise,
            "ae_epochs": ae_epochs,
            "clf_epochs": clf_epochs,
            "lr": lr,
            "ae_lr": ae_lr,
            "batch_size": batch_size,
            "seed": seed,
            "uses": list(uses),
        },
    }


# ==================================================================================== RBM
def rbm_mnist(
    n_train=30000,
    epochs=15,
    n_hidden=100,
    k=1,
    lr=0.1,
    batch_size=20,
    momentum=0.5,
    weight_decay=2e-4,
    seed=0,
    backend="cpu",
):
    """A 784-``n_hidden`` Bernoulli RBM trained with CD-k on the first ``n_train`` MNIST training
    images: reconstruction error per epoch, the learned filters (rows of W) and mean-field
    reconstructions of the first ten test digits."""
    from ..data import load_mnist
    from ..unsupervised import RBM

    d = load_mnist()
    x = d.x_train[:n_train]
    rbm = RBM(784, n_hidden, backend=backend, seed=seed)
    errors = rbm.fit(
        x,
        epochs=epochs,
        k=k,
        lr=lr,
        batch_size=batch_size,
        momentum=momentum,
        weight_decay=weight_decay,
        seed=seed,
    )
    xt = d.x_test[:10]
    return {
        "errors": [float(e) for e in errors],
        "test_error": rbm.reconstruction_error(d.x_test[:2000]),
        "filters": rbm.W.tolist(),
        "originals": xt.tolist(),
        "reconstructions": rbm.reconstruct(xt).tolist(),
        "settings": {
            "n_train": n_train,
            "epochs": epochs,
            "n_hidden": n_hidden,
            "k": k,
            "lr": lr,
            "batch_size": batch_size,
            "momentum": momentum,
            "weight_decay": weight_decay,
        },
    }


def autoencoder_code(n_train=10000, epochs=12, n_test=3000, seed=0, backend="cpu"):
    """A 784-128-2 autoencoder (linear 2-D code) trained with Adam on the first ``n_train`` MNIST
    training images: the codes of the first ``n_test`` test digits, the per-epoch cost, and the
    decoder's images of a 9 x 9 grid spanning the codes' 5-95 % range (the learned manifold)."""
    from ..data import load_mnist
    from ..unsupervised.autoencoder import Autoencoder

    d = load_mnist()
    ae = Autoencoder(784, 2, hidden=(128,), code_activation="identity", backend=backend, seed=seed)
    losses = ae.fit(d.x_train[:n_train], epochs=epochs, lr=3e-3, batch_size=64, seed=seed)
    xt, yt = d.x_test[:n_test], d.y_test[:n_test]
    codes = ae.encode(xt)
    grid = np.linspace(-1, 1, 9)
    lo, hi = np.percentile(codes, 5, axis=0), np.percentile(codes, 95, axis=0)
    pts = np.array(
        [
            [lo[0] + (a + 1) / 2 * (hi[0] - lo[0]), lo[1] + (b + 1) / 2 * (hi[1] - lo[1])]
            for b in grid[::-1]
            for a in grid
        ]
    )
    return {
        "codes": codes.tolist(),
        "labels": yt.tolist(),
        "code_losses": [float(v) for v in losses],
        "manifold": ae.decode(pts).tolist(),
    }
