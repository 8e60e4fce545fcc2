r"""Deck 000 (UDL, "Entrenamiento y generalización"): "training deep networks seems easier up to
20 layers; beyond, several tricks are needed". Measured here on MNIST-1D, with deck 004's
per-layer speeds of learning at initialisation beside the results.

Four families of ReLU MLPs with ``depth`` hidden layers of ``width`` units (40 inputs, 10
classes, He initialisation, cross-entropy, plain minibatch SGD), identical but for the trick:

``plain``
    ``Dense -> ReLU`` repeated.
``residual``
    a first ``Dense``, then ``depth - 1`` pre-activation residual blocks
    ``x + s W relu(x)`` (``nb.Residual([nb.ReLU(), nb.Dense(w, w)])``) and a final ReLU. The
    branch weights are He's scaled by :math:`s = 1/\sqrt{\text{depth} - 1}`: without the scale the
    stream's variance doubles at every block (``theory.init_variance.residual_recursion``).
``batchnorm`` / ``layernorm``
    ``Dense -> BatchNorm1D -> ReLU`` (``LayerNorm``) repeated: normalisation without a skip
    connection.

``depth_trainability`` trains every family at every depth from the same seeds and reports the
final training loss, the epoch at which the loss first reached ``fit_loss`` (None: never) and
the speeds :math:`\|\partial C/\partial W^{[l]}\|_F` of every hidden layer at initialisation
(``theory.gradient_speed.layer_speeds``, full batch, in training mode so that batch norm uses the
batch's statistics as a training step does; weights, not biases: a bias right before a batch
norm has zero gradient).
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import positive_float, positive_int
from ..errors import ValidationError

FAMILIES = ("plain", "residual", "batchnorm", "layernorm")

#: Chance level of the training loss: the cross-entropy of a uniform guess over 10 classes.
CHANCE_LOSS = math.log(10.0)

#: A net "trains" when its final training loss falls below this (0.3 nats under chance).
TRAINS_BELOW = 2.0


def _branch_init(scale):
    """He's normal initialisation times ``scale`` (the residual branch's weights)."""
    from .. import init as _init

    def init(rng, shape, fan_in, fan_out, dtype=np.float32):
        return (_init.he_normal(rng, shape, fan_in, fan_out, dtype) * scale).astype(dtype)

    init.__name__ = f"he_normal*{scale:.4g}"
    return init


def trainability_net(
    family, depth, width=32, d_in=40, d_out=10, seed=0, backend="cpu", dtype=np.float32
):
    """The ``family`` net with ``depth`` hidden layers of ``width`` ReLU units (see the module
    docstring); logits out (train with cross-entropy)."""
    from .. import nn

    if family not in FAMILIES:
        raise ValidationError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}")
    depth = positive_int(depth, "depth")
    w = positive_int(width, "width")
    if family == "residual":
        s = 1.0 / math.sqrt(max(depth - 1, 1))
        layers = [nn.Dense(d_in, w)]
        layers += [
            nn.Residual([nn.ReLU(), nn.Dense(w, w, init=_branch_init(s))]) for _ in range(depth - 1)
        ]
        layers += [nn.ReLU()]
    else:
        norm = {"plain": None, "batchnorm": nn.BatchNorm1D, "layernorm": nn.LayerNorm}[family]
        layers = []
        for i in range(depth):
            layers.append(nn.Dense(d_in if i == 0 else w, w))
            if norm is not None:
                layers.append(norm(w))
            layers.append(nn.ReLU())
    layers.append(nn.Dense(w, d_out))
    return nn.Sequential(layers, backend=backend, seed=seed, dtype=dtype)


def _epochs_to(curve, level):
    """First epoch (1-based) whose training loss is <= level, or None."""
    hit = np.flatnonzero(np.asarray(curve) <= level)
    return int(hit[0]) + 1 if hit.size else None


def depth_trainability(
    depths=(2, 5, 10, 20, 30, 50),
    families=FAMILIES,
    *,
    width=32,
    n_train=1000,
    epochs=20,
    batch_size=64,
    lr=0.1,
    fit_loss=1.5,
    seeds=(0,),
    speed_examples=500,
    backend="cpu",
    data=None,
):
    """Train every family at every depth on MNIST-1D; measure the speeds at initialisation.

    Parameters
    ----------
    depths : sequence of int
        Hidden layers (Dense layers before the output layer).
    families : sequence of str
        Among ``FAMILIES``.
    width, n_train, epochs, batch_size, lr
        Nets of ``width`` units; the first ``n_train`` MNIST-1D training signals; plain SGD at
        ``lr`` for ``epochs`` epochs of minibatches of ``batch_size``.
    fit_loss : float
        The training loss that counts as fitted (``fit_epoch``).
    seeds : sequence of int
        Each seed draws the initial weights and the minibatch order of one run.
    speed_examples : int
        Examples of the full-batch gradient whose per-layer norms are the speeds.
    data : (x, y), optional
        Training signals and labels (default: ``numbanet.data.load_mnist1d()``'s training set).

    Returns
    -------
    dict
        ``depths``, ``families``, ``seeds``, ``settings``, and per family (lists over seeds of
        lists over depths): ``final_loss``, ``fit_epoch`` (None: never), ``diverged`` (a
        non-finite loss), ``curves`` (training loss per epoch); ``speeds[family][i]``: the
        per-hidden-layer speeds at initialisation of the first seed's net of depth
        ``depths[i]``; ``initial_loss`` likewise.
    """
    import numbanet as nb

    from ..theory.gradient_speed import layer_speeds

    depths = [positive_int(d, "depths") for d in depths]
    families = list(families)
    for f in families:
        if f not in FAMILIES:
            raise ValidationError(f"families must be among {', '.join(FAMILIES)}; got {f!r}")
    seeds = [int(s) for s in seeds]
    if not depths or not families or not seeds:
        raise ValidationError("depths, families and seeds must not be empty")
    epochs = positive_int(epochs, "epochs")
    lr = positive_float(lr, "lr")
    fit_loss = positive_float(fit_loss, "fit_loss")
    if data is None:
        from ..data import load_mnist1d

        d = load_mnist1d()
        data = (d.x_train, d.y_train)
    x = np.ascontiguousarray(data[0][: positive_int(n_train, "n_train")], dtype=np.float32)
    y = np.asarray(data[1][: x.shape[0]])
    xs, ys = x[:speed_examples], y[:speed_examples]
    out = {
        "depths": depths,
        "families": families,
        "seeds": seeds,
        "settings": dict(
            width=width,
            n_train=int(x.shape[0]),
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            fit_loss=fit_loss,
            speed_examples=int(xs.shape[0]),
            optimizer="sgd",
            trains_below=TRAINS_BELOW,
            chance=CHANCE_LOSS,
        ),
    }
    for key in ("final_loss", "fit_epoch", "diverged", "curves", "speeds", "initial_loss"):
        out[key] = {f: [] for f in families}
    with nb.deterministic():
        for f in families:
            for si, seed in enumerate(seeds):
                finals, fits, divs, curves = [], [], [], []
                for depth in depths:
                    net = trainability_net(f, depth, width, seed=seed, backend=backend)
                    if si == 0:
                        out["speeds"][f].append(
                            layer_speeds(
                                net, xs, ys, loss="cross_entropy", which="weight", training=True
                            )
                        )
                        net = trainability_net(f, depth, width, seed=seed, backend=backend)
                    h = net.fit(
                        x,
                        y,
                        loss="cross_entropy",
                        optimizer="sgd",
                        lr=lr,
                        epochs=epochs,
                        batch_size=batch_size,
                        seed=seed,
                        progress=False,
                        check_finite=False,
                        train_metrics=False,
                    )
                    curve = np.asarray(h["loss"], dtype=np.float64)
                    bad = not np.isfinite(curve).all()
                    curve = np.where(np.isfinite(curve), curve, np.inf)
                    curves.append(curve)
                    finals.append(float(curve[-1]))
                    fits.append(_epochs_to(curve, fit_loss))
                    divs.append(bool(bad))
                out["final_loss"][f].append(finals)
                out["fit_epoch"][f].append(fits)
                out["diverged"][f].append(divs)
                out["curves"][f].append(curves)
    for f in families:
        out["initial_loss"][f] = [float(c[0]) for c in out["curves"][f][0]]
    return out


def trained(result, family):
    """Per depth: True when every seed's final training loss is below ``TRAINS_BELOW``."""
    finals = np.asarray(result["final_loss"][family], dtype=np.float64)
    return [bool(v) for v in np.all(finals < result["settings"]["trains_below"], axis=0)]


def deepest_trained(result, family):
    """The largest depth up to which *every* depth of the sweep trains (0 if the shallowest
    does not), and the first depth that does not (None if all do)."""
    ok = trained(result, family)
    depths = result["depths"]
    for d, good in zip(depths, ok):
        if not good:
            return (depths[depths.index(d) - 1] if depths.index(d) else 0), d
    return depths[-1], None
