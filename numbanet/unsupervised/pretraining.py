"""Greedy layer-wise pre-training with (denoising) autoencoders: ``StackedAutoencoder``.

Steps 1-2 of the recipe in ``numbanet.unsupervised.greedy`` with an autoencoder per hidden layer;
the classifier, freezing, the top layer and fine-tuning come from ``GreedyPretrainer``.

The models take arrays; the experiment that measures the slides' claim on MNIST (after
pre-training a deep sigmoid network learns faster in its first fine-tuning epoch, and its layers'
gradient speeds are more even) is ``numbanet.experiments.vanishing.compare_pretraining``.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_float, positive_int, probability
from ._common import check_seed
from .autoencoder import Autoencoder
from .greedy import GreedyPretrainer

__all__ = ["StackedAutoencoder"]


class StackedAutoencoder(GreedyPretrainer):
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
        ss = np.random.SeedSequence(check_seed(seed if seed is not None else self.seed))
        seeds = [int(s.generate_state(1)[0]) for s in ss.spawn(len(self.hidden_layers))]
        self.autoencoders_ = []
        out = []
        for i, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            codes = self._codes(X, i)
            ae = Autoencoder(
                a, b, noise=self.noise, backend=self.backend, seed=seeds[i], dtype=self.dtype
            )
            losses = ae.fit(
                codes,
                epochs=epochs,
                lr=lr,
                batch_size=batch_size,
                optimizer=optimizer,
                seed=seeds[i],
            )
            ((W, c),) = ae.encoder_weights()
            self._install(i, W, c)
            self.autoencoders_.append(ae)
            out.append(losses)
        self.pretrain_history_ = out
        return out
