"""Activations as functions, for a ``Model``'s ``forward``: ``F.relu(out)``, ``F.log_softmax(z, dim=1)``.

PyTorch's ``torch.nn.functional`` applies an activation without declaring a layer. Here each call
makes a fresh activation layer (``nb.ReLU()``, ``nb.LogSoftmax()``, ...) on the model's backend
and records it like any layer call, so ``backward`` passes through it with that layer's own
backward: nothing is differentiated automatically.

Outside a ``Model``'s forward the functions simply evaluate, with the NumPy reference backend, on
NumPy arrays (float32 or float64; other input is converted to float64), which is handy for a
quick look at an activation.

Softmax and log-softmax work over the last axis of an ``(n, classes)`` array, PyTorch's
``dim=1`` (``dim=-1`` is the same).
"""

from __future__ import annotations

import numpy as np

from ..errors import ValidationError
from . import activations as A
from .model import _active_record


def _apply(layer, x, where):
    rec = _active_record()
    if rec is not None:
        layer.bind(rec.model.backend, rec.model.dtype, {})
        return rec.call(layer, x, where)
    from ..backends import get_backend

    arr = np.asarray(x)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.ndim < 2:
        raise ValidationError(
            f"{where}: expects a batch, an array of shape (n, ...); got {arr.shape}"
        )
    layer.bind(get_backend("reference"), arr.dtype, {})
    return layer.forward(arr)


def _rows(x, dim, where):
    ndim = getattr(x, "ndim", np.ndim(x))
    if ndim != 2 or dim not in (1, -1):
        raise ValidationError(
            f"{where}: numbanet computes it over the classes of an (n, classes) array, dim=1 "
            f"(or -1); got dim={dim!r} on an array with {ndim} axes"
        )


def relu(x):
    """max(0, x), elementwise (``nb.ReLU``)."""
    return _apply(A.ReLU(), x, "F.relu")


def sigmoid(x):
    """1 / (1 + e^-x), elementwise (``nb.Sigmoid``)."""
    return _apply(A.Sigmoid(), x, "F.sigmoid")


def tanh(x):
    """tanh x, elementwise (``nb.Tanh``)."""
    return _apply(A.Tanh(), x, "F.tanh")


def leaky_relu(x, negative_slope=0.01):
    """x if x > 0 else negative_slope * x (``nb.LeakyReLU``)."""
    return _apply(A.LeakyReLU(negative_slope), x, "F.leaky_relu")


def elu(x, alpha=1.0):
    """x if x > 0 else alpha (e^x - 1) (``nb.ELU``)."""
    return _apply(A.ELU(alpha), x, "F.elu")


def softplus(x):
    """log(1 + e^x) (``nb.Softplus``)."""
    return _apply(A.Softplus(), x, "F.softplus")


def gelu(x):
    """x Phi(x), exact (``nb.GELU``)."""
    return _apply(A.GELU(), x, "F.gelu")


def silu(x):
    """x sigmoid(x) (``nb.SiLU``)."""
    return _apply(A.SiLU(), x, "F.silu")


def softmax(x, dim=1):
    """Row-wise softmax of an (n, classes) array (``nb.Softmax``)."""
    _rows(x, dim, "F.softmax")
    return _apply(A.Softmax(), x, "F.softmax")


def log_softmax(x, dim=1):
    """Row-wise log-softmax of an (n, classes) array, computed stably (``nb.LogSoftmax``)."""
    _rows(x, dim, "F.log_softmax")
    return _apply(A.LogSoftmax(), x, "F.log_softmax")


__all__ = [
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]
