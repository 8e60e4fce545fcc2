"""Choosing and running the fused CPU epoch kernel (``kernels.cpu.mlp``) from ``fit``.

``plan(model, layers, loss, optimizer)`` returns a ``FusedPlan`` when

* the backend is ``cpu``;
* the layers are a plain dense network: ``Dense`` layers with a bias, none frozen, each optionally
  followed by one elementwise ``Activation`` (not ``Step``, whose derivative is useless, and not
  ``PReLU``, whose slope is a parameter);
* the loss is one the kernel implements: ``MSE`` (any output activation), ``MultiLabelBCE`` /
  ``SigmoidCrossEntropy`` / ``BCEWithLogits`` or ``CrossEntropy`` on logits (``fit`` hands over
  the logits version when it absorbed a final ``Sigmoid``/``Softmax``);
* the optimiser is exactly ``SGD`` or ``Momentum`` (either form, without bias correction) over
  exactly the model's parameters, with no gradient clipping and no L2 *penalty* (Nielsen's
  multiplicative decay ``l2=``/``weight_decay=`` is supported);

otherwise ``None`` and ``fit`` runs layer by layer. The plan owns the kernel's workspaces and
chooses, per layer, the hand-written loops or BLAS (``kernels.cpu.mlp.SMALL_MACS``).
"""

from __future__ import annotations

import numpy as np

from ..kernels import scalar as S


