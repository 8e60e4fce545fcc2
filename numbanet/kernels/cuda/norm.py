r"""CUDA kernels for batch and layer normalisation; twins of ``kernels/cpu/norm.py``.

Shapes as on the CPU: batch norm sees x as (N, C, S) with statistics per channel over its
m = N S values; layer norm sees (M, D) with statistics per row.

Thread mapping. Every reduction is a deterministic block-level tree reduction, never one thread
per channel walking the whole batch:

* ``batchnorm_forward_train``: one block per channel c. Each thread sums a strided share of the
  channel's m values; the block adds the partial sums in a shared-memory tree (half the threads
  add the other half's sums, ``syncthreads`` between levels): the mean. A second pass does the same with the squared deviations: the biased variance (two
  passes, stable when the mean is large against the spread). Thread 0 writes mean[c],
  invstd[c] and moves the running estimates; then every thread writes y for its share. The
  block owns everything it writes for channel c, so there are no races and no atomics.
* ``batchnorm_forward_eval``: elementwise with the running statistics, one thread per element;
  threads 0..C-1 also write mean[c] and invstd[c] for the backward pass.
* ``batchnorm_backward``: one block per channel: tree sums of dy and dy * xhat, thread 0
  accumulates dgamma[c] and dbeta[c], every thread writes dx for its share (three-term formula).
* ``layernorm_forward`` / ``layernorm_backward_dx``: one block per row, the same pattern.
* ``layernorm_backward_params``: one block per column j: tree sums over the rows of dy and
  dy * xhat into dgamma[j], dbeta[j].

The tree adds the same partial sums in the same order at every launch: results are bitwise
reproducible run to run (they differ from the CPU's float64 sums by rounding only). Blocks have
a power-of-two number of threads, at most ``REDUCE_MAX`` (the size of the shared arrays);
``reduce_threads`` picks it from ``config.THREADS_PER_BLOCK``.

Precision: every constant is in the arrays' type (``F = x.dtype.type``): float32 kernels run no
FP64 instruction (the PTX lane checks it). The running-statistic factors (momentum, m / (m - 1))
and eps arrive in that type from the backend.

The tree is written out in each kernel rather than in a ``cuda.jit(device=True)`` helper:
compiling a kernel that calls a device function asks the driver for the current device, so the
PTX lane (no GPU) could not compile it.
"""

from __future__ import annotations

import math

from numba import float32, float64, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from . import arrays

cuda = _cuda_mod()

#: Largest block of a reduction kernel: the length of its shared arrays.
REDUCE_MAX = 256


def reduce_threads(threads_per_block):
    """The largest power of two <= min(threads_per_block, REDUCE_MAX) (at least 1)."""
    t = 1
    limit = min(int(threads_per_block), REDUCE_MAX)
    while 2 * t <= limit:
        t *= 2
    return t


# ============================================================================ batch norm
@kernel
def batchnorm_forward_train(x, gamma, beta, momentum, eps, unbias, rmean, rvar, mean, invstd, y):
    """Block c: mean and biased variance of channel c over (n, s); running estimates
    r <- (1 - momentum) r + momentum batch (variance times ``unbias`` = m / (m - 1));
    y = (x - mean) * gamma invstd + beta."""
    c = cuda.blockIdx.x
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    N = x.shape[0]
    C = x.shape[1]
    S = x.shape[2]
    if c >= C:
        return
    F = x.dtype.type
    sh = cuda.shared.array(REDUCE_MAX, x.dtype)
    m = N * S
    acc = F(0)
    for k in range(t, m, T):
        n = k // S
        acc += x[n, c, k - n * S]
    sh[t] = acc
    cuda.syncthreads()
    step = T // 2
    while step > 0:  # the tree: half the threads add the other half's partial sums
        if t < step:
            sh[t] += sh[t + step]
        cuda.syncthreads()
        step //= 2
    mu = sh[0] / F(m)
    cuda.syncthreads()  # everyone has read the total before sh is reused
    acc = F(0)
    for k in range(t, m, T):
        n = k // S
        d = x[n, c, k - n * S] - mu
        acc += d * d
    sh[t] = acc
    cuda.syncthreads()
    step = T // 2
    while step > 0:  # the tree: half the threads add the other half's partial sums
        if t < step:
            sh[t] += sh[t + step]
        cuda.syncthreads()
        step //= 2
    var = sh[0] / F(m)
    istd = F(1) / math.sqrt(var + eps)
    if t == 0:
        mean[c] = mu
        invstd[c] = istd
        keep = F(1) - momentum
        rmean[c] = keep * rmean[c] + momentum * mu
        rvar[c] = keep * rvar[c] + momentum * (var * unbias)
    sc = gamma[c] * istd
    b = beta[c]
    for k in range(t, m, T):
        n = k // S
        s = k - n * S
        y[n, c, s] = (x[n, c, s] - mu) * sc + b


