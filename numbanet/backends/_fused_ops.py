"""The fused dense-epoch path, offered by a backend that has one (today: ``cpu``).

``fit`` asks its backend for a plan: ``backend.fused_dense_plan(stack, loss, rule)``. The base
(reference) backend answers ``None`` and ``fit`` trains layer by layer; the CPU backend answers
with a :class:`FusedDensePlan` that runs whole chunks of an epoch in one compiled call
(``kernels.cpu.mlp``). The three arguments are public descriptions, so nothing here reaches into
a model, a loss or an optimiser:

* ``stack`` (:class:`numbanet.nn.DenseStack`, from ``Sequential.dense_stack``): the widths,
  activation codes and slopes of a plain dense net, the offsets of each W and b in the model's
  flat parameter buffer, and that buffer;
* ``loss``: ``(code, cost_scale)`` from ``Loss.fused_code(last_activation)``
  (:class:`numbanet.codes.FusedLoss`);
* the optimiser itself, asked at every run for ``optimizer.fused_rule()`` (learning rate,
  momentum), ``optimizer.decay_factor(W)`` and its velocity buffers (``optimizer.buffer(i,
  "m")``), so a schedule that changes the learning rate between epochs is followed.

The plan owns the kernel's workspaces and chooses, per layer, hand-written loops or BLAS
(``config.FUSED_SMALL_MACS``), and the feature-major kernel for narrow nets.
"""

from __future__ import annotations

import numpy as np

from .._threads import blas_for, blas_threads
from ..codes import FusedLoss


class ReferenceFusedOps:
    """No fused path: ``fit`` trains layer by layer."""

    def fused_dense_plan(self, stack, loss, optimizer):
        """A plan that trains ``stack`` with ``loss`` and ``optimizer`` chunk by chunk, or None
        when this backend has no fused path for them."""
        return None

    def dense_stack_runner(self, stack):
        """An object whose ``forward(x)`` / ``backward(g, need_dx)`` run the whole ``stack``
        in one call each, or None when this backend runs it layer by layer."""
        return None


class CPUFusedOps:
    def fused_dense_plan(self, stack, loss, optimizer):
        if stack is None or loss is None or optimizer.fused_rule() is None:
            return None
        mp = stack.parameters
        if len(optimizer.params) != len(mp) or any(
            a is not b for a, b in zip(optimizer.params, mp)
        ):
            return None
        if stack.flat.dtype != mp[0].dtype:
            return None
        return FusedDensePlan(stack, loss[0], loss[1], optimizer)

    def dense_stack_runner(self, stack):
        if stack is None:
            return None
        return DenseStackRunner(stack)


