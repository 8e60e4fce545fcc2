"""Training history and the callback protocol used by ``Sequential.fit``."""

from __future__ import annotations

import numpy as np


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
