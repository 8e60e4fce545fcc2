"""Layers: the base class, ``Dense``, ``Flatten``.

A layer declares its parameters (name, shape, initialiser) when it is created; the ``Sequential``
that holds it allocates them in one contiguous buffer on its backend (so optimisers can update
every parameter of a model in a single kernel) and gives each layer views into it.

Each layer's ``forward`` keeps what its ``backward`` needs; ``backward(dy)`` accumulates parameter
gradients and returns the gradient with respect to the input. Layers only call their backend: no
layer imports a kernel.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import init as _init
from .._validate import positive_float, positive_int, seed_value
from ..errors import DTypeError, NumbanetError, ValidationError


def _guarded(impl, kind):
    """Wrap a layer's ``forward``/``backward`` so that a user calling a layer directly gets a
    numbanet error, never a raw Numba typing error or a NumPy broadcasting message.

    The happy path pays two attribute checks (bound to a backend, dtype of the model); shapes
    are diagnosed only when the kernel has failed, so ``Sequential`` loses nothing. A layer that
    calls its parent class's method (``Conv1D`` -> ``Conv2D``) is checked once, at the outer
    call, where the user's array is.
    """

    @functools.wraps(impl)
    def method(self, x, *args, **kwargs):
        d = self.__dict__
        if d.get("_in_guard"):
            return impl(self, x, *args, **kwargs)
        if self.backend is None:
            raise ValidationError(
                f"{type(self).__name__} is not part of a model yet: put it in "
                "nb.Sequential([...], backend=...), which allocates its parameters, then call "
                "the model (or this layer)"
            )
        dtype = getattr(x, "dtype", None)
        if dtype is not None and dtype != self.dtype:
            what = "x" if kind == "forward" else "dy"
            raise DTypeError(
                f"{type(self).__name__}.{kind}: {what} has dtype {dtype} but the model computes "
                f"in {self.dtype}; convert it ({what}.astype(np.{self.dtype})) or build the model "
                f"with dtype=np.{dtype}"
            )
        d["_in_guard"] = True
        try:
            out = impl(self, x, *args, **kwargs)
        except NumbanetError:
            raise
        except Exception:  # noqa: BLE001 - translated when the input explains it
            problem = self._explain_bad_input(kind, x)
            if problem is None:
                raise
            raise problem from None
        finally:
            d["_in_guard"] = False
        if kind == "forward":
            d["_guard_in_shape"] = tuple(x.shape)
        return out

    method._guarded = True
    return method


class Layer:
    """Base class. Subclasses set ``_specs`` in ``__init__`` via ``add_param``."""

    #: True for layers whose forward and backward are elementwise with an activation code.
    pointwise_code = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for kind in ("forward", "backward"):
            impl = cls.__dict__.get(kind)
            if impl is None:
                continue  # inherited, with the parent's _forward_unchecked / ...
            if getattr(impl, "_guarded", False):
                setattr(cls, f"_{kind}_unchecked", impl.__wrapped__)
            else:
                setattr(cls, f"_{kind}_unchecked", impl)
                setattr(cls, kind, _guarded(impl, kind))

    def _explain_bad_input(self, kind, x):
        """The ``ValidationError`` that explains why ``kind`` failed on ``x``, or None."""
        name = f"{type(self).__name__}.{kind}"
        shape = getattr(x, "shape", None)
        if shape is None:
            return DTypeError(
                f"{name} expects an array of the {self.backend.name} backend; got "
                f"{type(x).__name__} (call the model, which converts NumPy input, or pass an array)"
            )
        shape = tuple(shape)
        if kind == "forward":
            if len(shape) < 1:
                return ValidationError(
                    f"{name}: the input must have a batch axis; got shape {shape}"
                )
            try:
                self.output_shape(shape[1:])
            except ValidationError as exc:
                return ValidationError(f"{name}: {exc}")
            return None
        in_shape = self.__dict__.get("_guard_in_shape")
        if in_shape is None:
            return ValidationError(f"{name} was called before forward; run forward(x) first")
        try:
            expected = (in_shape[0],) + tuple(self.output_shape(in_shape[1:]))
        except ValidationError:
            return None
        if shape != expected:
            return ValidationError(
                f"{name}: dy has shape {shape}; expected {expected}, the shape of the last "
                "forward's output"
            )
        return None

    def __init__(self):
        self._specs = []  # (name, shape, kind, init, fan_in, fan_out)
        self._params = {}
        self.backend = None
        self.dtype = None
        self.frozen = False
        self.name = type(self).__name__.lower()

    # ----------------------------------------------------------- parameters
    def add_param(self, name, shape, kind, init, fan_in=1, fan_out=1):
        self._specs.append((name, tuple(int(s) for s in shape), kind, init, fan_in, fan_out))

    def initial_values(self, rng, dtype):
        """Fresh initial values for every declared parameter, as NumPy arrays."""
        out = {}
        for name, shape, _kind, init, fan_in, fan_out in self._specs:
            out[name] = np.asarray(init(rng, shape, fan_in, fan_out, dtype), dtype=dtype)
        return out

    def bind(self, backend, dtype, params):
        """Attach to a backend and receive the Parameter objects (views into the model buffer)."""
        self.backend = backend
        self.dtype = np.dtype(dtype)
        self._params = params
        for p in params.values():
            p.layer = self

    def parameters(self):
        return list(self._params.values())

    def __getattr__(self, item):
        params = self.__dict__.get("_params")
        if params and item in params:
            return params[item]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {item!r}")

    def n_params(self):
        return sum(int(np.prod(s[1])) for s in self._specs)

    def freeze(self):
        """Stop training this layer's parameters (gradients still flow through it)."""
        self.frozen = True
        for p in self._params.values():
            p.trainable = False
        return self

    def unfreeze(self):
        self.frozen = False
        for p in self._params.values():
            p.trainable = True
        return self

    # ----------------------------------------------------------- shapes
    def output_shape(self, input_shape):
        """Shape of one example's output given one example's input shape (no batch axis)."""
        return tuple(input_shape)

    # ----------------------------------------------------------- compute
    def forward(self, x, training=False):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy, need_dx=True):  # pragma: no cover - abstract
        raise NotImplementedError

    #: ``forward``/``backward`` without the guard (each subclass's own, set by
    #: ``__init_subclass__``). Containers (``Sequential``, ``Residual``) call these on their
    #: inner layers: ``Sequential`` has already checked the input (converted to the model's
    #: dtype, its shape carried through every layer's ``output_shape``), so the guard's checks
    #: would only repeat, at about 2 us per call (the residual MLP of ``benchmarks/`` makes
    #: 148 such calls per step).
    _forward_unchecked = forward
    _backward_unchecked = backward

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


