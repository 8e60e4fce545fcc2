"""Every callback of ``Sequential.fit``, and the ``History`` it returns.

``Callback`` is the protocol (hooks at the beginning and end of training, of each epoch and of
each batch); ``History`` the per-epoch record. The callbacks: early stopping, the learning-rate
scheduler (the schedules themselves are in ``numbanet.schedules``), checkpoints, and recorders
that add per-epoch series to the ``History`` (enough to draw every training curve of the slides).

``fit`` itself records, per epoch: ``loss`` (including an optimiser's L2 penalty), ``accuracy``,
``val_loss``, ``val_accuracy``, ``lr`` and ``time``. The recorders here add:

* ``GradientNorms``: ``grad_norm`` (global) and ``grad_norm.<layer>`` per layer with parameters,
  the mean over the epoch's minibatches of the gradient's Euclidean norm (after backward, before
  clipping);
* ``WeightNorms``: ``weight_norm.<layer>`` = :math:`\\|W^{[l]}\\|_F` at the end of each epoch;
* ``EarlyStopping``: stops when a validation metric stops improving and restores the best weights;
  sets ``history.best_epoch`` and ``history.stopped_early``;
* ``GradientSpeed``: ``speed``, Nielsen's per-layer speed of learning on fixed data;
* ``DeadUnits``: ``dead_fraction``, the fraction of rectifier units never active on a held-out
  batch (deck 003's dead ReLUs);
* ``LRScheduler``: sets ``optimizer.lr = schedule(epoch)`` before each epoch;
* ``ModelCheckpoint``: saves a checkpoint after each epoch (or each improvement).

This module imports neither ``numbanet.nn`` nor the backends: ``Sequential`` imports it.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ValidationError


class History:
    """Per-epoch records of a training run: ``history["loss"]``, ``["val_accuracy"]``, ...

    Keys always present: ``epoch``, ``loss``, ``lr``; ``accuracy`` for classification; ``val_loss``
    and ``val_accuracy`` with validation data; anything callbacks add (e.g. gradient norms).
    """

    def __init__(self):
        self.history: dict[str, list] = {}
        self.stopped_early = False
        self.best_epoch = None

    def append(self, **values):
        for k, v in values.items():
            self.history.setdefault(k, []).append(v)

    def extend(self, **series):
        """Record several epochs at once: each keyword a list of per-epoch values, all of one
        length (what as many ``append`` calls would record)."""
        for k, v in series.items():
            self.history.setdefault(k, []).extend(v)

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def keys(self):
        return self.history.keys()

    @property
    def epochs(self):
        return len(self.history.get("loss", []))

    def last(self, key):
        return self.history[key][-1]

    def as_arrays(self):
        """Every series as a NumPy array (None entries become NaN)."""
        out = {}
        for k, v in self.history.items():
            if v and isinstance(v[0], (int, float, np.floating, np.integer, type(None))):
                out[k] = np.array([np.nan if x is None else x for x in v], dtype=np.float64)
            else:
                out[k] = np.asarray(v)
        return out

    def __repr__(self):
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History(epochs={self.epochs}, last={last})"


class Callback:
    """Hooks called by ``fit``. Return True from ``on_epoch_end`` to stop training.

    ``wants_batches``: set True to force the layer-by-layer path and receive ``on_batch_end``.
    """

    wants_batches = False

    def on_train_begin(self, model, optimizer):
        pass

    def on_epoch_begin(self, model, optimizer, epoch):
        pass

    def on_batch_end(self, model, optimizer, batch, loss):
        pass

    def on_epoch_end(self, model, optimizer, epoch, logs):
        return False

    def on_train_end(self, model, optimizer, history):
        pass


class LRScheduler(Callback):
    """Sets ``optimizer.lr = schedule(epoch)`` at the beginning of each epoch of ``fit``.

    ``schedule`` is any callable epoch -> lr (those of ``numbanet.schedules``, or your own);
    ``initial_epoch`` offsets the count when training resumes from a checkpoint.
    """

    def __init__(self, schedule, initial_epoch=0):
        if not callable(schedule):
            raise ValidationError(f"schedule must be callable epoch -> lr; got {schedule!r}")
        self.schedule = schedule
        self.initial_epoch = int(initial_epoch)

    def on_epoch_begin(self, model, optimizer, epoch):
        lr = float(self.schedule(epoch + self.initial_epoch))
        if not np.isfinite(lr) or lr <= 0:
            raise ValidationError(f"the schedule gave lr = {lr} at epoch {epoch}; it must be > 0")
        optimizer.lr = lr


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. ``"val_loss"`` (default) or ``"val_accuracy"``.
    patience : int
        Epochs without improvement tolerated before stopping.
    min_delta : float
        An improvement must exceed this amount.
    mode : {"auto", "min", "max"}
        "auto": "max" for names containing "acc", else "min".
    restore_best_weights : bool
        At the end of training, put back the model of the best epoch: its weights and its layers'
        running statistics (batch normalisation's mean and variance), so the restored model is
        exactly the one that scored best. The optimiser's state is not rewound.

    Attributes
    ----------
    best, best_epoch, stopped_epoch, wait
    """

    def __init__(
        self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto", restore_best_weights=True
    ):
        if int(patience) < 0:
            raise ValidationError(f"patience must be >= 0; got {patience!r}")
        if float(min_delta) < 0:
            raise ValidationError(f"min_delta must be >= 0; got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValidationError(f"mode must be 'auto', 'min' or 'max'; got {mode!r}")
        self.monitor = str(monitor)
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        if mode == "auto":
            mode = "max" if "acc" in self.monitor else "min"
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)

    def on_train_begin(self, model, optimizer):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.best_weights = None
        self.stopped_epoch = None
        self.wait = 0

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, model, optimizer, epoch, logs):
        if self.monitor not in logs or logs[self.monitor] is None:
            raise ValidationError(
                f"EarlyStopping monitors {self.monitor!r} but the epoch logs have "
                f"{sorted(k for k, v in logs.items() if v is not None)}; pass validation=(x, y) "
                "to fit or monitor another key"
            )
        value = float(logs[self.monitor])
        if self._improved(value):
            self.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                from .training import model_state

                self.best_weights = model_state(model)  # (parameters, running statistics)
            return False
        self.wait += 1
        if self.wait >= max(self.patience, 1):
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model, optimizer, history):
        if self.restore_best_weights and self.best_weights is not None:
            from .training import restore_model_state

            restore_model_state(model, self.best_weights)
        history.best_epoch = self.best_epoch
        history.stopped_early = self.stopped_epoch is not None


