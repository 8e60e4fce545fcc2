"""``_Wrapper``: the base of layers that own other layers (``Residual``, ``Bidirectional``,
``TimeDistributed``), and the config round trip of the layers they hold.

A wrapper's parameters are its inner layers' parameters under prefixed names (``0.W``,
``proj.W``, ``fwd.U``): ``Sequential`` allocates them in the model's flat buffer like those of
any layer, and the wrapper hands each inner layer its own views when it is bound. A checkpoint
stores a wrapper's inner layers as ``{"class": ..., "config": {...}}`` specs, which
``_layer_from_config`` turns back into layers.

This module is neutral ground: the residual and the recurrent layers both build on it, and
neither imports the other (``tests/test_layering.py`` checks it).
"""

from __future__ import annotations

import copy

from ..errors import ValidationError
from .layers import Layer


class _Wrapper(Layer):
    """A layer that owns inner layers: their parameters become its own, under prefixed names."""

    def _adopt(self, prefixes_layers):
        self._inner = list(prefixes_layers)
        self._specs = [
            (prefix + name, *rest) for prefix, layer in self._inner for name, *rest in layer._specs
        ]

    def bind(self, backend, dtype, params):
        super().bind(backend, dtype, params)
        for prefix, layer in self._inner:
            own = {name[len(prefix) :]: p for name, p in params.items() if name.startswith(prefix)}
            layer.bind(backend, dtype, own)
            for p in own.values():
                p.layer = self

    def freeze(self):
        for _, layer in self._inner:
            layer.freeze()
        return super().freeze()

    def unfreeze(self):
        for _, layer in self._inner:
            layer.unfreeze()
        return super().unfreeze()

    def __copy__(self):
        # Sequential.clone copies layers shallowly and re-binds them: the inner layers must be
        # copies too, or the clone would re-bind (and steal) the original's.
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._inner = [(prefix, copy.copy(layer)) for prefix, layer in self._inner]
        for (_, old), (_, fresh) in zip(self._inner, new._inner):
            fresh._params = {}
            for attr, val in list(new.__dict__.items()):
                if val is old:
                    new.__dict__[attr] = fresh
        return new


def _layer_from_config(spec):
    """A numbanet layer from ``{"class": ..., "config": {...}}`` (checkpoint round trips)."""
    from .. import nn

    if isinstance(spec, Layer):
        return spec
    if not (isinstance(spec, dict) and "class" in spec):
        raise ValidationError(
            f"layer must be a numbanet layer (e.g. nb.LSTM(8, 32)); got {type(spec).__name__}"
        )
    cls = getattr(nn, spec["class"], None)
    if cls is None:
        raise ValidationError(f"unknown layer class {spec['class']!r}")
    return cls(**spec.get("config", {}))


def _config_of(layer):
    from ..checkpoint import layer_config

    return {"class": type(layer).__name__, "config": layer_config(layer)}
