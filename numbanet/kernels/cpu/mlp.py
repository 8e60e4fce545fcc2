"""A whole training epoch of a dense network in one compiled call (CPU).

For the common case (Dense layers with elementwise activations, one of the standard losses, plain
SGD or momentum SGD, with Nielsen's weight decay) the Python-level loop over minibatches costs more than the
arithmetic on Nielsen-sized nets (784-30-10, minibatch 10: about 0.5 MFLOP per step). This kernel
runs the forward pass, loss, backward pass and update of every minibatch of a chunk of the epoch
without returning to Python. It computes what the layer-by-layer path computes, up to the order
of floating-point sums (``tests/test_fused.py`` checks it):

.. math::
    z^l = a^{l-1} W^{l\\top} + b^l,\\quad a^l = \\sigma(z^l),\\quad
    \\delta^L = \\nabla_a C \\odot \\sigma'(z^L),\\quad
    \\delta^{l-1} = (\\delta^l W^l) \\odot \\sigma'(z^{l-1}),

    W^l \\leftarrow (1 - \\eta\\lambda/n) W^l - \\eta\\, \\delta^{l\\top} a^{l-1},\\qquad
    b^l \\leftarrow b^l - \\eta \\textstyle\\sum_i \\delta^l_i

(the 1/m of the minibatch mean is folded into ``delta^L``). With momentum the gradient g first
goes through the velocity, :math:`v \\leftarrow \\beta v + c\\, g` (c = 1 - beta for the slides'
EWMA form, 1 for the classical form), and the update uses v instead of g.

Two ways to do the matrix products, chosen per layer by its size (``small``, from
``config.FUSED_SMALL_MACS``):

* **small layers** (Nielsen's nets, the tiny regression nets): hand-written loops compiled with
  fastmath. The forward product is a row-times-row dot product (both rows contiguous, so LLVM
  vectorises it); the backward pass walks the rows j of W once: it first adds
  ``delta[:, j] * W[j, :]`` into the next delta (with the *old* W), then sums the gradient row
  ``sum_i delta[i, j] a[i, :]`` into a small buffer and updates ``W[j, :]`` in place. There is no
  (d_out, d_in) gradient matrix, no BLAS call overhead (a few microseconds each, which is more
  than the arithmetic of a 30x10 layer), and the input rows are read straight from ``X`` through
  the permutation instead of being gathered into a copy first;
* **large layers**: ``np.dot`` (BLAS ``gemm``, blocked and threaded), with a (d_out, d_in)
  gradient workspace.

Everything stays in the model's dtype (float32 by default): scalars arrive typed, and the
per-batch scale ``c / m`` comes precomputed from the array ``inv_m``.

Layout: all parameters live in one flat buffer (``flat``); layer l's W is
``flat[w_off[l] : w_off[l] + d_out*d_in]`` viewed as (d_out, d_in) and its b is
``flat[b_off[l] : b_off[l] + d_out]``. Workspaces are flat and sliced per layer.

Loss codes (``numbanet.codes.FusedLoss``): 0 squared error on a = act(z) (cost 1/2||a - y||^2
times ``cost_c``); 1 softmax cross-entropy from logits with integer labels; 2 sigmoid
cross-entropy from logits (per unit); 3 softmax cross-entropy from logits with probability
targets.

Both kernels also count the examples each minibatch classifies right *before* its update (the
running training accuracy that ``fit`` records, as Keras does), at no extra pass over the data.

Threads: none. A Nielsen minibatch is ~0.5 MFLOP, far below what pays for waking a second
thread; the large-layer path gets BLAS threads inside ``gemm``.

Size: over 600 lines on purpose: the fused training epoch (row-major and feature-major kernels) and
the one-call forward/backward of a dense stack share their per-layer loops.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...config import FASTMATH
from .. import scalar as S
from ..scalar import act_df, act_f, like, sigmoid, softplus


@njit(cache=True, fastmath=FASTMATH)
def _act_2d(code, z, a, al):
    """a = act(z) elementwise on 2-D arrays.

    The activation code is tested once, outside the loops: ``act_f``'s chain of ``if code ==``
    inside an elementwise loop keeps LLVM from vectorising it, which costs more than the matrix
    products on 10-unit layers. ReLU, identity and the leaky ReLU get branch-free vector loops,
    the sigmoid loses its sign branch, the others call ``act_f``.
    """
    r, c = z.shape
    if code == S.ACT_RELU:
        for i in range(r):
            for j in range(c):
                v = z[i, j]
                a[i, j] = v if v > 0 else 0.0 * v
    elif code == S.ACT_IDENTITY:
        for i in range(r):
            for j in range(c):
                a[i, j] = z[i, j]
    elif code == S.ACT_LEAKY_RELU:
        for i in range(r):
            for j in range(c):
                v = z[i, j]
                a[i, j] = v if v > 0 else al * v
    elif code == S.ACT_SIGMOID:
        # 1 / (1 + e^{-z}) without the sign branch of ``scalar.sigmoid``: for z << 0 the exp
        # overflows to inf and the quotient is the correct 0; no cancellation for either sign
        for i in range(r):
            for j in range(c):
                a[i, j] = 1.0 / (1.0 + math.exp(-z[i, j]))
    else:
        for i in range(r):
            for j in range(c):
                a[i, j] = act_f(code, z[i, j], al)


@njit(cache=True, fastmath=FASTMATH)
def _dact_2d(code, z, a, nd, al):
    """nd *= act'(z) elementwise (given also a = act(z)), the code tested outside the loops."""
    r, c = z.shape
    if code == S.ACT_IDENTITY:
        return
    if code == S.ACT_RELU:
        # times a 0/1 mask: the same values as ``nd if z > 0 else 0 * nd`` (NaN stays NaN),
        # but that select compiled to a loop 5x slower (10,240 float32: 5.1 us against 1.1)
        for i in range(r):
            for j in range(c):
                v = nd[i, j]
                nd[i, j] = v * like(1.0 if z[i, j] > 0 else 0.0, v)
    elif code == S.ACT_SIGMOID:
        for i in range(r):
            for j in range(c):
                v = a[i, j]
                nd[i, j] *= v * (1.0 - v)
    elif code == S.ACT_TANH:
        for i in range(r):
            for j in range(c):
                v = a[i, j]
                nd[i, j] *= 1.0 - v * v
    else:
        for i in range(r):
            for j in range(c):
                nd[i, j] *= act_df(code, z[i, j], a[i, j], al)


