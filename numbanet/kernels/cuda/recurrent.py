r"""CUDA kernels of the recurrent layers (simple RNN and LSTM), forward and BPTT.

Time is serial, so the host launches one kernel per time step; inside a step every
(example, hidden unit) pair is independent, and each gets one thread.

Thread mappings (no races: each thread owns what it writes):

* ``rnn_step_forward`` / ``lstm_step_forward``: one thread per (i, j) = (example, unit), from
  ``cuda.grid(1)`` as i = idx // H, j = idx % H. The thread computes unit j's pre-activations
  (for the LSTM all four gates of unit j, rows j, H+j, 2H+j, 3H+j of U) as dot products with
  the previous state h[i, t_prev, :], which no thread of this launch writes (it writes step t).
* ``*_step_backward``: the same mapping. The thread gathers (U^T delta_{t+1})_j =
  sum_k delta[i, t_next, k] U[k, j] from the previous launch's output, and writes unit j's
  deltas of step t and its own entry of the cell carry ``dcf[i, j]``.
* ``previous_states``: one thread per element, h shifted by one step (zero at the first), so that
  dU is one GEMM over every (example, step) row.
* ``take_step``, ``concat_last``, ``split_last``, ``add_arrays``: one thread per output element.

The input projections x_t W^T of all steps and the gradients dW, dU and dx are single matrix
products (``kernels/cuda/dense.py``'s ``matmul``), launched by the backend.
Arrays are batch-major, (n, T, features), as the layers see them.
"""

from __future__ import annotations

import math

from numba import float32, float64, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from ..scalar import act_df_from_output, act_f, sigmoid
from . import arrays

cuda = _cuda_mod()


@kernel
def rnn_step_forward(xw, U, b, h, t, tp, has_prev, act, alpha):
    """h[i, t, j] = f(xw[i, t, j] + b[j] + sum_k U[j, k] h[i, tp, k]), f the activation of code
    ``act`` (tanh by default; ``alpha``: leaky ReLU's slope or ELU's scale, in the array's
    type)."""
    idx = cuda.grid(1)
    n = h.shape[0]
    H = h.shape[2]
    if idx < n * H:
        i = idx // H
        j = idx - i * H
        z = xw[i, t, j] + b[j]
        if has_prev:
            for k in range(H):
                z += U[j, k] * h[i, tp, k]
        h[i, t, j] = act_f(act, z, alpha)


@kernel
def rnn_step_backward(h, U, dout, seq, is_last, dz, t, tn, has_next, act, alpha):
    """dz[i, t, j] = (dout_t + sum_k dz[i, tn, k] U[k, j]) f'(z[i, t, j]), the derivative read off
    the state h[i, t, j] (``act_df_from_output``: 1 - h^2 for tanh)."""
    idx = cuda.grid(1)
    n = h.shape[0]
    H = h.shape[2]
    if idx < n * H:
        i = idx // H
        j = idx - i * H
        F = h.dtype.type
        g = F(0)
        if has_next:
            for k in range(H):
                g += dz[i, tn, k] * U[k, j]
        if seq:
            g += dout[i, t, j]
        elif is_last:
            g += dout[i, 0, j]
        dz[i, t, j] = g * act_df_from_output(act, h[i, t, j], alpha)


@kernel
def lstm_step_forward(xw, U, b, a, c, h, t, tp, has_prev):
    """One LSTM step for unit j of example i: the four gates (f, i, c~, o), the cell, the state.

    ``xw`` (n, T, 4H) holds x_t W^T; ``a`` (n, T, 4H) receives the gate values."""
    idx = cuda.grid(1)
    n = h.shape[0]
    H = h.shape[2]
    if idx < n * H:
        i = idx // H
        j = idx - i * H
        zf = xw[i, t, j] + b[j]
        zi = xw[i, t, H + j] + b[H + j]
        zg = xw[i, t, 2 * H + j] + b[2 * H + j]
        zo = xw[i, t, 3 * H + j] + b[3 * H + j]
        cp = h.dtype.type(0)
        if has_prev:
            for k in range(H):
                hk = h[i, tp, k]
                zf += U[j, k] * hk
                zi += U[H + j, k] * hk
                zg += U[2 * H + j, k] * hk
                zo += U[3 * H + j, k] * hk
            cp = c[i, tp, j]
        f = sigmoid(zf)
        ig = sigmoid(zi)
        g = math.tanh(zg)
        o = sigmoid(zo)
        cv = f * cp + ig * g
        a[i, t, j] = f
        a[i, t, H + j] = ig
        a[i, t, 2 * H + j] = g
        a[i, t, 3 * H + j] = o
        c[i, t, j] = cv
        h[i, t, j] = o * math.tanh(cv)


