"""CUDA kernels for dense layers, activations, softmax, losses and the SGD update.

Thread mappings (no races: each thread owns what it writes):

* ``matmul``: a 2-D grid of TILE x TILE blocks; thread (ty, tx) owns C[row, col]. Tiles of A and
  B are staged in shared memory, with ``syncthreads`` before and after each use.
* elementwise kernels: one thread per element of the flattened array (``cuda.grid(1)``).
* row kernels (softmax, cross-entropy, row losses): one thread per example (row).
* ``col_sum``: one thread per column, summing down the rows (a gather, no atomics).

Activation math comes from ``kernels.scalar``, the same functions the CPU kernels call. Every
constant is in the arrays' float type (``F = z.dtype.type``): float32 kernels run no FP64
instruction. Row losses are written in that type too and summed on the host in float64.
"""

from __future__ import annotations

import functools
import math

from numba import float32, float64, int32, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from ..scalar import act_df, act_f, fmax, fmin, sigmoid, softplus
from . import arrays

cuda = _cuda_mod()


@functools.cache
def matmul_kernel(nbtype, tile):
    """C (M, N) = [C +] op(A) @ op(B) with op = transpose when ``ta``/``tb`` is set.

    Compiled once per (dtype, tile); ``tile`` is a compile-time constant of the shared tiles.
    """

    TILE = tile
    DT = nbtype

    def matmul(A, B, C, ta, tb, accumulate):
        sA = cuda.shared.array((TILE, TILE), DT)
        sB = cuda.shared.array((TILE, TILE), DT)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        M = C.shape[0]
        N = C.shape[1]
        K = A.shape[0] if ta else A.shape[1]
        acc = DT(0)
        for t in range((K + TILE - 1) // TILE):
            k = t * TILE + tx
            if row < M and k < K:
                sA[ty, tx] = A[k, row] if ta else A[row, k]
            else:
                sA[ty, tx] = DT(0)
            k = t * TILE + ty
            if col < N and k < K:
                sB[ty, tx] = B[col, k] if tb else B[k, col]
            else:
                sB[ty, tx] = DT(0)
            cuda.syncthreads()
            for kk in range(TILE):
                acc += sA[ty, kk] * sB[kk, tx]
            cuda.syncthreads()
        if row < M and col < N:
            if accumulate:
                C[row, col] += acc
            else:
                C[row, col] = acc

    return kernel(matmul)


@kernel
def add_bias(z, b):
    """z[i, j] += b[j]; one thread per element."""
    idx = cuda.grid(1)
    n = z.shape[0]
    m = z.shape[1]
    if idx < n * m:
        i = idx // m
        j = idx - i * m
        z[i, j] += b[j]


@kernel
def col_sum_acc(dz, db):
    """db[j] += sum_i dz[i, j]; one thread per column."""
    j = cuda.grid(1)
    if j < dz.shape[1]:
        acc = dz.dtype.type(0)
        for i in range(dz.shape[0]):
            acc += dz[i, j]
        db[j] += acc


@kernel
def act_forward(code, z, alpha, out):
    """out = act(z), flattened 2-D arrays, one thread per element."""
    idx = cuda.grid(1)
    m = z.shape[1]
    if idx < z.shape[0] * m:
        i = idx // m
        j = idx - i * m
        out[i, j] = act_f(code, z[i, j], alpha)


@kernel
def act_backward(code, z, a, da, alpha, out):
    """out = da * act'(z), one thread per element."""
    idx = cuda.grid(1)
    m = z.shape[1]
    if idx < z.shape[0] * m:
        i = idx // m
        j = idx - i * m
        out[i, j] = da[i, j] * act_df(code, z[i, j], a[i, j], alpha)


@kernel
def prelu_forward(z, alpha, out):
    """PReLU on (n, c, k); alpha of length 1 or c; one thread per element."""
    idx = cuda.grid(1)
    n, c, k = z.shape
    if idx < n * c * k:
        i = idx // (c * k)
        r = idx - i * c * k
        ch = r // k
        t = r - ch * k
        al = alpha[0] if alpha.shape[0] == 1 else alpha[ch]
        v = z[i, ch, t]
        out[i, ch, t] = v if v > z.dtype.type(0) else al * v


@kernel
def prelu_backward(z, da, alpha, out, dalpha_rows):
    """dz = da * (1 or alpha); dalpha_rows[i, ch] = per-row partial sums (one thread per row)."""
    i = cuda.grid(1)
    n, c, k = z.shape
    if i < n:
        shared = alpha.shape[0] == 1
        zero = z.dtype.type(0)
        for ch in range(c):
            al = alpha[0] if shared else alpha[ch]
            acc = zero
            for t in range(k):
                v = z[i, ch, t]
                if v > 0:
                    out[i, ch, t] = da[i, ch, t]
                else:
                    out[i, ch, t] = da[i, ch, t] * al
                    acc += da[i, ch, t] * v
            if shared:
                dalpha_rows[i, 0] += acc
            else:
                dalpha_rows[i, ch] += acc


@kernel
def softmax_forward(z, out):
    """Row-wise softmax shifted by the row max; one thread per row."""
    i = cuda.grid(1)
    if i < z.shape[0]:
        m = z.shape[1]
        mx = z[i, 0]
        for j in range(1, m):
            mx = fmax(mx, z[i, j])
        s = z.dtype.type(0)
        for j in range(m):
            e = math.exp(z[i, j] - mx)
            out[i, j] = e
            s += e
        for j in range(m):
            out[i, j] = out[i, j] / s


@kernel
def softmax_backward(p, dp, out):
    """dz = p * (dp - <dp, p>); one thread per row."""
    i = cuda.grid(1)
    if i < p.shape[0]:
        m = p.shape[1]
        s = p.dtype.type(0)
        for j in range(m):
            s += dp[i, j] * p[i, j]
        for j in range(m):
            out[i, j] = p[i, j] * (dp[i, j] - s)


@kernel
def xent_labels(z, labels, scale, grad, row_loss):
    """Softmax cross-entropy from logits and integer labels; one thread per row."""
    i = cuda.grid(1)
    if i < z.shape[0]:
        F = z.dtype.type
        m = z.shape[1]
        mx = z[i, 0]
        for j in range(1, m):
            mx = fmax(mx, z[i, j])
        s = F(0)
        for j in range(m):
            s += math.exp(z[i, j] - mx)
        lse = mx + math.log(s)
        y = labels[i]
        row_loss[i] = lse - z[i, y]
        for j in range(m):
            g = math.exp(z[i, j] - lse)
            if j == y:
                g -= F(1)
            grad[i, j] = scale * g


@kernel
def xent_onehot(z, t, scale, grad, row_loss):
    """Softmax cross-entropy from logits and probability targets; one thread per row."""
    i = cuda.grid(1)
    if i < z.shape[0]:
        F = z.dtype.type
        m = z.shape[1]
        mx = z[i, 0]
        for j in range(1, m):
            mx = fmax(mx, z[i, j])
        s = F(0)
        for j in range(m):
            s += math.exp(z[i, j] - mx)
        lse = mx + math.log(s)
        tsum = F(0)
        acc = F(0)
        for j in range(m):
            acc += t[i, j] * (lse - z[i, j])
            tsum += t[i, j]
        row_loss[i] = acc
        for j in range(m):
            grad[i, j] = scale * (math.exp(z[i, j] - lse) * tsum - t[i, j])


@kernel
def elementwise_loss(kind, p, y, scale, eps, grad, row_loss):
    """Row sums of elementwise losses (0 squared, 1 BCE on probabilities, 2 BCE on logits)."""
    i = cuda.grid(1)
    if i < p.shape[0]:
        F = p.dtype.type
        one = F(1)
        acc = F(0)
        for j in range(p.shape[1]):
            v = p[i, j]
            t = y[i, j]
            if kind == 0:
                d = v - t
                acc += F(0.5) * d * d
                grad[i, j] = scale * d
            elif kind == 1:
                q = fmin(fmax(v, eps), one - eps)
                acc -= t * math.log(q) + (one - t) * math.log1p(-q)
                grad[i, j] = scale * (q - t) / (q * (one - q))
            else:
                acc += softplus(v) - t * v
                grad[i, j] = scale * (sigmoid(v) - t)
        row_loss[i] = acc


@kernel
def sgd_update(p, g, lr, decay):
    """p <- decay p - lr g on flat arrays; one thread per element."""
    i = cuda.grid(1)
    if i < p.shape[0]:
        p[i] = decay * p[i] - lr * g[i]


@kernel
def fill(a, value):
    """a[:] = value on a flat array."""
    i = cuda.grid(1)
    if i < a.shape[0]:
        a[i] = value


@kernel
def gather_rows(src, idx, dst):
    """dst[r, :] = src[idx[r], :]; one thread per element of dst."""
    k = cuda.grid(1)
    m = src.shape[1]
    if k < dst.shape[0] * m:
        r = k // m
        j = k - r * m
        dst[r, j] = src[idx[r], j]


@kernel
def nonfinite_count(a, out):
    """out[0] += number of NaN/inf entries of the flat array a."""
    i = cuda.grid(1)
    if i < a.shape[0]:
        if not math.isfinite(a[i]):
            cuda.atomic.add(out, 0, 1)


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    I = int64  # noqa: E741 - Python ints (codes, flags)
    for F in (float32, float64):
        A1, A2, A3, _ = arrays(F)
        out.setdefault("add_bias", []).append((A2, A1))
        out.setdefault("col_sum_acc", []).append((A2, A1))
        out.setdefault("act_forward", []).append((I, A2, F, A2))
        out.setdefault("act_backward", []).append((I, A2, A2, A2, F, A2))
        out.setdefault("prelu_forward", []).append((A3, A1, A3))
        out.setdefault("prelu_backward", []).append((A3, A3, A1, A3, A2))
        out.setdefault("softmax_forward", []).append((A2, A2))
        out.setdefault("softmax_backward", []).append((A2, A2, A2))
        out.setdefault("xent_labels", []).append((A2, arrays(int64)[0], F, A2, A1))
        out.setdefault("xent_onehot", []).append((A2, A2, F, A2, A1))
        out.setdefault("elementwise_loss", []).append((I, A2, A2, F, F, A2, A1))
        out.setdefault("sgd_update", []).append((A1, A1, F, F))
        out.setdefault("fill", []).append((A1, F))
        out.setdefault("gather_rows", []).append((A2, arrays(int64)[0], A2))
        out.setdefault("nonfinite_count", []).append((A1, arrays(int32)[0]))
    I1, I2, _, _ = arrays(int64)
    out["gather_rows"].append((I2, I1, I2))  # minibatch labels gathered on the device
    return out


PTX_SIGNATURES = _sigs()


def _matmul_sigs():
    out = []
    for F in (float32, float64):
        A2 = arrays(F)[1]
        out.append((A2, A2, A2, int64, int64, int64))
    return out


PTX_SIGNATURES["matmul"] = _matmul_sigs()

#: Kernels built by factories: name -> (signature -> the kernel compiled for it, production
#: geometry).
PTX_FACTORY_KERNELS = {"matmul": lambda sig: matmul_kernel(sig[2].dtype, 16)}
