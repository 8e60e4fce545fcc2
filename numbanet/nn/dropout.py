r"""Noise injection layers, active only in training: inverted ``Dropout`` and ``GaussianNoise``.

Inverted dropout (Srivastava et al. 2014, the slides' form):

.. math:: z^{[l]} = W^{[l]}\left(h^{[l-1]} \odot \frac{1}{p_{keep}}\,\eta^{[l-1]}\right)
          + b^{[l]},\qquad \eta^{[l-1]} \sim \mathrm{Ber}(p_{keep})

so :math:`E[h \odot \eta / p_{keep}] = h`: the expected training activation equals the evaluation
activation, and nothing needs rescaling at test time (the original paper instead multiplies the
weights by :math:`p_{keep}` at test time; the two agree in expectation).

Random numbers. Masks and noise are drawn on the host with NumPy's ``Generator`` (uniforms for
dropout, standard normals for the noise) and handed to the backend op; the CUDA backend copies
them to the device. So the reference, CPU and CUDA backends apply *bit-identical* masks from one
seed (what the cross-backend tests compare). The generator is the layer's own
(``Dropout(p, seed=...)``) or, when no seed is given, the one ``fit`` uses for shuffling (its
``seed=`` argument), so a seeded ``fit`` is reproducible end to end.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_float, probability
from ..errors import ValidationError
from .layers import Layer


class _NoiseLayer(Layer):
    def __init__(self, seed=None):
        super().__init__()
        self.seed = None if seed is None else int(seed)
        self._rng = None if seed is None else np.random.default_rng(seed)

    def set_fit_rng(self, rng):
        """Called by ``fit``: use its generator unless this layer has its own seed."""
        if self.seed is None:
            self._rng = rng
        self._device_rng = None  # a device generator is re-seeded from the fit's

    @property
    def rng(self):
        if self._rng is None:
            self._rng = np.random.default_rng()
        return self._rng

    def output_shape(self, input_shape):
        return tuple(input_shape)


class Dropout(_NoiseLayer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale the kept
    ones by 1 / (1 - p); in evaluation, the identity.

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability (PyTorch's and Keras's convention); the slides' p_keep = 1 - p.
    seed : int, optional
        The layer's own random generator; default: the generator of ``fit``.

    Notes
    -----
    For ``x`` of any shape ``(n, ...)``: forward keeps ``mask`` (values 0 or 1/p_keep) for
    backward, which returns ``dy * mask``. ``fix_mask(eta)`` imposes a keep pattern (0/1 array of
    the batch's shape) instead of drawing one, e.g. for a gradient check.
    """

    def __init__(self, p=0.5, seed=None):
        super().__init__(seed)
        self.p = probability(p, "p")
        self.keep = 1.0 - self.p
        self._mask = None
        self._fixed = None

    def fix_mask(self, eta=None):
        """Use the keep indicators ``eta`` (0/1 array) in every training forward; None: draw."""
        self._fixed = None if eta is None else np.asarray(eta, dtype=np.float64)

    def forward(self, x, training=False):
        if not training or self.p == 0.0:
            self._mask = None
            return x
        if self._fixed is not None:
            if self._fixed.shape != tuple(x.shape):
                raise ValidationError(
                    f"the fixed dropout mask has shape {self._fixed.shape}; the batch is "
                    f"{tuple(x.shape)}"
                )
            u = np.where(self._fixed > 0, 0.0, 1.0).astype(x.dtype)  # u < keep <=> kept
        elif hasattr(self.backend, "dropout_forward_rng"):
            # a device backend (cuda) draws the mask on the device from a generator seeded once
            # from this layer's generator (re-seeded when fit hands it a new one)
            gen = getattr(self, "_device_rng", None)
            if gen is None:
                seed = int(self.rng.integers(0, 2**63))
                self._device_rng = gen = self.backend.device_rng(seed, x.size)
            out, self._mask = self.backend.dropout_forward_rng(x, self.keep, gen)
            return out
        else:
            u = self.rng.random(tuple(x.shape), dtype=np.dtype(x.dtype).type)
        out, self._mask = self.backend.dropout_forward(x, u, self.keep)
        return out

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        if self._mask is None:  # evaluation mode (or p = 0): the identity
            return dy
        return self.backend.dropout_backward(dy, self._mask)

    @property
    def mask(self):
        """The last training mask as a NumPy array (0 or 1/p_keep), or None."""
        return None if self._mask is None else self.backend.to_numpy(self._mask)

    def get_config(self):
        return {"p": self.p, "seed": self.seed}

    def extra_repr(self):
        return f"p={self.p}"


class GaussianNoise(_NoiseLayer):
    """Additive Gaussian noise N(0, std^2) in training (noise injection at the input or in hidden
    units); the identity in evaluation. Its backward is the identity (the noise does not depend
    on the input).
    """

    def __init__(self, std=0.1, seed=None):
        super().__init__(seed)
        self.std = positive_float(std, "std", allow_zero=True)

    def forward(self, x, training=False):
        if not training or self.std == 0.0:
            return x
        noise = self.rng.standard_normal(tuple(x.shape), dtype=np.dtype(x.dtype).type)
        return self.backend.add_noise(x, noise, self.std)

    def backward(self, dy, need_dx=True):
        return dy if need_dx else None

    def get_config(self):
        return {"std": self.std, "seed": self.seed}

    def extra_repr(self):
        return f"std={self.std}"


__all__ = ["Dropout", "GaussianNoise"]
