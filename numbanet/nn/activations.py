"""Activation layers: elementwise functions, softmax and log-softmax.

Every activation keeps its input ``z`` and output ``a`` for the backward pass, which multiplies
the incoming gradient elementwise by ``f'(z)`` (the slides' Hadamard product
:math:`\\delta^l = (W^{l+1})^T \\delta^{l+1} \\odot \\sigma'(z^l)`).

=============  ===========================================  =====================================
layer          f(z)                                         f'(z)
=============  ===========================================  =====================================
Identity       z                                            1
Step           1 if z >= 0 else 0 (perceptron)              (not differentiable: backward raises)
Sigmoid        1 / (1 + e^-z)                               f (1 - f)   (at most 1/4)
Tanh           tanh z                                       1 - f^2
ReLU           max(0, z)                                    1 if z > 0 else 0
LeakyReLU      z if z > 0 else alpha z                      1 or alpha
PReLU          as LeakyReLU with trainable alpha            1 or alpha; d/dalpha = z (z <= 0)
ELU            z if z > 0 else alpha (e^z - 1)              1 or f + alpha
Softplus       log(1 + e^z)                                 sigmoid(z)
GELU           z Phi(z) (exact, with erf)                   Phi(z) + z phi(z)
SiLU / Swish   z sigmoid(z)                                 s (1 + z (1 - s))
Softmax        e^{z_j} / sum_k e^{z_k} (per row)            Jacobian-vector product
LogSoftmax     z_j - log sum_k e^{z_k} (per row)            g - softmax(z) sum(g)
=============  ===========================================  =====================================
"""

from __future__ import annotations

import numpy as np

from ..codes import Act
from ..errors import NumbanetError, ValidationError
from .layers import Layer


def _as2d(a):
    return a if a.ndim == 2 else a.reshape(a.shape[0], -1)


class Activation(Layer):
    """An elementwise activation given by a kernel code (see ``numbanet.kernels.scalar``)."""

    code = Act.IDENTITY
    alpha = 0.0

    @property
    def pointwise_code(self):
        return self.code

    def forward(self, x, training=False):
        z = _as2d(x)
        a = self.backend.act_forward(self.code, z, self.alpha)
        self._z, self._a, self._shape = z, a, x.shape
        return a if x.ndim == 2 else a.reshape(x.shape)

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        d = self.backend.act_backward(self.code, self._z, self._a, _as2d(dy), self.alpha)
        return d if len(self._shape) == 2 else d.reshape(self._shape)

    def __call__(self, z):
        """Evaluate the function on a NumPy array with the reference formulas (for plotting)."""
        from ..backends import get_backend

        z = np.asarray(z, dtype=np.float64)
        out = get_backend("reference").act_forward(self.code, z.reshape(1, -1), self.alpha)
        return out.reshape(z.shape)

    def derivative(self, z):
        """f'(z) on a NumPy array with the reference formulas."""
        from ..backends import get_backend

        ref = get_backend("reference")
        z2 = np.asarray(z, dtype=np.float64).reshape(1, -1)
        a = ref.act_forward(self.code, z2, self.alpha)
        d = ref.act_backward(self.code, z2, a, np.ones_like(z2), self.alpha)
        return d.reshape(np.shape(z))


class Identity(Activation):
    code = Act.IDENTITY


class Step(Activation):
    """Heaviside step, 1 if z >= 0 else 0: the perceptron's activation. Forward only."""

    code = Act.STEP

    def backward(self, dy, need_dx=True):
        raise NumbanetError(
            "Step has zero derivative almost everywhere, so backpropagation cannot train through "
            "it; use the perceptron rule (numbanet.unsupervised.Perceptron) or a Sigmoid instead"
        )


class Sigmoid(Activation):
    code = Act.SIGMOID


class Tanh(Activation):
    code = Act.TANH


class ReLU(Activation):
    code = Act.RELU