def _layers_with_params(model):
    return [(li, layer) for li, layer in enumerate(model.layers) if layer.parameters()]


class GradientNorms(Callback):
    """Per-layer gradient norms, averaged over each epoch's minibatches.

    Adds ``grad_norm`` and ``grad_norm.<layer index>`` to the history. ``per_batch=True`` also
    keeps every batch's values in ``self.batches`` (list of dicts). Forces the layer-by-layer
    path (``wants_batches``).
    """

    wants_batches = True

    def __init__(self, per_batch=False):
        self.per_batch = bool(per_batch)
        self.batches = []

    def on_epoch_begin(self, model, optimizer, epoch):
        self._sums = {}
        self._count = 0

    def on_batch_end(self, model, optimizer, batch, loss):
        row = {}
        total = 0.0
        for li, layer in _layers_with_params(model):
            sq = sum(p.backend.sq_norm(p.grad_data) for p in layer.parameters() if p.trainable)
            total += sq
            row[f"grad_norm.{li}"] = math.sqrt(sq)
        row["grad_norm"] = math.sqrt(total)
        for k, v in row.items():
            self._sums[k] = self._sums.get(k, 0.0) + v
        self._count += 1
        if self.per_batch:
            self.batches.append(row)

    def on_epoch_end(self, model, optimizer, epoch, logs):
        for k, v in self._sums.items():
            logs[k] = v / max(self._count, 1)
        return False


class WeightNorms(Callback):
    """``weight_norm.<layer index>`` = Frobenius norm of each layer's weights after each epoch."""

    def on_epoch_end(self, model, optimizer, epoch, logs):
        for li, layer in _layers_with_params(model):
            sq = sum(p.backend.sq_norm(p.data) for p in layer.parameters() if p.kind == "weight")
            logs[f"weight_norm.{li}"] = math.sqrt(sq)
        return False


class GradientSpeed(Callback):
    r"""Nielsen's speed of learning of every hidden layer, on fixed data, after each epoch.

    Adds ``history["speed"]``: one array of shape (hidden layers,) per epoch, the norms
    :math:`\|\partial C / \partial b^l\|` (or of the weights' gradients with
    ``which="weight"``) of one full-batch backward pass on ``(x, y)``, computed by
    ``numbanet.theory.gradient_speed.layer_speeds``.
    """

    def __init__(self, x, y, loss="sigmoid_cross_entropy", which="bias"):
        self.x, self.y, self.loss, self.which = x, y, loss, which

    def on_epoch_end(self, model, optimizer, epoch, logs):
        from .theory.gradient_speed import layer_speeds

        logs["speed"] = layer_speeds(model, self.x, self.y, self.loss, self.which)
        return False


