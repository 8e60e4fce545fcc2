"""Ready-made models of the lectures.

``lenet()``
    The slides' Keras LeNet for 28x28 MNIST digits (channels first here: inputs (n, 1, 28, 28)).
``conv1d_mnist1d()``
    A small 1-D CNN for MNIST-1D's length-40 sequences.

Both end in logits (no softmax layer): train them with ``loss="cross_entropy"``, whose softmax
is computed from the logits (stable, and the gradient is softmax(z) - y); ``predict`` then
returns logits, whose argmax is the class.
"""

from __future__ import annotations

from .nn import Dense, Flatten, ReLU, Sequential
from .nn.conv import Conv1D, Conv2D
from .nn.pooling import AvgPool2D


def lenet(backend="auto", seed=None, dtype=None):
    """The slides' LeNet (Keras summary, channels first).

    ==========================  ==============  =======
    layer                       output shape    params
    ==========================  ==============  =======
    Conv2D 6 @ 3x3, ReLU        (6, 26, 26)     60
    AvgPool2D 2                 (6, 13, 13)     0
    Conv2D 16 @ 3x3, ReLU       (16, 11, 11)    880
    AvgPool2D 2                 (16, 5, 5)      0
    Flatten                     (400,)          0
    Dense 120, ReLU             (120,)          48,120
    Dense 84, ReLU              (84,)           10,164
    Dense 10 (softmax in loss)  (10,)           850
    ==========================  ==============  =======

    60,074 parameters in total. Inputs: (n, 1, 28, 28), e.g.
    ``numbanet.data.load_mnist(flatten=False)``.

    Parameters
    ----------
    backend : {"auto", "reference", "cpu", "cuda"}
    seed : int, optional
        Seed of the (He normal) initialisation.
    dtype : float32 (default) or float64
    """
    layers = [
        Conv2D(1, 6, 3), ReLU(),
        AvgPool2D(2),
        Conv2D(6, 16, 3), ReLU(),
        AvgPool2D(2),
        Flatten(),
        Dense(400, 120), ReLU(),
        Dense(120, 84), ReLU(),
        Dense(84, 10),
    ]  # fmt: skip
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype, input_shape=(1, 28, 28))


def conv1d_mnist1d(backend="auto", seed=None, dtype=None, channels=32, length=40):
    """A small 1-D CNN for MNIST-1D: three convolutions (the last two with stride 2), then a
    linear read-out of the flattened features.

    ============================================  ====================
    layer                                         output shape
    ============================================  ====================
    Conv1D 1 -> c, k 5, same, ReLU                (c, 40)
    Conv1D c -> c, k 3, stride 2, pad 1, ReLU     (c, 20)
    Conv1D c -> c, k 3, stride 2, pad 1, ReLU     (c, 10)
    Flatten, Dense 10                             (10,)
    ============================================  ====================

    Inputs: (n, 40) (one channel) or (n, 1, 40). Outputs: logits.
    """
    l1 = length
    l2 = (l1 + 2 - 3) // 2 + 1
    l3 = (l2 + 2 - 3) // 2 + 1
    layers = [
        Conv1D(1, channels, 5, padding="same"), ReLU(),
        Conv1D(channels, channels, 3, stride=2, padding=1), ReLU(),
        Conv1D(channels, channels, 3, stride=2, padding=1), ReLU(),
        Flatten(),
        Dense(channels * l3, 10),
    ]  # fmt: skip
    return Sequential(layers, backend=backend, seed=seed, dtype=dtype, input_shape=(length,))


__all__ = ["conv1d_mnist1d", "lenet"]
