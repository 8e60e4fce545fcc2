"""numbanet.compat.nielsen: the book's network, network2 and mnist_loader on numbanet's kernels.

The oracle is a NumPy transcription of the book's algorithm written here from its equations
(chapter 2's BP1-BP4 per example, the minibatch step of chapters 1 and 3 with L2's weight decay
factor 1 - eta lmbda / n), in float64 with column vectors, one example at a time as the book
does. From the same initial weights and the same shuffles, numbanet's networks must end with the
same weights, print the same accuracies and record the same costs, to float precision.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest

from numbanet.compat.nielsen import mnist_loader, network, network2
from numbanet.errors import ValidationError


# --------------------------------------------------------------------------- the transcription
def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sig_prime(z):
    return _sig(z) * (1 - _sig(z))


class Book:
    """The book's network, from its equations: a^l = sigma(w^l a^{l-1} + b^l); BP1
    delta^L = dC/da (.) sigma'(z^L) (= a - y for the cross-entropy); BP2 delta^l = ((w^{l+1})^T
    delta^{l+1}) (.) sigma'(z^l); BP3 dC/db^l = delta^l; BP4 dC/dw^l = delta^l (a^{l-1})^T."""

    def __init__(self, weights, biases, cost="quadratic"):
        self.w = [np.array(w, dtype=np.float64) for w in weights]
        self.b = [np.array(b, dtype=np.float64).reshape(-1, 1) for b in biases]
        self.cost = cost

    def output(self, x):
        a = np.asarray(x, dtype=np.float64)
        for w, b in zip(self.w, self.b):
            a = _sig(w @ a + b)
        return a

    def gradient(self, x, y):
        a = np.asarray(x, dtype=np.float64)
        acts, zs = [a], []
        for w, b in zip(self.w, self.b):
            z = w @ a + b
            a = _sig(z)
            zs.append(z)
            acts.append(a)
        if self.cost == "quadratic":
            delta = (a - y) * _sig_prime(zs[-1])  # BP1
        else:
            delta = a - y
        gb, gw = [None] * len(self.w), [None] * len(self.w)
        gb[-1], gw[-1] = delta, delta @ acts[-2].T  # BP3, BP4
        for l in range(2, len(self.w) + 1):
            delta = (self.w[-l + 1].T @ delta) * _sig_prime(zs[-l])  # BP2
            gb[-l], gw[-l] = delta, delta @ acts[-l - 1].T
        return gb, gw

    def step(self, batch, eta, lmbda=0.0, n=1):
        sb = [np.zeros_like(b) for b in self.b]
        sw = [np.zeros_like(w) for w in self.w]
        for x, y in batch:
            gb, gw = self.gradient(x, y)
            sb = [s + g for s, g in zip(sb, gb)]
            sw = [s + g for s, g in zip(sw, gw)]
        m = len(batch)
        self.w = [(1 - eta * lmbda / n) * w - (eta / m) * g for w, g in zip(self.w, sw)]
        self.b = [b - (eta / m) * g for b, g in zip(self.b, sb)]

    def sgd(self, data, epochs, m, eta, lmbda=0.0, seed=0, after_epoch=None):
        data = list(data)
        shuffle = random.Random(seed).shuffle
        n = len(data)
        for j in range(epochs):
            shuffle(data)
            for k in range(0, n, m):
                self.step(data[k : k + m], eta, lmbda, n)
            if after_epoch is not None:
                after_epoch(j)

    def correct(self, data):
        right = 0
        for x, y in data:
            label = int(np.argmax(y)) if np.ndim(y) else int(y)
            right += int(np.argmax(self.output(x)) == label)
        return right

    def total_cost(self, data, lmbda):
        cost = 0.0
        for x, y in data:
            a = self.output(x)
            y = _unit(y, a.shape[0]) if np.ndim(y) == 0 else y
            if self.cost == "quadratic":
                cost += 0.5 * np.linalg.norm(a - y) ** 2 / len(data)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    c = np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))
                cost += np.sum(c) / len(data)
        return cost + 0.5 * (lmbda / len(data)) * sum(np.linalg.norm(w) ** 2 for w in self.w)


