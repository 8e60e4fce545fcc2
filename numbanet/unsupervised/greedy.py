"""The base class of greedy layer-wise pre-training (Bengio et al. 2007; Hinton et al. 2006).

The DL deck's recipe, for a deep sigmoid classifier ``d -> h1 -> ... -> hK -> classes``:

1. train an autoencoder (``StackedAutoencoder``) or an RBM (``DBN``) on the inputs; copy its
   encoder ``(W, c)`` into layer 1 of the classifier and **freeze** it;
2. train the next autoencoder / RBM on the codes of the frozen layers below, copy, freeze; repeat;
3. train a supervised top layer on the last codes, with every pre-trained layer frozen;
4. **unfreeze** everything and fine-tune the whole network with backpropagation.

``GreedyPretrainer`` holds what both share (the classifier, freezing, steps 3 and 4);
``pretraining.StackedAutoencoder`` and ``dbn.DBN`` add steps 1-2 with their own model. Freezing
is the engine's own ``Layer.freeze()``: a frozen ``Dense`` lets gradients through but accumulates
no parameter gradient, and the optimiser skips it.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, positive_int
from ..errors import ValidationError
from ..models import mlp
from ..nn import Dense
from ._common import check_seed, forward_np

__all__ = ["GreedyPretrainer"]


class GreedyPretrainer:
    """Base class of ``StackedAutoencoder`` and ``DBN``: the classifier ``net``, freezing, the
    top layer and fine-tuning (steps 3 and 4 of the recipe above).

    A subclass adds ``pretrain(X, ...)`` (steps 1 and 2): for each hidden layer ``i`` it trains
    its unsupervised model on ``self._codes(X, i)`` and copies the result in with
    ``self._install(i, W, c)``.

    Parameters
    ----------
    sizes : sequence of int
        ``(d, h1, ..., hK)``: the input and the hidden widths.
    n_classes : int
        Outputs of the top layer (at least 2).
    backend, seed, dtype, init
        Of the classifier ``numbanet.models.mlp((d, h1, ..., hK, n_classes), "sigmoid")``,
        which ends in logits (train with ``loss="cross_entropy"``).
    """

    def __init__(self, sizes, n_classes, backend, seed, dtype, init):
        self.sizes = tuple(positive_int(s, "sizes") for s in sizes)
        if len(self.sizes) < 2:
            raise ValidationError(
                f"sizes needs an input and at least one hidden layer; got {sizes}"
            )
        self.n_classes = positive_int(n_classes, "n_classes", minimum=2)
        self.seed = check_seed(seed)
        self.net = mlp(
            (*self.sizes, self.n_classes),
            "sigmoid",
            init=init,
            backend=backend,
            seed=seed,
            dtype=dtype,
        )
        self.backend = self.net.backend
        self.dtype = self.net.dtype
        self.pretrain_history_ = []

    @property
    def dense_layers(self):
        return [layer for layer in self.net.layers if isinstance(layer, Dense)]

    @property
    def hidden_layers(self):
        return self.dense_layers[:-1]

    def _check_x(self, X):
        X = as_float_array(X, "X", self.dtype)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValidationError(f"X must have shape (n, {self.sizes[0]}); got {X.shape}")
        if X.min() < 0 or X.max() > 1:
            raise ValidationError(
                "X must hold values in [0, 1] for sigmoid/binary pre-training; got values in "
                f"[{X.min():.3g}, {X.max():.3g}]"
            )
        return X

    def _codes(self, X, n_layers):
        """Outputs of the first ``n_layers`` (frozen) hidden layers for ``X``."""
        if n_layers == 0:
            return X
        return forward_np(self.net, self.net.layers[: 2 * n_layers], X)

    def _install(self, index, W, c):
        """Copy a pre-trained (W (out, in), c (out,)) into hidden layer ``index`` and freeze it."""
        layer = self.hidden_layers[index]
        layer.W.value = np.asarray(W, dtype=self.dtype)
        layer.b.value = np.asarray(c, dtype=self.dtype)
        layer.freeze()

    def freeze_hidden(self):
        for layer in self.hidden_layers:
            layer.freeze()
        return self

    def unfreeze(self):
        for layer in self.net.layers:
            layer.unfreeze()
        return self

    def train_top(self, X, y, epochs=1, lr=0.1, batch_size=32, optimizer="sgd", seed=None, **kw):
        """Step 3: the supervised top layer on the frozen pre-trained layers. Returns History."""
        self.freeze_hidden()
        return self.net.fit(
            X,
            y,
            loss="cross_entropy",
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            progress=False,
            **kw,
        )

    def fine_tune(self, X, y, epochs=1, lr=0.1, batch_size=32, optimizer="sgd", seed=None, **kw):
        """Step 4: unfreeze everything and train the whole net with backpropagation."""
        self.unfreeze()
        return self.net.fit(
            X,
            y,
            loss="cross_entropy",
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            progress=False,
            **kw,
        )

    def predict_classes(self, X):
        return self.net.predict(X).argmax(axis=1)

    def score(self, X, y):
        return float(np.mean(self.predict_classes(X) == np.asarray(y)))
