"""Ready-made models of the lectures.

``mlp(sizes, activation, output=None)``
    A fully connected network: ``Dense`` layers with one activation between them (the slides'
    sigmoid nets, ReLU nets, Nielsen's network2, ...). Every MLP numbanet builds comes from here.
``lenet()``
    The slides' Keras LeNet for 28x28 MNIST digits (channels first here: inputs (n, 1, 28, 28)).
``lenet5()``
    The original LeNet-5 of LeCun et al. 1998 (32x32 inputs, C3's partial connection table).
``conv1d_mnist1d()``
    A small 1-D CNN for MNIST-1D's length-40 sequences.

``lenet`` and ``conv1d_mnist1d`` end in logits (no softmax layer): train them with ``loss="cross_entropy"``, whose softmax
is computed from the logits (stable, and the gradient is softmax(z) - y); ``predict`` then
returns logits, whose argmax is the class.
"""

from __future__ import annotations

import numbers

import numpy as np

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
                f"unknown {name} {spec!r}; choose one of {', '.join(sorted(ACTIVATIONS))}"
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
        Conv2D(1, 6, 3),
        ReLU(),
        AvgPool2D(2),
        Conv2D(6, 16, 3),
        ReLU(),
        AvgPool2D(2),
        Flatten(),
        Dense(400, 120),
        ReLU(),
        Dense(120, 84),
        ReLU(),
        Dense(84, 10),
    ]
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
        Conv1D(1, channels, 5, padding="same"),
        ReLU(),
        Conv1D(channels, channels, 3, stride=2, padding=1),
        ReLU(),
        Conv1D(channels, channels, 3, stride=2, padding=1),
        ReLU(),
        Flatten(),
        Dense(channels * l3, 10),
    ]
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype, input_shape=(length,))


__all__ = ["conv1d_mnist1d", "lenet", "mlp"]


# ====================================================================== LeNet-5 (LeCun 1998)
class TableConv2D(Conv2D):
    r"""A ``Conv2D`` whose kernel is built from fewer free weights: ``index`` (an int array of
    the kernel's shape (out, in, kh, kw)) names, for every kernel entry, the free weight it uses
    (``theta[index]``) or -1 for a missing connection (0).

    This is how LeNet-5 restricts C3 (LeCun et al. 1998, Table I: each C3 map sees a subset of
    S2's maps) and how its subsampling layers S2/S4 share one coefficient over each 2x2 window.

    .. math:: W_{o,c,u,v} = \theta_{\mathrm{index}[o,c,u,v]}\ (0 \text{ where index} = -1),
              \qquad \frac{\partial C}{\partial \theta_k} =
              \sum_{\mathrm{index}[o,c,u,v] = k} \frac{\partial C}{\partial W_{o,c,u,v}}

    The full kernel is assembled, and its gradient folded back, on the host (the layers are
    small); the convolution itself is the backend's.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        index,
        stride=1,
        padding="valid",
        init="lecun_normal",
        bias=True,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            init=init,
            bias=bias,
        )
        idx = np.asarray(index)
        if idx.dtype.kind not in "iu" or idx.shape != self._w_shape():
            raise ValidationError(
                f"index must be an integer array of the kernel's shape {self._w_shape()}; got "
                f"{idx.dtype} {idx.shape}"
            )
        free = idx[idx >= 0]
        if free.size == 0 or idx.min() < -1 or set(np.unique(free)) != set(range(free.max() + 1)):
            raise ValidationError(
                "index must use -1 (no connection) and every free weight 0..k-1 at least once"
            )
        self.index = idx.astype(np.int64)
        self.n_free = int(free.max()) + 1
        self._used = self.index >= 0
        w_spec = next(s for s in self._specs if s[0] == "W")
        fan_in = max(1, int(round(self._used.sum() / self.out_channels)))
        self._specs = [s for s in self._specs if s[0] != "W"]
        self._specs.insert(0, ("theta", (self.n_free,), "weight", w_spec[3], fan_in, w_spec[5]))

    def get_config(self):
        cfg = super().get_config()
        cfg["index"] = self.index.tolist()
        return cfg

    def kernel(self):
        """The full kernel (out, in, kh, kw) as a NumPy array."""
        theta = np.asarray(self._params["theta"].value)
        return np.where(self._used, theta[np.maximum(self.index, 0)], 0).astype(theta.dtype)

    def _weights(self):
        return self.backend.asarray(self.kernel(), self.dtype)

    def _grad_w(self):
        self._scratch = self.backend.zeros(self._w_shape(), self.dtype)
        return self._scratch

    def backward(self, dy, need_dx=True):
        dx = super().backward(dy, need_dx)
        if not self.frozen:
            g = np.asarray(self.backend.to_numpy(self._scratch), dtype=np.float64)
            folded = np.bincount(
                self.index[self._used], weights=g[self._used], minlength=self.n_free
            )
            p = self._params["theta"]
            p.grad = (p.grad.astype(np.float64) + folded).astype(self.dtype)
        return dx

    def connections(self, input_shape):
        """LeCun's count: for every output unit, its inputs plus the bias."""
        _, oh, ow = self.output_shape(input_shape)
        per_map = self._used.reshape(self.out_channels, -1).sum(axis=1) + int(self.use_bias)
        return int(per_map.sum()) * oh * ow

    def extra_repr(self):
        return super().extra_repr() + f", free_weights={self.n_free}"