def _unit(j, k):
    e = np.zeros((k, 1))
    e[int(j)] = 1.0
    return e


def _data(n, sizes, seed, labels=False):
    """n pairs (x (n_in, 1), y): y a unit vector, or an integer label."""
    rng = np.random.default_rng(seed)
    k = sizes[-1]
    centres = rng.standard_normal((k, sizes[0]))
    out = []
    for _ in range(n):
        j = int(rng.integers(k))
        x = (centres[j] + 0.8 * rng.standard_normal(sizes[0])).reshape(-1, 1)
        out.append((x, np.int64(j) if labels else _unit(j, k)))
    return out


def _assert_same_params(net, book, rtol=1e-10, atol=1e-12):
    for got, want in zip(net.weights, book.w):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    for got, want in zip(net.biases, book.b):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


SIZES = [6, 5, 4, 3]  # two hidden layers: BP2 runs twice


# --------------------------------------------------------------------------- network.py
@pytest.mark.parametrize("backend", ["cpu", "reference", "cuda"])
def test_network_sgd_is_the_books(backend, capsys):
    small = backend == "cuda"  # the simulator runs each thread in Python
    train = _data(13 if small else 37, SIZES, 0)  # 37 = 7 minibatches of 5 and one of 2
    test = _data(9, SIZES, 1, labels=True)
    net = network.Network(SIZES, seed=5, backend=backend)
    book = Book(net.weights, net.biases)
    epochs = 2 if small else 3
    printed = []
    book.sgd(
        train,
        epochs,
        5,
        2.0,
        seed=5,
        after_epoch=lambda j: printed.append(f"Epoch {j}: {book.correct(test)} / 9"),
    )
    net.SGD(train, epochs, 5, 2.0, test_data=test)
    _assert_same_params(net, book)
    assert capsys.readouterr().out.splitlines() == printed
    assert net.evaluate(test) == book.correct(test)
    net.SGD(train, 1, 5, 2.0)
    assert capsys.readouterr().out == "Epoch 0 complete\n"


def test_network_uses_the_global_generators_like_the_book():
    """Without seed=, the initial weights are the book's np.random.randn draws (biases first)
    and SGD shuffles the caller's list in place with random.shuffle: np.random.seed and
    random.seed reproduce a run of the book's code."""
    np.random.seed(12)
    want_b = [np.random.randn(y, 1) for y in SIZES[1:]]
    want_w = [np.random.randn(y, x) for x, y in zip(SIZES[:-1], SIZES[1:])]
    np.random.seed(12)
    net = network.Network(SIZES)
    for got, want in zip(net.biases + net.weights, want_b + want_w):
        np.testing.assert_array_equal(got, want)
    train = _data(20, SIZES, 2)
    order = list(train)
    random.seed(7)
    random.shuffle(order)
    random.shuffle(order)
    random.seed(7)
    net.SGD(train, 2, 4, 1.0)
    assert [id(p) for p in train] == [id(p) for p in order]  # shuffled in place, as the book


def test_backprop_update_feedforward_and_live_weights():
    net = network.Network(SIZES, seed=3)
    book = Book(net.weights, net.biases)
    x, y = _data(1, SIZES, 4)[0]
    nb_, nw = net.backprop(x, y)
    gb, gw = book.gradient(x, y)
    for a, b in zip(nb_ + nw, gb + gw):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    batch = _data(6, SIZES, 5)
    net.update_mini_batch(batch, 0.7)
    book.step(batch, 0.7)
    _assert_same_params(net, book, rtol=1e-12)
    # feedforward: one column, or several columns at once
    cols = np.hstack([x for x, _ in batch])
    np.testing.assert_allclose(net.feedforward(x), book.output(x), rtol=1e-12)
    np.testing.assert_allclose(net.feedforward(cols), book.output(cols), rtol=1e-12)
    assert net.feedforward(x).shape == (3, 1)
    # the weights are live: editing them edits the network
    net.weights[0][0, 0] += 1.0
    book.w[0][0, 0] += 1.0
    np.testing.assert_allclose(net.feedforward(x), book.output(x), rtol=1e-12)
    net.biases[1] = np.zeros((4, 1))
    book.b[1] = np.zeros((4, 1))
    np.testing.assert_allclose(net.feedforward(x), book.output(x), rtol=1e-12)
    net.weights = [np.ones_like(w) for w in book.w]
    assert all((w == 1).all() for w in net.weights)
    np.testing.assert_array_equal(net.cost_derivative(np.ones((3, 1)), np.zeros((3, 1))), 1)
    assert repr(net) == "network.Network([6, 5, 4, 3])"


