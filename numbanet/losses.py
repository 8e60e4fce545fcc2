"""Loss functions with explicit gradients.

Every loss is the mean over the examples of a per-example cost, so that plain SGD with learning
rate eta performs the slides' update w <- w - (eta / m) sum_x grad C_x. What differs is the
per-example cost:

=========================  ===================================================  ==================
loss                       per-example cost C_x                                 gradient
=========================  ===================================================  ==================
``MSE("half_sum")``        1/2 ||a - y||^2  (slides, Nielsen's quadratic cost)  a - y
``MSE("mean")``            (1/k) ||a - y||^2  (PyTorch's ``MSELoss``)           2 (a - y) / k
``BCE()``                  (1/k) sum_j -[y ln a + (1-y) ln(1-a)]  (probs)       clipped
``BCEWithLogits()``        the same from logits z, a = sigma(z), stably          (sigma(z) - y) / k
``MultiLabelBCE()``        sum_j -[y ln a + (1-y) ln(1-a)] from logits           sigma(z) - y
``SigmoidCrossEntropy()``  Nielsen's network2 cost (= ``MultiLabelBCE``)         sigma(z) - y
``CrossEntropy()``         -ln softmax(z)_y from logits (labels or one-hot)     softmax(z) - y
=========================  ===================================================  ==================

(k is the number of output units.) In ``fit``/``evaluate`` a loss that can take logits absorbs a
final ``Sigmoid``/``Softmax`` layer of the model (``fuses_with``): the cost is the same, the
computation is the stable one, and the gradient is Nielsen's ``delta = a - y``.

Public use, as in PyTorch::

    loss = nb.losses.CrossEntropy()
    value = loss.forward(logits, labels)   # float
    grad = loss.backward()                 # d value / d logits, NumPy array
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, as_labels, choice, positive_float
from .codes import Act, FusedLoss, UnitLoss
from .errors import ValidationError

SQUARED, BCE_PROB, BCE_LOGITS = UnitLoss.SQUARED, UnitLoss.BCE_PROB, UnitLoss.BCE_LOGITS


_HOST = []
_MODEL_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _host_backend():
    """The backend that computes ``Loss.forward`` on host arrays: ``cpu``, created once, or
    ``reference`` (NumPy) where Numba cannot be imported, since the reference backend must work
    without it."""
    if not _HOST:
        from .backends import get_backend

        try:
            _HOST.append(get_backend("cpu"))
        except ImportError:
            _HOST.append(get_backend("reference"))
    return _HOST[0]


class Loss:
    """Base class. Subclasses implement ``_sum_and_grad(backend, pred, target, scale)``."""

    name = "loss"
    fuses_with = None  # name of the output activation this loss can absorb ("sigmoid"/"softmax")
    uses_labels = False  # True when targets may stay integer labels

    def __init__(self):
        self._grad = None

    # ---------------------------------------------------------------- targets
    def prepare_target(self, y, n_out, dtype, n_rows=None, name="y"):
        """Validate ``y`` and return it in the form the kernels use (float matrix or labels)."""
        arr = np.asarray(y)
        if arr.dtype.kind in "biu" and (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)):
            if n_out == 1:
                t = as_float_array(arr.reshape(-1, 1), name, dtype)
            else:
                labels = as_labels(arr, name, n_out, n_rows)
                if self.uses_labels:
                    return labels
                t = np.zeros((labels.shape[0], n_out), dtype=dtype)
                t[np.arange(labels.shape[0]), labels] = 1
        else:
            if arr.ndim == 1 and n_out > 1:
                raise ValidationError(
                    f"{name} is 1-D with dtype {arr.dtype}, but 1-D targets must be integer class "
                    f"labels for a model with {n_out} outputs; convert labels with "
                    f"{name}.astype(int) or give targets of shape (n, {n_out})"
                )
            t = as_float_array(arr if arr.ndim == 2 else arr.reshape(-1, 1), name, dtype)
            if t.shape[1] != n_out:
                raise ValidationError(
                    f"{name} has {t.shape[1]} columns but the model has {n_out} outputs; give "
                    f"targets of shape (n, {n_out}) or integer class labels of shape (n,)"
                )
        if n_rows is not None and t.shape[0] != n_rows:
            raise ValidationError(f"{name} has {t.shape[0]} rows but there are {n_rows} examples")
        self._check_target_range(t, name)
        return t

    def _check_target_range(self, t, name):
        pass

    def _check_pred(self, p):
        """Losses on probabilities refuse predictions outside [0, 1] (``forward`` only: inside
        ``fit`` they come from the model's own sigmoid or softmax)."""
        if getattr(self, "on_probabilities", False) and p.size and (p.min() < 0 or p.max() > 1):
            raise ValidationError(
                f"pred must be probabilities in [0, 1] for {type(self).__name__}; got values in "
                f"[{p.min():.4g}, {p.max():.4g}]. Are these logits? Pass logits with "
                "from_logits=True (BCEWithLogits for a binary cross-entropy)"
            )

    # ---------------------------------------------------------------- compute
    def compute(self, backend, pred, target):
        """(mean loss, gradient w.r.t. ``pred``) for backend arrays; ``target`` from
        ``prepare_target`` (already on the backend)."""
        m = pred.shape[0]
        c = self._cost_scale(pred.shape[1])
        total, grad = self._sum_and_grad(backend, pred, target, c / m)
        return c * total / m, grad

    def _cost_scale(self, k):
        return 1.0

    def logits_version(self):
        """The loss to use on logits when the model's last activation is absorbed."""
        return self

    # ---------------------------------------------------------------- outputs as classes
    #: Where a single output unit's value separates class 1 from class 0: 0.5 for a
    #: probability (or a regression onto 0/1 targets), 0 for a logit.
    threshold = 0.5

    def labels_from(self, out):
        """Class labels from outputs ``out`` (n, k) of the layers this loss is applied to:
        the largest output when k > 1, ``out > threshold`` when k = 1 (so a model trained on
        logits is thresholded at 0, one ending in a sigmoid at 0.5)."""
        out = np.asarray(out)
        out2 = out.reshape(out.shape[0], -1)
        if out2.shape[1] == 1:
            return (out2[:, 0] > self.threshold).astype(np.int64)
        return out2.argmax(axis=1)

    def fused_code(self, last_activation, k):
        """``(numbanet.codes.FusedLoss, cost scale)`` when the fused dense-epoch kernels compute
        this loss on a last layer with ``last_activation`` (an ``Act``) and ``k`` outputs;
        None when they do not."""
        return None

    # ---------------------------------------------------------------- public
    def forward(self, pred, target):
        """Loss value (float) for NumPy predictions and targets; keeps the gradient.

        For a device array ``pred`` (the cuda backend's ``net.forward`` of device data) the loss
        is computed on the device in ``pred``'s float type: the value comes back as a float-like
        ``DeviceLoss`` (one copy when it is read, none if it is not) and ``backward`` returns
        the gradient as a device array. Targets may be host arrays (one copy: the minibatch's
        targets) or device arrays already in the kernels' form (int64 labels (n,) for a
        cross-entropy, else (n, k) floats of ``pred``'s type); their values are not checked."""
        if hasattr(pred, "copy_to_host"):  # a device array (numba's, real or simulated)
            from .backends import get_backend

            return self._forward_device(get_backend("cuda"), pred, target)
        # the CPU backend's compiled loss kernels (the ones fit uses), in float64: a few
        # microseconds on a minibatch, where the reference backend's NumPy expressions took
        # about 15 (this runs once per step of a manual training loop)
        backend = _host_backend()
        value = self._forward_checked(backend, pred, target)
        if value is not None:
            return value
        p = as_float_array(pred, "pred", np.float64)
        shape = p.shape
        if p.ndim == 1:
            p = p.reshape(-1, 1)
        if p.ndim != 2:
            raise ValidationError(f"pred must be 2-D (n, outputs); got shape {p.shape}")
        self._check_pred(p)
        t = self.prepare_target(target, p.shape[1], np.float64, n_rows=p.shape[0], name="target")
        value, grad = self.compute(backend, p, t)
        # computed in float64; the gradient comes back in the prediction's float dtype, so that
        # net.backward(loss.backward()) works on a float32 model
        dt = getattr(pred, "dtype", None)
        if dt is not None and dt in _MODEL_FLOATS:
            grad = grad.astype(dt, copy=False)
        self._grad = grad.reshape(shape) if len(shape) == 1 else grad
        return float(value)

    __call__ = forward

    #: ``(UnitLoss, eps)`` of a loss computed unit by unit (``backend.checked_loss``), None
    #: for the others
    _unit_kind = None

    def _forward_checked(self, backend, pred, target):
        """The loss of the common case in one compiled pass that checks the values as it reads
        them (``backend.checked_loss``): a 2-D float32/float64 prediction with targets of its
        shape (float32 or float64), or integer labels for a cross-entropy from logits. None for anything
        else, or when a value fails a check; ``forward`` then checks step by step and says
        what is wrong."""
        if type(pred) is not np.ndarray or type(target) is not np.ndarray:
            return None
        if pred.ndim != 2 or pred.dtype not in _MODEL_FLOATS or not pred.size:
            return None
        if not (pred.flags.c_contiguous and target.flags.c_contiguous):
            return None
        n, k = pred.shape
        if target.shape == pred.shape and target.dtype in _MODEL_FLOATS:
            unit = self._unit_kind
            if unit is None:
                return None
            kind, eps = unit
        elif self._takes_labels and target.shape == (n,) and target.dtype.kind in "iu" and k > 1:
            kind, eps = None, 0.0
        else:
            return None
        c = self._cost_scale(k)
        done = backend.checked_loss(kind, pred, target, c / n, eps)
        if done is None:
            return None
        self._grad = done[1]
        return float(c * done[0] / n)

    _takes_labels = False  # a cross-entropy from logits (``checked_loss`` with kind None)

    def _forward_device(self, backend, pred, target):
        shape = tuple(pred.shape)
        if len(shape) not in (1, 2):
            raise ValidationError(f"pred must be 2-D (n, outputs); got shape {shape}")
        p = pred.reshape(shape[0], 1) if len(shape) == 1 else pred
        n, k = shape[0], (1 if len(shape) == 1 else shape[1])
        dt = np.dtype(pred.dtype)
        if hasattr(target, "copy_to_host"):
            ts = tuple(target.shape)
            labels = target.dtype == np.int64 and ts == (n,) and self.uses_labels and k > 1
            if not labels and (target.dtype != dt or ts != (n, k)):
                raise ValidationError(
                    f"target is a device array {target.dtype} {ts}; give int64 labels ({n},) "
                    f"to a cross-entropy, or {dt} targets ({n}, {k}) (to_device(y, dtype))"
                )
            t = target
        else:
            t = self.prepare_target(target, k, dt, n_rows=n, name="target")
            t = backend.asarray(t, t.dtype)
        value, grad = self.compute(backend, p, t)
        self._grad = grad.reshape(shape) if len(shape) == 1 else grad
        return value

    def backward(self):
        """Gradient of the last ``forward`` value with respect to ``pred``."""
        if self._grad is None:
            raise ValidationError("call forward(pred, target) before backward()")
        return self._grad

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSE(Loss):
    """Quadratic cost. ``reduction="half_sum"``: the slides' C = 1/2 ||y - a||^2 per example
    (Nielsen's ``QuadraticCost``); ``"mean"``: the mean over outputs of (a - y)^2 (PyTorch)."""

    name = "mse"

    def __init__(self, reduction="half_sum"):
        super().__init__()
        self.reduction = choice(reduction, "reduction", ("half_sum", "mean"))

    def _cost_scale(self, k):
        return 1.0 if self.reduction == "half_sum" else 2.0 / k

    _unit_kind = (SQUARED, 0.0)

    def _sum_and_grad(self, backend, pred, target, scale):
        return backend.elementwise_loss(SQUARED, pred, target, scale)

    def fused_code(self, last_activation, k):
        return FusedLoss.SQUARED, self._cost_scale(k)

    def __repr__(self):
        return f"MSE(reduction={self.reduction!r})"


QuadraticCost = MSE


class _BinaryTargets(Loss):
    def _check_target_range(self, t, name):
        if t.size and (t.min() < 0 or t.max() > 1):
            raise ValidationError(f"{name} must lie in [0, 1] for a binary cross-entropy")


class BCE(_BinaryTargets):
    """Binary cross-entropy on probabilities, mean over every output (probabilities are clipped
    to [eps, 1 - eps]; prefer ``BCEWithLogits``)."""

    name = "bce"
    fuses_with = "sigmoid"
    on_probabilities = True

    def __init__(self, eps=1e-7):
        super().__init__()
        self.eps = positive_float(eps, "eps", maximum=0.5)

    def _cost_scale(self, k):
        return 1.0 / k

    @property
    def _unit_kind(self):
        return BCE_PROB, self.eps

    def _sum_and_grad(self, backend, pred, target, scale):
        return backend.elementwise_loss(BCE_PROB, pred, target, scale, self.eps)

    def logits_version(self):
        return BCEWithLogits()


class BCEWithLogits(_BinaryTargets):
    """Binary cross-entropy from logits: softplus(z) - y z, mean over every output."""

    name = "bce_logits"
    fuses_with = "sigmoid"
    threshold = 0.0  # on logits: sigma(z) > 1/2 exactly when z > 0

    def _cost_scale(self, k):
        return 1.0 / k

    _unit_kind = (BCE_LOGITS, 0.0)

    def _sum_and_grad(self, backend, pred, target, scale):
        return backend.elementwise_loss(BCE_LOGITS, pred, target, scale)

    def fused_code(self, last_activation, k):
        if last_activation != Act.IDENTITY:
            return None
        return FusedLoss.SIGMOID_XENT, self._cost_scale(k)


class MultiLabelBCE(_BinaryTargets):
    """Multi-label binary cross-entropy: summed over the outputs, mean over the examples.

    ``from_logits=True`` (default) takes logits; else probabilities (clipped)."""

    name = "multilabel_bce"
    fuses_with = "sigmoid"

    def __init__(self, from_logits=True, eps=1e-7):
        super().__init__()
        self.from_logits = bool(from_logits)
        self.eps = positive_float(eps, "eps", maximum=0.5)

    @property
    def on_probabilities(self):
        return not self.from_logits

    @property
    def threshold(self):
        return 0.0 if self.from_logits else 0.5

    def fused_code(self, last_activation, k):
        if not self.from_logits or last_activation != Act.IDENTITY:
            return None
        return FusedLoss.SIGMOID_XENT, self._cost_scale(k)

    @property
    def _unit_kind(self):
        return (BCE_LOGITS, 0.0) if self.from_logits else (BCE_PROB, self.eps)

    def _sum_and_grad(self, backend, pred, target, scale):
        kind = BCE_LOGITS if self.from_logits else BCE_PROB
        return backend.elementwise_loss(kind, pred, target, scale, self.eps)

    def logits_version(self):
        return type(self)(from_logits=True)


class SigmoidCrossEntropy(MultiLabelBCE):
    """Nielsen's ``network2`` cross-entropy: C = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)] with
    a = sigma(z) per output unit; its output error is delta = a - y (no sigma' factor).

    Use it on a model ending in ``Sigmoid`` (absorbed, so the computation is from logits) or on
    logits directly. Integer labels are one-hot encoded."""

    name = "sigmoid_cross_entropy"


class CrossEntropy(Loss):
    """Softmax cross-entropy, mean over examples; targets are integer labels or rows of
    probabilities (one-hot). ``from_logits=True`` (default) takes logits; ``False`` takes
    probabilities (clipped)."""

    name = "cross_entropy"
    fuses_with = "softmax"
    uses_labels = True

    def __init__(self, from_logits=True, eps=1e-12):
        super().__init__()
        self.from_logits = bool(from_logits)
        self.eps = positive_float(eps, "eps", maximum=0.5)

    @property
    def on_probabilities(self):
        return not self.from_logits

    @property
    def _takes_labels(self):
        return self.from_logits

    def _check_target_range(self, t, name):
        if t.size and t.min() < 0:
            raise ValidationError(f"{name} must hold probabilities (>= 0) for a cross-entropy")

    def fused_code(self, last_activation, k):
        if not self.from_logits or last_activation != Act.IDENTITY:
            return None
        # labels; fit's plan switches to SOFTMAX_XENT_PROBS for probability targets
        return FusedLoss.SOFTMAX_XENT_LABELS, 1.0

    def _sum_and_grad(self, backend, pred, target, scale):
        if self.from_logits:
            if target.ndim == 1:
                return backend.xent_labels(pred, target, scale)
            return backend.xent_onehot(pred, target, scale)
        # from probabilities: -sum t log p, grad -t / p (on the host; rarely used)
        p = np.clip(backend.to_numpy(pred).astype(np.float64), self.eps, 1.0)
        t = backend.to_numpy(target)
        if t.ndim == 1:
            onehot = np.zeros_like(p)
            onehot[np.arange(p.shape[0]), t] = 1
            t = onehot
        total = float(-(t * np.log(p)).sum())
        grad = (-scale * t / p).astype(pred.dtype)
        return total, backend.asarray(grad, pred.dtype)

    def logits_version(self):
        return CrossEntropy(from_logits=True)


LOSSES = {
    "mse": MSE,
    "quadratic": MSE,
    "mse_mean": lambda: MSE("mean"),
    "bce": BCE,
    "bce_logits": BCEWithLogits,
    "multilabel_bce": MultiLabelBCE,
    "sigmoid_cross_entropy": SigmoidCrossEntropy,
    "nielsen_cross_entropy": SigmoidCrossEntropy,
    "cross_entropy": CrossEntropy,
    "xent": CrossEntropy,
}


def get(name_or_loss):
    """A loss object from a name ('mse', 'cross_entropy', ...) or pass one through."""
    if isinstance(name_or_loss, Loss):
        return name_or_loss
    key = str(name_or_loss).lower().replace("-", "_")
    if key not in LOSSES:
        raise ValidationError(f"unknown loss {name_or_loss!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[key]()


__all__ = [
    "Loss",
    "MSE",
    "QuadraticCost",
    "BCE",
    "BCEWithLogits",
    "MultiLabelBCE",
    "SigmoidCrossEntropy",
    "CrossEntropy",
    "get",
]