class Dense(Layer):
    """Fully connected layer: Z = X W^T + b.

    Parameters
    ----------
    in_features, out_features : int
    init : str or callable
        Weight initialisation (see ``numbanet.init``); default ``"he_normal"``.
    bias_init : str, float or callable, optional
        Default: N(0, 1) for the ``nielsen`` schemes, else zeros.
    bias : bool
        Whether the layer has a bias.
    weight_noise : float >= 0
        Noise injection in the parameters (deck 003, "Inyección de ruido ... En los parámetros";
        added ONLY in training): each training forward uses ``W + weight_noise * eps`` with a fresh
        ``eps ~ N(0, I)``; evaluation uses ``W``. Backward differentiates at the perturbed weights
        (``dC/dx = delta (W + s eps)``; ``dC/dW = delta^T X``, the same for W and for W + s eps).
        A layer with weight noise runs on the layer-by-layer path, not the fused dense kernels.
    noise_seed : int, optional
        The noise's own generator; default: the generator of ``fit`` (its ``seed=``), so a seeded
        ``fit`` is reproducible; outside ``fit`` without a seed, an unseeded generator.

    Notes
    -----
    ``W`` has shape ``(out_features, in_features)``: row ``j`` holds the incoming weights of unit
    ``j``, as the slides write ``w_{jk}`` (unit j, input k). For an input ``x`` of shape
    ``(n, in_features)``:

    .. math:: Z = X W^\\top + b,\\qquad
              \\frac{\\partial C}{\\partial W} = \\delta^\\top X,\\quad
              \\frac{\\partial C}{\\partial b} = \\sum_i \\delta_i,\\quad
              \\frac{\\partial C}{\\partial X} = \\delta W.
    """

    def __init__(
        self,
        in_features,
        out_features,
        init="he_normal",
        bias_init=None,
        bias=True,
        weight_noise=0.0,
        noise_seed=None,
    ):
        super().__init__()
        self.weight_noise = positive_float(weight_noise, "weight_noise", allow_zero=True)
        self.noise_seed = seed_value(noise_seed, "noise_seed")
        self._noise_rng = None if noise_seed is None else np.random.default_rng(noise_seed)
        self._w_used = None
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        self.use_bias = bool(bias)
        init_name = init if isinstance(init, str) else getattr(init, "__name__", "custom")
        w_init = _init.get(init, "weight")
        if bias_init is None:
            bias_init = _init.DEFAULT_BIAS.get(init_name, "zeros")
        b_init = _init.get(bias_init, "bias")
        self.init_name = init_name
        self.add_param(
            "W", (out_features, in_features), "weight", w_init, in_features, out_features
        )
        if self.use_bias:
            self.add_param("b", (out_features,), "bias", b_init, in_features, out_features)
        self._x = None

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise ValidationError(
                f"Dense({self.in_features}, {self.out_features}) expects inputs of shape "
                f"(n, {self.in_features}); got examples of shape {tuple(input_shape)}"
            )
        return (self.out_features,)

    def _bias(self):
        if self.use_bias:
            return self._params["b"].data
        if getattr(self, "_zero_b", None) is None:
            self._zero_b = self.backend.zeros((self.out_features,), self.dtype)
            self._zero_db = self.backend.zeros((self.out_features,), self.dtype)
        return self._zero_b

    def set_fit_rng(self, rng):
        """Called by ``fit``: weight noise draws from its generator unless ``noise_seed`` is set."""
        if self.noise_seed is None:
            self._noise_rng = rng

    def _weights_for(self, training):
        W = self._params["W"].data
        if not training or self.weight_noise == 0.0:
            return W
        if self._noise_rng is None:
            self._noise_rng = np.random.default_rng()
        eps = self._noise_rng.standard_normal(tuple(W.shape), dtype=np.dtype(self.dtype).type)
        return self.backend.add_noise(W, eps, self.weight_noise)

    def forward(self, x, training=False):
        self._x = x
        W = self._weights_for(training)
        self._w_used = W if W is not self._params["W"].data else None
        return self.backend.dense_forward(x, W, self._bias())

    def backward(self, dy, need_dx=True):
        W = self._params["W"]
        w_fwd = W.data if self._w_used is None else self._w_used  # the perturbed W of training
        if self.frozen:
            # gradients flow through but parameters are not trained: skip dW, db
            if not need_dx:
                return None
            scratch_w = self.backend.zeros(W.shape, self.dtype)
            scratch_b = self.backend.zeros((self.out_features,), self.dtype)
            return self.backend.dense_backward(self._x, w_fwd, dy, scratch_w, scratch_b, True)
        db = self._params["b"].grad_data if self.use_bias else self._zero_db
        return self.backend.dense_backward(self._x, w_fwd, dy, W.grad_data, db, need_dx)

    def extra_repr(self):
        noise = f", weight_noise={self.weight_noise}" if self.weight_noise else ""
        return f"{self.in_features}, {self.out_features}{noise}"


class Flatten(Layer):
    """Flatten every axis but the batch axis: (n, c, h, w) -> (n, c*h*w)."""

    def output_shape(self, input_shape):
        if any(s is None for s in input_shape):
            raise ValidationError(
                f"Flatten needs every length fixed, but the examples have shape "
                f"{tuple(input_shape)} (None: any length), so the number of features would change "
                f"with the length; end the convolutional block with global pooling instead "
                f"(nb.GlobalAvgPool1D() or nb.GlobalMaxPool1D()), which gives one number per "
                f"channel whatever the length"
            )
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, need_dx=True):
        return dy.reshape(self._shape) if need_dx else None