@njit(inline="always", cache=True)
def _act_row(code, z, a, j, m, al):
    """a[j, :m] = act(z[j, :m]): ``_act_2d`` on one row of the feature-major kernel, by index.

    Indexing the 2-D arrays avoids a row view (``z[j : j + 1]``) and its reference-count
    round trip per row; inlined, the loops vectorise over the row.
    """
    if code == S.ACT_RELU:
        for i in range(m):
            v = z[j, i]
            a[j, i] = v if v > 0 else like(0.0, v) * v
    elif code == S.ACT_IDENTITY:
        for i in range(m):
            a[j, i] = z[j, i]
    elif code == S.ACT_LEAKY_RELU:
        for i in range(m):
            v = z[j, i]
            a[j, i] = v if v > 0 else al * v
    elif code == S.ACT_SIGMOID:
        for i in range(m):
            a[j, i] = 1.0 / (1.0 + math.exp(-z[j, i]))
    else:
        for i in range(m):
            a[j, i] = act_f(code, z[j, i], al)


@njit(inline="always", cache=True)
def _dact_row(code, z, a, nd, q, m, al):
    """nd[q, :m] *= act'(z[q, :m]): ``_dact_2d`` on one row, by index (see ``_act_row``)."""
    if code == S.ACT_IDENTITY:
        return
    if code == S.ACT_RELU:
        for i in range(m):
            v = nd[q, i]
            nd[q, i] = v * like(1.0 if z[q, i] > 0 else 0.0, v)
    elif code == S.ACT_SIGMOID:
        for i in range(m):
            v = a[q, i]
            nd[q, i] *= v * (1.0 - v)
    elif code == S.ACT_TANH:
        for i in range(m):
            v = a[q, i]
            nd[q, i] *= 1.0 - v * v
    else:
        for i in range(m):
            nd[q, i] *= act_df(code, z[q, i], a[q, i], al)


@njit(inline="always", cache=True)
def _combine_row(out, r, C, src, m, base):
    """out[r, :m] = base + sum_k C[r, k] src[k, :m]: one row of the feature-major kernel's
    products (forward: C = W, src = a^T of the layer below, base = b_r; next delta: C = W^T,
    src = delta^T, base = 0).

    A row of out is written in as few passes as possible: the first pass takes up to eight
    terms and the base and only stores, later passes take four, two, then one term. Each
    pass is a loop over the m examples that LLVM vectorises, with the coefficients in
    registers: 8 terms cost 9 loads and a store per 8 multiply-adds, where a term per pass
    would cost 2 loads and a store per multiply-add. (1-10x5-1 net, batch 256, one core,
    other jobs stopped: 19.7 us per training step with a first pass of four terms, 17.4 with
    one of eight.)
    """
    n = C.shape[1]
    k = 0
    if n >= 8:
        c0, c1, c2, c3 = C[r, 0], C[r, 1], C[r, 2], C[r, 3]
        c4, c5, c6, c7 = C[r, 4], C[r, 5], C[r, 6], C[r, 7]
        for i in range(m):
            out[r, i] = base + (
                (c0 * src[0, i] + c1 * src[1, i] + c2 * src[2, i] + c3 * src[3, i])
                + (c4 * src[4, i] + c5 * src[5, i] + c6 * src[6, i] + c7 * src[7, i])
            )
        k = 8
    elif n >= 4:
        c0, c1, c2, c3 = C[r, 0], C[r, 1], C[r, 2], C[r, 3]
        for i in range(m):
            out[r, i] = base + (c0 * src[0, i] + c1 * src[1, i] + c2 * src[2, i] + c3 * src[3, i])
        k = 4
    else:
        for i in range(m):
            out[r, i] = base
    while k + 4 <= n:
        c0, c1, c2, c3 = C[r, k], C[r, k + 1], C[r, k + 2], C[r, k + 3]
        for i in range(m):
            out[r, i] += (
                c0 * src[k, i] + c1 * src[k + 1, i] + c2 * src[k + 2, i] + c3 * src[k + 3, i]
            )
        k += 4
    if k + 2 <= n:
        c0, c1 = C[r, k], C[r, k + 1]
        for i in range(m):
            out[r, i] += c0 * src[k, i] + c1 * src[k + 1, i]
        k += 2
    if k < n:
        c0 = C[r, k]
        for i in range(m):
            out[r, i] += c0 * src[k, i]


@njit(cache=True, fastmath=FASTMATH)
def _forward_small(src, rows, roff, m, W, b, z, a, code, al, zero):
    """z[i] = src[rows[roff + i]] W^T + b; a = act(z).

    Register blocks of the product: four input rows by two rows of W, so each pass over q
    loads six values for eight multiply-adds (eight independent sums, which also hides the
    latency of the fused multiply-add); the last rows of a batch that is not a multiple of four
    go two rows by four rows of W, then one by four. The input rows stay in L1 while W streams
    past.
    """
    dout, din = W.shape
    i = 0
    while i + 4 <= m:
        r0 = rows[roff + i]
        r1 = rows[roff + i + 1]
        r2 = rows[roff + i + 2]
        r3 = rows[roff + i + 3]
        j = 0
        while j + 2 <= dout:
            s0 = zero
            s1 = zero
            s2 = zero
            s3 = zero
            t0 = zero
            t1 = zero
            t2 = zero
            t3 = zero
            for q in range(din):
                w0 = W[j, q]
                w1 = W[j + 1, q]
                x0 = src[r0, q]
                x1 = src[r1, q]
                x2 = src[r2, q]
                x3 = src[r3, q]
                s0 += x0 * w0
                s1 += x1 * w0
                s2 += x2 * w0
                s3 += x3 * w0
                t0 += x0 * w1
                t1 += x1 * w1
                t2 += x2 * w1
                t3 += x3 * w1
            z[i, j] = s0 + b[j]
            z[i + 1, j] = s1 + b[j]
            z[i + 2, j] = s2 + b[j]
            z[i + 3, j] = s3 + b[j]
            z[i, j + 1] = t0 + b[j + 1]
            z[i + 1, j + 1] = t1 + b[j + 1]
            z[i + 2, j + 1] = t2 + b[j + 1]
            z[i + 3, j + 1] = t3 + b[j + 1]
            j += 2
        if j < dout:
            s0 = zero
            s1 = zero
            s2 = zero
            s3 = zero
            for q in range(din):
                wq = W[j, q]
                s0 += src[r0, q] * wq
                s1 += src[r1, q] * wq
                s2 += src[r2, q] * wq
                s3 += src[r3, q] * wq
            z[i, j] = s0 + b[j]
            z[i + 1, j] = s1 + b[j]
            z[i + 2, j] = s2 + b[j]
            z[i + 3, j] = s3 + b[j]
        i += 4
    while i < m:  # one or two rows left (or three): rows by four rows of W
        r0 = rows[roff + i]
        two = i + 2 <= m
        r1 = rows[roff + i + 1] if two else r0
        j = 0
        while j + 4 <= dout:
            s0 = zero
            s1 = zero
            s2 = zero
            s3 = zero
            t0 = zero
            t1 = zero
            t2 = zero
            t3 = zero
            for q in range(din):
                x0 = src[r0, q]
                x1 = src[r1, q]
                w0 = W[j, q]
                w1 = W[j + 1, q]
                w2 = W[j + 2, q]
                w3 = W[j + 3, q]
                s0 += x0 * w0
                s1 += x0 * w1
                s2 += x0 * w2
                s3 += x0 * w3
                t0 += x1 * w0
                t1 += x1 * w1
                t2 += x1 * w2
                t3 += x1 * w3
            z[i, j] = s0 + b[j]
            z[i, j + 1] = s1 + b[j + 1]
            z[i, j + 2] = s2 + b[j + 2]
            z[i, j + 3] = s3 + b[j + 3]
            if two:
                z[i + 1, j] = t0 + b[j]
                z[i + 1, j + 1] = t1 + b[j + 1]
                z[i + 1, j + 2] = t2 + b[j + 2]
                z[i + 1, j + 3] = t3 + b[j + 3]
            j += 4
        while j < dout:
            s0 = zero
            t0 = zero
            for q in range(din):
                wq = W[j, q]
                s0 += src[r0, q] * wq
                t0 += src[r1, q] * wq
            z[i, j] = s0 + b[j]
            if two:
                z[i + 1, j] = t0 + b[j]
            j += 1
        i += 2 if two else 1
    _act_2d(code, z, a, al)


