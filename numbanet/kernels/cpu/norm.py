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

* ``bn_forward`` / ``bn_backward``: the serial bodies walk x in memory order (examples, then
  channels, then positions) and accumulate into per-channel float64 arrays: for ``BatchNorm1D``
  the channel loop is the contiguous one and vectorises. The threaded bodies give one ``prange``
  iteration per channel, which owns that channel's sums and outputs (no races; each channel is
  summed by one thread in a fixed order, so the result does not depend on the thread count).
* ``ln_forward``: one ``prange`` iteration per row.
* ``ln_backward``: the column sums of dgamma and dbeta (serially row by row into float64 arrays,
  threaded one iteration per column), then dx, one iteration per row.

Each op is one compiled call per pass (statistics and output together, sums and input gradient
together): for the small layers of the course's nets the cost of a call is mostly Numba's
dispatch, not the arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ...config import FASTMATH
from ._util import twin


# ============================================================================ batch norm
# Every batch-norm loop nest has a branch for S == 1 (BatchNorm1D on (N, C)): there the channel
# loop is innermost and contiguous. Writing it as the general nest with an inner loop over
# range(S) of length 1 costs 30-60x more (LLVM vectorises the one-trip loop and pays its set-up
# for every (n, c): 200 against 3 microseconds for 640 x 32 float32 values).
def _bn_forward_rows(x, gamma, beta, momentum, eps, unbias, training, rmean, rvar, mean, invstd, y):
    """Statistics of each channel of x (N, C, S) into mean[c], invstd[c] = 1 / sqrt(var + eps),
    then y = (x - mean) * (gamma invstd) + beta.

    training: the batch's mean and biased variance; the running estimates move towards the
    batch's mean and *unbiased* variance (var * unbias, unbias = m / (m - 1)):
    r <- (1 - momentum) r + momentum * batch. Otherwise the running estimates are the statistics.
    Serial, in memory order, with per-channel float64 accumulators.
    """
    N, C, S = x.shape
    if training:
        m = N * S
        mu = np.zeros(C, dtype=np.float64)
        var = np.zeros(C, dtype=np.float64)
        if S == 1:
            for n in range(N):
                for c in range(C):
                    mu[c] += x[n, c, 0]
            mu /= m
            for n in range(N):
                for c in range(C):
                    d = x[n, c, 0] - mu[c]
                    var[c] += d * d
        else:
            for n in range(N):
                for c in range(C):
                    a = 0.0
                    for s in range(S):
                        a += x[n, c, s]
                    mu[c] += a
            mu /= m
            for n in range(N):
                for c in range(C):
                    mc = mu[c]
                    a = 0.0
                    for s in range(S):
                        d = x[n, c, s] - mc
                        a += d * d
                    var[c] += a
        var /= m
        for c in range(C):
            mean[c] = mu[c]
            invstd[c] = 1.0 / math.sqrt(var[c] + eps)
            rmean[c] = (1.0 - momentum) * rmean[c] + momentum * mu[c]
            rvar[c] = (1.0 - momentum) * rvar[c] + momentum * (var[c] * unbias)
    else:
        for c in range(C):
            mean[c] = rmean[c]
            invstd[c] = 1.0 / math.sqrt(np.float64(rvar[c]) + eps)
    if S == 1:
        for n in range(N):
            for c in range(C):
                y[n, c, 0] = (x[n, c, 0] - mean[c]) * (gamma[c] * invstd[c]) + beta[c]
    else:
        for n in range(N):
            for c in range(C):
                mc = mean[c]
                sc = gamma[c] * invstd[c]
                b = beta[c]
                for s in range(S):
                    y[n, c, s] = (x[n, c, s] - mc) * sc + b