@kernel
def batchnorm_forward_eval(x, gamma, beta, rmean, rvar, eps, mean, invstd, y):
    """y = (x - rmean) / sqrt(rvar + eps) * gamma + beta, one thread per element; threads
    0..C-1 also write mean[c] = rmean[c], invstd[c] (what the backward pass reads)."""
    idx = cuda.grid(1)
    N = x.shape[0]
    C = x.shape[1]
    S = x.shape[2]
    F = x.dtype.type
    if idx < C:
        mean[idx] = rmean[idx]
        invstd[idx] = F(1) / math.sqrt(rvar[idx] + eps)
    if idx < N * C * S:
        s = idx % S
        q = idx // S
        c = q % C
        n = q // C
        istd = F(1) / math.sqrt(rvar[c] + eps)
        y[n, c, s] = (x[n, c, s] - rmean[c]) * (gamma[c] * istd) + beta[c]


@kernel
def batchnorm_backward(
    x, dy, gamma, mean, invstd, batch_stats, acc_params, need_dx, dgamma, dbeta, dx
):
    """Block c: sdy = sum dy, sdyx = sum dy * xhat over the channel; dgamma[c] += sdyx and
    dbeta[c] += sdy (if ``acc_params``); dx (if ``need_dx``) by the three-term formula
    dx = gamma invstd / m (m dy - sdy - xhat sdyx) with batch statistics, gamma invstd dy with
    running ones."""
    c = cuda.blockIdx.x
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    N = x.shape[0]
    C = x.shape[1]
    S = x.shape[2]
    if c >= C:
        return
    F = x.dtype.type
    sa = cuda.shared.array(REDUCE_MAX, x.dtype)
    sb = cuda.shared.array(REDUCE_MAX, x.dtype)
    m = N * S
    mu = mean[c]
    istd = invstd[c]
    a = F(0)
    b = F(0)
    for k in range(t, m, T):
        n = k // S
        s = k - n * S
        g = dy[n, c, s]
        a += g
        b += g * ((x[n, c, s] - mu) * istd)
    sa[t] = a
    sb[t] = b
    cuda.syncthreads()
    step = T // 2
    while step > 0:
        if t < step:
            sa[t] += sa[t + step]
            sb[t] += sb[t + step]
        cuda.syncthreads()
        step //= 2
    sdy = sa[0]
    sdyx = sb[0]
    if acc_params and t == 0:
        dgamma[c] += sdyx
        dbeta[c] += sdy
    if need_dx:
        k_ = gamma[c] * istd
        ma = sdy / F(m)
        mb = sdyx / F(m)
        for k in range(t, m, T):
            n = k // S
            s = k - n * S
            if batch_stats:
                xh = (x[n, c, s] - mu) * istd
                dx[n, c, s] = k_ * (dy[n, c, s] - ma - xh * mb)
            else:
                dx[n, c, s] = k_ * dy[n, c, s]


