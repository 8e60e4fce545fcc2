r"""Numba CPU kernels of the recurrent layers (simple RNN and LSTM), forward and BPTT.

Layout. The kernels work time-major, ``(T, n, ...)``, so that the state of one step is a
contiguous ``(n, H)`` matrix: the recurrent product of each step, :math:`h_{t-1} U^\top`, is then
one BLAS ``gemm`` (``np.dot`` inside the kernel, which calls SciPy's BLAS, the same library as
every other numbanet kernel). The backend transposes the batch-major sequences on the way in
and out.

Where the time goes. Per step the products cost n * 4H * H multiply-adds and run at BLAS speed;
the gate nonlinearities cost about 5 n H transcendental functions. Numba compiles ``math.exp``
to a scalar libm call (no vector math library here), which made the gates cost more than the
products; so in float32 the gates use ``_exp``, a vectorisable exponential (below), computed in
float64 and accurate to 2e-7 relative, below float32's own rounding of the stored result.
float64 keeps ``math.exp``/``math.tanh`` (exact to the last bit, as the gradient tests need).
Every gate loop runs over a unit index starting at 0 with fixed outer indices and writes one
array, so that LLVM vectorises it (a loop writing several arrays, or indexing ``lo + j``, was
left scalar: 220 us instead of 40 us per LSTM step at n = 64, H = 128).

Thread mapping. The loops are serial; the BLAS calls use BLAS's threads. Time is serial by
nature: step t needs h_{t-1}.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...config import FASTMATH

_OPTS = dict(cache=True, fastmath=FASTMATH, error_model="numpy")


@njit(inline="always", **_OPTS)
def _exp(v):
    """exp(v) for v clamped to [-20, 20], as (e^{v/32})^{32}: a degree-9 Taylor polynomial on
    |v/32| <= 0.625 and five squarings. Only multiplications and additions, so it vectorises;
    relative error below 2e-7 (tested). Clamping changes sigmoid by < 2.1e-9 and tanh by < 5e-9."""
    v = v if v > -20.0 else -20.0
    v = v if v < 20.0 else 20.0
    y = v * 0.03125
    p = 1.0 + y * (
        1.0
        + y
        * (
            0.5
            + y
            * (
                1.0 / 6.0
                + y
                * (
                    1.0 / 24.0
                    + y
                    * (
                        1.0 / 120.0
                        + y
                        * (
                            1.0 / 720.0
                            + y * (1.0 / 5040.0 + y * (1.0 / 40320.0 + y * (1.0 / 362880.0)))
                        )
                    )
                )
            )
        )
    )
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p * p


@njit(inline="always", **_OPTS)
def _sig(v, exact):
    """sigma(v) = 1 / (1 + e^{-v}) (``v`` a float64)."""
    if exact:
        if v >= 0:
            return 1.0 / (1.0 + math.exp(-v))
        e = math.exp(v)
        return e / (1.0 + e)
    return 1.0 / (1.0 + _exp(-v))


@njit(inline="always", **_OPTS)
def _tanh(v, exact):
    """tanh(v) = 1 - 2 / (e^{2v} + 1) (``v`` a float64)."""
    if exact:
        return math.tanh(v)
    return 1.0 - 2.0 / (_exp(2.0 * v) + 1.0)


@njit(**_OPTS)
def exp_approx(v, out):
    """out = ``_exp(v)`` elementwise (for the accuracy test of the fast exponential)."""
    for i in range(v.shape[0]):
        out[i] = _exp(v[i])


# ---------------------------------------------------------------------------- simple RNN
@njit(**_OPTS)
def rnn_forward(xt, W, U, b, reverse, exact, h):
    r"""h_t = tanh(W x_t + U h_{t-1} + b) for every step, time-major.

    Parameters
    ----------
    xt : ndarray of shape (T, n, d)
    W : ndarray of shape (H, d)
    U : ndarray of shape (H, H)
    b : ndarray of shape (H,)
    reverse : bool
        Process t = T-1, ..., 0 (the previous state of step t is that of step t+1).
    exact : bool
        libm transcendental functions (float64) instead of the vectorised ones.
    h : ndarray of shape (T, n, H)
        Output: every hidden state (also holds the input projections on the way).
    """
    T, n, d = xt.shape
    H = W.shape[0]
    # input projections of all steps at once: one (T n, d) x (d, H) product
    np.dot(xt.reshape(T * n, d), W.T, h.reshape(T * n, H))
    r = np.zeros((n, H), dtype=h.dtype)
    for k in range(T):
        t = T - 1 - k if reverse else k
        if k > 0:
            tp = t + 1 if reverse else t - 1
            np.dot(h[tp], U.T, r)
        for i in range(n):
            for j in range(H):
                h[t, i, j] = _tanh(np.float64(h[t, i, j]) + b[j] + r[i, j], exact)


@njit(**_OPTS)
def rnn_backward(xt, W, U, h, dout, seq, reverse, need_dx, dz, dW, dU, db, dx):
    r"""BPTT for ``rnn_forward``: delta_t = (dL/dh_t + U^T delta_{t+1}) * (1 - h_t^2), then the
    weight gradients as three products over all steps at once (accumulated).

    Parameters
    ----------
    xt : ndarray of shape (T, n, d)
    h : ndarray of shape (T, n, H)
        The forward pass's states.
    dout : ndarray of shape (T, n, H) when ``seq``, else (1, n, H): the gradient of the last
        step processed only.
    dz : ndarray of shape (T, n, H)
        Output: the deltas.
    dW, dU, db : accumulated.
    dx : ndarray of shape (T, n, d)
        Output when ``need_dx``.
    """
    T, n, d = xt.shape
    H = W.shape[0]
    g = np.zeros((n, H), dtype=h.dtype)
    for k in range(T - 1, -1, -1):
        t = T - 1 - k if reverse else k
        if k < T - 1:
            tn = t - 1 if reverse else t + 1
            np.dot(dz[tn], U, g)
        else:
            g[:] = 0
        if seq:
            for i in range(n):
                for j in range(H):
                    g[i, j] += dout[t, i, j]
        elif k == T - 1:
            for i in range(n):
                for j in range(H):
                    g[i, j] += dout[0, i, j]
        for i in range(n):
            for j in range(H):
                hv = h[t, i, j]
                dz[t, i, j] = g[i, j] * (1 - hv * hv)
    _weight_grads(xt, W, h, dz, reverse, need_dx, dW, dU, db, dx)


@njit(**_OPTS)
def _weight_grads(xt, W, h, dz, reverse, need_dx, dW, dU, db, dx):
    """dW += sum_t dz_t^T x_t;  dU += sum_t dz_t^T h_prev(t);  db += sum_t dz_t;  dx = dz W.

    ``dz`` is (T, n, G) (G = H or 4H); each sum over steps is one product with the steps folded
    into the rows."""
    T, n, d = xt.shape
    G = dz.shape[2]
    H = h.shape[2]
    dz2 = dz.reshape(T * n, G)
    dW += np.dot(dz2.T, xt.reshape(T * n, d))
    if T > 1:
        m = (T - 1) * n
        if reverse:  # the previous state of step t is h_{t+1}
            dU += np.dot(dz2[:m].T, h.reshape(T * n, H)[n:])
        else:
            dU += np.dot(dz2[n:].T, h.reshape(T * n, H)[:m])
    for r in range(T * n):
        for j in range(G):
            db[j] += dz2[r, j]
    if need_dx:
        np.dot(dz2, W, dx.reshape(T * n, d))


# ---------------------------------------------------------------------------- LSTM
@njit(**_OPTS)
def lstm_forward(xt, W, U, b, reverse, exact, a, c, tc, h):
    r"""The LSTM's six equations for every step, time-major.

    Parameters
    ----------
    xt : ndarray of shape (T, n, d)
    W : ndarray of shape (4H, d)
        Gates stacked f, i, c~, o.
    U : ndarray of shape (4H, H)
    b : ndarray of shape (4, H)
    a : ndarray of shape (T, n, 4, H)
        Output: the gate values f, i, c~, o after their nonlinearity.
    c, tc, h : ndarrays of shape (T, n, H)
        Output: cells c_t, tanh(c_t) (kept for the backward pass), states h_t.
    """
    T, n, d = xt.shape
    H = U.shape[1]
    G = 4 * H
    np.dot(xt.reshape(T * n, d), W.T, a.reshape(T * n, G))
    r = np.zeros((n, 4, H), dtype=a.dtype)
    r2 = r.reshape(n, G)
    for k in range(T):
        t = T - 1 - k if reverse else k
        tp = t
        if k > 0:
            tp = t + 1 if reverse else t - 1
            np.dot(h[tp], U.T, r2)
        for i in range(n):
            for q in range(3):
                if q == 2:
                    continue
                for j in range(H):
                    a[t, i, q, j] = _sig(np.float64(a[t, i, q, j]) + b[q, j] + r[i, q, j], exact)
            for j in range(H):
                a[t, i, 2, j] = _tanh(np.float64(a[t, i, 2, j]) + b[2, j] + r[i, 2, j], exact)
            for j in range(H):
                a[t, i, 3, j] = _sig(np.float64(a[t, i, 3, j]) + b[3, j] + r[i, 3, j], exact)
            if k > 0:
                for j in range(H):
                    c[t, i, j] = a[t, i, 0, j] * c[tp, i, j] + a[t, i, 1, j] * a[t, i, 2, j]
            else:
                for j in range(H):
                    c[t, i, j] = a[t, i, 1, j] * a[t, i, 2, j]
            for j in range(H):
                tc[t, i, j] = _tanh(np.float64(c[t, i, j]), exact)
            for j in range(H):
                h[t, i, j] = a[t, i, 3, j] * tc[t, i, j]


@njit(**_OPTS)
def lstm_backward(xt, W, U, a, c, tc, h, dout, seq, reverse, need_dx, dz, dW, dU, db, dx):
    r"""BPTT for ``lstm_forward``.

    Per step, going backwards: dh = dL/dh_t + U^T delta_{t+1} (one gemm), then

    .. math::
        \partial c_t = \partial h_t\, o_t (1 - \tanh^2 c_t) + f_{t+1} \partial c_{t+1},\quad
        \delta^f = \partial c_t\, c_{t-1} f (1-f),\quad \delta^i = \partial c_t\, \tilde c\, i (1-i),
        \quad \delta^c = \partial c_t\, i (1-\tilde c^2),\quad
        \delta^o = \partial h_t \tanh(c_t)\, o (1-o)

    and the weight gradients as three products over all steps (``_weight_grads``).

    Parameters
    ----------
    a, c, tc, h : the forward pass's gates, cells, tanh(cells) and states.
    dout : ndarray of shape (T, n, H) when ``seq``, else (1, n, H) (last step processed only).
    dz : ndarray of shape (T, n, 4, H)
        Output: the gate deltas.
    """
    T, n, d = xt.shape
    H = U.shape[1]
    G = 4 * H
    g = np.zeros((n, H), dtype=a.dtype)  # dL/dh_t
    dcf = np.zeros((n, H), dtype=a.dtype)  # f_{t+1} * dL/dc_{t+1}
    dc = np.zeros((n, H), dtype=a.dtype)
    for k in range(T - 1, -1, -1):
        t = T - 1 - k if reverse else k
        tp = t
        if k > 0:
            tp = t + 1 if reverse else t - 1
        if k < T - 1:
            tn = t - 1 if reverse else t + 1
            np.dot(dz[tn].reshape(n, G), U, g)
        else:
            g[:] = 0
        if seq:
            for i in range(n):
                for j in range(H):
                    g[i, j] += dout[t, i, j]
        elif k == T - 1:
            for i in range(n):
                for j in range(H):
                    g[i, j] += dout[0, i, j]
        for i in range(n):
            for j in range(H):
                o = a[t, i, 3, j]
                tv = tc[t, i, j]
                dc[i, j] = g[i, j] * o * (1 - tv * tv) + dcf[i, j]
            for j in range(H):
                o = a[t, i, 3, j]
                dz[t, i, 3, j] = g[i, j] * tc[t, i, j] * o * (1 - o)
            if k > 0:
                for j in range(H):
                    f = a[t, i, 0, j]
                    dz[t, i, 0, j] = dc[i, j] * c[tp, i, j] * f * (1 - f)
            else:
                for j in range(H):
                    dz[t, i, 0, j] = 0
            for j in range(H):
                iv = a[t, i, 1, j]
                dz[t, i, 1, j] = dc[i, j] * a[t, i, 2, j] * iv * (1 - iv)
            for j in range(H):
                gv = a[t, i, 2, j]
                dz[t, i, 2, j] = dc[i, j] * a[t, i, 1, j] * (1 - gv * gv)
            for j in range(H):
                dcf[i, j] = dc[i, j] * a[t, i, 0, j]
    _weight_grads(xt, W, h, dz.reshape(T, n, G), reverse, need_dx, dW, dU, db, dx)
