r"""Backend ops of the recurrent layers: a simple (Elman) RNN and an LSTM, forward and
backpropagation through time (BPTT), plus the feature concatenation of a bidirectional wrapper.

Three mixins, one per backend (the pattern of ``backends/reference.py``): the reference versions
below are the slides' equations in NumPy, one time step per loop iteration, and the oracle of the
tests; ``CPURNNOps`` and ``CUDARNNOps`` compute the same numbers faster.

Conventions shared by all backends
----------------------------------
* Sequences are batch-major, ``x`` of shape ``(n, T, d)``; the hidden size is ``H``.
* Weights follow the slides' layout ``(out, in)``: the RNN has ``W`` = W_xh ``(H, d)``,
  ``U`` = W_hh ``(H, H)`` and ``b`` = b_h ``(H,)``. The LSTM stacks its four gates in the
  slides' order forget, input, candidate, output: ``W`` ``(4H, d)`` holds W_f, W_i, W_c, W_o,
  ``U`` ``(4H, H)`` holds U_f, U_i, U_c, U_o, ``b`` ``(4H,)`` holds b_f, b_i, b_c, b_o.
* ``reverse=True`` runs time backwards (t = T-1, ..., 0), so that the "previous" state of step
  t is the state of step t+1: the anti-causal half of a bidirectional network. Outputs stay
  indexed by t.
* The initial state is zero: h_{-1} = c_{-1} = 0.
* ``*_forward(x, W, U, b, reverse, return_sequences)`` returns ``(out, cache)``: ``out`` is every
  hidden state ``(n, T, H)`` or only the last one computed ``(n, H)`` (step T-1, or step 0 when
  reversed); ``cache`` is an opaque tuple that only the same backend's ``*_backward`` reads.
* ``*_backward(cache, dout, dW, dU, db, need_dx)`` takes d(loss)/d(out) of the same shape as
  ``out``, ACCUMULATES into ``dW``, ``dU``, ``db`` and returns d(loss)/d(x) ``(n, T, d)`` (or
  None when ``need_dx`` is False).
"""

from __future__ import annotations

import contextlib

import numpy as np
from scipy import special as _special


