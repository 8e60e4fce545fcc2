"""numbanet: a small, fast, honest deep-learning engine for a course on deep feed-forward networks.

    import numbanet as nb
    net = nb.Sequential([nb.Dense(784, 30), nb.Sigmoid(), nb.Dense(30, 10)], backend="cpu", seed=0)
    history = net.fit(x, y, loss=nb.losses.MSE(), optimizer="sgd", lr=3.0, batch_size=10)

Backends: ``reference`` (NumPy, the slides' equations), ``cpu`` (Numba kernels), ``cuda``
(numba.cuda kernels). This module imports neither matplotlib nor typer; Numba is imported when a
compiled backend is first used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import errors, init, losses, optim
from .backends import get_backend, set_default_backend, use_backend
from .errors import (
    BackendUnavailableError,
    CheckpointError,
    DataError,
    DivergenceError,
    DTypeError,
    NumbanetError,
    ValidationError,
)
from .nn import (
    ELU,
    GELU,
    Callback,
    Dense,
    Flatten,
    History,
    Identity,
    Layer,
    LeakyReLU,
    Parameter,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Step,
    Swish,
    Tanh,
)

__all__ = [
    "__version__", "errors", "init", "losses", "optim", "get_backend", "set_default_backend",
    "use_backend", "BackendUnavailableError", "CheckpointError", "DataError", "DivergenceError",
    "DTypeError", "NumbanetError", "ValidationError", "ELU", "GELU", "Callback", "Dense",
    "Flatten", "History", "Identity", "Layer", "LeakyReLU", "Parameter", "PReLU", "ReLU",
    "Sequential", "Sigmoid", "SiLU", "Softmax", "Softplus", "Step", "Swish", "Tanh",
]  # fmt: skip