# --------------------------------------------------------------------------- network2.py
@pytest.mark.parametrize("cost", ["cross_entropy", "quadratic"])
def test_network2_sgd_monitors_and_l2_are_the_books(cost, capsys):
    train = _data(31, SIZES, 6)
    evaluation = _data(11, SIZES, 7, labels=True)
    cls = network2.CrossEntropyCost if cost == "cross_entropy" else network2.QuadraticCost
    net = network2.Network(SIZES, cost=cls, seed=8)
    net.large_weight_initializer()
    book = Book(net.weights, net.biases, "quadratic" if cost == "quadratic" else "xent")
    lmbda, eta = 4.0, 0.9
    want = ([], [], [], [])

    def monitor(j):
        want[2].append(book.total_cost(train, lmbda))
        want[3].append(book.correct(train))
        want[0].append(book.total_cost(evaluation, lmbda))
        want[1].append(book.correct(evaluation))

    book.sgd(train, 3, 4, eta, lmbda, seed=8, after_epoch=monitor)
    got = net.SGD(
        train,
        3,
        4,
        eta,
        lmbda=lmbda,
        evaluation_data=evaluation,
        monitor_evaluation_cost=True,
        monitor_evaluation_accuracy=True,
        monitor_training_cost=True,
        monitor_training_accuracy=True,
    )
    _assert_same_params(net, book)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    assert got[1] == want[1] and got[3] == want[3]
    np.testing.assert_allclose(got[2], want[2], rtol=1e-10)
    out = capsys.readouterr().out
    assert (
        out.count("training complete") == 3
        and f"Accuracy on training data: {want[3][0]} / 31" in out
    )
    assert re.search(rf"Accuracy on evaluation data: {want[1][-1]} / 11\n\n$", out)
    # only what is monitored is recorded
    assert net.SGD(train, 1, 4, eta, lmbda=lmbda) == ([], [], [], [])


def test_network2_default_initializer_and_a_cost_of_ones_own():
    """The default initializer divides the weights by sqrt(n_in); a cost class written by the
    user (chapter 3's exercise form: static fn and delta) trains through its own delta."""
    np.random.seed(1)
    want_b = [np.random.randn(y, 1) for y in SIZES[1:]]
    want_w = [np.random.randn(y, x) / np.sqrt(x) for x, y in zip(SIZES[:-1], SIZES[1:])]
    np.random.seed(1)
    net = network2.Network(SIZES)
    for got, want in zip(net.biases + net.weights, want_b + want_w):
        np.testing.assert_array_equal(got, want)

    class MyCrossEntropy:
        @staticmethod
        def fn(a, y):
            return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

        @staticmethod
        def delta(z, a, y):
            return a - y

    train = _data(23, SIZES, 9)
    net = network2.Network(SIZES, cost=MyCrossEntropy, seed=2)
    book = Book(net.weights, net.biases, "xent")
    book.sgd(train, 2, 5, 0.6, 1.5, seed=2)
    ec, ea, tc, ta = net.SGD(train, 2, 5, 0.6, lmbda=1.5, monitor_training_cost=True)
    _assert_same_params(net, book)
    np.testing.assert_allclose(tc[-1], book.total_cost(train, 1.5), rtol=1e-10)


