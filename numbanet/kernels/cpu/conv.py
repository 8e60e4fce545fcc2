"""Numba CPU kernels for 2-D convolution (cross-correlation) and pooling, NCHW.

Direct loops, no im2col buffer: LeNet's layers have few channels (1 -> 6 -> 16) and small planes
(28x28, 13x13), so the products are too thin for BLAS to shine, and the direct form reads each
input row once per filter tap while it sits in L1. The innermost loop always runs along an output
row (``ow``) with unit stride in memory, so LLVM vectorises it (stride-1 convolutions take a
separate loop without the stride multiply, which otherwise turns the loads into gathers).

Indices of the innermost loops are cast to unsigned (``U(j)``): Numba then drops the check for
negative (wrap-around) indices, which otherwise blocks vectorisation (measured 8x on LeNet's first
layer). The casts are safe because ``_col_range`` keeps every index inside the array.

Padding is never materialised: for each filter tap the kernels compute the range of output
columns whose input column falls inside the image (``_col_range``) and loop over that range only,
which is the same as reading zeros outside it.

Thread mapping (``prange``; each iteration owns the outputs it writes, so there are no races):

* ``conv2d_forward``: one iteration per (example, output channel) plane of ``y``;
* ``conv2d_backward_dw``: one iteration per (output channel, input channel) block of ``dW``,
  summing over the batch; ``db`` by one iteration per output channel;
* ``conv2d_backward_dx``: one iteration per (example, input channel) plane of ``dx``;
* ``pool2d_forward`` / ``pool2d_backward``: one iteration per (example, channel) plane.

Every kernel exists twice (``twin``): serial for small problems, where thread start-up dominates,
and threaded.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba import uint64 as U

from ._util import twin

POOL_MAX, POOL_AVG = 0, 1

#: Problems with at least this many multiply-adds use the threaded twin. High on purpose: LeNet's
#: layers at batch 64 (2-7 M multiply-adds, under a millisecond serially) ran 10-20x *slower*
#: threaded on this shared two-core machine (OpenMP workers descheduled at the barrier, and
#: spinning against BLAS's own threads), so only much larger problems go parallel.
PARALLEL_MIN_MACS = 1 << 24


def pick_by_work(pair, work):
    """The serial or threaded twin for ``work`` multiply-adds."""
    return pair[1] if work >= PARALLEL_MIN_MACS else pair[0]


@njit(cache=True, inline="always")
def _col_range(k, s, p, w_in, w_out):
    """Output columns ``o`` whose input column ``o*s + k - p`` lies in ``[0, w_in)``: [lo, hi)."""
    # o*s >= p - k  ->  o >= ceil((p - k) / s);  o*s <= w_in - 1 + p - k
    a = p - k
    lo = 0
    if a > 0:
        lo = (a + s - 1) // s
    b = w_in - 1 + p - k
    if b < 0:
        return 0, 0
    hi = b // s + 1
    if hi > w_out:
        hi = w_out
    if lo > hi:
        lo = hi
    return lo, hi


def _conv2d_forward(x, W, b, sh, sw, ph, pw, y):
    """y[n, o] = b[o] + sum_{c,u,v} W[o, c, u, v] x[n, c, oh*sh + u - ph, ow*sw + v - pw]."""
    N, C, H, Wd = x.shape
    O, _, KH, KW = W.shape
    OH, OW = y.shape[2], y.shape[3]
    for t in prange(N * O):
        n = t // O
        o = t - n * O
        yp = y[n, o]
        bo = b[o]
        for i in range(OH):
            for j in range(OW):
                yp[i, j] = bo
        for c in range(C):
            xp = x[n, c]
            for u in range(KH):
                ilo, ihi = _col_range(u, sh, ph, H, OH)
                for v in range(KW):
                    w = W[o, c, u, v]
                    jlo, jhi = _col_range(v, sw, pw, Wd, OW)
                    for i in range(ilo, ihi):
                        r = i * sh + u - ph
                        if sw == 1:
                            off = v - pw
                            for j in range(jlo, jhi):
                                yp[i, U(j)] += w * xp[r, U(j + off)]
                        else:
                            for j in range(jlo, jhi):
                                yp[i, U(j)] += w * xp[r, U(j * sw + v - pw)]


def _conv2d_backward_dw(x, dy, sh, sw, ph, pw, dW, db, do_db):
    """dW[o, c, u, v] += sum_{n,i,j} dy[n, o, i, j] x[n, c, i*sh + u - ph, j*sw + v - pw];
    db[o] += sum_{n,i,j} dy[n, o, i, j] (iterations with c == 0 own db[o])."""
    N, C, H, Wd = x.shape
    O, _, KH, KW = dW.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for t in prange(O * C):
        o = t // C
        c = t - o * C
        for u in range(KH):
            ilo, ihi = _col_range(u, sh, ph, H, OH)
            for v in range(KW):
                jlo, jhi = _col_range(v, sw, pw, Wd, OW)
                acc = dW.dtype.type(0)
                for n in range(N):
                    xp = x[n, c]
                    gp = dy[n, o]
                    for i in range(ilo, ihi):
                        r = i * sh + u - ph
                        if sw == 1:
                            off = v - pw
                            for j in range(jlo, jhi):
                                acc += gp[i, U(j)] * xp[r, U(j + off)]
                        else:
                            for j in range(jlo, jhi):
                                acc += gp[i, U(j)] * xp[r, U(j * sw + v - pw)]
                dW[o, c, u, v] += acc
        if do_db and c == 0:
            acc = db.dtype.type(0)
            for n in range(N):
                gp = dy[n, o]
                for i in range(OH):
                    for j in range(OW):
                        acc += gp[i, j]
            db[o] += acc


def _conv2d_backward_dx(dy, W, sh, sw, ph, pw, dx):
    """dx[n, c, r, q] = sum over (o, u, v) and the output positions (i, j) that read input
    (r, q) = (i*sh + u - ph, j*sw + v - pw) of W[o, c, u, v] dy[n, o, i, j]."""
    N, C, H, Wd = dx.shape
    O, _, KH, KW = W.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = dx[n, c]
        for r in range(H):
            for q in range(Wd):
                xp[r, q] = 0.0
        for o in range(O):
            gp = dy[n, o]
            for u in range(KH):
                ilo, ihi = _col_range(u, sh, ph, H, OH)
                for v in range(KW):
                    w = W[o, c, u, v]
                    jlo, jhi = _col_range(v, sw, pw, Wd, OW)
                    for i in range(ilo, ihi):
                        r = i * sh + u - ph
                        if sw == 1:
                            off = v - pw
                            for j in range(jlo, jhi):
                                xp[r, U(j + off)] += w * gp[i, U(j)]
                        else:
                            for j in range(jlo, jhi):
                                xp[r, U(j * sw + v - pw)] += w * gp[i, U(j)]


def _pool2d_forward(kind, x, kh, kw, sh, sw, y, arg):
    """Max (kind 0) or average (kind 1) over kh x kw windows with strides (sh, sw), no padding.

    For max pooling ``arg[n, c, i, j]`` receives the flat index ``r * W + q`` of the (first)
    maximum in the input plane, which the backward pass routes the gradient to."""
    N, C, H, Wd = x.shape
    OH, OW = y.shape[2], y.shape[3]
    inv = 1.0 / (kh * kw)
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = x[n, c]
        for i in range(OH):
            for j in range(OW):
                r0 = i * sh
                q0 = j * sw
                if kind == 0:
                    best = xp[r0, q0]
                    bi = r0 * Wd + q0
                    for u in range(kh):
                        for v in range(kw):
                            val = xp[r0 + u, q0 + v]
                            if val > best:
                                best = val
                                bi = (r0 + u) * Wd + q0 + v
                    y[n, c, i, j] = best
                    arg[n, c, i, j] = bi
                else:
                    acc = y.dtype.type(0)
                    for u in range(kh):
                        for v in range(kw):
                            acc += xp[r0 + u, q0 + v]
                    y[n, c, i, j] = acc * inv


def _pool2d_backward(kind, dy, arg, kh, kw, sh, sw, dx):
    """dx of a pooling layer: max routes each dy to its window's maximum; average spreads it
    evenly, dy / (kh kw), over the window. Overlapping windows add up."""
    N, C, H, Wd = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    inv = 1.0 / (kh * kw)
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = dx[n, c]
        for r in range(H):
            for q in range(Wd):
                xp[r, q] = 0.0
        for i in range(OH):
            for j in range(OW):
                g = dy[n, c, i, j]
                if kind == 0:
                    k = arg[n, c, i, j]
                    r = k // Wd
                    xp[r, k - r * Wd] += g
                else:
                    g = g * inv
                    for u in range(kh):
                        for v in range(kw):
                            xp[i * sh + u, j * sw + v] += g


conv2d_forward = twin(_conv2d_forward)
conv2d_backward_dw = twin(_conv2d_backward_dw)
conv2d_backward_dx = twin(_conv2d_backward_dx)
pool2d_forward = twin(_pool2d_forward)
pool2d_backward = twin(_pool2d_backward)


# --------------------------------------------------------------------------------------------
# Stride-1 "wide" kernels. With unit strides an output row and the input rows it reads are
# contiguous runs of the same length, so the whole output plane can be computed as ONE long
# vector loop if it is given the input's width Wp (the "wide" plane, (OH, Wp), whose columns
# j >= OW hold garbage that is never read back): y_wide[p] += w * x[p + u*Wp + v] for
# p < L = (OH - 1) * Wp + OW. The loops are 100-700 long instead of 11-26, so they vectorise well.
# Inputs are already padded (the caller pads when p > 0); planes are flattened: x (N, C, Hp*Wp).


def _conv2d_forward_s1(x, W, b, Wp, OH, OW, y):
    """y (N, O, OH, OW) = b + valid stride-1 correlation of x (N, C, Hp*Wp) with W."""
    N, C = x.shape[0], x.shape[1]
    O, _, KH, KW = W.shape
    L = (OH - 1) * Wp + OW
    for t in prange(N * O):
        n = t // O
        o = t - n * O
        acc = np.empty(L, dtype=y.dtype)
        bo = b[o]
        for p in range(L):
            acc[p] = bo
        for c in range(C):
            xp = x[n, c]
            for u in range(KH):
                for v in range(KW):
                    w = W[o, c, u, v]
                    s = u * Wp + v
                    for p in range(L):
                        acc[U(p)] += w * xp[U(p + s)]
        for i in range(OH):
            for j in range(OW):
                y[n, o, i, j] = acc[i * Wp + j]


def _conv2d_backward_dw_s1(x, dyw, Wp, L, dW, db, do_db):
    """dW[o, c, u, v] += sum_n sum_p dyw[n, o, p] x[n, c, p + u*Wp + v], with dyw the wide
    output gradient (N, O, OH*Wp), zero in the garbage columns; db[o] += sum of dyw[:, o]."""
    N, C = x.shape[0], x.shape[1]
    O, _, KH, KW = dW.shape
    for t in prange(O * C):
        o = t // C
        c = t - o * C
        for u in range(KH):
            for v in range(KW):
                s = u * Wp + v
                acc = dW.dtype.type(0)
                for n in range(N):
                    gp = dyw[n, o]
                    xp = x[n, c]
                    for p in range(L):
                        acc += gp[U(p)] * xp[U(p + s)]
                dW[o, c, u, v] += acc
        if do_db and c == 0:
            acc = db.dtype.type(0)
            for n in range(N):
                gp = dyw[n, o]
                for p in range(L):
                    acc += gp[U(p)]
            db[o] += acc


def _conv2d_backward_dx_s1(dyw, W, Wp, L, dx):
    """dx (N, C, Hp*Wp) = sum over (o, u, v) of W[o, c, u, v] dyw[n, o, p] sent to p + u*Wp + v
    (the full correlation of the wide output gradient with the filters)."""
    N, C = dx.shape[0], dx.shape[1]
    O, _, KH, KW = W.shape
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = dx[n, c]
        for q in range(xp.shape[0]):
            xp[q] = 0.0
        for o in range(O):
            gp = dyw[n, o]
            for u in range(KH):
                for v in range(KW):
                    w = W[o, c, u, v]
                    s = u * Wp + v
                    for p in range(L):
                        xp[U(p + s)] += w * gp[U(p)]


def _widen(dy, Wp, dyw):
    """dyw (N, O, OH, Wp) = dy in the first OW columns, zeros in the rest."""
    N, O, OH, OW = dy.shape
    for t in prange(N * O):
        n = t // O
        o = t - n * O
        for i in range(OH):
            for j in range(OW):
                dyw[n, o, i, j] = dy[n, o, i, j]
            for j in range(OW, Wp):
                dyw[n, o, i, j] = 0.0


conv2d_forward_s1 = twin(_conv2d_forward_s1)
conv2d_backward_dw_s1 = twin(_conv2d_backward_dw_s1)
conv2d_backward_dx_s1 = twin(_conv2d_backward_dx_s1)
widen = twin(_widen)


# --------------------------------------------------------------------------------------------
# 3x3 stride-1 kernels (LeNet's, and the slides' example). The general "wide" kernels above make
# one pass over the plane per filter tap, loading and storing the accumulator nine times per
# input channel; with the nine taps written out, one pass does nine multiply-adds per load and
# store (and the weight gradient reads each output-gradient value once for all nine taps).
# Measured on LeNet's second layer at batch 64 (one core): forward 0.61 -> 0.38 ms, dW 1.16 ->
# 0.39 ms, dx 0.78 -> 0.35 ms. Other kernel sizes keep the general kernels.
#
# The output gradient goes in "wide and padded": dyp[n, o, OFF + p] = dy at wide position p
# (zeros in the garbage columns), with OFF = 2 Wp + 2 zeros before and after, so dx can be
# written as a gather, dx[q] = sum_taps W * dyp[OFF + q - s], without any bounds test.


def _conv3x3_forward_s1(x, W, b, Wp, OH, OW, y):
    """y (N, O, OH, OW) = b + valid 3x3 stride-1 correlation of x (N, C, Hp*Wp) with W.

    Thread mapping: one ``prange`` iteration per example n (it owns y[n] and its scratch row)."""
    N, C = x.shape[0], x.shape[1]
    O = W.shape[0]
    L = (OH - 1) * Wp + OW
    s1 = Wp
    s2 = 2 * Wp
    for n in prange(N):
        acc = np.empty(L, dtype=y.dtype)
        for o in range(O):
            bo = b[o]
            for p in range(L):
                acc[p] = bo
            for c in range(C):
                xp = x[n, c]
                w00, w01, w02 = W[o, c, 0, 0], W[o, c, 0, 1], W[o, c, 0, 2]
                w10, w11, w12 = W[o, c, 1, 0], W[o, c, 1, 1], W[o, c, 1, 2]
                w20, w21, w22 = W[o, c, 2, 0], W[o, c, 2, 1], W[o, c, 2, 2]
                for p in range(L):
                    acc[U(p)] += (
                        w00 * xp[U(p)] + w01 * xp[U(p + 1)] + w02 * xp[U(p + 2)]
                        + w10 * xp[U(p + s1)] + w11 * xp[U(p + s1 + 1)] + w12 * xp[U(p + s1 + 2)]
                        + w20 * xp[U(p + s2)] + w21 * xp[U(p + s2 + 1)] + w22 * xp[U(p + s2 + 2)]
                    )  # fmt: skip
            for i in range(OH):
                for j in range(OW):
                    y[n, o, i, j] = acc[i * Wp + j]


def _conv3x3_backward_dw_s1(x, dyp, Wp, L, off, dW, db, do_db):
    """dW[o, c, u, v] += sum_n sum_p dyp[n, o, off + p] x[n, c, p + u*Wp + v] for the nine taps
    at once; db[o] += the sum of dy over (n, p) (iterations with c == 0 own db[o]).

    Thread mapping: one iteration per (o, c) block of dW; the batch sum stays inside it."""
    N, C = x.shape[0], x.shape[1]
    O = dW.shape[0]
    s1 = Wp
    s2 = 2 * Wp
    z = dW.dtype.type(0)
    for t in prange(O * C):
        o = t // C
        c = t - o * C
        a00, a01, a02, a10, a11, a12, a20, a21, a22 = z, z, z, z, z, z, z, z, z
        for n in range(N):
            gp = dyp[n, o]
            xp = x[n, c]
            for p in range(L):
                g = gp[U(p + off)]
                a00 += g * xp[U(p)]
                a01 += g * xp[U(p + 1)]
                a02 += g * xp[U(p + 2)]
                a10 += g * xp[U(p + s1)]
                a11 += g * xp[U(p + s1 + 1)]
                a12 += g * xp[U(p + s1 + 2)]
                a20 += g * xp[U(p + s2)]
                a21 += g * xp[U(p + s2 + 1)]
                a22 += g * xp[U(p + s2 + 2)]
        dW[o, c, 0, 0] += a00
        dW[o, c, 0, 1] += a01
        dW[o, c, 0, 2] += a02
        dW[o, c, 1, 0] += a10
        dW[o, c, 1, 1] += a11
        dW[o, c, 1, 2] += a12
        dW[o, c, 2, 0] += a20
        dW[o, c, 2, 1] += a21
        dW[o, c, 2, 2] += a22
        if do_db and c == 0:
            acc = z
            for n in range(N):
                gp = dyp[n, o]
                for p in range(L):
                    acc += gp[U(p + off)]
            db[o] += acc


def _conv3x3_backward_dx_s1(dyp, W, off, Wp, dx):
    """dx (N, C, Hp*Wp): dx[n, c, q] = sum_{o,u,v} W[o, c, u, v] dyp[n, o, off + q - u*Wp - v].

    Thread mapping: one iteration per (n, c) plane of dx, which it owns."""
    N, C = dx.shape[0], dx.shape[1]
    O = W.shape[0]
    Q = dx.shape[2]
    s1 = Wp
    s2 = 2 * Wp
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = dx[n, c]
        for q in range(Q):
            xp[q] = 0.0
        for o in range(O):
            g = dyp[n, o]
            w00, w01, w02 = W[o, c, 0, 0], W[o, c, 0, 1], W[o, c, 0, 2]
            w10, w11, w12 = W[o, c, 1, 0], W[o, c, 1, 1], W[o, c, 1, 2]
            w20, w21, w22 = W[o, c, 2, 0], W[o, c, 2, 1], W[o, c, 2, 2]
            for q in range(Q):
                k = q + off
                xp[U(q)] += (
                    w00 * g[U(k)] + w01 * g[U(k - 1)] + w02 * g[U(k - 2)]
                    + w10 * g[U(k - s1)] + w11 * g[U(k - s1 - 1)] + w12 * g[U(k - s1 - 2)]
                    + w20 * g[U(k - s2)] + w21 * g[U(k - s2 - 1)] + w22 * g[U(k - s2 - 2)]
                )  # fmt: skip


def _widen_padded(dy, Wp, off, dyp):
    """dyp (N, O, off + OH*Wp + off): zeros, then dy row by row at the input's width Wp (zeros in
    the columns j >= OW), then zeros."""
    N, O, OH, OW = dy.shape
    T = dyp.shape[2]
    for t in prange(N * O):
        n = t // O
        o = t - n * O
        g = dyp[n, o]
        for k in range(T):
            g[k] = 0.0
        for i in range(OH):
            base = off + i * Wp
            for j in range(OW):
                g[base + j] = dy[n, o, i, j]


conv3x3_forward_s1 = twin(_conv3x3_forward_s1)
conv3x3_backward_dw_s1 = twin(_conv3x3_backward_dw_s1)
conv3x3_backward_dx_s1 = twin(_conv3x3_backward_dx_s1)
widen_padded = twin(_widen_padded)


# --------------------------------------------------------------------------------------------
# 2x2 pooling with stride 2 (LeNet's, and the most common), written out: the general kernels
# compute window offsets per element and test the pooling kind inside the loop, which kept
# them from vectorising (LeNet's first pooling at batch 64: 0.49 -> 0.05 ms forward, 0.31 ->
# 0.10 ms backward for the average). Odd trailing rows/columns are dropped (forward) or get a
# zero gradient (backward), as the floor in the size formula says.


def _pool2x2_forward(kind, x, y, arg):
    """y = max (kind 0, with ``arg`` the flat input index of the first maximum) or mean of each
    2x2 window. Thread mapping: one iteration per (n, c) plane."""
    N, C, H, Wd = x.shape
    OH, OW = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = x[n, c]
        yp = y[n, c]
        for i in range(OH):
            r0 = xp[2 * i]
            r1 = xp[2 * i + 1]
            yr = yp[i]
            if kind == 1:
                for j in range(OW):
                    q = 2 * j
                    yr[U(j)] = 0.25 * (r0[U(q)] + r0[U(q + 1)] + r1[U(q)] + r1[U(q + 1)])
            else:
                ar = arg[n, c, i]
                for j in range(OW):
                    q = 2 * j
                    best = r0[q]
                    bi = 2 * i * Wd + q
                    if r0[q + 1] > best:
                        best = r0[q + 1]
                        bi = 2 * i * Wd + q + 1
                    if r1[q] > best:
                        best = r1[q]
                        bi = (2 * i + 1) * Wd + q
                    if r1[q + 1] > best:
                        best = r1[q + 1]
                        bi = (2 * i + 1) * Wd + q + 1
                    yr[j] = best
                    ar[j] = bi


def _pool2x2_backward(kind, dy, arg, dx):
    """dx of 2x2 stride-2 pooling: the mean spreads dy / 4 over its window, the max sends dy to
    its window's maximum. Windows do not overlap, so every dx element is written once.
    Thread mapping: one iteration per (n, c) plane."""
    N, C, H, Wd = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = dx[n, c]
        gp = dy[n, c]
        if kind == 1:
            for i in range(OH):
                r0 = xp[2 * i]
                r1 = xp[2 * i + 1]
                g = gp[i]
                for j in range(OW):
                    v = 0.25 * g[U(j)]
                    q = 2 * j
                    r0[U(q)] = v
                    r0[U(q + 1)] = v
                    r1[U(q)] = v
                    r1[U(q + 1)] = v
        else:
            for i in range(2 * OH):
                for q in range(2 * OW):
                    xp[i, q] = 0.0
            for i in range(OH):
                for j in range(OW):
                    k = arg[n, c, i, j]
                    r = k // Wd
                    xp[r, k - r * Wd] = gp[i, j]
        for r in range(2 * OH, H):  # the dropped trailing row / column
            for q in range(Wd):
                xp[r, q] = 0.0
        if 2 * OW < Wd:
            for r in range(2 * OH):
                for q in range(2 * OW, Wd):
                    xp[r, q] = 0.0


pool2x2_forward = twin(_pool2x2_forward)
pool2x2_backward = twin(_pool2x2_backward)
