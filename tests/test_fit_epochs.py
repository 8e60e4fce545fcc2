"""fit's many-epochs-per-call fused path (``FusedDensePlan.run_epochs``) against its
epoch-by-epoch loop: the same History, weights, velocities and step count, bit for bit (both
run the same compiled kernel); the loop is still taken whenever something between two epochs
needs Python; a diverged epoch raises the same DivergenceError with the same weights put back;
and a full batch is not shuffled."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import config, optim
from numbanet.backends import _fused_ops
from numbanet.callbacks import Callback
from numbanet.errors import DivergenceError


class _Nothing(Callback):
    """A callback that does nothing: its presence alone sends fit through the epoch loop."""


@pytest.fixture
def calls(monkeypatch):
    """Which plan entry fit called: 'run' (the epoch loop) or 'run_epochs' (many per call)."""
    seen = []
    for name in ("run", "run_epochs"):
        orig = getattr(_fused_ops.FusedDensePlan, name)

        def counted(self, *a, _orig=orig, _name=name, **k):
            seen.append(_name)
            return _orig(self, *a, **k)

        monkeypatch.setattr(_fused_ops.FusedDensePlan, name, counted)
    return seen


def _tiny(dtype=np.float32, seed=0):
    layers = [nb.Dense(1, 10), nb.ReLU()]
    for _ in range(2):
        layers += [nb.Dense(10, 10), nb.ReLU()]
    layers.append(nb.Dense(10, 1))
    return nb.Sequential(layers, backend="cpu", dtype=dtype, seed=seed)


def _classifier(dtype=np.float64):
    layers = [nb.Dense(6, 9), nb.Tanh(), nb.Dense(9, 4), nb.Softmax()]
    return nb.Sequential(layers, backend="cpu", dtype=dtype, seed=5)


def _regression_data(n=64):
    x = np.linspace(-1, 1, n, dtype=np.float32)[:, None]
    return x, np.sin(2 * np.pi * x).astype(np.float32)


def _both(make, x, y, make_opt=None, **kw):
    """(history, flat, optimizer) of fit without callbacks and with a do-nothing one."""
    out = []
    for cbs in ((), (_Nothing(),)):
        net = make()
        opt = make_opt(net) if make_opt else optim.SGD(net.parameters(), lr=0.05)
        h = net.fit(x, y, optimizer=opt, progress=False, callbacks=cbs, **kw)
        out.append((h, net.get_flat(), opt))
    return out


def _same_history(ha, hb):
    assert list(ha.keys()) == list(hb.keys())
    for key in ha.keys():
        if key != "time":
            assert ha[key] == hb[key], key  # exact: the same kernel computed both
    assert len(ha["time"]) == len(hb["time"]) == ha.epochs


def test_full_batch_regression_same_as_epoch_loop(calls):
    """The benchmark's case: one full batch per epoch, MSE, float32, narrow kernel."""
    x, y = _regression_data(64)
    (ha, fa, oa), (hb, fb, ob) = _both(
        _tiny, x, y, loss=nb.losses.MSE("mean"), batch_size=64, epochs=40
    )
    assert calls.count("run_epochs") == 1 and calls.count("run") == 40
    _same_history(ha, hb)
    assert ha["epoch"] == list(range(1, 41)) and ha["lr"] == [0.05] * 40
    assert ha["loss"][-1] < ha["loss"][0]  # it trained
    np.testing.assert_array_equal(fa, fb)
    assert oa.t == ob.t == 40


