"""CPU kernels for the optimisers: one fused pass per parameter and step.

Every update kernel reads the raw gradient ``g`` once and folds into the same loop:

* gradient-norm clipping, a scale ``gscale`` computed beforehand from the global norm;
* the L2 *penalty* form of weight decay, ``g <- g + l2 * theta`` (the gradient of
  ``l2/2 ||W||_F^2``; ``l2 = 0`` for biases);
* Nielsen's multiplicative *decay* form, ``theta <- decay * theta - ...`` (``decay = 1`` for none);
* the optimiser's own state update (m, v, accumulated squares) and the parameter update.

All arrays are flat 1-D views (``p.data.reshape(-1)``). Thread mapping: ``prange`` over elements;
iteration ``i`` reads and writes only element ``i`` of each array, so there are no races and the
result does not depend on the number of threads.

``eps_in`` chooses where epsilon goes: 1 puts it inside the square root as the slides write
(``g / sqrt(v + eps)``), 0 outside as Kingma & Ba and PyTorch do (``g / (sqrt(v) + eps)``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._util import twin

#: Elements per partial sum of ``sq_norm`` (a fixed split, so the sum is thread-count independent).
NORM_CHUNK = 4096


def _momentum_update(p, g, m, lr, beta, damp, corr, nest, decay, gscale, l2):
    """m <- beta m + damp g;  theta <- decay theta - lr * step.

    step = corr * m (plain; corr = 1 / (1 - beta^t) with bias correction, else 1) or
    step = beta m + damp g (Nesterov's look-ahead form). damp = 1 - beta is the slides' EWMA,
    damp = 1 the classical v <- mu v + g.
    """
    for i in prange(p.shape[0]):
        gi = gscale * g[i] + l2 * p[i]
        mi = beta * m[i] + damp * gi
        m[i] = mi
        if nest:
            s = beta * mi + damp * gi
        else:
            s = corr * mi
        p[i] = decay * p[i] - lr * s


def _adagrad_update(p, g, s, lr, eps, eps_in, decay, gscale, l2):
    """s <- s + g^2;  theta <- decay theta - lr g / sqrt(s + eps)."""
    for i in prange(p.shape[0]):
        gi = gscale * g[i] + l2 * p[i]
        si = s[i] + gi * gi
        s[i] = si
        if eps_in:
            den = math.sqrt(si + eps)
        else:
            den = math.sqrt(si) + eps
        p[i] = decay * p[i] - lr * gi / den


def _rmsprop_update(p, g, v, lr, beta2, corr2, eps, eps_in, decay, gscale, l2):
    """v <- beta2 v + (1 - beta2) g^2;  theta <- decay theta - lr g / sqrt(corr2 v + eps)."""
    for i in prange(p.shape[0]):
        gi = gscale * g[i] + l2 * p[i]
        vi = beta2 * v[i] + (1 - beta2) * gi * gi
        v[i] = vi
        if eps_in:
            den = math.sqrt(corr2 * vi + eps)
        else:
            den = math.sqrt(corr2 * vi) + eps
        p[i] = decay * p[i] - lr * gi / den


def _adam_update(p, g, m, v, lr, beta1, beta2, corr1, corr2, eps, eps_in, decay, gscale, l2):
    """m, v EWMAs of g and g^2;  theta <- decay theta - lr (corr1 m) / sqrt(corr2 v + eps).

    The scalars arrive in the parameters' dtype; ``one = beta1 / beta1`` keeps the constants in
    that dtype too (a literal ``1 - beta1`` would promote float32 arithmetic to float64), and the
    ``eps_in`` test sits outside the loops, which lets LLVM vectorise them (4.1 -> 2.6 ms per
    million float32 parameters).
    """
    one = beta1 / beta1
    a1 = one - beta1
    a2 = one - beta2
    step = lr * corr1
    n = p.shape[0]
    if eps_in:
        for i in prange(n):
            gi = gscale * g[i] + l2 * p[i]
            mi = beta1 * m[i] + a1 * gi
            vi = beta2 * v[i] + a2 * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = decay * p[i] - step * mi / math.sqrt(corr2 * vi + eps)
    else:
        for i in prange(n):
            gi = gscale * g[i] + l2 * p[i]
            mi = beta1 * m[i] + a1 * gi
            vi = beta2 * v[i] + a2 * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = decay * p[i] - step * mi / (math.sqrt(corr2 * vi) + eps)


def _sq_norm_chunks(a, out):
    """out[c] = sum of a[i]^2 over chunk c (float64); one prange iteration per chunk."""
    n = a.shape[0]
    for c in prange(out.shape[0]):
        lo = c * NORM_CHUNK
        hi = min(n, lo + NORM_CHUNK)
        acc = 0.0
        for i in range(lo, hi):
            x = np.float64(a[i])
            acc += x * x
        out[c] = acc


momentum_update = twin(_momentum_update)
adagrad_update = twin(_adagrad_update)
rmsprop_update = twin(_rmsprop_update)
adam_update = twin(_adam_update)
#: (serial, threaded): a gradient-norm clip on a small net calls it once per parameter per
#: step, where waking threads costs far more than the sum
sq_norm_chunks = twin(_sq_norm_chunks)

__all__ = [
    "NORM_CHUNK",
    "momentum_update",
    "adagrad_update",
    "rmsprop_update",
    "adam_update",
    "sq_norm_chunks",
]
