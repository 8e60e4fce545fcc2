"""The perceptron and unsupervised pre-training: autoencoders, RBMs, deep belief nets.

The history the DL and MLP decks tell: Rosenblatt's perceptron (``Perceptron``), and the
unsupervised, greedy layer-wise pre-training (``StackedAutoencoder``, ``RBM``, ``DBN``) that made
deep sigmoid networks trainable before ReLU. Names are imported on first use, so
``numbanet.unsupervised.Perceptron`` does not load Numba.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Perceptron": "perceptron",
    "LOGIC_GATES": "perceptron",
    "step_network": "perceptron",
    "xor_from_gates": "perceptron",
    "RBM": "rbm",
    "Autoencoder": "autoencoder",
    "StackedAutoencoder": "pretraining",
    "DBN": "dbn",
}


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = list(_EXPORTS)