@njit(cache=True, fastmath=FASTMATH)
def _forward_blas(src, rows, roff, m, W, b, z, a, code, al, xg):
    """The same with ``gemm``; layer 0 first gathers its rows into ``xg``."""
    dout, din = W.shape
    if rows.shape[0] != 0:
        x = xg[: m * din].reshape(m, din)
        for i in range(m):
            x[i, :] = src[rows[roff + i], :]
    else:
        x = src
    np.dot(x, W.T, z)
    for i in range(m):
        for j in range(dout):
            z[i, j] += b[j]
    _act_2d(code, z, a, al)


@njit(cache=True, fastmath=FASTMATH)
def _update_one(W, mW, j, q, g, lr, decay, beta, damp, use_mom):
    """One weight W[j, q] (and its velocity mW[j, q])."""
    if use_mom:
        g = beta * mW[j, q] + damp * g
        mW[j, q] = g
    W[j, q] = decay * W[j, q] - lr * g


@njit(cache=True, fastmath=FASTMATH)
def _update_bias(b, mb, j, gb, lr, beta, damp, use_mom):
    """The same for one bias (no decay)."""
    if use_mom:
        v = beta * mb[j] + damp * gb
        mb[j] = v
        b[j] -= lr * v
    else:
        b[j] -= lr * gb


@njit(cache=True, fastmath=FASTMATH)
def _backward_small(
    src, rows, roff, m, W, b, delta, nd, need_nd, lr, decay, grow, zero, mW, mb, beta, damp, mom
):
    """Next delta (before the update) and the in-place SGD update of W and b, row j at a time.

    nd[i, :] += delta[i, j] W[j, :]   (old W[j, :]),
    W[j, :] <- decay W[j, :] - lr sum_i delta[i, j] src[row_i, :],   b[j] -= lr sum_i delta[i, j].

    The gradient row sum_i delta[i, j] src[row_i, :] is built in ``grow`` eight (or four)
    input rows per pass (``_gradient_rows``: eight multiply-adds per load and store of
    ``grow``), the first pass storing instead of adding to zeros; the last one to four rows are
    added in the pass that updates W[j, :]. 784-30-10 at batch 10: a pass of eight, then the
    last two with the update, where before two passes of four, two passes of one row and an
    update pass went over the 784 entries of the row.
    """
    dout, din = W.shape
    if need_nd:
        for i in range(m):
            for q in range(din):
                nd[i, q] = zero
    g = grow[:din]
    for j in range(dout):
        # 2-D indexing throughout (no row views: each view costs a reference-count round trip)
        if need_nd:
            for i in range(m):
                d = delta[i, j]
                for q in range(din):
                    nd[i, q] += d * W[j, q]
        gb = zero
        for i in range(m):
            gb += delta[i, j]
        # the gradient row in passes of eight input rows, then four, two, one: the first pass
        # stores (no zeroing pass), the last one is fused with the update of W[j, :]
        i = 0
        first = True
        while m - i > 4:  # passes that leave one to four rows for the last one
            k = 8 if m - i > 8 else 4
            _gradient_rows(g, src, rows, roff, i, k, delta, j, din, first, zero)
            first = False
            i += k
        # the last one to four rows, added to the row built so far, and the update
        r0 = rows[roff + i]
        r1 = rows[roff + min(i + 1, m - 1)]
        r2 = rows[roff + min(i + 2, m - 1)]
        r3 = rows[roff + min(i + 3, m - 1)]
        d0 = delta[i, j]
        d1 = delta[i + 1, j] if i + 1 < m else zero
        d2 = delta[i + 2, j] if i + 2 < m else zero
        d3 = delta[i + 3, j] if i + 3 < m else zero
        if first:
            for q in range(din):
                g[q] = zero
        if mom:
            for q in range(din):
                u = g[q] + (d0 * src[r0, q] + d1 * src[r1, q]) + (d2 * src[r2, q] + d3 * src[r3, q])
                v = beta * mW[j, q] + damp * u
                mW[j, q] = v
                W[j, q] = decay * W[j, q] - lr * v
        else:
            for q in range(din):
                u = g[q] + (d0 * src[r0, q] + d1 * src[r1, q]) + (d2 * src[r2, q] + d3 * src[r3, q])
                W[j, q] = decay * W[j, q] - lr * u
        _update_bias(b, mb, j, gb, lr, beta, damp, mom)


@njit(inline="always", cache=True)
def _gradient_rows(g, src, rows, roff, i, k, delta, j, din, first, zero):
    """g[:din] (= if ``first``, else +=) sum over k = 8 or 4 input rows from i of
    delta[i', j] src[rows[roff + i'], :]: a pass of ``_backward_small``'s gradient row."""
    r0 = rows[roff + i]
    r1 = rows[roff + i + 1]
    r2 = rows[roff + i + 2]
    d0 = delta[i, j]
    d1 = delta[i + 1, j]
    d2 = delta[i + 2, j]
    if k == 8:
        r3 = rows[roff + i + 3]
        r4 = rows[roff + i + 4]
        r5 = rows[roff + i + 5]
        r6 = rows[roff + i + 6]
        r7 = rows[roff + i + 7]
        d3 = delta[i + 3, j]
        d4 = delta[i + 4, j]
        d5 = delta[i + 5, j]
        d6 = delta[i + 6, j]
        d7 = delta[i + 7, j]
        for q in range(din):
            u = (
                (d0 * src[r0, q] + d1 * src[r1, q])
                + (d2 * src[r2, q] + d3 * src[r3, q])
                + ((d4 * src[r4, q] + d5 * src[r5, q]) + (d6 * src[r6, q] + d7 * src[r7, q]))
            )
            g[q] = u if first else g[q] + u
    else:
        r3 = rows[roff + i + 3]
        d3 = delta[i + 3, j]
        for q in range(din):
            u = (d0 * src[r0, q] + d1 * src[r1, q]) + (d2 * src[r2, q] + d3 * src[r3, q])
            g[q] = u if first else g[q] + u


