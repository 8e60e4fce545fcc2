r"""Numba CPU kernels of the recurrent layers (simple RNN and LSTM), forward and BPTT.

The equations (``backends/_rnn_ops.py`` has them written out step by step in NumPy):

.. math::
    \text{RNN:}\quad h_t &= f(W x_t + U h_{t-1} + b)\quad (f = \tanh \text{ by default}) \\
    \text{LSTM:}\quad f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f),\quad
    i_t = \sigma(W_i x_t + U_i h_{t-1} + b_i),\quad
    \tilde c_t = \tanh(W_c x_t + U_c h_{t-1} + b_c) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t,\quad
    o_t = \sigma(W_o x_t + U_o h_{t-1} + b_o),\quad h_t = o_t \odot \tanh(c_t)

How the work is laid out
------------------------
*Time is serial, the batch is not.* Step t needs h_{t-1}, but the examples of a batch never talk
to each other. So the batch is cut into ``P`` blocks of rows (``P`` = Numba's thread count, at
least 8 rows a block) and each block runs the *whole* sequence, forward or backward, on its own:
no synchronisation between the steps of a sequence, one hand-over per call. The backend runs the
blocks on its worker threads (``backends/_rnn_ops.py``); the kernels below are serial and release
the GIL. (A parallel region per step, or a two-thread BLAS product per step, pays a hand-over per
step; on a busy machine a thread that waits for a partner that is not running stalls both.)

*One product per step, every gate at once.* A block keeps, for every step k (in processing
order, so that ``reverse`` only changes which x_t is read), the row vector
:math:`[x_t,\ h_{k-1},\ 1]` of d + H + 1 numbers in ``XH[k]``. The pre-activations of all 4H gate
units (H for the RNN), biases included, are then one BLAS product ``XH[k] @ [W | U | b]^T``
(rows of the block x (d + H + 1) x 4H) straight into the gate array; the gate kernel turns them
into gate values in place and writes h_k into ``XH[k + 1]``, where the next step's product reads
it.

*Weight gradients as one product per block.* The backward pass stores every step's gate deltas
``DZ[k]`` (rows x 4H); after the last step a single product ``DZ^T @ XH`` over all T steps of the
block gives :math:`[\partial W \mid \partial U \mid \partial b] = \sum_k \delta_k
[x_t, h_{k-1}, 1]` (the blocks' partial sums are added at the end, in a fixed order: results do
not depend on which thread ran which block, or on whether the blocks ran at the same time).

*Nothing allocated per step.* The buffers come from the backend (reused from call to call) and
the kernels only index into them. The products call ``cblas_?gemm`` at an address the backend
passes in (NumPy's own OpenBLAS when found, see ``backends/_rnn_ops.py``), or Numba's ``np.dot``.

Gates in float32. Numba compiles ``math.exp`` to a scalar libm call. The float32 gates use
``_exp32``, a vectorisable exponential (Cody-Waite range reduction, a degree-7 polynomial and the
exponent built with integer arithmetic; about 1 ulp, tested), computed entirely in float32, so
that LLVM runs eight lanes per AVX2 instruction; the four gates are one loop over 4H units, with
tanh(v) = 2 sigma(2v) - 1 for the candidate (one exponential and one division per unit; three
separate loops took twice as long). float64 keeps ``math.exp``/``math.tanh``, exact to the last
bit as the gradient checks need. Each gate loop runs over one unit index, reads a few rows and
writes one, which LLVM vectorises (a loop writing several arrays may be left scalar). These
kernels compile without ``reassoc`` so that the range reduction is kept as written.

Size: over 600 lines on purpose: the forward and backpropagation-through-time kernels of the RNN
and the LSTM, each backward beside its forward.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from ...config import FASTMATH
from ..scalar import (
    ACT_ELU,
    ACT_LEAKY_RELU,
    ACT_RELU,
    ACT_SIGMOID,
    ACT_TANH,
    act_df_from_output,
)
from .blas import NO_TRANS as _NO_TRANS
from .blas import TRANS as _TRANS
from .blas import gemm

#: fastmath flags of these kernels: the project's, minus reassociation (which would fold the
#: two-constant range reduction of ``_exp32`` into one constant and lose 3 bits).
_FM = set(FASTMATH) - {"reassoc", "fast"}
_OPTS_NC = dict(fastmath=_FM, error_model="numpy")
_OPTS = dict(cache=True, **_OPTS_NC)
_INL = dict(inline="always", **_OPTS)

_F1 = np.float32(1.0)
_F2 = np.float32(2.0)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693145751953125)  # ln 2 split so that k * _LN2_HI is exact
_LN2_LO = np.float32(1.4286068203094173e-06)
_EXP_LO = np.float32(-87.0)
_EXP_HI = np.float32(87.0)
_C2 = np.float32(1.0 / 2.0)
_C3 = np.float32(1.0 / 6.0)
_C4 = np.float32(1.0 / 24.0)
_C5 = np.float32(1.0 / 120.0)
_C6 = np.float32(1.0 / 720.0)
_C7 = np.float32(1.0 / 5040.0)


@intrinsic
def _bits_to_f32(typingctx, v):
    """The float32 whose IEEE bit pattern is the int32 ``v``."""
    if v != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


@njit(**_INL)
def _exp32(v):
    """e^v in float32 for v in [-87, 87] (clamped outside; NaN stays NaN).

    e^v = 2^k e^r with k = round(v / ln 2) and r = v - k ln 2 in [-ln2/2, ln2/2]; e^r by its Taylor
    polynomial to r^7 (truncation < 5.2e-9 relative) and 2^k by writing k + 127 into the exponent
    bits. Only multiply-adds, a rounding and integer operations, so the loop vectorises."""
    v = _EXP_LO if v < _EXP_LO else v
    v = _EXP_HI if v > _EXP_HI else v
    k = np.floor(v * _LOG2E + np.float32(0.5))
    r = (v - k * _LN2_HI) - k * _LN2_LO
    p = _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + _F1
    p = p * r + _F1
    return p * _bits_to_f32(np.int32((np.int32(k) + np.int32(127)) << np.int32(23)))


def _tanh(v):
    """tanh(v) in v's precision (float32: 1 - 2 / (e^{2v} + 1) with ``_exp32``; float64: libm)."""
    return math.tanh(v)


