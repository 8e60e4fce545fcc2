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

Size: over 600 lines on purpose: every convolution and pooling kernel, general and specialised (3x3
stride 1, 2x2 pooling), each with its serial and threaded twin; they share index helpers.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba import uint64 as U

from ..scalar import ACT_IDENTITY, ACT_RELU, act_df, act_f
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
    inv = y.dtype.type(1.0 / (kh * kw))
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
    inv = dx.dtype.type(1.0 / (kh * kw))
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
    """y (N, O, OH*OW) = b + valid stride-1 correlation of x (N, C, Hp*Wp) with W (O, C, KH, KW).

    Thread mapping: one ``prange`` iteration per (example, output channel) plane of y."""
    N, C = x.shape[0], x.shape[1]
    O, _, KH, KW = W.shape
    L = (OH - 1) * Wp + OW
    for t in prange(N * O):
        n = t // O
        o = t - n * O
        acc = np.empty(L, dtype=y.dtype)
        bo = b[o]
        for p in range(L):
            acc[U(p)] = bo
        for c in range(C):
            xp = x[n, c]
            for u in range(KH):
                for v in range(KW):
                    w = W[o, c, u, v]
                    s = u * Wp + v
                    for p in range(L):
                        acc[U(p)] += w * xp[U(p + s)]
        _unwiden(acc, Wp, OH, OW, y[n, o])


