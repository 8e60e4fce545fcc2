r"""CPU kernels for batch and layer normalisation (twins of ``kernels/cuda/norm.py``).

Batch normalisation sees its input as ``x`` of shape (N, C, S): N examples, C channels (features),
S positions per channel (S = 1 for ``BatchNorm1D`` on (N, C), S = H W for ``BatchNorm2D``). Its
statistics are per channel, over the m = N S values of that channel. Layer normalisation sees
(M, D): M rows (examples, or examples x time steps), each normalised over its own D values.

Numerics: every sum is accumulated in float64 whatever the array type (cheap on a CPU, where these
kernels are memory-bound), and the variance takes two passes, the mean first and then
:math:`\frac{1}{m}\sum (x - \mu)^2`. The one-pass :math:`E[x^2] - E[x]^2` cancels
catastrophically when the mean is large against the spread (and can even come out negative);
the two-pass form is exact up to rounding of the deviations themselves. Outputs are written as
:math:`(x - \mu)\,(\gamma / \sigma) + \beta`, never as :math:`x\,s + t`, for the same reason.

Thread mapping. Each kernel exists twice (``twin``): a serial body and a threaded one.

* ``bn_*`` serial bodies walk x in memory order (examples, then channels, then positions) and
  accumulate into per-channel float64 arrays: for ``BatchNorm1D`` the channel loop is the
  contiguous one and vectorises. Threaded bodies give one ``prange`` iteration per channel, which
  owns that channel's sums and outputs (no races; each channel is summed by one thread in a fixed
  order, so the result does not depend on the thread count).
* ``ln_forward`` / ``ln_backward_dx``: one ``prange`` iteration per row.
* ``ln_backward_params``: the column sums of dgamma and dbeta; serially row by row into float64
  arrays, threaded one iteration per column.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._util import twin


# ============================================================================ batch norm
def _bn_stats_rows(x, momentum, eps, unbias, training, rmean, rvar, mean, invstd):
    """mean[c], invstd[c] = 1 / sqrt(var[c] + eps) of each channel of x (N, C, S).

    training: the batch's mean and biased variance, and the running estimates move towards the
    batch's mean and *unbiased* variance (var * unbias, unbias = m / (m - 1)):
    r <- (1 - momentum) r + momentum * batch. Otherwise the running estimates are used.
    Serial: memory order, per-channel float64 accumulators.
    """
    N, C, S = x.shape
    if not training:
        for c in range(C):
            mean[c] = rmean[c]
            invstd[c] = 1.0 / math.sqrt(np.float64(rvar[c]) + eps)
        return
    m = N * S
    acc = np.zeros(C, dtype=np.float64)
    for n in range(N):
        for c in range(C):
            s_ = 0.0
            for s in range(S):
                s_ += x[n, c, s]
            acc[c] += s_
    mu = acc / m
    acc[:] = 0.0
    for n in range(N):
        for c in range(C):
            s_ = 0.0
            for s in range(S):
                d = x[n, c, s] - mu[c]
                s_ += d * d
            acc[c] += s_
    for c in range(C):
        var = acc[c] / m
        mean[c] = mu[c]
        invstd[c] = 1.0 / math.sqrt(var + eps)
        rmean[c] = (1.0 - momentum) * rmean[c] + momentum * mu[c]
        rvar[c] = (1.0 - momentum) * rvar[c] + momentum * (var * unbias)


def _bn_stats_channels(x, momentum, eps, unbias, training, rmean, rvar, mean, invstd):
    """As ``_bn_stats_rows``; one prange iteration per channel."""
    N, C, S = x.shape
    m = N * S
    for c in prange(C):
        if not training:
            mean[c] = rmean[c]
            invstd[c] = 1.0 / math.sqrt(np.float64(rvar[c]) + eps)
            continue
        acc = 0.0
        for n in range(N):
            for s in range(S):
                acc += x[n, c, s]
        mu = acc / m
        acc2 = 0.0
        for n in range(N):
            for s in range(S):
                d = x[n, c, s] - mu
                acc2 += d * d
        var = acc2 / m
        mean[c] = mu
        invstd[c] = 1.0 / math.sqrt(var + eps)
        rmean[c] = (1.0 - momentum) * rmean[c] + momentum * mu
        rvar[c] = (1.0 - momentum) * rvar[c] + momentum * (var * unbias)


def _bn_apply(x, gamma, beta, mean, invstd, y):
    """y[n, c, s] = (x[n, c, s] - mean[c]) * (gamma[c] invstd[c]) + beta[c]."""
    N, C, S = x.shape
    for n in prange(N):
        for c in range(C):
            mu = mean[c]
            sc = gamma[c] * invstd[c]
            b = beta[c]
            for s in range(S):
                y[n, c, s] = (x[n, c, s] - mu) * sc + b


def _bn_backward_sums_rows(x, dy, mean, invstd, sdy, sdyx):
    """sdy[c] = sum dy, sdyx[c] = sum dy * xhat over the channel (float64); memory order."""
    N, C, S = x.shape
    sdy[:] = 0.0
    sdyx[:] = 0.0
    for n in range(N):
        for c in range(C):
            mu = mean[c]
            a = 0.0
            b = 0.0
            for s in range(S):
                g = dy[n, c, s]
                a += g
                b += g * (x[n, c, s] - mu)
            sdy[c] += a
            sdyx[c] += b
    for c in range(C):
        sdyx[c] *= invstd[c]


def _bn_backward_sums_channels(x, dy, mean, invstd, sdy, sdyx):
    """As ``_bn_backward_sums_rows``; one prange iteration per channel."""
    N, C, S = x.shape
    for c in prange(C):
        mu = mean[c]
        a = 0.0
        b = 0.0
        for n in range(N):
            for s in range(S):
                g = dy[n, c, s]
                a += g
                b += g * (x[n, c, s] - mu)
        sdy[c] = a
        sdyx[c] = b * invstd[c]


def _bn_backward_dx(x, dy, gamma, mean, invstd, sdy, sdyx, batch_stats, dx):
    """The three-term formula, per channel c with m = N S values:

    dx = gamma invstd / m * (m dy - sum(dy) - xhat sum(dy xhat))   (batch statistics)
    dx = gamma invstd dy                                            (running statistics)
    """
    N, C, S = x.shape
    m = N * S
    for n in prange(N):
        for c in range(C):
            mu = mean[c]
            istd = np.float64(invstd[c])
            k = gamma[c] * istd
            if batch_stats:
                a = sdy[c] / m
                b = sdyx[c] / m
                for s in range(S):
                    xh = (x[n, c, s] - mu) * istd
                    dx[n, c, s] = k * (dy[n, c, s] - a - xh * b)
            else:
                for s in range(S):
                    dx[n, c, s] = k * dy[n, c, s]


# ============================================================================ layer norm
def _ln_forward(x, gamma, beta, eps, mean, invstd, y):
    """Row r of x (M, D): mean[r], invstd[r] = 1 / sqrt(var + eps) (biased, two passes) and
    y[r, j] = (x[r, j] - mean[r]) invstd[r] gamma[j] + beta[j]."""
    M, D = x.shape
    for r in prange(M):
        acc = 0.0
        for j in range(D):
            acc += x[r, j]
        mu = acc / D
        acc2 = 0.0
        for j in range(D):
            d = x[r, j] - mu
            acc2 += d * d
        istd = 1.0 / math.sqrt(acc2 / D + eps)
        mean[r] = mu
        invstd[r] = istd
        for j in range(D):
            y[r, j] = (x[r, j] - mu) * istd * gamma[j] + beta[j]


def _ln_backward_dx(x, dy, gamma, mean, invstd, dx):
    """Per row, with g = dy * gamma: dx = invstd / D * (D g - sum(g) - xhat sum(g xhat))."""
    M, D = x.shape
    for r in prange(M):
        mu = mean[r]
        istd = np.float64(invstd[r])
        a = 0.0
        b = 0.0
        for j in range(D):
            g = dy[r, j] * gamma[j]
            a += g
            b += g * (x[r, j] - mu)
        a /= D
        b *= istd / D
        for j in range(D):
            xh = (x[r, j] - mu) * istd
            dx[r, j] = istd * (dy[r, j] * gamma[j] - a - xh * b)


def _ln_backward_params_rows(x, dy, mean, invstd, dgamma, dbeta):
    """dgamma[j] += sum_r dy[r, j] xhat[r, j];  dbeta[j] += sum_r dy[r, j]; row by row."""
    M, D = x.shape
    ag = np.zeros(D, dtype=np.float64)
    ab = np.zeros(D, dtype=np.float64)
    for r in range(M):
        mu = mean[r]
        istd = np.float64(invstd[r])
        for j in range(D):
            g = dy[r, j]
            ab[j] += g
            ag[j] += g * ((x[r, j] - mu) * istd)
    for j in range(D):
        dgamma[j] += ag[j]
        dbeta[j] += ab[j]


def _ln_backward_params_cols(x, dy, mean, invstd, dgamma, dbeta):
    """As ``_ln_backward_params_rows``; one prange iteration per column."""
    M, D = x.shape
    for j in prange(D):
        ag = 0.0
        ab = 0.0
        for r in range(M):
            g = dy[r, j]
            ab += g
            ag += g * ((x[r, j] - mean[r]) * np.float64(invstd[r]))
        dgamma[j] += ag
        dbeta[j] += ab


def _pair(serial_fn, threaded_fn):
    """(serial, threaded) dispatchers from two bodies (where memory order and thread ownership
    want different loops); ``pick`` chooses between them by size like any ``twin``."""
    return twin(serial_fn)[0], twin(threaded_fn)[1]


bn_stats = _pair(_bn_stats_rows, _bn_stats_channels)
bn_apply = twin(_bn_apply)
bn_backward_sums = _pair(_bn_backward_sums_rows, _bn_backward_sums_channels)
bn_backward_dx = twin(_bn_backward_dx)
ln_forward = twin(_ln_forward)
ln_backward_dx = twin(_ln_backward_dx)
ln_backward_params = _pair(_ln_backward_params_rows, _ln_backward_params_cols)

__all__ = ["bn_stats", "bn_apply", "bn_backward_sums", "bn_backward_dx", "ln_forward",
           "ln_backward_dx", "ln_backward_params"]  # fmt: skip