@overload(_tanh, jit_options=_OPTS_NC)
def _ov_tanh(v):
    if v == types.float32:

        def tanh32(v):
            return _F1 - _F2 / (_exp32(v + v) + _F1)

        return tanh32

    def tanh64(v):
        return math.tanh(v)

    return tanh64


def _gate(v, s):
    """The LSTM gate nonlinearity of a unit with scale ``s``: sigma(v) for s = 1 (f, i, o),
    tanh(v) for s = 2 (c~)."""
    return 1.0 / (1.0 + math.exp(-v)) if s == 1 else math.tanh(v)


@overload(_gate, jit_options=_OPTS_NC)
def _ov_gate(v, s):
    if v == types.float32:

        def gate32(v, s):
            # s sigma(s v) - (s - 1): sigma(v) for s = 1 and 2 sigma(2v) - 1 = tanh(v) for s = 2,
            # so that one loop (one exp and one division per unit) covers all four gates
            return s / (_F1 + _exp32(-(s * v))) - (s - _F1)

        return gate32

    def gate64(v, s):
        if s == 1:
            if v >= 0:
                return 1.0 / (1.0 + math.exp(-v))
            e = math.exp(v)
            return e / (1.0 + e)
        return math.tanh(v)

    return gate64


@njit(**_OPTS)
def _gate_scales(H, dtype):
    """The per-unit scales of ``_gate`` for the stacked gates f, i, c~, o: 1, 1, 2, 1."""
    s = np.ones(4 * H, dtype=dtype)
    for j in range(2 * H, 3 * H):
        s[j] = 2
    return s


