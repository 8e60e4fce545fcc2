"""Deep belief networks: stacked RBMs trained greedily, then fine-tuned as a feed-forward net.

Hinton, Osindero and Teh (2006), as the DL deck tells it: "exactly the same idea as stacked
autoencoders, but with RBMs". RBM 1 is trained with CD-k on the data; its hidden probabilities
:math:`P(h = 1 \\mid x) = \\sigma(W x + c)` are the data of RBM 2, and so on. Each RBM's
``(W, c)`` has exactly the shape and meaning of a sigmoid ``Dense`` layer (``W`` of shape
(n_hidden, n_visible), the slides' and the engine's convention), so the stack *is* the initial
hidden part of a feed-forward classifier; a supervised top layer is trained on the frozen stack,
then everything is unfrozen and fine-tuned with backpropagation.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_float, positive_int
from ._common import check_seed
from .greedy import GreedyPretrainer
from .rbm import RBM

__all__ = ["DBN"]


class DBN(GreedyPretrainer):
    """Stacked Bernoulli RBMs and the sigmoid classifier they initialise.

    Parameters
    ----------
    sizes : sequence of int
        ``(d, h1, ..., hK)`` (e.g. ``(784, 256, 256, 256)``).
    n_classes : int
    backend, seed, dtype, init
        As for ``StackedAutoencoder``.

    Attributes
    ----------
    rbms_ : list of RBM
        The trained RBM of each layer.
    net : Sequential
        ``Dense(d, h1), Sigmoid, ..., Dense(hK, n_classes)``; after ``pretrain`` its hidden
        layers hold the RBMs' ``(W, c)``.
    """

    def __init__(
        self,
        sizes=(784, 256, 256, 256),
        n_classes=10,
        backend="auto",
        seed=None,
        dtype=None,
        init="glorot_uniform",
    ):
        super().__init__(sizes, n_classes, backend, seed, dtype, init)
        self.rbms_ = []

    def pretrain(
        self, X, epochs=5, k=1, lr=0.05, batch_size=100, momentum=0.5, weight_decay=0.0, seed=None
    ):
        """Greedy CD-k training of one RBM per hidden layer, each on the hidden probabilities of
        the frozen layers below. Returns the per-epoch reconstruction errors of each RBM."""
        X = self._check_x(X)
        epochs = positive_int(epochs, "epochs")
        positive_float(lr, "lr")
        ss = np.random.SeedSequence(check_seed(seed if seed is not None else self.seed))
        seeds = [int(s.generate_state(1)[0]) for s in ss.spawn(len(self.hidden_layers))]
        self.rbms_ = []
        out = []
        for i, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            codes = self._codes(X, i)
            rbm = RBM(a, b, backend=self.backend, seed=seeds[i], dtype=self.dtype)
            errs = rbm.fit(
                codes,
                epochs=epochs,
                k=k,
                lr=lr,
                batch_size=batch_size,
                seed=seeds[i],
                momentum=momentum,
                weight_decay=weight_decay,
            )
            self._install(i, rbm.W, rbm.c)
            self.rbms_.append(rbm)
            out.append(errs)
        self.pretrain_history_ = out
        return out
