"""The DeadUnits callback (deck 003's dead ReLUs) and the dead-relu figure: a unit whose
pre-activation is <= 0 on every held-out example is counted dead, and at a high learning rate
ReLU nets lose more units than leaky-ReLU nets."""

import numpy as np
import pytest

import numbanet as nb
from numbanet.callbacks import DeadUnits
from numbanet.errors import ValidationError


def _net(act=nb.ReLU):
    return nb.Sequential(
        [nb.Dense(3, 4), act(), nb.Dense(4, 5), act(), nb.Dense(5, 2)],
        backend="cpu",
        seed=0,
        dtype=np.float64,
    )


def test_dead_units_counts_units_never_active_on_the_batch():
    net = _net()
    x = np.random.default_rng(0).standard_normal((64, 3))
    first = net.layers[0]
    W, b = first.W.value.copy(), first.b.value.copy()
    b[[0, 2]] = -1e3  # units 0 and 2 of layer 1 can never be positive on these inputs
    W[1] = 0.0
    b[1] = 0.5  # unit 1 is always active
    first.W.value, first.b.value = W, b
    got = DeadUnits(x).fractions(net)
    z1 = x @ W.T + b
    assert got["dead_fraction.1"] == pytest.approx(np.mean(np.all(z1 <= 0, axis=0)))
    assert got["dead_fraction.1"] >= 0.5
    # the second rectifier layer, from the engine's own forward pass
    a1 = np.maximum(z1, 0)
    z2 = a1 @ net.layers[2].W.value.T + net.layers[2].b.value
    assert got["dead_fraction.3"] == pytest.approx(np.mean(np.all(z2 <= 0, axis=0)))
    total = (4 * got["dead_fraction.1"] + 5 * got["dead_fraction.3"]) / 9
    assert got["dead_fraction"] == pytest.approx(total)


def test_leaky_units_in_their_negative_regime_count_too():
    net = _net(nb.LeakyReLU)
    x = np.random.default_rng(0).standard_normal((32, 3))
    net.layers[0].b.value = np.full(4, -1e3)
    assert DeadUnits(x).fractions(net)["dead_fraction.1"] == 1.0


def test_dead_units_records_every_epoch_in_the_history():
    net = _net()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    cb = DeadUnits(x[:10])
    h = net.fit(x, y, epochs=3, lr=0.1, callbacks=[cb], progress=False)
    assert len(h["dead_fraction"]) == 3 and len(cb.records) == 3
    assert "dead_fraction.1" in h and 0.0 <= cb.at_start["dead_fraction"] <= 1.0
    assert h["dead_fraction"][-1] == pytest.approx(cb.fractions(net)["dead_fraction"])


def test_bad_inputs_are_refused():
    with pytest.raises(ValidationError, match="held-out batch"):
        DeadUnits(np.ones(3))
    net = nb.Sequential([nb.Dense(3, 2), nb.Sigmoid()], backend="cpu", seed=0)
    with pytest.raises(ValidationError, match="no ReLU"):
        DeadUnits(np.ones((4, 3))).fractions(net)


def test_dead_relu_figure_leaky_keeps_fewer_dead_units():
    import matplotlib.pyplot as plt

    from numbanet.plots import training_dynamics as F

    d = F.compute_dead_relu(budget="tiny")
    lr, final = F.dead_relu_summary(d)
    assert lr == max(d["lrs"])
    assert final["leaky_relu"] < final["relu"]
    for lang in ("en", "es"):
        plt.close(F.draw_dead_relu(d, lang))