def _steps(T, reverse):
    """Time indices in processing order."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _sigmoid(z):
    return _special.expit(z).astype(z.dtype, copy=False)


class ReferenceRNNOps:
    """NumPy versions: one matrix product per weight and time step, as the equations read."""

    # ------------------------------------------------------------------ simple RNN
    def rnn_forward(self, x, W, U, b, reverse=False, return_sequences=True):
        r"""Elman recurrence over the whole sequence.

        .. math:: h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h)

        Parameters
        ----------
        x : ndarray of shape (n, T, d)
        W : ndarray of shape (H, d)
        U : ndarray of shape (H, H)
        b : ndarray of shape (H,)

        Returns
        -------
        out : ndarray of shape (n, T, H) or (n, H)
        cache : tuple
        """
        n, T, _ = x.shape
        H = W.shape[0]
        h = np.zeros((n, T, H), dtype=x.dtype)
        prev = np.zeros((n, H), dtype=x.dtype)
        for t in _steps(T, reverse):
            prev = np.tanh(x[:, t] @ W.T + prev @ U.T + b)
            h[:, t] = prev
        out = h if return_sequences else prev.copy()
        return out, (x, W, U, h, reverse)

    def rnn_backward(self, cache, dout, dW, dU, db, need_dx=True):
        r"""Backpropagation through time for ``rnn_forward``.

        With :math:`\delta_t = \partial C / \partial z_t` and :math:`z_t` the pre-activation,

        .. math:: \frac{\partial C}{\partial h_t} = \frac{\partial C}{\partial y_t}
                  + W_{hh}^\top \delta_{t+1},\qquad
                  \delta_t = \frac{\partial C}{\partial h_t} \odot (1 - h_t^2),

        .. math:: \frac{\partial C}{\partial W_{xh}} = \sum_t \delta_t x_t^\top,\quad
                  \frac{\partial C}{\partial W_{hh}} = \sum_t \delta_t h_{t-1}^\top,\quad
                  \frac{\partial C}{\partial b_h} = \sum_t \delta_t,\quad
                  \frac{\partial C}{\partial x_t} = W_{xh}^\top \delta_t

        (written for column vectors; the code works on rows, one per example).
        """
        x, W, U, h, reverse = cache
        n, T, _ = x.shape
        order = list(_steps(T, reverse))
        seq = dout.ndim == 3
        dx = np.zeros_like(x) if need_dx else None
        dnext = np.zeros((n, W.shape[0]), dtype=x.dtype)  # W_hh^T delta_{t+1}, as rows
        for k in range(T - 1, -1, -1):
            t = order[k]
            dh = dnext + (dout[:, t] if seq else (dout if k == T - 1 else 0.0))
            delta = dh * (1 - h[:, t] ** 2)
            hprev = h[:, order[k - 1]] if k > 0 else np.zeros_like(delta)
            dW += delta.T @ x[:, t]
            dU += delta.T @ hprev
            db += delta.sum(axis=0)
            if need_dx:
                dx[:, t] = delta @ W
            dnext = delta @ U
        return dx

    # ------------------------------------------------------------------ LSTM
    def lstm_forward(self, x, W, U, b, reverse=False, return_sequences=True):
        r"""LSTM over the whole sequence, the slides' six equations:

        .. math::
            f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) \\
            i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i) \\
            \tilde c_t &= \tanh(W_c x_t + U_c h_{t-1} + b_c) \\
            c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
            o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) \\
            h_t &= o_t \odot \tanh(c_t)

        Parameters
        ----------
        x : ndarray of shape (n, T, d)
        W : ndarray of shape (4H, d)
        U : ndarray of shape (4H, H)
        b : ndarray of shape (4H,)

        Returns
        -------
        out : ndarray of shape (n, T, H) or (n, H)
        cache : tuple
            Includes the gate values ``(n, T, 4H)`` (after their nonlinearity) and the cells.
        """
        n, T, _ = x.shape
        H = U.shape[1]
        h = np.zeros((n, T, H), dtype=x.dtype)
        c = np.zeros((n, T, H), dtype=x.dtype)
        gates = np.zeros((n, T, 4 * H), dtype=x.dtype)
        hprev = np.zeros((n, H), dtype=x.dtype)
        cprev = np.zeros((n, H), dtype=x.dtype)
        for t in _steps(T, reverse):
            z = x[:, t] @ W.T + hprev @ U.T + b
            f = _sigmoid(z[:, 0:H])
            i = _sigmoid(z[:, H : 2 * H])
            g = np.tanh(z[:, 2 * H : 3 * H])
            o = _sigmoid(z[:, 3 * H : 4 * H])
            cprev = f * cprev + i * g
            hprev = o * np.tanh(cprev)
            gates[:, t] = np.concatenate([f, i, g, o], axis=1)
            c[:, t] = cprev
            h[:, t] = hprev
        out = h if return_sequences else hprev.copy()
        return out, (x, W, U, h, c, gates, reverse)

    def lstm_backward(self, cache, dout, dW, dU, db, need_dx=True):
        r"""Backpropagation through time for ``lstm_forward``.

        Going backwards, with :math:`\partial h_t` the total gradient reaching h_t (from the
        output at t and from step t+1) and :math:`\partial c_t` the one reaching the cell:

        .. math::
            \partial c_t &= \partial h_t \odot o_t \odot (1 - \tanh^2 c_t) + f_{t+1} \odot
                            \partial c_{t+1} \\
            \delta^o_t &= \partial h_t \odot \tanh c_t \odot o_t (1 - o_t),\quad
            \delta^f_t = \partial c_t \odot c_{t-1} \odot f_t (1 - f_t) \\
            \delta^i_t &= \partial c_t \odot \tilde c_t \odot i_t (1 - i_t),\quad
            \delta^c_t = \partial c_t \odot i_t \odot (1 - \tilde c_t^2) \\
            \partial h_{t-1} &\mathrel{+}= U^\top \delta_t,\quad
            \partial W \mathrel{+}= \delta_t x_t^\top,\quad
            \partial U \mathrel{+}= \delta_t h_{t-1}^\top,\quad
            \partial x_t = W^\top \delta_t

        where :math:`\delta_t` stacks the four gate deltas like the rows of W and U.
        """
        x, W, U, h, c, gates, reverse = cache
        n, T, _ = x.shape
        H = U.shape[1]
        order = list(_steps(T, reverse))
        seq = dout.ndim == 3
        dx = np.zeros_like(x) if need_dx else None
        dh_next = np.zeros((n, H), dtype=x.dtype)
        dc_next = np.zeros((n, H), dtype=x.dtype)
        f_next = np.zeros((n, H), dtype=x.dtype)
        zeros = np.zeros((n, H), dtype=x.dtype)
        for k in range(T - 1, -1, -1):
            t = order[k]
            f = gates[:, t, 0:H]
            i = gates[:, t, H : 2 * H]
            g = gates[:, t, 2 * H : 3 * H]
            o = gates[:, t, 3 * H : 4 * H]
            cprev = c[:, order[k - 1]] if k > 0 else zeros
            hprev = h[:, order[k - 1]] if k > 0 else zeros
            dh = dh_next + (dout[:, t] if seq else (dout if k == T - 1 else 0.0))
            tc = np.tanh(c[:, t])
            dc = dh * o * (1 - tc**2) + f_next * dc_next
            delta = np.concatenate(
                [
                    dc * cprev * f * (1 - f),
                    dc * g * i * (1 - i),
                    dc * i * (1 - g**2),
                    dh * tc * o * (1 - o),
                ],
                axis=1,
            )
            dW += delta.T @ x[:, t]
            dU += delta.T @ hprev
            db += delta.sum(axis=0)
            if need_dx:
                dx[:, t] = delta @ W
            dh_next = delta @ U
            dc_next = dc
            f_next = f
        return dx

    # ------------------------------------------------------------------ bidirectional glue
    def concat_last(self, a, b):
        """[a, b] joined on the last (feature) axis: (..., p) and (..., q) -> (..., p + q)."""
        return np.concatenate([a, b], axis=-1)

    def split_last(self, d, p):
        """The inverse of ``concat_last``: (..., p + q) -> (..., p), (..., q), both contiguous."""
        return np.ascontiguousarray(d[..., :p]), np.ascontiguousarray(d[..., p:])

    def add_arrays(self, a, b):
        """a + b, a new array (the two directions' input gradients)."""
        return a + b


def _time_major(x):
    """(n, T, d) -> contiguous (T, n, d)."""
    return np.ascontiguousarray(x.transpose(1, 0, 2))


def _dout_time_major(dout):
    """The output gradient as the kernels read it: (T, n, H), or (1, n, H) for the last step."""
    if dout.ndim == 3:
        return _time_major(dout), True
    return np.ascontiguousarray(dout).reshape((1,) + dout.shape), False


#: BLAS threads during the recurrent CPU ops (None: leave BLAS's own setting). One by default:
#: the per-step products are small (n x 4H x H), and on a busy two-core machine a two-thread
#: OpenBLAS pool, which spin-waits between the 100 products of a 50-step batch, made LSTM
#: training 10x slower (67-94 samples/s against 960-1,090 on one thread, load average 5-8);
#: on an idle machine two threads gain about 40 %.
BLAS_THREADS = 1

_controller = []


@contextlib.contextmanager
def _blas_threads():
    """Limit BLAS to ``BLAS_THREADS`` inside the block (about 15 us per use)."""
    if BLAS_THREADS is None:
        yield
        return
    if not _controller:
        import scipy.linalg  # noqa: F401 - load SciPy's BLAS (Numba's np.dot) before scanning
        from threadpoolctl import ThreadpoolController

        _controller.append(ThreadpoolController())
    with _controller[0].limit(limits=int(BLAS_THREADS), user_api="blas"):
        yield


class CPURNNOps:
    """Numba kernels (``kernels/cpu/recurrent.py``): time-major buffers, one BLAS product per
    step for the recurrence, vectorised gate loops, weight gradients as three products over all
    steps. BLAS runs on ``BLAS_THREADS`` threads inside these ops."""

    @staticmethod
    def _KRN():
        from ..kernels.cpu import recurrent as K

        return K

    def _seq_out(self, h, reverse, return_sequences):
        if return_sequences:
            return _time_major(h)
        return h[0].copy() if reverse else h[h.shape[0] - 1].copy()

    def rnn_forward(self, x, W, U, b, reverse=False, return_sequences=True):
        n, T, _ = x.shape
        xt = _time_major(np.asarray(x, dtype=W.dtype))
        h = np.empty((T, n, W.shape[0]), dtype=W.dtype)
        with _blas_threads():
            self._KRN().rnn_forward(xt, W, U, b, bool(reverse), W.dtype == np.float64, h)
        return self._seq_out(h, reverse, return_sequences), (xt, W, U, h, bool(reverse))

    def rnn_backward(self, cache, dout, dW, dU, db, need_dx=True):
        xt, W, U, h, reverse = cache
        T, n, d = xt.shape
        d3, seq = _dout_time_major(np.asarray(dout, dtype=W.dtype))
        dz = np.empty(h.shape, dtype=W.dtype)
        dx = np.empty((T, n, d) if need_dx else (1, 1, 1), dtype=W.dtype)
        with _blas_threads():
            self._KRN().rnn_backward(
                xt, W, U, h, d3, seq, reverse, bool(need_dx), dz, dW, dU, db, dx
            )
        return _time_major(dx) if need_dx else None

    def lstm_forward(self, x, W, U, b, reverse=False, return_sequences=True):
        n, T, _ = x.shape
        H = U.shape[1]
        dt = W.dtype
        xt = _time_major(np.asarray(x, dtype=dt))
        a = np.empty((T, n, 4, H), dtype=dt)
        c, tc, h = (np.empty((T, n, H), dtype=dt) for _ in range(3))
        with _blas_threads():
            self._KRN().lstm_forward(
                xt, W, U, b.reshape(4, H), bool(reverse), dt == np.float64, a, c, tc, h
            )
        cache = (xt, W, U, a, c, tc, h, bool(reverse))
        return self._seq_out(h, reverse, return_sequences), cache

    def lstm_backward(self, cache, dout, dW, dU, db, need_dx=True):
        xt, W, U, a, c, tc, h, reverse = cache
        T, n, d = xt.shape
        d3, seq = _dout_time_major(np.asarray(dout, dtype=W.dtype))
        dz = np.empty(a.shape, dtype=W.dtype)
        dx = np.empty((T, n, d) if need_dx else (1, 1, 1), dtype=W.dtype)
        with _blas_threads():
            self._KRN().lstm_backward(
                xt, W, U, a, c, tc, h, d3, seq, reverse, bool(need_dx), dz, dW, dU, db, dx
            )
        return _time_major(dx) if need_dx else None


def _grid1(n):
    from .. import config

    tpb = int(config.THREADS_PER_BLOCK)
    return (max(1, (n + tpb - 1) // tpb), tpb)


class CUDARNNOps:
    """numba.cuda kernels (``kernels/cuda/recurrent.py``): one launch per time step with one
    thread per (example, unit); input projections, dW and dx as tiled matrix products over all
    steps at once. Arrays stay on the device, batch-major."""

    @staticmethod
    def _KRN():
        from ..kernels.cuda import recurrent as K

        return K

    def _rec_forward(self, op, x, W, U, b, reverse, return_sequences):
        K = self._KRN()
        x = self.asarray(x, W.dtype)
        n, T, d = x.shape
        G, H = U.shape
        dt = W.dtype
        xw = self.cuda.device_array((n, T, G), dtype=dt)
        self._matmul(x.reshape(n * T, d), W, xw.reshape(n * T, G), 0, 1, 0)
        h = self.cuda.device_array((n, T, H), dtype=dt)
        if op == "lstm":
            a = self.cuda.device_array((n, T, G), dtype=dt)
            c = self.cuda.device_array((n, T, H), dtype=dt)
        grid = _grid1(n * H)
        for k in range(T):
            t = T - 1 - k if reverse else k
            tp = t + 1 if reverse else t - 1
            tp = tp if k > 0 else t
            if op == "lstm":
                K.lstm_step_forward[grid](xw, U, b, a, c, h, t, tp, int(k > 0))
            else:
                K.rnn_step_forward[grid](xw, U, b, h, t, tp, int(k > 0))
        if return_sequences:
            out = h
        else:
            out = self.cuda.device_array((n, H), dtype=dt)
            K.take_step[grid](h, 0 if reverse else T - 1, out)
        saved = (a, c) if op == "lstm" else ()
        return out, (x, W, U, h, bool(reverse)) + saved

    def _rec_backward(self, op, cache, dout, dW, dU, db, need_dx):
        K = self._KRN()
        x, W, U, h, reverse = cache[:5]
        n, T, d = x.shape
        G, H = U.shape
        dt = W.dtype
        dout = self.asarray(dout, dt)
        seq = int(len(dout.shape) == 3)
        d3 = dout if seq else dout.reshape(n, 1, H)
        dz = self.cuda.device_array((n, T, G), dtype=dt)
        grid = _grid1(n * H)
        if op == "lstm":
            a, c = cache[5:]
            dcf = self.zeros((n, H), dt)
        for k in range(T - 1, -1, -1):
            t = T - 1 - k if reverse else k
            tp = (t + 1 if reverse else t - 1) if k > 0 else t
            tn = (t - 1 if reverse else t + 1) if k < T - 1 else t
            last = int(k == T - 1)
            if op == "lstm":
                K.lstm_step_backward[grid](
                    a, c, U, d3, seq, last, dz, dcf, t, tp, tn, int(k > 0), int(k < T - 1)
                )
            else:
                K.rnn_step_backward[grid](h, U, d3, seq, last, dz, t, tn, int(k < T - 1))
        dz2 = dz.reshape(n * T, G)
        x2 = x.reshape(n * T, d)
        self._matmul(dz2, x2, dW, 1, 0, 1)
        K.recurrent_grad_U[_grid1(G * H)](dz, h, dU, int(reverse))
        self.K.col_sum_acc[_grid1(G)](dz2, db)
        if not need_dx:
            return None
        dx = self.cuda.device_array((n, T, d), dtype=dt)
        self._matmul(dz2, W, dx.reshape(n * T, d), 0, 0, 0)
        return dx

    def rnn_forward(self, x, W, U, b, reverse=False, return_sequences=True):
        return self._rec_forward("rnn", x, W, U, b, reverse, return_sequences)

    def rnn_backward(self, cache, dout, dW, dU, db, need_dx=True):
        return self._rec_backward("rnn", cache, dout, dW, dU, db, need_dx)

    def lstm_forward(self, x, W, U, b, reverse=False, return_sequences=True):
        return self._rec_forward("lstm", x, W, U, b, reverse, return_sequences)

    def lstm_backward(self, cache, dout, dW, dU, db, need_dx=True):
        return self._rec_backward("lstm", cache, dout, dW, dU, db, need_dx)

    @staticmethod
    def _as_rows(a):
        # (the simulator's shape tuples take no negative indices)
        m = tuple(a.shape)[len(a.shape) - 1]
        return a.reshape(a.size // m, m)

    def concat_last(self, a, b):
        sa = tuple(a.shape)
        p, q = sa[-1], tuple(b.shape)[-1]
        out = self.cuda.device_array(sa[:-1] + (p + q,), dtype=a.dtype)
        if out.size:
            self._KRN().concat_last[_grid1(out.size)](
                self._as_rows(a), self._as_rows(b), self._as_rows(out)
            )
        return out

    def split_last(self, d, p):
        sd = tuple(d.shape)
        a = self.cuda.device_array(sd[:-1] + (p,), dtype=d.dtype)
        b = self.cuda.device_array(sd[:-1] + (sd[-1] - p,), dtype=d.dtype)
        if d.size:
            self._KRN().split_last[_grid1(d.size)](
                self._as_rows(d), self._as_rows(a), self._as_rows(b)
            )
        return a, b

    def add_arrays(self, a, b):
        out = self.cuda.device_array(a.shape, dtype=a.dtype)
        if out.size:
            self._KRN().add_arrays[_grid1(out.size)](
                a.reshape(a.size), b.reshape(b.size), out.reshape(out.size)
            )
        return out