class FusedPlan:
    """What ``mlp_sgd_chunk`` needs, gathered once per ``fit``.

    Attributes
    ----------
    sizes : int64 ndarray of shape (L + 1,)
        Widths d_0, ..., d_L.
    acts, alphas : ndarrays of shape (L,)
        Activation code and parameter after each Dense layer (identity when there is none).
    w_off, b_off : int64 ndarrays of shape (L,)
        Offsets of each layer's W and b in the model's flat parameter buffer.
    loss_kind, cost_c : int, float
        The kernel's loss code and the loss's cost scale (``Loss._cost_scale``).
    """

    def __init__(self, model, sizes, acts, alphas, w_off, b_off, loss_kind, cost_c, optimizer):
        self.model = model
        self.sizes = np.asarray(sizes, np.int64)
        self.acts = np.asarray(acts, np.int64)
        self.alphas = np.asarray(alphas, model.dtype)
        self.w_off = np.asarray(w_off, np.int64)
        self.b_off = np.asarray(b_off, np.int64)
        self.loss_kind = loss_kind
        self.cost_c = cost_c
        self.optimizer = optimizer
        self.momentum = type(optimizer).__name__ == "Momentum"
        self._ws = None
        self._mflat = None

    def narrow(self, bs):
        """True when the feature-major kernel applies: every width <= NARROW_MAX_WIDTH and
        minibatches of at least NARROW_MIN_BATCH."""
        from ..kernels.cpu import mlp

        return int(self.sizes.max()) <= mlp.NARROW_MAX_WIDTH and bs >= mlp.NARROW_MIN_BATCH

    def small_flags(self, bs):
        """Per layer: True for the hand-written loops (m * d_in * d_out <= SMALL_MACS), False
        for BLAS."""
        from ..kernels.cpu import mlp

        s = self.sizes
        return np.array(
            [bs * int(s[i]) * int(s[i + 1]) <= mlp.SMALL_MACS for i in range(len(s) - 1)],
            np.bool_,
        )

    def workspaces(self, bs):
        """Flat buffers for minibatches of ``bs``, allocated once and reused while ``bs`` stays
        the same: (narrow, small, inv_m, zws, aws, dws, grow, xg, gW, ident)."""
        if self._ws is None or self._ws[0] != bs:
            dt = self.model.dtype
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

    def run(self, X, T, labels, perm, start, stop, bs):
        """Train on ``perm[start:stop]`` in minibatches of ``bs``; return the summed cost."""
        from ..kernels.cpu import mlp

        opt = self.optimizer
        dt = self.model.dtype.type
        decay_w = opt.decay_factor(self.model._weight_probe)
        narrow, small, inv_m, zws, aws, dws, grow, xg, gW, ident = self.workspaces(bs)
        X = np.ascontiguousarray(X)
        perm = np.ascontiguousarray(perm, dtype=np.int64)
        flat = self.model._flat_value
        if self.momentum:
            mflat = self._gather_momentum()
            beta, damp = dt(opt.beta1), dt(opt._damp)
        else:
            mflat, beta, damp = flat, dt(0), dt(1)  # never written when mom is False
        if narrow:
            total = mlp.mlp_sgd_chunk_narrow(
                X, T, labels, perm, start, stop, bs, flat, self.w_off, self.b_off,
                self.sizes, self.acts, self.alphas, self.loss_kind, self.cost_c, inv_m,
                dt(opt.lr), dt(decay_w), zws, aws, dws, mflat, beta, damp, self.momentum,
            )  # fmt: skip
        else:
            total = mlp.mlp_sgd_chunk(
                X, T, labels, perm, start, stop, bs, flat, self.w_off, self.b_off,
                self.sizes, self.acts, self.alphas, small, self.loss_kind, self.cost_c, inv_m,
                dt(opt.lr), dt(decay_w), zws, aws, dws, grow, xg, gW, ident, mflat, beta, damp,
                self.momentum,
            )  # fmt: skip
        if self.momentum:
            self._scatter_momentum(mflat)
        opt.t += -(-(stop - start) // bs)  # the steps taken, as the layer path counts them
        return total

    def _gather_momentum(self):
        """The optimiser's per-parameter velocity buffers laid out like the flat parameters."""
        opt = self.optimizer
        if self._mflat is None:
            self._mflat = np.zeros_like(self.model._flat_value)
        for i, p in enumerate(opt.params):
            off = self.model._offset_of(p)
            self._mflat[off : off + p.size] = opt._buf(i, "m")
        return self._mflat

    def _scatter_momentum(self, mflat):
        opt = self.optimizer
        for i, p in enumerate(opt.params):
            off = self.model._offset_of(p)
            opt._buf(i, "m")[:] = mflat[off : off + p.size]


def plan(model, layers, loss, optimizer):
    """A FusedPlan for (model, the layers to run, loss, optimizer), or None when the kernel does
    not apply (see the module docstring for the conditions)."""
    from .. import losses as L
    from .. import optim
    from .activations import Activation
    from .layers import Dense

    if model.backend.name != "cpu":
        return None
    kind = type(optimizer)
    if kind is optim.SGD:
        pass
    elif kind is getattr(optim, "Momentum", None):
        if optimizer.bias_correction:  # the step size changes with t inside the epoch
            return None
    else:
        return None
    if not getattr(optimizer, "fusable", True):
        return None
    mp = model.parameters()
    if len(optimizer.params) != len(mp) or any(a is not b for a, b in zip(optimizer.params, mp)):
        return None
    if any(not p.trainable for p in mp):
        return None
    sizes, acts, alphas, w_off, b_off = [], [], [], [], []
    i = 0
    while i < len(layers):
        d = layers[i]
        if type(d) is not Dense or d.frozen or not d.use_bias:
            return None
        if not sizes:
            sizes.append(d.in_features)
        elif sizes[-1] != d.in_features:
            return None
        sizes.append(d.out_features)
        w_off.append(model._offset_of(d.W))
        b_off.append(model._offset_of(d.b))
        code, alpha = S.ACT_IDENTITY, 0.0
        if i + 1 < len(layers) and isinstance(layers[i + 1], Activation):
            a = layers[i + 1]
            if a.code == S.ACT_STEP:
                return None
            code, alpha = a.code, a.alpha
            i += 1
        acts.append(code)
        alphas.append(alpha)
        i += 1
    if not sizes:
        return None
    k = sizes[-1]
    last = acts[-1]
    if isinstance(loss, L.MSE):
        kind, c = 0, loss._cost_scale(k)
    elif isinstance(loss, (L.MultiLabelBCE, L.BCEWithLogits)) and last == S.ACT_IDENTITY:
        if isinstance(loss, L.MultiLabelBCE) and not loss.from_logits:
            return None
        kind, c = 2, loss._cost_scale(k)
    elif isinstance(loss, L.CrossEntropy) and loss.from_logits and last == S.ACT_IDENTITY:
        kind, c = 1, 1.0  # 3 (probability targets) is chosen at run time
    else:
        return None
    return FusedPlan(model, sizes, acts, alphas, w_off, b_off, kind, c, optimizer)
