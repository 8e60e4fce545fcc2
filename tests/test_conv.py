"""Convolution and pooling layers, LeNet: the slide's example, sizes, gradients, backends.

The reference backend is checked against central finite differences (float64); the CPU kernels
and the CUDA kernels (in the simulator, tiny shapes) against the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from numbanet import losses
from numbanet.errors import ValidationError
from numbanet.nn import Dense, Flatten, ReLU, Sequential, Tanh
from numbanet.nn.conv import Conv1D, Conv2D
from numbanet.nn.pooling import (
    AvgPool1D,
    AvgPool2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    MaxPool1D,
    MaxPool2D,
)
from numbanet.plots.convolution import SLIDE_FILTER, SLIDE_INPUT
from numbanet.slides import CONV_VALID as SLIDE_VALID

from .gradcheck import check_model_grads

BACKENDS = ["reference", "cpu", "cuda"]


def _slide_conv(backend, padding="valid", stride=1):
    conv = Conv2D(1, 1, 3, stride=stride, padding=padding)
    net = Sequential([conv], backend=backend, dtype=np.float64, input_shape=(1, 6, 6))
    conv.W.value = SLIDE_FILTER[None, None]
    conv.b.value = np.zeros(1)
    return net.forward(SLIDE_INPUT[None, None])[0, 0]


# ---------------------------------------------------------------- the slide's example
@pytest.mark.parametrize("backend", BACKENDS)
def test_slide_example_exact(backend):
    out = _slide_conv(backend)
    np.testing.assert_array_equal(out, SLIDE_VALID)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_slide_example_paddings(backend):
    valid = np.array(SLIDE_VALID, dtype=float)
    same = _slide_conv(backend, "same")
    full = _slide_conv(backend, "full")
    assert same.shape == (6, 6) and full.shape == (8, 8)
    np.testing.assert_array_equal(same[1:-1, 1:-1], valid)
    np.testing.assert_array_equal(full[2:-2, 2:-2], valid)
    # the border of "same": the filter over zero padding, e.g. top-left = -(x00 + x10 ... ) sums
    x = np.pad(SLIDE_INPUT, 1)
    assert same[0, 0] == float((x[0:3, 0:3] * SLIDE_FILTER).sum())
    np.testing.assert_array_equal(_slide_conv(backend, "valid", 2), valid[::2, ::2])
    np.testing.assert_array_equal(_slide_conv(backend, "same", 2), same[::2, ::2])


@pytest.mark.parametrize(
    "n,k,padding,stride,expect",
    [
        (6, 3, "valid", 1, 4),  # 6 - 3 + 1
        (6, 3, "same", 1, 6),  # p = 1
        (6, 3, "full", 1, 8),  # p = 2
        (6, 3, "valid", 2, 2),  # floor(3 / 2) + 1
        (6, 3, "same", 2, 3),  # floor(5 / 2) + 1
        (7, 5, "same", 1, 7),
        (7, 5, "full", 3, 4),  # floor((7 + 8 - 5) / 3) + 1
        (9, 3, 2, 2, 6),  # floor((9 + 4 - 3) / 2) + 1
        (28, 3, "valid", 1, 26),
    ],
)
def test_output_sizes_follow_the_slide_formula(n, k, padding, stride, expect):
    conv = Conv2D(2, 3, k, stride=stride, padding=padding)
    assert conv.output_shape((2, n, n + 1))[1] == expect
    net = Sequential([conv], backend="reference", dtype=np.float64, input_shape=(2, n, n + 1))
    y = net.forward(np.ones((1, 2, n, n + 1)))
    p = {"valid": 0, "same": (k - 1) // 2, "full": k - 1}.get(padding, padding)
    assert y.shape == (1, 3, expect, (n + 1 + 2 * p - k) // stride + 1)


def test_pool_sizes_and_values():
    x = np.arange(2 * 1 * 5 * 5, dtype=np.float64).reshape(2, 1, 5, 5)
    net = Sequential([MaxPool2D(2)], backend="reference", dtype=np.float64, input_shape=(1, 5, 5))
    y = net.forward(x)
    assert y.shape == (2, 1, 2, 2)  # floor((5 - 2) / 2) + 1: the last row and column dropped
    np.testing.assert_array_equal(y[0, 0], [[6, 8], [16, 18]])
    net = Sequential([AvgPool2D(2)], backend="reference", dtype=np.float64, input_shape=(1, 5, 5))
    np.testing.assert_array_equal(net.forward(x)[0, 0], [[3, 5], [13, 15]])
    net = Sequential(
        [GlobalAvgPool2D()], backend="reference", dtype=np.float64, input_shape=(1, 5, 5)
    )
    np.testing.assert_allclose(net.forward(x), [[12.0], [37.0]])
    net = Sequential(
        [GlobalMaxPool2D()], backend="reference", dtype=np.float64, input_shape=(1, 5, 5)
    )
    np.testing.assert_allclose(net.forward(x), [[24.0], [49.0]])


def test_validation_errors():
    with pytest.raises(ValidationError, match="padding"):
        Conv2D(1, 1, 3, padding="sometimes")
    with pytest.raises(ValidationError, match="odd kernel"):
        Conv2D(1, 1, 4, padding="same")
    with pytest.raises(ValidationError, match="kernel_size"):
        Conv2D(1, 1, 0)
    with pytest.raises(ValidationError, match="expects examples"):
        Sequential([Conv2D(3, 4, 3)], backend="reference", input_shape=(1, 8, 8))
    with pytest.raises(ValidationError, match="smaller"):
        Sequential([Conv2D(1, 4, 5)], backend="reference", input_shape=(1, 3, 3))
    net = Sequential([Conv2D(1, 2, 3)], backend="reference", input_shape=(1, 8, 8))
    with pytest.raises(ValidationError):
        net.forward(np.zeros((2, 8, 8)))


# ---------------------------------------------------------------- gradient checks (reference)
def _xent_check(layers, in_shape, n=3, seed=0):
    rng = np.random.default_rng(seed)
    net = Sequential(layers, backend="reference", dtype=np.float64, seed=seed, input_shape=in_shape)
    for p in net.parameters():  # non-zero biases, so that their gradients matter
        p.value = p.value + 0.1 * rng.standard_normal(p.shape)
    x = rng.standard_normal((n,) + tuple(in_shape))
    y = rng.integers(0, net.output_shape[0], size=n)
    return check_model_grads(net, x, y, losses.CrossEntropy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "padding,stride", [("valid", 1), ("same", 1), ("full", 1), ("valid", 2), (1, 2), ((2, 0), 1)]
)
def test_gradcheck_conv2d(padding, stride):
    conv = Conv2D(2, 3, 3, stride=stride, padding=padding)
    _xent_check([conv, Tanh(), Flatten(), _dense_for((2, 7, 6), conv, 4)], (2, 7, 6))


def _dense_for(in_shape, conv, out):
    """A Dense layer sized for the flattened output of ``conv`` on ``in_shape``."""
    return Dense(int(np.prod(conv.output_shape(in_shape))), out)


def test_gradcheck_conv2d_rectangular_kernel_no_bias():
    conv = Conv2D(2, 2, (3, 2), stride=(1, 2), bias=False)
    _xent_check([conv, Tanh(), Flatten(), _dense_for((2, 5, 6), conv, 3)], (2, 5, 6))


def test_gradcheck_conv1d():
    c1 = Conv1D(1, 3, 5, padding="same")
    c2 = Conv1D(3, 2, 3, stride=2, padding=1)
    _xent_check([c1, Tanh(), c2, Tanh(), Flatten(), Dense(2 * 6, 4)], (11,))


@pytest.mark.parametrize(
    "pool",
    [
        lambda: MaxPool2D(2),
        lambda: AvgPool2D(2),
        lambda: MaxPool2D(3, stride=2),
        lambda: AvgPool2D((3, 2), stride=(2, 1)),
    ],
)
def test_gradcheck_pool2d(pool):
    p = pool()
    out = p.output_shape((2, 7, 7))
    _xent_check([p, Flatten(), Dense(int(np.prod(out)), 3)], (2, 7, 7))


@pytest.mark.parametrize("pool", [lambda: MaxPool1D(2), lambda: AvgPool1D(3, stride=2)])
def test_gradcheck_pool1d(pool):
    p = pool()
    out = p.output_shape((2, 9))
    _xent_check([p, Flatten(), Dense(int(np.prod(out)), 3)], (2, 9))


@pytest.mark.parametrize("pool", [GlobalAvgPool2D, GlobalMaxPool2D])
def test_gradcheck_global_pool(pool):
    _xent_check([Conv2D(2, 4, 3), Tanh(), pool(), Dense(4, 3)], (2, 5, 6))


def test_gradcheck_global_pool_1d():
    _xent_check([Conv1D(2, 4, 3), Tanh(), GlobalAvgPool1D(), Dense(4, 3)], (2, 8))


def test_gradcheck_small_lenet():
    layers = [
        Conv2D(1, 2, 3),
        ReLU(),
        AvgPool2D(2),
        Conv2D(2, 3, 3, padding="same"),
        ReLU(),
        MaxPool2D(2),
        Flatten(),
        Dense(3 * 2 * 2, 5),
        ReLU(),
        Dense(5, 3),
    ]
    _xent_check(layers, (1, 10, 10))


def test_frozen_conv_passes_gradient_but_keeps_weights():
    rng = np.random.default_rng(1)
    conv = Conv2D(1, 2, 3)
    net = Sequential(
        [conv, Flatten(), Dense(2 * 3 * 3, 2)],
        backend="cpu",
        dtype=np.float64,
        seed=0,
        input_shape=(1, 5, 5),
    )
    conv.freeze()
    out = net.forward(rng.standard_normal((2, 1, 5, 5)))
    net.zero_grad()
    dx = net.backward(np.ones_like(out))
    assert np.all(conv.W.grad == 0) and np.all(conv.b.grad == 0)
    assert dx.shape == (2, 1, 5, 5) and np.abs(dx).sum() > 0


# ---------------------------------------------------------------- CPU and CUDA vs reference
def _compare(layers_fn, in_shape, backend, n=2, dtype=np.float64, seed=3, tol=1e-10):
    rng = np.random.default_rng(seed)
    ref = Sequential(layers_fn(), backend="reference", dtype=dtype, seed=seed, input_shape=in_shape)
    other = ref.clone(backend=backend)
    for p in ref.parameters():
        p.value = p.value + 0.1 * rng.standard_normal(p.shape)
    if ref.n_params():
        other.set_flat(ref.get_flat())
    x = rng.standard_normal((n,) + tuple(in_shape)).astype(dtype)
    outs, grads, dxs = [], [], []
    for net in (ref, other):
        y = net.forward(x)
        net.zero_grad()
        g = np.cos(np.arange(y.size, dtype=dtype)).reshape(y.shape)
        dxs.append(net.backward(g))
        outs.append(y)
        grads.append(np.concatenate([p.grad.ravel() for p in net.parameters()] + [np.zeros(0)]))
    np.testing.assert_allclose(outs[1], outs[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(grads[1], grads[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(dxs[1], dxs[0], rtol=tol, atol=tol)


CASES = {
    "conv-valid": (lambda: [Conv2D(2, 3, 3)], (2, 5, 7)),
    "conv-same-s2": (lambda: [Conv2D(2, 3, 3, stride=2, padding="same")], (2, 5, 5)),
    "conv-full-rect": (lambda: [Conv2D(2, 3, (3, 2), stride=(2, 1), padding="full")], (2, 5, 5)),
    "maxpool-overlap": (lambda: [MaxPool2D(3, stride=2)], (2, 5, 5)),
    "avgpool": (lambda: [AvgPool2D(2)], (2, 5, 5)),
    "global": (lambda: [GlobalMaxPool2D()], (2, 5, 5)),
    "conv1d-pool1d": (lambda: [Conv1D(2, 3, 3, padding=1), MaxPool1D(2)], (2, 7)),
    # stride-1 paths: the 3x3 kernels (padded copy in, cropped gradient out) and the general
    # "wide" kernels for other sizes, odd and rectangular planes
    "s1-3x3-pad2": (lambda: [Conv2D(3, 5, 3, padding=2), ReLU(), Conv2D(5, 2, 3)], (3, 7, 9)),
    "s1-5x5-same": (lambda: [Conv2D(2, 3, 5, padding="same")], (2, 9, 6)),
    "s1-rect-full": (lambda: [Conv2D(2, 4, (2, 3), padding="full")], (2, 5, 4)),
    "s1-1x1": (lambda: [Conv2D(3, 2, 1)], (3, 4, 5)),
    "lenet-block": (
        lambda: [Conv2D(1, 6, 3), ReLU(), AvgPool2D(2), Conv2D(6, 16, 3), ReLU(), AvgPool2D(2)],
        (1, 28, 28),
    ),
    "odd-pool": (lambda: [Conv2D(2, 3, 3), AvgPool2D(2), MaxPool2D(2)], (2, 11, 13)),
    "avgpool-3x2-overlap": (lambda: [AvgPool2D((3, 2), stride=(2, 1))], (2, 7, 6)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cpu_matches_reference(case):
    fn, shape = CASES[case]
    _compare(fn, shape, "cpu", n=3)


@pytest.mark.parametrize("n", [1, 23])
def test_cpu_3x3_backward_chunks_match_reference(n):
    """The 3x3 backward goes through the batch in chunks of a few examples (23 = several chunks
    and a shorter last one, in both LeNet layers); one example is one short chunk."""
    fn, shape = CASES["lenet-block"]
    _compare(fn, shape, "cpu", n=n)


@pytest.mark.parametrize(
    "case",
    [
        "s1-3x3-pad2",
        "s1-5x5-same",
        "s1-rect-full",
        "lenet-block",
        "odd-pool",
        "conv-same-s2",
        "avgpool-3x2-overlap",
    ],
)
def test_cpu_matches_reference_float32_cases(case):
    fn, shape = CASES[case]
    _compare(fn, shape, "cpu", n=5, dtype=np.float32, tol=2e-4)


@pytest.mark.parametrize("threaded", [False, True])
def test_cpu_matches_reference_float32(threaded, monkeypatch):
    """Both twins (serial and threaded) of the stride-1 and strided kernels, in float32."""
    from numbanet.kernels.cpu import conv as K

    monkeypatch.setattr(K, "PARALLEL_MIN_MACS", 0 if threaded else 1 << 62)

    def fn():
        return [
            Conv2D(3, 8, 3, padding="same"),
            ReLU(),
            MaxPool2D(2),
            Conv2D(8, 4, 3),
            AvgPool2D(2),
            Conv2D(4, 3, 2, stride=2, padding=1),
        ]

    _compare(fn, (3, 20, 20), "cpu", n=16, dtype=np.float32, tol=2e-4)


@pytest.mark.parametrize(
    "case",
    ["conv-same-s2", "conv-full-rect", "maxpool-overlap", "avgpool", "global", "conv1d-pool1d"],
)
def test_cuda_simulator_matches_reference(case):
    fn, shape = CASES[case]
    _compare(fn, shape, "cuda", n=2)


# ---------------------------------------------------------------- activation inside the layer
ACTS = [
    "relu",
    "tanh",
    "sigmoid",
    ("leaky_relu", 0.2),
    ("leaky_relu", -0.3),
    "elu",
    "softplus",
    "gelu",
    "silu",
]


@pytest.mark.parametrize("act", ["relu", "tanh", ("leaky_relu", -0.3), "softplus", "gelu"])
@pytest.mark.parametrize("padding,stride", [("valid", 1), ("same", 1), (1, 2)])
def test_gradcheck_conv2d_with_activation(act, padding, stride):
    conv = Conv2D(2, 3, 3, stride=stride, padding=padding, activation=act)
    _xent_check([conv, Flatten(), _dense_for((2, 7, 6), conv, 4)], (2, 7, 6))


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("act", ACTS)
def test_cpu_conv_activation_matches_reference(act, dtype, tol):
    """The fused 3x3 stride-1 kernels (with and without padding, C = 1 and C > 1) and the
    composed paths (5x5, stride 2) against the reference, forward, input gradient and dW/db."""

    def fn():
        return [
            Conv2D(1, 4, 3, padding=1, activation=act),
            Conv2D(4, 5, 3, activation=act),
            Conv2D(5, 3, 5, padding="same", activation=act),
            Conv2D(3, 2, 3, stride=2, activation=act),
        ]

    _compare(fn, (1, 11, 10), "cpu", n=9, dtype=dtype, tol=tol)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_conv_activation_equals_conv_then_activation_layer(backend):
    from numbanet.nn import LeakyReLU

    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 2, 9, 9))
    for act, layer in [("relu", ReLU), ("tanh", Tanh), (LeakyReLU(0.3), lambda: LeakyReLU(0.3))]:
        fused = Sequential(
            [Conv2D(2, 3, 3, activation=act), Conv2D(3, 2, 3, padding=1)],
            backend=backend,
            dtype=np.float64,
            seed=0,
            input_shape=(2, 9, 9),
        )
        plain = Sequential(
            [Conv2D(2, 3, 3), layer(), Conv2D(3, 2, 3, padding=1)],
            backend=backend,
            dtype=np.float64,
            seed=0,
            input_shape=(2, 9, 9),
        )
        plain.set_flat(fused.get_flat())
        res = []
        for net in (fused, plain):
            y = net.forward(x, training=True)
            net.zero_grad()
            dx = net.backward(np.sin(np.arange(y.size)).reshape(y.shape))
            res.append((y, dx, np.concatenate([p.grad.ravel() for p in net.parameters()])))
        for a, b in zip(*res):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_conv1d_activation_and_config():
    from numbanet.nn import LeakyReLU

    c = Conv2D(1, 2, 3, activation=LeakyReLU(0.2))
    assert c.activation == "leaky_relu" and c.get_config()["activation"] == ["leaky_relu", 0.2]
    assert "activation=['leaky_relu', 0.2]" in repr(c)
    assert Conv2D(1, 2, 3, activation="ReLU").get_config()["activation"] == "relu"
    assert Conv2D(1, 2, 3, activation="linear").activation is None
    assert "activation" not in Conv2D(1, 2, 3).get_config()
    seq = Sequential(
        [
            Conv1D(1, 3, 3, padding="same", activation="tanh"),
            MaxPool1D(2),
            Flatten(),
            Dense(3 * 5, 2),
        ],
        backend="cpu",
        dtype=np.float64,
        seed=0,
        input_shape=(11,),
    )
    xs = np.random.default_rng(1).standard_normal((4, 11))
    ref = seq.clone(backend="reference")
    np.testing.assert_allclose(seq.forward(xs), ref.forward(xs), rtol=1e-12)
    _xent_check([Conv1D(2, 3, 3, padding=1, activation="silu"), Flatten(), Dense(3 * 7, 2)], (2, 7))


def test_conv_activation_checkpoint_round_trip(tmp_path):
    from numbanet import checkpoint

    net = Sequential(
        [
            Conv2D(1, 2, 3, activation=("leaky_relu", 0.2)),
            AvgPool2D(2),
            Conv2D(2, 2, 3, padding=1, activation="gelu"),
            Flatten(),
            Dense(2 * 3 * 3, 2),
        ],
        backend="cpu",
        dtype=np.float64,
        seed=0,
        input_shape=(1, 8, 8),
    )
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8))
    checkpoint.save(tmp_path / "m.npz", net)
    back = checkpoint.load(tmp_path / "m.npz", backend="reference").model
    assert [getattr(layer, "activation", None) for layer in back.layers][:3] == [
        "leaky_relu",
        None,
        "gelu",
    ]
    np.testing.assert_allclose(back.forward(x), net.forward(x), rtol=1e-12)


def test_conv_activation_validation():
    from numbanet.nn import PReLU, Step

    for bad in ["sometimes", 3, ("relu",), ("leaky_relu", float("nan")), ("elu", -1.0)]:
        with pytest.raises(ValidationError, match="activation|alpha"):
            Conv2D(1, 1, 3, activation=bad)
    with pytest.raises(ValidationError, match="Step"):
        Conv2D(1, 1, 3, activation="step")
    with pytest.raises(ValidationError, match="Step"):
        Conv2D(1, 1, 3, activation=Step())
    with pytest.raises(ValidationError, match="PReLU"):
        Conv2D(1, 1, 3, activation=PReLU())


def test_cuda_simulator_conv_activation_matches_reference():
    def fn():
        return [
            Conv2D(2, 3, 3, padding=1, activation="relu"),
            Conv2D(3, 2, 3, stride=2, activation="tanh"),
        ]

    _compare(fn, (2, 5, 5), "cuda", n=2)


# ---------------------------------------------------------------- reused work arrays (CPU)
def test_workspace_never_hands_out_an_array_in_use():
    from numbanet.backends._workspace import Workspace

    ws = Workspace()
    a = ws.empty((3, 4), np.float32)
    b = ws.empty((3, 4), np.float32)
    assert a is not b  # a is held here, so the second request gets another array
    a[...] = 1.0
    view = a[1:]  # a view keeps its base in use
    del a
    c = ws.empty((3, 4), np.float32)
    assert c is not b and not np.shares_memory(c, view) and np.all(view == 1.0)
    del view
    d = ws.empty((3, 4), np.float32)
    assert d.shape == (3, 4) and d.dtype == np.float32 and d.flags.c_contiguous
    kept = ws.kept_bytes
    del b, c, d
    again = [ws.empty((3, 4), np.float32) for _ in range(3)]  # idle arrays come back: no growth
    assert ws.kept_bytes == kept and len({id(x) for x in again}) == 3
    assert ws.empty((3, 4), np.float64).dtype == np.float64  # dtype is part of the key
    assert ws.zeros((2, 2), np.float32).sum() == 0


def test_workspace_bounds():
    from numbanet.backends._workspace import Workspace

    ws = Workspace(max_bytes=1000, max_array_bytes=400)
    big = ws.empty((200,), np.float32)  # 800 bytes: larger than max_array_bytes, not kept
    assert ws.kept_bytes == 0 and big.shape == (200,)
    for k in range(1, 6):  # idle arrays are dropped, least recently used first, to stay in bounds
        ws.empty((50 + k,), np.float32)
        assert ws.kept_bytes <= 1000
    held = [ws.empty((90,), np.float32) for _ in range(4)]  # arrays in use are never dropped
    assert all(h.shape == (90,) for h in held) and ws.kept_bytes <= 1000
    ws.clear()
    assert ws.kept_bytes == 0 and held[0].shape == (90,)


@pytest.mark.parametrize("last", ["conv", "pool", "conv-same"])
def test_reused_arrays_do_not_overwrite_returned_outputs(last):
    """Outputs and input gradients handed to the user stay as they were when later steps run
    (the CPU backend reuses its arrays only when nobody holds them)."""
    layers = {
        "conv": lambda: [Conv2D(1, 4, 3), ReLU(), Conv2D(4, 2, 3)],
        "pool": lambda: [Conv2D(1, 3, 3), AvgPool2D(2)],
        "conv-same": lambda: [Conv2D(1, 2, 3, padding="same"), MaxPool2D(2), Conv2D(2, 2, 3)],
    }[last]
    net = Sequential(layers(), backend="cpu", dtype=np.float32, seed=0, input_shape=(1, 10, 10))
    rng = np.random.default_rng(0)
    outs, dxs, copies = [], [], []
    for _ in range(4):
        x = rng.standard_normal((3, 1, 10, 10)).astype(np.float32)
        y = net.forward(x, training=True)
        net.zero_grad()
        dx = net.backward(np.ones_like(y))
        outs.append(y)
        dxs.append(dx)
        copies.append((y.copy(), dx.copy()))
    for y, dx, (y0, dx0) in zip(outs, dxs, copies):
        np.testing.assert_array_equal(y, y0)
        np.testing.assert_array_equal(dx, dx0)
    assert len({id(y) for y in outs}) == 4  # all held, so four distinct arrays


def test_training_steps_reuse_arrays_and_match_fresh_ones():
    """Repeated steps on the CPU backend reuse the conv/pool arrays of the step before last (no
    growth of the workspace after the first steps) and give the same weights as the reference."""
    from numbanet.backends import get_backend
    from numbanet.optim import Momentum

    def make(backend):
        return Sequential(
            [
                Conv2D(1, 3, 3),
                ReLU(),
                AvgPool2D(2),
                Conv2D(3, 4, 3, padding=1),
                ReLU(),
                MaxPool2D(2),
                Flatten(),
                Dense(4 * 2 * 2, 3),
            ],
            backend=backend,
            dtype=np.float64,
            seed=0,
            input_shape=(1, 10, 10),
        )

    rng = np.random.default_rng(2)
    x = rng.standard_normal((24, 1, 10, 10))
    y = rng.integers(0, 3, size=24)
    ws = get_backend("cpu").workspace
    nets = []
    for be in ("reference", "cpu"):
        net = make(be)
        opt = Momentum(net.parameters(), lr=0.05, beta1=0.9, form="classical")
        net.fit(x, y, optimizer=opt, epochs=1, batch_size=4, seed=0, progress=False)
        kept = ws.kept_bytes
        net.fit(x, y, optimizer=opt, epochs=2, batch_size=4, seed=1, progress=False)
        nets.append(net)
    assert ws.kept_bytes == kept  # the second fit reused the first one's arrays
    np.testing.assert_allclose(nets[1].get_flat(), nets[0].get_flat(), rtol=1e-9, atol=1e-11)


# ---------------------------------------------------------------- LeNet
def test_lenet_summary_matches_the_slides():
    from numbanet.models import lenet

    net = lenet(backend="reference", seed=0)
    text = net.summary(print_fn=None)
    shapes = net.layer_output_shapes()
    params = [layer.n_params() for layer in net.layers]
    rows = [
        (s, p) for layer, s, p in zip(net.layers, shapes, params) if type(layer).__name__ != "ReLU"
    ]
    assert rows == [
        ((6, 26, 26), 60),
        ((6, 13, 13), 0),
        ((16, 11, 11), 880),
        ((16, 5, 5), 0),
        ((400,), 0),
        ((120,), 48120),
        ((84,), 10164),
        ((10,), 850),
    ]
    assert net.n_params() == 60074
    assert "Total params: 60,074" in text and "(None, 6, 26, 26)" in text


def test_lenet_trains_a_little_on_cpu():
    """A few SGD steps on random-label-free synthetic digits lower the loss (CPU layer path)."""
    from numbanet.models import lenet
    from numbanet.optim import Momentum

    rng = np.random.default_rng(0)
    x = rng.random((128, 1, 28, 28)).astype(np.float32)
    y = (x[:, 0, :14].mean(axis=(1, 2)) > x[:, 0, 14:].mean(axis=(1, 2))).astype(np.int64)
    net = lenet(backend="cpu", seed=0)
    opt = Momentum(net.parameters(), lr=0.05, beta1=0.9, form="classical")
    h = net.fit(x, y, loss="cross_entropy", optimizer=opt, epochs=4, batch_size=32, seed=0)
    assert h["loss"][-1] < h["loss"][0]


def test_conv1d_model_shapes():
    from numbanet.models import conv1d_mnist1d

    net = conv1d_mnist1d(backend="reference", seed=0)
    assert net.output_shape == (10,)
    assert net.predict(np.zeros((2, 40))).shape == (2, 10)


# ---------------------------------------------------------------- accuracy (slow)
@pytest.mark.slow
def test_lenet_mnist_98_percent_in_3_epochs(shared_data):
    from numbanet import data
    from numbanet.models import lenet
    from numbanet.optim import Momentum

    d = data.load_mnist(flatten=False)
    net = lenet(backend="cpu", seed=0)
    opt = Momentum(net.parameters(), lr=0.02, beta1=0.9, form="classical")  # PyTorch's momentum
    net.fit(
        d.x_train,
        d.y_train,
        loss="cross_entropy",
        optimizer=opt,
        epochs=3,
        batch_size=64,
        seed=0,
        train_metrics=False,
    )
    acc = net.evaluate(d.x_test, d.y_test)["accuracy"]
    print(f"LeNet MNIST test accuracy after 3 epochs: {acc:.4f}")
    assert acc >= 0.98


@pytest.mark.slow
def test_conv1d_mnist1d_85_percent():
    from numbanet import data
    from numbanet.models import conv1d_mnist1d
    from numbanet.optim import Adam

    d = data.load_mnist1d()
    net = conv1d_mnist1d(backend="cpu", seed=0)
    opt = Adam(net.parameters(), lr=3e-3)
    net.fit(
        d.x_train,
        d.y_train,
        loss="cross_entropy",
        optimizer=opt,
        epochs=20,
        batch_size=64,
        seed=0,
        train_metrics=False,
    )
    acc = net.evaluate(d.x_test, d.y_test)["accuracy"]
    print(f"1-D CNN MNIST-1D test accuracy: {acc:.4f}")
    assert acc >= 0.85


# ---------------------------------------------------------------- figures
def _render(fig, tmp_path, name):
    import matplotlib.pyplot as plt

    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=30)
    plt.close(fig)
    assert path.stat().st_size > 1000


def test_pooling_figure_data_and_render(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from numbanet.plots import convolution as convrec

    d = convrec.compute_pooling(seed=0, backend="cpu")
    x = convrec.POOL_INPUT
    out = d["outputs"]
    blocks = x.reshape(3, 2, 3, 2)
    np.testing.assert_array_equal(out["max 2x2"], blocks.max(axis=(1, 3)))
    np.testing.assert_allclose(out["avg 2x2"], blocks.mean(axis=(1, 3)))
    assert out["max 3x3, stride 2"].shape == (2, 2)
    assert out["global max"][0, 0] == x.max() and np.isclose(out["global avg"][0, 0], x.mean())
    assert d["grad_max"].sum() == 9 and np.allclose(d["grad_avg"], 0.25)
    _render(convrec.draw_pooling(d, "en"), tmp_path, "pooling")
    _render(convrec.draw_pooling(d, "es"), tmp_path, "pooling-es")


@pytest.mark.slow
def test_lenet_figure_reduced(tmp_path, shared_data):
    import matplotlib

    matplotlib.use("Agg")
    from numbanet.plots import convolution as convrec

    d = convrec.compute_lenet(seed=0, backend="cpu", budget="reduced")
    assert d["params"][0] == 60 and sum(d["params"]) == 60074
    assert d["maps1"].shape == (6, 26, 26) and d["maps2"].shape == (16, 11, 11)
    assert d["val_accuracy"][-1] > 0.9
    _render(convrec.draw_lenet(d, "en"), tmp_path, "lenet")


def test_checkpoint_round_trip(tmp_path):
    from numbanet import checkpoint

    layers = [
        Conv2D(1, 2, 3, padding="same", bias=False),
        ReLU(),
        MaxPool2D(2, stride=1),
        Conv2D(2, 2, (3, 2), stride=(2, 1), padding=1),
        AvgPool2D(2),
        GlobalMaxPool2D(),
        Dense(2, 3),
    ]
    net = Sequential(layers, backend="cpu", dtype=np.float64, seed=0, input_shape=(1, 9, 9))
    x = np.random.default_rng(0).standard_normal((2, 1, 9, 9))
    checkpoint.save(tmp_path / "m.npz", net)
    back = checkpoint.load(tmp_path / "m.npz", backend="reference").model
    np.testing.assert_allclose(back.forward(x), net.forward(x), rtol=1e-12)
    seq = Sequential(
        [Conv1D(1, 2, 3, stride=2, padding="full"), AvgPool1D(2), Flatten(), Dense(2 * 3, 2)],
        backend="cpu",
        dtype=np.float64,
        input_shape=(11,),
    )
    checkpoint.save(tmp_path / "s.npz", seq)
    back = checkpoint.load(tmp_path / "s.npz", backend="reference").model
    xs = np.random.default_rng(1).standard_normal((2, 11))
    np.testing.assert_allclose(back.forward(xs), seq.forward(xs), rtol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_training_step_matches_reference(backend):
    """Two SGD-momentum steps of a tiny CNN (batches gathered on the backend, Flatten of device
    arrays, the optimiser on the flat buffer) give the reference's weights."""
    from numbanet.optim import Momentum

    def make():
        return [Conv2D(1, 2, 3, padding="same"), ReLU(), MaxPool2D(2), Flatten(), Dense(8, 3)]

    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 1, 5, 5))
    y = np.array([0, 2, 1, 2])
    nets = []
    for be in ("reference", backend):
        net = Sequential(make(), backend=be, dtype=np.float64, seed=0, input_shape=(1, 5, 5))
        opt = Momentum(net.parameters(), lr=0.1, beta1=0.9, form="classical")
        net.fit(
            x, y, optimizer=opt, epochs=1, batch_size=2, seed=0, progress=False, train_metrics=False
        )
        nets.append(net)
    np.testing.assert_allclose(nets[1].get_flat(), nets[0].get_flat(), rtol=1e-10, atol=1e-12)
    assert not np.allclose(
        nets[0].get_flat(),
        Sequential(
            make(), backend="reference", dtype=np.float64, seed=0, input_shape=(1, 5, 5)
        ).get_flat(),
    )


