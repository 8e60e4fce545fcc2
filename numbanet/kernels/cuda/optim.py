"""CUDA kernels for the optimisers, twins of ``kernels/cpu/optim.py`` (same names, same math).

Thread mapping: one thread per element of the flat parameter (``cuda.grid(1)``); thread ``i``
reads and writes only element ``i`` of ``p``, ``m``, ``v``, so there are no races. ``sq_norm_chunks``
gives each thread one chunk of ``NORM_CHUNK`` elements and writes one partial sum (summed on the
host in float64, in a fixed order, so the norm is deterministic).

Clipping (``gscale``), the L2 penalty (``l2``) and Nielsen's decay (``decay``) are folded into
every update exactly as on the CPU; see that module for the formulas.
"""

from __future__ import annotations

import math

from numba import float32, float64, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from . import arrays

cuda = _cuda_mod()

#: Elements per thread in ``sq_norm_chunks`` (partial sums copied back and summed on the host).
NORM_CHUNK = 256


@kernel
def momentum_update(p, g, m, lr, beta, damp, corr, nest, decay, gscale, l2):
    """m <- beta m + damp g;  theta <- decay theta - lr (corr m  or  beta m + damp g)."""
    i = cuda.grid(1)
    if i < p.shape[0]:
        gi = gscale * g[i] + l2 * p[i]
        mi = beta * m[i] + damp * gi
        m[i] = mi
        if nest:
            s = beta * mi + damp * gi
        else:
            s = corr * mi
        p[i] = decay * p[i] - lr * s


@kernel
def adagrad_update(p, g, s, lr, eps, eps_in, decay, gscale, l2):
    """s <- s + g^2;  theta <- decay theta - lr g / sqrt(s + eps)."""
    i = cuda.grid(1)
    if i < p.shape[0]:
        gi = gscale * g[i] + l2 * p[i]
        si = s[i] + gi * gi
        s[i] = si
        if eps_in:
            den = math.sqrt(si + eps)
        else:
            den = math.sqrt(si) + eps
        p[i] = decay * p[i] - lr * gi / den


@kernel
def rmsprop_update(p, g, v, lr, beta2, corr2, eps, eps_in, decay, gscale, l2):
    """v <- beta2 v + (1 - beta2) g^2;  theta <- decay theta - lr g / sqrt(corr2 v + eps)."""
    i = cuda.grid(1)
    if i < p.shape[0]:
        gi = gscale * g[i] + l2 * p[i]
        vi = beta2 * v[i] + (p.dtype.type(1) - beta2) * gi * gi
        v[i] = vi
        if eps_in:
            den = math.sqrt(corr2 * vi + eps)
        else:
            den = math.sqrt(corr2 * vi) + eps
        p[i] = decay * p[i] - lr * gi / den


@kernel
def adam_update(p, g, m, v, lr, beta1, beta2, corr1, corr2, eps, eps_in, decay, gscale, l2):
    """Adam: EWMAs m, v;  theta <- decay theta - lr (corr1 m) / sqrt(corr2 v + eps)."""
    i = cuda.grid(1)
    if i < p.shape[0]:
        one = p.dtype.type(1)
        gi = gscale * g[i] + l2 * p[i]
        mi = beta1 * m[i] + (one - beta1) * gi
        vi = beta2 * v[i] + (one - beta2) * gi * gi
        m[i] = mi
        v[i] = vi
        if eps_in:
            den = math.sqrt(corr2 * vi + eps)
        else:
            den = math.sqrt(corr2 * vi) + eps
        p[i] = decay * p[i] - lr * (corr1 * mi) / den


@kernel
def sq_norm_chunks(a, out):
    """out[c] = sum of a[i]^2 over the c-th chunk of NORM_CHUNK elements; one thread per chunk.

    Summed in the array's type (a float32 chunk of 256 squares has a relative error below
    256 x 2^-24 = 1.5e-5, the clipping threshold's own precision); the host adds the chunks in
    float64."""
    c = cuda.grid(1)
    if c < out.shape[0]:
        n = a.shape[0]
        lo = c * 256
        hi = lo + 256
        if hi > n:
            hi = n
        acc = a.dtype.type(0)
        for i in range(lo, hi):
            x = a[i]
            acc += x * x
        out[c] = acc


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    for F in (float32, float64):
        A = arrays(F)[0]
        out.setdefault("momentum_update", []).append((A, A, A, F, F, F, F, int64, F, F, F))
        out.setdefault("adagrad_update", []).append((A, A, A, F, F, int64, F, F, F))
        out.setdefault("rmsprop_update", []).append((A, A, A, F, F, F, F, int64, F, F, F))
        out.setdefault("adam_update", []).append((A, A, A, A, F, F, F, F, F, F, int64, F, F, F))
        out.setdefault("sq_norm_chunks", []).append((A, A))
    return out


PTX_SIGNATURES = _sigs()
