"""Learning-rate schedules: each slide formula at several epochs, arrays of epochs for plotting,
the fit callback (numbanet.callbacks.LRScheduler), and invalid hyperparameters refused with a message naming the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest

import numbanet as nb
from numbanet import callbacks as C
from numbanet import schedules as S
from numbanet.errors import ValidationError

EPOCHS = [1, 2, 3, 7, 10, 11, 25]


@pytest.mark.parametrize("e", EPOCHS)
def test_inverse_time(e):
    a0, d = 0.5, 0.3
    assert S.inverse_time(a0, d)(e) == pytest.approx(a0 * (1 + d) / (1 + d * e), rel=1e-15)


def test_inverse_time_starts_at_alpha0_and_delta_zero_is_constant():
    assert S.inverse_time(0.7, 2.0)(1) == pytest.approx(0.7)
    assert S.inverse_time(0.7, 0.0)(50) == pytest.approx(0.7)


@pytest.mark.parametrize("e", EPOCHS)
def test_exponential(e):
    assert S.exponential(0.1, 0.9)(e) == pytest.approx(0.1 * 0.9 ** (e - 1), rel=1e-14)


@pytest.mark.parametrize("e", EPOCHS)
def test_inverse_sqrt(e):
    assert S.inverse_sqrt(0.2)(e) == pytest.approx(0.2 / math.sqrt(e), rel=1e-15)


@pytest.mark.parametrize(
    "e, want", [(1, 0.1), (5, 0.1), (10, 0.1), (11, 0.01), (20, 0.01), (21, 0.001), (99, 0.001)]
)
def test_piecewise(e, want):
    assert S.piecewise([10, 20], [0.1, 0.01, 0.001])(e) == want


@pytest.mark.parametrize("e", EPOCHS)
def test_step_decay(e):
    assert S.step_decay(0.4, drop=0.5, every=10)(e) == pytest.approx(
        0.4 * 0.5 ** ((e - 1) // 10), rel=1e-15
    )


def test_step_decay_boundaries():
    s = S.step_decay(1.0, drop=0.1, every=3)
    assert [s(e) for e in range(1, 8)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])


def test_constant():
    assert S.constant(0.3)(17) == 0.3


def test_arrays_of_epochs_for_plotting():
    e = np.arange(1, 31)
    for sched, f in [
        (S.inverse_time(1.0, 0.5), lambda e: 1.5 / (1 + 0.5 * e)),
        (S.exponential(1.0, 0.8), lambda e: 0.8 ** (e - 1.0)),
        (S.inverse_sqrt(1.0), lambda e: 1 / np.sqrt(e)),
        (S.step_decay(1.0, 0.5, 4), lambda e: 0.5 ** ((e - 1) // 4)),
        (S.constant(2.0), lambda e: 2.0 + 0 * e),
    ]:
        out = sched(e)
        assert out.shape == (30,)
        np.testing.assert_allclose(out, f(e), rtol=1e-14)
        assert np.all(np.diff(out) <= 0)  # every schedule of the slides is non-increasing
    pw = S.piecewise([3], [1.0, 0.5])(e)
    assert pw.tolist() == [1.0] * 3 + [0.5] * 27


def test_epoch_of_iteration():
    """e_t = 1 + floor(t B / n): 100 examples in batches of 10 -> 10 iterations per epoch."""
    got = S.epoch_of_iteration(np.array([0, 9, 10, 19, 20, 95]), 10, 100)
    assert got.tolist() == [1, 1, 2, 2, 3, 10]


def test_lr_scheduler_sets_the_rate_each_epoch_and_history_records_it():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 3))
    y = rng.integers(0, 2, 12)
    net = nb.Sequential([nb.Dense(3, 2)], backend="reference", seed=0, dtype=np.float64)
    sched = S.exponential(0.2, 0.5)
    h = net.fit(
        x,
        y,
        epochs=4,
        batch_size=6,
        optimizer="sgd",
        lr=99.0,
        callbacks=[C.LRScheduler(sched)],
        progress=False,
    )
    assert h["lr"] == pytest.approx([0.2, 0.1, 0.05, 0.025])
    # resumed training: initial_epoch shifts the count
    h2 = net.fit(
        x,
        y,
        epochs=2,
        batch_size=6,
        callbacks=[C.LRScheduler(sched, initial_epoch=4)],
        progress=False,
    )
    assert h2["lr"] == pytest.approx([0.2 * 0.5**4, 0.2 * 0.5**5])


def test_lr_scheduler_refuses_a_bad_rate():
    net = nb.Sequential([nb.Dense(3, 2)], backend="reference", seed=0)
    x = np.zeros((4, 3), np.float32)
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValidationError, match="lr = -1.0 at epoch 1"):
        net.fit(x, y, callbacks=[C.LRScheduler(lambda e: -1.0)], progress=False)
    with pytest.raises(ValidationError, match="schedule must be callable"):
        C.LRScheduler(0.1)


BAD = [
    (lambda: S.inverse_time(0.0, 0.1), "alpha0"),
    (lambda: S.inverse_time(-1.0, 0.1), "alpha0"),
    (lambda: S.inverse_time(0.1, -0.5), "delta"),
    (lambda: S.exponential(0.1, 1.5), "gamma"),
    (lambda: S.exponential(0.1, 0.0), "gamma"),
    (lambda: S.exponential(float("nan"), 0.5), "alpha0"),
    (lambda: S.inverse_sqrt("fast"), "alpha0"),
    (lambda: S.piecewise([10, 20], [0.1, 0.01]), "one more value than bounds"),
    (lambda: S.piecewise([20, 10], [0.1, 0.01, 0.001]), "increasing"),
    (lambda: S.piecewise([0], [0.1, 0.01]), "increasing"),
    (lambda: S.piecewise([2.5], [0.1, 0.01]), "bounds"),
    (lambda: S.piecewise(["ten"], [0.1, 0.01]), "bounds"),
    (lambda: S.piecewise([10], [0.1, -0.01]), "values"),
    (lambda: S.step_decay(0.1, drop=2.0), "drop"),
    (lambda: S.step_decay(0.1, every=0), "every"),
    (lambda: S.step_decay(0.1, every="ten"), "every"),
    (lambda: S.constant(0.1)(0), "counted from 1"),
    (lambda: S.constant(0.1)(-3), "counted from 1"),
    (lambda: S.inverse_sqrt(0.1)(float("nan")), "counted from 1"),
    (lambda: S.exponential(0.1, 0.5)(np.array([1, 2, 0])), "counted from 1"),
    (lambda: S.exponential(0.1, 0.5)("first"), "epoch must be a number"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_invalid_hyperparameters_are_refused_by_name(k):
    make, word = BAD[k]
    with pytest.raises(ValidationError, match=word):
        make()
