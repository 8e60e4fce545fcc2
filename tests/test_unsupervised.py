"""The perceptron, RBMs, autoencoders and deep belief nets (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import ValidationError
from numbanet.unsupervised import LOGIC_GATES, Perceptron

# --------------------------------------------------------------------------- perceptron


@pytest.mark.parametrize("gate", ["AND", "OR", "NOR", "NOT", "NAND"])
@pytest.mark.parametrize("seed", [None, 0, 1])
def test_perceptron_converges_on_separable_gates(gate, seed):
    X, y = LOGIC_GATES[gate]
    p = Perceptron(X.shape[1], seed=seed)
    errors = p.fit(X, y, epochs=100)
    assert p.converged
    assert errors[-1] == 0 and all(e > 0 for e in errors[:-1])
    assert len(errors) < 100
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.score(X, y) == 1.0
    assert p.w is p.weights and p.weights.shape == (X.shape[1],)


def test_perceptron_and_by_hand():
    # zero init, examples in order, eta = 1: the hand-traceable run of the slides
    X, y = LOGIC_GATES["AND"]
    p = Perceptron(2)
    errors = p.fit(X, y, epochs=100)
    # epoch 1: (0,0) -> y_hat 1 (z=0), update b=-1; (0,1) ok; (1,0) ok; (1,1) -> 0, w=(1,1), b=0
    assert errors[0] == 2
    w, b = p.weights, p.b
    z = X @ w + b
    assert np.all((z >= 0) == (y == 1))


@pytest.mark.parametrize("seed", [None, 0, 3])
def test_perceptron_never_converges_on_xor(seed):
    X, y = LOGIC_GATES["XOR"]
    p = Perceptron(2, seed=seed)
    errors = p.fit(X, y, epochs=200)
    assert not p.converged
    assert len(errors) == 200 and min(errors) >= 1
    assert p.score(X, y) <= 0.75


def test_perceptron_nb_namespace():
    assert nb.unsupervised.Perceptron is Perceptron


@pytest.mark.parametrize(
    "X, y, match",
    [
        ([[0, 0], [1, 1]], [0, 2], "label"),
        ([[0, 0], [1, 1]], [0, -1], "label"),
        ([[0, 0], [1, 1]], [0.5, 1], "label"),
        ([[0, np.nan], [1, 1]], [0, 1], "NaN"),
        ([[0, 0, 0], [1, 1, 1]], [0, 1], "shape"),
        ([[0, 0], [1, 1]], [0, 1, 1], "labels"),
        ([[0, 0], [1, 1]], [np.nan, 1], "NaN"),
    ],
)
def test_perceptron_validation(X, y, match):
    with pytest.raises(ValidationError, match=match):
        Perceptron(2).fit(np.asarray(X, dtype=float), np.asarray(y), epochs=5)


def test_perceptron_bad_args():
    with pytest.raises(ValidationError, match="n_inputs"):
        Perceptron(0)
    with pytest.raises(ValidationError, match="lr"):
        Perceptron(2, lr=-1.0)
    with pytest.raises(ValidationError, match="epochs"):
        Perceptron(2).fit(*LOGIC_GATES["AND"], epochs=0)
    with pytest.raises(ValidationError, match="shape"):
        Perceptron(2).predict(np.zeros((3, 5)))
