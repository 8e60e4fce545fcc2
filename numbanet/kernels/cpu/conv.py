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