# ============================================================================ layer norm
@kernel
def layernorm_forward(x, gamma, beta, eps, mean, invstd, y):
    """Block r: mean and biased variance of row r (two passes); y = (x - mean) invstd gamma + beta."""
    r = cuda.blockIdx.x
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    M = x.shape[0]
    D = x.shape[1]
    if r >= M:
        return
    F = x.dtype.type
    sh = cuda.shared.array(REDUCE_MAX, x.dtype)
    acc = F(0)
    for j in range(t, D, T):
        acc += x[r, j]
    sh[t] = acc
    cuda.syncthreads()
    step = T // 2
    while step > 0:  # the tree: half the threads add the other half's partial sums
        if t < step:
            sh[t] += sh[t + step]
        cuda.syncthreads()
        step //= 2
    mu = sh[0] / F(D)
    cuda.syncthreads()
    acc = F(0)
    for j in range(t, D, T):
        d = x[r, j] - mu
        acc += d * d
    sh[t] = acc
    cuda.syncthreads()
    step = T // 2
    while step > 0:  # the tree: half the threads add the other half's partial sums
        if t < step:
            sh[t] += sh[t + step]
        cuda.syncthreads()
        step //= 2
    istd = F(1) / math.sqrt(sh[0] / F(D) + eps)
    if t == 0:
        mean[r] = mu
        invstd[r] = istd
    for j in range(t, D, T):
        y[r, j] = (x[r, j] - mu) * istd * gamma[j] + beta[j]


@kernel
def layernorm_backward_dx(x, dy, gamma, mean, invstd, dx):
    """Block r, with g = dy * gamma: dx = invstd / D (D g - sum g - xhat sum(g xhat))."""
    r = cuda.blockIdx.x
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    M = x.shape[0]
    D = x.shape[1]
    if r >= M:
        return
    F = x.dtype.type
    sa = cuda.shared.array(REDUCE_MAX, x.dtype)
    sb = cuda.shared.array(REDUCE_MAX, x.dtype)
    mu = mean[r]
    istd = invstd[r]
    a = F(0)
    b = F(0)
    for j in range(t, D, T):
        g = dy[r, j] * gamma[j]
        a += g
        b += g * ((x[r, j] - mu) * istd)
    sa[t] = a
    sb[t] = b
    cuda.syncthreads()
    step = T // 2
    while step > 0:
        if t < step:
            sa[t] += sa[t + step]
            sb[t] += sb[t + step]
        cuda.syncthreads()
        step //= 2
    sg = sa[0]
    sgx = sb[0]
    ma = sg / F(D)
    mb = sgx / F(D)
    for j in range(t, D, T):
        xh = (x[r, j] - mu) * istd
        dx[r, j] = istd * (dy[r, j] * gamma[j] - ma - xh * mb)


@kernel
def layernorm_backward_params(x, dy, mean, invstd, dgamma, dbeta):
    """Block j: dgamma[j] += sum_r dy[r, j] xhat[r, j];  dbeta[j] += sum_r dy[r, j]."""
    j = cuda.blockIdx.x
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    M = x.shape[0]
    D = x.shape[1]
    if j >= D:
        return
    F = x.dtype.type
    sa = cuda.shared.array(REDUCE_MAX, x.dtype)
    sb = cuda.shared.array(REDUCE_MAX, x.dtype)
    a = F(0)
    b = F(0)
    for r in range(t, M, T):
        g = dy[r, j]
        a += g
        b += g * ((x[r, j] - mean[r]) * invstd[r])
    sa[t] = a
    sb[t] = b
    cuda.syncthreads()
    step = T // 2
    while step > 0:
        if t < step:
            sa[t] += sa[t + step]
            sb[t] += sb[t + step]
        cuda.syncthreads()
        step //= 2
    sdy = sa[0]
    sdyx = sb[0]
    if t == 0:
        dgamma[j] += sdyx
        dbeta[j] += sdy


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    I = int64  # noqa: E741 - flags
    for F in (float32, float64):
        A1, A2, A3, _ = arrays(F)
        out.setdefault("batchnorm_forward_train", []).append(
            (A3, A1, A1, F, F, F, A1, A1, A1, A1, A3)
        )
        out.setdefault("batchnorm_forward_eval", []).append((A3, A1, A1, A1, A1, F, A1, A1, A3))
        out.setdefault("batchnorm_backward", []).append((A3, A3, A1, A1, A1, I, I, I, A1, A1, A3))
        out.setdefault("layernorm_forward", []).append((A2, A1, A1, F, A1, A1, A2))
        out.setdefault("layernorm_backward_dx", []).append((A2, A2, A1, A1, A1, A2))
        out.setdefault("layernorm_backward_params", []).append((A2, A2, A1, A1, A1, A1))
    return out


PTX_SIGNATURES = _sigs()
