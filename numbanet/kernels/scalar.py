"""Scalar activation math, written once and compiled for both targets.

Each function is ``@njit(inline="always")`` so that CPU kernels (``numba.njit``) and CUDA kernels
(``numba.cuda.jit``) call the same code: a change here changes both backends. The reference backend
deliberately does *not* use these; it writes the same equations with NumPy, so that tests compare
two independent implementations.

Activation codes (``ACT_*``) are small integers because a compiled kernel cannot take a Python
callable cheaply; layers translate their class to a code.

Numerical care: every function is finite for every finite input (|z| up to float max), e.g.
``sigmoid`` never evaluates ``exp`` of a large positive number and ``softplus`` uses
``max(z, 0) + log1p(exp(-|z|))``.
"""

from __future__ import annotations

import math

from numba import njit

ACT_IDENTITY = 0
ACT_SIGMOID = 1
ACT_TANH = 2
ACT_RELU = 3
ACT_LEAKY_RELU = 4  # also PReLU, whose alpha is a parameter
ACT_ELU = 5
ACT_SOFTPLUS = 6
ACT_GELU = 7
ACT_SILU = 8
ACT_STEP = 9

ACT_NAMES = {
    ACT_IDENTITY: "identity",
    ACT_SIGMOID: "sigmoid",
    ACT_TANH: "tanh",
    ACT_RELU: "relu",
    ACT_LEAKY_RELU: "leaky_relu",
    ACT_ELU: "elu",
    ACT_SOFTPLUS: "softplus",
    ACT_GELU: "gelu",
    ACT_SILU: "silu",
    ACT_STEP: "step",
}

_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


@njit(inline="always", cache=True)
def sigmoid(z):
    """sigma(z) = 1 / (1 + e^{-z}), evaluated without overflow for either sign of z."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(inline="always", cache=True)
def fmax(a, b):
    """max(a, b) without the builtin (whose CUDA typing probes the driver)."""
    return a if a > b else b


@njit(inline="always", cache=True)
def fmin(a, b):
    return a if a < b else b


@njit(inline="always", cache=True)
def softplus(z):
    """log(1 + e^z) = max(z, 0) + log1p(e^{-|z|})."""
    pos = z if z > 0 else 0.0 * z
    return pos + math.log1p(math.exp(-abs(z)))


@njit(inline="always", cache=True)
def act_f(code, z, alpha):
    """Activation ``code`` at pre-activation ``z`` (``alpha``: leaky slope or ELU scale)."""
    if code == ACT_SIGMOID:
        return sigmoid(z)
    elif code == ACT_TANH:
        return math.tanh(z)
    elif code == ACT_RELU:
        return z if z > 0 else 0.0 * z
    elif code == ACT_LEAKY_RELU:
        return z if z > 0 else alpha * z
    elif code == ACT_ELU:
        return z if z > 0 else alpha * math.expm1(z)
    elif code == ACT_SOFTPLUS:
        return softplus(z)
    elif code == ACT_GELU:
        return 0.5 * z * (1.0 + math.erf(z * _INV_SQRT2))
    elif code == ACT_SILU:
        return z * sigmoid(z)
    elif code == ACT_STEP:
        return 1.0 if z >= 0 else 0.0
    return z


@njit(inline="always", cache=True)
def act_df(code, z, a, alpha):
    """Derivative d act / d z at ``z``, given also the output ``a = act(z)`` (cheaper for
    sigmoid, tanh and ELU)."""
    if code == ACT_SIGMOID:
        return a * (1.0 - a)
    elif code == ACT_TANH:
        return 1.0 - a * a
    elif code == ACT_RELU:
        return 1.0 if z > 0 else 0.0
    elif code == ACT_LEAKY_RELU:
        return 1.0 if z > 0 else alpha
    elif code == ACT_ELU:
        return 1.0 if z > 0 else a + alpha
    elif code == ACT_SOFTPLUS:
        return sigmoid(z)
    elif code == ACT_GELU:
        return 0.5 * (1.0 + math.erf(z * _INV_SQRT2)) + z * _INV_SQRT_2PI * math.exp(-0.5 * z * z)
    elif code == ACT_SILU:
        s = sigmoid(z)
        return s * (1.0 + z * (1.0 - s))
    elif code == ACT_STEP:
        return 0.0
    return 1.0


@njit(inline="always", cache=True)
def log_sigmoid(z):
    """log sigma(z) = -softplus(-z), finite for all z."""
    return -softplus(-z)