def _bn_forward_channels(
    x, gamma, beta, momentum, eps, unbias, training, rmean, rvar, mean, invstd, y
):
    """As ``_bn_forward_rows``; one prange iteration per channel (it owns the channel's
    statistics and outputs)."""
    N, C, S = x.shape
    m = N * S
    for c in prange(C):
        if training:
            a = 0.0
            for n in range(N):
                if S == 1:
                    a += x[n, c, 0]
                else:
                    for s in range(S):
                        a += x[n, c, s]
            mu = a / m
            a2 = 0.0
            for n in range(N):
                if S == 1:
                    d = x[n, c, 0] - mu
                    a2 += d * d
                else:
                    for s in range(S):
                        d = x[n, c, s] - mu
                        a2 += d * d
            var = a2 / m
            mean[c] = mu
            invstd[c] = 1.0 / math.sqrt(var + eps)
            rmean[c] = (1.0 - momentum) * rmean[c] + momentum * mu
            rvar[c] = (1.0 - momentum) * rvar[c] + momentum * (var * unbias)
        else:
            mean[c] = rmean[c]
            invstd[c] = 1.0 / math.sqrt(np.float64(rvar[c]) + eps)
        mc = mean[c]
        sc = gamma[c] * invstd[c]
        b = beta[c]
        for n in range(N):
            if S == 1:
                y[n, c, 0] = (x[n, c, 0] - mc) * sc + b
            else:
                for s in range(S):
                    y[n, c, s] = (x[n, c, s] - mc) * sc + b


def _bn_backward_rows(x, dy, gamma, mean, invstd, batch_stats, acc, need_dx, dgamma, dbeta, dx):
    """Per channel c (m = N S values): sdy = sum dy, sdyx = sum dy xhat (float64);
    dgamma[c] += sdyx, dbeta[c] += sdy (if ``acc``); then, if ``need_dx``, the three-term formula

    dx = gamma invstd / m * (m dy - sdy - xhat sdyx)   (batch statistics)
    dx = gamma invstd dy                                (running statistics).

    Serial, in memory order."""
    N, C, S = x.shape
    m = N * S
    sdy = np.zeros(C, dtype=np.float64)
    sdyx = np.zeros(C, dtype=np.float64)
    if S == 1:
        for n in range(N):
            for c in range(C):
                g = dy[n, c, 0]
                sdy[c] += g
                sdyx[c] += g * (x[n, c, 0] - mean[c])
    else:
        for n in range(N):
            for c in range(C):
                mc = mean[c]
                a = 0.0
                b = 0.0
                for s in range(S):
                    g = dy[n, c, s]
                    a += g
                    b += g * (x[n, c, s] - mc)
                sdy[c] += a
                sdyx[c] += b
    k = np.empty(C, dtype=np.float64)  # gamma invstd
    ma = np.empty(C, dtype=np.float64)  # sdy / m
    mb = np.empty(C, dtype=np.float64)  # sdyx / m
    for c in range(C):
        istd = np.float64(invstd[c])
        sdyx[c] *= istd
        if acc:
            dgamma[c] += sdyx[c]
            dbeta[c] += sdy[c]
        k[c] = gamma[c] * istd
        ma[c] = sdy[c] / m if batch_stats else 0.0
        mb[c] = sdyx[c] / m if batch_stats else 0.0
    if not need_dx:
        return
    if S == 1:
        for n in range(N):
            for c in range(C):
                xh = (x[n, c, 0] - mean[c]) * np.float64(invstd[c])
                dx[n, c, 0] = k[c] * (dy[n, c, 0] - ma[c] - xh * mb[c])
    else:
        for n in range(N):
            for c in range(C):
                mc = mean[c]
                istd = np.float64(invstd[c])
                kc, mac, mbc = k[c], ma[c], mb[c]
                for s in range(S):
                    xh = (x[n, c, s] - mc) * istd
                    dx[n, c, s] = kc * (dy[n, c, s] - mac - xh * mbc)


