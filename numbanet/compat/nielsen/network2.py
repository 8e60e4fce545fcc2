"""network2.py of *Neural Networks and Deep Learning* (chapter 3), in Python 3 on numbanet.

network.py improved: the cross-entropy cost, L2 regularization (``lmbda``), better initial
weights (N(0, 1/n_in)), and monitoring of costs and accuracies on the training and evaluation
data. The book's calls::

    from numbanet.compat.nielsen import mnist_loader, network2
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    net.large_weight_initializer()
    net.SGD(training_data, 30, 10, 0.5, lmbda=5.0, evaluation_data=validation_data,
            monitor_evaluation_accuracy=True, monitor_training_cost=True)

``SGD`` returns the four lists ``evaluation_cost, evaluation_accuracy, training_cost,
training_accuracy`` as the book does (empty for what is not monitored). ``save`` and ``load`` use
the book's JSON format.

A cost is a class with two static methods, as in the book: ``fn(a, y)``, the cost of one
example, and ``delta(z, a, y)``, the error of the output layer. ``QuadraticCost`` and
``CrossEntropyCost`` run as numbanet losses (``MSE`` and ``SigmoidCrossEntropy``, whose error
at z is ``a - y``); a cost class of your own (an exercise of chapter 3) works too: its ``delta``
is applied to each minibatch's outputs, and numbanet's layers carry it back.
"""

from __future__ import annotations

import json

import numpy as np

from ... import losses as L
from ..._io import atomic_write_text
from ...errors import ValidationError
from ._core import BookNetwork, sigmoid, sigmoid_prime, vectorized_result


class QuadraticCost:
    """C = 1/2 ||a - y||^2; its output error is (a - y) sigma'(z)."""

    @staticmethod
    def fn(a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """C = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]; its output error is a - y (the sigma'
    factor cancels, which is why it learns faster from saturated neurons)."""

    @staticmethod
    def fn(a, y):
        # nan_to_num: when a and y are both 0 or 1, (1 - y) ln(1 - a) is 0 * (-inf) = nan
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        return a - y


def _cost_sum(cost, A, Y):
    """sum over the examples (rows) of cost.fn(a, y), vectorised for the book's two costs."""
    if cost is QuadraticCost:
        return float(0.5 * np.sum((A - Y) ** 2))
    if cost is CrossEntropyCost:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.sum(np.nan_to_num(-Y * np.log(A) - (1 - Y) * np.log(1 - A))))
    return float(sum(cost.fn(a.reshape(-1, 1), y.reshape(-1, 1)) for a, y in zip(A, Y)))