@njit(cache=True, fastmath=FASTMATH)
def _backward_blas(x, m, W, b, delta, nd, need_nd, lr, decay, gW, zero, mW, mb, beta, damp, mom):
    """The same with ``gemm``: gW = delta^T x, nd = delta W, then the update."""
    dout, din = W.shape
    np.dot(delta.T, x, gW)
    if need_nd:
        np.dot(delta, W, nd)  # uses W before its update
    for j in range(dout):
        gb = zero
        for i in range(m):
            gb += delta[i, j]
        if mom:
            for q in range(din):
                v = beta * mW[j, q] + damp * gW[j, q]
                mW[j, q] = v
                W[j, q] = decay * W[j, q] - lr * v
        else:
            for q in range(din):
                W[j, q] = decay * W[j, q] - lr * gW[j, q]
        _update_bias(b, mb, j, gb, lr, beta, damp, mom)


@njit(cache=True, fastmath=FASTMATH)
def _output_delta(T, labels, perm, s, m, z, a, delta, loss_kind, cost_c, sc, code, al):
    """delta^L = sc * dC/dz for the minibatch; returns the summed cost (float64)."""
    k = z.shape[1]
    total = 0.0
    for i in range(m):
        row = perm[s + i]
        if loss_kind == 0:
            for j in range(k):
                d = a[i, j] - T[row, j]
                total += cost_c * 0.5 * d * d
                delta[i, j] = sc * d * act_df(code, z[i, j], a[i, j], al)
        elif loss_kind == 2:
            for j in range(k):
                v = z[i, j]
                t = T[row, j]
                total += cost_c * (softplus(v) - t * v)
                delta[i, j] = sc * (sigmoid(v) - t)
        else:
            mx = z[i, 0]
            for j in range(1, k):
                mx = max(mx, z[i, j])
            ssum = 0.0
            for j in range(k):
                ssum += math.exp(z[i, j] - mx)
            lse = mx + math.log(ssum)
            if loss_kind == 1:
                y = labels[row]
                total += lse - z[i, y]
                for j in range(k):
                    g = math.exp(z[i, j] - lse)
                    if j == y:
                        g -= 1.0
                    delta[i, j] = sc * g
            else:
                tsum = 0.0
                for j in range(k):
                    t = T[row, j]
                    total += t * (lse - z[i, j])
                    tsum += t
                for j in range(k):
                    delta[i, j] = sc * (math.exp(z[i, j] - lse) * tsum - T[row, j])
    return total


@njit(cache=True)
def _hits(out, acc_labels, perm, s, m, thr):
    """How many of the minibatch's examples the outputs ``out`` (m, k) classify right: the
    largest output for k > 1, ``out > thr`` for a single output (``thr`` is 0.5 on a
    probability, 0 on a logit). 0 when ``acc_labels`` is empty (no class labels)."""
    if acc_labels.shape[0] == 0:
        return 0
    k = out.shape[1]
    hits = 0
    for i in range(m):
        if k == 1:
            pred = 1 if out[i, 0] > thr else 0
        else:
            pred = 0
            best = out[i, 0]
            for j in range(1, k):
                if out[i, j] > best:
                    best = out[i, j]
                    pred = j
        if pred == acc_labels[perm[s + i]]:
            hits += 1
    return hits


@njit(cache=True, fastmath=FASTMATH)
def mlp_sgd_chunk(
    X,
    T,
    labels,
    perm,
    start,
    stop,
    bs,
    flat,
    w_off,
    b_off,
    sizes,
    acts,
    alphas,
    small,
    loss_kind,
    cost_c,
    inv_m,
    lr,
    decay_w,
    zws,
    aws,
    dws,
    grow,
    xg,
    gW,
    ident,
    mflat,
    beta,
    damp,
    mom,
    acc_labels,
):
    """Train on examples perm[start:stop] in minibatches of ``bs``; return the summed cost and
    the number of examples classified right before their minibatch's update.

    Parameters
    ----------
    X : ndarray of shape (n, d_0), C-contiguous
    T : ndarray of shape (n, k) (float targets) or (1, 1) when ``labels`` are used
    labels : int64 ndarray of shape (n,) or (1,)
    perm : int64 ndarray of shape (n,)
        The epoch's order of the examples.
    flat : the model's flat parameter buffer, updated in place
    w_off, b_off, sizes, acts, alphas, small : per-layer offsets, widths (L + 1), activation
        codes, activation parameters and the small-loop flags
    inv_m : ndarray of shape (bs + 1,), inv_m[m] = cost_c / m in the model's dtype
    lr, decay_w : learning rate and weight-decay factor (model dtype)
    zws, aws, dws, grow, xg, gW : workspaces (see ``numbanet.backends._fused_ops.FusedDensePlan``)
    ident : int64 ndarray ``arange(bs)``, the row map of the hidden layers' activations
    mflat, beta, damp, mom : momentum velocities laid out like ``flat``, the momentum beta,
        the gradient's factor (1 - beta for the EWMA form, 1 classical) and whether to use them
        (when False the update is plain SGD and ``mflat`` is never touched)
    acc_labels : int64 ndarray of shape (n,), or empty
        Class labels for the running training accuracy (``_hits``); empty skips the count.
    """
    L = sizes.shape[0] - 1
    zero = lr - lr
    none = perm[:0]
    total = 0.0
    hits = 0
    thr = 0.5 if loss_kind == 0 else 0.0
    s = start
    while s < stop:
        e = min(s + bs, stop)
        m = e - s
        sc = inv_m[m]
        # ---------------- forward
        zo = 0
        for l in range(L):
            din = sizes[l]
            dout = sizes[l + 1]
            W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            b = flat[b_off[l] : b_off[l] + dout]
            z = zws[zo : zo + m * dout].reshape(m, dout)
            a = aws[zo : zo + m * dout].reshape(m, dout)
            if l == 0:
                if small[l]:
                    _forward_small(X, perm, s, m, W, b, z, a, acts[l], alphas[l], zero)
                else:
                    _forward_blas(X, perm, s, m, W, b, z, a, acts[l], alphas[l], xg)
            else:
                src = aws[zo - m * din : zo].reshape(m, din)
                if small[l]:
                    _forward_small(src, ident, 0, m, W, b, z, a, acts[l], alphas[l], zero)
                else:
                    _forward_blas(src, none, 0, m, W, b, z, a, acts[l], alphas[l], xg)
            zo += m * dout
        # ---------------- loss and output error delta^L
        k = sizes[L]
        zo -= m * k
        z = zws[zo : zo + m * k].reshape(m, k)
        a = aws[zo : zo + m * k].reshape(m, k)
        delta = dws[0, : m * k].reshape(m, k)
        total += _output_delta(
            T, labels, perm, s, m, z, a, delta, loss_kind, cost_c, sc, acts[L - 1], alphas[L - 1]
        )
        hits += _hits(a if loss_kind == 0 else z, acc_labels, perm, s, m, thr)
        # ---------------- backward and update, last layer first
        cur = 0
        for l in range(L - 1, -1, -1):
            din = sizes[l]
            dout = sizes[l + 1]
            delta = dws[cur, : m * dout].reshape(m, dout)
            W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            b = flat[b_off[l] : b_off[l] + dout]
            mW = mflat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            mb = mflat[b_off[l] : b_off[l] + dout]
            nd = dws[1 - cur, : m * din].reshape(m, din)
            need = l > 0
            if small[l]:
                if l == 0:
                    _backward_small(
                        X,
                        perm,
                        s,
                        m,
                        W,
                        b,
                        delta,
                        nd,
                        need,
                        lr,
                        decay_w,
                        grow,
                        zero,
                        mW,
                        mb,
                        beta,
                        damp,
                        mom,
                    )
                else:
                    ap = aws[zo - m * din : zo].reshape(m, din)
                    _backward_small(
                        ap,
                        ident,
                        0,
                        m,
                        W,
                        b,
                        delta,
                        nd,
                        need,
                        lr,
                        decay_w,
                        grow,
                        zero,
                        mW,
                        mb,
                        beta,
                        damp,
                        mom,
                    )
            else:
                if l == 0:
                    x = xg[: m * din].reshape(m, din)
                    if small[0]:  # not gathered by the forward pass
                        for i in range(m):
                            x[i, :] = X[perm[s + i], :]
                else:
                    x = aws[zo - m * din : zo].reshape(m, din)
                gw = gW[: dout * din].reshape(dout, din)
                _backward_blas(
                    x, m, W, b, delta, nd, need, lr, decay_w, gw, zero, mW, mb, beta, damp, mom
                )
            if need:
                zp = zws[zo - m * din : zo].reshape(m, din)
                ap = aws[zo - m * din : zo].reshape(m, din)
                _dact_2d(acts[l - 1], zp, ap, nd, alphas[l - 1])
                zo -= m * din
            cur = 1 - cur
        s = e
    return total, hits


