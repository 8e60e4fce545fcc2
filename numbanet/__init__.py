"""numbanet: a small, fast, honest deep-learning engine for a course on deep feed-forward networks.

    import numbanet as nb
    net = nb.Sequential([nb.Dense(784, 30), nb.Sigmoid(), nb.Dense(30, 10)], backend="cpu", seed=0)
    history = net.fit(x, y, loss=nb.losses.MSE(), optimizer="sgd", lr=3.0, batch_size=10)

Backends: ``reference`` (NumPy, the slides' equations), ``cpu`` (Numba kernels), ``cuda``
(numba.cuda kernels). The public names below are imported on first use (PEP 562), so
``import numbanet`` is cheap and never imports matplotlib; Numba loads with the first layer.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"


# public name -> module that defines it
_EXPORTS = {
    # errors
    "NumbanetError": "numbanet.errors",
    "ValidationError": "numbanet.errors",
    "DTypeError": "numbanet.errors",
    "BackendUnavailableError": "numbanet.errors",
    "DataError": "numbanet.errors",
    "CheckpointError": "numbanet.errors",
    "DivergenceError": "numbanet.errors",
    # backends
    "get_backend": "numbanet.backends",
    "set_default_backend": "numbanet.backends",
    "use_backend": "numbanet.backends",
    "deterministic": "numbanet.config",
    # layers and models
    "Layer": "numbanet.nn",
    "Parameter": "numbanet.nn",
    "Sequential": "numbanet.nn",
    "History": "numbanet.callbacks",
    "Callback": "numbanet.callbacks",
    "Dense": "numbanet.nn",
    "Flatten": "numbanet.nn",
    "Identity": "numbanet.nn",
    "Step": "numbanet.nn",
    "Sigmoid": "numbanet.nn",
    "Tanh": "numbanet.nn",
    "ReLU": "numbanet.nn",
    "LeakyReLU": "numbanet.nn",
    "PReLU": "numbanet.nn",
    "ELU": "numbanet.nn",
    "Softplus": "numbanet.nn",
    "GELU": "numbanet.nn",
    "SiLU": "numbanet.nn",
    "Swish": "numbanet.nn",
    "Softmax": "numbanet.nn",
    "LogSoftmax": "numbanet.nn",
    "Model": "numbanet.nn",
    "Conv1D": "numbanet.nn",
    "Conv2D": "numbanet.nn",
    "MaxPool2D": "numbanet.nn",
    "AvgPool2D": "numbanet.nn",
    "MaxPool1D": "numbanet.nn",
    "AvgPool1D": "numbanet.nn",
    "GlobalAvgPool2D": "numbanet.nn",
    "GlobalMaxPool2D": "numbanet.nn",
    "GlobalAvgPool1D": "numbanet.nn",
    "GlobalMaxPool1D": "numbanet.nn",
    "RNN": "numbanet.nn",
    "LSTM": "numbanet.nn",
    "Bidirectional": "numbanet.nn",
    "TimeDistributed": "numbanet.nn",
    "Dropout": "numbanet.nn",
    "GaussianNoise": "numbanet.nn",
    "BatchNorm1D": "numbanet.nn",
    "BatchNorm2D": "numbanet.nn",
    "LayerNorm": "numbanet.nn",
    "Residual": "numbanet.nn",
    # diagnosis (deck 003: avoidable bias and generalization gap)
    "diagnose": "numbanet.diagnose",
    "Diagnosis": "numbanet.diagnose",
}

_SUBMODULES = {
    "backends",
    "config",
    "data",
    "errors",
    "init",
    "losses",
    "nn",
    "optim",
    "theory",
    "sweep",
    "schedules",
    "callbacks",
    "checkpoint",
    "models",
    "unsupervised",
    "claims",
    "compat",
}


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        mod = importlib.import_module(f"numbanet.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'numbanet' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)


__all__ = ["__version__", *_EXPORTS]
