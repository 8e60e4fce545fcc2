"""The original LeNet-5 (deck 004: "187000 conexiones ... 14000 pesos diferentes") against
LeCun, Bottou, Bengio and Haffner 1998, and summary(connections=True)."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import models
from numbanet.errors import ValidationError
from numbanet.models import LENET5_C3_TABLE, TableConv2D

# LeCun et al. 1998, section II.B: (trainable parameters, connections) per layer
PAPER = {
    "C1": (156, 122_304),
    "S2": (12, 5_880),
    "C3": (1_516, 151_600),
    "S4": (32, 2_000),
    "C5": (48_120, 48_120),
    "F6": (10_164, 10_164),
}
# the paper's totals: "340,908 connections, but only 60,000 trainable free parameters"; the
# output layer has 84 x 10 RBF weights (840)
PAPER_CONNECTIONS = 340_908

# Table I of the paper, row by row: for each S2 map, the C3 maps it feeds ("X" columns)
TABLE_I_ROWS = [
    (0, 4, 5, 6, 9, 10, 11, 12, 14, 15),
    (0, 1, 5, 6, 7, 10, 11, 12, 13, 15),
    (0, 1, 2, 6, 7, 8, 11, 13, 14, 15),
    (1, 2, 3, 6, 7, 8, 9, 12, 14, 15),
    (2, 3, 4, 7, 8, 9, 10, 12, 13, 15),
    (3, 4, 5, 8, 9, 10, 11, 13, 14, 15),
]


def _layer_counts(net):
    from numbanet.nn.sequential import _connections

    shapes = [net.input_shape] + net.layer_output_shapes()
    return [
        (layer.n_params(), _connections(layer, shapes[i], shapes[i + 1]))
        for i, layer in enumerate(net.layers)
    ]


def test_c3_table_is_table_i():
    cols = {c: tuple(r for r, row in enumerate(TABLE_I_ROWS) if c in row) for c in range(16)}
    assert tuple(cols[c] for c in range(16)) == LENET5_C3_TABLE


def test_every_layer_has_the_papers_parameters_and_connections():
    net = models.lenet5(backend="reference", seed=0)
    counts = _layer_counts(net)
    named = dict(zip(["C1", "S2", "C3", "S4", "C5"], [counts[i] for i in (0, 2, 4, 6, 8)]))
    named["F6"] = counts[11]
    assert named == PAPER
    assert counts[13] == (840, 840)
    assert net.n_params() == 60_840
    text = net.summary(connections=True, print_fn=None)
    assert f"Connections: {PAPER_CONNECTIONS:,}" in text
    assert "Total params: 60,840" in text
    # the deck's numbers are not these: 187,000 connections and 14,000 distinct weights
    assert PAPER_CONNECTIONS != 187_000 and net.n_params() != 14_000
    full = models.lenet5(backend="reference", seed=0, partial_c3=False)
    assert full.n_params() == 60_840 - 1_516 + 2_416
    assert "Connections: 430,908" in full.summary(connections=True, print_fn=None)


def test_summary_connections_of_other_models():
    mlp = models.mlp([4, 3, 2], "sigmoid", backend="reference", seed=0)
    text = mlp.summary(connections=True, print_fn=None)
    assert "Connections: 23," in text  # (4+1)*3 + (3+1)*2
    plain = mlp.summary(print_fn=None)
    assert "Connections" not in plain
    rnn = nb.Sequential([nb.RNN(2, 3), nb.Dense(3, 1)], seed=0, input_shape=(4, 2))
    assert "?" in rnn.summary(connections=True, print_fn=None)
    lenet = models.lenet(backend="reference", seed=0)  # the slides' Keras LeNet
    # conv 6@3x3 on 28x28 -> 26x26: 26*26*6*(9+1) = 40,560; pool 2x2: 13*13*6*4 = 4,056
    counts = _layer_counts(lenet)
    assert counts[0] == (60, 40_560) and counts[2] == (0, 4_056)


def _table_layer(backend, dtype):
    idx = -np.ones((4, 3, 2, 2), dtype=np.int64)
    k = 0
    for o, ins in enumerate([(0,), (0, 1), (1, 2), (0, 1, 2)]):
        for c in ins:
            idx[o, c] = np.arange(k, k + 4).reshape(2, 2)
            k += 4
    idx[3, 2] = idx[3, 0]  # a weight shared between two kernel slices
    return nb.Sequential(
        [TableConv2D(3, 4, 2, idx), nb.Tanh(), nb.Flatten(), nb.Dense(4 * 4 * 4, 2)],
        backend=backend,
        seed=0,
        dtype=dtype,
        input_shape=(3, 5, 5),
    )


def test_table_conv_gradient_by_finite_differences():
    net = _table_layer("reference", "float64")
    layer = net.layers[0]
    assert layer.n_free == 28 and layer.n_params() == 28 + 4  # 8 slices of 4, one shared
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 5))
    y = np.array([[0.3, -0.2], [0.1, 0.5]])
    loss = nb.losses.MSE()

    def cost():
        return loss.forward(net.forward(x), y)

    cost()
    net.zero_grad()
    net.backward(loss.backward())
    g = layer.theta.grad.copy()
    theta = layer.theta.value.copy()
    num = np.zeros_like(theta)
    for k in range(theta.size):
        for sgn in (1, -1):
            t = theta.copy()
            t[k] += sgn * 1e-6
            layer.theta.value = t
            num[k] += sgn * cost() / 2e-6
    layer.theta.value = theta
    np.testing.assert_allclose(g, num, atol=1e-8)
    # missing connections stay zero in the kernel
    K = layer.kernel()
    assert np.all(K[0, 1:] == 0) and np.all(K[2, 0] == 0)
    np.testing.assert_array_equal(K[3, 2], K[3, 0])


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
def test_table_conv_backends_match_the_reference(backend, dtype, tol):
    x = np.random.default_rng(1).normal(size=(3, 3, 5, 5)).astype(dtype)
    res = {}
    for be in ("reference", backend):
        net = _table_layer(be, dtype)
        out = net.forward(x, training=True)
        net.zero_grad()
        net.backward(net.backend.asarray(np.ones((3, 2), dtype=dtype), net.dtype))
        res[be] = (net.backend.to_numpy(out), net.layers[0].theta.grad, net.layers[0].b.grad)
    for a, b in zip(res["reference"], res[backend]):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def test_lenet5_trains_on_32x32_inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, size=32)
    net = models.lenet5(backend="cpu", seed=0)
    before = net.evaluate(x, y, loss="cross_entropy")["loss"]
    net.fit(x, y, loss="cross_entropy", epochs=3, batch_size=8, lr=0.05, progress=False, seed=0)
    assert net.evaluate(x, y, loss="cross_entropy")["loss"] < before
    K = net.layers[4].kernel()  # C3 keeps its table after training
    for o, ins in enumerate(LENET5_C3_TABLE):
        absent = [c for c in range(6) if c not in ins]
        assert np.all(K[o, absent] == 0) and np.all(np.abs(K[o, list(ins)]).sum(axis=(1, 2)) > 0)
    with pytest.raises(ValidationError):
        net.predict(np.zeros((1, 1, 28, 28), dtype=np.float32))


def test_table_conv_bad_index():
    with pytest.raises(ValidationError, match="kernel's shape"):
        TableConv2D(2, 2, 2, np.zeros((2, 2, 3, 3), dtype=int))
    with pytest.raises(ValidationError, match="kernel's shape"):
        TableConv2D(2, 2, 2, np.zeros((2, 2, 2, 2)))
    idx = np.zeros((2, 2, 2, 2), dtype=int)
    idx[0, 0, 0, 0] = 2  # weight 1 never used
    with pytest.raises(ValidationError, match="every free weight"):
        TableConv2D(2, 2, 2, idx)
    with pytest.raises(ValidationError, match="every free weight"):
        TableConv2D(2, 2, 2, -np.ones((2, 2, 2, 2), dtype=int))
