"""Deck 004's autoencoders and what unlabelled data buys.

* ``semeion_autoencoder``: the slide "Auto-encoder para SEMEION con dos neuronas ocultas": a
  256-2-256 autoencoder trained on the 1,593 SEMEION digits (no labels), its 2-D code of every
  digit and its reconstructions, beside PCA's best linear 2-D code;
* ``pretraining_few_labels``: "Podemos utilizar datos sin etiqueta (si disponemos de ellos)":
  greedy layer-wise pre-training (``numbanet.unsupervised.StackedAutoencoder``) on unlabelled
  MNIST images, then fine-tuning on 100 to 1,000 labelled ones, against the same network from
  its random initialisation trained with the same supervised steps.
"""

from __future__ import annotations

import numpy as np


def _pca_reconstruction(X, k):
    """Mean squared error (summed over pixels, averaged over images) of the best rank-``k``
    affine reconstruction of ``X`` (PCA), and the ``k``-dimensional scores."""
    mu = X.mean(0)
    U, S, Vt = np.linalg.svd(X - mu, full_matrices=False)
    scores = U[:, :k] * S[:k]
    rec = mu + scores @ Vt[:k]
    return float(np.mean(np.sum((X - rec) ** 2, axis=1))), scores


def knn_accuracy(codes, labels, k=5):
    """Leave-one-out accuracy of the ``k``-nearest-neighbour vote in the code space: how well
    the digits are separated by a code learned without their labels."""
    codes = np.asarray(codes, dtype=np.float64)
    sq = np.sum(codes**2, 1)
    d2 = sq[:, None] + sq[None, :] - 2 * codes @ codes.T
    np.fill_diagonal(d2, np.inf)
    nn = np.argpartition(d2, k, axis=1)[:, :k]
    votes = labels[nn]
    pred = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
    return float(np.mean(pred == labels))


def semeion_autoencoder(epochs=200, seed=0, backend="cpu", n_show=8):
    """A 256-2-256 autoencoder (sigmoid code and output, binary cross-entropy, Adam lr 0.01,
    minibatch 32, ``epochs`` epochs) on the SEMEION digits.

    Returns ``{"codes" (n, 2), "y", "loss" (per epoch), "mse" (squared error per image, summed
    over the 256 pixels), "mse_pca" (PCA with two components), "mse_mean" (the mean image),
    "knn" and "knn_pca" (5-NN leave-one-out accuracy of the 2-D codes), "originals" and
    "reconstructions" (n_show, 16, 16), "epochs", "n"}``."""
    from ..data import load_semeion
    from ..unsupervised import Autoencoder

    d = load_semeion()
    X, y = np.asarray(d.x, dtype=np.float64), np.asarray(d.y)
    ae = Autoencoder(256, 2, activation="sigmoid", backend=backend, seed=seed)
    loss = ae.fit(X, epochs=epochs, lr=0.01, batch_size=32, seed=seed)
    codes = ae.encode(X)
    mse = ae.reconstruction_error(X)
    mse_pca, scores = _pca_reconstruction(X, 2)
    mse_mean = float(np.mean(np.sum((X - X.mean(0)) ** 2, axis=1)))
    # one example of each of the first n_show digits (0, 1, 2, ...)
    show = np.array([np.flatnonzero(y == c)[0] for c in range(min(n_show, 10))])
    return {
        "codes": codes,
        "pca": scores,
        "y": y,
        "loss": np.array(loss),
        "mse": mse,
        "mse_pca": mse_pca,
        "mse_mean": mse_mean,
        "knn": knn_accuracy(codes, y),
        "knn_pca": knn_accuracy(scores, y),
        "originals": X[show].reshape(-1, 16, 16),
        "reconstructions": ae.reconstruct(X[show]).reshape(-1, 16, 16),
        "epochs": int(epochs),
        "n": int(len(y)),
    }


