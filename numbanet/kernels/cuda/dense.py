"""CUDA kernels for dense layers, activations, softmax, losses and the SGD update.

Thread mappings (no races: each thread owns what it writes):

* ``gemm``: register-blocked; a block of TILE x TILE threads owns a (8 TILE) x (8 TILE) tile of C
  and each thread an 8 x 8 register tile of it (see ``gemm_kernel``). Slices of A and B are
  staged in shared memory, with ``syncthreads`` before and after each use.
* elementwise kernels: one thread per element of the flattened array (``cuda.grid(1)``).
* row kernels (softmax, log-softmax, cross-entropy, row losses): one thread per example (row).
* ``col_sum_tree`` (bias gradients): a 2-D block per group of columns, a shared-memory tree
  over the rows (deterministic).

Activation math comes from ``kernels.scalar``, the same functions the CPU kernels call. Every
constant is in the arrays' float type (``F = z.dtype.type``): float32 kernels run no FP64
instruction. Row losses are written in that type too and summed on the host in float64.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import float32, float64, int32, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from ..scalar import act_df, act_f, fmax, fmin, sigmoid, softplus
from . import arrays

cuda = _cuda_mod()


#: The GEMM's register tile: each thread computes GEMM_TM x GEMM_TN outputs, and the block steps
#: through K in slices of GEMM_BK. 8 x 8 is the smallest square tile that reads at most one
#: shared-memory value per 4 multiply-adds (TM + TN loads feed TM * TN FMAs per k).
GEMM_TM = 8
GEMM_TN = 8
GEMM_BK = 8


@functools.cache
def gemm_kernel(nbtype, ty, tx, tm=GEMM_TM, tn=GEMM_TN, bk=GEMM_BK):
    """C (M, N) = [C +] op(A) @ op(B), op = transpose when ``ta`` / ``tb`` is set; register-blocked.

    A block of ``ty x tx`` threads computes a ``(ty tm) x (tx tn)`` tile of C; each thread keeps
    ``tm x tn`` accumulators in registers, for rows ``ty_i + i ty`` and columns ``tx_j + j tx``
    (interleaved, so that a warp's shared reads hit distinct banks or broadcast, and its writes to
    C are consecutive). Per slice of ``bk`` values of K, the block stages op(A) and op(B) in shared
    memory with coalesced global reads whatever the transposition (consecutive threads read
    consecutive addresses of the stored array: along K for an untransposed A, along M for a
    transposed one, likewise for B), then every thread runs ``bk`` rank-1 updates of its tile:
    ``tm + tn`` shared loads for ``tm tn`` FMAs. Row blocks are on grid x (up to 2^31 - 1 blocks:
    no 65,535-block limit on M), column blocks on grid y. Compiled once per dtype and geometry.
    """
    TY, TX, TM, TN, BK = ty, tx, tm, tn, bk
    BM = TY * TM
    BN = TX * TN
    NT = TY * TX
    if (BM * BK) % NT or (BK * BN) % NT:
        raise ValueError(
            f"GEMM geometry {ty}x{tx} threads, {tm}x{tn} tile, bk {bk}: the shared "
            "tiles do not split evenly over the threads"
        )
    A_LOADS = (BM * BK) // NT
    B_LOADS = (BK * BN) // NT
    SA = BM + 4  # padded rows: the transposing stores of an untransposed A hit distinct banks
    SB = BN + 4
    DT = nbtype

    def gemm(A, B, C, ta, tb, accumulate):
        sA = cuda.shared.array((BK, SA), DT)
        sB = cuda.shared.array((BK, SB), DT)
        acc = cuda.local.array((TM, TN), DT)
        fa = cuda.local.array(TM, DT)
        fb = cuda.local.array(TN, DT)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        tid = ty * TX + tx
        m0 = cuda.blockIdx.x * BM
        n0 = cuda.blockIdx.y * BN
        M = C.shape[0]
        N = C.shape[1]
        K = A.shape[0] if ta else A.shape[1]
        zero = DT(0)
        for i in range(TM):
            for j in range(TN):
                acc[i, j] = zero
        for k0 in range(0, K, BK):
            for rep in range(A_LOADS):  # op(A)[m0:m0+BM, k0:k0+BK] -> sA[k, m]
                e = tid + rep * NT
                if ta:  # A is (K, M): consecutive threads, consecutive m
                    kk = e // BM
                    mm = e - kk * BM
                else:  # A is (M, K): consecutive threads, consecutive k
                    mm = e // BK
                    kk = e - mm * BK
                gm = m0 + mm
                gk = k0 + kk
                v = zero
                if gm < M and gk < K:
                    v = A[gk, gm] if ta else A[gm, gk]
                sA[kk, mm] = v
            for rep in range(B_LOADS):  # op(B)[k0:k0+BK, n0:n0+BN] -> sB[k, n]
                e = tid + rep * NT
                if tb:  # B is (N, K): consecutive threads, consecutive k
                    nn = e // BK
                    kk = e - nn * BK
                else:  # B is (K, N): consecutive threads, consecutive n
                    kk = e // BN
                    nn = e - kk * BN
                gn = n0 + nn
                gk = k0 + kk
                v = zero
                if gn < N and gk < K:
                    v = B[gn, gk] if tb else B[gk, gn]
                sB[kk, nn] = v
            cuda.syncthreads()
            for kk in range(BK):
                for i in range(TM):
                    fa[i] = sA[kk, ty + i * TY]
                for j in range(TN):
                    fb[j] = sB[kk, tx + j * TX]
                for i in range(TM):
                    for j in range(TN):
                        acc[i, j] += fa[i] * fb[j]
            cuda.syncthreads()
        for i in range(TM):
            r = m0 + ty + i * TY
            if r < M:
                for j in range(TN):
                    c = n0 + tx + j * TX
                    if c < N:
                        if accumulate:
                            C[r, c] += acc[i, j]
                        else:
                            C[r, c] = acc[i, j]

    return kernel(gemm)


def gemm_launch(dtype, M, N, threads):
    """(kernel, grid, block) for a GEMM writing an (M, N) float ``dtype`` array with ``threads``
    x ``threads`` blocks (``config.TILE``)."""
    nbt = float32 if np.dtype(dtype) == np.float32 else float64
    k = gemm_kernel(nbt, threads, threads)
    bm, bn = threads * GEMM_TM, threads * GEMM_TN
    grid = (max(1, (M + bm - 1) // bm), max(1, (N + bn - 1) // bn))
    return k, grid, (threads, threads)


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


#: Largest block side of ``col_sum_tree`` (its shared tile is COLSUM_MAX x COLSUM_MAX).
COLSUM_MAX = 32


@kernel
def col_sum_tree(dz, db):
    """db[j] += sum_i dz[i, j], a block tree reduction: a block of (tx, ty) threads owns tx
    consecutive columns; thread (x, y) sums rows y, y + ty, ... of column j0 + x (a warp reads
    consecutive addresses), then the ty partial sums of each column meet in a shared-memory
    tree. Deterministic: the order of the additions depends only on the block shape."""
    x = cuda.threadIdx.x
    y = cuda.threadIdx.y
    TX = cuda.blockDim.x
    TY = cuda.blockDim.y
    j = cuda.blockIdx.x * TX + x
    R = dz.shape[0]
    N = dz.shape[1]
    sh = cuda.shared.array((COLSUM_MAX, COLSUM_MAX), dz.dtype)
    s = dz.dtype.type(0)
    if j < N:
        for i in range(y, R, TY):
            s += dz[i, j]
    sh[y, x] = s
    cuda.syncthreads()
    half = TY // 2
    while half > 0:
        if y < half:
            sh[y, x] += sh[y + half, x]
        cuda.syncthreads()
        half //= 2
    if y == 0 and j < N:
        db[j] += sh[0, x]


def col_sum_launch(N, threads):
    """(grid, block) of ``col_sum_tree`` over N columns: blocks of threads x threads (rounded
    down to a power of two, at most COLSUM_MAX)."""
    t = 1
    while 2 * t <= min(int(threads), COLSUM_MAX):
        t *= 2
    return (max(1, (N + t - 1) // t),), (t, t)


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
def log_softmax_forward(z, out):
    """Row-wise log-softmax (z - max) - log(sum exp(z - max)); one thread per row."""
    i = cuda.grid(1)
    if i < z.shape[0]:
        m = z.shape[1]
        mx = z[i, 0]
        for j in range(1, m):
            mx = fmax(mx, z[i, j])
        s = z.dtype.type(0)
        for j in range(m):
            s += math.exp(z[i, j] - mx)
        log_s = math.log(s)
        for j in range(m):
            out[i, j] = (z[i, j] - mx) - log_s


@kernel
def log_softmax_backward(y, dy, out):
    """dz = dy - exp(y) * sum(dy) (exp(y) is the softmax); one thread per row."""
    i = cuda.grid(1)
    if i < y.shape[0]:
        m = y.shape[1]
        s = y.dtype.type(0)
        for j in range(m):
            s += dy[i, j]
        for j in range(m):
            out[i, j] = dy[i, j] - math.exp(y[i, j]) * s


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


#: Threads (and shared-array length) of the one-block loss accumulation.
LOSS_SUM_MAX = 256


@kernel
def loss_accumulate(rows, weight, acc):
    """One block: acc[0] += weight * sum(rows), a deterministic shared-memory tree over the
    rows, then a compensated (Kahan) add whose running error lives in acc[1]: an epoch's loss
    summed on the device in the rows' type without the drift of a plain float32 sum."""
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    F = rows.dtype.type
    sh = cuda.shared.array(LOSS_SUM_MAX, rows.dtype)
    s = F(0)
    for i in range(t, rows.shape[0], T):
        s += rows[i]
    sh[t] = s
    cuda.syncthreads()
    half = T // 2
    while half > 0:
        if t < half:
            sh[t] += sh[t + half]
        cuda.syncthreads()
        half //= 2
    if t == 0:
        y = weight * sh[0] - acc[1]
        total = acc[0] + y
        acc[1] = (total - acc[0]) - y
        acc[0] = total


