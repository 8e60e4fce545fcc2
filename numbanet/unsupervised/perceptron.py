"""Rosenblatt's perceptron, trained with the slide's learning rule.

A single linear threshold unit (MLP deck, "Algoritmo de aprendizaje: perceptron"):

.. math:: \\hat y = \\phi(\\mathbf w^\\top \\mathbf x + b),\\qquad
          \\phi(z) = 1 \\text{ if } z \\ge 0 \\text{ else } 0,

and, for each training example in turn,

.. math:: w_j \\leftarrow w_j + \\eta\\,(y - \\hat y)\\,x_j,\\qquad b \\leftarrow b + \\eta\\,(y - \\hat y).

The slides use :math:`\\eta = 1`. An epoch visits every example once; training stops when an epoch
makes no mistake (the perceptron convergence theorem guarantees this happens after finitely many
updates when the two classes are linearly separable) or after ``epochs`` epochs. XOR is not
linearly separable, so the rule never reaches zero errors on it.

The perceptron is a scalar, sequential algorithm (each update changes the weights the next example
sees), so it runs in plain NumPy: there is no batch to parallelise.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, positive_float, positive_int
from ..errors import ValidationError

__all__ = ["Perceptron", "LOGIC_GATES", "step_network", "xor_from_gates"]

_X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

#: The slides' truth tables: name -> (X, y).
LOGIC_GATES = {
    "AND": (_X2, np.array([0, 0, 0, 1])),
    "OR": (_X2, np.array([0, 1, 1, 1])),
    "NOR": (_X2, np.array([1, 0, 0, 0])),
    "NAND": (_X2, np.array([1, 1, 1, 0])),
    "NOT": (np.array([[0.0], [1.0]]), np.array([1, 0])),
    "XOR": (_X2, np.array([0, 1, 1, 0])),
}


class Perceptron:
    """A linear threshold unit trained with the perceptron rule.

    Parameters
    ----------
    n_inputs : int
        Number of inputs ``d``.
    lr : float
        Learning rate :math:`\\eta` (the slides use 1).
    seed : int or None
        ``None`` starts from zero weights and bias and visits examples in their given order (the
        slides' first option, fully deterministic). An integer starts from small random weights
        N(0, 0.01^2) drawn from ``numpy.random.default_rng(seed)`` and shuffles the example order
        every epoch with the same generator.

    Attributes
    ----------
    weights : ndarray of shape (n_inputs,)
        ``w`` (also available as ``.w``).
    b : float
        The bias.
    errors_ : list of int
        Mistakes (updates) made in each epoch of the last ``fit``.
    converged : bool
        True when the last epoch of ``fit`` made no mistake.
    n_epochs_ : int
        Epochs run by the last ``fit``.
    """

    def __init__(self, n_inputs, lr=1.0, seed=None):
        self.n_inputs = positive_int(n_inputs, "n_inputs")
        self.lr = positive_float(lr, "lr")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValidationError(f"seed must be an integer or None; got {seed!r}")
        self.seed = seed
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self):
        """Back to the initial weights (zeros, or small random numbers when seeded)."""
        if self.seed is None:
            self._rng = None
            self.weights = np.zeros(self.n_inputs)
            self.b = 0.0
        else:
            self._rng = np.random.default_rng(self.seed)
            self.weights = self._rng.normal(0.0, 0.01, size=self.n_inputs)
            self.b = float(self._rng.normal(0.0, 0.01))
        self.errors_ = []
        self.converged = False
        self.n_epochs_ = 0
        return self

    @property
    def w(self):
        return self.weights

    @w.setter
    def w(self, value):
        self.weights = np.asarray(value, dtype=np.float64).reshape(self.n_inputs)

    # ------------------------------------------------------------------ checks
    def _check_x(self, X, name="X"):
        X = as_float_array(X, name, np.float64)
        if X.ndim == 1 and self.n_inputs == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValidationError(
                f"{name} must have shape (n, {self.n_inputs}) for a perceptron with "
                f"{self.n_inputs} inputs; got shape {X.shape}"
            )
        return X

    @staticmethod
    def _check_y(y, n):
        arr = np.asarray(y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1 or arr.shape[0] != n:
            raise ValidationError(
                f"y must be a 1-D array of {n} labels (one per row of X); got shape {arr.shape}"
            )
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise ValidationError(f"y has dtype {arr.dtype}; expected labels 0 or 1")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValidationError("y contains NaN or infinity; labels must be 0 or 1")
        bad = ~np.isin(arr, (0, 1))
        if bad.any():
            raise ValidationError(
                f"y holds the label {arr[bad][0]!r}; the perceptron's step unit outputs 0 or 1, so "
                "labels must be in {0, 1} (map -1/+1 labels with (y + 1) // 2)"
            )
        return arr.astype(np.float64)

    # ------------------------------------------------------------------ model
    def decision_function(self, X):
        """The pre-activation :math:`z = X w + b`, shape (n,)."""
        X = self._check_x(X)
        return X @ self.weights + self.b

    def predict(self, X):
        """Step outputs :math:`\\phi(Xw + b)` in {0, 1}, shape (n,), dtype int64."""
        return (self.decision_function(X) >= 0).astype(np.int64)

    def fit(self, X, y, epochs=100):
        """Train with the perceptron rule until an epoch makes no mistake or ``epochs`` pass.

        Parameters
        ----------
        X : array of shape (n, n_inputs)
        y : array of shape (n,) with values in {0, 1}
        epochs : int
            Maximum number of epochs.

        Returns
        -------
        errors : list of int
            Number of misclassified examples (= updates) in each epoch; its last entry is 0 exactly
            when ``self.converged``. Training continues from the current weights (call ``reset()``
            to start over).
        """
        X = self._check_x(X)
        y = self._check_y(y, X.shape[0])
        epochs = positive_int(epochs, "epochs")
        w = self.weights.astype(np.float64).copy()
        b = float(self.b)
        errors = []
        self.converged = False
        n = X.shape[0]
        for _ in range(epochs):
            order = np.arange(n) if self._rng is None else self._rng.permutation(n)
            mistakes = 0
            for i in order:
                y_hat = 1.0 if X[i] @ w + b >= 0 else 0.0
                delta = y[i] - y_hat
                if delta != 0.0:
                    w += self.lr * delta * X[i]
                    b += self.lr * delta
                    mistakes += 1
            errors.append(mistakes)
            if mistakes == 0:
                self.converged = True
                break
        self.weights, self.b = w, b
        self.errors_ = errors
        self.n_epochs_ = len(errors)
        return errors

    def score(self, X, y):
        """Fraction of examples classified correctly."""
        X = self._check_x(X)
        y = self._check_y(y, X.shape[0])
        return float(np.mean(self.predict(X) == y))

    def __repr__(self):
        return f"Perceptron(n_inputs={self.n_inputs}, lr={self.lr}, seed={self.seed})"


# ---------------------------------------------------------------------------- gates into networks
def step_network(hidden, output, backend="reference", dtype="float64"):
    """Trained perceptrons wired into a two-layer step network, a numbanet ``Sequential``.

    The hidden layer's rows are the ``hidden`` perceptrons' weights and biases, the output unit is
    the ``output`` perceptron (with ``len(hidden)`` inputs, reading the hidden units' outputs), and
    every unit thresholds with the perceptron's own step, 1 if z >= 0 else 0::

        Dense(d, k) - Step - Dense(k, 1) - Step

    Nothing is trained here: the weights are the perceptrons' (forward only; the step has no
    useful derivative).
    """
    from ..nn import Dense, Sequential, Step

    hidden = list(hidden)
    if not hidden or not all(isinstance(p, Perceptron) for p in hidden + [output]):
        raise ValidationError("step_network needs a list of hidden Perceptrons and an output one")
    d = hidden[0].n_inputs
    if any(p.n_inputs != d for p in hidden):
        raise ValidationError(
            f"the hidden perceptrons must all read the same inputs; got "
            f"{[p.n_inputs for p in hidden]} inputs"
        )
    if output.n_inputs != len(hidden):
        raise ValidationError(
            f"the output perceptron reads the {len(hidden)} hidden units, so it needs "
            f"{len(hidden)} inputs; it has {output.n_inputs}"
        )
    net = Sequential(
        [Dense(d, len(hidden)), Step(), Dense(len(hidden), 1), Step()],
        backend=backend,
        dtype=dtype,
        input_shape=(d,),
    )
    net.layers[0].W.value = np.array([p.weights for p in hidden])
    net.layers[0].b.value = np.array([p.b for p in hidden])
    net.layers[2].W.value = np.asarray(output.weights).reshape(1, -1)
    net.layers[2].b.value = np.array([output.b])
    return net


def xor_from_gates(lr=1.0, seed=None, epochs=100, backend="reference"):
    """XOR built from learned gates, as the MLP deck writes it ("Múltiples capas"):

    .. math:: X_1 \\oplus X_2 = (X_1 \\vee X_2) \\wedge \\neg (X_1 \\wedge X_2)
              = \\mathrm{AND}(\\mathrm{OR}(X_1, X_2),\\ \\mathrm{NAND}(X_1, X_2)).

    Three perceptrons learn OR, NAND and AND from their truth tables (``LOGIC_GATES``) with the
    perceptron rule; OR and NAND become the hidden layer and AND the output of a
    ``step_network``. No single perceptron learns XOR (it is not linearly separable), but each of
    the three gates is, and the network of them computes XOR exactly.

    Returns
    -------
    dict
        ``"gates"``: {name: Perceptron} (OR, NAND, AND), ``"epochs"``: {name: epochs to converge},
        ``"net"``: the step network, ``"X"``: the four inputs, ``"hidden"``: the hidden units'
        outputs (4, 2), ``"output"``: the network's outputs (4,), ``"xor"``: XOR's truth table.
    """
    gates = {}
    for k, name in enumerate(("OR", "NAND", "AND")):
        X, y = LOGIC_GATES[name]
        p = Perceptron(2, lr=lr, seed=None if seed is None else int(seed) + k)
        p.fit(X, y, epochs=epochs)
        if not p.converged:
            raise ValidationError(
                f"the perceptron did not learn {name} in {epochs} epochs; give it more epochs"
            )
        gates[name] = p
    net = step_network([gates["OR"], gates["NAND"]], gates["AND"], backend=backend)
    X = LOGIC_GATES["XOR"][0]
    be = net.backend
    hidden = be.to_numpy(net._forward(be.asarray(X, net.dtype), layers=net.layers[:2]))
    out = net.predict(X)[:, 0]
    return {
        "gates": gates,
        "epochs": {k: p.n_epochs_ for k, p in gates.items()},
        "net": net,
        "X": X,
        "hidden": hidden.astype(np.int64),
        "output": out.astype(np.int64),
        "xor": LOGIC_GATES["XOR"][1],
    }
