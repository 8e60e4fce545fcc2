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
* ``rnn_forward`` takes two more arguments, ``act`` and ``alpha``: the hidden activation's code
  (``codes.Act``; default tanh, the slides' standard) and its parameter (leaky ReLU's slope,
  ELU's scale). Only activations whose derivative follows from their output can be used
  (``kernels.scalar.FROM_OUTPUT``: identity, sigmoid, tanh, ReLU, leaky ReLU, ELU), because BPTT
  keeps the states h_t, not the pre-activations.

Size: over 600 lines on purpose: the RNN and LSTM ops of the three backends (reference equations,
CPU blocks, CUDA launches) are kept side by side so that each backward sits next to its forward.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _special

from .._threads import blas_threads
from ..codes import Act
from ._blas import numpy_gemm as _numpy_gemm


def _steps(T, reverse):
    """Time indices in processing order."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _sigmoid(z):
    return _special.expit(z).astype(z.dtype, copy=False)


def _act(code, z, alpha):
    """The simple RNN's hidden activation f(z) in NumPy (codes of ``codes.Act``)."""
    code = int(code)
    if code == Act.TANH:
        return np.tanh(z)
    if code == Act.SIGMOID:
        return _sigmoid(z)
    if code == Act.RELU:
        return np.maximum(z, 0)
    if code == Act.LEAKY_RELU:
        return np.where(z > 0, z, z.dtype.type(alpha) * z)
    if code == Act.ELU:
        return np.where(z > 0, z, z.dtype.type(alpha) * np.expm1(np.minimum(z, 0)))
    if code == Act.IDENTITY:
        return z
    raise ValueError(f"activation code {code} has no derivative from its output")


def _act_slope(code, h, alpha):
    """f'(z) read off the output h = f(z) (the reference twin of
    ``kernels.scalar.act_df_from_output``)."""
    code = int(code)
    one = h.dtype.type(1)
    if code == Act.TANH:
        return one - h * h
    if code == Act.SIGMOID:
        return h * (one - h)
    if code == Act.RELU:
        return (h > 0).astype(h.dtype)
    if code == Act.LEAKY_RELU:
        return np.where(h > 0, one, h.dtype.type(alpha))
    if code == Act.ELU:
        return np.where(h > 0, one, h + h.dtype.type(alpha))
    return np.ones_like(h)


class ReferenceRNNOps:
    """NumPy versions: one matrix product per weight and time step, as the equations read."""

    # ------------------------------------------------------------------ simple RNN
    def rnn_forward(
        self, x, W, U, b, reverse=False, return_sequences=True, act=Act.TANH, alpha=0.0
    ):
        r"""Elman recurrence over the whole sequence.

        .. math:: h_t = f(W_{xh} x_t + W_{hh} h_{t-1} + b_h),\qquad f = \tanh \text{ by default}

        Parameters
        ----------
        x : ndarray of shape (n, T, d)
        W : ndarray of shape (H, d)
        U : ndarray of shape (H, H)
        b : ndarray of shape (H,)
        act : int
            The activation f (a ``codes.Act`` in ``kernels.scalar.FROM_OUTPUT``).
        alpha : float
            Leaky ReLU's slope or ELU's scale (ignored by the others).

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
            prev = _act(act, x[:, t] @ W.T + prev @ U.T + b, alpha)
            h[:, t] = prev
        out = h if return_sequences else prev.copy()
        return out, (x, W, U, h, reverse, act, alpha)

    def rnn_backward(self, cache, dout, dW, dU, db, need_dx=True):
        r"""Backpropagation through time for ``rnn_forward``.

        With :math:`\delta_t = \partial C / \partial z_t` and :math:`z_t` the pre-activation,

        .. math:: \frac{\partial C}{\partial h_t} = \frac{\partial C}{\partial y_t}
                  + W_{hh}^\top \delta_{t+1},\qquad
                  \delta_t = \frac{\partial C}{\partial h_t} \odot f'(z_t)

        .. math:: \frac{\partial C}{\partial W_{xh}} = \sum_t \delta_t x_t^\top,\quad
                  \frac{\partial C}{\partial W_{hh}} = \sum_t \delta_t h_{t-1}^\top,\quad
                  \frac{\partial C}{\partial b_h} = \sum_t \delta_t,\quad
                  \frac{\partial C}{\partial x_t} = W_{xh}^\top \delta_t

        (written for column vectors; the code works on rows, one per example), where
        :math:`f'(z_t)` is read off :math:`h_t`: :math:`1 - h_t^2` for tanh, :math:`h_t (1 - h_t)`
        for the sigmoid, :math:`[h_t > 0]` for ReLU.
        """
        x, W, U, h, reverse, act, alpha = cache
        n, T, _ = x.shape
        order = list(_steps(T, reverse))
        seq = dout.ndim == 3
        dx = np.zeros_like(x) if need_dx else None
        dnext = np.zeros((n, W.shape[0]), dtype=x.dtype)  # W_hh^T delta_{t+1}, as rows
        for k in range(T - 1, -1, -1):
            t = order[k]
            dh = dnext + (dout[:, t] if seq else (dout if k == T - 1 else 0.0))
            delta = dh * _act_slope(act, h[:, t], alpha)
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


#: BLAS threads inside the recurrent CPU ops. One: the kernels run one block of the batch per
#: Numba thread, each calling BLAS for its own small products (rows of the block x 4H x H); a
#: threaded BLAS inside them would only add hand-overs. Restored on exit (threadpoolctl).
BLAS_THREADS = 1

#: Rows per block of the evaluation-mode forward (``*_forward_eval`` with a large batch): each
#: block runs the whole sequence with one-step buffers that stay in cache.
INFER_ROWS = 128

#: An evaluation-mode forward keeps what BPTT needs (as ``*_forward`` does) while that takes at
#: most this many bytes; beyond it (``predict`` on thousands of sequences) it keeps only the
#: current step, and a ``backward`` that follows recomputes the forward pass first.
EVAL_KEEP_BYTES = 64 << 20

#: Smallest block of rows given its own thread (a thread per 2 rows costs more than it saves).
MIN_BLOCK_ROWS = 8

#: Bytes of reusable buffers kept between calls (see ``_Pool``).
POOL_BYTES = 256 << 20


def _blas_threads():
    """BLAS on ``BLAS_THREADS`` threads inside the block, the previous counts restored after
    (``numbanet._threads.blas_threads``)."""
    return blas_threads(BLAS_THREADS)


class _Pool:
    """Buffers of the recurrent ops, reused from call to call instead of allocated afresh.

    A training step needs a few MB per layer (every step's gates, cells and states); a fresh
    allocation of that size is a fresh ``mmap`` whose pages fault in on first touch, every step.
    ``take`` hands out a free set of the requested shapes (or makes one), ``give`` returns it;
    at most ``POOL_BYTES`` are kept."""

    def __init__(self):
        self._free = {}
        self._bytes = 0

    def take(self, key, shapes, dtype):
        lst = self._free.get(key)
        if lst:
            bufs = lst.pop()
            self._bytes -= sum(a.nbytes for a in bufs)
            return bufs
        return tuple(np.empty(s, dtype=dtype) for s in shapes)

    def give(self, key, bufs):
        size = sum(a.nbytes for a in bufs)
        if self._bytes + size > POOL_BYTES:
            return
        self._free.setdefault(key, []).append(bufs)
        self._bytes += size


class _Lease:
    """Holds a forward pass's buffers; gives them back to the pool when the cache that holds
    this lease is dropped (the layer's next forward replaces it)."""

    __slots__ = ("pool", "key", "bufs")

    def __init__(self, pool, key, bufs):
        self.pool, self.key, self.bufs = pool, key, bufs

    def __del__(self):
        try:
            self.pool.give(self.key, self.bufs)
        except Exception:  # interpreter shutdown  # pragma: no cover
            pass


#: The runner times each kind of call (operation and shapes) both ways, the blocks on the worker
#: threads or one after another on the calling thread, keeps a running average of the wall time
#: of each way and uses the faster one. It starts on the threads; the other way is first timed
#: at the ``EXPLORE_EVERY``-th call of a kind, and from then on every ``EXPLORE_EVERY``-th call
#: runs the slower way once to refresh its average, or every ``8 * EXPLORE_EVERY``-th when one
#: way is more than 1.25x faster. Each such check costs a slow call: the LSTM of
#: ``benchmarks/`` (one epoch, 20 steps, so 20 calls of each kind after a 2-step warm-up) spent
#: 4-5 of its 40 calls one after another when the serial way was timed at the third and fourth
#: call of a kind and re-checked every 32nd, each about 1.5x slower than on the threads (about
#: 7 % of the epoch). The blocks, hence the numbers, are the same
#: either way. Two threads are not always faster: when the machine has more runnable threads than
#: cores a thread that finishes its block waits for a partner that is not running (under Linux's
#: per-session CPU shares, autogroup, a second thread then adds no CPU time at all), and a
#: spinning OpenMP thread left over from another kernel slows the partner's core: measured on the
#: 2-core test machine, an LSTM epoch took 3.3 s on two threads against 2.4-2.6 s on one at load
#: average 15-20, and 573 against 497 ms at load 3.5 with the process at the highest priority.
EXPLORE_EVERY = 8


class _Runner:
    """numbanet's own worker threads for the recurrent kernels' blocks.

    ``run(fn, P, kind)`` calls ``fn(p)`` for p = 0 .. P-1: either p = 0 on the calling thread and
    the others on P - 1 worker threads (the kernels release the GIL, so the blocks run in
    parallel), or all of them one after another on the calling thread, whichever has lately been
    faster for calls of this ``kind`` (``EXPLORE_EVERY``). It returns when all are done,
    re-raising a worker's exception. Waiting threads sleep (a condition variable) instead of
    spinning, so a waiting thread leaves its core to the others. The threads are created on first
    use and live as long as the process (after a fork the child makes its own)."""

    def __init__(self):
        self._pool = None
        self._size = 0
        self._pid = None
        self._stats = {}  # kind -> [calls, {threaded: seen}, {threaded: average wall time}]

    def _entry(self, kind):
        st = self._stats.get(kind)
        if st is None:
            if len(self._stats) >= 256:
                self._stats.clear()
            st = self._stats[kind] = [0, {True: 0, False: 0}, {True: None, False: None}]
        return st

    def _threaded_next(self, kind):
        st = self._entry(kind)
        st[0] += 1
        par, ser = st[2][True], st[2][False]
        if par is None:
            return True  # the threads first
        if ser is None:  # one after another: first timed at the first exploration
            return st[0] % EXPLORE_EVERY != 0
        best = par <= ser
        # a clear winner is re-checked eight times less often (each check costs a slow call)
        period = EXPLORE_EVERY if max(par, ser) < 1.25 * min(par, ser) else 8 * EXPLORE_EVERY
        return (not best) if st[0] % period == 0 else best

    def _record(self, kind, threaded, wall):
        """Fold a call's wall time into its way's running average; the first call of a kind is
        not used (it may include compiling or loading the kernels, one thread at a time)."""
        st = self._entry(kind)
        first = st[1][True] + st[1][False] == 0
        st[1][threaded] += 1
        if first:
            return
        old = st[2][threaded]
        st[2][threaded] = wall if old is None else 0.5 * (old + wall)

    def run(self, fn, P, kind=None):
        import os
        import time

        if P <= 1:
            fn(0)
            return
        threaded = self._threaded_next(kind)
        t0 = time.perf_counter()
        if not threaded:
            for p in range(P):  # the same blocks, so the same numbers, one after the other
                fn(p)
        else:
            if self._pool is None or self._size < P - 1 or self._pid != os.getpid():
                from concurrent.futures import ThreadPoolExecutor

                if self._pool is not None and self._pid == os.getpid():
                    self._pool.shutdown(wait=True)
                self._pool = ThreadPoolExecutor(
                    max_workers=P - 1, thread_name_prefix="numbanet-rnn"
                )
                self._size, self._pid = P - 1, os.getpid()
            futures = [self._pool.submit(fn, p) for p in range(1, P)]
            try:
                fn(0)
            finally:
                for f in futures:
                    f.result()
        self._record(kind, threaded, time.perf_counter() - t0)


_runner = _Runner()


class CPURNNOps:
    """Numba kernels (``kernels/cpu/recurrent.py``): the batch cut into one block of rows per
    Numba thread, each block running the whole sequence on its own (one BLAS product per step for
    every gate and bias at once, one vectorised loop for the gates), the weight gradients as one
    product per block. The blocks run on numbanet's worker threads or one after another,
    whichever has lately been faster (``_Runner``), BLAS on ``BLAS_THREADS`` threads inside the
    ops, and the buffers are reused between calls (``_Pool``).

    Besides the ops of every backend, ``rnn_forward_eval``/``lstm_forward_eval`` serve the
    layers' evaluation-mode forward: the same numbers, without keeping every step's gates when
    the batch is large (``EVAL_KEEP_BYTES``); their cache still serves a backward pass."""

    _rnn_pool = None

    @staticmethod
    def _KRN():
        from ..kernels.cpu import recurrent as K

        return K

    def _pool(self):
        if self._rnn_pool is None:
            self._rnn_pool = _Pool()
        return self._rnn_pool

    @staticmethod
    def _threads():
        import numba

        return max(1, int(numba.get_num_threads()))

    def _split(self, n):
        """(P, nb): P blocks of nb rows (P * nb >= n), one per thread."""
        P = max(1, min(self._threads(), n // MIN_BLOCK_ROWS))
        return P, -(-n // P)

    @staticmethod
    def _prep(x, W, U, b):
        dt = W.dtype
        x = np.ascontiguousarray(x, dtype=dt)
        WUb = np.concatenate([W, U, b.reshape(-1, 1).astype(dt, copy=False)], axis=1)
        return x, WUb  # [W | U | b], (G, d + H + 1): the bias rides in the product

    @staticmethod
    def _out(x, H, seq):
        n, T, _ = x.shape
        return np.empty((n, T if seq else 1, H), dtype=x.dtype)

    def _train_shapes(self, lstm, n, T, d, H, G):
        P, nb = self._split(n)
        cshape = (P, T, nb, H) if lstm else (P, 1, 1, 1)
        return P, nb, ((P, T + 1, nb, d + H + 1), (P, T, nb, G), cshape, cshape)

    def _fwd_train(self, lstm, x, W, U, b, reverse, seq, act=Act.TANH, alpha=0.0):
        x, WUb = self._prep(x, W, U, b)
        n, T, d = x.shape
        G, H = U.shape
        P, nb, shapes = self._train_shapes(lstm, n, T, d, H, G)
        key = ("fwd", shapes, x.dtype.str)
        pool = self._pool()
        XH, A, C, TC = pool.take(key, shapes, x.dtype)
        out = self._out(x, H, seq)
        K, rev = self._KRN(), bool(reverse)
        fp, ilp = _numpy_gemm(x.dtype)
        fa = (int(act), x.dtype.type(alpha))  # the activation, its parameter in the data's type
        args = (lstm, x, WUb, rev, XH, A, C, TC, out, seq) + fa
        with _blas_threads():
            _runner.run(lambda p: K.forward_train(p, p + 1, fp, ilp, *args), P, key)
        lease = _Lease(pool, key, (XH, A, C, TC))
        cache = (lstm, n, XH, A, C, TC, W, U, bool(reverse), fa, lease)
        return (out if seq else out[:, 0]), cache

    def _fwd_eval(self, lstm, x, W, U, b, reverse, seq, act=Act.TANH, alpha=0.0):
        n, T, d = x.shape
        G, H = U.shape
        _, _, shapes = self._train_shapes(lstm, n, T, d, H, G)
        keep = sum(int(np.prod(s)) for s in shapes) * np.dtype(W.dtype).itemsize
        if keep <= EVAL_KEEP_BYTES:
            return self._fwd_train(lstm, x, W, U, b, reverse, seq, act, alpha)
        xc, WUb = self._prep(x, W, U, b)
        nb = min(INFER_ROWS, n)
        P = max(1, min(self._threads(), -(-n // nb)))
        shapes = ((P, nb, d + H + 1), (P, nb, G), (P, nb, H))
        key = ("eval", shapes, xc.dtype.str)
        pool = self._pool()
        xh, a, c = pool.take(key, shapes, xc.dtype)
        out = self._out(xc, H, seq)
        K, rev = self._KRN(), bool(reverse)
        fp, ilp = _numpy_gemm(xc.dtype)
        fa = (int(act), xc.dtype.type(alpha))
        with _blas_threads():
            _runner.run(
                lambda p: K.forward_infer(
                    p, P, fp, ilp, lstm, xc, WUb, rev, nb, xh[p], a[p], c[p], out, seq, *fa
                ),
                P,
                (key, n),
            )
        pool.give(key, (xh, a, c))
        # what a backward needs to redo the forward pass (copies: the caller may change x or the
        # weights in between)
        xs = xc.copy() if xc is x else xc
        lazy = ("lazy", lstm, xs, W.copy(), U.copy(), b.copy(), bool(reverse), seq, act, alpha)
        return (out if seq else out[:, 0]), lazy

    def _bwd(self, cache, dout, dW, dU, db, need_dx):
        if cache[0] == "lazy":
            _, cache = self._fwd_train(*cache[1:])
        lstm, n, XH, A, C, TC, W, U, reverse, fa, _lease = cache
        P, T1, nb, m = XH.shape
        T = T1 - 1
        G, H = U.shape
        d = m - H - 1
        dt = W.dtype
        seq = dout.ndim == 3
        d3 = np.ascontiguousarray(dout, dtype=dt)
        if not seq:
            d3 = d3.reshape(n, 1, H)
        rows = T * nb if need_dx else 1
        shapes = ((P, T, nb, G), (P, nb, H), (P, nb, H), (P, G, m), (P, rows, d))
        key = ("bwd", shapes, np.dtype(dt).str)
        pool = self._pool()
        DZ, GH, DC, dWUb, DX = pool.take(key, shapes, dt)
        dx = np.empty((n, T, d) if need_dx else (1, 1, 1), dtype=dt)
        K = self._KRN()
        U, W, nd = np.ascontiguousarray(U), np.ascontiguousarray(W), bool(need_dx)
        fp, ilp = _numpy_gemm(dt)
        args = (lstm, d3, seq, reverse, XH, A, C, TC, U, W, nd, DZ, GH, DC, dWUb, DX, dx) + fa
        with _blas_threads():
            _runner.run(lambda p: K.backward(p, p + 1, fp, ilp, *args), P, key)
        K.reduce_grads(dWUb, dW, dU, db)
        pool.give(key, (DZ, GH, DC, dWUb, DX))
        return dx if need_dx else None

    def rnn_forward(
        self, x, W, U, b, reverse=False, return_sequences=True, act=Act.TANH, alpha=0.0
    ):
        return self._fwd_train(False, x, W, U, b, reverse, bool(return_sequences), act, alpha)

    def rnn_forward_eval(
        self, x, W, U, b, reverse=False, return_sequences=True, act=Act.TANH, alpha=0.0
    ):
        return self._fwd_eval(False, x, W, U, b, reverse, bool(return_sequences), act, alpha)

    def rnn_backward(self, cache, dout, dW, dU, db, need_dx=True):
        return self._bwd(cache, dout, dW, dU, db, need_dx)

    def lstm_forward(self, x, W, U, b, reverse=False, return_sequences=True):
        return self._fwd_train(True, x, W, U, b, reverse, bool(return_sequences))

    def lstm_forward_eval(self, x, W, U, b, reverse=False, return_sequences=True):
        return self._fwd_eval(True, x, W, U, b, reverse, bool(return_sequences))

    def lstm_backward(self, cache, dout, dW, dU, db, need_dx=True):
        return self._bwd(cache, dout, dW, dU, db, need_dx)


def _grid1(n):
    from .. import config

    tpb = int(config.THREADS_PER_BLOCK)
    return (max(1, (n + tpb - 1) // tpb), tpb)


class CUDARNNOps:
    """numba.cuda kernels (``kernels/cuda/recurrent.py``): one fused launch per time step with
    one thread per (example, unit), forward and backward; input projections, dW, dU and dx as
    register-blocked matrix products over all steps at once, db a block tree reduction. Arrays
    stay on the device, batch-major."""

    @staticmethod
    def _KRN():
        from ..kernels.cuda import recurrent as K

        return K

    def _rec_forward(self, op, x, W, U, b, reverse, return_sequences, act=Act.TANH, alpha=0.0):
        K = self._KRN()
        x = self.asarray(x, W.dtype)
        n, T, d = x.shape
        G, H = U.shape
        dt = W.dtype
        xw = self.cuda.device_array((n, T, G), dtype=dt)
        self._matmul(x.reshape(n * T, d), W, xw.reshape(n * T, G), 0, 1, 0)
        h = self.cuda.device_array((n, T, H), dtype=dt)
        fa = (int(act), np.dtype(dt).type(alpha))  # the RNN's activation, alpha in the data's type
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
                K.rnn_step_forward[grid](xw, U, b, h, t, tp, int(k > 0), *fa)
        if return_sequences:
            out = h
        else:
            out = self.cuda.device_array((n, H), dtype=dt)
            K.take_step[grid](h, 0 if reverse else T - 1, out)
        saved = (a, c) if op == "lstm" else fa
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
                K.rnn_step_backward[grid](
                    h, U, d3, seq, last, dz, t, tn, int(k < T - 1), *cache[5:]
                )
        dz2 = dz.reshape(n * T, G)
        x2 = x.reshape(n * T, d)
        self._matmul(dz2, x2, dW, 1, 0, 1)
        hp = self.cuda.device_array((n, T, H), dtype=dt)  # h_{t-1} beside delta_t
        K.previous_states[_grid1(hp.size)](h, hp, int(reverse))
        self._matmul(dz2, hp.reshape(n * T, H), dU, 1, 0, 1)
        from .. import config

        grid_b, block_b = self.K.col_sum_launch(G, config.TILE)
        self.K.col_sum_tree[grid_b, block_b](dz2, db)  # block tree over the rows
        if not need_dx:
            return None
        dx = self.cuda.device_array((n, T, d), dtype=dt)
        self._matmul(dz2, W, dx.reshape(n * T, d), 0, 0, 0)
        return dx

    def rnn_forward(
        self, x, W, U, b, reverse=False, return_sequences=True, act=Act.TANH, alpha=0.0
    ):
        return self._rec_forward("rnn", x, W, U, b, reverse, return_sequences, act, alpha)

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
