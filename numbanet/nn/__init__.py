"""Layers and models."""

from .activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    Activation,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Step,
    Swish,
    Tanh,
    activation,
)
from .history import Callback, History
from .layers import Dense, Flatten, Layer
from .parameter import Parameter
from .sequential import Sequential

__all__ = [
    "ACTIVATIONS", "ELU", "GELU", "Activation", "Callback", "Dense", "Flatten", "History",
    "Identity", "Layer", "LeakyReLU", "PReLU", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "SiLU", "Softmax", "Softplus", "Step", "Swish", "Tanh", "activation",
]  # fmt: skip