#: LeNet-5's C3 table (LeCun et al. 1998, Table I): the S2 maps each of the 16 C3 maps sees.
#: Maps 0-5: three neighbouring maps; 6-11: four neighbours; 12-14: four, not all neighbours;
#: 15: all six.
LENET5_C3_TABLE = tuple(
    [tuple(sorted((j + k) % 6 for k in range(3))) for j in range(6)]
    + [tuple(sorted((j + k) % 6 for k in range(4))) for j in range(6)]
    + [(0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5)]
)


def _table_index(table, n_in, k):
    """Index array (out, n_in, k, k) giving each allowed connection its own free weights."""
    idx = -np.ones((len(table), n_in, k, k), dtype=np.int64)
    nxt = 0
    for o, ins in enumerate(table):
        for c in ins:
            idx[o, c] = np.arange(nxt, nxt + k * k).reshape(k, k)
            nxt += k * k
    return idx


def _subsampling_index(channels, size):
    """S2/S4: map c is c's own 2x2 window summed and multiplied by one coefficient."""
    idx = -np.ones((channels, channels, size, size), dtype=np.int64)
    for c in range(channels):
        idx[c, c] = c
    return idx


def lenet5(backend="auto", seed=None, dtype=None, partial_c3=True):
    """The original LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998), for 32x32 inputs.

    ======  ==================================================  ==============  =======  ===========
    layer   numbanet                                            output          params   connections
    ======  ==================================================  ==============  =======  ===========
    C1      Conv2D 6 @ 5x5, tanh                                (6, 28, 28)     156      122,304
    S2      2x2 sum x coefficient + bias per map, stride 2      (6, 14, 14)     12       5,880
    C3      16 @ 5x5 on Table I's subsets of S2, tanh           (16, 10, 10)    1,516    151,600
    S4      as S2                                               (16, 5, 5)      32       2,000
    C5      Conv2D 120 @ 5x5, tanh                              (120, 1, 1)     48,120   48,120
    F6      Dense 84, tanh                                      (84,)           10,164   10,164
    output  Dense 10, no bias                                   (10,)           840      840
    ======  ==================================================  ==============  =======  ===========

    60,840 parameters and 340,908 connections, the paper's numbers ("340,908 connections, but only
    60,000 trainable free parameters"). ``summary(connections=True)`` prints them.

    Where it differs from the paper, and why: the squashing function is ``tanh`` (the paper's is
    1.7159 tanh(2a/3), a scaled tanh); S2/S4 are a ``TableConv2D`` with a 2x2 kernel sharing one
    coefficient per map (the paper's "four inputs added, multiplied by a trainable coefficient,
    added to a trainable bias"), followed by tanh as in the paper's sigmoid; the output is a plain
    ``Dense(84, 10, bias=False)`` (logits for ``loss="cross_entropy"``) where the paper has
    Euclidean RBF units with the same 840 weights. MNIST's 28x28 digits are padded to 32x32 as in
    the paper (e.g. ``np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))``).

    Parameters
    ----------
    backend, seed, dtype
        As for ``Sequential``.
    partial_c3 : bool
        C3 with the paper's connection table (default); False: C3 sees all six S2 maps
        (2,416 parameters, 241,600 connections).
    """
    from .nn import Tanh

    c3 = (
        TableConv2D(6, 16, 5, _table_index(LENET5_C3_TABLE, 6, 5))
        if partial_c3
        else Conv2D(6, 16, 5, init="lecun_normal")
    )
    layers = [
        Conv2D(1, 6, 5, init="lecun_normal"),
        Tanh(),  # C1
        TableConv2D(6, 6, 2, _subsampling_index(6, 2), stride=2),
        Tanh(),  # S2
        c3,
        Tanh(),  # C3
        TableConv2D(16, 16, 2, _subsampling_index(16, 2), stride=2),
        Tanh(),  # S4
        Conv2D(16, 120, 5, init="lecun_normal"),
        Tanh(),  # C5
        Flatten(),
        Dense(120, 84, init="lecun_normal"),
        Tanh(),  # F6
        Dense(84, 10, init="lecun_normal", bias=False),  # output
    ]
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype, input_shape=(1, 32, 32))