def _conv2d_backward_dw_s1(x, dyw, Wp, L, dW, db, do_db):
    """dW[o, c, u, v] += sum_n sum_p dyw[n, o, p] x[n, c, p + u*Wp + v], with dyw the wide
    output gradient (N, O, OH*Wp), zero in the garbage columns; db[o] += sum of dyw[:, o].

    Thread mapping: one iteration per (o, c) block of dW; the batch sum stays inside it."""
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
    (the full correlation of the wide output gradient with the filters).

    Thread mapping: one iteration per (n, c) plane of dx, which it owns."""
    N, C = dx.shape[0], dx.shape[1]
    O, _, KH, KW = W.shape
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = dx[n, c]
        for q in range(xp.shape[0]):
            xp[U(q)] = 0.0
        for o in range(O):
            gp = dyw[n, o]
            for u in range(KH):
                for v in range(KW):
                    w = W[o, c, u, v]
                    s = u * Wp + v
                    for p in range(L):
                        xp[U(p + s)] += w * gp[U(p)]


def _widen(dy, OH, OW, Wp, dyw):
    """dyw (N, O, OH*Wp) = dy (N, O, OH*OW) in the first OW columns of each row, zeros in the
    rest. Thread mapping: one iteration per (n, o) plane."""
    N, O = dy.shape[0], dy.shape[1]
    for t in prange(N * O):
        n = t // O
        o = t - n * O
        g = dyw[n, o]
        d = dy[n, o]
        for i in range(OH):
            dst = i * Wp
            src = i * OW
            for j in range(OW):
                g[U(dst + j)] = d[U(src + j)]
            for j in range(OW, Wp):
                g[U(dst + j)] = 0.0


@njit(cache=True, inline="always")
def _unwiden(acc, Wp, OH, OW, yp):
    """yp (OH*OW,) = the first OW columns of each row of the wide plane acc (rows of Wp).

    Flat and unsigned indices: the two-dimensional form ``y[i, j] = acc[i * Wp + j]`` compiled to
    a scalar loop with wrap-around checks, and cost twice the convolution itself on LeNet's first
    layer (0.59 against 0.21 us per 26x26 plane)."""
    for i in range(OH):
        src = i * Wp
        dst = i * OW
        for j in range(OW):
            yp[U(dst + j)] = acc[U(src + j)]


@njit(cache=True, inline="always")
def _unwiden_act(acc, Wp, OH, OW, code, alpha, yp):
    """yp (OH*OW,) = act(the first OW columns of each row of acc): ``_unwiden`` with the
    activation applied on the way (identity and ReLU written out so that they vectorise)."""
    zero = acc.dtype.type(0)
    if code == ACT_IDENTITY:
        _unwiden(acc, Wp, OH, OW, yp)
    elif code == ACT_RELU:
        for i in range(OH):
            src = i * Wp
            dst = i * OW
            for j in range(OW):
                v = acc[U(src + j)]
                yp[U(dst + j)] = v if v > zero else zero * v
    else:
        for i in range(OH):
            src = i * Wp
            dst = i * OW
            for j in range(OW):
                yp[U(dst + j)] = act_f(code, acc[U(src + j)], alpha)


def _pad_planes(x, ph, pw, xp):
    """xp (N, C, (H + 2 ph) * (W + 2 pw)) = x (N, C, H, W) with ph zero rows above and below and
    pw zero columns left and right, planes flattened. Thread mapping: one iteration per plane."""
    N, C, H, Wd = x.shape
    Wp = Wd + 2 * pw
    Q = xp.shape[2]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        dst = xp[n, c]
        src = x[n, c]
        for q in range(ph * Wp):
            dst[U(q)] = 0.0
        for r in range(H):
            base = (r + ph) * Wp
            for q in range(pw):
                dst[U(base + q)] = 0.0
            for q in range(Wd):
                dst[U(base + pw + q)] = src[r, q]
            for q in range(pw + Wd, Wp):
                dst[U(base + q)] = 0.0
        for q in range((H + ph) * Wp, Q):
            dst[U(q)] = 0.0


def _crop_planes(xp, Hp, Wp, ph, pw, x):
    """x (N, C, H, W) = the inside of the padded flat planes xp (N, C, Hp*Wp) (the inverse of
    ``_pad_planes``). Thread mapping: one iteration per plane."""
    N, C, H, Wd = x.shape
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        src = xp[n, c]
        dst = x[n, c]
        for r in range(H):
            base = (r + ph) * Wp + pw
            for q in range(Wd):
                dst[r, q] = src[U(base + q)]


conv2d_forward_s1 = twin(_conv2d_forward_s1)
conv2d_backward_dw_s1 = twin(_conv2d_backward_dw_s1)
conv2d_backward_dx_s1 = twin(_conv2d_backward_dx_s1)
widen = twin(_widen)
pad_planes = twin(_pad_planes)
crop_planes = twin(_crop_planes)


# --------------------------------------------------------------------------------------------
# 3x3 stride-1 kernels (LeNet's, and the slides' example). Weights come as (O, C, 9), planes
# flat, every index unsigned and flat so that each inner loop vectorises (AVX2: eight float32
# lanes). The inner loops are bound by loads, not by multiply-adds (nine unaligned loads of the
# input per nine FMAs, a third of them split across cache lines), so the kernels share loads:
#
# * forward and dx: blocks of three output (forward) or input (dx) channels, one filter row per
#   pass: three input loads feed nine FMAs into three accumulator rows (nine weights, three
#   inputs and three accumulators fit the sixteen vector registers; all nine taps of four
#   channels did not, and ran slower than one channel at a time);
# * dW: the same 3 x 3 blocking with nine register accumulators, over many examples in one
#   loop: the output gradient is laid out "tall", gt[o, LEAD + j*Q + p] with the planes of a
#   chunk's examples back to back (Q = Hp*Wp, the padded input plane; zeros in the columns
#   j >= OW and the rows i >= OH), and the input likewise (xt[c, j*Q + q]), so a weight-gradient
#   sum is one long loop instead of one short loop per example, each ending in nine horizontal
#   vector sums. The zero rows and columns between examples make the products that straddle two
#   examples vanish, and give dx's gather its out-of-range zeros.
# * the backward pass is one kernel that goes through the batch chunk by chunk (a few examples,
#   about 128 KiB of tall arrays), building each chunk's tall arrays and using them for dW, db and
#   dx at once, while they are in the core's cache.
#
# Measured on LeNet's layers at batch 64 (one core, thread time): forward 0.37 -> 0.29 ms
# (6 -> 16 channels); the backward of the second layer 1.12 -> 0.62 ms, of the first (dW only)
# 0.24 -> 0.17 ms.


def _conv3x3_forward_s1(x, W, b, Wp, OH, OW, code, alpha, y, z, keep_z):
    """y (N, O, OH*OW) = act(z), z = b + valid 3x3 stride-1 correlation of x (N, C, Hp*Wp) with
    W (O, C, 9); ``code``/``alpha`` the activation (``ACT_IDENTITY`` for a plain convolution),
    applied as each plane is copied out of the scratch rows; z (N, O, OH*OW) is written too when
    ``keep_z`` (activations whose derivative needs it).

    Thread mapping: one ``prange`` iteration per example n (it owns y[n] and its scratch rows)."""
    N, C = x.shape[0], x.shape[1]
    O = W.shape[0]
    L = (OH - 1) * Wp + OW
    s1 = Wp
    s2 = 2 * Wp
    for n in prange(N):
        acc = np.empty((3, L), dtype=y.dtype)
        r0 = acc[0]
        r1 = acc[1]
        r2 = acc[2]
        o = 0
        while o + 3 <= O:
            b0, b1, b2 = b[o], b[o + 1], b[o + 2]
            for p in range(L):
                r0[U(p)] = b0
                r1[U(p)] = b1
                r2[U(p)] = b2
            for c in range(C):
                xp = x[n, c]
                wa = W[o, c]
                wb = W[o + 1, c]
                wc = W[o + 2, c]
                for u in range(3):
                    s = u * Wp
                    a0, a1, a2 = wa[3 * u], wa[3 * u + 1], wa[3 * u + 2]
                    e0, e1, e2 = wb[3 * u], wb[3 * u + 1], wb[3 * u + 2]
                    f0, f1, f2 = wc[3 * u], wc[3 * u + 1], wc[3 * u + 2]
                    for p in range(L):
                        xa = xp[U(p + s)]
                        xb = xp[U(p + s + 1)]
                        xc = xp[U(p + s + 2)]
                        r0[U(p)] += a0 * xa + a1 * xb + a2 * xc
                        r1[U(p)] += e0 * xa + e1 * xb + e2 * xc
                        r2[U(p)] += f0 * xa + f1 * xb + f2 * xc
            for k in range(3):
                if keep_z:
                    _unwiden(acc[k], Wp, OH, OW, z[n, o + k])
                _unwiden_act(acc[k], Wp, OH, OW, code, alpha, y[n, o + k])
            o += 3
        while o < O:  # the last one or two channels: all nine taps per pass
            bo = b[o]
            for p in range(L):
                r0[U(p)] = bo
            for c in range(C):
                xp = x[n, c]
                w = W[o, c]
                w0, w1, w2, w3, w4, w5, w6, w7, w8 = (
                    w[0],
                    w[1],
                    w[2],
                    w[3],
                    w[4],
                    w[5],
                    w[6],
                    w[7],
                    w[8],
                )
                for p in range(L):
                    r0[U(p)] += (
                        w0 * xp[U(p)]
                        + w1 * xp[U(p + 1)]
                        + w2 * xp[U(p + 2)]
                        + w3 * xp[U(p + s1)]
                        + w4 * xp[U(p + s1 + 1)]
                        + w5 * xp[U(p + s1 + 2)]
                        + w6 * xp[U(p + s2)]
                        + w7 * xp[U(p + s2 + 1)]
                        + w8 * xp[U(p + s2 + 2)]
                    )
            if keep_z:
                _unwiden(r0, Wp, OH, OW, z[n, o])
            _unwiden_act(r0, Wp, OH, OW, code, alpha, y[n, o])
            o += 1


@njit(cache=True, inline="always")
def _widen_chunk(dy, n0, nb, OH, OW, Wp, Q, lead, code, alpha, za, a, gt):
    """gt (O, >= lead + nb*Q) = the tall output gradient of examples n0 .. n0+nb-1: ``lead`` zeros,
    then each example's plane at the input's width Wp (the gradient in the first OW columns of the
    first OH rows, zeros elsewhere). Every element is written once.

    With an activation (``code`` not identity) ``dy`` is the gradient of its output and the
    gradient of the convolution's output is dy * act'(z) (``za`` the pre-activations z, or the
    outputs ``a`` when the derivative can be read from them)."""
    O = dy.shape[1]
    Hp = Q // Wp
    zero = gt.dtype.type(0)
    one = gt.dtype.type(1)
    for o in range(O):
        g = gt[o]
        for k in range(lead):
            g[U(k)] = 0.0
        for j in range(nb):
            d = dy[n0 + j, o]
            base = lead + j * Q
            zr = za[n0 + j, o]
            ar = a[n0 + j, o]
            for i in range(OH):
                dst = base + i * Wp
                src = i * OW
                if code == ACT_IDENTITY:
                    for q in range(OW):
                        g[U(dst + q)] = d[U(src + q)]
                elif code == ACT_RELU:
                    for q in range(OW):
                        g[U(dst + q)] = d[U(src + q)] * (one if zr[U(src + q)] > zero else zero)
                else:
                    for q in range(OW):
                        k = src + q
                        g[U(dst + q)] = d[U(k)] * act_df(code, zr[U(k)], ar[U(k)], alpha)
                for q in range(OW, Wp):
                    g[U(dst + q)] = 0.0
            for k in range(base + OH * Wp, base + Hp * Wp):
                g[U(k)] = 0.0


@njit(cache=True, inline="always")
def _tall_chunk(x, n0, nb, xt):
    """xt (C, >= nb*Q) = the planes of examples n0 .. n0+nb-1 of x (N, C, Q), channel by channel."""
    C, Q = x.shape[1], x.shape[2]
    for c in range(C):
        d = xt[c]
        for j in range(nb):
            src = x[n0 + j, c]
            b = j * Q
            for q in range(Q):
                d[U(b + q)] = src[U(q)]


@njit(cache=True, inline="always")
def _dw_chunk(xt, gt, Wp, P, lead, dW):
    """dW (O, C, 9) += sum_{p < P} gt[o, lead + p] xt[c, p + u*Wp + v]: blocks of three output
    channels, one filter row per pass, nine register accumulators over the whole chunk."""
    C = xt.shape[0]
    O = dW.shape[0]
    z = dW.dtype.type(0)
    for o in range(0, O, 3):
        m = min(3, O - o)
        for c in range(C):
            xp = xt[c]
            for u in range(3):
                s = u * Wp
                if m == 3:
                    ga = gt[o]
                    gb = gt[o + 1]
                    gc = gt[o + 2]
                    a0, a1, a2, e0, e1, e2, f0, f1, f2 = z, z, z, z, z, z, z, z, z
                    for p in range(P):
                        xa = xp[U(p + s)]
                        xb = xp[U(p + s + 1)]
                        xc = xp[U(p + s + 2)]
                        g = ga[U(p + lead)]
                        a0 += g * xa
                        a1 += g * xb
                        a2 += g * xc
                        g = gb[U(p + lead)]
                        e0 += g * xa
                        e1 += g * xb
                        e2 += g * xc
                        g = gc[U(p + lead)]
                        f0 += g * xa
                        f1 += g * xb
                        f2 += g * xc
                    dW[o, c, 3 * u] += a0
                    dW[o, c, 3 * u + 1] += a1
                    dW[o, c, 3 * u + 2] += a2
                    dW[o + 1, c, 3 * u] += e0
                    dW[o + 1, c, 3 * u + 1] += e1
                    dW[o + 1, c, 3 * u + 2] += e2
                    dW[o + 2, c, 3 * u] += f0
                    dW[o + 2, c, 3 * u + 1] += f1
                    dW[o + 2, c, 3 * u + 2] += f2
                else:
                    for k in range(m):
                        ga = gt[o + k]
                        a0, a1, a2 = z, z, z
                        for p in range(P):
                            g = ga[U(p + lead)]
                            a0 += g * xp[U(p + s)]
                            a1 += g * xp[U(p + s + 1)]
                            a2 += g * xp[U(p + s + 2)]
                        dW[o + k, c, 3 * u] += a0
                        dW[o + k, c, 3 * u + 1] += a1
                        dW[o + k, c, 3 * u + 2] += a2


@njit(cache=True, inline="always")
def _db_chunk(gt, P, lead, db):
    """db (O,) += the sum of each output channel's tall gradient (its zeros add nothing)."""
    z = db.dtype.type(0)
    for o in range(gt.shape[0]):
        g = gt[o]
        acc = z
        for p in range(P):
            acc += g[U(p + lead)]
        db[o] += acc


