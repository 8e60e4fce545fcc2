"""Ready-made models of the lectures.

``mlp(sizes, activation, output=None)``
    A fully connected network: ``Dense`` layers with one activation between them (the slides'
    sigmoid nets, ReLU nets, Nielsen's network2, ...). Every MLP numbanet builds comes from here.
``lenet()``
    The slides' Keras LeNet for 28x28 MNIST digits (channels first here: inputs (n, 1, 28, 28)).
``conv1d_mnist1d()``
    A small 1-D CNN for MNIST-1D's length-40 sequences.

``lenet`` and ``conv1d_mnist1d`` end in logits (no softmax layer): train them with ``loss="cross_entropy"``, whose softmax
is computed from the logits (stable, and the gradient is softmax(z) - y); ``predict`` then
returns logits, whose argmax is the class.
"""

from __future__ import annotations

import numbers

from ._validate import probability
from .errors import ValidationError
from .nn import ACTIVATIONS, Dense, Dropout, Flatten, Layer, ReLU, Sequential
from .nn.conv import Conv1D, Conv2D
from .nn.pooling import AvgPool2D

_LINEAR = ("identity", "linear")


def _activation_factory(spec, name):
    """A zero-argument callable making a fresh activation layer, or None for the identity.

    ``spec`` is a name of ``numbanet.nn.ACTIVATIONS`` ('sigmoid', 'relu', ...) or an activation
    class; a layer *instance* is refused, since one object cannot sit in several places.
    """
    if isinstance(spec, str):
        key = spec.strip().lower().replace("-", "_")
        if key in _LINEAR:
            return None
        if key not in ACTIVATIONS:
            raise ValidationError(
                f"unknown {name} {spec!r}; choose one of "
                f"{', '.join(sorted(ACTIVATIONS))}"
            )
        return ACTIVATIONS[key]
    if isinstance(spec, type) and spec in ACTIVATIONS.values():
        return spec
    if isinstance(spec, Layer):
        raise ValidationError(
            f"{name} must be an activation name or class (e.g. 'relu' or nb.ReLU), not the layer "
            f"instance {spec!r}: every hidden layer needs its own activation layer"
        )
    raise ValidationError(
        f"{name} must be an activation name such as 'sigmoid' or 'relu'; got "
        f"{type(spec).__name__} {spec!r}"
    )


