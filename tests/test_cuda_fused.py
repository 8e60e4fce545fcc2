"""Tiny dense nets on the cuda backend: ``fit`` trains them with ONE kernel launch per minibatch
step (``kernels/cuda/mlp.py``'s ``mlp_step``: forward, loss, backward and update in one block),
in the simulator, against the reference backend's layer-by-layer training."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.backends import cuda as C


def _tiny_regression(backend, dtype):
    """The 1-10x5-1 net of the course's depth experiments (tanh here)."""
    return nb.models.mlp([1] + [10] * 5 + [1], "tanh", backend=backend, seed=0, dtype=dtype)


def _classifier(backend, dtype):
    """A 784-30-10-like net (sigmoid hidden layer, logits, softmax cross-entropy), 6-5-3."""
    return nb.models.mlp([6, 5, 3], "sigmoid", backend=backend, seed=0, dtype=dtype)


CASES = {
    "regression-mse-sgd": (_tiny_regression, "mse", "sgd", 1, 0.1),
    "classifier-xent-momentum": (_classifier, "cross_entropy", "momentum", 6, 0.5),
}


def _data(d_in, n=10):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, d_in))
    y = (np.arange(n) % 3) if d_in > 1 else np.sin(2 * x)
    return x, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_fused_step_matches_the_reference(case, dtype):
    """Two epochs of 3 steps (the last one partial: 10 examples, batch 4): same weights, loss
    and running accuracy as the reference backend; every step was one mlp_step launch."""
    make, loss, opt, d_in, lr = CASES[case]
    x, y = _data(d_in)
    runs = {}
    for be in ("reference", "cuda"):
        net = make(be, dtype)
        C.reset_stats()
        h = net.fit(x, y, loss=loss, optimizer=opt, lr=lr, epochs=2, batch_size=4, seed=1)
        runs[be] = (net.get_flat(), h, C.stats())
    (w_ref, h_ref, _), (w_dev, h_dev, s) = runs["reference"], runs["cuda"]
    tol = dict(rtol=1e-10, atol=1e-13) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-6)
    np.testing.assert_allclose(w_dev, w_ref, **tol)
    np.testing.assert_allclose(h_dev["loss"], h_ref["loss"], **tol)
    if "accuracy" in h_ref:
        assert h_dev["accuracy"] == h_ref["accuracy"]
    assert s["launches_by_kernel"]["mlp_step"] == 6  # 2 epochs x 3 minibatches
    by = s["launches_by_kernel"]
    zeros = 2 + (opt == "momentum")  # per fit: the plan's two zeros (+ the velocities)
    assert set(by) == {"mlp_step", "fill"} and by["fill"] == zeros, by


def test_nielsens_784_30_10_net_steps_in_one_launch_each():
    """Nielsen's network (784-30-10 sigmoid, his initialisation, lr 3): two fused steps give
    the reference's weights (float64), one mlp_step launch each."""
    rng = np.random.default_rng(0)
    x, y = rng.random((4, 784)), rng.integers(0, 10, 4)
    flat = {}
    for be in ("reference", "cuda"):
        net = nb.models.mlp(
            [784, 30, 10], "sigmoid", init="nielsen", backend=be, seed=0, dtype=np.float64
        )
        C.reset_stats()
        net.fit(x, y, loss="cross_entropy", optimizer="sgd", lr=3.0, batch_size=2, seed=0)
        flat[be] = net.get_flat()
    assert C.stats()["launches_by_kernel"]["mlp_step"] == 2
    np.testing.assert_allclose(flat["cuda"], flat["reference"], rtol=1e-10, atol=1e-12)


def test_one_launch_per_step_and_nothing_else_per_step():
    """Launches, allocations and copies of a fit of 8 steps minus those of 4 steps: exactly 4
    launches (4 mlp_step), no allocation and no copy; an epoch more costs its steps'
    launches, the permutation in and the cost, the right answers and fit's finite check out."""
    net = _classifier("cuda", np.float32)
    x, y = _data(6, 32)

    def run(n, epochs=1):
        C.reset_stats()
        net.fit(
            x[:n], y[:n], loss="cross_entropy", optimizer="sgd", lr=0.1, batch_size=4, seed=0,
            epochs=epochs,
        )  # fmt: skip
        return C.stats()

    run(16), run(32)  # warm-up: both shapes once
    a, b = run(16), run(32)
    assert b["launches"] - a["launches"] == 4, (a, b)
    assert b["launches_by_kernel"]["mlp_step"] - a["launches_by_kernel"]["mlp_step"] == 4
    for k in ("allocations", "h2d", "d2h"):
        assert b[k] == a[k], (k, a, b)
    c = run(16, epochs=2)
    assert c["launches"] - a["launches"] == 4 and c["allocations"] == a["allocations"], (a, c)
    assert c["h2d"] - a["h2d"] == 1 and c["d2h"] - a["d2h"] == 3, (a, c)


def test_adam_and_large_nets_train_layer_by_layer(monkeypatch):
    """The fused step knows SGD and momentum only, and tiny nets only: Adam, a net over
    FUSED_MAX_PARAMS, or an optimiser over other parameters trains layer by layer."""
    x, y = _data(6, 4)
    net = _classifier("cuda", np.float32)
    C.reset_stats()
    net.fit(x, y, loss="cross_entropy", optimizer="adam", lr=0.01, batch_size=4, seed=0)
    assert "mlp_step" not in C.stats()["launches_by_kernel"]
    be, stack = net.backend, net.dense_stack()
    sgd = nb.optim.get("sgd", net.parameters(), 0.1)
    assert be.fused_dense_plan(stack, (1, 1.0), sgd) is not None
    monkeypatch.setattr(C, "FUSED_MAX_PARAMS", net.n_params() - 1)
    assert be.fused_dense_plan(stack, (1, 1.0), sgd) is None
    other = _classifier("cuda", np.float32)
    opt = nb.optim.get("sgd", other.parameters(), 0.1)
    monkeypatch.setattr(C, "FUSED_MAX_PARAMS", 1 << 15)
    assert be.fused_dense_plan(stack, (1, 1.0), opt) is None  # not this net's parameters
