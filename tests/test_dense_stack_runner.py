"""The CPU backend runs a plain dense stack's forward and backward in one compiled call each
(``backend.dense_stack_runner``): the same outputs, input gradients and accumulated parameter
gradients as the layers one by one and as the reference backend, for every activation, small
(loop) and large (BLAS) layers, repeated calls, batch sizes that change, and fit."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import config
from numbanet.backends import _fused_ops

ACTS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu"]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _net(act, dtype, backend="cpu", out_act=None):
    layers = [
        nb.Dense(5, 8),
        nb.nn.activation(act),
        nb.Dense(8, 6),
        nb.nn.activation(act),
        nb.Dense(6, 3),
    ]
    if out_act:
        layers.append(nb.nn.activation(out_act))
    return nb.Sequential(layers, backend=backend, dtype=dtype, seed=3)


def _pass(net, x, g, steps=2):
    """Forward, backward twice (gradients accumulate), return out, dx and the flat gradient."""
    net.zero_grad()
    for _ in range(steps):
        out = net.forward(x, training=True)
        dx = net.backward(g)
    return out, dx, net.backend.to_numpy(net._flat_grad).copy()


@pytest.fixture
def runner_calls(monkeypatch):
    calls = []
    for name in ("forward", "backward"):
        orig = getattr(_fused_ops.DenseStackRunner, name)
        monkeypatch.setattr(
            _fused_ops.DenseStackRunner,
            name,
            lambda self, *a, _o=orig, _n=name: (calls.append(_n), _o(self, *a))[1],
        )
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("path", ["loops", "blas", "narrow"])
def test_runner_equals_layers_and_reference(dtype, path, monkeypatch, runner_calls):
    blas = path == "blas"
    monkeypatch.setattr(config, "STACK_SMALL_MACS", 0 if blas else 1 << 30)
    monkeypatch.setattr(config, "STACK_LOOP_MAX_ROWS", 0 if blas else 1 << 30)
    # the feature-major kernels take batches of at least FUSED_NARROW_MIN_BATCH rows when
    # every width is at most FUSED_NARROW_MAX_WIDTH
    monkeypatch.setattr(config, "FUSED_NARROW_MAX_WIDTH", 64 if path == "narrow" else 0)
    monkeypatch.setattr(config, "FUSED_NARROW_MIN_BATCH", 5)
    from numbanet.kernels.cpu import mlp

    kernels = []
    for name in ("mlp_forward", "mlp_forward_narrow", "mlp_backward", "mlp_backward_narrow"):
        orig = getattr(mlp, name)
        monkeypatch.setattr(
            mlp, name, lambda *a, _o=orig, _n=name: (kernels.append((_n, a[0].shape[0])), _o(*a))[1]
        )
    rng = np.random.default_rng(0)
    for act in ACTS:
        for m in (7, 4, 7, 19):  # the batch size changes, and comes back
            x = rng.standard_normal((m, 5)).astype(dtype)
            g = rng.standard_normal((m, 3)).astype(dtype)
            before = len(runner_calls)
            a = _pass(_net(act, dtype, out_act="sigmoid"), x, g)
            assert len(runner_calls) == before + 4, f"{act}: the runner was not used"
            ref = _pass(_net(act, dtype, "reference", out_act="sigmoid"), x, g)
            layer_net = _net(act, dtype, out_act="sigmoid")
            layer_net._runner = lambda layers: None  # the layers one by one
            lay = _pass(layer_net, x, g)
            for u, v, w, what in zip(a, lay, ref, ("output", "dx", "parameter gradients")):
                np.testing.assert_allclose(u, v, err_msg=f"{act} {what} vs layers", **TOL[dtype])
                np.testing.assert_allclose(u, w, err_msg=f"{act} {what} vs reference", **TOL[dtype])
    narrow = {n for n, m in kernels if n.endswith("_narrow")}
    assert narrow == ({"mlp_forward_narrow", "mlp_backward_narrow"} if path == "narrow" else set())
    if path == "narrow":  # batches below FUSED_NARROW_MIN_BATCH keep the row-major kernels
        assert all(n.endswith("_narrow") == (m >= 5) for n, m in kernels)


def test_returned_outputs_stay_valid(runner_calls):
    """forward returns a new array: a later forward does not overwrite it."""
    net = _net("relu", np.float64)
    x = np.random.default_rng(1).standard_normal((4, 5))
    first = net.forward(x)
    keep = first.copy()
    net.forward(2 * x)
    np.testing.assert_array_equal(first, keep)
    assert runner_calls


def test_frozen_or_other_layers_run_one_by_one(runner_calls):
    net = _net("relu", np.float64)
    net.layers[0].freeze()
    x = np.ones((3, 5))
    net.forward(x)
    net.backward(np.ones((3, 3)))
    assert runner_calls == []
    assert np.all(net.parameters()[0].grad == 0)  # a frozen layer accumulates nothing
    net.layers[0].unfreeze()
    net.forward(x)
    assert runner_calls == ["forward"]
    drop = nb.Sequential([nb.Dense(5, 4), nb.Dropout(0.5), nb.Dense(4, 2)], backend="cpu", seed=0)
    drop.forward(np.ones((3, 5)), training=True)
    assert runner_calls == ["forward"]


def test_fit_with_adam_uses_the_runner_and_matches_reference(runner_calls):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 5))
    y = rng.integers(0, 3, 40)
    flats = []
    for backend in ("cpu", "reference"):
        net = _net("tanh", np.float64, backend)
        net.fit(
            x,
            y,
            loss="cross_entropy",
            optimizer="adam",
            lr=0.01,
            epochs=2,
            batch_size=16,
            progress=False,
            seed=0,
        )
        flats.append(net.get_flat())
    assert "backward" in runner_calls
    np.testing.assert_allclose(flats[0], flats[1], rtol=1e-10, atol=1e-12)


def test_large_layers_leave_the_runner_for_blas_layer_by_layer(runner_calls):
    """A stack with a product of at least BLAS_MIN_MACS runs layer by layer (threaded BLAS on
    the layers' own buffers), and gives the same numbers as the runner would."""
    rng = np.random.default_rng(1)
    net = nb.Sequential(
        [nb.Dense(64, 80), nb.ReLU(), nb.Dense(80, 3)], backend="cpu", seed=0, dtype=np.float64
    )
    ref = nb.Sequential(
        [nb.Dense(64, 80), nb.ReLU(), nb.Dense(80, 3)],
        backend="reference",
        seed=0,
        dtype=np.float64,
    )
    small, big = 4, 1 + config.BLAS_MIN_MACS // (64 * 80)
    for m, used in ((small, True), (big, False)):
        x = rng.standard_normal((m, 64))
        g = rng.standard_normal((m, 3))
        before = len(runner_calls)
        a = _pass(net, x, g)
        assert (len(runner_calls) > before) == used, f"batch {m}: runner used = {not used}"
        for u, w in zip(a, _pass(ref, x, g)):
            np.testing.assert_allclose(u, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "reference"])
def test_backward_checks_grad_out_against_the_last_forward(backend):
    """A gradient of the wrong shape is refused before any kernel reads it (the compiled
    stack would read past its rows, or fail with a Numba typing error on a 1-D array)."""
    net = nb.Sequential([nb.Dense(3, 4), nb.ReLU(), nb.Dense(4, 2)], backend=backend, seed=0)
    with pytest.raises(nb.ValidationError, match="before backward"):
        net.backward(np.ones((5, 2)))
    net.forward(np.ones((5, 3)), training=True)
    for bad in (np.ones((5, 3)), np.ones((4, 2)), np.ones(10)):
        with pytest.raises(nb.ValidationError, match=r"grad_out has shape .* returned \(5, 2\)"):
            net.backward(bad)
    assert net.backward(np.ones((5, 2))).shape == (5, 3)
    one = nb.Sequential([nb.Dense(3, 1)], backend=backend, seed=0)
    one.forward(np.ones((5, 3)), training=True)
    assert one.backward(np.ones(5)).shape == (5, 3)  # (n,) for an (n, 1) output