@njit(**_OPTS)
def exp_approx(v, out):
    """out = ``_exp32(v)`` elementwise, float32 (for the accuracy test of the fast exponential)."""
    for i in range(v.shape[0]):
        out[i] = _exp32(v[i])


# ------------------------------------------------------------------------------- products
# the cblas_?gemm call at a run-time address: kernels/cpu/blas.py (beta 0: c is overwritten)


# Matrix products of C-contiguous 2-D arrays, written into ``c``. ``fp`` is the address of the
# BLAS ``cblas_?gemm`` to call (``ilp``: 64-bit integers), or 0 for Numba's ``np.dot``.
@njit(**_INL)
def _mm_nt(fp, ilp, a, b, c):
    """c = a @ b.T"""
    if fp == 0:
        np.dot(a, b.T, c)
    else:
        m, k = a.shape
        n = b.shape[0]
        gemm(fp, ilp, _NO_TRANS, _TRANS, m, n, k, a, k, b, k, 0.0, c, n)


@njit(**_INL)
def _mm_nn(fp, ilp, a, b, c):
    """c = a @ b"""
    if fp == 0:
        np.dot(a, b, c)
    else:
        m, k = a.shape
        n = b.shape[1]
        gemm(fp, ilp, _NO_TRANS, _NO_TRANS, m, n, k, a, k, b, n, 0.0, c, n)


@njit(**_INL)
def _mm_tn(fp, ilp, a, b, c):
    """c = a.T @ b"""
    if fp == 0:
        np.dot(a.T, b, c)
    else:
        k, m = a.shape
        n = b.shape[1]
        gemm(fp, ilp, _TRANS, _NO_TRANS, m, n, k, a, m, b, n, 0.0, c, n)


@njit(**_OPTS)
def matmul(fp, ilp, kind, a, b, c):
    """``_mm_nt`` (kind 0), ``_mm_nn`` (1) or ``_mm_tn`` (2) (for the tests of the BLAS call)."""
    if kind == 0:
        _mm_nt(fp, ilp, a, b, c)
    elif kind == 1:
        _mm_nn(fp, ilp, a, b, c)
    else:
        _mm_tn(fp, ilp, a, b, c)


# ------------------------------------------------------------------------------- gate kernels
# One step of one block of rows; every inner loop runs over the units of one row, reads a few
# rows and writes one (so that LLVM vectorises it).
@njit(**_OPTS)
def _lstm_step(a, s, cprev, first, c, tc, hx, d):
    r"""The LSTM step for a block of rows, in place on the gates ``a`` (nb, 4H), which hold
    :math:`W x_t + U h_{t-1} + b` on entry and f, i, c~, o on exit:

    .. math:: c_t = f \odot c_{t-1} + i \odot \tilde c,\qquad h_t = o \odot \tanh(c_t)

    ``c`` and ``tc`` (tanh c_t, kept for the backward pass) are (nb, H); h_t goes to columns
    d .. d+H of ``hx`` (the next step's [x, h, 1] rows). ``cprev`` is not read when ``first``.
    ``s``: the gate scales (``_gate_scales``)."""
    nb, H = c.shape
    for i in range(nb):
        ar = a[i]
        for j in range(4 * H):
            ar[j] = _gate(ar[j], s[j])
    for i in range(nb):
        ar = a[i]
        cr = c[i]
        if first:
            for j in range(H):
                cr[j] = ar[H + j] * ar[2 * H + j]
        else:
            cp = cprev[i]
            for j in range(H):
                cr[j] = ar[j] * cp[j] + ar[H + j] * ar[2 * H + j]
    for i in range(nb):
        cr = c[i]
        tr = tc[i]
        for j in range(H):
            tr[j] = _tanh(cr[j])
    for i in range(nb):
        ar = a[i]
        tr = tc[i]
        hr = hx[i]
        for j in range(H):
            hr[d + j] = ar[3 * H + j] * tr[j]


