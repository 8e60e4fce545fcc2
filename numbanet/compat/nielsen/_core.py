"""What ``network`` and ``network2`` share: the book's network on a numbanet ``Sequential``.

The book keeps ``weights[l]`` of shape ``(n_{l+1}, n_l)`` and ``biases[l]`` of shape
``(n_{l+1}, 1)`` and feeds one column vector ``x`` of shape ``(n_0, 1)`` at a time. numbanet's
``Dense`` has the same ``W`` (rows are units) and a bias of shape ``(n_{l+1},)``, and takes a batch
as rows: ``Z = X W^T + b`` is the book's ``w a + b`` for every column of ``X^T`` at once. So the
conversion is a transpose at the boundary, and ``net.weights[l]`` is a live view of the numbanet
parameter (on the host backends): editing it edits the model.

One epoch of the book's SGD (shuffle the list, cut it into minibatches, one update per
minibatch) becomes: shuffle the list exactly as the book does, read off the order of the examples
as a permutation of the rows of the stacked data, and give that permutation to numbanet's epoch
(on the CPU backend the fused dense kernels run every minibatch of the epoch in one call).
"""

from __future__ import annotations

import numbers
import random

import numpy as np
from scipy.special import expit

from ... import optim as O
from ... import training as T
from ...errors import ValidationError
from ...nn import Dense, Sequential, Sigmoid


def sigmoid(z):
    """The sigmoid function 1 / (1 + e^-z), elementwise (without the book's overflow warnings)."""
    return expit(z)


def sigmoid_prime(z):
    """Derivative of the sigmoid function: sigma(z) (1 - sigma(z))."""
    s = expit(z)
    return s * (1 - s)


def vectorized_result(j, n=10):
    """A (n, 1) unit vector with 1.0 in position ``j`` (a digit as the network's desired output)."""
    e = np.zeros((n, 1))
    e[int(j)] = 1.0
    return e


class _LiveList(list):
    """The list ``net.weights`` or ``net.biases`` returns: its items are the parameters (views on
    the host backends) and assigning an item writes into the model."""

    def __init__(self, net, kind, items):
        super().__init__(items)
        self._net = net
        self._kind = kind

    def __setitem__(self, i, value):
        if not isinstance(i, numbers.Integral):
            raise ValidationError(f"assign net.{self._kind}[i] one layer at a time")
        self._net._set(self._kind, int(i), value)
        super().__setitem__(i, self._net._get(self._kind)[i])


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise ValidationError(
            f"sizes must be a list of layer widths such as [784, 30, 10]; got {sizes!r}"
        )
    sizes = list(sizes)
    if len(sizes) < 2 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
    ):
        raise ValidationError(
            f"sizes must list at least two positive integer widths, input first; got {sizes!r}"
        )
    return [int(s) for s in sizes]