def _bn_backward_channels(x, dy, gamma, mean, invstd, batch_stats, acc, need_dx, dgamma, dbeta, dx):
    """As ``_bn_backward_rows``; one prange iteration per channel."""
    N, C, S = x.shape
    m = N * S
    for c in prange(C):
        mc = mean[c]
        istd = np.float64(invstd[c])
        a = 0.0
        b = 0.0
        for n in range(N):
            if S == 1:
                g = dy[n, c, 0]
                a += g
                b += g * (x[n, c, 0] - mc)
            else:
                for s in range(S):
                    g = dy[n, c, s]
                    a += g
                    b += g * (x[n, c, s] - mc)
        b *= istd
        if acc:
            dgamma[c] += b
            dbeta[c] += a
        if need_dx:
            k = gamma[c] * istd
            ma = a / m if batch_stats else 0.0
            mb = b / m if batch_stats else 0.0
            for n in range(N):
                if S == 1:
                    xh = (x[n, c, 0] - mc) * istd
                    dx[n, c, 0] = k * (dy[n, c, 0] - ma - xh * mb)
                else:
                    for s in range(S):
                        xh = (x[n, c, s] - mc) * istd
                        dx[n, c, s] = k * (dy[n, c, s] - ma - xh * mb)


# ============================================================================ layer norm
def _ln_forward(x, gamma, beta, eps, mean, invstd, y):
    """Row r of x (M, D): mean[r], invstd[r] = 1 / sqrt(var + eps) (biased, two passes) and
    y[r, j] = (x[r, j] - mean[r]) invstd[r] gamma[j] + beta[j]."""
    M, D = x.shape
    for r in prange(M):
        a = 0.0
        for j in range(D):
            a += x[r, j]
        mu = a / D
        a2 = 0.0
        for j in range(D):
            d = x[r, j] - mu
            a2 += d * d
        istd = 1.0 / math.sqrt(a2 / D + eps)
        mean[r] = mu
        invstd[r] = istd
        for j in range(D):
            y[r, j] = (x[r, j] - mu) * istd * gamma[j] + beta[j]


@njit(inline="always", cache=True, fastmath=FASTMATH)
def _ln_dx_row(x, dy, gamma, mean, invstd, dx, r):
    """Row r, with g = dy * gamma: dx = invstd / D * (D g - sum(g) - xhat sum(g xhat))."""
    D = x.shape[1]
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


def _ln_backward_rows(x, dy, gamma, mean, invstd, acc, need_dx, dgamma, dbeta, dx):
    """dgamma[j] += sum_r dy[r, j] xhat[r, j], dbeta[j] += sum_r dy[r, j] (if ``acc``; float64
    column accumulators filled row by row); dx row by row (if ``need_dx``). Serial."""
    M, D = x.shape
    if acc:
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
    if need_dx:
        for r in range(M):
            _ln_dx_row(x, dy, gamma, mean, invstd, dx, r)


def _ln_backward_threaded(x, dy, gamma, mean, invstd, acc, need_dx, dgamma, dbeta, dx):
    """As ``_ln_backward_rows``: one prange iteration per column for dgamma and dbeta, then one
    per row for dx."""
    M, D = x.shape
    if acc:
        for j in prange(D):
            ag = 0.0
            ab = 0.0
            for r in range(M):
                g = dy[r, j]
                ab += g
                ag += g * ((x[r, j] - mean[r]) * np.float64(invstd[r]))
            dgamma[j] += ag
            dbeta[j] += ab
    if need_dx:
        for r in prange(M):
            _ln_dx_row(x, dy, gamma, mean, invstd, dx, r)


def _pair(serial_fn, threaded_fn):
    """(serial, threaded) dispatchers from two bodies (where memory order and thread ownership
    want different loops); ``pick`` chooses between them by size like any ``twin``."""
    return twin(serial_fn)[0], twin(threaded_fn)[1]


bn_forward = _pair(_bn_forward_rows, _bn_forward_channels)
bn_backward = _pair(_bn_backward_rows, _bn_backward_channels)
ln_forward = twin(_ln_forward)
ln_backward = _pair(_ln_backward_rows, _ln_backward_threaded)

__all__ = ["bn_forward", "bn_backward", "ln_forward", "ln_backward"]
