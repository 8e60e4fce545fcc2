"""Noise in the parameters (deck 003, "Inyección de ruido ... En los parámetros"): Dense(...,
weight_noise=s) trains with W + s * eps, evaluates with W, on every backend, reproducibly."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import ValidationError

S = 0.3


def _net(backend, dtype="float64", noise=S, noise_seed=7, seed=0):
    return nb.Sequential(
        [nb.Dense(5, 7, weight_noise=noise, noise_seed=noise_seed), nb.Tanh(), nb.Dense(7, 2)],
        backend=backend,
        seed=seed,
        dtype=dtype,
    )


def _x(n=3):
    return np.random.default_rng(1).normal(size=(n, 5))


def test_training_forward_uses_w_plus_noise_and_evaluation_uses_w():
    net = _net("reference")
    d = net.layers[0]
    W, b = d.W.value.copy(), d.b.value.copy()
    eps = np.random.default_rng(7).standard_normal(W.shape)  # the layer's noise_seed stream
    x = _x()
    h = net.layers[0].forward(x, training=True)
    np.testing.assert_allclose(h, x @ (W + S * eps).T + b, atol=1e-12)
    # evaluation: the clean weights, and the stored W is untouched
    np.testing.assert_allclose(net.layers[0].forward(x, training=False), x @ W.T + b, atol=1e-12)
    np.testing.assert_array_equal(d.W.value, W)
    np.testing.assert_array_equal(net.predict(x), net.forward(x, training=False))
    # a fresh draw each training forward
    eps2 = np.random.default_rng(7).standard_normal((2,) + W.shape)[1]
    np.testing.assert_allclose(d.forward(x, training=True), x @ (W + S * eps2).T + b, atol=1e-12)
    assert "weight_noise=0.3" in repr(d)


def test_gradients_are_those_of_the_perturbed_net():
    """Backward differentiates the training forward: finite differences of the loss with the
    same eps, in W (dC/dW at W + s eps) and in x (dC/dx = delta (W + s eps))."""
    net = _net("reference")
    x, y = _x(), np.array([[0.2, -0.1], [1.0, 0.5], [-0.3, 0.0]])
    loss = nb.losses.MSE()

    def cost(xx, W1):
        clean = nb.Sequential(
            [nb.Dense(5, 7), nb.Tanh(), nb.Dense(7, 2)],
            backend="reference",
            seed=0,
            dtype="float64",
        )
        clean.set_flat(net.get_flat())
        clean.layers[0].W.value = W1
        return loss.forward(clean.forward(xx), y)

    W = net.layers[0].W.value.copy()
    W_noisy = W + S * np.random.default_rng(7).standard_normal(W.shape)
    net.zero_grad()
    net._want_input_grad = True
    out = net.forward(x, training=True)
    loss.forward(out, y)
    dx = net.backward(loss.backward())
    net._want_input_grad = False
    dW = net.layers[0].W.grad.copy()
    e = 1e-6
    num_w = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W_noisy.copy(), W_noisy.copy()
        Wp[idx] += e
        Wm[idx] -= e
        num_w[idx] = (cost(x, Wp) - cost(x, Wm)) / (2 * e)
    np.testing.assert_allclose(dW, num_w, atol=1e-8)
    num_x = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += e
        xm[idx] -= e
        num_x[idx] = (cost(xp, W_noisy) - cost(xm, W_noisy)) / (2 * e)
    np.testing.assert_allclose(dx, num_x, atol=1e-8)
    # and not those of the clean net
    assert np.abs(dW - _clean_grad(net, x, y)).max() > 1e-3


def _clean_grad(net, x, y):
    clean = nb.Sequential(
        [nb.Dense(5, 7), nb.Tanh(), nb.Dense(7, 2)], backend="reference", seed=0, dtype="float64"
    )
    clean.set_flat(net.get_flat())
    loss = nb.losses.MSE()
    loss.forward(clean.forward(x), y)
    clean.zero_grad()
    clean.backward(loss.backward())
    return clean.layers[0].W.grad


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
def test_backends_match_the_reference(backend, dtype, tol):
    x = _x().astype(dtype)
    y = np.array([0, 1, 1])
    outs = {}
    for be in ("reference", backend):
        net = _net(be, dtype=dtype)
        loss = nb.losses.CrossEntropy()
        out = net.forward(x, training=True)
        loss.forward(net.backend.to_numpy(out) if hasattr(net.backend, "to_numpy") else out, y)
        net.zero_grad()
        net.backward(net.backend.asarray(loss.backward(), net.dtype))
        outs[be] = (
            np.asarray(net.backend.to_numpy(out)),
            net.layers[0].W.grad.copy(),
            net.layers[2].W.grad.copy(),
        )
    for a, b in zip(outs["reference"], outs[backend]):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_fit_is_reproducible_with_its_seed(backend):
    rng = np.random.default_rng(0)
    n = 24 if backend == "cuda" else 200
    x = rng.normal(size=(n, 5))
    y = (x[:, 0] > 0).astype(int)

    def run(fit_seed, noise=S):
        net = _net(backend, noise=noise, noise_seed=None)
        assert net.dense_stack() is None or noise == 0.0  # noisy layers leave the fused path
        net.fit(
            x,
            y,
            loss="cross_entropy",
            epochs=2,
            batch_size=8,
            lr=0.1,
            progress=False,
            seed=fit_seed,
        )
        return net.get_flat()

    a, b, c = run(3), run(3), run(4)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-6
    assert np.abs(a - run(3, noise=0.0)).max() > 1e-6


def test_checkpoint_keeps_the_option(tmp_path):
    net = _net("cpu", noise_seed=None)
    net.save(tmp_path / "m.npz")
    back = nb.Sequential.load(tmp_path / "m.npz", backend="cpu")
    assert back.layers[0].weight_noise == S and back.layers[2].weight_noise == 0.0
    np.testing.assert_array_equal(back.predict(_x()), net.predict(_x()))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weight_noise=-0.1), "weight_noise"),
        (dict(weight_noise="a"), "weight_noise"),
        (dict(weight_noise=float("nan")), "weight_noise"),
        (dict(noise_seed=-1), "noise_seed"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        nb.Dense(2, 3, **kwargs)