@njit(cache=True, fastmath=FASTMATH)
def mlp_sgd_chunk_narrow(
    X,
    T,
    labels,
    perm,
    start,
    stop,
    bs,
    flat,
    w_off,
    b_off,
    sizes,
    acts,
    alphas,
    loss_kind,
    cost_c,
    inv_m,
    lr,
    decay_w,
    zws,
    aws,
    dws,
    mflat,
    beta,
    damp,
    mom,
    acc_labels,
):
    r"""``mlp_sgd_chunk`` for narrow nets (every width <= ``config.FUSED_NARROW_MAX_WIDTH``), feature-major.

    With 10-unit layers a row-major dot product has only 10 terms: too short to vectorise, and
    a chain of dependent multiply-adds. Here every activation is stored transposed, (d, m), so
    the long axis is the minibatch and every inner loop runs over m contiguous examples:

    .. math::
        z^\top_{j,:} = b_j + \sum_q W_{jq}\, a^\top_{q,:},\qquad
        (\delta^{l-1})^\top_{q,:} = \sum_j W_{jq}\, (\delta^l)^\top_{j,:},\qquad
        \frac{\partial C}{\partial W_{jq}} = \langle (\delta^l)^\top_{j,:},
        a^\top_{q,:}\rangle .

    The first two are axpys over m independent examples (``_combine_row``: a few passes per
    row, up to eight terms each, then the activation or its derivative while the row is still
    in L1); the third is a long dot product. The input rows are gathered transposed once per
    minibatch (d_0 is small here). W[j, :] is updated after every next-delta row has used the
    old values.

    Workspaces: ``zws``/``aws`` hold z^T, a^T of each layer (the input x^T first in ``aws``),
    ``dws`` (2, width * bs) the two deltas.
    """
    L = sizes.shape[0] - 1
    zero = lr - lr
    total = 0.0
    hits = 0
    thr = 0.5 if loss_kind == 0 else 0.0
    s = start
    n_in = sizes[0]
    while s < stop:
        e = min(s + bs, stop)
        m = e - s
        sc = inv_m[m]
        # ---------------- input, transposed: x^T (d_0, m) at the start of aws
        xT = aws[: n_in * m].reshape(n_in, m)
        for i in range(m):
            r = perm[s + i]
            for q in range(n_in):
                xT[q, i] = X[r, q]
        # ---------------- forward
        ao = n_in * m  # offset of this layer's a^T in aws
        po = 0  # offset of the previous layer's a^T
        for l in range(L):
            din = sizes[l]
            dout = sizes[l + 1]
            W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            b = flat[b_off[l] : b_off[l] + dout]
            prev = aws[po : po + din * m].reshape(din, m)
            zT = zws[ao : ao + dout * m].reshape(dout, m)
            aT = aws[ao : ao + dout * m].reshape(dout, m)
            code = acts[l]
            al = alphas[l]
            for j in range(dout):
                _combine_row(zT, j, W, prev, m, b[j])
                _act_row(code, zT, aT, j, m, al)  # while the row is in L1
            po = ao
            ao += dout * m
        # ---------------- loss and delta^L (k, m)
        k = sizes[L]
        zT = zws[po : po + k * m].reshape(k, m)
        aT = aws[po : po + k * m].reshape(k, m)
        dT = dws[0, : k * m].reshape(k, m)
        code = acts[L - 1]
        al = alphas[L - 1]
        if loss_kind == 0:  # unit by unit, vectorised over the minibatch; then act'(z)
            for j in range(k):
                for i in range(m):
                    d = aT[j, i] - T[perm[s + i], j]
                    total += cost_c * 0.5 * d * d
                    dT[j, i] = sc * d
            _dact_2d(code, zT, aT, dT, al)
        for i in range(m):
            row = perm[s + i]
            if loss_kind == 0:
                break
            elif loss_kind == 2:
                for j in range(k):
                    v = zT[j, i]
                    t = T[row, j]
                    total += cost_c * (softplus(v) - t * v)
                    dT[j, i] = sc * (sigmoid(v) - t)
            else:
                mx = zT[0, i]
                for j in range(1, k):
                    mx = max(mx, zT[j, i])
                ssum = 0.0
                for j in range(k):
                    ssum += math.exp(zT[j, i] - mx)
                lse = mx + math.log(ssum)
                if loss_kind == 1:
                    y = labels[row]
                    total += lse - zT[y, i]
                    for j in range(k):
                        g = math.exp(zT[j, i] - lse)
                        if j == y:
                            g -= 1.0
                        dT[j, i] = sc * g
                else:
                    tsum = 0.0
                    for j in range(k):
                        t = T[row, j]
                        total += t * (lse - zT[j, i])
                        tsum += t
                    for j in range(k):
                        dT[j, i] = sc * (math.exp(zT[j, i] - lse) * tsum - T[row, j])
        hits += _hits(aT.T if loss_kind == 0 else zT.T, acc_labels, perm, s, m, thr)
        # ---------------- backward and update
        cur = 0
        for l in range(L - 1, -1, -1):
            din = sizes[l]
            dout = sizes[l + 1]
            ao = po
            po = ao - din * m if l > 0 else 0
            W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            b = flat[b_off[l] : b_off[l] + dout]
            mW = mflat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            mb = mflat[b_off[l] : b_off[l] + dout]
            dT = dws[cur, : dout * m].reshape(dout, m)
            prev = aws[po : po + din * m].reshape(din, m)
            ndT = dws[1 - cur, : din * m].reshape(din, m)
            if l > 0:  # next delta from the old W, row by row, and times act'(z) at once
                zp = zws[po : po + din * m].reshape(din, m)
                Wt = W.T
                for q in range(din):
                    _combine_row(ndT, q, Wt, dT, m, zero)
                    _dact_row(acts[l - 1], zp, prev, ndT, q, m, alphas[l - 1])
            for j in range(dout):  # gradient dots, four inputs per pass, and the update
                gb = zero
                for i in range(m):
                    gb += dT[j, i]
                q = 0
                while q + 4 <= din:
                    g0 = zero
                    g1 = zero
                    g2 = zero
                    g3 = zero
                    for i in range(m):
                        di = dT[j, i]
                        g0 += di * prev[q, i]
                        g1 += di * prev[q + 1, i]
                        g2 += di * prev[q + 2, i]
                        g3 += di * prev[q + 3, i]
                    _update_one(W, mW, j, q, g0, lr, decay_w, beta, damp, mom)
                    _update_one(W, mW, j, q + 1, g1, lr, decay_w, beta, damp, mom)
                    _update_one(W, mW, j, q + 2, g2, lr, decay_w, beta, damp, mom)
                    _update_one(W, mW, j, q + 3, g3, lr, decay_w, beta, damp, mom)
                    q += 4
                if q + 2 <= din:
                    g0 = zero
                    g1 = zero
                    for i in range(m):
                        di = dT[j, i]
                        g0 += di * prev[q, i]
                        g1 += di * prev[q + 1, i]
                    _update_one(W, mW, j, q, g0, lr, decay_w, beta, damp, mom)
                    _update_one(W, mW, j, q + 1, g1, lr, decay_w, beta, damp, mom)
                    q += 2
                if q < din:
                    g0 = zero
                    for i in range(m):
                        g0 += dT[j, i] * prev[q, i]
                    _update_one(W, mW, j, q, g0, lr, decay_w, beta, damp, mom)
                _update_bias(b, mb, j, gb, lr, beta, damp, mom)
            cur = 1 - cur
        s = e
    return total, hits