# ---------------------------------------------------------------- Conv2D + activation layer
@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_sequential_runs_conv_and_following_activation_as_one_step(backend):
    """A Conv2D without an activation of its own followed by an activation layer runs as one
    step (the activation inside the convolution's kernels); forward, input gradient and every
    parameter gradient equal those of the layers run one by one, for 3x3 stride-1 convolutions
    (the fused CPU kernels) and others (stride 2, 5x5), and for activations whose derivative
    needs z (GELU) or the output (tanh). Step, PReLU and Identity are not fused."""
    import numbanet as nb

    rng = np.random.default_rng(0)
    acts = [nb.ReLU(), nb.Tanh(), nb.LeakyReLU(0.2), nb.GELU()]
    layers = [nb.Conv2D(2, 6, 3), acts[0], nb.AvgPool2D(2)]
    layers += [nb.Conv2D(6, 4, 3, padding=1), acts[1], nb.Conv2D(4, 3, 3, stride=2), acts[2]]
    layers += [nb.Conv2D(3, 3, 5, padding=2), acts[3], nb.Flatten(), nb.Dense(12, 5)]
    net = nb.Sequential(layers, backend=backend, seed=0, input_shape=(2, 12, 12))
    steps = net._steps(net.layers)
    assert [(type(a).__name__ if a is not None else None) for _, a in steps] == [
        "ReLU",
        None,
        "Tanh",
        "LeakyReLU",
        "GELU",
        None,
        None,
    ]
    x = rng.standard_normal((5, 2, 12, 12)).astype(np.float32)
    g = rng.standard_normal((5, 5)).astype(np.float32)
    net.zero_grad()
    out = net.forward(x, training=True)
    dx = net.backward(g)
    fused = [np.array(p.grad) for p in net.parameters()]

    net.zero_grad()
    a = x
    for layer in net.layers:  # the public, guarded methods: one layer at a time
        a = layer.forward(a, training=True)
    d = g
    for layer in reversed(net.layers):
        d = layer.backward(d)
    np.testing.assert_allclose(out, a, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx, d, rtol=1e-5, atol=1e-6)
    for f, p in zip(fused, net.parameters()):
        np.testing.assert_allclose(f, np.array(p.grad), rtol=1e-5, atol=1e-6)

    others = nb.Sequential(
        [nb.Conv2D(1, 2, 3), nb.Step(), nb.Conv2D(2, 2, 3), nb.PReLU(), nb.Conv2D(2, 2, 3)]
        + [nb.Identity(), nb.Conv2D(2, 2, 3, activation="relu"), nb.ReLU()],
        backend=backend,
        input_shape=(1, 12, 12),
    )
    assert all(a is None for _, a in others._steps(others.layers))