class DenseStackRunner:
    """Forward and backward of a plain dense stack in one compiled call each (CPU).

    ``forward(x)`` keeps every layer's z and a in workspaces sized for the batch (kept for the
    last two batch sizes, so an epoch's full and partial minibatches do not reallocate), and
    returns the output as a new array (the workspace is reused by the next call).
    ``backward(g, need_dx)`` accumulates every parameter's gradient into the model's flat
    gradient buffer and returns d(loss)/d(x) (or None).
    """

    def __init__(self, stack):
        from .. import config
        from ..kernels.cpu import mlp

        self._mlp = mlp
        self.stack = stack
        self.dtype = stack.flat.dtype
        self.sizes = np.asarray(stack.sizes, np.int64)
        self.acts = np.asarray([int(a) for a in stack.acts], np.int64)
        self.alphas = np.asarray(stack.alphas, self.dtype)
        self.w_off = np.asarray(stack.w_off, np.int64)
        self.b_off = np.asarray(stack.b_off, np.int64)
        self.grad = stack.parameters[0].home[1]
        self._small_macs = config.STACK_SMALL_MACS
        # feature-major kernels (inner loops over the batch) for narrow stacks
        self._narrow_rows = (
            config.FUSED_NARROW_MIN_BATCH
            if int(self.sizes.max()) <= config.FUSED_NARROW_MAX_WIDTH
            else None
        )
        self._loop_rows = config.STACK_LOOP_MAX_ROWS
        self._blas_macs = config.BLAS_MIN_MACS
        self._ws = {}
        self._accepted = {}  # accepts(m) for the batch sizes seen (asked once per forward)
        self._x = None

    def accepts(self, m):
        """True when a batch of ``m`` rows is worth one compiled call: every layer's product
        is below ``config.BLAS_MIN_MACS`` multiply-adds. Larger layers run better layer by
        layer, where NumPy's threaded BLAS writes into the layer's buffers and the bias,
        activation and reductions around it are threaded too; inside the compiled call the
        same products would go through Numba's ``np.dot`` (SciPy's BLAS, a second thread pool)
        with serial loops around them (784-1024-1024-10 at batch 256: 67 GFLOP/s against
        NumPy's 99)."""
        ok = self._accepted.get(m)
        if ok is None:
            s = self.sizes
            ok = all(m * int(s[i]) * int(s[i + 1]) < self._blas_macs for i in range(len(s) - 1))
            if len(self._accepted) >= 8:
                self._accepted.clear()
            self._accepted[m] = ok
        return ok

    def _narrow(self, m):
        return self._narrow_rows is not None and m >= self._narrow_rows

    def _workspace(self, m):
        ws = self._ws.get(m)
        if ws is None and self._narrow(m):
            s = self.sizes
            tot = int(m * s.sum())
            # z^T, a^T (x^T first), the two deltas^T; no BLAS anywhere
            ws = (None, np.empty(tot, self.dtype), np.empty(tot, self.dtype))
            ws += (np.empty((2, m * int(s.max())), self.dtype), None, None, None, None)
            if len(self._ws) >= 2:
                self._ws.pop(next(iter(self._ws)))
            self._ws[m] = ws
        elif ws is None:
            s = self.sizes
            dt = self.dtype
            rows = m <= self._loop_rows  # a few rows: gemm's blocking cannot pay for itself
            small = np.array(
                [
                    rows or m * int(s[i]) * int(s[i + 1]) <= self._small_macs
                    for i in range(len(s) - 1)
                ],
                np.bool_,
            )
            big = [i for i in range(len(s) - 1) if not small[i]]
            tot = int(m * s[1:].sum())
            ws = (
                small,
                np.empty(tot, dt),  # z of every layer
                np.empty(tot, dt),  # a of every layer
                np.empty((2, m * int(s.max())), dt),  # deltas, ping-pong
                np.arange(m, dtype=np.int64),
                np.empty(0, dt),  # gathered rows: unused (the input is already the batch)
                np.empty(max([int(s[i] * s[i + 1]) for i in big], default=0), dt),  # dW product
                # BLAS threads: untouched when every layer runs loops, else one (see forward)
                None if not big else 1,
            )
            if len(self._ws) >= 2:
                self._ws.pop(next(iter(self._ws)))
            self._ws[m] = ws
        return ws

    def forward(self, x):
        if x.dtype != self.dtype or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x, dtype=self.dtype)
        m = x.shape[0]
        small, zws, aws, _, ident, xg, _, threads = self._workspace(m)
        st = self
        k = int(self.sizes[-1])
        if small is None:  # narrow
            out = np.empty((m, k), self.dtype)
            self._mlp.mlp_forward_narrow(
                x, st.stack.flat, st.w_off, st.b_off, st.sizes, st.acts, st.alphas, zws, aws, out
            )
            self._x = x
            return out
        # accepts(): every product is below BLAS_MIN_MACS, so BLAS (if any) on one thread
        with blas_threads(threads):
            self._mlp.mlp_forward(
                x,
                st.stack.flat,
                st.w_off,
                st.b_off,
                st.sizes,
                st.acts,
                st.alphas,
                small,
                zws,
                aws,
                ident,
                xg,
            )
        self._x = x
        return aws[aws.shape[0] - m * k :].reshape(m, k).copy()

    def backward(self, g, need_dx):
        x = self._x
        m = x.shape[0]
        if g.dtype != self.dtype or not g.flags.c_contiguous:
            g = np.ascontiguousarray(g, dtype=self.dtype)
        small, zws, aws, dws, _, _, gtmp, threads = self._workspace(m)
        dx = np.empty((m, int(self.sizes[0])) if need_dx else (1, 1), self.dtype)
        st = self
        net = (st.stack.flat, st.grad, st.w_off, st.b_off, st.sizes, st.acts, st.alphas)
        if small is None:  # narrow
            self._mlp.mlp_backward_narrow(g, *net, zws, aws, dws, dx, bool(need_dx))
        else:
            with blas_threads(threads):
                self._mlp.mlp_backward(x, g, *net, small, zws, aws, dws, gtmp, dx, bool(need_dx))
        return dx if need_dx else None


