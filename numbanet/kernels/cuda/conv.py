"""CUDA kernels for 2-D convolution (cross-correlation) and pooling, NCHW; twins of
``kernels/cpu/conv.py``.

Convolution is lowered to the register-blocked GEMM of ``kernels/cuda/dense.py`` (im2col): with
``cols`` the (N OH OW, C KH KW) matrix of every output position's receptive field and
``W2 = W.reshape(O, C KH KW)``,

* forward: ``y2 = cols W2^T`` (one GEMM), then ``rows_to_planes_bias`` puts the (position,
  channel) rows back into NCHW planes and adds the bias;
* dW: ``dW2 += dy2^T cols`` (one GEMM; ``dy2`` = dy as (position, channel) rows, from
  ``planes_to_rows``; ``cols`` recomputed from x);
* dx: ``dcols = dy2 W2`` (one GEMM), then ``col2im`` gathers every input element's entries of
  ``dcols`` (one thread per input element: it owns what it writes, no atomics);
* db: ``channel_sum_tree``, one block per channel, a shared-memory tree (deterministic).

The data-movement kernels use one thread per element written, indices decoded from the flat
thread index ``cuda.grid(1)`` (launch with ``config.THREADS_PER_BLOCK``); padding is implicit
(positions outside the image read as zeros).

* ``pool2d_forward``: one thread per pooled output; ``pool2d_backward``: one thread per input
  element, gathering from the windows that cover it.
"""

from __future__ import annotations

from numba import float32, float64, int32, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from . import arrays

cuda = _cuda_mod()


@kernel
def im2col(x, kh, kw, sh, sw, ph, pw, oh, ow, cols):
    """cols[(n, i, j), (c, u, v)] = x[n, c, i*sh + u - ph, j*sw + v - pw], 0 outside the image:
    one row per output position, one column per weight of a filter (C KH KW columns, in the
    order of ``W.reshape(O, -1)``). One thread per element of ``cols``; consecutive threads
    write consecutive columns."""
    idx = cuda.grid(1)
    R = cols.shape[0]
    K = cols.shape[1]
    if idx < R * K:
        r = idx // K
        k = idx - r * K
        v = k % kw
        t = k // kw
        u = t % kh
        c = t // kh
        j = r % ow
        t = r // ow
        i = t % oh
        n = t // oh
        rr = i * sh + u - ph
        qq = j * sw + v - pw
        val = x.dtype.type(0)
        if rr >= 0 and rr < x.shape[2] and qq >= 0 and qq < x.shape[3]:
            val = x[n, c, rr, qq]
        cols[r, k] = val


@kernel
def rows_to_planes_bias(y2, b, y3):
    """y3[n, o, p] = y2[n P + p, o] + b[o]: the GEMM's (position, channel) rows back to NCHW
    planes (P = OH OW positions), with the bias. One thread per element of ``y3``."""
    idx = cuda.grid(1)
    N = y3.shape[0]
    O = y3.shape[1]
    P = y3.shape[2]
    if idx < N * O * P:
        p = idx % P
        t = idx // P
        o = t % O
        n = t // O
        y3[n, o, p] = y2[n * P + p, o] + b[o]


@kernel
def planes_to_rows(dy3, dy2):
    """dy2[n P + p, o] = dy3[n, o, p] (the inverse of ``rows_to_planes_bias``, no bias). One
    thread per element of ``dy2``."""
    idx = cuda.grid(1)
    R = dy2.shape[0]
    O = dy2.shape[1]
    if idx < R * O:
        r = idx // O
        o = idx - r * O
        P = dy3.shape[2]
        n = r // P
        dy2[r, o] = dy3[n, o, r - n * P]


@kernel
def col2im(dcols, kh, kw, sh, sw, ph, pw, oh, ow, dx):
    """dx[n, c, r, q] = sum of dcols[(n, i, j), (c, u, v)] over the (i, j, u, v) whose window
    reads input (r, q): i = (r + ph - u) / sh a whole number in [0, OH), likewise j. A gather:
    one thread per input element, so no two threads write the same place (no atomics)."""
    idx = cuda.grid(1)
    N = dx.shape[0]
    C = dx.shape[1]
    H = dx.shape[2]
    Wd = dx.shape[3]
    if idx < N * C * H * Wd:
        q = idx % Wd
        t = idx // Wd
        r = t % H
        t = t // H
        c = t % C
        n = t // C
        acc = dx.dtype.type(0)
        for u in range(kh):
            a = r + ph - u
            if a >= 0 and a % sh == 0:
                i = a // sh
                if i < oh:
                    for v in range(kw):
                        e = q + pw - v
                        if e >= 0 and e % sw == 0:
                            j = e // sw
                            if j < ow:
                                acc += dcols[(n * oh + i) * ow + j, (c * kh + u) * kw + v]
        dx[n, c, r, q] = acc