@njit(**_OPTS)
def _lstm_step_infer(a, s, c, first, hx, d):
    """``_lstm_step`` keeping nothing for a backward pass: ``c`` is updated in place (c_{t-1} on
    entry, c_t on exit) and tanh(c_t) is not stored."""
    nb, H = c.shape
    for i in range(nb):
        ar = a[i]
        for j in range(4 * H):
            ar[j] = _gate(ar[j], s[j])
    for i in range(nb):
        ar = a[i]
        cr = c[i]
        if first:
            for j in range(H):
                cr[j] = ar[H + j] * ar[2 * H + j]
        else:
            for j in range(H):
                cr[j] = ar[j] * cr[j] + ar[H + j] * ar[2 * H + j]
    for i in range(nb):
        ar = a[i]
        cr = c[i]
        hr = hx[i]
        for j in range(H):
            hr[d + j] = ar[3 * H + j] * _tanh(cr[j])


@njit(**_OPTS)
def _rnn_step(a, hx, d, act, alpha):
    """h_t = f(a) for a block of rows: ``a`` (nb, H) holds W x_t + U h_{t-1} + b on entry and
    h_t on exit; columns d .. d+H of ``hx`` get a copy (the next step's input).

    ``act`` is the activation's code (``kernels.scalar``), ``alpha`` its parameter (leaky ReLU's
    slope, ELU's scale) in the array's type. The choice is made once per step, outside the
    loops, so each activation's loop vectorises on its own (tanh and sigmoid with the float32
    exponential ``_exp32``)."""
    nb, H = a.shape
    zero = a.dtype.type(0)
    if act == ACT_TANH:
        for i in range(nb):
            ar = a[i]
            for j in range(H):
                ar[j] = _tanh(ar[j])
    elif act == ACT_SIGMOID:
        for i in range(nb):
            ar = a[i]
            for j in range(H):
                ar[j] = _gate(ar[j], _F1)
    elif act == ACT_RELU:
        for i in range(nb):
            ar = a[i]
            for j in range(H):
                v = ar[j]
                ar[j] = v if v > zero else zero * v  # (a NaN stays NaN)
    elif act == ACT_LEAKY_RELU:
        for i in range(nb):
            ar = a[i]
            for j in range(H):
                v = ar[j]
                ar[j] = v if v > zero else alpha * v
    elif act == ACT_ELU:
        for i in range(nb):
            ar = a[i]
            for j in range(H):
                v = ar[j]
                ar[j] = v if v > zero else alpha * math.expm1(v)
    # ACT_IDENTITY: a is h_t already
    for i in range(nb):
        ar = a[i]
        hr = hx[i]
        for j in range(H):
            hr[d + j] = ar[j]


@njit(**_OPTS)
def _lstm_deltas(gh, a, cprev, first, tc, dc, dz):
    r"""Gate deltas of a block of rows at one step (BPTT), ``gh`` = dL/dh_t (all paths):

    .. math::
        \partial c_t &= \partial h_t\, o (1 - \tanh^2 c_t) + f_{t+1}\, \partial c_{t+1} \\
        \delta^f &= \partial c_t\, c_{t-1} f (1 - f),\quad
        \delta^i = \partial c_t\, \tilde c\, i (1 - i),\quad
        \delta^c = \partial c_t\, i (1 - \tilde c^2),\quad
        \delta^o = \partial h_t \tanh(c_t)\, o (1 - o)

    ``dc`` (nb, H) holds :math:`f_{t+1} \partial c_{t+1}` on entry and :math:`f_t \partial c_t`
    (the carry for step t-1) on exit; ``dz`` (nb, 4H) receives the four deltas."""
    nb, H = gh.shape
    for i in range(nb):
        g, ar, tr, dcr = gh[i], a[i], tc[i], dc[i]
        for j in range(H):
            o = ar[3 * H + j]
            t = tr[j]
            dcr[j] = g[j] * o * (_F1 - t * t) + dcr[j]
    for i in range(nb):
        g, ar, tr, dzr = gh[i], a[i], tc[i], dz[i]
        for j in range(H):
            o = ar[3 * H + j]
            dzr[3 * H + j] = g[j] * tr[j] * o * (_F1 - o)
    for i in range(nb):
        ar, dcr, dzr = a[i], dc[i], dz[i]
        if first:
            for j in range(H):
                dzr[j] = 0
        else:
            cp = cprev[i]
            for j in range(H):
                f = ar[j]
                dzr[j] = dcr[j] * cp[j] * f * (_F1 - f)
        for j in range(H):
            iv = ar[H + j]
            dzr[H + j] = dcr[j] * ar[2 * H + j] * iv * (_F1 - iv)
        for j in range(H):
            gv = ar[2 * H + j]
            dzr[2 * H + j] = dcr[j] * ar[H + j] * (_F1 - gv * gv)
    for i in range(nb):
        ar, dcr = a[i], dc[i]
        for j in range(H):
            dcr[j] = dcr[j] * ar[j]


