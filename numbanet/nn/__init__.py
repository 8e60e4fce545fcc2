"""Layers and models."""

from .activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    Activation,
    Identity,
    LeakyReLU,
    LogSoftmax,
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
from .layers import Dense, Flatten, Layer
from .model import Model
from .norm import BatchNorm1D, BatchNorm2D, LayerNorm
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
from .residual import Residual
from .sequential import Sequential

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "AvgPool1D",
    "AvgPool2D",
    "BatchNorm1D",
    "BatchNorm2D",
    "Bidirectional",
    "Conv1D",
    "Conv2D",
    "Dense",
    "Dropout",
    "ELU",
    "Flatten",
    "GELU",
    "GaussianNoise",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "Identity",
    "LSTM",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "LogSoftmax",
    "MaxPool1D",
    "MaxPool2D",
    "Model",
    "PReLU",
    "Parameter",
    "RNN",
    "ReLU",
    "Residual",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Step",
    "Swish",
    "Tanh",
    "TimeDistributed",
    "activation",
]
