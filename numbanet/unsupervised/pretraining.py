"""Greedy layer-wise pre-training (Bengio et al. 2007; Hinton et al. 2006) and its measurement.

The DL deck's recipe, for a deep sigmoid classifier ``d -> h1 -> ... -> hK -> classes``:

1. train an autoencoder (``StackedAutoencoder``) or an RBM (``DBN``) on the inputs; copy its
   encoder ``(W, c)`` into layer 1 of the classifier and **freeze** it;
2. train the next autoencoder / RBM on the codes of the frozen layers below, copy, freeze; repeat;
3. train a supervised top layer on the last codes, with every pre-trained layer frozen;
4. **unfreeze** everything and fine-tune the whole network with backpropagation.

Freezing is the engine's own ``Layer.freeze()``: a frozen ``Dense`` lets gradients through but
accumulates no parameter gradient, and the optimiser skips it.

The models take arrays; the experiment that measures the slides' claim on MNIST (after
pre-training a deep sigmoid network learns faster in its first fine-tuning epoch, and its layers'
gradient speeds are more even) is ``numbanet.experiments.vanishing.compare_pretraining``.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, positive_float, positive_int, probability
from ..errors import ValidationError
from ..nn import Dense, Sequential, Sigmoid
from .autoencoder import Autoencoder, _forward_np

__all__ = ["StackedAutoencoder", "build_sigmoid_net"]


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValidationError(f"seed must be an integer or None; got {seed!r}")
    return seed


def build_sigmoid_net(sizes, backend="auto", seed=None, dtype=None, init="glorot_uniform"):
    """``Dense + Sigmoid`` for every hidden layer, then a ``Dense`` of logits (use with
    ``loss="cross_entropy"``). ``sizes = (d, h1, ..., hK, classes)``."""
    sizes = [positive_int(s, "sizes") for s in sizes]
    if len(sizes) < 3:
        raise ValidationError(
            f"sizes needs an input, at least one hidden layer and an output; got {sizes}"
        )
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, init=init))
        if i < len(sizes) - 2:
            layers.append(Sigmoid())
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype)


class _GreedyPretrainer:
    """Shared machinery: the classifier ``net``, freezing, the top layer and fine-tuning."""

    def __init__(self, sizes, n_classes, backend, seed, dtype, init):
        self.sizes = tuple(positive_int(s, "sizes") for s in sizes)
        if len(self.sizes) < 2:
            raise ValidationError(
                f"sizes needs an input and at least one hidden layer; got {sizes}"
            )
        self.n_classes = positive_int(n_classes, "n_classes", minimum=2)
        self.seed = _check_seed(seed)
        self.net = build_sigmoid_net(
            (*self.sizes, self.n_classes), backend=backend, seed=seed, dtype=dtype, init=init
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
        return _forward_np(self.net, self.net.layers[: 2 * n_layers], X)

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
            X, y, loss="cross_entropy", optimizer=optimizer, lr=lr, epochs=epochs,
            batch_size=batch_size, seed=seed, progress=False, **kw,
        )  # fmt: skip

    def fine_tune(self, X, y, epochs=1, lr=0.1, batch_size=32, optimizer="sgd", seed=None, **kw):
        """Step 4: unfreeze everything and train the whole net with backpropagation."""
        self.unfreeze()
        return self.net.fit(
            X, y, loss="cross_entropy", optimizer=optimizer, lr=lr, epochs=epochs,
            batch_size=batch_size, seed=seed, progress=False, **kw,
        )  # fmt: skip

    def predict_classes(self, X):
        return self.net.predict(X).argmax(axis=1)

    def score(self, X, y):
        return float(np.mean(self.predict_classes(X) == np.asarray(y)))


class StackedAutoencoder(_GreedyPretrainer):
    """Greedy layer-wise pre-training with (denoising) autoencoders, then a sigmoid classifier.

    Parameters
    ----------
    sizes : sequence of int
        ``(d, h1, ..., hK)``: input and hidden sizes (e.g. ``(784, 256, 256, 256)``).
    n_classes : int
    noise : float in [0, 1)
        Masking noise of every autoencoder (0: plain autoencoders; > 0: stacked denoising).
    backend, seed, dtype, init
        Of the classifier ``net`` (``init`` is the random initialisation of the top layer, and of
        every layer before pre-training).

    Attributes
    ----------
    net : Sequential
        ``Dense(d, h1), Sigmoid, ..., Dense(hK, n_classes)`` (logits).
    autoencoders_ : list of Autoencoder
        The trained autoencoder of each layer.
    """

    def __init__(
        self,
        sizes=(784, 256, 256, 256),
        n_classes=10,
        noise=0.0,
        backend="auto",
        seed=None,
        dtype=None,
        init="glorot_uniform",
    ):
        super().__init__(sizes, n_classes, backend, seed, dtype, init)
        self.noise = probability(noise, "noise")
        self.autoencoders_ = []

    def pretrain(self, X, epochs=5, lr=1e-2, batch_size=64, optimizer="adam", seed=None):
        """Steps 1-2: one autoencoder per hidden layer, each on the codes of the frozen layers
        below. Returns the per-epoch reconstruction costs of each layer (a list of lists)."""
        X = self._check_x(X)
        epochs = positive_int(epochs, "epochs")
        positive_float(lr, "lr")
        ss = np.random.SeedSequence(_check_seed(seed if seed is not None else self.seed))
        seeds = [int(s.generate_state(1)[0]) for s in ss.spawn(len(self.hidden_layers))]
        self.autoencoders_ = []
        out = []
        for i, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            codes = self._codes(X, i)
            ae = Autoencoder(
                a, b, noise=self.noise, backend=self.backend, seed=seeds[i], dtype=self.dtype
            )
            losses = ae.fit(codes, epochs=epochs, lr=lr, batch_size=batch_size,
                            optimizer=optimizer, seed=seeds[i])  # fmt: skip
            ((W, c),) = ae.encoder_weights()
            self._install(i, W, c)
            self.autoencoders_.append(ae)
            out.append(losses)
        self.pretrain_history_ = out
        return out

