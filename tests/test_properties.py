"""Property-based tests (hypothesis): random architectures and shapes on every backend against
the reference; random extreme inputs stay finite where the maths is finite."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numbanet as nb
from numbanet import losses as L

ACT_NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu"]


@st.composite
def architectures(draw, max_width=9, max_depth=3):
    depth = draw(st.integers(1, max_depth))
    widths = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    acts = [draw(st.sampled_from(ACT_NAMES)) for _ in range(depth - 1)]
    n = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**31 - 1))
    return widths, acts, n, seed


def _build(widths, acts, backend, dtype, seed):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nb.Dense(widths[i], widths[i + 1], init="glorot_normal"))
        if i < len(acts):
            layers.append(nb.nn.activation(acts[i]))
    return nb.Sequential(layers, backend=backend, dtype=dtype, seed=seed)


def _pass(net, x, y):
    loss = L.MSE()
    out = net.forward(x)
    loss.forward(out, y)
    net.zero_grad()
    dx = net.backward(loss.backward())
    return out, dx, net.get_flat(), np.concatenate([p.grad.ravel() for p in net.parameters()])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures())
def test_cpu_equals_reference_on_random_architectures(arch):
    widths, acts, n, seed = arch
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, widths[0]))
    y = rng.standard_normal((n, widths[-1]))
    ref = _build(widths, acts, "reference", np.float64, seed)
    cpu = ref.clone(backend="cpu")
    for a, b in zip(_pass(ref, x, y), _pass(cpu, x, y)):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(max_width=5, max_depth=2))
def test_cuda_equals_reference_on_random_architectures(arch):
    widths, acts, n, seed = arch
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, widths[0]))
    y = rng.standard_normal((n, widths[-1]))
    ref = _build(widths, acts, "reference", np.float64, seed)
    cu = ref.clone(backend="cuda")
    for a, b in zip(_pass(ref, x, y), _pass(cu, x, y)):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


extreme = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(extreme, min_size=2, max_size=12),
    st.sampled_from([np.float32, np.float64]),
    st.sampled_from(["reference", "cpu"]),
)
def test_losses_finite_at_random_extremes(values, dtype, backend):
    be = nb.get_backend(backend)
    z = np.array(values, dtype=dtype).reshape(1, -1)
    k = z.shape[1]
    label = np.array([len(values) % k])
    v, g = be.xent_labels(be.asarray(z, dtype), be.asarray(label, np.int64), 1.0)
    assert np.isfinite(v) and np.isfinite(be.to_numpy(g)).all()
    t = (np.arange(k) % 2).reshape(1, -1).astype(dtype)
    v2, g2 = be.elementwise_loss(2, be.asarray(z, dtype), be.asarray(t, dtype), 1.0)
    assert np.isfinite(v2) and np.isfinite(be.to_numpy(g2)).all()
    p = be.to_numpy(be.softmax_forward(be.asarray(z, dtype)))
    assert np.isfinite(p).all() and abs(p.sum() - 1) < 1e-5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(extreme, min_size=1, max_size=12),
    st.sampled_from(ACT_NAMES[1:]),
    st.sampled_from([np.float32, np.float64]),
)
def test_activations_finite_at_random_extremes(values, act, dtype):
    be = nb.get_backend("cpu")
    layer = nb.nn.activation(act)
    z = be.asarray(np.array(values).reshape(1, -1), dtype)
    a = be.act_forward(layer.code, z, layer.alpha)
    d = be.act_backward(layer.code, z, a, np.ones_like(z), layer.alpha)
    assert np.isfinite(a).all() and np.isfinite(d).all()
