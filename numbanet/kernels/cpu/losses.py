"""Losses of one minibatch with their inputs checked in the same pass (CPU).

``Loss.forward`` of a manual training loop runs once per step on a few hundred numbers, where
converting them to float64, checking them and computing the loss in separate NumPy and Numba
calls cost more than the arithmetic (12 us per step on the 1-10x5-1 regression net). These
kernels take the prediction and the target as they are (float32 or float64), check every value
while they read it, compute in float64 (the values of the checking path, which converts
first) and write the gradient in the prediction's type. They return ``(total, ok)``: when
``ok`` is False (a NaN or infinity, a target or probability outside [0, 1], a label outside
[0, k)) nothing is trusted and ``Loss.forward`` takes its checking path, which names the
offending entry.

No fastmath here: it would let LLVM assume the values are finite and drop the checks.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..scalar import sigmoid, softplus


@njit(inline="always", cache=True)
def unit_loss(kind, v, t, eps):
    """(loss, d loss / d v) of one output unit with prediction v and target t: kind 0,
    1/2 (v - t)^2; kind 1, the binary cross-entropy of the probability v clipped to
    [eps, 1 - eps]; kind 2, the same from the logit v, softplus(v) - t v. In v's float type
    (``dense.elementwise_loss``) or in float64 (here)."""
    if kind == 0:
        d = v - t
        return 0.5 * d * d, d
    if kind == 1:
        q = min(max(v, eps), 1.0 - eps)
        return -(t * math.log(q) + (1.0 - t) * math.log1p(-q)), (q - t) / (q * (1.0 - q))
    return softplus(v) - t * v, sigmoid(v) - t


@njit(cache=True)
def checked_elementwise_loss(kind, p, y, scale, eps, grad):
    """Sum of the per-unit losses (``unit_loss``) and grad = scale * d loss / d p, as
    ``dense.elementwise_loss`` computes them, in float64."""
    n, k = p.shape
    total = 0.0
    for i in range(n):
        acc = 0.0
        for j in range(k):
            v = np.float64(p[i, j])
            t = np.float64(y[i, j])
            if not (math.isfinite(v) and math.isfinite(t)):
                return 0.0, False
            if kind != 0 and (t < 0.0 or t > 1.0 or (kind == 1 and (v < 0.0 or v > 1.0))):
                return 0.0, False
            c, d = unit_loss(kind, v, t, eps)
            acc += c
            grad[i, j] = scale * d
        total += acc
    return total, True


@njit(cache=True)
def checked_xent_labels(z, labels, scale, grad):
    """Softmax cross-entropy from logits z (n, k) and integer labels: the summed
    logsumexp(z_i) - z_i[y_i] and grad = scale * (softmax(z_i) - onehot(y_i)), in float64."""
    n, k = z.shape
    total = 0.0
    for i in range(n):
        y = labels[i]
        if y < 0 or y >= k:
            return 0.0, False
        mx = np.float64(z[i, 0])
        for j in range(k):
            v = np.float64(z[i, j])
            if not math.isfinite(v):
                return 0.0, False
            mx = max(mx, v)
        s = 0.0
        for j in range(k):
            s += math.exp(np.float64(z[i, j]) - mx)
        lse = mx + math.log(s)
        total += lse - np.float64(z[i, y])
        for j in range(k):
            g = math.exp(np.float64(z[i, j]) - lse)
            if j == y:
                g -= 1.0
            grad[i, j] = scale * g
    return total, True
