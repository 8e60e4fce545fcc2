"""Optimisers. ``SGD`` here; the training toolkit adds the rest with fused update kernels.

Weight decay comes in two equivalent spellings, both applied to weights only (not biases), as in
the slides:

* ``l2=lambda, n_train=n``: Nielsen's form  w <- (1 - eta lambda / n) w - eta grad, the update of
  the cost C = C_0 + (lambda / 2n) sum w^2 (``fit`` fills in ``n_train`` when left out);
* ``weight_decay=wd``: PyTorch's coupled form, the same with lambda / n = wd.
"""

from __future__ import annotations

import numpy as np

from ._validate import positive_float
from .errors import ValidationError


class Optimizer:
    """Base class: holds the parameters, the learning rate and the step count ``t``."""

    name = "optimizer"

    def __init__(self, params, lr, weight_decay=0.0, l2=0.0, n_train=None):
        from .nn.parameter import Parameter

        params = list(params)
        if not params:
            raise ValidationError("the optimiser received no parameters (params is empty)")
        for p in params:
            if not isinstance(p, Parameter):
                raise ValidationError(
                    f"params must be Parameter objects, e.g. net.parameters(); got {type(p).__name__}"
                )
        self.params = params
        self.lr = positive_float(lr, "lr")
        self.weight_decay = positive_float(weight_decay, "weight_decay", allow_zero=True)
        self.l2 = positive_float(l2, "l2", allow_zero=True)
        self.n_train = None if n_train is None else int(n_train)
        self.t = 0

    @property
    def backend(self):
        return self.params[0].backend

    def set_train_size(self, n):
        """Called by ``fit``: the n of Nielsen's lambda / n, unless given explicitly."""
        if self.n_train is None:
            self.n_train = int(n)

    def decay_factor(self, p):
        """The multiplicative weight-decay factor for parameter ``p`` at this step."""
        if p.kind != "weight":
            return 1.0
        rate = self.weight_decay
        if self.l2:
            if not self.n_train:
                raise ValidationError(
                    "l2 needs the training-set size n (Nielsen's lambda / n): pass n_train= or "
                    "train with fit()"
                )
            rate += self.l2 / self.n_train
        return 1.0 - self.lr * rate

    def zero_grad(self):
        for p in self.params:
            p.zero_grad()

    def step(self):
        """Apply one update to every trainable parameter."""
        self.t += 1
        for i, p in enumerate(self.params):
            if p.trainable:
                self._update(i, p)

    def _update(self, i, p):  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------- state (for checkpoints)
    def state_dict(self):
        """Scalars and per-parameter state arrays (NumPy), for checkpoints and plots."""
        return {"t": np.array(self.t), "lr": np.array(self.lr)}

    def load_state_dict(self, state):
        self.t = int(state["t"])
        self.lr = float(state["lr"])

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent: w <- (decay) w - lr grad."""

    name = "sgd"

    def _update(self, i, p):
        self.backend.sgd_update(p.data, p.grad_data, self.lr, self.decay_factor(p))


OPTIMIZERS = {"sgd": SGD}


def get(name, params, lr, **kwargs):
    """An optimiser by name over ``params``."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValidationError(
            f"unknown optimizer {name!r}; choose one of {', '.join(sorted(OPTIMIZERS))}"
        )
    return OPTIMIZERS[key](params, lr=lr, **kwargs)
