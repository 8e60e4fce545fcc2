"""Inputs of different lengths through global pooling (issue 20, item 20).

Deck 003, "Global Pooling": "finalizar el bloque convolucional con un global pooling puede ser
superior a hacerlo con un flatten. El pooling nos permite que las muestras tengan diferentes
largos." A ``None`` in ``input_shape`` leaves a length free; convolutions and local pooling keep
it free, global pooling turns it into one number per channel, and a Flatten refuses it."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import ValidationError
from numbanet.experiments import practice


def _net(length=None, backend="reference", seed=0):
    layers = [
        nb.Conv1D(1, 4, 3, padding="same"),
        nb.ReLU(),
        nb.MaxPool1D(2),
        nb.Conv1D(4, 5, 3),
        nb.Tanh(),
        nb.GlobalAvgPool1D(),
        nb.Dense(5, 3),
    ]
    return nb.Sequential(layers, backend=backend, seed=seed, dtype="float64", input_shape=(length,))


def test_free_length_shapes_and_summary():
    net = _net()
    assert net.input_shape == (None,)
    shapes = net.layer_output_shapes()
    assert shapes[0] == (4, None) and shapes[2] == (4, None) and shapes[3] == (5, None)
    assert shapes[-2:] == [(5,), (3,)]
    assert "(None, 5, None)" in net.summary(print_fn=None)
    # a fixed length is still checked
    fixed = _net(length=20)
    with pytest.raises(ValidationError, match=r"expects \(20,\)"):
        fixed.forward(np.zeros((2, 21)))


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_one_model_takes_every_length_and_equals_fixed_length_twins(backend, rng):
    """Outputs and gradients at lengths 7, 20 and 33 equal those of a model built for that
    length with the same weights."""
    net = _net(backend=backend)
    for L in (7, 20, 33):
        x = rng.standard_normal((3, L))
        twin = _net(length=L, backend=backend)
        twin.set_flat(net.get_flat())
        out = net.forward(x, training=True)
        assert out.shape == (3, 3)
        np.testing.assert_allclose(out, twin.forward(x, training=True), atol=1e-12)
        g = rng.standard_normal(out.shape)
        net.zero_grad()
        twin.zero_grad()
        dx = net.backward(g)
        np.testing.assert_allclose(dx, twin.backward(g), atol=1e-12)
        assert dx.shape == x.shape
        for p, q in zip(net.parameters(), twin.parameters()):
            np.testing.assert_allclose(p.grad, q.grad, atol=1e-12)


def test_flatten_refuses_a_free_length_and_says_why():
    with pytest.raises(ValidationError, match=r"Flatten needs every length fixed.*global pooling"):
        nb.Sequential(
            [nb.Conv1D(1, 4, 3), nb.Flatten(), nb.Dense(4 * 38, 10)],
            backend="reference",
            input_shape=(None,),
        )


@pytest.mark.parametrize("bad", [(0,), (-3, None), ("a",), (2.5,)])
def test_bad_input_shape_entries(bad):
    with pytest.raises(ValidationError, match="positive integers or None"):
        nb.Sequential([nb.GlobalAvgPool1D()], backend="reference", input_shape=bad)


def test_a_too_short_signal_is_a_clear_error():
    net = _net()
    with pytest.raises(ValidationError, match="smaller than"):
        net.forward(np.zeros((2, 3)))  # pooled to 1 step, shorter than the second kernel


def test_mnist1d_lengths_share_the_examples():
    d = practice.mnist1d_lengths((24, 40), n_train=100, n_test=50, seed=3)
    (x24, y24), (x40, y40) = d["train"][24], d["train"][40]
    assert y40.shape == (50,)
    assert x24.shape == (50, 24) and x40.shape == (50, 40)
    full = nb.data.load_mnist1d(n_samples=150, train_split=100 / 150, seed=3)
    np.testing.assert_array_equal(x40, full.x_train[1::2])  # dealt round-robin
    np.testing.assert_array_equal(y24, full.y_train[0::2])
    t24, t40 = d["test"][24], d["test"][40]
    np.testing.assert_array_equal(t24[1], t40[1])  # the same test examples at both lengths
    assert t24[0].shape == (50, 24) and t40[0].shape == (50, 40)


def test_global_pooling_cnn_learns_every_length():
    """Trained on a mix of lengths (each minibatch one length), one network classifies
    MNIST-1D at every length far above chance (10 %), and better at the lengths it would
    otherwise not have seen than the same network trained at length 40 only."""
    res = practice.variable_length(lengths=(24, 40, 64), epochs=4, n_train=900, channels=16)
    assert res["lengths"] == [24, 40, 64] and res["one_length"] == 40
    assert res["loss_all"][-1] < res["loss_all"][0]
    assert min(res["acc_all"]) > 0.3, res
    assert res["acc_all"][0] > res["acc_one"][0] and res["acc_all"][2] > res["acc_one"][2], res