@njit(cache=True)
def mlp_sgd_epochs(
    X,
    T,
    labels,
    perms,
    start,
    stop,
    bs,
    flat,
    w_off,
    b_off,
    sizes,
    acts,
    alphas,
    narrow,
    small,
    loss_kind,
    cost_c,
    inv_m,
    lr,
    decay_w,
    zws,
    aws,
    dws,
    grow,
    xg,
    gW,
    ident,
    mflat,
    beta,
    damp,
    mom,
    acc_labels,
    check_finite,
    saved,
    totals,
    hits,
):
    """``totals.shape[0]`` epochs in one call: epoch e trains on ``perms[e, start:stop]`` (or
    on ``perms[0, start:stop]`` every epoch when ``perms`` has one row) with
    ``mlp_sgd_chunk_narrow`` when ``narrow``, else ``mlp_sgd_chunk`` (the other arguments are
    theirs), and writes its summed cost to ``totals[e]`` and its right answers to ``hits[e]``.

    This is the only entry to the two epoch kernels (``fit`` calls it for one epoch, or one
    chunk of an epoch, at a time when it needs Python between epochs), so one epoch computes
    bit for bit the same whether it runs alone or among many.

    With ``check_finite``, the parameters are copied into ``saved`` before each epoch, and the
    first epoch whose summed cost is not finite (NaN or infinite: the training diverged) puts
    them back and ends the call, as ``fit`` rolls back a diverged epoch. Momentum velocities
    are not rolled back (neither are they on the epoch-by-epoch path).

    Returns the number of epochs run: ``totals.shape[0]``, or the (1-based) diverged one.
    """
    n_epochs = totals.shape[0]
    for e in range(n_epochs):
        perm = perms[e] if perms.shape[0] > 1 else perms[0]
        if check_finite:
            saved[:] = flat
        # the momentum flag as a constant: each call site compiles a kernel without the other
        # update's branches (with the flag a run-time value the tiny net's step took 25.4 us
        # instead of 22.0)
        if narrow and mom:
            t, h = mlp_sgd_chunk_narrow(
                X, T, labels, perm, start, stop, bs, flat, w_off, b_off, sizes, acts, alphas,
                loss_kind, cost_c, inv_m, lr, decay_w, zws, aws, dws, mflat, beta, damp, True,
                acc_labels,
            )  # fmt: skip
        elif narrow:
            t, h = mlp_sgd_chunk_narrow(
                X, T, labels, perm, start, stop, bs, flat, w_off, b_off, sizes, acts, alphas,
                loss_kind, cost_c, inv_m, lr, decay_w, zws, aws, dws, mflat, beta, damp, False,
                acc_labels,
            )  # fmt: skip
        else:
            t, h = mlp_sgd_chunk(
                X, T, labels, perm, start, stop, bs, flat, w_off, b_off, sizes, acts, alphas,
                small, loss_kind, cost_c, inv_m, lr, decay_w, zws, aws, dws, grow, xg, gW, ident,
                mflat, beta, damp, mom, acc_labels,
            )  # fmt: skip
        totals[e] = t
        hits[e] = h
        if check_finite and not math.isfinite(t):
            flat[:] = saved
            return e + 1
    return n_epochs


# ------------------------------------------------------------------------------------------
# The forward and backward passes of a dense stack, one compiled call each (Sequential.forward
# and Sequential.backward on the CPU backend, and fit's layer-by-layer path for optimisers the
# fused epoch does not know). The same loops as the fused epoch, without the update: parameter
# gradients *accumulate* into the model's flat gradient buffer, as every layer's backward does.
# ------------------------------------------------------------------------------------------


