"""Numerical safety at extreme inputs: every activation and loss stays finite (and accurate) for
|z| up to 1e4 in float32 and float64, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import numbanet as nb
from numbanet import losses as L
from numbanet.codes import Act

EXTREME = np.array([[-1e4, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e4]])
CODES = [Act.SIGMOID, Act.TANH, Act.RELU, Act.LEAKY_RELU, Act.ELU, Act.SOFTPLUS, Act.GELU, Act.SILU]


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("code", CODES, ids=[c.label for c in CODES])
def test_activations_finite_at_extremes(backend, dtype, code):
    be = nb.get_backend(backend)
    z = be.asarray(EXTREME, dtype)
    a = be.act_forward(code, z, 0.1)
    d = be.act_backward(code, z, a, be.asarray(np.ones_like(EXTREME), dtype), 0.1)
    a, d = be.to_numpy(a), be.to_numpy(d)
    assert np.isfinite(a).all() and np.isfinite(d).all()
    # relative accuracy down to the smallest normal number (below it float32 keeps few digits)
    tol = {"rtol": 1e-6 if dtype == np.float32 else 1e-12, "atol": np.finfo(dtype).tiny}
    if code == Act.SIGMOID:
        np.testing.assert_allclose(a, special.expit(EXTREME), **tol)
    if code == Act.SOFTPLUS:
        np.testing.assert_allclose(a, np.logaddexp(0, EXTREME), **tol)


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_stable(backend, dtype):
    be = nb.get_backend(backend)
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [3.0, 1e4, 1e4 - 1]])
    labels = np.array([1, 0, 2])
    v, g = be.xent_labels(be.asarray(z, dtype), be.asarray(labels, np.int64), 1.0)
    g = be.to_numpy(g)
    lse = special.logsumexp(z, axis=1)
    expect = (lse - z[np.arange(3), labels]).sum()
    assert np.isfinite(v) and np.isfinite(g).all()
    assert v == pytest.approx(expect, rel=1e-6)
    p = be.to_numpy(be.softmax_forward(be.asarray(z, dtype)))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_from_logits_stable(backend, dtype):
    be = nb.get_backend(backend)
    z = np.array([[1e4, -1e4, 50.0, -50.0]])
    y = np.array([[0.0, 1.0, 1.0, 0.0]])
    v, g = be.elementwise_loss(2, be.asarray(z, dtype), be.asarray(y, dtype), 1.0)
    expect = (np.logaddexp(0, z) - y * z).sum()
    assert v == pytest.approx(expect, rel=1e-6)
    assert np.isfinite(be.to_numpy(g)).all()


def test_bce_on_probabilities_clips_instead_of_nan():
    loss = L.BCE()
    v = loss.forward(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    assert np.isfinite(v) and v > 10
    assert np.isfinite(loss.backward()).all()


def test_training_divergence_stops_with_last_good_weights():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32) * 100
    y = rng.standard_normal((32, 1)).astype(np.float32) * 100
    net = nb.Sequential([nb.Dense(3, 4), nb.Identity(), nb.Dense(4, 1)], backend="cpu", seed=0)
    before = net.get_flat()
    with pytest.raises(nb.DivergenceError, match="diverged at epoch 1.*Lower the learning rate"):
        net.fit(x, y, loss="mse", lr=10.0, epochs=3, batch_size=8)
    np.testing.assert_array_equal(net.get_flat(), before)
    assert np.isfinite(net.get_flat()).all()