@njit(cache=True, inline="always")
def _dx_chunk(gt, W, lead, Wp, n0, nb, dx):
    """dx[n] (C, Q) for the chunk's examples: dx[n, c, q] = sum_{o,u,v} W[o, c, 3u + v]
    gt[o, lead + (n - n0)*Q + q - u*Wp - v] (the full correlation as a gather: the zeros between
    planes and the ``lead`` zeros stand in for out-of-range outputs). Blocks of three input
    channels, one filter row per pass."""
    C, Q = dx.shape[1], dx.shape[2]
    O = W.shape[0]
    s1 = Wp
    s2 = 2 * Wp
    for j in range(nb):
        n = n0 + j
        base = lead + j * Q
        for c in range(0, C, 3):
            m = min(3, C - c)
            if m == 3:
                r0 = dx[n, c]
                r1 = dx[n, c + 1]
                r2 = dx[n, c + 2]
                for q in range(Q):
                    r0[U(q)] = 0.0
                    r1[U(q)] = 0.0
                    r2[U(q)] = 0.0
                for o in range(O):
                    g = gt[o]
                    wa = W[o, c]
                    wb = W[o, c + 1]
                    wc = W[o, c + 2]
                    for u in range(3):
                        s = base - u * Wp
                        a0, a1, a2 = wa[3 * u], wa[3 * u + 1], wa[3 * u + 2]
                        e0, e1, e2 = wb[3 * u], wb[3 * u + 1], wb[3 * u + 2]
                        f0, f1, f2 = wc[3 * u], wc[3 * u + 1], wc[3 * u + 2]
                        for q in range(Q):
                            k = q + s
                            ga = g[U(k)]
                            gb = g[U(k - 1)]
                            gc = g[U(k - 2)]
                            r0[U(q)] += a0 * ga + a1 * gb + a2 * gc
                            r1[U(q)] += e0 * ga + e1 * gb + e2 * gc
                            r2[U(q)] += f0 * ga + f1 * gb + f2 * gc
            else:
                for i in range(m):
                    xp = dx[n, c + i]
                    for q in range(Q):
                        xp[U(q)] = 0.0
                    for o in range(O):
                        g = gt[o]
                        w = W[o, c + i]
                        w0, w1, w2, w3, w4, w5, w6, w7, w8 = (
                            w[0],
                            w[1],
                            w[2],
                            w[3],
                            w[4],
                            w[5],
                            w[6],
                            w[7],
                            w[8],
                        )
                        for q in range(Q):
                            k = q + base
                            xp[U(q)] += (
                                w0 * g[U(k)]
                                + w1 * g[U(k - 1)]
                                + w2 * g[U(k - 2)]
                                + w3 * g[U(k - s1)]
                                + w4 * g[U(k - s1 - 1)]
                                + w5 * g[U(k - s1 - 2)]
                                + w6 * g[U(k - s2)]
                                + w7 * g[U(k - s2 - 1)]
                                + w8 * g[U(k - s2 - 2)]
                            )