@kernel
def lstm_step_backward(a, c, U, dout, seq, is_last, dz, dcf, t, tp, tn, has_prev, has_next):
    """Unit j of example i at step t: dh = dout_t + (U^T delta_{t+1})_j, then the cell and the
    four gate deltas; ``dcf[i, j]`` carries f_t dL/dc_t to step t-1 (owned by this thread)."""
    idx = cuda.grid(1)
    n = c.shape[0]
    H = c.shape[2]
    if idx < n * H:
        i = idx // H
        j = idx - i * H
        F = c.dtype.type
        one = F(1)
        g = F(0)
        if has_next:
            for k in range(4 * H):
                g += dz[i, tn, k] * U[k, j]
        if seq:
            g += dout[i, t, j]
        elif is_last:
            g += dout[i, 0, j]
        f = a[i, t, j]
        ig = a[i, t, H + j]
        gg = a[i, t, 2 * H + j]
        o = a[i, t, 3 * H + j]
        tcv = math.tanh(c[i, t, j])
        dc = g * o * (one - tcv * tcv) + dcf[i, j]
        cp = c[i, tp, j] if has_prev else F(0)
        dz[i, t, j] = dc * cp * f * (one - f)
        dz[i, t, H + j] = dc * gg * ig * (one - ig)
        dz[i, t, 2 * H + j] = dc * ig * (one - gg * gg)
        dz[i, t, 3 * H + j] = g * tcv * o * (one - o)
        dcf[i, j] = dc * f


@kernel
def previous_states(h, hp, reverse):
    """hp[i, t, :] = the state before step t: h[i, t - 1, :] (h[i, t + 1, :] when reversed), and
    0 at the sequence's first step. With it dU = sum_t delta_t^T h_{t-1} is one GEMM over all
    (example, step) rows: dz.reshape(n T, G)^T hp.reshape(n T, H). One thread per element."""
    idx = cuda.grid(1)
    n = h.shape[0]
    T = h.shape[1]
    H = h.shape[2]
    if idx < n * T * H:
        j = idx % H
        r = idx // H
        t = r % T
        i = r // T
        v = h.dtype.type(0)
        if reverse:
            if t + 1 < T:
                v = h[i, t + 1, j]
        elif t > 0:
            v = h[i, t - 1, j]
        hp[i, t, j] = v


@kernel
def take_step(h, t, out):
    """out[i, j] = h[i, t, j]."""
    idx = cuda.grid(1)
    H = h.shape[2]
    if idx < h.shape[0] * H:
        i = idx // H
        j = idx - i * H
        out[i, j] = h[i, t, j]


@kernel
def concat_last(a, b, out):
    """out[r, :] = [a[r, :], b[r, :]] for 2-D views (rows = every leading index)."""
    idx = cuda.grid(1)
    p = a.shape[1]
    m = out.shape[1]
    if idx < out.shape[0] * m:
        r = idx // m
        j = idx - r * m
        out[r, j] = a[r, j] if j < p else b[r, j - p]


@kernel
def split_last(d, a, b):
    """a[r, :] = d[r, :p], b[r, :] = d[r, p:] (the inverse of ``concat_last``)."""
    idx = cuda.grid(1)
    p = a.shape[1]
    m = d.shape[1]
    if idx < d.shape[0] * m:
        r = idx // m
        j = idx - r * m
        if j < p:
            a[r, j] = d[r, j]
        else:
            b[r, j - p] = d[r, j]


@kernel
def add_arrays(x, y, out):
    """out = x + y on flat arrays."""
    i = cuda.grid(1)
    if i < out.shape[0]:
        out[i] = x[i] + y[i]


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    I = int64  # noqa: E741 - time indices and flags
    for F in (float32, float64):
        A1, A2, A3, _ = arrays(F)
        out.setdefault("rnn_step_forward", []).append((A3, A2, A1, A3, I, I, I, I, F))
        out.setdefault("rnn_step_backward", []).append((A3, A2, A3, I, I, A3, I, I, I, I, F))
        out.setdefault("lstm_step_forward", []).append((A3, A2, A1, A3, A3, A3, I, I, I))
        out.setdefault("lstm_step_backward", []).append(
            (A3, A3, A2, A3, I, I, A3, A2, I, I, I, I, I)
        )
        out.setdefault("previous_states", []).append((A3, A3, I))
        out.setdefault("take_step", []).append((A3, I, A2))
        out.setdefault("concat_last", []).append((A2, A2, A2))
        out.setdefault("split_last", []).append((A2, A2, A2))
        out.setdefault("add_arrays", []).append((A1, A1, A1))
    return out


PTX_SIGNATURES = _sigs()
