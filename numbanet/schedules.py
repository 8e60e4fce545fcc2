r"""Learning-rate schedules by epoch, as the slides write them.

With :math:`e_t = 1 + \lfloor tB / n_{tr} \rfloor` the (1-based) epoch of iteration t:

==========================  ===================================================================
schedule                    learning rate at epoch e
==========================  ===================================================================
``inverse_time(a0, delta)``  :math:`\alpha_0 (1 + \delta) / (1 + \delta e)` (so alpha(1) = a0)
``exponential(a0, gamma)``   :math:`\alpha_0 \gamma^{e - 1}`
``inverse_sqrt(a0)``         :math:`\alpha_0 / \sqrt{e}`
``piecewise(bounds, values)`` constant on epoch intervals (decreasing values, the slides' fourth)
``step_decay(a0, drop, every)`` :math:`\alpha_0\,\text{drop}^{\lfloor (e-1)/\text{every} \rfloor}`
``constant(a0)``             :math:`\alpha_0`
==========================  ===================================================================

Each is a callable ``schedule(e) -> lr`` (e >= 1, also accepting a NumPy array of epochs for
plotting). ``numbanet.callbacks.LRScheduler(schedule)`` is the ``fit`` callback that sets
``optimizer.lr`` at the beginning of every epoch; ``fit`` records the rate used in
``history["lr"]``.
"""

from __future__ import annotations

import numpy as np

from ._validate import positive_float
from .errors import ValidationError


def _epoch_int(v, name):
    """An integer number of epochs (refuses 2.5, 'ten', None with a message naming ``name``)."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer, float, np.floating)):
        raise ValidationError(f"{name} must be whole epochs (integers); got {v!r}")
    if not float(v).is_integer():
        raise ValidationError(f"{name} must be whole epochs (integers); got {v!r}")
    return int(v)


class Schedule:
    """Base class: ``schedule(e)`` for an epoch e >= 1 (int or array)."""

    def __call__(self, e):
        try:
            arr = np.asarray(e, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValidationError(
                f"epoch must be a number >= 1 (or an array of them); got {e!r}"
            ) from None
        if not np.all(np.isfinite(arr) & (arr >= 1)):  # NaN compares False: refuse it too
            raise ValidationError(f"epochs are counted from 1 and must be finite; got {e!r}")
        out = self._rate(arr)
        return float(out) if np.ndim(out) == 0 else out

    def _rate(self, e):  # pragma: no cover - abstract
        raise NotImplementedError


class InverseTime(Schedule):
    r""":math:`\alpha_0 (1 + \delta) / (1 + \delta e)`."""

    def __init__(self, alpha0, delta):
        self.alpha0 = positive_float(alpha0, "alpha0")
        self.delta = positive_float(delta, "delta", allow_zero=True)

    def _rate(self, e):
        return self.alpha0 * (1 + self.delta) / (1 + self.delta * e)

    def __repr__(self):
        return f"inverse_time(alpha0={self.alpha0}, delta={self.delta})"


class Exponential(Schedule):
    r""":math:`\alpha_0 \gamma^{e-1}`."""

    def __init__(self, alpha0, gamma):
        self.alpha0 = positive_float(alpha0, "alpha0")
        self.gamma = positive_float(gamma, "gamma", maximum=1.0)

    def _rate(self, e):
        return self.alpha0 * self.gamma ** (e - 1)

    def __repr__(self):
        return f"exponential(alpha0={self.alpha0}, gamma={self.gamma})"


class InverseSqrt(Schedule):
    r""":math:`\alpha_0 / \sqrt{e}`."""

    def __init__(self, alpha0):
        self.alpha0 = positive_float(alpha0, "alpha0")

    def _rate(self, e):
        return self.alpha0 / np.sqrt(e)

    def __repr__(self):
        return f"inverse_sqrt(alpha0={self.alpha0})"


class Piecewise(Schedule):
    """Constant by intervals: ``values[k]`` for ``bounds[k-1] < e <= bounds[k]``.

    ``bounds`` are the last epochs of all intervals but the final one, so
    ``piecewise([10, 20], [0.1, 0.01, 0.001])`` gives 0.1 for epochs 1-10, 0.01 for 11-20 and
    0.001 afterwards.
    """

    def __init__(self, bounds, values):
        self.bounds = [_epoch_int(b, "bounds") for b in bounds]
        self.values = [positive_float(v, "values") for v in values]
        if len(self.values) != len(self.bounds) + 1:
            raise ValidationError(
                f"piecewise needs one more value than bounds; got {len(self.bounds)} bounds and "
                f"{len(self.values)} values"
            )
        if any(b2 <= b1 for b1, b2 in zip(self.bounds, self.bounds[1:])) or (
            self.bounds and self.bounds[0] < 1
        ):
            raise ValidationError(f"bounds must be increasing epochs >= 1; got {self.bounds}")

    def _rate(self, e):
        idx = np.searchsorted(np.asarray(self.bounds, dtype=np.float64), e, side="left")
        return np.asarray(self.values)[idx]

    def __repr__(self):
        return f"piecewise(bounds={self.bounds}, values={self.values})"


class StepDecay(Schedule):
    r""":math:`\alpha_0\,\text{drop}^{\lfloor (e-1)/\text{every}\rfloor}` (divide by 1/drop every
    ``every`` epochs)."""

    def __init__(self, alpha0, drop=0.5, every=10):
        self.alpha0 = positive_float(alpha0, "alpha0")
        self.drop = positive_float(drop, "drop", maximum=1.0)
        self.every = _epoch_int(every, "every")
        if self.every < 1:
            raise ValidationError(f"every must be a positive number of epochs; got {every!r}")

    def _rate(self, e):
        return self.alpha0 * self.drop ** np.floor((e - 1) / self.every)

    def __repr__(self):
        return f"step_decay(alpha0={self.alpha0}, drop={self.drop}, every={self.every})"


class Constant(Schedule):
    def __init__(self, alpha0):
        self.alpha0 = positive_float(alpha0, "alpha0")

    def _rate(self, e):
        return self.alpha0 + 0 * e

    def __repr__(self):
        return f"constant({self.alpha0})"


def inverse_time(alpha0, delta):
    return InverseTime(alpha0, delta)


def exponential(alpha0, gamma):
    return Exponential(alpha0, gamma)


def inverse_sqrt(alpha0):
    return InverseSqrt(alpha0)


def piecewise(bounds, values):
    return Piecewise(bounds, values)


def step_decay(alpha0, drop=0.5, every=10):
    return StepDecay(alpha0, drop, every)


def constant(alpha0):
    return Constant(alpha0)


def epoch_of_iteration(t, batch_size, n_train):
    r"""The slides' :math:`e_t = 1 + \lfloor t B / n_{tr} \rfloor`."""
    return 1 + (np.asarray(t) * int(batch_size)) // int(n_train)


SCHEDULES = {
    "inverse_time": inverse_time,
    "exponential": exponential,
    "inverse_sqrt": inverse_sqrt,
    "piecewise": piecewise,
    "step_decay": step_decay,
    "constant": constant,
}

__all__ = [
    "Schedule",
    "InverseTime",
    "Exponential",
    "InverseSqrt",
    "Piecewise",
    "StepDecay",
    "Constant",
    "inverse_time",
    "exponential",
    "inverse_sqrt",
    "piecewise",
    "step_decay",
    "constant",
    "epoch_of_iteration",
    "SCHEDULES",
]