@kernel
def count_hits(out, labels, idx, threshold, first, hits):
    """One block: hits[0] (= when ``first``, else +=) the number of rows i whose class (the first largest output, or
    out[i, 0] > threshold for a single output) equals labels[idx[i]]; a shared-memory tree
    over the rows (integer counts, exact)."""
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    sh = cuda.shared.array(LOSS_SUM_MAX, int64)
    k = out.shape[1]
    c = 0
    for i in range(t, out.shape[0], T):
        if k == 1:
            pred = 1 if out[i, 0] > threshold else 0
        else:
            pred = 0
            best = out[i, 0]
            for j in range(1, k):
                if out[i, j] > best:
                    best = out[i, j]
                    pred = j
        if pred == labels[idx[i]]:
            c += 1
    sh[t] = c
    cuda.syncthreads()
    half = T // 2
    while half > 0:
        if t < half:
            sh[t] += sh[t + half]
        cuda.syncthreads()
        half //= 2
    if t == 0:
        if first:
            hits[0] = sh[0]
        else:
            hits[0] += sh[0]


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    I = int64  # noqa: E741 - Python ints (codes, flags)
    for F in (float32, float64):
        A1, A2, A3, _ = arrays(F)
        out.setdefault("add_bias", []).append((A2, A1))
        out.setdefault("col_sum_tree", []).append((A2, A1))
        out.setdefault("act_forward", []).append((I, A2, F, A2))
        out.setdefault("act_backward", []).append((I, A2, A2, A2, F, A2))
        out.setdefault("prelu_forward", []).append((A3, A1, A3))
        out.setdefault("prelu_backward", []).append((A3, A3, A1, A3, A2))
        out.setdefault("softmax_forward", []).append((A2, A2))
        out.setdefault("softmax_backward", []).append((A2, A2, A2))
        out.setdefault("log_softmax_forward", []).append((A2, A2))
        out.setdefault("log_softmax_backward", []).append((A2, A2, A2))
        out.setdefault("xent_labels", []).append((A2, arrays(int64)[0], F, A2, A1))
        out.setdefault("xent_onehot", []).append((A2, A2, F, A2, A1))
        out.setdefault("elementwise_loss", []).append((I, A2, A2, F, F, A2, A1))
        out.setdefault("sgd_update", []).append((A1, A1, F, F))
        out.setdefault("fill", []).append((A1, F))
        out.setdefault("gather_rows", []).append((A2, arrays(int64)[0], A2))
        out.setdefault("nonfinite_count", []).append((A1, arrays(int32)[0]))
        out.setdefault("loss_accumulate", []).append((A1, F, A1))
        I1 = arrays(int64)[0]
        out.setdefault("count_hits", []).append((A2, I1, I1, F, int64, I1))
    I1, I2, _, _ = arrays(int64)
    out["gather_rows"].append((I2, I1, I2))  # minibatch labels gathered on the device
    return out


PTX_SIGNATURES = _sigs()


def _gemm_sigs():
    out = []
    for F in (float32, float64):
        A2 = arrays(F)[1]
        out.append((A2, A2, A2, int64, int64, int64))
    return out


PTX_SIGNATURES["gemm"] = _gemm_sigs()

#: Production launch geometry (``config.TILE``'s default, 16 x 16 threads) compiled by the PTX lane.
GEMM_PTX_THREADS = 16

#: Kernels built by factories: name -> (signature -> the kernel compiled for it, production
#: geometry).
PTX_FACTORY_KERNELS = {
    "gemm": lambda sig: gemm_kernel(sig[2].dtype, GEMM_PTX_THREADS, GEMM_PTX_THREADS)
}