def pretraining_few_labels(
    n_unlabelled=5000,
    label_counts=(100, 300, 1000),
    sizes=(784, 256, 128),
    pretrain_epochs=3,
    steps=300,
    top_steps=100,
    seeds=2,
    n_eval=2000,
    noise=0.2,
    seed=0,
    backend="cpu",
    lr=0.1,
    pretrain_lr=0.01,
    pretrain_batch=64,
):
    """Greedy pre-training on unlabelled images against random initialisation, few labels.

    For each seed: a ``StackedAutoencoder(sizes, noise=noise)`` (sigmoid layers) is pre-trained
    on the first ``n_unlabelled`` MNIST training images, their labels unused (Adam, lr
    ``pretrain_lr``, minibatch ``pretrain_batch``, ``pretrain_epochs`` epochs per layer). Then, for each number of labels ``m``, from the same
    starting weights: ``top_steps`` minibatch steps of the top layer with the pre-trained layers
    frozen and ``steps`` steps of fine-tuning of the whole net (the deck's recipe); the baseline,
    the same classifier with its random hidden layers, gets ``top_steps + steps`` steps of the
    whole net. Minibatch 32 from the first ``m`` images with their labels, SGD with momentum 0.9
    at learning rate ``lr``.
    Accuracy on ``n_eval`` validation images (the last 10,000 of MNIST's training set).

    Both sides take exactly the same number of supervised steps (the step counts rounded up to
    whole epochs of the ``m`` images).

    Returns ``{"label_counts", "pretrained", "random" (arrays (len(label_counts), seeds) of
    accuracy), "n_unlabelled", "steps", "top_steps", "supervised_steps" (per label count),
    "sizes", "pretrain_loss" (per layer,
    per epoch, first seed)}``."""
    from ..data import mnist_split
    from ..optim import Momentum
    from ..unsupervised import StackedAutoencoder

    d = mnist_split()
    xu = d.x_train[:n_unlabelled]
    xv, yv = d.x_val[:n_eval], d.y_val[:n_eval]
    counts = [int(m) for m in label_counts]
    res = {"pretrained": np.zeros((len(counts), seeds)), "random": np.zeros((len(counts), seeds))}
    pre_loss, steps_done = None, []

    def train(net, x, y, epochs, run_seed):
        net.fit(
            x,
            y,
            loss="cross_entropy",
            optimizer=Momentum(net.parameters(), lr=lr, beta1=0.9, form="classical"),
            epochs=epochs,
            batch_size=32,
            seed=run_seed,
            progress=False,
            train_metrics=False,
        )

    for s in range(seeds):
        run_seed = seed * 1000 + s
        sae = StackedAutoencoder(sizes, n_classes=10, noise=noise, backend=backend, seed=run_seed)
        random_init = sae.net.get_flat()
        losses = sae.pretrain(
            xu,
            epochs=pretrain_epochs,
            lr=pretrain_lr,
            batch_size=pretrain_batch,
            optimizer="adam",
            seed=run_seed,
        )
        pre_loss = pre_loss or losses
        sae.unfreeze()
        pretrained_init = sae.net.get_flat()
        for i, m in enumerate(counts):
            x, y = d.x_train[:m], d.y_train[:m]
            per_epoch = -(-m // 32)  # minibatch steps per epoch
            e_top, e_all = -(-top_steps // per_epoch), -(-steps // per_epoch)
            sae.net.set_flat(pretrained_init)
            sae.freeze_hidden()
            train(sae.net, x, y, e_top, run_seed)
            sae.unfreeze()
            train(sae.net, x, y, e_all, run_seed)
            res["pretrained"][i, s] = float(np.mean(sae.net.predict(xv).argmax(1) == yv))
            sae.net.set_flat(random_init)  # the same classifier, hidden layers as initialised
            train(sae.net, x, y, e_top + e_all, run_seed)
            res["random"][i, s] = float(np.mean(sae.net.predict(xv).argmax(1) == yv))
            steps_done.append((e_top + e_all) * per_epoch)
    return {
        "label_counts": counts,
        **res,
        "n_unlabelled": int(len(xu)),
        "steps": int(steps),
        "top_steps": int(top_steps),
        "supervised_steps": steps_done[: len(counts)],
        "sizes": list(sizes),
        "pretrain_epochs": int(pretrain_epochs),
        "n_eval": int(len(yv)),
        "pretrain_loss": [list(map(float, lo)) for lo in pre_loss],
    }