class BookNetwork:
    """The machinery behind ``network.Network`` and ``network2.Network``."""

    #: the book's cost (network2 sets it per network; network.py's is the quadratic cost)
    cost = None

    def __init__(self, sizes, *, seed=None, backend="auto"):
        self.sizes = _check_sizes(sizes)
        self.num_layers = len(self.sizes)
        # The book draws from the global generators; seed= gives private ones.
        self._np = np.random if seed is None else np.random.RandomState(seed)
        self._shuffle = random.shuffle if seed is None else random.Random(seed).shuffle
        layers = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            layers += [Dense(n_in, n_out, init="zeros", bias_init="zeros"), Sigmoid()]
        #: The numbanet model doing the work: Dense and Sigmoid layers, float64.
        self.model = Sequential(layers, backend=backend, dtype=np.float64)

    # ------------------------------------------------------------------ weights and biases
    def _dense(self):
        return [layer for layer in self.model.layers if isinstance(layer, Dense)]

    def _get(self, kind):
        host = not getattr(self.model.backend, "is_device", False)
        out = []
        for d in self._dense():
            if kind == "weights":
                out.append(d.W.data if host else d.W.value)
            else:
                b = d.b.data if host else d.b.value
                out.append(b.reshape(-1, 1))
        return out

    def _set(self, kind, i, value):
        dense = self._dense()
        if not -len(dense) <= i < len(dense):
            raise ValidationError(f"the network has {len(dense)} layers of {kind}; got index {i}")
        d = dense[i]
        p = d.W if kind == "weights" else d.b
        want = p.shape if kind == "weights" else (p.shape[0], 1)
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != want and not (kind == "biases" and arr.shape == p.shape):
            raise ValidationError(f"{kind}[{i}] must have shape {want}; got {arr.shape}")
        p.value = arr.reshape(p.shape)

    @property
    def weights(self):
        """``weights[l]``: array of shape (sizes[l+1], sizes[l]), the book's ``w^{l+2}``."""
        return _LiveList(self, "weights", self._get("weights"))

    @weights.setter
    def weights(self, values):
        values = list(values)
        if len(values) != self.num_layers - 1:
            raise ValidationError(f"weights needs {self.num_layers - 1} arrays; got {len(values)}")
        for i, v in enumerate(values):
            self._set("weights", i, v)

    @property
    def biases(self):
        """``biases[l]``: column of shape (sizes[l+1], 1)."""
        return _LiveList(self, "biases", self._get("biases"))

    @biases.setter
    def biases(self, values):
        values = list(values)
        if len(values) != self.num_layers - 1:
            raise ValidationError(f"biases needs {self.num_layers - 1} arrays; got {len(values)}")
        for i, v in enumerate(values):
            self._set("biases", i, v)

    def _draw(self, scale_by_fan_in):
        """The book's initialisation: every bias column first, then every weight matrix, each
        from ``randn`` (weights divided by sqrt(fan-in) for network2's default)."""
        biases = [self._np.randn(y, 1) for y in self.sizes[1:]]
        weights = [
            self._np.randn(y, x) / (np.sqrt(x) if scale_by_fan_in else 1.0)
            for x, y in zip(self.sizes[:-1], self.sizes[1:])
        ]
        self.biases = biases
        self.weights = weights

    # ------------------------------------------------------------------ data at the boundary
    def _stack(self, data, what):
        """``(X, Y, labels)`` for a list of ``(x, y)`` pairs: inputs as the rows of X (n, n_in),
        targets as rows of Y (n, k) (a label becomes its unit vector) and the labels (n,), or
        None when the y are vectors. Inside ``SGD`` the training and evaluation lists are
        stacked once (the monitors after each epoch count and sum, so the in-place shuffle
        does not matter) and forgotten when ``SGD`` returns."""
        memo = self.__dict__.get("_memo")
        if memo is not None and id(data) in memo and memo[id(data)][0] == len(data):
            return memo[id(data)][1]
        n_in, k = self.sizes[0], self.sizes[-1]
        n = len(data)
        X = np.empty((n, n_in))
        Y = np.zeros((n, k))
        labels = None
        try:
            for i, (x, y) in enumerate(data):
                X[i] = np.reshape(x, n_in)
                if np.ndim(y) == 0:
                    if labels is None:
                        if i:
                            raise ValueError("mixed labels and vectors")
                        labels = np.empty(n, np.int64)
                    labels[i] = y
                    Y[i, labels[i]] = 1.0
                else:
                    Y[i] = np.reshape(y, k)
        except (TypeError, ValueError, IndexError) as exc:
            raise ValidationError(
                f"{what} must be a list of (x, y) pairs with x of shape ({n_in}, 1) and y a "
                f"({k}, 1) vector or a label 0..{k - 1}, as mnist_loader.load_data_wrapper() "
                f"gives ({type(exc).__name__}: {exc})"
            ) from None
        if labels is not None and labels.size and labels.min() < 0:
            raise ValidationError(f"{what}: labels must be in 0..{k - 1}")
        out = (X, Y, labels)
        if memo is not None:
            memo[id(data)] = (n, out)
        return out

    def _outputs(self, X):
        return self.model.predict(X, batch_size=8192)

    # ------------------------------------------------------------------ the book's calls
    def feedforward(self, a):
        """The network's output for input ``a`` of shape (sizes[0], 1) (or (sizes[0], k): k
        inputs as columns)."""
        a = np.asarray(a, dtype=np.float64)
        cols = a.reshape(self.sizes[0], -1) if a.ndim < 2 or a.shape[0] == self.sizes[0] else a
        if cols.shape[0] != self.sizes[0]:
            raise ValidationError(f"feedforward expects shape ({self.sizes[0]}, 1); got {a.shape}")
        return self._outputs(np.ascontiguousarray(cols.T)).T

    def _loss(self):
        """The numbanet loss equal to the book's cost, or None for a cost of the user's own."""
        return None

    def _epoch(self, plan, X, T_, perm, bs, opt, loss, Y):
        model = self.model
        n = perm.shape[0]
        if plan is not None:
            plan.run(X, T_, None, perm, 0, n, bs)
            return
        if loss is not None:
            layers, eff = model._split_for_loss(loss)
            T._epoch_layers(
                model, layers, eff, opt, X, T_, None, perm, bs, T._Progress(1, n, False), ()
            )
            return
        # a cost of the user's own: its delta(z, a, y) is the error at the output's z
        be = model.backend
        layers = model.layers[:-1]
        for s in range(0, n, bs):
            idx = perm[s : s + bs]
            opt.zero_grad()
            z = be.to_numpy(model._forward(be.take_rows(X, idx), training=True, layers=layers))
            delta = np.asarray(self.cost.delta(z.T, sigmoid(z.T), Y[idx].T), dtype=np.float64).T
            model._want_input_grad = False
            try:
                model._backward(be.asarray(delta / len(idx), np.float64), layers)
            finally:
                model._want_input_grad = True
            opt.step()

    def _trainer(self, X, Y, eta, lmbda, n):
        """Everything one SGD call reuses across epochs."""
        model = self.model
        params = model.parameters()
        opt = O.SGD(params, lr=eta, l2=lmbda, n_train=n) if lmbda else O.SGD(params, lr=eta)
        loss = self._loss()
        plan, T_ = None, None
        be = model.backend
        if loss is not None:
            layers, eff = model._split_for_loss(loss)
            target = eff.prepare_target(Y, self.sizes[-1], np.float64, n_rows=len(Y))
            plan = T.fused_plan(model, layers, eff, opt)
            T_ = target if plan is not None else be.asarray(target, np.float64)
        Xb = X if plan is not None else be.asarray(X, np.float64)
        return opt, loss, plan, Xb, T_

    def _check_hyper(self, epochs, mini_batch_size, eta, lmbda=0.0):
        for v, name in ((epochs, "epochs"), (mini_batch_size, "mini_batch_size")):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValidationError(f"{name} must be a positive integer; got {v!r}")
        for v, name in ((eta, "eta"), (lmbda, "lmbda")):
            if (
                not isinstance(v, numbers.Real)
                or isinstance(v, bool)
                or not np.isfinite(v)
                or v < 0
            ):
                raise ValidationError(f"{name} must be a number >= 0; got {v!r}")
        if eta == 0:
            raise ValidationError("eta must be positive; got 0")

    def _sgd_epochs(self, training_data, epochs, mini_batch_size, eta, lmbda, after_epoch):
        """The book's loop: shuffle the list in place, minibatches in list order, one update
        each; ``after_epoch(j)`` returns True to stop."""
        self._check_hyper(epochs, mini_batch_size, eta, lmbda)
        if not isinstance(training_data, list):
            training_data = list(training_data)
        n = len(training_data)
        if n == 0:
            raise ValidationError("training_data is empty")
        self._memo = {}
        try:
            X, Y, _ = self._stack(training_data, "training_data")
            row = {id(pair): i for i, pair in enumerate(training_data)}
            opt, loss, plan, Xb, T_ = self._trainer(X, Y, eta, lmbda, n)
            for j in range(epochs):
                self._shuffle(training_data)
                perm = np.fromiter((row[id(pair)] for pair in training_data), np.int64, n)
                self._epoch(plan, Xb, T_, perm, mini_batch_size, opt, loss, Y)
                if after_epoch(j):
                    break
        finally:
            self._memo = None
        return training_data

    def _update(self, mini_batch, eta, lmbda, n):
        """One gradient step on ``mini_batch`` (the book's update_mini_batch)."""
        mini_batch = list(mini_batch)
        if not mini_batch:
            raise ValidationError("mini_batch is empty")
        X, Y, _ = self._stack(mini_batch, "mini_batch")
        opt, loss, plan, Xb, T_ = self._trainer(X, Y, eta, lmbda, n)
        m = len(mini_batch)
        self._epoch(plan, Xb, T_, np.arange(m, dtype=np.int64), m, opt, loss, Y)

    def backprop(self, x, y):
        """``(nabla_b, nabla_w)``: the gradient of the cost of the single example (x, y), layer
        by layer, shaped like ``biases`` and ``weights``."""
        model = self.model
        be = model.backend
        X, Y, _ = self._stack([(x, y)], "(x, y)")
        layers = model.layers[:-1]  # up to the output layer's z
        model.zero_grad()
        z = be.to_numpy(model._forward(be.asarray(X, np.float64), training=True, layers=layers))
        delta = np.asarray(self.cost.delta(z.T, sigmoid(z.T), Y.T), dtype=np.float64).T
        model._want_input_grad = False
        try:
            model._backward(be.asarray(delta, np.float64), layers)
        finally:
            model._want_input_grad = True
        dense = self._dense()
        nabla_b = [np.array(d.b.grad, dtype=np.float64).reshape(-1, 1) for d in dense]
        nabla_w = [np.array(d.W.grad, dtype=np.float64) for d in dense]
        model.zero_grad()
        return nabla_b, nabla_w

    def _correct(self, data, convert, what):
        """How many examples of ``data`` the network classifies right (largest output)."""
        X, Y, labels = self._stack(data, what)
        if labels is None:
            if not convert:
                raise ValidationError(f"{what}: y are vectors; pass convert=True")
            labels = Y.argmax(axis=1)
        return int(np.count_nonzero(self._outputs(X).argmax(axis=1) == labels))

    def __repr__(self):
        return f"{type(self).__module__.rsplit('.', 1)[-1]}.Network({self.sizes})"


__all__ = ["BookNetwork", "sigmoid", "sigmoid_prime", "vectorized_result"]
