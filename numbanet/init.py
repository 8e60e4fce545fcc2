"""Weight initialisation schemes.

Each scheme is a function ``f(rng, shape, fan_in, fan_out, dtype) -> ndarray``. ``fan_in`` and
``fan_out`` count the inputs and outputs of one unit (for a Dense layer ``in`` and ``out``; for a
convolution ``in_ch * kh * kw`` and ``out_ch * kh * kw``).

========================  =========================================  ==============================
name                      distribution                               variance
========================  =========================================  ==============================
``he_normal``             N(0, 2 / fan_in)                           2 / fan_in   (ReLU gain 2)
``he_uniform``            U(-sqrt(6/fan_in), +sqrt(6/fan_in))        2 / fan_in
``lecun_normal``          N(0, 1 / fan_in)                           1 / fan_in   (SELU, tanh-ish)
``lecun_uniform``         U(-sqrt(3/fan_in), +sqrt(3/fan_in))        1 / fan_in
``glorot_normal``         N(0, 2 / (fan_in + fan_out))               2 / (fan_in + fan_out)
``glorot_uniform``        U(-sqrt(6/(fan_in+fan_out)), +...)         2 / (fan_in + fan_out)
``truncated_normal``      N(0, 2/fan_in) redrawn beyond 2 std        ~0.774 * 2 / fan_in
``orthogonal``            Q of a QR of a Gaussian (sign-corrected)   W^T W = I (or W W^T = I)
``nielsen``               weights N(0, 1/fan_in), biases N(0, 1)     Nielsen's network2 default
``nielsen_large``         weights N(0, 1), biases N(0, 1)            Nielsen's network.py
``zeros`` / ``constant``  all equal                                  0
========================  =========================================  ==============================

Gains per activation (multiply the variance): identity/tanh/sigmoid-ish 1 (LeCun/Glorot),
ReLU 2 (He), leaky ReLU with slope a: 2 / (1 + a^2).
"""

from __future__ import annotations

import numpy as np

from .errors import ValidationError


def _normal(rng, shape, var, dtype):
    return (rng.standard_normal(shape) * np.sqrt(var)).astype(dtype)


def _uniform(rng, shape, var, dtype):
    lim = np.sqrt(3.0 * var)
    return rng.uniform(-lim, lim, size=shape).astype(dtype)


def he_normal(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _normal(rng, shape, 2.0 / fan_in, dtype)


def he_uniform(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _uniform(rng, shape, 2.0 / fan_in, dtype)


def lecun_normal(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _normal(rng, shape, 1.0 / fan_in, dtype)


def lecun_uniform(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _uniform(rng, shape, 1.0 / fan_in, dtype)


def glorot_normal(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _normal(rng, shape, 2.0 / (fan_in + fan_out), dtype)


def glorot_uniform(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _uniform(rng, shape, 2.0 / (fan_in + fan_out), dtype)


def truncated_normal(rng, shape, fan_in, fan_out, dtype=np.float32, std=None):
    """N(0, std^2) with every draw beyond 2 std redrawn (std defaults to sqrt(2 / fan_in))."""
    std = np.sqrt(2.0 / fan_in) if std is None else std
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return (out * std).astype(dtype)


def orthogonal(rng, shape, fan_in, fan_out, dtype=np.float32, gain=1.0):
    """A (semi-)orthogonal matrix: rows or columns orthonormal (Saxe et al. 2014)."""
    rows = shape[0]
    cols = int(np.prod(shape[1:]))
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # make the decomposition unique (Haar-distributed)
    if rows < cols:
        q = q.T
    return (gain * q[:rows, :cols]).reshape(shape).astype(dtype)


def nielsen(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _normal(rng, shape, 1.0 / fan_in, dtype)


def nielsen_large(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _normal(rng, shape, 1.0, dtype)


def zeros(rng, shape, fan_in, fan_out, dtype=np.float32):
    return np.zeros(shape, dtype=dtype)


def constant(value):
    def init(rng, shape, fan_in, fan_out, dtype=np.float32):
        return np.full(shape, value, dtype=dtype)

    init.__name__ = f"constant({value})"
    return init


WEIGHT_INITS = {
    f.__name__: f
    for f in (
        he_normal,
        he_uniform,
        lecun_normal,
        lecun_uniform,
        glorot_normal,
        glorot_uniform,
        truncated_normal,
        orthogonal,
        nielsen,
        nielsen_large,
        zeros,
    )
}
WEIGHT_INITS["xavier_normal"] = glorot_normal
WEIGHT_INITS["xavier_uniform"] = glorot_uniform
WEIGHT_INITS["kaiming_normal"] = he_normal
WEIGHT_INITS["kaiming_uniform"] = he_uniform

#: The bias scheme that goes with each weight scheme when none is given (Nielsen's schemes draw
#: N(0, 1) biases; everything else starts biases at zero).
DEFAULT_BIAS = {"nielsen": "normal", "nielsen_large": "normal"}


def bias_normal(rng, shape, fan_in, fan_out, dtype=np.float32):
    return _normal(rng, shape, 1.0, dtype)


BIAS_INITS = {"zeros": zeros, "normal": bias_normal}


def get(name_or_fn, kind="weight"):
    """Resolve an initialiser by name (or pass a callable through)."""
    if callable(name_or_fn):
        return name_or_fn
    table = WEIGHT_INITS if kind == "weight" else {**BIAS_INITS, **WEIGHT_INITS}
    if isinstance(name_or_fn, (int, float)) and kind == "bias":
        return constant(float(name_or_fn))
    if name_or_fn not in table:
        raise ValidationError(
            f"unknown {kind} initialisation {name_or_fn!r}; choose one of {', '.join(sorted(table))}"
        )
    return table[name_or_fn]
