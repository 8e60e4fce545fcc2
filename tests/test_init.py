"""Initialisation schemes: the sample variance of every scheme matches its formula.

Statistical tolerance (stated once): with N independent draws the sample variance s^2 has
standard error sqrt(Var(w^2) / N), i.e. var * sqrt(2 / N) for a normal, var * sqrt(0.8 / N)
for a uniform (E[w^4] = 9/5 var^2) and var * sqrt((E[z^4] - E[z^2]^2) / N) / E[z^2] for the
normal truncated at 2 sd (moments below). Each test accepts 5 standard errors, so a correct
scheme fails with probability below 1e-6 (the draws are seeded anyway, so runs are repeatable),
while the nearest wrong formula (a factor 2 in the variance, or fan_in <-> fan_out) is hundreds
of standard errors away with N = 120,000.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import numbanet as nb
from numbanet import init
from numbanet.errors import ValidationError

FAN_OUT, FAN_IN = 300, 400
SHAPE = (FAN_OUT, FAN_IN)
N = FAN_OUT * FAN_IN
Z_SE = 5.0

# truncated standard normal on [-2, 2]: E[z^2] and E[z^4] by integration by parts
_C = 2.0
_PHI = math.exp(-_C * _C / 2) / math.sqrt(2 * math.pi)
_MASS = math.erf(_C / math.sqrt(2))
TRUNC_M2 = 1 - 2 * _C * _PHI / _MASS  # 0.7737...
TRUNC_M4 = 3 * TRUNC_M2 - 2 * _C**3 * _PHI / _MASS

# name -> (expected variance, Var(w^2) / var^2, bound on |w| or None)
SCHEMES = {
    "he_normal": (2 / FAN_IN, 2.0, None),
    "he_uniform": (2 / FAN_IN, 0.8, math.sqrt(6 / FAN_IN)),
    "lecun_normal": (1 / FAN_IN, 2.0, None),
    "lecun_uniform": (1 / FAN_IN, 0.8, math.sqrt(3 / FAN_IN)),
    "glorot_normal": (2 / (FAN_IN + FAN_OUT), 2.0, None),
    "glorot_uniform": (2 / (FAN_IN + FAN_OUT), 0.8, math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "truncated_normal": (
        TRUNC_M2 * 2 / FAN_IN,
        (TRUNC_M4 - TRUNC_M2**2) / TRUNC_M2**2,
        2 * math.sqrt(2 / FAN_IN),
    ),
    "nielsen": (1 / FAN_IN, 2.0, None),
    "nielsen_large": (1.0, 2.0, None),
}


def test_truncated_normal_moments():
    assert TRUNC_M2 == pytest.approx(0.7737, abs=1e-4)
    z = np.random.default_rng(0).standard_normal(2_000_000)
    z = z[np.abs(z) <= 2]
    assert np.mean(z**4) == pytest.approx(TRUNC_M4, rel=0.01)


@pytest.mark.parametrize("name", list(SCHEMES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sample_variance_matches_the_formula(name, dtype):
    var, kurt, bound = SCHEMES[name]
    w = init.WEIGHT_INITS[name](np.random.default_rng(7), SHAPE, FAN_IN, FAN_OUT, dtype)
    assert w.shape == SHAPE and w.dtype == dtype
    w = w.astype(np.float64)
    se_var = var * math.sqrt(kurt / N)
    assert abs(np.mean(w**2) - var) < Z_SE * se_var, (np.mean(w**2), var, se_var)
    assert abs(np.mean(w)) < Z_SE * math.sqrt(var / N)
    if bound is not None:
        assert np.abs(w).max() <= bound * (1 + 1e-6)
        assert np.abs(w).max() > 0.98 * bound  # and the whole range is used


def test_truncated_normal_is_bounded_at_two_sd_and_redraws():
    """Redrawing (not clipping): no mass piles up at +-2 sd, and the custom std is honoured."""
    std = 0.05
    w = init.truncated_normal(np.random.default_rng(1), (500, 400), 400, 500, np.float64, std=std)
    assert np.abs(w).max() <= 2 * std
    near_edge = np.mean(np.abs(w) > 1.99 * std)
    # density of a truncated normal in the last 0.01 sd on both sides ~ 2 * 0.01 * phi(2) / mass
    assert near_edge < 3 * 2 * 0.01 * _PHI / _MASS
    assert np.var(w) == pytest.approx(
        TRUNC_M2 * std**2, rel=Z_SE * math.sqrt(SCHEMES["truncated_normal"][1] / w.size)
    )


@pytest.mark.parametrize("shape", [(8, 8), (12, 5), (5, 12), (6, 3, 2, 2), (7, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_is_orthogonal(shape, dtype):
    w = init.orthogonal(np.random.default_rng(2), shape, None, None, dtype)
    assert w.shape == shape and w.dtype == dtype
    m = w.reshape(shape[0], -1).astype(np.float64)
    r, c = m.shape
    gram = m.T @ m if r >= c else m @ m.T  # orthonormal columns (tall) or rows (wide)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(gram, np.eye(min(r, c)), atol=tol)


def test_orthogonal_gain_and_fresh_draws():
    a = init.orthogonal(np.random.default_rng(3), (6, 6), 6, 6, np.float64, gain=2.0)
    np.testing.assert_allclose(a.T @ a, 4 * np.eye(6), atol=1e-12)
    b = init.orthogonal(np.random.default_rng(4), (6, 6), 6, 6, np.float64)
    assert not np.allclose(np.abs(a) / 2, np.abs(b))  # random, not a fixed matrix


def test_seeded_and_distinct():
    f = init.he_normal
    a = f(np.random.default_rng(5), (4, 6), 6, 4, np.float32)
    b = f(np.random.default_rng(5), (4, 6), 6, 4, np.float32)
    c = f(np.random.default_rng(6), (4, 6), 6, 4, np.float32)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_zeros_and_constant():
    assert not init.zeros(None, (3, 2), 2, 3, np.float64).any()
    c = init.constant(0.25)(None, (2, 2), 2, 2, np.float32)
    assert c.dtype == np.float32 and (c == 0.25).all()
    assert init.get(0.1, kind="bias")(None, (3,), 1, 1, np.float64).tolist() == [0.1] * 3


@pytest.mark.parametrize(
    "name, var",
    [
        ("he_uniform", 2 / FAN_IN),
        ("glorot_normal", 2 / (FAN_IN + FAN_OUT)),
        ("xavier_uniform", 2 / (FAN_IN + FAN_OUT)),
        ("kaiming_normal", 2 / FAN_IN),
    ],
)
def test_dense_layer_uses_its_fans(name, var):
    """Through a layer: W of Dense(in, out) has shape (out, in) and fan_in = in."""
    net = nb.Sequential([nb.Dense(FAN_IN, FAN_OUT, init=name)], backend="reference", seed=11)
    W, b = net.parameters()
    w = W.value.astype(np.float64)
    kurt = 0.8 if "uniform" in name else 2.0
    assert abs(np.mean(w**2) - var) < Z_SE * var * math.sqrt(kurt / N)
    assert not b.value.any()  # biases start at zero


def test_nielsen_default_biases_are_standard_normal():
    net = nb.Sequential([nb.Dense(50, 2000, init="nielsen")], backend="reference", seed=0)
    b = net.parameters()[1].value.astype(np.float64)
    assert abs(np.var(b) - 1.0) < Z_SE * math.sqrt(2 / b.size)


def test_unknown_scheme_is_refused():
    with pytest.raises(ValidationError, match="unknown weight initialisation 'he_norma'"):
        init.get("he_norma")
    with pytest.raises(ValidationError, match="he_normal"):  # the message lists the choices
        nb.Dense(3, 2, init="gaussian")