def test_network2_save_load_and_early_stopping(tmp_path, capsys):
    net = network2.Network(SIZES, cost=network2.QuadraticCost, seed=4)
    path = tmp_path / "net.json"
    net.save(path)
    data = json.loads(path.read_text())
    assert data["sizes"] == SIZES and data["cost"] == "QuadraticCost"
    again = network2.load(path)
    assert again.cost is network2.QuadraticCost
    for a, b in zip(again.weights + again.biases, net.weights + net.biases):
        np.testing.assert_array_equal(a, b)
    data["cost"] = "os.system"
    path.write_text(json.dumps(data))
    with pytest.raises(ValidationError, match="not a network saved"):
        network2.load(path)
    # early stopping: an evaluation accuracy that cannot improve stops after n epochs
    train = _data(10, SIZES, 3)
    evaluation = _data(5, SIZES, 4, labels=True)
    r = net.SGD(
        train,
        20,
        5,
        1e-9,
        evaluation_data=evaluation,
        monitor_evaluation_accuracy=True,
        early_stopping_n=2,
    )
    assert len(r[1]) == 3  # the first epoch sets the best, two more without improvement
    capsys.readouterr()


def test_mistakes_are_explained():
    with pytest.raises(ValidationError, match="sizes"):
        network.Network([784])
    with pytest.raises(ValidationError, match="cost must be a class"):
        network2.Network(SIZES, cost="cross-entropy")
    net = network2.Network(SIZES, seed=0)
    good = _data(4, SIZES, 0)
    with pytest.raises(ValidationError, match=r"x of shape \(6, 1\)"):
        net.SGD([(np.ones((5, 1)), y) for _, y in good], 1, 2, 0.1)
    with pytest.raises(ValidationError, match="need evaluation_data"):
        net.SGD(good, 1, 2, 0.1, monitor_evaluation_accuracy=True)
    with pytest.raises(ValidationError, match="mini_batch_size"):
        net.SGD(good, 1, 0, 0.1)
    with pytest.raises(ValidationError, match="eta"):
        net.SGD(good, 1, 2, -1.0)
    with pytest.raises(ValidationError, match=r"weights\[0\] must have shape \(5, 6\)"):
        net.weights[0] = np.zeros((6, 5))


# --------------------------------------------------------------------------- mnist_loader
def test_mnist_loader_gives_the_books_lists(shared_data):
    tr_d, va_d, te_d = mnist_loader.load_data()
    assert tr_d[0].shape == (50000, 784) and tr_d[0].dtype == np.float32
    assert va_d[0].shape == (10000, 784) and te_d[1].shape == (10000,)
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    assert (len(training_data), len(validation_data), len(test_data)) == (50000, 10000, 10000)
    x, y = training_data[0]
    assert x.shape == (784, 1) and y.shape == (10, 1) and int(np.argmax(y)) == 5 and y.sum() == 1
    assert not x.flags.owndata and np.shares_memory(x, training_data[1][0].base)  # views
    assert [int(lab) for _, lab in validation_data[:3]] == [3, 8, 6]
    assert [int(lab) for _, lab in test_data[:3]] == [7, 2, 1]
    k = x * 255
    np.testing.assert_allclose(k, np.round(k), atol=1e-4)
    np.testing.assert_array_equal(mnist_loader.vectorized_result(3)[:, 0], np.eye(10)[3])


def test_chapter_one_snippet_on_real_digits(shared_data, capsys):
    """The book's chapter 1 call on the first 1,000 training digits, one epoch: the book's
    weights and the printed accuracy."""
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    train, test = training_data[:1000], test_data[:500]
    net = network.Network([784, 30, 10], seed=0)
    book = Book(net.weights, net.biases)
    book.sgd(train, 1, 10, 3.0, seed=0)
    net.SGD(train, 1, 10, 3.0, test_data=test)
    _assert_same_params(net, book, rtol=1e-9, atol=1e-11)
    assert capsys.readouterr().out == f"Epoch 0: {book.correct(test)} / 500\n"