def _conv3x3_backward_s1(
    x,
    dy,
    W,
    Wp,
    OH,
    OW,
    lead,
    B,
    code,
    alpha,
    za,
    a,
    do_dw,
    do_db,
    do_dx,
    gt,
    xt,
    pw,
    pb,
    dW,
    db,
    dx,
):
    """The whole backward pass of a 3x3 stride-1 convolution, chunk by chunk of ``B`` examples.

    x (N, C, Q) padded input planes, dy (N, O, OH*OW), W (O, C, 9); accumulates dW (O, C, 9) and
    db (O,) when asked and writes dx (N, C, Q) (padded planes). With an activation ``code``
    (see ``_widen_chunk``; ``za``/``a`` of dy's shape, e.g. dy itself for the identity) dy is the
    gradient of the activation's output. Per chunk: the tall output
    gradient ``gt[s]`` (O, lead + B*Q) and input ``xt[s]`` (C, B*Q) are built and used at once,
    while they sit in the core's cache, for the weight-gradient partial ``pw[s]``/``pb[s]`` and
    the chunk's dx. ``S`` slots (the first axis of the scratch arrays): one for the serial twin
    (every chunk reuses it), one per chunk for the threaded twin; the partials are added to dW and
    db in slot order at the end, so the result does not depend on the number of threads.

    Thread mapping: one ``prange`` iteration per chunk (it owns slot k and dx of its examples)."""
    N, Q = x.shape[0], x.shape[2]
    nch = (N + B - 1) // B
    S = gt.shape[0]
    pw[:] = 0.0
    pb[:] = 0.0
    for k in prange(nch):
        s = k % S
        n0 = k * B
        nb = min(B, N - n0)
        _widen_chunk(dy, n0, nb, OH, OW, Wp, Q, lead, code, alpha, za, a, gt[s])
        P = nb * Q - lead
        if do_dw:
            _tall_chunk(x, n0, nb, xt[s])
            _dw_chunk(xt[s], gt[s], Wp, P, lead, pw[s])
        if do_db:
            _db_chunk(gt[s], P, lead, pb[s])
        if do_dx:
            _dx_chunk(gt[s], W, lead, Wp, n0, nb, dx)
    for s in range(S):
        if do_dw:
            dW += pw[s]
        if do_db:
            db += pb[s]