@njit(cache=True, fastmath=FASTMATH)
def mlp_forward(X, flat, w_off, b_off, sizes, acts, alphas, small, zws, aws, ident, xg):
    """z^l = a^{l-1} W^{l T} + b^l and a^l = act_l(z^l) for l = 1..L, a^0 = X (m, d_0).

    z^l and a^l of every layer are kept in ``zws``/``aws`` (layer after layer, m * d_l each)
    for ``mlp_backward``; the output is the last m * d_L entries of ``aws``.
    """
    m = X.shape[0]
    L = sizes.shape[0] - 1
    zero = flat[0] - flat[0]
    none = ident[:0]
    zo = 0
    for l in range(L):
        din = sizes[l]
        dout = sizes[l + 1]
        W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
        b = flat[b_off[l] : b_off[l] + dout]
        z = zws[zo : zo + m * dout].reshape(m, dout)
        a = aws[zo : zo + m * dout].reshape(m, dout)
        src = X if l == 0 else aws[zo - m * din : zo].reshape(m, din)
        if small[l]:
            _forward_small(src, ident, 0, m, W, b, z, a, acts[l], alphas[l], zero)
        else:
            _forward_blas(src, none, 0, m, W, b, z, a, acts[l], alphas[l], xg)
        zo += m * dout


@njit(cache=True, fastmath=FASTMATH)
def _accumulate_rows(C, R, out, n_out, n_k, din):
    """out[r, :din] += sum_k C[r, k] R[k, :din] for r < n_out: the small-batch products of the
    backward pass, both of them:

    * the weight gradient gW += delta^T src (C = delta^T, R = the layer's input rows);
    * the next delta or dx, nd = delta W (C = delta, R = W; nd zeroed first).

    Two rows of ``out`` per pass, four terms k per pass over them: each load of R[k, q] feeds
    two multiply-adds and each load and store of an ``out`` entry four (before: a load and a
    store per multiply-add). 784-30-10 at batch 10, layer 1: weight gradient 12.5 -> 10 us,
    dx 12.5 -> 9 us (time.process_time on the loaded 2-core machine)."""
    r = 0
    while r + 2 <= n_out:
        k = 0
        while k + 4 <= n_k:
            a0 = C[r, k]
            a1 = C[r, k + 1]
            a2 = C[r, k + 2]
            a3 = C[r, k + 3]
            b0 = C[r + 1, k]
            b1 = C[r + 1, k + 1]
            b2 = C[r + 1, k + 2]
            b3 = C[r + 1, k + 3]
            for q in range(din):
                s0 = R[k, q]
                s1 = R[k + 1, q]
                s2 = R[k + 2, q]
                s3 = R[k + 3, q]
                out[r, q] += a0 * s0 + a1 * s1 + a2 * s2 + a3 * s3
                out[r + 1, q] += b0 * s0 + b1 * s1 + b2 * s2 + b3 * s3
            k += 4
        while k < n_k:
            a0 = C[r, k]
            b0 = C[r + 1, k]
            for q in range(din):
                out[r, q] += a0 * R[k, q]
                out[r + 1, q] += b0 * R[k, q]
            k += 1
        r += 2
    if r < n_out:  # the last row of an odd count
        k = 0
        while k + 4 <= n_k:
            a0 = C[r, k]
            a1 = C[r, k + 1]
            a2 = C[r, k + 2]
            a3 = C[r, k + 3]
            for q in range(din):
                out[r, q] += a0 * R[k, q] + a1 * R[k + 1, q] + a2 * R[k + 2, q] + a3 * R[k + 3, q]
            k += 4
        while k < n_k:
            a0 = C[r, k]
            for q in range(din):
                out[r, q] += a0 * R[k, q]
            k += 1


