"""What convolution and pooling buy on images (decks 003 and 004), measured on MNIST.

* ``translation_invariance``: deck 004 says a standard (fully connected) network "no tiene
  invarianza translacional" (shift the A and its black pixels become white), deck 003 that pooling
  encodes "que la clasificación de imágenes no depende de ... traslaciones pequeñas". An MLP and
  the slides' LeNet are trained on the same digits and tested on the test digits shifted by
  0-4 pixels; and the relative change of the pixels, and of LeNet's maps after each convolution
  and each pooling, is measured against the shift.
* ``feature_hierarchy``: deck 004's "Pixel => arista => parte => objeto": the maps of each
  convolution of a trained LeNet for one digit, and for each filter the input patches (its
  receptive field: 3 x 3 pixels for the first convolution, 8 x 8 for the second) of the test
  digits that excite it most.
"""

from __future__ import annotations

import numpy as np

#: the four directions a test digit is shifted in (rows, columns)
DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def shift_images(x, dy, dx):
    """Images ``x`` (n, C, H, W) moved ``dy`` pixels down and ``dx`` right, the uncovered border
    filled with zeros (MNIST's background) and what leaves the frame dropped."""
    x = np.asarray(x)
    out = np.zeros_like(x)
    H, W = x.shape[-2:]
    ys = slice(max(dy, 0), H + min(dy, 0))
    yd = slice(max(-dy, 0), H + min(-dy, 0))
    xs = slice(max(dx, 0), W + min(dx, 0))
    xd = slice(max(-dx, 0), W + min(-dx, 0))
    out[..., ys, xs] = x[..., yd, xd]
    return out


def _mnist_subset(n_train, n_test, seed):
    from ..data import load_mnist

    d = load_mnist(flatten=False)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(d.y_train))[:n_train]
    return d.x_train[idx], d.y_train[idx], d.x_test[:n_test], d.y_test[:n_test]


def _train(net, x, y, epochs, seed):
    from ..config import deterministic
    from ..optim import Momentum

    opt = Momentum(net.parameters(), lr=0.02, beta1=0.9, form="classical")
    with deterministic():
        net.fit(
            x,
            y,
            loss="cross_entropy",
            optimizer=opt,
            epochs=epochs,
            batch_size=64,
            seed=seed,
            progress=False,
            train_metrics=False,
        )
    return net


def train_lenet(x, y, epochs, seed, backend="cpu"):
    """The slides' LeNet (``models.lenet``) trained as ``experiments.training.lenet_mnist``
    trains it: SGD with momentum 0.9 (lr 0.02), minibatch 64, cross-entropy on the logits."""
    from ..models import lenet

    return _train(lenet(backend=backend, seed=seed), x, y, epochs, seed)


def train_mlp(x, y, epochs, seed, backend="cpu", hidden=100):
    """A 784-``hidden``-10 ReLU MLP, trained like ``train_lenet`` on flattened images."""
    from ..models import mlp

    net = mlp((784, hidden, 10), "relu", backend=backend, seed=seed)
    return _train(net, x.reshape(len(x), -1), y, epochs, seed)


def _layer_outputs(net, x, batch=1000):
    """Every layer's output of ``net`` for ``x`` (evaluation mode), as NumPy arrays."""
    be = net.backend
    outs = None
    for s in range(0, len(x), batch):
        a = be.asarray(np.ascontiguousarray(x[s : s + batch], dtype=net.dtype), net.dtype)
        chunk = []
        for layer in net.layers:
            a = layer.forward(a, training=False)
            chunk.append(np.asarray(be.to_numpy(a)))
        outs = chunk if outs is None else [np.concatenate([o, c]) for o, c in zip(outs, chunk)]
    return outs


#: LeNet's stages whose change under a shift is measured: (name, index of the layer's output)
LENET_STAGES = (("conv 1", 1), ("pool 1", 2), ("conv 2", 4), ("pool 2", 5))


def translation_invariance(n_train=3000, epochs=2, n_test=1000, max_shift=4, seed=0, backend="cpu"):
    """Accuracy under shifts of an MLP and of LeNet, and how much features move.

    Both nets are trained on the same ``n_train`` MNIST digits (unshifted) for ``epochs``
    epochs; each is tested on the first ``n_test`` test digits shifted by s = 0..``max_shift``
    pixels in each of the four directions (the accuracy averaged over the directions). For
    LeNet, at each shift, the relative change :math:`\\|f(T_s x) - f(x)\\| / \\|f(x)\\|` of the
    pixels and of the maps after each convolution (with its ReLU) and each average pooling,
    averaged over the digits and directions.

    Returns ``{"shifts", "accuracy": {"mlp", "lenet"} (arrays over shifts), "change":
    {"pixels", "conv 1", "pool 1", "conv 2", "pool 2"} (arrays over shifts), "n_train",
    "epochs", "n_test", "example": (max_shift + 1, 28, 28) one digit at each shift}``."""
    x, y, xt, yt = _mnist_subset(n_train, n_test, seed)
    lenet = train_lenet(x, y, epochs, seed, backend)
    mlp = train_mlp(x, y, epochs, seed, backend)
    shifts = np.arange(max_shift + 1)
    acc = {"mlp": np.zeros(len(shifts)), "lenet": np.zeros(len(shifts))}
    names = ["pixels"] + [n for n, _ in LENET_STAGES]
    change = {n: np.zeros(len(shifts)) for n in names}
    base = _layer_outputs(lenet, xt)
    ref = {"pixels": xt.reshape(len(xt), -1)}
    ref.update({n: base[i].reshape(len(xt), -1) for n, i in LENET_STAGES})
    for k, s in enumerate(shifts):
        dirs = DIRECTIONS if s > 0 else DIRECTIONS[:1]
        for dy, dx in dirs:
            xs = shift_images(xt, dy * s, dx * s)
            outs = _layer_outputs(lenet, xs)
            acc["lenet"][k] += np.mean(outs[-1].argmax(1) == yt) / len(dirs)
            acc["mlp"][k] += np.mean(mlp.predict(xs.reshape(len(xs), -1)).argmax(1) == yt) / len(
                dirs
            )
            now = {"pixels": xs.reshape(len(xs), -1)}
            now.update({n: outs[i].reshape(len(xs), -1) for n, i in LENET_STAGES})
            for n in names:
                num = np.linalg.norm(now[n] - ref[n], axis=1)
                den = np.maximum(np.linalg.norm(ref[n], axis=1), 1e-12)
                change[n][k] += np.mean(num / den) / len(dirs)
    example = np.stack([shift_images(xt[:1], 0, int(s))[0, 0] for s in shifts])
    return {
        "shifts": shifts,
        "accuracy": acc,
        "change": change,
        "n_train": int(n_train),
        "epochs": int(epochs),
        "n_test": int(len(yt)),
        "example": example,
    }