conv3x3_forward_s1 = twin(_conv3x3_forward_s1)
conv3x3_backward_s1 = twin(_conv3x3_backward_s1)


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
    quarter = y.dtype.type(0.25)  # a bare 0.25 would turn float32 sums into float64 ones
    xf = x.reshape(N * C, H * Wd)
    yf = y.reshape(N * C, OH * OW)
    for t in prange(N * C):
        if kind == 1:  # flat planes, unsigned indices: vectorises
            xq = xf[t]
            yq = yf[t]
            for i in range(OH):
                b0 = 2 * i * Wd
                b1 = b0 + Wd
                o = i * OW
                for j in range(OW):
                    q = 2 * j
                    yq[U(o + j)] = quarter * (
                        xq[U(b0 + q)] + xq[U(b0 + q + 1)] + xq[U(b1 + q)] + xq[U(b1 + q + 1)]
                    )
        else:
            n = t // C
            c = t - n * C
            xp = x[n, c]
            yp = y[n, c]
            for i in range(OH):
                r0 = xp[2 * i]
                r1 = xp[2 * i + 1]
                yr = yp[i]
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
    quarter = dx.dtype.type(0.25)
    xf = dx.reshape(N * C, H * Wd)
    gf = dy.reshape(N * C, OH * OW)
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = dx[n, c]
        gp = dy[n, c]
        if kind == 1:  # flat planes, unsigned indices
            xq = xf[t]
            gq = gf[t]
            for i in range(OH):
                b0 = 2 * i * Wd
                b1 = b0 + Wd
                o = i * OW
                for j in range(OW):
                    v = quarter * gq[U(o + j)]
                    q = 2 * j
                    xq[U(b0 + q)] = v
                    xq[U(b0 + q + 1)] = v
                    xq[U(b1 + q)] = v
                    xq[U(b1 + q + 1)] = v
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