@njit(**_OPTS)
def _rnn_deltas(gh, h, dz, act, alpha):
    """delta_t = dL/dh_t f'(z_t) for a block of rows, f'(z_t) read off h_t
    (``act_df_from_output``: 1 - h_t^2 for tanh)."""
    nb, H = gh.shape
    if act == ACT_TANH:  # the default, kept as its own vectorised loop
        for i in range(nb):
            g, hr, dzr = gh[i], h[i], dz[i]
            for j in range(H):
                v = hr[j]
                dzr[j] = g[j] * (_F1 - v * v)
        return
    for i in range(nb):
        g, hr, dzr = gh[i], h[i], dz[i]
        for j in range(H):
            dzr[j] = g[j] * act_df_from_output(act, hr[j], alpha)


# ------------------------------------------------------------------------------- block drivers
@njit(**_OPTS)
def _time_of(k, T, reverse):
    return T - 1 - k if reverse else k


@njit(**_OPTS)
def _load_x(x, lo, t, rows, d):
    """Columns 0 .. d of ``rows`` (nb, d+H+1) <- x[lo + i, t] (0 past the batch); the last
    column <- 1 (the bias's input)."""
    n = x.shape[0]
    m = rows.shape[1]
    for i in range(rows.shape[0]):
        row = rows[i]
        if lo + i < n:
            src = x[lo + i, t]
            for j in range(d):
                row[j] = src[j]
        else:
            for j in range(d):
                row[j] = 0
        row[m - 1] = 1


@njit(**_OPTS)
def _block_forward(fp, ilp, lstm, x, WUb, reverse, lo, XH, A, C, TC, act, alpha):
    """Forward pass of rows ``lo .. lo + nb`` of the batch over every step, keeping what BPTT
    needs: ``XH`` (T+1, nb, d+H+1), ``A`` (T, nb, G), ``C`` and ``TC`` (T, nb, H) (LSTM only).
    Rows past the batch (padding) read x = 0."""
    n, T, d = x.shape
    nb = XH.shape[1]
    H = WUb.shape[1] - d - 1
    s = _gate_scales(H if lstm else 0, A.dtype)
    for k in range(T):
        _load_x(x, lo, _time_of(k, T, reverse), XH[k], d)
    for i in range(nb):
        row = XH[0, i]
        for j in range(d, d + H):
            row[j] = 0  # h_{-1} = 0
    for k in range(T):
        _mm_nt(fp, ilp, XH[k], WUb, A[k])  # [x_t, h_{t-1}, 1] [W | U | b]^T: every gate unit
        if lstm:
            kp = k - 1 if k > 0 else 0
            _lstm_step(A[k], s, C[kp], k == 0, C[k], TC[k], XH[k + 1], d)
        else:
            _rnn_step(A[k], XH[k + 1], d, act, alpha)


