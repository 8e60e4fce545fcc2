"""numbanet.theory.backprop: deck 001's worked example, BP1-BP4 against the engine and finite
differences, and the ``numbanet backprop`` command."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import numbanet as nb
from numbanet.cli import app
from numbanet.errors import ValidationError
from numbanet.theory import backprop as B


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_deck_example_by_hand():
    """The deck's 1-hidden-layer example, written out as on the slides (sigmoid hidden layer,
    linear output, ECM = 1/2 (y - y_hat)^2): delta^{3} = -(y - y_hat) (linear output: dy_hat/dz =
    1), dC/dW^{2} = delta^{3} a^{2}, dC/dW^{1} = (W^{2})^T delta^{3} * phi'(z^{2}) x."""
    net = B.dense_net([2, 3, 2], seed=3)
    x = np.array([0.3, -0.7])
    y = np.array([0.0, 1.0])
    t = B.trace(net, x, y)
    W1, b1 = net.layers[0].W.value, net.layers[0].b.value
    W2, b2 = net.layers[2].W.value, net.layers[2].b.value
    z2 = W1 @ x + b1
    a2 = _sig(z2)
    yhat = W2 @ a2 + b2
    d3 = -(y - yhat)
    d2 = (W2.T @ d3) * a2 * (1 - a2)
    np.testing.assert_allclose(t.layers[0].z[0], z2, atol=1e-12)
    np.testing.assert_allclose(t.layers[1].a[0], yhat, atol=1e-12)
    np.testing.assert_allclose(t.layers[1].delta[0], d3, atol=1e-12)
    np.testing.assert_allclose(t.layers[0].delta[0], d2, atol=1e-12)
    np.testing.assert_allclose(t.layers[1].dW, np.outer(d3, a2), atol=1e-12)
    np.testing.assert_allclose(t.layers[0].dW, np.outer(d2, x), atol=1e-12)
    np.testing.assert_allclose(t.layers[0].db, d2, atol=1e-12)
    assert t.loss_value == pytest.approx(0.5 * np.sum((y - yhat) ** 2))
    assert t.ok
    assert set(t.checks) == {
        f"BP{i} vs {w}" for i in range(1, 5) for w in ("engine", "finite differences")
    }
    assert t.checks["BP4 vs finite differences"] < 1e-7
    assert t.layers[0].index == 2 and t.layers[1].index == 3


@pytest.mark.parametrize(
    "layers, loss, y",
    [
        (
            [nb.Dense(3, 4), nb.Tanh(), nb.Dense(4, 3), nb.Softmax()],
            "cross_entropy",
            [0, 2, 1, 2, 0],
        ),
        (
            [nb.Dense(3, 4), nb.ReLU(), nb.Dense(4, 1), nb.Sigmoid()],
            "bce",
            [[0.0], [1], [1], [0], [1]],
        ),
        (
            [nb.Dense(3, 4), nb.ELU(), nb.Dense(4, 4), nb.Softplus(), nb.Dense(4, 2), nb.Softmax()],
            "mse",
            [[1.0, 0], [0, 1], [0, 1], [1, 0], [0, 1]],
        ),
        (
            [nb.Dense(3, 2, bias=False), nb.LeakyReLU(0.1), nb.Dense(2, 2), nb.SiLU()],
            "mse",
            [[1.0, 0], [0, 1], [0, 1], [1, 0], [0, 1]],
        ),
    ],
)
@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_every_equation_holds(layers, loss, y, backend):
    import copy

    net = nb.Sequential([copy.deepcopy(layer) for layer in layers], backend=backend, seed=1)
    x = np.random.default_rng(0).normal(size=(5, 3))
    t = B.trace(net, x, np.asarray(y), loss=loss)
    assert t.ok, t.report()
    assert all(v < 1e-7 for v in t.checks.values())
    assert t.layers[-1].delta.shape == (5, t.layers[-1].z.shape[1])


def test_softmax_output_with_mse_uses_the_jacobian():
    """MSE after a Softmax is not absorbed: BP1 needs the softmax Jacobian, not phi'(z)."""
    net = nb.Sequential(
        [nb.Dense(2, 3), nb.Softmax()], backend="reference", seed=0, dtype="float64"
    )
    t = B.trace(net, [[0.2, -1.0]], [[0.0, 1.0, 0.0]], loss="mse")
    a = t.layers[0].a[0]
    g = a - np.array([0.0, 1.0, 0.0])
    J = np.diag(a) - np.outer(a, a)
    np.testing.assert_allclose(t.layers[0].delta[0], J @ g, atol=1e-12)
    assert t.ok


def test_a_broken_engine_backward_is_caught(monkeypatch):
    """The checks can fail: an engine activation derivative off by a factor shows up in the
    engine comparison, while the finite differences still agree with the NumPy equations."""
    net = B.dense_net([2, 3, 2], seed=0)
    ref = nb.get_backend("reference")
    orig = type(ref).act_backward

    def wrong(self, code, z, a, dy, alpha=0.0):
        return 1.5 * orig(self, code, z, a, dy, alpha)

    monkeypatch.setattr(type(ref), "act_backward", wrong)
    t = B.trace(net, [0.5, -0.2], [1.0, 0.0])
    assert not t.ok
    assert t.checks["BP2 vs engine"] > 1e-3
    assert t.checks["BP2 vs finite differences"] < 1e-7  # the NumPy side is independent
    assert "FAILED" in t.report()


def test_bad_inputs():
    net = B.dense_net([2, 3, 2])
    with pytest.raises(ValidationError, match="shape"):
        B.trace(net, [1.0, 2.0, 3.0], [1.0, 0.0])
    with pytest.raises(ValidationError, match="finite"):
        B.trace(net, [np.nan, 2.0], [1.0, 0.0])
    with pytest.raises(ValidationError, match="columns"):
        B.trace(net, [1.0, 2.0], [[1.0, 0.0, 0.0]])
    conv = nb.Sequential([nb.Conv1D(1, 2, 3), nb.Flatten(), nb.Dense(2 * 3, 1)], seed=0)
    with pytest.raises(ValidationError, match="dense stack"):
        B.trace(conv, np.zeros((1, 1, 5)), [[0.0]])
    with pytest.raises(ValidationError, match="Sequential"):
        B.trace("net", [1.0], [1.0])
    with pytest.raises(ValidationError, match="unknown activation"):
        B.dense_net([2, 3, 2], activation="cosine")


runner = CliRunner()


def test_cli_backprop():
    res = runner.invoke(app, ["backprop", "2-3-2", "--x", "0.5,-0.2", "--y", "1,0"])
    assert res.exit_code == 0, res.output
    assert "delta^{3}" in res.output and "dC/dW^{1}" in res.output
    assert "all four equations hold" in res.output
    expected = B.trace(B.dense_net([2, 3, 2], seed=0), [0.5, -0.2], [1.0, 0.0]).loss_value
    assert f"C = {expected:.8g}" in res.output
    res = runner.invoke(app, ["backprop", "2-3-3", "--output", "softmax", "--loss", "xent"])
    assert res.exit_code == 0, res.output
    for bad in (
        ["2-x-2"],
        ["2-3-2", "--x", "a,b"],
        ["2-3-2", "--x", "1"],
        ["2-3-2", "--seed", "-1"],
    ):
        res = runner.invoke(app, ["backprop", *bad])
        assert res.exit_code == 2 and res.output.startswith("error: "), res.output
