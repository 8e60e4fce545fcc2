"""network.py of *Neural Networks and Deep Learning* (chapter 1), in Python 3 on numbanet.

A feedforward network of sigmoid neurons trained by stochastic gradient descent on the quadratic
cost, with the gradients from backpropagation. The calls are the book's::

    from numbanet.compat.nielsen import mnist_loader, network
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

``Network(sizes)`` draws every bias and weight from N(0, 1) (``np.random.randn``, biases first,
as the book; ``seed=`` for a private generator). The first layer is the input and has none.
``weights[l]`` has shape ``(sizes[l+1], sizes[l])``: ``weights[l][j, k]`` connects neuron k of
layer l to neuron j of layer l + 1, the book's :math:`w^{l+1}_{jk}` (layers counted from 1 there).

The arithmetic is numbanet's (``net.model``, a ``Sequential`` of ``Dense`` and ``Sigmoid``
layers in float64): a minibatch's gradient is one matrix product per layer rather than the book's
loop over the examples, and the result is the book's to float precision.
"""

from __future__ import annotations

import numpy as np

from ... import losses as L
from ._core import BookNetwork, sigmoid, sigmoid_prime


class _Quadratic:
    """network.py's cost, C = 1/2 ||a - y||^2, in the form network2's costs have."""

    @staticmethod
    def fn(a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class Network(BookNetwork):
    """The book's ``network.Network``: ``Network(sizes)``, then ``SGD``, ``feedforward``,
    ``evaluate``, ``update_mini_batch``, ``backprop``.

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first, e.g. ``[784, 30, 10]``.
    seed : int, optional
        Seed of private generators for the initial weights and the shuffling; default: NumPy's
        and Python's global ones, as the book.
    backend : {"auto", "reference", "cpu", "cuda"}
        Where numbanet computes.
    """

    cost = _Quadratic

    def __init__(self, sizes, *, seed=None, backend="auto"):
        super().__init__(sizes, seed=seed, backend=backend)
        self._draw(scale_by_fan_in=False)

    def _loss(self):
        return L.MSE()  # sum over the outputs of 1/2 (a - y)^2, averaged over the minibatch

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):  # noqa: N802
        """Train with mini-batch stochastic gradient descent.

        ``training_data`` is a list of tuples ``(x, y)`` (input and desired output). Each epoch
        shuffles it in place (``random.shuffle``, as the book), cuts it into minibatches of
        ``mini_batch_size`` and takes one step of size ``eta`` per minibatch. With
        ``test_data`` (pairs ``(x, label)``) the network is evaluated after each epoch and the
        progress printed, which is slow; otherwise "Epoch j complete".
        """
        n_test = len(test_data) if test_data is not None else 0
        if test_data is not None and not isinstance(test_data, list):
            test_data = list(test_data)

        def report(j):
            if test_data:
                print(f"Epoch {j}: {self.evaluate(test_data)} / {n_test}")
            else:
                print(f"Epoch {j} complete")
            return False

        self._sgd_epochs(training_data, epochs, mini_batch_size, eta, 0.0, report)

    def update_mini_batch(self, mini_batch, eta):
        """One gradient-descent step on the examples of ``mini_batch`` (a list of ``(x, y)``)."""
        self._update(mini_batch, eta, 0.0, len(mini_batch))

    def evaluate(self, test_data):
        """How many of ``test_data`` (pairs ``(x, label)``) the network gets right: the output
        neuron with the highest activation is its answer."""
        return self._correct(test_data, convert=False, what="test_data")

    def cost_derivative(self, output_activations, y):
        """The vector of partial derivatives dC_x / da for the output activations."""
        return output_activations - y


__all__ = ["Network", "sigmoid", "sigmoid_prime"]