@njit(**_OPTS)
def _block_forward_infer(fp, ilp, lstm, x, WUb, reverse, lo, hi, xh, a, c, out, seq, act, alpha):
    """Forward pass of rows ``lo .. hi`` keeping only the current step (``xh`` (nb, d+H+1), ``a``
    (nb, G), ``c`` (nb, H)); writes the outputs into ``out``."""
    n, T, d = x.shape
    m = hi - lo
    H = WUb.shape[1] - d - 1
    s = _gate_scales(H if lstm else 0, a.dtype)
    xs = xh[:m]
    aa = a[:m]
    cc = c[:m]
    for i in range(m):
        row = xs[i]
        for j in range(d, d + H):
            row[j] = 0
    for k in range(T):
        t = _time_of(k, T, reverse)
        _load_x(x, lo, t, xs, d)
        _mm_nt(fp, ilp, xs, WUb, aa)
        if lstm:
            _lstm_step_infer(aa, s, cc, k == 0, xs, d)
        else:
            _rnn_step(aa, xs, d, act, alpha)
        if seq:
            for i in range(m):
                o = out[lo + i, t]
                hrow = xs[i]
                for j in range(H):
                    o[j] = hrow[d + j]
    if not seq:
        for i in range(m):
            o = out[lo + i, 0]
            hrow = xs[i]
            for j in range(H):
                o[j] = hrow[d + j]


@njit(**_OPTS)
def _block_backward(
    fp,
    ilp,
    lstm,
    dout,
    seq,
    reverse,
    lo,
    XH,
    A,
    C,
    TC,
    U,
    W,
    need_dx,
    DZ,
    gh,
    dc,
    dWUb,
    DX,
    dx,
    act,
    alpha,
):
    """BPTT for the rows ``lo .. lo + nb``: deltas of every step into ``DZ`` (T, nb, G), then
    this block's ``dWUb = DZ^T XH`` = [dW | dU | db] (overwritten) and, when ``need_dx``,
    dL/dx of the real rows into ``dx`` (n, T, d)."""
    n = dout.shape[0]
    T, nb, G = DZ.shape
    H = U.shape[1]
    d = W.shape[1]
    real = min(nb, n - lo)
    for i in range(nb):
        dcr = dc[i]
        for j in range(H):
            dcr[j] = 0
    for k in range(T - 1, -1, -1):
        t = _time_of(k, T, reverse)
        if k < T - 1:
            _mm_nn(fp, ilp, DZ[k + 1], U, gh)  # U^T delta_{t+1}, as rows
        else:
            for i in range(nb):
                g = gh[i]
                for j in range(H):
                    g[j] = 0
        if seq or k == T - 1:
            tt = t if seq else 0
            for i in range(real):
                g = gh[i]
                dr = dout[lo + i, tt]
                for j in range(H):
                    g[j] += dr[j]
        if lstm:
            kp = k - 1 if k > 0 else 0
            _lstm_deltas(gh, A[k], C[kp], k == 0, TC[k], dc, DZ[k])
        else:
            _rnn_deltas(gh, A[k], DZ[k], act, alpha)
    DZ2 = DZ.reshape(T * nb, G)
    # sum_t delta_t [x_t, h_{t-1}, 1]: the gradients of W, U and b in one product
    _mm_tn(fp, ilp, DZ2, XH[:T].reshape(T * nb, XH.shape[2]), dWUb)
    if need_dx:
        _mm_nn(fp, ilp, DZ2, W, DX)  # delta_t W, every step at once
        for k in range(T):
            t = _time_of(k, T, reverse)
            for i in range(real):
                src = DX[k * nb + i]
                dst = dx[lo + i, t]
                for j in range(d):
                    dst[j] = src[j]


