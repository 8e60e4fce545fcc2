"""Deck 003, "¿Qué conviene corregir? ¿Sesgo o varianza?": three real training runs diagnosed.

The slide defines

* **avoidable bias** = training error - Bayes error ("Error de train - Error bayesiano"),
* **generalization gap** = validation error - training error ("Error de validación - Error de
  train"),

and says the two are attacked separately. :func:`bias_variance_runs` trains three ReLU MLPs on
MNIST with numbanet's engine, each with one deliberate weakness or none, and passes each
``History`` to :func:`numbanet.diagnose.diagnose`:

* ``underfit``: a 784-4-10 net (four hidden units) on thousands of images: it cannot even fit
  its training set, so its training error sits far above the Bayes error (avoidable bias);
* ``overfit``: a 784-128-128-10 net on a few hundred images, trained until it has memorised
  them: training error zero, validation error far above it (generalization gap);
* ``balanced``: a 784-128-10 net on many images for a few epochs: both terms a few points and
  of about the same size (at seed 0 ``focus="both"`` with the figure's ``tol`` of 2 points), an
  order of magnitude below the large term of the other two runs.

Bayes-error proxy. The slide's Bayes error is the lowest error any classifier can reach; it is
unknown, and the usual proxy is the best error anyone (human or machine) has reached. For MNIST
that is about 0.2 % on the test set (Ciresan, Meier and Schmidhuber 2012, a committee of 35 CNNs:
0.23 %; Wan et al. 2013, DropConnect: 0.21 %), so :data:`MNIST_BAYES_PROXY` = 0.002.

Errors are those of the slide: the training error of the whole training set after the last epoch
(``fit(..., train_metrics="exact")``, not a running mean over the epoch), the validation error on
held-out images of MNIST's training file (``mnist_split().x_val``; the test set is not touched).
"""

from __future__ import annotations

import numpy as np

#: the best published MNIST test errors (0.21-0.23 %) as the Bayes-error proxy
MNIST_BAYES_PROXY = 0.002

#: the three runs at each budget: (name, hidden widths, training images, epochs). Widths stay at
#: 128 or below: the CPU backend's fused dense path is fastest there.
RUNS = {
    "tiny": (
        ("underfit", (2,), 1000, 3),
        ("overfit", (64, 64), 100, 30),
        ("balanced", (64,), 1000, 3),
    ),
    "reduced": (
        ("underfit", (4,), 5000, 4),
        ("overfit", (128, 128), 300, 25),
        ("balanced", (128,), 20000, 4),
    ),
    "full": (
        ("underfit", (4,), 50000, 10),
        ("overfit", (128, 128), 500, 60),
        ("balanced", (128,), 50000, 15),
    ),
}


def mlp(widths, seed=0, backend="cpu"):
    """A 784-``widths``-10 ReLU net (He initialisation, numbanet's default)."""
    from ..nn import Dense, ReLU, Sequential

    layers, d = [], 784
    for w in widths:
        layers += [Dense(d, w), ReLU()]
        d = w
    layers.append(Dense(d, 10))
    return Sequential(layers, backend=backend, seed=seed, input_shape=(784,))


def bias_variance_runs(
    runs=RUNS["reduced"],
    n_val=2000,
    bayes_error=MNIST_BAYES_PROXY,
    tol=0.01,
    lr=0.1,
    batch_size=32,
    seed=0,
    backend="cpu",
):
    """Train each run of ``runs`` (name, hidden widths, training images, epochs) on the first
    images of MNIST's training part with minibatch SGD (``lr``, ``batch_size``), validate on the
    first ``n_val`` images of the validation part, and diagnose the last epoch with
    ``bayes_error`` and ``tol``.

    Returns ``{"bayes_error", "tol", "n_val", "lr", "batch_size", "models": [...]}``, one dict per run with
    ``name``, ``widths``, ``n_train``, ``epochs``, ``params`` (trainable parameters), the
    per-epoch ``train_err`` and ``val_err`` curves, and the diagnosis: ``train_error``,
    ``val_error``, ``avoidable_bias``, ``generalization_gap``, ``focus`` and ``advice`` (the
    remedies :func:`~numbanet.diagnose.diagnose` lists, the focus first).
    """
    from ..data import mnist_split
    from ..diagnose import diagnose

    m = mnist_split()
    xv, yv = m.x_val[:n_val], m.y_val[:n_val]
    models = []
    for name, widths, n_train, epochs in runs:
        net = mlp(widths, seed=seed, backend=backend)
        hist = net.fit(
            m.x_train[:n_train],
            m.y_train[:n_train],
            loss="cross_entropy",
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            validation=(xv, yv),
            train_metrics="exact",
            progress=False,
        )
        d = diagnose(hist, bayes_error=bayes_error, metric="error", epoch="last", tol=tol)
        models.append(
            {
                "name": name,
                "widths": tuple(int(w) for w in widths),
                "n_train": int(n_train),
                "epochs": int(epochs),
                "params": int(net.n_params()),
                "train_err": 1.0 - np.asarray(hist["accuracy"], dtype=np.float64),
                "val_err": 1.0 - np.asarray(hist["val_accuracy"], dtype=np.float64),
                "train_error": d.train_error,
                "val_error": d.val_error,
                "avoidable_bias": d.avoidable_bias,
                "generalization_gap": d.generalization_gap,
                "focus": d.focus,
                "advice": list(d.advice),
            }
        )
    return {
        "bayes_error": float(bayes_error),
        "tol": float(tol),
        "n_val": int(n_val),
        "lr": float(lr),
        "batch_size": int(batch_size),
        "models": models,
    }