@pytest.mark.parametrize("mode", ["narrow", "rows"])
def test_shuffled_minibatches_momentum_accuracy(mode, calls, monkeypatch):
    """Several shuffled minibatches per epoch (orders drawn epoch by epoch from the same
    generator), momentum, running accuracy, float64; the feature-major and the row-major
    kernel; and a call limit that splits the epochs over several calls."""
    narrow = mode == "narrow"
    monkeypatch.setattr(config, "FUSED_NARROW_MAX_WIDTH", 1 << 30 if narrow else 0)
    monkeypatch.setattr(config, "FUSED_NARROW_MIN_BATCH", 1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((29, 6))
    y = rng.integers(0, 4, 29)
    work = 3 * 29 * (6 * 9 + 9 * 4)
    monkeypatch.setattr(config, "FUSED_CALL_MACS", 3 * work)  # 3 epochs per call

    def momentum(net):
        return optim.Momentum(net.parameters(), lr=0.1, beta1=0.8, l2=0.5)

    (ha, fa, oa), (hb, fb, ob) = _both(
        _classifier,
        x,
        y,
        loss="cross_entropy",
        batch_size=8,
        epochs=7,
        seed=2,
        make_opt=momentum,
    )
    assert calls.count("run_epochs") == 3  # 3 + 3 + 1 epochs
    _same_history(ha, hb)
    assert "accuracy" in ha.keys()
    np.testing.assert_array_equal(fa, fb)
    for u, v in zip(oa.state_arrays()["m"], ob.state_arrays()["m"]):
        np.testing.assert_array_equal(u, v)
    assert oa.t == ob.t == 7 * 4


@pytest.mark.parametrize(
    "extra",
    [
        {"callbacks": [_Nothing()]},
        {"validation": "val"},
        {"train_metrics": "exact"},
        {"fused": False},
    ],
    ids=["callback", "validation", "exact-metrics", "unfused"],
)
def test_epoch_loop_when_python_is_needed_between_epochs(extra, calls):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 6))
    y = rng.integers(0, 4, 20)
    if extra.get("validation") == "val":
        extra = {"validation": (x[:5], y[:5])}
    h = _classifier().fit(
        x, y, loss="cross_entropy", epochs=3, batch_size=5, progress=False, **extra
    )
    assert h.epochs == 3
    assert "run_epochs" not in calls
    assert calls.count("run") == (0 if extra.get("fused") is False else 3)


def _diverging(make_cbs, check_finite=True):
    """A linear regression whose learning rate makes every step overshoot: the loss grows
    geometrically and overflows float32 after a few dozen epochs."""
    x = np.linspace(-3, 3, 32, dtype=np.float32)[:, None]
    y = 2 * x
    net = nb.Sequential([nb.Dense(1, 1)], backend="cpu", seed=1)
    net.fit(x, y, loss="mse", lr=1e-3, epochs=1, batch_size=32, progress=False)  # warm start
    w_start = net.get_flat()
    kw = dict(loss="mse", lr=1.5, epochs=500, batch_size=32, progress=False)
    try:
        h = net.fit(x, y, callbacks=make_cbs(), check_finite=check_finite, **kw)
    except DivergenceError as err:
        return err, net.get_flat(), w_start
    return h, net.get_flat(), w_start


def test_divergence_same_error_and_rollback(calls):
    (ea, fa, _), (eb, fb, _) = _diverging(list), _diverging(lambda: [_Nothing()])
    assert "run_epochs" in calls
    assert isinstance(ea, DivergenceError) and isinstance(eb, DivergenceError)
    assert str(ea) == str(eb)
    bad = ea.history.epochs + 1  # the diverged epoch is not recorded
    assert 5 < bad < 500 and f"at epoch {bad}:" in str(ea)
    _same_history(ea.history, eb.history)
    assert all(np.isfinite(ea.history["loss"]))
    np.testing.assert_array_equal(fa, fb)  # both put back the weights of epoch bad - 1


def test_no_finite_check_trains_through(calls):
    h, flat, _ = _diverging(list, check_finite=False)
    assert "run" not in calls  # the warm start and the run: one call each
    assert h.epochs == 500 and not np.isfinite(h["loss"][-1])
    assert not np.all(np.isfinite(flat))


def test_full_batch_is_not_shuffled():
    """One minibatch holds the whole set: shuffle=True trains exactly as shuffle=False (the
    order of a full batch changes only the rounding of its sums), on both paths."""
    x, y = _regression_data(48)
    for fused in (True, False):
        flats = []
        for shuffle in (True, False):
            net = _tiny(np.float64)
            net.fit(x, y, loss="mse", lr=0.05, epochs=5, batch_size=100, shuffle=shuffle,
                    fused=fused, progress=False)  # fmt: skip
            flats.append(net.get_flat())
        np.testing.assert_array_equal(flats[0], flats[1])


def test_progress_bar_splits_the_epochs(calls):
    """With a progress bar, each call covers at most 1/50 of the epochs (the bar moves), and
    the History is the same as in one call."""
    x, y = _regression_data(32)
    hists = []
    for progress in (False, True):
        net = _tiny()
        hists.append(
            net.fit(x, y, loss="mse", lr=0.05, epochs=60, batch_size=32, progress=progress)
        )
        hists.append(net.get_flat())
    assert calls.count("run_epochs") == 1 + 30  # 60 epochs in calls of ceil(60 / 50) = 2
    _same_history(hists[0], hists[2])
    np.testing.assert_array_equal(hists[1], hists[3])
