"""Rollbacks restore the whole model (issue 21): early stopping's best epoch and a diverged
epoch's predecessor come back with their weights *and* their running statistics of batch
normalisation (also inside a ``Residual``), and a best-only checkpoint holds the same model."""

import numpy as np
import pytest

import numbanet as nb
from numbanet import callbacks as C
from numbanet.errors import DivergenceError
from numbanet.training import model_state


class _Snapshots(C.Callback):
    """Each epoch's full state (parameters, running statistics) as fit left it."""

    def __init__(self):
        self.states = {}

    def on_epoch_end(self, model, optimizer, epoch, logs):
        self.states[epoch] = model_state(model)
        return False


def _net(seed=0):
    return nb.Sequential(
        [
            nb.Dense(6, 16),
            nb.BatchNorm1D(16, momentum=0.5),
            nb.Tanh(),
            nb.Residual([nb.Dense(16, 16), nb.BatchNorm1D(16, momentum=0.5), nb.Tanh()]),
            nb.Dense(16, 2),
        ],
        backend="cpu",
        seed=seed,
        dtype=np.float64,
    )


def _data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 6)) * 2.0 + 1.0  # off-centre: the running mean has to move
    y = rng.integers(0, 2, 40)  # random labels: memorised, so the validation loss turns up
    xv = rng.standard_normal((40, 6)) * 2.0 + 1.0
    yv = rng.integers(0, 2, 40)
    return x, y, xv, yv


def _assert_same_state(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        np.testing.assert_array_equal(a[1][k], b[1][k], err_msg=str(k))


def test_model_state_holds_every_running_statistic_including_inside_a_residual():
    _, bufs = model_state(_net())
    assert set(bufs) == {
        (1, "running_mean"),
        (1, "running_var"),
        (3, "1.running_mean"),
        (3, "1.running_var"),
    }


def test_early_stopping_restores_the_best_epochs_running_statistics(tmp_path):
    x, y, xv, yv = _data()
    net = _net()
    es = C.EarlyStopping(monitor="val_loss", patience=3)
    snaps = _Snapshots()
    best_path = tmp_path / "best.npz"
    ck = C.ModelCheckpoint(str(best_path), monitor="val_loss", save_best_only=True)
    h = net.fit(
        x,
        y,
        validation=(xv, yv),
        epochs=150,
        batch_size=8,
        optimizer="adam",
        lr=0.02,
        callbacks=[es, snaps, ck],
        progress=False,
    )
    assert h.stopped_early and h.best_epoch < h.epochs
    best, last = snaps.states[h.best_epoch], snaps.states[h.epochs]
    # the statistics did move after the best epoch, so restoring the weights alone would not do
    assert any(not np.array_equal(best[1][k], last[1][k]) for k in best[1])
    _assert_same_state(model_state(net), best)
    # the restored model is the one that scored best: same validation loss, in evaluation mode
    assert net.evaluate(xv, yv, loss="cross_entropy")["loss"] == pytest.approx(
        h["val_loss"][h.best_epoch - 1], rel=1e-12
    )
    # and the best-only checkpoint holds that same model, running statistics included
    other = _net(seed=7)
    nb.checkpoint.load(str(best_path), model=other)
    _assert_same_state(model_state(other), best)


class _Poison(C.Callback):
    """Makes epoch ``at`` diverge: after its first minibatch every weight becomes NaN, so the
    next minibatch's forward pass (and batch norm's running statistics) turn NaN."""

    wants_batches = True

    def __init__(self, at):
        self.at, self.epoch = at, 0

    def on_epoch_begin(self, model, optimizer, epoch):
        self.epoch = epoch

    def on_batch_end(self, model, optimizer, batch, loss):
        if self.epoch == self.at and batch == 0:
            model.set_flat(np.full(model.n_params(), np.nan))


def test_a_diverged_epoch_rolls_back_the_running_statistics_too():
    x, y, _, _ = _data()
    net = _net()
    snaps = _Snapshots()
    with pytest.raises(DivergenceError) as info:
        net.fit(
            x, y, epochs=5, batch_size=8, lr=0.05, callbacks=[snaps, _Poison(3)], progress=False
        )
    assert info.value.history.epochs == 2  # epoch 3 diverged
    state = model_state(net)
    assert all(np.isfinite(v).all() for v in state[1].values())
    _assert_same_state(state, snaps.states[2])
