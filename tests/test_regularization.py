"""Regularisation: inverted dropout, Gaussian noise injection, early stopping, gradient clipping,
L2 in fit, and the recorder callbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import numbanet as nb
from numbanet import callbacks as C
from numbanet import losses as L
from numbanet import optim
from numbanet.errors import ValidationError
from numbanet.nn.dropout import Dropout, GaussianNoise

from .gradcheck import numeric_grad


def _drop_net(backend, p=0.4, seed=3, dtype=np.float64):
    return nb.Sequential(
        [nb.Dense(5, 7), Dropout(p, seed=seed), nb.Tanh(), nb.Dense(7, 3)],
        backend=backend,
        seed=0,
        dtype=dtype,
    )


# ---------------------------------------------------------------- dropout
@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_dropout_eval_is_identity_and_train_is_inverted(backend):
    net = nb.Sequential([Dropout(0.25, seed=1)], backend=backend, seed=0, input_shape=(40,))
    x = np.random.default_rng(0).uniform(0.5, 1.5, (50, 40)).astype(np.float32)
    np.testing.assert_array_equal(net.forward(x, training=False), x)
    out = net.forward(x, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.75, rtol=1e-6)
    frac = 1 - kept.mean()  # dropped fraction ~ p
    assert abs(frac - 0.25) < 5 * math.sqrt(0.25 * 0.75 / x.size)
    mask = net.layers[0].mask
    np.testing.assert_allclose(out, x * mask, rtol=1e-6)
    np.testing.assert_allclose(np.unique(mask), [0.0, 1 / 0.75], rtol=1e-6)


def test_dropout_expected_training_activation_equals_eval_activation():
    """E[h * eta / p_keep] = h: the mean over many masks matches the eval output within 5
    standard errors (per element sd of eta/p_keep is sqrt(p / p_keep) / p_keep... times h)."""
    p = 0.5
    net = nb.Sequential(
        [Dropout(p, seed=2)], backend="cpu", seed=0, input_shape=(6,), dtype=np.float64
    )
    h = np.array([[0.3, -1.2, 2.0, 0.0, 5.0, -0.7]])
    reps = 20000
    x = np.repeat(h, reps, axis=0)
    out = net.forward(x, training=True).astype(np.float64)
    mean = out.mean(axis=0)
    se = np.abs(h[0]) * math.sqrt(p / (1 - p)) / math.sqrt(reps)
    assert (np.abs(mean - h[0]) <= 5 * se + 1e-12).all()
    np.testing.assert_array_equal(net.forward(h, training=False), h)


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_dropout_mask_is_applied_in_backward(backend):
    net = nb.Sequential([Dropout(0.5, seed=4)], backend=backend, seed=0, input_shape=(5,))
    x = np.random.default_rng(1).standard_normal((3, 5))
    net.forward(x, training=True)
    mask = net.layers[0].mask
    dy = np.random.default_rng(2).standard_normal((3, 5))
    dx = net.backward(dy)
    dx = dx.copy_to_host() if hasattr(dx, "copy_to_host") else np.asarray(dx)
    np.testing.assert_allclose(dx, dy * mask, rtol=1e-6)
    assert (dx[mask == 0] == 0).all()
    # after an evaluation forward, backward is the identity
    net.forward(x, training=False)
    dx = net.backward(dy)
    dx = dx.copy_to_host() if hasattr(dx, "copy_to_host") else np.asarray(dx)
    np.testing.assert_allclose(dx, dy, rtol=1e-6)


def test_dropout_cuda_masks_come_from_a_seeded_device_generator():
    """On cuda the keep draws are made on the device (no host draw, no copy per step): the
    mask is an inverted-dropout mask, the same from the same seed, applied in forward and
    backward. (The host backends share their draws: see the next test.)"""
    x = np.random.default_rng(5).standard_normal((40, 5))
    masks = []
    for _ in range(2):
        net = _drop_net("cuda")
        out = net.forward(x, training=True)
        m = net.layers[1].mask
        masks.append(m)
        ref = _drop_net("reference")
        ref.layers[1].fix_mask(m != 0)  # the same mask on the reference backend
        np.testing.assert_allclose(out, ref.forward(x, training=True), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(masks[0], masks[1])
    np.testing.assert_allclose(np.unique(masks[0]), [0.0, 1 / 0.6], rtol=1e-12)
    dropped = (masks[0] == 0).mean()
    assert abs(dropped - 0.4) < 5 * math.sqrt(0.4 * 0.6 / masks[0].size)


def test_dropout_same_mask_on_host_backends_from_one_seed():
    x = np.random.default_rng(5).standard_normal((3, 5))
    y = np.array([0, 2, 1])
    loss = L.CrossEntropy()
    outs, masks, grads = [], [], []
    for backend in ["reference", "cpu"]:
        net = _drop_net(backend)
        out = net.forward(x, training=True)
        out = out.copy_to_host() if hasattr(out, "copy_to_host") else np.asarray(out)
        loss.forward(out, y)
        net.zero_grad()
        net.backward(loss.backward())
        outs.append(out)
        masks.append(net.layers[1].mask)
        grads.append(np.concatenate([p.grad.ravel() for p in net.parameters()]))
    for k in (1,):
        np.testing.assert_array_equal(masks[k], masks[0])
        np.testing.assert_allclose(outs[k], outs[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads[k], grads[0], rtol=1e-9, atol=1e-12)
    assert 0 < (masks[0] == 0).sum() < masks[0].size


def test_dropout_gradcheck_with_a_fixed_mask():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 5))
    y = np.array([0, 1, 2, 1])
    net = _drop_net("reference")
    eta = (rng.random((4, 7)) > 0.4).astype(np.float64)
    eta[0, :2] = [0, 1]  # at least one dropped and one kept
    net.layers[1].fix_mask(eta)
    loss = L.CrossEntropy()

    def f():
        return loss.forward(net.forward(x, training=True), y)

    f()
    net.zero_grad()
    dx = net.backward(loss.backward())
    np.testing.assert_array_equal(net.layers[1].mask, eta / 0.6)
    for p in net.parameters():
        np.testing.assert_allclose(p.grad, numeric_grad(f, p.value), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dx, numeric_grad(f, x), rtol=1e-6, atol=1e-9)
    with pytest.raises(ValidationError, match="fixed dropout mask has shape"):
        net.forward(x[:2], training=True)


def test_dropout_in_fit_is_seeded_and_bad_rates_are_refused():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 5))
    y = rng.integers(0, 3, 20)

    def run():
        net = nb.Sequential(
            [nb.Dense(5, 7), nb.ReLU(), Dropout(0.3), nb.Dense(7, 3)], backend="cpu", seed=0
        )
        net.fit(x, y, epochs=2, batch_size=5, seed=9, lr=0.1, progress=False)
        return net.get_flat()

    np.testing.assert_array_equal(run(), run())
    for bad in (1.0, -0.1, float("nan"), "half"):
        with pytest.raises(ValidationError, match="p must be"):
            Dropout(bad)


# ---------------------------------------------------------------- noise injection
@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_gaussian_noise(backend):
    shape = (3, 5) if backend == "cuda" else (400, 50)
    net = nb.Sequential(
        [GaussianNoise(0.2, seed=8)], backend=backend, seed=0, input_shape=(shape[1],)
    )
    x = np.random.default_rng(3).standard_normal(shape)
    out = net.forward(x, training=True)
    out = out.copy_to_host() if hasattr(out, "copy_to_host") else np.asarray(out)
    want = x + 0.2 * np.random.default_rng(8).standard_normal(shape, dtype=np.float32)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)  # the seeded draw, any backend
    if backend != "cuda":
        noise = (out - x).ravel()
        assert abs(noise.std() - 0.2) < 5 * 0.2 * math.sqrt(0.5 / noise.size)
        assert abs(noise.mean()) < 5 * 0.2 / math.sqrt(noise.size)
    ev = net.forward(x, training=False)
    ev = ev.copy_to_host() if hasattr(ev, "copy_to_host") else np.asarray(ev)
    np.testing.assert_allclose(ev, x.astype(np.float32))
    dy = np.ones(shape)
    dx = net.backward(dy)
    dx = dx.copy_to_host() if hasattr(dx, "copy_to_host") else np.asarray(dx)
    np.testing.assert_array_equal(dx, dy)
    with pytest.raises(ValidationError, match="std"):
        GaussianNoise(-1.0)


# ---------------------------------------------------------------- early stopping
class _Recorder(nb.Callback):
    def __init__(self):
        self.flats = {}

    def on_epoch_end(self, model, optimizer, epoch, logs):
        self.flats[epoch] = model.get_flat().copy()
        return False


def _overfit_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 6))
    y = rng.integers(0, 2, 30)  # random labels: memorised, not generalised
    xv = rng.standard_normal((30, 6))
    yv = rng.integers(0, 2, 30)
    return x, y, xv, yv


def test_early_stopping_stops_and_restores_the_best_weights():
    x, y, xv, yv = _overfit_data()
    net = nb.Sequential(
        [nb.Dense(6, 32), nb.Tanh(), nb.Dense(32, 2)], backend="cpu", seed=0, dtype=np.float64
    )
    es = C.EarlyStopping(monitor="val_loss", patience=3)
    rec = _Recorder()
    h = net.fit(
        x,
        y,
        validation=(xv, yv),
        epochs=200,
        batch_size=10,
        optimizer="adam",
        lr=0.02,
        callbacks=[es, rec],
        progress=False,
    )
    assert h.stopped_early and h.epochs < 200
    vl = h["val_loss"]
    best = int(np.argmin(vl)) + 1
    assert h.best_epoch == best == es.best_epoch
    assert h.epochs == best + 3  # patience epochs without improvement, then stop
    assert vl[-1] > vl[best - 1]
    np.testing.assert_array_equal(net.get_flat(), rec.flats[best])
    assert not np.array_equal(net.get_flat(), rec.flats[h.epochs])
    assert net.evaluate(xv, yv, loss="cross_entropy")["loss"] == pytest.approx(
        vl[best - 1], rel=1e-10
    )


def test_early_stopping_on_accuracy_and_without_restore():
    x, y, xv, yv = _overfit_data()
    net = nb.Sequential([nb.Dense(6, 16), nb.Tanh(), nb.Dense(16, 2)], backend="cpu", seed=1)
    es = C.EarlyStopping(monitor="val_accuracy", patience=2, restore_best_weights=False)
    rec = _Recorder()
    h = net.fit(
        x,
        y,
        validation=(xv, yv),
        epochs=100,
        batch_size=10,
        optimizer="adam",
        lr=0.05,
        callbacks=[es, rec],
        progress=False,
    )
    assert es.mode == "max"
    assert h.stopped_early
    np.testing.assert_array_equal(net.get_flat(), rec.flats[h.epochs])  # last, not best


def test_early_stopping_bad_settings():
    with pytest.raises(ValidationError, match="patience"):
        C.EarlyStopping(patience=-1)
    with pytest.raises(ValidationError, match="mode"):
        C.EarlyStopping(mode="up")
    with pytest.raises(ValidationError, match="min_delta"):
        C.EarlyStopping(min_delta=-0.1)
    net = nb.Sequential([nb.Dense(3, 2)], backend="reference", seed=0)
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(ValidationError, match="pass validation"):
        net.fit(x, np.array([0, 1, 0, 1]), callbacks=[C.EarlyStopping()], progress=False)


# ---------------------------------------------------------------- clipping, L2, recorders
def test_clipping_in_fit_bounds_every_step():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 5)) * 10
    y = rng.integers(0, 3, 8)
    net = nb.Sequential([nb.Dense(5, 3)], backend="cpu", seed=0, dtype=np.float64)
    before = net.get_flat().copy()
    opt = optim.SGD(net.parameters(), lr=1.0, clip_norm=0.01)
    gn = C.GradientNorms(per_batch=True)
    net.fit(x, y, epochs=1, batch_size=8, optimizer=opt, callbacks=[gn], progress=False)
    assert opt.last_grad_norm > 0.01  # the raw gradient was bigger ...
    assert gn.batches[0]["grad_norm"] == pytest.approx(opt.last_grad_norm, rel=1e-12)
    step = np.linalg.norm(net.get_flat() - before)
    assert step == pytest.approx(0.01, rel=1e-9)  # ... and the step was clipped to lr * c


def test_l2_shrinks_weights_and_recorders_fill_history():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 5))
    y = rng.integers(0, 3, 40)

    def run(**kw):
        net = nb.Sequential(
            [nb.Dense(5, 8), nb.ReLU(), nb.Dense(8, 3)], backend="cpu", seed=0, dtype=np.float64
        )
        opt = optim.SGD(net.parameters(), lr=0.1, **kw)
        h = net.fit(
            x,
            y,
            epochs=3,
            batch_size=10,
            optimizer=opt,
            progress=False,
            callbacks=[C.WeightNorms(), C.GradientNorms()],
        )
        return net, h

    net0, h0 = run()
    net1, h1 = run(l2=20.0)
    for key in ("weight_norm.0", "weight_norm.2", "grad_norm", "grad_norm.0", "grad_norm.2"):
        assert len(h0[key]) == 3
    assert h1["weight_norm.0"][-1] < h0["weight_norm.0"][-1]
    W0 = net0.parameters()[0].value
    assert h0["weight_norm.0"][-1] == pytest.approx(np.linalg.norm(W0), rel=1e-12)
    arr = C.history_arrays(h0)
    assert arr["weight_norm_layers"].shape == (3, 2)
    assert arr["grad_norm_layers"].shape == (3, 2)
