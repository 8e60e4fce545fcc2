"""Gradient speed (Nielsen ch. 5) on MNIST's first 1,000 training images, through the engine."""

from __future__ import annotations

import numpy as np
import pytest

from numbanet import slides
from numbanet.theory import gradient_speed as G


@pytest.fixture(scope="module")
def first_1000():
    from numbanet.data import find_mnist, load_mnist

    if find_mnist() is None:
        pytest.skip("MNIST not found: set NUMBANET_DATA (CI points it at ../shared/data)")
    d = load_mnist()
    return d.x_train[:1000].astype(np.float64), d.y_train[:1000]


@pytest.mark.parametrize("sizes", list(slides.NIELSEN_SPEEDS), ids=lambda s: "-".join(map(str, s)))
def test_speeds_match_nielsen_within_factor_two(sizes, first_1000):
    x, y = first_1000
    speeds = G.initial_speeds(sizes, x, y, seeds=range(6)).mean(axis=0)
    ref = np.array(slides.NIELSEN_SPEEDS[sizes])
    ratio = speeds / ref
    assert np.all((ratio > 0.5) & (ratio < 2.0)), (speeds, ref)
    # the same ordering: each layer several times slower than the next
    assert np.all(speeds[1:] / speeds[:-1] > 3.0)


def test_first_of_four_about_hundred_times_slower(first_1000):
    x, y = first_1000
    s = G.initial_speeds((784, 30, 30, 30, 30, 10), x, y, seeds=range(6)).mean(axis=0)
    assert 50 < s[-1] / s[0] < 250


def test_speed_is_norm_of_mean_bias_gradient(first_1000, rng):
    """The engine's value equals a hand-written NumPy backprop on a small set."""
    x, y = first_1000
    x, y = x[:50], y[:50]
    net = G.nielsen_network2((784, 20, 15, 10), seed=3, backend="reference")
    Ws = [d.W.value for d in net.layers[::2]]
    bs = [d.b.value for d in net.layers[::2]]
    acts = [x]
    for W, b in zip(Ws, bs):
        acts.append(1 / (1 + np.exp(-(acts[-1] @ W.T + b))))
    delta = acts[-1] - np.eye(10)[y]  # network2 cross-entropy: delta^L = a - y
    grads = []
    for layer in range(len(Ws) - 1, 0, -1):
        delta = (delta @ Ws[layer]) * acts[layer] * (1 - acts[layer])
        grads.append(np.linalg.norm(delta.mean(axis=0)))
    expect = np.array(grads[::-1])
    np.testing.assert_allclose(G.layer_speeds(net, x, y), expect, rtol=1e-10)


def test_speed_curves_and_callback(first_1000):
    x, y = first_1000
    curves = G.speed_curves((784, 30, 30, 10), x[:200], y[:200], epochs=20)
    assert curves.shape == (21, 2)
    assert np.isfinite(curves).all() and (curves > 0).all()
    from numbanet.callbacks import GradientSpeed

    net = G.nielsen_network2((784, 30, 30, 10), seed=0)
    h = net.fit(
        x[:200],
        y[:200],
        loss="sigmoid_cross_entropy",
        lr=0.1,
        epochs=2,
        batch_size=200,
        callbacks=[GradientSpeed(x[:200], y[:200])],
        progress=False,
    )
    assert len(h["speed"]) == 2 and h["speed"][0].shape == (2,)
    # the last epoch's record is the trained net's speeds; training changed them
    np.testing.assert_allclose(h["speed"][-1], G.layer_speeds(net, x[:200], y[:200]), rtol=1e-10)
    assert not np.allclose(h["speed"][0], h["speed"][1], rtol=1e-6)


def test_needs_a_hidden_layer():
    import numbanet as nb

    net = nb.Sequential([nb.Dense(3, 2)], backend="reference")
    with pytest.raises(nb.ValidationError, match="at least one hidden Dense"):
        G.layer_speeds(net, np.zeros((2, 3)), np.array([0, 1]))