#: Threads (and shared-array length) of the channel sums' blocks.
TREE_MAX = 256


@kernel
def channel_sum_tree(dy3, db):
    """db[c] += sum_{n, p} dy3[n, c, p]: block c; its threads stride over the (n, p) pairs
    (consecutive threads, consecutive addresses), then a shared-memory tree. Deterministic: the
    order of the additions depends only on the block size."""
    c = cuda.blockIdx.x
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    N = dy3.shape[0]
    P = dy3.shape[2]
    sh = cuda.shared.array(TREE_MAX, dy3.dtype)
    acc = dy3.dtype.type(0)
    for e in range(t, N * P, T):
        n = e // P
        acc += dy3[n, c, e - n * P]
    sh[t] = acc
    cuda.syncthreads()
    half = T // 2
    while half > 0:
        if t < half:
            sh[t] += sh[t + half]
        cuda.syncthreads()
        half //= 2
    if t == 0:
        db[c] += sh[0]


@kernel
def pool2d_forward(kind, x, kh, kw, sh, sw, y, arg):
    """Max (kind 0; ``arg`` gets the flat index r * W + q of the first maximum) or average
    (kind 1) over kh x kw windows with strides (sh, sw); one thread per output element."""
    idx = cuda.grid(1)
    N = y.shape[0]
    C = y.shape[1]
    OH = y.shape[2]
    OW = y.shape[3]
    if idx < N * C * OH * OW:
        j = idx % OW
        t = idx // OW
        i = t % OH
        t = t // OH
        c = t % C
        n = t // C
        Wd = x.shape[3]
        r0 = i * sh
        q0 = j * sw
        if kind == 0:
            best = x[n, c, r0, q0]
            bi = r0 * Wd + q0
            for u in range(kh):
                for v in range(kw):
                    val = x[n, c, r0 + u, q0 + v]
                    if val > best:
                        best = val
                        bi = (r0 + u) * Wd + q0 + v
            y[n, c, i, j] = best
            arg[n, c, i, j] = bi
        else:
            F = x.dtype.type
            acc = F(0)
            for u in range(kh):
                for v in range(kw):
                    acc += x[n, c, r0 + u, q0 + v]
            y[n, c, i, j] = acc / F(kh * kw)


@kernel
def pool2d_backward(kind, dy, arg, kh, kw, sh, sw, dx):
    """dx[n, c, r, q] gathered from every window (i, j) that covers (r, q): max adds dy where
    the window's maximum is (r, q); average adds dy / (kh kw). One thread per input element."""
    idx = cuda.grid(1)
    N = dx.shape[0]
    C = dx.shape[1]
    H = dx.shape[2]
    Wd = dx.shape[3]
    if idx < N * C * H * Wd:
        q = idx % Wd
        t = idx // Wd
        r = t % H
        t = t // H
        c = t % C
        n = t // C
        OH = dy.shape[2]
        OW = dy.shape[3]
        # windows i with i*sh <= r <= i*sh + kh - 1
        ilo = 0
        if r - kh + 1 > 0:
            ilo = (r - kh + 1 + sh - 1) // sh
        ihi = r // sh + 1
        if ihi > OH:
            ihi = OH
        jlo = 0
        if q - kw + 1 > 0:
            jlo = (q - kw + 1 + sw - 1) // sw
        jhi = q // sw + 1
        if jhi > OW:
            jhi = OW
        me = r * Wd + q
        F = dy.dtype.type
        acc = F(0)
        for i in range(ilo, ihi):
            for j in range(jlo, jhi):
                if kind == 0:
                    if arg[n, c, i, j] == me:
                        acc += dy[n, c, i, j]
                else:
                    acc += dy[n, c, i, j]
        if kind != 0:
            acc = acc / F(kh * kw)
        dx[n, c, r, q] = acc


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    I = int64  # noqa: E741 - strides, paddings, window sizes, pooling kind
    ARG = arrays(int32)[3]  # max-pooling argmax indices
    for F in (float32, float64):
        A1, _, _, A4 = arrays(F)
        A2, A3 = arrays(F)[1:3]
        out.setdefault("im2col", []).append((A4, I, I, I, I, I, I, I, I, A2))
        out.setdefault("rows_to_planes_bias", []).append((A2, A1, A3))
        out.setdefault("planes_to_rows", []).append((A3, A2))
        out.setdefault("col2im", []).append((A2, I, I, I, I, I, I, I, I, A4))
        out.setdefault("channel_sum_tree", []).append((A3, A1))
        out.setdefault("pool2d_forward", []).append((I, A4, I, I, I, I, A4, ARG))
        out.setdefault("pool2d_backward", []).append((I, A4, ARG, I, I, I, I, A4))
    return out


PTX_SIGNATURES = _sigs()