#: receptive fields of LeNet's two convolutions in input pixels: conv 1 sees 3 x 3; conv 2 sees
#: 3 x 3 pooled positions, each 2 x 2 conv-1 positions that each see 3 x 3: 2 * 3 + 2 = 8
RECEPTIVE = {1: (3, 1), 2: (8, 2)}  # layer -> (field size, input pixels per output step)


def top_patches(maps, images, labels, field, step, k):
    """For each channel of ``maps`` (n, C, h, w): the ``k`` images where the channel's largest
    value is highest (one patch per image), the ``field`` x ``field`` input patch under that
    position (output (i, j) sees pixels from (step i, step j)), the values and the labels.

    Returns ``(patches (C, k, field, field), values (C, k), labels (C, k))``."""
    n, C = maps.shape[:2]
    flat = maps.reshape(n, C, -1)
    best_pos = flat.argmax(2)  # (n, C)
    best_val = flat.max(2)
    k = min(k, n)
    patches = np.zeros((C, k, field, field))
    values = np.zeros((C, k))
    labs = np.zeros((C, k), dtype=np.int64)
    w = maps.shape[3]
    for c in range(C):
        order = np.argsort(-best_val[:, c], kind="stable")[:k]
        for r, im in enumerate(order):
            i, j = divmod(int(best_pos[im, c]), w)
            patches[c, r] = images[im, 0, step * i : step * i + field, step * j : step * j + field]
            values[c, r] = best_val[im, c]
            labs[c, r] = labels[im]
    return patches, values, labs


def class_purity(labels):
    """Per filter, the fraction of its top images that share the most common digit among them."""
    labels = np.asarray(labels)
    return np.array([np.bincount(row).max() / len(row) for row in labels])


def feature_hierarchy(
    n_train=3000, epochs=2, n_images=1000, k=8, k_purity=25, seed=0, backend="cpu"
):
    """LeNet's two convolutions, from edges to parts of digits.

    LeNet is trained on ``n_train`` MNIST digits for ``epochs`` epochs. For one test digit: the
    maps after each convolution (pre-activation, so negative responses show as well). Over the
    first ``n_images`` test digits: for each filter, the ``k`` digits on which it responds most
    (its pre-activation maximum) and the patch it sees there (3 x 3 for conv 1, 8 x 8 for conv 2),
    and the class purity of its top ``k_purity`` digits (the share of the most common label: a
    filter that responds to a part of one digit more than to strokes every digit has scores
    high; chance is about 0.2 for 25 digits of ten classes).

    Returns ``{"digit", "maps1" (6, 26, 26), "maps2" (16, 11, 11), "filters1" (6, 3, 3),
    "bias1",
    "patches1" (6, k, 3, 3), "patches2" (16, k, 8, 8), "labels1", "labels2", "purity1",
    "purity2", "accuracy", "n_train", "epochs", "n_images", "k"}``."""
    x, y, xt, yt = _mnist_subset(n_train, n_images, seed)
    net = train_lenet(x, y, epochs, seed, backend)
    outs = _layer_outputs(net, xt)
    pre1, pre2 = outs[0], outs[3]  # the outputs of the two Conv2D layers, before their ReLU
    p1, v1, l1 = top_patches(pre1, xt, yt, *RECEPTIVE[1], k)
    p2, v2, l2 = top_patches(pre2, xt, yt, *RECEPTIVE[2], k)
    purity1 = class_purity(top_patches(pre1, xt, yt, *RECEPTIVE[1], k_purity)[2])
    purity2 = class_purity(top_patches(pre2, xt, yt, *RECEPTIVE[2], k_purity)[2])
    return {
        "digit": xt[0, 0],
        "digit_label": int(yt[0]),
        "maps1": pre1[0],
        "maps2": pre2[0],
        "filters1": np.asarray(net.layers[0].W.value)[:, 0],
        "bias1": np.asarray(net.layers[0].b.value),
        "patches1": p1,
        "patches2": p2,
        "values1": v1,
        "values2": v2,
        "labels1": l1,
        "labels2": l2,
        "purity1": purity1,
        "purity2": purity2,
        "k_purity": int(min(k_purity, len(yt))),
        "accuracy": float(np.mean(outs[-1].argmax(1) == yt)),
        "n_train": int(n_train),
        "epochs": int(epochs),
        "n_images": int(len(yt)),
        "k": int(p1.shape[1]),
    }
