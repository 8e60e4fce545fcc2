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

Precision: a function computes in the float type of its argument. A bare literal would not: Numba
types ``1.0`` (and ``0``, and a module-level float) as float64, so ``z * 0.5`` with a float32 ``z``
is float64 arithmetic, which costs 2 to 64 times a float32 operation on a GPU. Every constant is
written ``like(c, z)``, the constant ``c`` converted to the type of ``z`` at compile time: float32
code stays float32 (the PTX lane checks it), float64 code is unchanged. CUDA kernels, which hold
arrays, write the same as ``x.dtype.type(c)``.
"""

from __future__ import annotations

import math

from numba import njit, types
from numba.extending import intrinsic

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


@intrinsic
def like(typingctx, value, x):
    """``value`` converted to the floating type of ``x`` (a constant when ``value`` is one).

    An intrinsic, not an ``@overload``: it is lowered in place, so compiling a kernel that uses
    it needs no GPU (an overload's implementation is compiled for the current device). Callable
    from ``njit`` and CUDA code, not from plain Python; a non-float ``x`` gives float64.
    """
    if not isinstance(value, (types.Integer, types.Float, types.Boolean)):
        return None
    target = x if isinstance(x, types.Float) else types.float64

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[0], sig.args[0], sig.return_type)

    return target(value, x), codegen


@njit(inline="always", cache=True)
def sigmoid(z):
    """sigma(z) = 1 / (1 + e^{-z}), evaluated without overflow for either sign of z."""
    one = like(1.0, z)
    if z >= like(0.0, z):
        return one / (one + math.exp(-z))
    e = math.exp(z)
    return e / (one + e)


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
    zero = like(0.0, z)
    pos = z if z > zero else zero * z
    return pos + math.log1p(math.exp(-abs(z)))


@njit(inline="always", cache=True)
def act_f(code, z, alpha):
    """Activation ``code`` at pre-activation ``z`` (``alpha``: leaky slope or ELU scale).

    Where the activation is zero it returns ``0 * z``, not ``0``, so that a NaN input stays NaN."""
    zero = like(0.0, z)
    one = like(1.0, z)
    if code == ACT_SIGMOID:
        return sigmoid(z)
    elif code == ACT_TANH:
        return math.tanh(z)
    elif code == ACT_RELU:
        return z if z > zero else zero * z
    elif code == ACT_LEAKY_RELU:
        return z if z > zero else alpha * z
    elif code == ACT_ELU:
        return z if z > zero else alpha * math.expm1(z)
    elif code == ACT_SOFTPLUS:
        return softplus(z)
    elif code == ACT_GELU:
        return like(0.5, z) * z * (one + math.erf(z * like(_INV_SQRT2, z)))
    elif code == ACT_SILU:
        return z * sigmoid(z)
    elif code == ACT_STEP:
        return one if z >= zero else zero
    return z


@njit(inline="always", cache=True)
def act_df(code, z, a, alpha):
    """Derivative d act / d z at ``z``, given also the output ``a = act(z)`` (cheaper for
    sigmoid, tanh and ELU)."""
    zero = like(0.0, z)
    one = like(1.0, z)
    if code == ACT_SIGMOID:
        return a * (one - a)
    elif code == ACT_TANH:
        return one - a * a
    elif code == ACT_RELU:
        return one if z > zero else zero
    elif code == ACT_LEAKY_RELU:
        return one if z > zero else alpha
    elif code == ACT_ELU:
        return one if z > zero else a + alpha
    elif code == ACT_SOFTPLUS:
        return sigmoid(z)
    elif code == ACT_GELU:
        half = like(0.5, z)
        cdf = half * (one + math.erf(z * like(_INV_SQRT2, z)))
        return cdf + z * like(_INV_SQRT_2PI, z) * math.exp(-half * z * z)
    elif code == ACT_SILU:
        s = sigmoid(z)
        return s * (one + z * (one - s))
    elif code == ACT_STEP:
        return zero
    return one


#: Activations whose derivative ``act_df_from_output`` can read off the output alone (with
#: ``alpha >= 0``): a layer that keeps only a = f(z) (the recurrent layers keep the states h_t)
#: can backpropagate through these and no others.
FROM_OUTPUT = (ACT_IDENTITY, ACT_SIGMOID, ACT_TANH, ACT_RELU, ACT_LEAKY_RELU, ACT_ELU)


@njit(inline="always", cache=True)
def act_df_from_output(code, a, alpha):
    """f'(z) from the output a = f(z) alone, for the ``FROM_OUTPUT`` activations.

    sigmoid: a (1 - a); tanh: 1 - a^2; identity: 1. ReLU, leaky ReLU and ELU with alpha >= 0 are
    positive exactly where z > 0, so the sign of a tells the branch: 1 there, else 0, alpha, or
    a + alpha (ELU: alpha e^z = a + alpha)."""
    zero = like(0.0, a)
    one = like(1.0, a)
    if code == ACT_TANH:
        return one - a * a
    elif code == ACT_SIGMOID:
        return a * (one - a)
    elif code == ACT_RELU:
        return one if a > zero else zero
    elif code == ACT_LEAKY_RELU:
        return one if a > zero else alpha
    elif code == ACT_ELU:
        return one if a > zero else a + alpha
    return one


@njit(inline="always", cache=True)
def log_sigmoid(z):
    """log sigma(z) = -softplus(-z), finite for all z."""
    return -softplus(-z)
