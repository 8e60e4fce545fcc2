r"""Normalisation layers: ``BatchNorm1D``, ``BatchNorm2D`` and ``LayerNorm``.

Deck 000 says that plain deep nets train easily up to about 20 layers and that deeper ones need
"varios trucos"; normalisation is one of them. Each layer rescales its input to zero mean and
unit variance and then applies a learned affine map, :math:`y = \gamma \hat x + \beta`:

* batch normalisation (Ioffe and Szegedy 2015) normalises every feature (channel) over the
  examples of the minibatch, and over the positions of a feature map for ``BatchNorm2D``. In
  training it uses the batch's statistics and keeps running estimates of them; in evaluation
  (``forward(x, training=False)``, what ``predict`` and ``evaluate`` do) it uses the running
  estimates, so one example's output no longer depends on the others;
* layer normalisation (Ba et al. 2016) normalises every example over its own features: no batch
  statistics, the same computation in training and evaluation.

The equations, forward and backward, are in ``numbanet.backends._norm_ops``; the layers reshape
their input and call the backend. Running statistics follow PyTorch's definitions: the batch's
*biased* variance normalises, the running variance moves towards the *unbiased* one,
:math:`r \leftarrow (1 - \text{momentum})\, r + \text{momentum} \cdot \sigma^2_B\, m / (m - 1)`.

Running statistics are not parameters (no gradient, no optimiser touches them): they live beside
the model's flat parameter buffer as the layer's *buffers* (``layer.buffers()``), which
checkpoints save and load, and which ``Sequential.clone`` copies.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import init as _init
from .._validate import positive_int
from ..errors import ValidationError
from .layers import Layer

__all__ = ["BatchNorm1D", "BatchNorm2D", "LayerNorm"]


def _momentum(v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(float(v)):
        raise ValidationError(f"momentum must be a number in [0, 1]; got {v!r}")
    v = float(v)
    if not 0.0 <= v <= 1.0:
        raise ValidationError(
            f"momentum must be in [0, 1] (the weight of the new batch in the running "
            f"statistics); got {v}"
        )
    return v


def _eps(v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(float(v)):
        raise ValidationError(f"eps must be a finite number > 0; got {v!r}")
    v = float(v)
    if v <= 0.0:
        raise ValidationError(
            f"eps must be > 0 (it keeps 1 / sqrt(var + eps) finite for a constant feature); got {v}"
        )
    return v


class _Normalization(Layer):
    """Shared plumbing: gamma (ones) and beta (zeros), per-call workspaces for the statistics."""

    def _declare_affine(self, shape):
        # gamma is a scale, not a weight: no L2 penalty or weight decay (kind "other"), as for
        # PReLU's slope; beta is a bias
        self.add_param("gamma", shape, "other", _init.constant(1.0))
        self.add_param("beta", shape, "bias", _init.zeros)

    def bind(self, backend, dtype, params):
        super().bind(backend, dtype, params)
        self._ws = None

    def _stats_workspace(self, n):
        """(mean, invstd) backend arrays of length n, reused while n stays the same: the
        statistics of the last forward, read by the backward pass."""
        ws = self.__dict__.get("_ws")
        if ws is None or ws[0].shape[0] != n:
            ws = (self.backend.empty((n,), self.dtype), self.backend.empty((n,), self.dtype))
            self._ws = ws
        return ws

    def _grads(self):
        """(dgamma, dbeta) to accumulate into, or (None, None) for a frozen layer."""
        if self.frozen:
            return None, None
        return self._params["gamma"].grad_data, self._params["beta"].grad_data

    def __copy__(self):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._ws = None  # never share the statistics' workspaces with a clone
        return new


class _BatchNorm(_Normalization):
    """Batch normalisation over every axis but the channel axis 1."""

    #: number of axes of one example: 1 (C,) or 2 (C, L) for 1-D, 3 (C, H, W) for 2-D
    _example_ndims = ()
    _what = ""

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.num_features = positive_int(num_features, "num_features")
        self.momentum = _momentum(momentum)
        self.eps = _eps(eps)
        self._declare_affine((self.num_features,))
        self._buffers = None
        self._x = None

    # ----------------------------------------------------------------- running statistics
    def bind(self, backend, dtype, params):
        """Attach to a backend; the running statistics move along (a clone, or a model cast to
        another backend or dtype, keeps them; a fresh layer starts at mean 0, variance 1)."""
        old, old_backend = self.__dict__.get("_buffers"), self.backend
        C = self.num_features
        if old is None:
            values = {"running_mean": np.zeros(C), "running_var": np.ones(C)}
        else:
            values = {
                k: np.array(old_backend.to_numpy(v), dtype=np.float64) for k, v in old.items()
            }
        super().bind(backend, dtype, params)
        self._buffers = {k: backend.asarray(v, self.dtype) for k, v in values.items()}

    def buffers(self):
        """{name: backend array}: the live running statistics (``running_mean``,
        ``running_var``), state that is not trained but is saved with the model."""
        self._require_bound()
        return dict(self._buffers)

    def _require_bound(self):
        if self.__dict__.get("_buffers") is None:
            raise ValidationError(
                f"{type(self).__name__} is not part of a model yet: its running statistics are "
                "allocated by nb.Sequential([...])"
            )

    def _get_buffer(self, name):
        self._require_bound()
        return np.array(self.backend.to_numpy(self._buffers[name]), copy=True)

    def _set_buffer(self, name, value):
        self._require_bound()
        v = np.asarray(value, dtype=np.float64)
        if v.shape != (self.num_features,) or not np.isfinite(v).all():
            raise ValidationError(
                f"{name} must be a finite array of shape ({self.num_features},); got shape {v.shape}"
            )
        if name == "running_var" and (v < 0).any():
            raise ValidationError("running_var must be >= 0")
        self.backend.copy_into(self._buffers[name], v.astype(self.dtype))

    @property
    def running_mean(self):
        """The running mean (a NumPy copy; assign to change it)."""
        return self._get_buffer("running_mean")

    @running_mean.setter
    def running_mean(self, value):
        self._set_buffer("running_mean", value)

    @property
    def running_var(self):
        """The running (unbiased) variance (a NumPy copy; assign to change it)."""
        return self._get_buffer("running_var")

    @running_var.setter
    def running_var(self, value):
        self._set_buffer("running_var", value)

    # ----------------------------------------------------------------- shapes
    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) not in self._example_ndims or s[0] != self.num_features:
            raise ValidationError(
                f"{type(self).__name__}({self.num_features}) expects inputs of shape "
                f"{self._what}; got examples of shape {s}"
            )
        return s

    # ----------------------------------------------------------------- compute
    def forward(self, x, training=False):
        shape = tuple(x.shape)
        self.output_shape(shape[1:])
        n = shape[0]
        S = math.prod(shape[2:])
        if training and n * S < 2:
            raise ValidationError(
                f"{type(self).__name__} in training mode needs at least 2 values per channel to "
                f"estimate a variance; got a batch of {n} example(s) of shape {shape[1:]}. Use "
                "batches of 2 or more (fit: a batch_size that does not leave a last batch of 1), "
                "or call it with training=False to use the running statistics"
            )
        x3 = x.reshape(n, self.num_features, S)
        mean, invstd = self._stats_workspace(self.num_features)
        b = self._buffers
        y = self.backend.batchnorm_forward(
            x3,
            self._params["gamma"].data,
            self._params["beta"].data,
            b["running_mean"],
            b["running_var"],
            mean,
            invstd,
            self.momentum,
            self.eps,
            bool(training),
        )
        self._x = x3
        self._batch_stats = bool(training)
        return y.reshape(shape)

    def backward(self, dy, need_dx=True):
        if self._x is None:
            raise ValidationError(f"{type(self).__name__}.backward was called before forward")
        x3 = self._x
        mean, invstd = self._ws
        dgamma, dbeta = self._grads()
        dx = self.backend.batchnorm_backward(
            x3,
            dy.reshape(x3.shape),
            self._params["gamma"].data,
            mean,
            invstd,
            dgamma,
            dbeta,
            self._batch_stats,
            need_dx,
        )
        return None if dx is None else dx.reshape(tuple(dy.shape))

    def extra_repr(self):
        out = f"{self.num_features}"
        if self.momentum != 0.1:
            out += f", momentum={self.momentum:g}"
        if self.eps != 1e-5:
            out += f", eps={self.eps:g}"
        return out


class BatchNorm1D(_BatchNorm):
    r"""Batch normalisation of features: inputs (n, C), or (n, C, L) sequences/signals.

    .. math:: y = \gamma \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta

    per feature c, with the mean and biased variance over the batch (and over L).

    Parameters
    ----------
    num_features : int
        C, the number of features (channels).
    momentum : float in [0, 1]
        Weight of each new batch in the running statistics (PyTorch's convention: 0.1).
    eps : float > 0
        Added to the variance before the square root.

    Notes
    -----
    Parameters ``gamma`` (ones) and ``beta`` (zeros), of shape (C,). Running statistics
    ``running_mean`` (zeros) and ``running_var`` (ones) are buffers. Training mode needs at least
    two values per feature: a batch of one example is refused (its variance is 0 and the output
    would be ``beta`` whatever the input).
    """

    _example_ndims = (1, 2)
    _what = "(n, C) or (n, C, L) with C = num_features"


class BatchNorm2D(_BatchNorm):
    r"""Batch normalisation of convolutional feature maps, NCHW: inputs (n, C, H, W).

    One mean and variance per channel c, over the n examples and the H x W positions (m = n H W
    values), so that a channel is normalised the same way wherever its filter is applied.
    Parameters, buffers and arguments as ``BatchNorm1D``.
    """

    _example_ndims = (3,)
    _what = "(n, C, H, W) with C = num_features"


class LayerNorm(_Normalization):
    r"""Layer normalisation: every example normalised over its last axes.

    .. math:: y = \gamma \odot \frac{x - \mu(x)}{\sqrt{\sigma^2(x) + \epsilon}} + \beta

    with the mean and biased variance of each example (each time step of a sequence) over its
    ``normalized_shape`` trailing values, and ``gamma``/``beta`` of shape ``normalized_shape``
    (one per feature). No batch statistics: training and evaluation compute the same thing, and
    a batch of one is fine.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape to normalise over, e.g. ``64`` for (n, 64) or (n, T, 64) inputs.
    eps : float > 0
    """

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral) and not isinstance(
            normalized_shape, bool
        ):
            normalized_shape = (normalized_shape,)
        if not isinstance(normalized_shape, (tuple, list)) or not normalized_shape:
            raise ValidationError(
                f"normalized_shape must be a positive int or a tuple of them; got {normalized_shape!r}"
            )
        self.normalized_shape = tuple(
            positive_int(d, f"normalized_shape[{i}]") for i, d in enumerate(normalized_shape)
        )
        self.eps = _eps(eps)
        self._declare_affine(self.normalized_shape)
        self._x = None

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        k = len(self.normalized_shape)
        if len(s) < k or s[len(s) - k :] != self.normalized_shape:
            raise ValidationError(
                f"LayerNorm({self._shape_text()}) expects inputs whose last axes are "
                f"{self.normalized_shape}; got examples of shape {s}"
            )
        return s

    def _shape_text(self):
        ns = self.normalized_shape
        return str(ns[0]) if len(ns) == 1 else str(ns)

    def forward(self, x, training=False):
        shape = tuple(x.shape)
        self.output_shape(shape[1:])
        D = math.prod(self.normalized_shape)
        M = math.prod(shape) // D
        x2 = x.reshape(M, D)
        mean, invstd = self._stats_workspace(M)
        y = self.backend.layernorm_forward(
            x2,
            self._params["gamma"].data.reshape(D),
            self._params["beta"].data.reshape(D),
            mean,
            invstd,
            self.eps,
        )
        self._x = x2
        return y.reshape(shape)

    def backward(self, dy, need_dx=True):
        if self._x is None:
            raise ValidationError("LayerNorm.backward was called before forward")
        x2 = self._x
        D = x2.shape[1]
        mean, invstd = self._ws
        dgamma, dbeta = self._grads()
        if dgamma is not None:
            dgamma, dbeta = dgamma.reshape(D), dbeta.reshape(D)
        dx = self.backend.layernorm_backward(
            x2,
            dy.reshape(x2.shape),
            self._params["gamma"].data.reshape(D),
            mean,
            invstd,
            dgamma,
            dbeta,
            need_dx,
        )
        return None if dx is None else dx.reshape(tuple(dy.shape))

    def extra_repr(self):
        out = self._shape_text()
        if self.eps != 1e-5:
            out += f", eps={self.eps:g}"
        return out