def mlp(
    sizes,
    activation,
    output=None,
    *,
    init="he_normal",
    dropout=0.0,
    backend="auto",
    seed=None,
    dtype=None,
):
    r"""A fully connected network: ``Dense`` layers with an activation between them.

    ``sizes = (d_in, h_1, ..., h_K, d_out)`` gives K hidden layers; the layers are, in order,

    .. code-block:: text

        Dense(d_in, h_1), act, [Dropout(p)], ..., Dense(h_{K-1}, h_K), act, [Dropout(p)],
        Dense(h_K, d_out), [output]

    so that layer :math:`l` computes

    .. math:: a^{[l]} = g\left(a^{[l-1]} W^{[l]\top} + b^{[l]}\right),

    with :math:`g` = ``activation`` for hidden layers and ``output`` for the last one.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first; at least two (one ``Dense``, no hidden layer).
    activation : str or activation class
        The hidden layers' activation: a name of ``numbanet.nn.ACTIVATIONS`` (``"sigmoid"``,
        ``"relu"``, ``"tanh"``, ...) or one of its classes, such as ``nb.ReLU``. ``"identity"`` (or
        ``"linear"``) adds no layer.
    output : str or activation class, optional
        Activation after the last ``Dense``. Default None: the network ends in logits, to use
        with a loss that applies its own output function (``"cross_entropy"``,
        ``"bce_logits"``). ``"identity"`` is the same as None.
    init : str or callable, default "he_normal"
        Weight initialisation of every ``Dense`` (see ``numbanet.init``); biases follow the
        scheme's default (zeros, or N(0, 1) for the ``nielsen`` schemes).
    dropout : float in [0, 1), default 0
        When positive, a ``Dropout(dropout)`` after every hidden activation (drawing from
        ``fit``'s generator).
    backend : {"auto", "reference", "cpu", "cuda"} or backend object
    seed : int, optional
        Seed of the initialisation; the ``Dense`` layers draw in order, W then b.
    dtype : float32 (default) or float64

    Returns
    -------
    Sequential

    Raises
    ------
    ValidationError
        For fewer than two sizes, a size that is not a positive integer, an unknown activation,
        a layer instance given as activation, or a dropout outside [0, 1).

    Examples
    --------
    >>> import numbanet as nb
    >>> net = nb.models.mlp([784, 30, 10], "sigmoid", init="nielsen", seed=0, backend="reference")
    >>> [type(layer).__name__ for layer in net.layers]
    ['Dense', 'Sigmoid', 'Dense']
    >>> net.n_params()
    23860
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise ValidationError(
            f"sizes must be a sequence of layer widths such as [784, 30, 10]; got "
            f"{type(sizes).__name__} {sizes!r}"
        )
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValidationError(f"sizes needs at least an input and an output width; got {sizes!r}")
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ValidationError(
                f"sizes[{i}] must be a positive integer (a layer width); got {s!r} in {sizes!r}"
            )
    sizes = [int(s) for s in sizes]
    hidden_act = _activation_factory(activation, "activation")
    out_act = None if output is None else _activation_factory(output, "output activation")
    p = probability(dropout, "dropout")
    layers = []
    n_dense = len(sizes) - 1
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, init=init))
        act = hidden_act if i < n_dense - 1 else out_act
        if act is not None:
            layers.append(act())
        if i < n_dense - 1 and p > 0:
            layers.append(Dropout(p))
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype)


def lenet(backend="auto", seed=None, dtype=None):
    """The slides' LeNet (Keras summary, channels first).

    ==========================  ==============  =======
    layer                       output shape    params
    ==========================  ==============  =======
    Conv2D 6 @ 3x3, ReLU        (6, 26, 26)     60
    AvgPool2D 2                 (6, 13, 13)     0
    Conv2D 16 @ 3x3, ReLU       (16, 11, 11)    880
    AvgPool2D 2                 (16, 5, 5)      0
    Flatten                     (400,)          0
    Dense 120, ReLU             (120,)          48,120
    Dense 84, ReLU              (84,)           10,164
    Dense 10 (softmax in loss)  (10,)           850
    ==========================  ==============  =======

    60,074 parameters in total. Inputs: (n, 1, 28, 28), e.g.
    ``numbanet.data.load_mnist(flatten=False)``.

    Parameters
    ----------
    backend : {"auto", "reference", "cpu", "cuda"}
    seed : int, optional
        Seed of the (He normal) initialisation.
    dtype : float32 (default) or float64
    """
    layers = [
        Conv2D(1, 6, 3), ReLU(),
        AvgPool2D(2),
        Conv2D(6, 16, 3), ReLU(),
        AvgPool2D(2),
        Flatten(),
        Dense(400, 120), ReLU(),
        Dense(120, 84), ReLU(),
        Dense(84, 10),
    ]  # fmt: skip
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype, input_shape=(1, 28, 28))


def conv1d_mnist1d(backend="auto", seed=None, dtype=None, channels=32, length=40):
    """A small 1-D CNN for MNIST-1D: three convolutions (the last two with stride 2), then a
    linear read-out of the flattened features.

    ============================================  ====================
    layer                                         output shape
    ============================================  ====================
    Conv1D 1 -> c, k 5, same, ReLU                (c, 40)
    Conv1D c -> c, k 3, stride 2, pad 1, ReLU     (c, 20)
    Conv1D c -> c, k 3, stride 2, pad 1, ReLU     (c, 10)
    Flatten, Dense 10                             (10,)
    ============================================  ====================

    Inputs: (n, 40) (one channel) or (n, 1, 40). Outputs: logits.
    """
    l1 = length
    l2 = (l1 + 2 - 3) // 2 + 1
    l3 = (l2 + 2 - 3) // 2 + 1
    layers = [
        Conv1D(1, channels, 5, padding="same"), ReLU(),
        Conv1D(channels, channels, 3, stride=2, padding=1), ReLU(),
        Conv1D(channels, channels, 3, stride=2, padding=1), ReLU(),
        Flatten(),
        Dense(channels * l3, 10),
    ]  # fmt: skip
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype, input_shape=(length,))


__all__ = ["conv1d_mnist1d", "lenet", "mlp"]
