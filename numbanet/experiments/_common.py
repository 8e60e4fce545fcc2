"""Small helpers the experiments (and the figures drawing their results) share."""

from __future__ import annotations

import numpy as np


def seq(layers, backend, seed, dtype=np.float64):
    """``Sequential(layers)`` in float64 by default (the small teaching problems)."""
    from ..nn import Sequential

    return Sequential(layers, backend=backend, seed=seed, dtype=dtype)


def through(net, x, n_layers):
    """Output of the first ``n_layers`` layers of ``net`` for ``x`` (evaluation mode): the hidden
    representation the rest of the network sees."""
    be = net.backend
    xb = be.asarray(np.ascontiguousarray(x, dtype=net.dtype), net.dtype)
    return np.asarray(be.to_numpy(net._forward(xb, training=False, layers=net.layers[:n_layers])))


def after(net, h, first_layer):
    """Output of layers ``first_layer:`` of ``net`` fed with ``h`` (e.g. a decoder half)."""
    be = net.backend
    hb = be.asarray(np.ascontiguousarray(h, dtype=net.dtype), net.dtype)
    return np.asarray(
        be.to_numpy(net._forward(hb, training=False, layers=net.layers[first_layer:]))
    )


def dense_rows(net):
    """(W, b) of every Dense layer of a trained net, as float64 NumPy arrays."""
    from ..nn import Dense

    return [
        (layer.W.value.astype(np.float64), layer.b.value.astype(np.float64))
        for layer in net.layers
        if isinstance(layer, Dense)
    ]


def trace_callback():
    """A callback recording the model's flat parameters at the start and after every optimiser
    step (``.points``)."""
    from ..callbacks import Callback

    class Trace(Callback):
        wants_batches = True

        def __init__(self):
            self.points = []

        def on_train_begin(self, model, optimizer):
            self.points.append(model.get_flat())

        def on_batch_end(self, model, optimizer, batch, loss):
            self.points.append(model.get_flat())

    return Trace()