class Network(BookNetwork):
    """The book's ``network2.Network``.

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first, e.g. ``[784, 30, 10]``.
    cost : class, default CrossEntropyCost
        ``CrossEntropyCost``, ``QuadraticCost`` or a class with the same two static methods.
    seed : int, optional
        Seed of private generators for the initial weights and the shuffling; default: NumPy's
        and Python's global ones, as the book.
    backend : {"auto", "reference", "cpu", "cuda"}
    """

    def __init__(self, sizes, cost=CrossEntropyCost, *, seed=None, backend="auto"):
        if not (callable(getattr(cost, "fn", None)) and callable(getattr(cost, "delta", None))):
            raise ValidationError(
                f"cost must be a class with static methods fn(a, y) and delta(z, a, y), such as "
                f"network2.CrossEntropyCost; got {cost!r}"
            )
        super().__init__(sizes, seed=seed, backend=backend)
        self.cost = cost
        self.default_weight_initializer()

    def default_weight_initializer(self):
        """Weights from N(0, 1/n_in) (n_in: the neuron's inputs), biases from N(0, 1)."""
        self._draw(scale_by_fan_in=True)

    def large_weight_initializer(self):
        """Weights and biases from N(0, 1): chapter 1's initialization, for comparison."""
        self._draw(scale_by_fan_in=False)

    def _loss(self):
        if self.cost is QuadraticCost:
            return L.MSE()
        if self.cost is CrossEntropyCost:
            return L.SigmoidCrossEntropy()
        return None  # a cost of the user's own: its delta drives the training

    def SGD(  # noqa: N802
        self,
        training_data,
        epochs,
        mini_batch_size,
        eta,
        lmbda=0.0,
        evaluation_data=None,
        monitor_evaluation_cost=False,
        monitor_evaluation_accuracy=False,
        monitor_training_cost=False,
        monitor_training_accuracy=False,
        early_stopping_n=0,
    ):
        """Train with mini-batch stochastic gradient descent and L2 regularization ``lmbda``.

        Each epoch shuffles ``training_data`` (a list of ``(x, y)``) in place, takes one step
        per minibatch, w -> (1 - eta lmbda / n) w - eta/m sum dC/dw and b -> b - eta/m sum
        dC/db, then prints and records what the ``monitor_*`` flags ask for on the training
        data and on ``evaluation_data`` (pairs ``(x, label)``). With ``early_stopping_n`` > 0
        training stops once the evaluation accuracy has not improved for that many epochs.

        Returns
        -------
        evaluation_cost, evaluation_accuracy, training_cost, training_accuracy : list
            One entry per epoch for each monitored quantity; empty lists for the others.
        """
        if evaluation_data is not None and not isinstance(evaluation_data, list):
            evaluation_data = list(evaluation_data)
        needs_eval = monitor_evaluation_cost or monitor_evaluation_accuracy or early_stopping_n
        if needs_eval and not evaluation_data:
            raise ValidationError("the monitor_evaluation_* flags need evaluation_data")
        if early_stopping_n and not monitor_evaluation_accuracy:
            raise ValidationError(
                "early_stopping_n watches the evaluation accuracy: also pass "
                "monitor_evaluation_accuracy=True"
            )
        evaluation_cost, evaluation_accuracy = [], []
        training_cost, training_accuracy = [], []
        state = {"best": 0, "flat": 0}
        data = {}

        def report(j):
            train = data["train"]
            n = len(train)
            print(f"Epoch {j} training complete")
            if monitor_training_cost:
                cost = float(self.total_cost(train, lmbda))
                training_cost.append(cost)
                print(f"Cost on training data: {cost}")
            if monitor_training_accuracy:
                accuracy = self.accuracy(train, convert=True)
                training_accuracy.append(accuracy)
                print(f"Accuracy on training data: {accuracy} / {n}")
            if monitor_evaluation_cost:
                cost = float(self.total_cost(evaluation_data, lmbda, convert=True))
                evaluation_cost.append(cost)
                print(f"Cost on evaluation data: {cost}")
            if monitor_evaluation_accuracy:
                accuracy = self.accuracy(evaluation_data)
                evaluation_accuracy.append(accuracy)
                print(f"Accuracy on evaluation data: {accuracy} / {len(evaluation_data)}")
            print()
            if early_stopping_n > 0:
                if evaluation_accuracy[-1] > state["best"]:
                    state["best"], state["flat"] = evaluation_accuracy[-1], 0
                else:
                    state["flat"] += 1
                return state["flat"] >= early_stopping_n
            return False

        if not isinstance(training_data, list):
            training_data = list(training_data)
        data["train"] = training_data
        self._sgd_epochs(training_data, epochs, mini_batch_size, eta, lmbda, report)
        return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        """One step on ``mini_batch`` with L2 regularization (``n``: size of the training set)."""
        self._update(mini_batch, eta, lmbda, n)

    def accuracy(self, data, convert=False):
        """How many examples of ``data`` the network classifies right. ``convert=False`` for
        labels as y (validation and test data), ``True`` for vectors (training data)."""
        return self._correct(data, convert, "data")

    def total_cost(self, data, lmbda, convert=False):
        """The mean cost over ``data`` plus the L2 term lmbda / (2 n) sum ||w||^2 (n = len(data)).
        ``convert=True`` when y are labels (validation and test data)."""
        if not isinstance(data, list):
            data = list(data)
        X, Y, labels = self._stack(data, "data")
        if labels is not None and not convert:
            raise ValidationError("data has labels as y; pass convert=True")
        n = len(data)
        cost = _cost_sum(self.cost, self._outputs(X), Y) / n
        cost += 0.5 * (lmbda / n) * sum(np.linalg.norm(w) ** 2 for w in self.weights)
        return cost

    def save(self, filename):
        """Save sizes, weights, biases and cost to ``filename`` as JSON (the book's format)."""
        data = {
            "sizes": self.sizes,
            "weights": [np.asarray(w).tolist() for w in self.weights],
            "biases": [np.asarray(b).tolist() for b in self.biases],
            "cost": str(self.cost.__name__),
        }
        atomic_write_text(filename, json.dumps(data))


def load(filename):
    """A ``Network`` from a file written by ``Network.save``."""
    with open(filename) as f:
        data = json.load(f)
    try:
        cost = {"CrossEntropyCost": CrossEntropyCost, "QuadraticCost": QuadraticCost}[data["cost"]]
        net = Network(data["sizes"], cost=cost, seed=0)
        net.weights = [np.array(w) for w in data["weights"]]
        net.biases = [np.array(b) for b in data["biases"]]
    except (KeyError, TypeError) as exc:
        raise ValidationError(
            f"{filename} is not a network saved by Network.save ({exc})"
        ) from None
    return net


__all__ = [
    "CrossEntropyCost",
    "Network",
    "QuadraticCost",
    "load",
    "sigmoid",
    "sigmoid_prime",
    "vectorized_result",
]