# ------------------------------------------------------------------------------- entry points
# Serial and GIL-free: the backend runs blocks p0 .. p1 of one call on each of its threads.
@njit(nogil=True, **_OPTS)
def forward_train(p0, p1, fp, ilp, lstm, x, WUb, reverse, XH, A, C, TC, out, seq, act, alpha):
    """Forward pass of blocks p0 .. p1 (block p = rows p*nb ..), keeping what BPTT needs.

    Parameters
    ----------
    p0, p1 : int
        The blocks this call runs.
    fp, ilp : int, bool
        Address of ``cblas_?gemm`` (0: Numba's ``np.dot``) and whether its integers are 64-bit.
    lstm : bool
        LSTM (G = 4H gate units) or simple RNN (G = H).
    x : ndarray (n, T, d), batch-major
    WUb : ndarray (G, d + H + 1)
        ``[W | U | b]`` (LSTM gates stacked f, i, c~, o).
    XH : ndarray (P, T + 1, nb, d + H + 1); A : (P, T, nb, G); C, TC : (P, T, nb, H) (LSTM) or
        any (P, 1, 1, 1) (RNN). Outputs, with P * nb >= n.
    out : ndarray (n, T, H) when ``seq``, else (n, 1, H)
        The hidden states, indexed by t (or the last state processed).
    act, alpha : int, float
        The simple RNN's activation code (``kernels.scalar.FROM_OUTPUT``) and its parameter, in
        the arrays' float type (the LSTM ignores both).
    """
    n, T, d = x.shape
    nb = XH.shape[2]
    H = WUb.shape[1] - d - 1
    for p in range(p0, p1):
        lo = p * nb
        _block_forward(fp, ilp, lstm, x, WUb, reverse, lo, XH[p], A[p], C[p], TC[p], act, alpha)
        for i in range(min(nb, n - lo)):
            if seq:
                for k in range(T):
                    o = out[lo + i, _time_of(k, T, reverse)]
                    hrow = XH[p, k + 1, i]
                    for j in range(H):
                        o[j] = hrow[d + j]
            else:
                o = out[lo + i, 0]
                hrow = XH[p, T, i]
                for j in range(H):
                    o[j] = hrow[d + j]


@njit(nogil=True, **_OPTS)
def forward_infer(p, P, fp, ilp, lstm, x, WUb, reverse, nb, xh, a, c, out, seq, act, alpha):
    """Forward pass keeping nothing for BPTT (evaluation): the batch in blocks of ``nb`` rows;
    this call runs blocks p, p + P, p + 2P, ... with its one-step buffers ``xh``
    (nb, d + H + 1), ``a`` (nb, G), ``c`` (nb, H). ``out`` as in ``forward_train``."""
    n = x.shape[0]
    nblocks = (n + nb - 1) // nb
    for q in range(p, nblocks, P):
        lo = q * nb
        _block_forward_infer(
            fp, ilp, lstm, x, WUb, reverse, lo, min(n, lo + nb), xh, a, c, out, seq, act, alpha
        )


@njit(nogil=True, **_OPTS)
def backward(
    p0,
    p1,
    fp,
    ilp,
    lstm,
    dout,
    seq,
    reverse,
    XH,
    A,
    C,
    TC,
    U,
    W,
    need_dx,
    DZ,
    GH,
    DC,
    dWUb,
    DX,
    dx,
    act,
    alpha,
):
    """BPTT of ``forward_train`` for blocks p0 .. p1. Writes the blocks' partial gradients
    ``dWUb`` (P, G, d + H + 1) and, when ``need_dx``, their rows of ``dx`` (n, T, d).

    ``dout`` is (n, T, H) when ``seq``, else (n, 1, H) (the last step processed only).
    Scratch: ``DZ`` (P, T, nb, G), ``GH`` and ``DC`` (P, nb, H), ``DX`` (P, T * nb, d)."""
    nb = XH.shape[2]
    for p in range(p0, p1):
        _block_backward(
            fp,
            ilp,
            lstm,
            dout,
            seq,
            reverse,
            p * nb,
            XH[p],
            A[p],
            C[p],
            TC[p],
            U,
            W,
            need_dx,
            DZ[p],
            GH[p],
            DC[p],
            dWUb[p],
            DX[p],
            dx,
            act,
            alpha,
        )


@njit(**_OPTS)
def reduce_grads(dWUb, dW, dU, db):
    """[dW | dU | db] += sum_p dWUb[p] (in a fixed order, whatever ran where)."""
    P, G, m = dWUb.shape
    d = dW.shape[1]
    H = dU.shape[1]
    for p in range(P):
        for r in range(G):
            src = dWUb[p, r]
            for j in range(d):
                dW[r, j] += src[j]
            for j in range(H):
                dU[r, j] += src[d + j]
            db[r] += src[d + H]