class DeadUnits(Callback):
    r"""The fraction of *dead* rectifier units after each epoch, on a fixed held-out batch.

    Deck 003 warns that ReLU "puede matar neuronas": a unit whose pre-activation is negative for
    every input, :math:`(\mathbf{h}^{[l]})_k = 0` for all :math:`\mathbf{h}^{[l-1]}`, outputs
    zero and receives zero gradient, so no later step can revive it. Here a unit (an output of
    the layer feeding a ``ReLU``, ``LeakyReLU`` or ``PReLU``; for a convolution, one channel at
    one position) counts as dead when its pre-activation is :math:`\le 0` on every example of
    ``x``. The same test is applied to leaky units, which then sit on their small slope: they
    still pass a gradient and can come back, which is the deck's reason to switch to them.

    Adds ``dead_fraction`` (over all rectifier units) and ``dead_fraction.<layer index>`` (the
    index of the activation layer) to the history; ``at_start`` holds the same values before
    training and ``records`` those of every epoch so far (kept even when ``fit`` stops with a
    ``DivergenceError``). Runs the layers one by one in evaluation mode on the model's backend.
    """

    def __init__(self, x):
        x = np.asarray(x)
        if x.ndim < 2 or x.shape[0] < 1:
            raise ValidationError(
                f"DeadUnits needs a held-out batch of shape (n, ...) with n >= 1; got {x.shape}"
            )
        self.x = x
        self.at_start = None
        self.records = []

    def fractions(self, model):
        """{"dead_fraction": ..., "dead_fraction.<i>": ...} for ``model`` as it is now."""
        from .nn.activations import LeakyReLU, PReLU, ReLU

        be = model.backend
        a = be.asarray(model._check_input(self.x), model.dtype)
        dead, total, out = 0, 0, {}
        for i, layer in enumerate(model.layers):
            if isinstance(layer, (ReLU, LeakyReLU, PReLU)):
                z = np.asarray(be.to_numpy(a)).reshape(self.x.shape[0], -1)
                d = int(np.sum(np.all(z <= 0, axis=0)))
                out[f"dead_fraction.{i}"] = d / z.shape[1]
                dead += d
                total += z.shape[1]
            a = layer.forward(a, training=False)
        if total == 0:
            raise ValidationError(
                "DeadUnits found no ReLU, LeakyReLU or PReLU layer in the model: it measures "
                "rectifier units only"
            )
        out["dead_fraction"] = dead / total
        return out

    def on_train_begin(self, model, optimizer):
        self.at_start = self.fractions(model)
        self.records = []

    def on_epoch_end(self, model, optimizer, epoch, logs):
        values = self.fractions(model)
        self.records.append(values)
        logs.update(values)
        return False


class ModelCheckpoint(Callback):
    """Save a checkpoint (``numbanet.checkpoint.save``) after each epoch, or only when
    ``monitor`` improves (``save_best_only``). ``path`` may contain ``{epoch}``."""

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        self.path = str(path)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode = mode
        self.best = math.inf if mode == "min" else -math.inf
        self._history = History()

    def on_epoch_end(self, model, optimizer, epoch, logs):
        from . import checkpoint

        self._history.append(**logs)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                raise ValidationError(f"ModelCheckpoint monitors {self.monitor!r}: not in logs")
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return False
            self.best = float(value)
        checkpoint.save(
            self.path.format(epoch=epoch),
            model,
            optimizer=optimizer,
            history=self._history,
            rng=getattr(model, "_fit_rng", None),
        )
        return False


def history_arrays(history):
    """``history.as_arrays()`` with the per-layer series grouped: {"grad_norm": (epochs, layers)}."""
    arrs = history.as_arrays()
    out = dict(arrs)
    for prefix in ("grad_norm.", "weight_norm."):
        keys = sorted((k for k in arrs if k.startswith(prefix)), key=lambda k: int(k.split(".")[1]))
        if keys:
            out[prefix[:-1] + "_layers"] = np.stack([arrs[k] for k in keys], axis=1)
    return out


__all__ = [
    "Callback",
    "History",
    "EarlyStopping",
    "GradientNorms",
    "GradientSpeed",
    "WeightNorms",
    "DeadUnits",
    "ModelCheckpoint",
    "LRScheduler",
    "history_arrays",
]
