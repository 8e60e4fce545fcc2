"""Choosing and running the fused CPU epoch kernel (``kernels.cpu.mlp``) from ``fit``.

``plan(model, loss, optimizer)`` returns a ``FusedPlan`` when the model is a plain dense network
(Dense layers, each optionally followed by one elementwise activation), the loss is one the kernel
implements, the optimiser is plain ``SGD`` over exactly the model's parameters, nothing is frozen,
and the backend is ``cpu``; otherwise ``None`` and ``fit`` runs layer by layer.
"""

from __future__ import annotations

import numpy as np

from ..kernels import scalar as S


class FusedPlan:
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
        self._ws = None

    def workspaces(self, bs):
        if self._ws is None or self._ws[0] != bs:
            dt = self.model.dtype
            s = self.sizes
            tot = int(bs * s[1:].sum())
            mx = int(s.max())
            maxw = int(max(s[i] * s[i + 1] for i in range(len(s) - 1)))
            self._ws = (
                bs,
                np.empty(bs * int(s[0]), dt),
                np.empty(tot, dt),
                np.empty(tot, dt),
                np.empty((2, bs * mx), dt),
                np.empty(maxw, dt),
                np.empty(mx, dt),
            )
        return self._ws[1:]

    def run(self, X, T, labels, perm, start, stop, bs):
        from ..kernels.cpu.mlp import mlp_sgd_chunk

        opt = self.optimizer
        decay_w = opt.decay_factor(self.model._weight_probe)
        xb, zws, aws, dws, dW, db = self.workspaces(bs)
        dt = self.model.dtype.type
        return mlp_sgd_chunk(
            X, T, labels, perm, start, stop, bs, self.model._flat_value, self.w_off,
            self.b_off, self.sizes, self.acts, self.alphas, self.loss_kind, self.cost_c,
            dt(opt.lr), dt(decay_w), xb, zws, aws, dws, dW, db,
        )  # fmt: skip


def plan(model, layers, loss, optimizer):
    """A FusedPlan for (model, the layers to run, loss) or None when the kernel does not apply."""
    from .. import losses as L
    from ..optim import SGD
    from .activations import Activation
    from .layers import Dense

    if model.backend.name != "cpu" or type(optimizer) is not SGD:
        return None
    mp = model.parameters()
    if len(optimizer.params) != len(mp) or any(a is not b for a, b in zip(optimizer.params, mp)):
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