@njit(inline="always", cache=True)
def _layer_views(flat, grad, w_off, b_off, l, dout, din):
    """W^l (d_out, d_in), its gradient and the gradient of b^l: views of the flat buffers."""
    W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
    gW = grad[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
    return W, gW, grad[b_off[l] : b_off[l] + dout]


@njit(inline="always", cache=True)
def _delta_from_grad(g_out, dbuf, zbuf, abuf, code, al, transposed):
    """delta^L = g_out * act'(z^L) into ``dbuf``, as (m, k) or, ``transposed``, (k, m) (the
    feature-major kernels); ``zbuf``/``abuf`` hold z^L, a^L in the same layout."""
    m, k = g_out.shape
    shape = (k, m) if transposed else (m, k)
    d = dbuf.reshape(shape)
    for i in range(m):
        for j in range(k):
            if transposed:
                d[j, i] = g_out[i, j]
            else:
                d[i, j] = g_out[i, j]
    _dact_2d(code, zbuf.reshape(shape), abuf.reshape(shape), d, al)


@njit(cache=True, fastmath=FASTMATH)
def mlp_backward(
    X,
    g_out,
    flat,
    grad,
    w_off,
    b_off,
    sizes,
    acts,
    alphas,
    small,
    zws,
    aws,
    dws,
    gtmp,
    dx,
    need_dx,
):
    r"""Backpropagate d(loss)/d(a^L) = ``g_out`` (m, d_L) through the stack of the last
    ``mlp_forward``:

    .. math::
        \delta^L = g \odot \sigma'(z^L),\quad
        \partial W^l \mathrel{+}= \delta^{l\top} a^{l-1},\quad
        \partial b^l \mathrel{+}= \textstyle\sum_i \delta^l_i,\quad
        \delta^{l-1} = (\delta^l W^l) \odot \sigma'(z^{l-1}),

    and, if ``need_dx``, ``dx = delta^1 W^1`` (the gradient with respect to X). ``grad`` is the
    flat gradient buffer laid out like ``flat``; ``gtmp`` holds one (d_out, d_in) product for
    BLAS layers. Small layers use loops that work on two rows of the result per pass.
    """
    m = X.shape[0]
    L = sizes.shape[0] - 1
    zero = flat[0] - flat[0]
    zo = 0
    for l in range(L - 1):
        zo += m * sizes[l + 1]
    k = sizes[L]
    _delta_from_grad(
        g_out,
        dws[0, : m * k],
        zws[zo : zo + m * k],
        aws[zo : zo + m * k],
        acts[L - 1],
        alphas[L - 1],
        False,
    )
    cur = 0
    for l in range(L - 1, -1, -1):
        din = sizes[l]
        dout = sizes[l + 1]
        W, gW, gb = _layer_views(flat, grad, w_off, b_off, l, dout, din)
        delta = dws[cur, : m * dout].reshape(m, dout)
        src = X if l == 0 else aws[zo - m * din : zo].reshape(m, din)
        need = l > 0 or need_dx
        nd = dws[1 - cur, : m * din].reshape(m, din) if l > 0 else dx
        for j in range(dout):
            s = zero
            for i in range(m):
                s += delta[i, j]
            gb[j] += s
        if small[l]:
            _accumulate_rows(delta.T, src, gW, dout, m, din)
            if need:
                for i in range(m):
                    for q in range(din):
                        nd[i, q] = zero
                _accumulate_rows(delta, W, nd, m, dout, din)
        else:
            g2 = gtmp[: dout * din].reshape(dout, din)
            np.dot(delta.T, src, g2)
            for j in range(dout):
                for q in range(din):
                    gW[j, q] += g2[j, q]
            if need:
                np.dot(delta, W, nd)
        if l > 0:
            zo -= m * din
            _dact_2d(
                acts[l - 1],
                zws[zo : zo + m * din].reshape(m, din),
                aws[zo : zo + m * din].reshape(m, din),
                nd,
                alphas[l - 1],
            )
        cur = 1 - cur


@njit(cache=True, fastmath=FASTMATH)
def mlp_forward_narrow(X, flat, w_off, b_off, sizes, acts, alphas, zws, aws, out):
    """``mlp_forward`` for narrow stacks (every width <= ``config.FUSED_NARROW_MAX_WIDTH``),
    feature-major like ``mlp_sgd_chunk_narrow``: every z and a is kept transposed, (d_l, m), so
    the inner loops run over the m examples of the batch (``_combine_row``) instead of over
    d_l-term dot products too short to vectorise.

    ``aws`` holds x^T (d_0, m) first, then a^T of each layer; ``zws`` has the same layout (its
    first d_0 * m entries unused). The output a^L is written to ``out`` (m, d_L) row-major.
    """
    m = X.shape[0]
    L = sizes.shape[0] - 1
    n_in = sizes[0]
    xT = aws[: n_in * m].reshape(n_in, m)
    for i in range(m):
        for q in range(n_in):
            xT[q, i] = X[i, q]
    ao = n_in * m  # offset of this layer's a^T
    po = 0  # offset of the layer below's a^T
    for l in range(L):
        din = sizes[l]
        dout = sizes[l + 1]
        W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
        b = flat[b_off[l] : b_off[l] + dout]
        prev = aws[po : po + din * m].reshape(din, m)
        zT = zws[ao : ao + dout * m].reshape(dout, m)
        aT = aws[ao : ao + dout * m].reshape(dout, m)
        for j in range(dout):
            _combine_row(zT, j, W, prev, m, b[j])
            _act_row(acts[l], zT, aT, j, m, alphas[l])  # while the row is in L1
        po = ao
        ao += dout * m
    aT = aws[po : po + sizes[L] * m].reshape(sizes[L], m)
    for i in range(m):
        for j in range(sizes[L]):
            out[i, j] = aT[j, i]


@njit(inline="always", cache=True)
def _grad_dots(dT, prev, gW, gb, j, two, m, din, zero):
    """gW[j', q] += <dT[j', :m], prev[q, :m]> for every q and j' = j (and j + 1 when ``two``),
    gb[j'] += sum(dT[j', :m]): one or two rows of a feature-major weight gradient.

    Register blocks of two rows of dT by four rows of ``prev`` (six loads per eight
    multiply-adds), then two, then one row of ``prev``."""
    j1 = j + 1 if two else j
    s0 = zero
    s1 = zero
    for i in range(m):
        s0 += dT[j, i]
        s1 += dT[j1, i]
    gb[j] += s0
    if two:
        gb[j1] += s1
    q = 0
    while q + 4 <= din:
        g0 = zero
        g1 = zero
        g2 = zero
        g3 = zero
        h0 = zero
        h1 = zero
        h2 = zero
        h3 = zero
        for i in range(m):
            d = dT[j, i]
            e = dT[j1, i]
            p0 = prev[q, i]
            p1 = prev[q + 1, i]
            p2 = prev[q + 2, i]
            p3 = prev[q + 3, i]
            g0 += d * p0
            g1 += d * p1
            g2 += d * p2
            g3 += d * p3
            h0 += e * p0
            h1 += e * p1
            h2 += e * p2
            h3 += e * p3
        gW[j, q] += g0
        gW[j, q + 1] += g1
        gW[j, q + 2] += g2
        gW[j, q + 3] += g3
        if two:
            gW[j1, q] += h0
            gW[j1, q + 1] += h1
            gW[j1, q + 2] += h2
            gW[j1, q + 3] += h3
        q += 4
    while q < din:
        r = q + 1 if q + 2 <= din else q
        g0 = zero
        g1 = zero
        h0 = zero
        h1 = zero
        for i in range(m):
            d = dT[j, i]
            e = dT[j1, i]
            p0 = prev[q, i]
            p1 = prev[r, i]
            g0 += d * p0
            g1 += d * p1
            h0 += e * p0
            h1 += e * p1
        gW[j, q] += g0
        if two:
            gW[j1, q] += h0
        if r > q:
            gW[j, r] += g1
            if two:
                gW[j1, r] += h1
        q = r + 1


@njit(cache=True, fastmath=FASTMATH)
def mlp_backward_narrow(
    g_out, flat, grad, w_off, b_off, sizes, acts, alphas, zws, aws, dws, dx, need_dx
):
    """``mlp_backward`` of the last ``mlp_forward_narrow`` (same workspaces): delta^L^T from
    ``g_out`` (m, d_L), then per layer the gradient rows (``_grad_dots``, accumulated into
    ``grad``) and the next delta^T row by row (``_combine_row`` with W^T, times act'(z) while
    the row is in L1). ``dws`` (2, max_l d_l * m) holds the two deltas; with ``need_dx`` the
    input gradient delta^1 W^1 is written to ``dx`` (m, d_0)."""
    m = g_out.shape[0]
    L = sizes.shape[0] - 1
    zero = flat[0] - flat[0]
    po = sizes[0] * m  # offset of the last layer's z^T, a^T
    for l in range(L - 1):
        po += sizes[l + 1] * m
    k = sizes[L]
    _delta_from_grad(
        g_out,
        dws[0, : k * m],
        zws[po : po + k * m],
        aws[po : po + k * m],
        acts[L - 1],
        alphas[L - 1],
        True,
    )
    cur = 0
    for l in range(L - 1, -1, -1):
        din = sizes[l]
        dout = sizes[l + 1]
        po -= din * m  # now the layer below's a^T (x^T for l = 0, at offset 0)
        W, gW, gb = _layer_views(flat, grad, w_off, b_off, l, dout, din)
        dT = dws[cur, : dout * m].reshape(dout, m)
        prev = aws[po : po + din * m].reshape(din, m)
        for j in range(0, dout, 2):
            _grad_dots(dT, prev, gW, gb, j, j + 1 < dout, m, din, zero)
        if l > 0 or need_dx:
            ndT = dws[1 - cur, : din * m].reshape(din, m)
            Wt = W.T
            zp = zws[po : po + din * m].reshape(din, m)
            for q in range(din):
                _combine_row(ndT, q, Wt, dT, m, zero)
                if l > 0:
                    _dact_row(acts[l - 1], zp, prev, ndT, q, m, alphas[l - 1])
            if l == 0:
                for i in range(m):
                    for q in range(din):
                        dx[i, q] = ndT[q, i]
        cur = 1 - cur