class LeakyReLU(Activation):
    code = Act.LEAKY_RELU

    def __init__(self, alpha=0.01):
        super().__init__()
        if not np.isfinite(alpha):
            raise ValidationError(f"LeakyReLU alpha must be finite; got {alpha}")
        self.alpha = float(alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class ELU(Activation):
    code = Act.ELU

    def __init__(self, alpha=1.0):
        super().__init__()
        if not np.isfinite(alpha) or alpha < 0:
            raise ValidationError(f"ELU alpha must be a finite number >= 0; got {alpha}")
        self.alpha = float(alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softplus(Activation):
    code = Act.SOFTPLUS


class GELU(Activation):
    code = Act.GELU


class SiLU(Activation):
    code = Act.SILU


Swish = SiLU


class PReLU(Layer):
    """Parametric ReLU (He et al. 2015): z if z > 0 else alpha z, alpha trained.

    ``num_parameters`` is 1 (one alpha shared by all units) or the number of features/channels
    (axis 1 of the input).
    """

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        from .._validate import positive_int

        self.num_parameters = positive_int(num_parameters, "num_parameters")
        self.init_value = float(init)
        self.add_param(
            "alpha",
            (self.num_parameters,),
            "other",
            lambda rng, shape, fi, fo, dtype: np.full(shape, self.init_value, dtype),
        )

    def _as3d(self, x):
        n = x.shape[0]
        c = x.shape[1] if x.ndim > 1 else 1
        if self.num_parameters not in (1, c):
            raise ValidationError(
                f"PReLU has {self.num_parameters} alphas but the input has {c} channels"
            )
        return x.reshape(n, c, -1)

    def forward(self, x, training=False):
        z = self._as3d(x)
        self._z, self._shape = z, x.shape
        return self.backend.prelu_forward(z, self._params["alpha"].data).reshape(x.shape)

    def backward(self, dy, need_dx=True):
        alpha = self._params["alpha"]
        dalpha = alpha.grad_data
        if self.frozen:
            dalpha = self.backend.zeros(alpha.shape, self.dtype)
        dz = self.backend.prelu_backward(self._z, self._as3d(dy), alpha.data, dalpha)
        return dz.reshape(self._shape) if need_dx else None


class Softmax(Layer):
    """Row-wise softmax over the last axis (class probabilities).

    With ``CrossEntropy`` in ``fit``/``evaluate`` the model hands the loss the logits directly (the
    stable softmax cross-entropy) and never differentiates through this layer.
    """

    def forward(self, x, training=False):
        p = self.backend.softmax_forward(x)
        self._p = p
        return p

    def backward(self, dy, need_dx=True):
        return self.backend.softmax_backward(self._p, dy) if need_dx else None


class LogSoftmax(Layer):
    r"""Row-wise log-softmax over the last axis: log-probabilities, PyTorch's ``F.log_softmax``.

    .. math::

        y_j = z_j - \log \sum_k e^{z_k} = (z_j - m) - \log \sum_k e^{z_k - m},
        \qquad m = \max_k z_k,

    computed in the shifted form, so it is finite for any finite ``z`` (a softmax followed by a
    log would give ``log 0 = -inf`` for a confident row). Backward, with :math:`g` the incoming
    gradient and :math:`p = e^{y}` the softmax:

    .. math:: \frac{\partial C}{\partial z_j} = g_j - p_j \sum_k g_k.

    Trained with ``loss="cross_entropy"`` the log-probabilities act as logits (a row shift does
    not change a softmax), which is PyTorch's ``nll_loss(log_softmax(z))``.
    """

    def forward(self, x, training=False):
        y = self.backend.log_softmax_forward(x)
        self._y = y
        return y

    def backward(self, dy, need_dx=True):
        return self.backend.log_softmax_backward(self._y, dy) if need_dx else None


ACTIVATIONS = {
    "identity": Identity,
    "linear": Identity,
    "step": Step,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "elu": ELU,
    "softplus": Softplus,
    "gelu": GELU,
    "silu": SiLU,
    "swish": SiLU,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
}


def activation(name, **kwargs):
    """An activation layer by name ('relu', 'sigmoid', ...)."""
    key = str(name).lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValidationError(
            f"unknown activation {name!r}; choose one of {', '.join(sorted(ACTIVATIONS))}"
        )
    return ACTIVATIONS[key](**kwargs)