class FusedDensePlan:
    """What ``mlp_sgd_chunk`` needs, gathered once per ``fit``.

    Attributes
    ----------
    sizes : int64 ndarray of shape (L + 1,)
        Widths d_0, ..., d_L.
    acts, alphas : ndarrays of shape (L,)
        Activation code and parameter after each Dense layer (identity when there is none).
    w_off, b_off : int64 ndarrays of shape (L,)
        Offsets of each layer's W and b in the model's flat parameter buffer.
    loss_code, cost_c : FusedLoss, float
        The kernel's loss and the loss's cost scale.
    """

    def __init__(self, stack, loss_code, cost_c, optimizer):
        self.stack = stack
        self.flat = stack.flat
        self.dtype = stack.flat.dtype
        self.sizes = np.asarray(stack.sizes, np.int64)
        self.acts = np.asarray([int(a) for a in stack.acts], np.int64)
        self.alphas = np.asarray(stack.alphas, self.dtype)
        self.w_off = np.asarray(stack.w_off, np.int64)
        self.b_off = np.asarray(stack.b_off, np.int64)
        self.loss_code = FusedLoss(loss_code)
        self.cost_c = float(cost_c)
        self.optimizer = optimizer
        self._ws = None
        self._mflat = None
        from ..kernels.cpu import mlp  # only a backend with Numba builds a plan

        self._mlp = mlp
        self._no_labels = np.zeros(1, np.int64)
        self._no_targets = np.zeros((1, 1), self.dtype)
        self._no_acc = np.zeros(0, np.int64)
        self._saved = None  # the parameters at the start of the epoch (check_finite)

    def narrow(self, bs):
        """True when the feature-major kernel applies: every width <= FUSED_NARROW_MAX_WIDTH
        and minibatches of at least FUSED_NARROW_MIN_BATCH."""
        from .. import config

        return (
            int(self.sizes.max()) <= config.FUSED_NARROW_MAX_WIDTH
            and bs >= config.FUSED_NARROW_MIN_BATCH
        )

    def small_flags(self, bs):
        """Per layer: True for the hand-written loops (m * d_in * d_out <= FUSED_SMALL_MACS),
        False for BLAS."""
        from .. import config

        s = self.sizes
        return np.array(
            [bs * int(s[i]) * int(s[i + 1]) <= config.FUSED_SMALL_MACS for i in range(len(s) - 1)],
            np.bool_,
        )

    def workspaces(self, bs):
        """Flat buffers for minibatches of ``bs``, allocated once and reused while ``bs`` stays
        the same: (narrow, small, inv_m, zws, aws, dws, grow, xg, gW, ident)."""
        if self._ws is None or self._ws[0] != bs:
            dt = self.dtype
            s = self.sizes
            narrow = self.narrow(bs)
            small = self.small_flags(bs)
            tot = int(bs * s.sum())  # z and a of every layer (and x^T when narrow)
            mx = int(s.max())
            big = [] if narrow else [i for i in range(len(s) - 1) if not small[i]]
            maxw = max([int(s[i] * s[i + 1]) for i in big], default=0)
            gather = int(bs * s[0]) if big else 0
            inv_m = np.zeros(bs + 1, dt)
            inv_m[1:] = self.cost_c / np.arange(1, bs + 1)
            self._ws = (
                bs,
                narrow,
                small,
                inv_m,
                np.empty(tot, dt),  # z of every layer
                np.empty(tot, dt),  # a of every layer
                np.empty((2, bs * mx), dt),  # delta, ping-pong
                np.empty(mx, dt),  # one gradient row (small layers)
                np.empty(gather, dt),  # gathered input rows (BLAS layers)
                np.empty(maxw, dt),  # gradient matrix (BLAS layers)
                np.arange(bs, dtype=np.int64),
            )
        return self._ws[1:]

    def run(self, X, T, acc_labels, perm, start, stop, bs):
        """Train on ``perm[start:stop]`` in minibatches of ``bs``.

        ``T`` is the prepared target: integer labels (n,) or a float matrix (n, k).
        ``acc_labels`` are the class labels to count right answers against (or None).
        Returns (summed cost, examples classified right before their minibatch's update).
        """
        if perm.dtype != np.int64 or not perm.flags.c_contiguous:
            perm = np.ascontiguousarray(perm, dtype=np.int64)
        totals, hits, _ = self._train(X, T, acc_labels, perm[None, :], start, stop, bs, 1, False)
        return float(totals[0]), int(hits[0])

    def run_epochs(self, X, T, acc_labels, perms, bs, epochs, check_finite):
        """Train ``epochs`` whole epochs in one compiled call: epoch e on the example order
        ``perms[e]`` (``perms`` of shape (epochs, n)), or on ``perms[0]`` in every epoch when
        ``perms`` has one row. ``T`` and ``acc_labels`` as in ``run``.

        Returns (summed cost of each epoch, right answers of each epoch, epochs run). With
        ``check_finite`` the call ends after the first epoch whose cost is not finite, with the
        parameters put back to where that epoch started; the epochs run then count it.
        """
        if perms.dtype != np.int64 or not perms.flags.c_contiguous:
            perms = np.ascontiguousarray(perms, dtype=np.int64)
        n = perms.shape[1]
        return self._train(X, T, acc_labels, perms, 0, n, bs, epochs, bool(check_finite))

    def _train(self, X, T, acc_labels, perms, start, stop, bs, epochs, check_finite):
        """One call of ``mlp_sgd_epochs``; returns (totals, hits, epochs run)."""
        mlp = self._mlp
        opt = self.optimizer
        rule = opt.fused_rule()
        dt = self.dtype.type
        code = self.loss_code
        if T.ndim == 1:  # integer labels
            labels, Tm = T, self._no_targets
        else:
            labels, Tm = self._no_labels, T
            if code == FusedLoss.SOFTMAX_XENT_LABELS:
                code = FusedLoss.SOFTMAX_XENT_PROBS
        acc = self._no_acc if acc_labels is None else acc_labels
        narrow, small, inv_m, zws, aws, dws, grow, xg, gW, ident = self.workspaces(bs)
        if not X.flags.c_contiguous:
            X = np.ascontiguousarray(X)
        flat = self.flat
        if rule.momentum:
            mflat = self._gather_velocity()
            beta, damp = dt(rule.beta), dt(rule.damp)
        else:
            mflat, beta, damp = flat, dt(0), dt(1)  # never written when momentum is off
        lr, decay = dt(rule.lr), dt(opt.decay_factor(self.stack.parameters[0]))  # a weight
        if check_finite:
            if self._saved is None:
                self._saved = np.empty_like(flat)
            saved = self._saved
        else:
            saved = flat  # never written
        totals = np.empty(epochs, np.float64)
        hits = np.empty(epochs, np.int64)
        # the feature-major loops call no BLAS: nothing to set
        blas = blas_threads(None) if narrow else blas_for(self._largest_blas_product(bs, small))
        with blas:
            done = mlp.mlp_sgd_epochs(
                X, Tm, labels, perms, start, stop, bs, flat, self.w_off, self.b_off,
                self.sizes, self.acts, self.alphas, narrow, small,
                int(code), self.cost_c, inv_m, lr, decay,
                zws, aws, dws, grow, xg, gW, ident,
                mflat, beta, damp, rule.momentum, acc,
                check_finite, saved, totals, hits,
            )  # fmt: skip
        if rule.momentum:
            self._scatter_velocity(mflat)
        opt.t += done * -(-(stop - start) // bs)  # the steps taken, as the layer path counts them
        return totals[:done], hits[:done], done

    def _largest_blas_product(self, bs, small):
        """Multiply-adds of the largest product the kernel hands to BLAS (0: none)."""
        s = self.sizes
        return max(
            (bs * int(s[i]) * int(s[i + 1]) for i in range(len(s) - 1) if not small[i]), default=0
        )

    def _gather_velocity(self):
        """The optimiser's per-parameter velocities laid out like the flat parameters."""
        opt = self.optimizer
        if self._mflat is None:
            self._mflat = np.zeros_like(self.flat)
        for i, off in enumerate(self.stack.offsets):
            v = opt.buffer(i, "m")
            self._mflat[off : off + v.size] = v
        return self._mflat

    def _scatter_velocity(self, mflat):
        opt = self.optimizer
        for i, off in enumerate(self.stack.offsets):
            v = opt.buffer(i, "m")
            v[:] = mflat[off : off + v.size]
