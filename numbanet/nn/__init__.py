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
from .conv import Conv1D, Conv2D
from .dropout import Dropout, GaussianNoise
from .history import Callback, History
from .layers import Dense, Flatten, Layer
from .parameter import Parameter
from .pooling import (
    AvgPool1D,
    AvgPool2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    MaxPool1D,
    MaxPool2D,
)
from .recurrent import LSTM, RNN, Bidirectional, TimeDistributed
from .sequential import Sequential

__all__ = [
    "ACTIVATIONS", "ELU", "GELU", "Activation", "Callback", "Dense", "Flatten", "History",
    "Identity", "Layer", "LeakyReLU", "PReLU", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "SiLU", "Softmax", "Softplus", "Step", "Swish", "Tanh", "activation",
    "Conv1D", "Conv2D", "Dropout", "GaussianNoise", "AvgPool1D", "AvgPool2D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "MaxPool1D", "MaxPool2D", "LSTM",
    "RNN", "Bidirectional", "TimeDistributed",
]  # fmt: skip
