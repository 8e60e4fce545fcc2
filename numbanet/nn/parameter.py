"""Trainable parameters: a named backend array and its gradient."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A trainable array and its gradient.

    ``value`` and ``grad`` read as NumPy arrays. On the host backends (``reference``, ``cpu``)
    they are the live arrays, so in-place edits change the model; on ``cuda`` they are copies
    of device memory, so assign (``p.value = arr``) to change them.

    ``kind`` is ``"weight"``, ``"bias"`` or ``"other"``: L2 penalties and weight decay apply to
    weights only, as in the slides.
    """

    __slots__ = ("name", "kind", "data", "grad_data", "backend", "trainable", "layer", "home")

    def __init__(self, name, data, grad_data, backend, kind="weight", layer=None, home=None):
        self.name = name
        #: (flat values, flat gradients, offset) when ``data`` and ``grad_data`` are views of a
        #: model's flat buffers starting at ``offset`` (optimisers then update runs of
        #: consecutive parameters in one call); None for a stand-alone parameter.
        self.home = home
        self.kind = kind
        self.data = data
        self.grad_data = grad_data
        self.backend = backend
        self.trainable = True
        self.layer = layer

    @property
    def value(self) -> np.ndarray:
        return self.backend.to_numpy(self.data)

    @value.setter
    def value(self, v):
        v = np.asarray(v)
        if v.shape != tuple(self.data.shape):
            from ..errors import ValidationError

            raise ValidationError(
                f"parameter {self.name!r} has shape {tuple(self.data.shape)}; got {v.shape}"
            )
        self.backend.copy_into(self.data, v)

    @property
    def grad(self) -> np.ndarray:
        return self.backend.to_numpy(self.grad_data)

    @grad.setter
    def grad(self, v):
        self.backend.copy_into(self.grad_data, np.asarray(v))

    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return np.dtype(self.data.dtype)

    def zero_grad(self):
        self.backend.fill(self.grad_data, 0)

    def __repr__(self):
        return f"Parameter({self.name!r}, shape={self.shape}, kind={self.kind!r})"
