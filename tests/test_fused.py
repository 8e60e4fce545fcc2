"""The fused CPU epoch kernel (``kernels.cpu.mlp`` via ``backend.fused_dense_plan``) against the layer-by-layer
path: the same weights after training, within float32 rounding (float64: 1e-12), for every
activation and loss the plan accepts, partial last minibatches, each of the kernel's three ways
of doing a layer (hand-written row-major loops, BLAS, the feature-major narrow kernel), SGD and
momentum; and the plan declining what it cannot do."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import numbanet as nb
from numbanet import config, optim
from numbanet import losses as L
from numbanet.backends import _fused_ops
from numbanet.training import fused_plan

ACTS = [
    ("identity", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("relu", {}),
    ("leaky_relu", {"alpha": 0.1}),
    ("elu", {"alpha": 0.7}),
    ("softplus", {}),
    ("gelu", {}),
    ("silu", {}),
]

# (loss, target kind, final layer appended to the model or None)
LOSSES = [
    ("mse_half_sum_sigmoid_out", lambda: L.MSE("half_sum"), "float01", "sigmoid"),
    ("mse_half_sum_linear_out", lambda: L.MSE("half_sum"), "float", None),
    ("mse_mean_tanh_out", lambda: L.MSE("mean"), "float", "tanh"),
    ("bce_absorbs_sigmoid", lambda: L.BCE(), "float01", "sigmoid"),
    ("bce_logits", lambda: L.BCEWithLogits(), "float01", None),
    ("nielsen_xent_labels", lambda: L.SigmoidCrossEntropy(), "labels", "sigmoid"),
    ("xent_labels_softmax", lambda: L.CrossEntropy(), "labels", "softmax"),
    ("xent_onehot_logits", lambda: L.CrossEntropy(), "onehot", None),
]

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}

# kernel modes: which code path every layer takes
MODES = {
    "row_loops": dict(FUSED_SMALL_MACS=1 << 30, FUSED_NARROW_MAX_WIDTH=0),
    "blas": dict(FUSED_SMALL_MACS=0, FUSED_NARROW_MAX_WIDTH=0),
    "narrow": dict(
        FUSED_SMALL_MACS=1 << 30, FUSED_NARROW_MAX_WIDTH=1 << 30, FUSED_NARROW_MIN_BATCH=1
    ),
}


def _targets(kind, rng, n, k):
    if kind == "float":
        return rng.standard_normal((n, k))
    if kind == "float01":
        return rng.uniform(0, 1, (n, k))
    labels = rng.integers(0, k, n)
    return labels if kind == "labels" else np.eye(k)[labels]


def _model(act, kw, last, dtype, backend="cpu", seed=5):
    layers = [
        nb.Dense(6, 9),
        nb.nn.activation(act, **kw),
        nb.Dense(9, 5),
        nb.nn.activation(act, **kw),
        nb.Dense(5, 4),
    ]
    if last is not None:
        layers.append(nb.nn.activation(last))
    return nb.Sequential(layers, backend=backend, dtype=dtype, seed=seed)


def _train(net, x, y, loss, fused, batch_size, **kw):
    net.fit(
        x,
        y,
        loss=loss,
        lr=0.05,
        epochs=2,
        batch_size=batch_size,
        seed=3,
        progress=False,
        fused=fused,
        **kw,
    )
    return net.get_flat()


@pytest.fixture
def count_runs(monkeypatch):
    """Counts calls of FusedPlan.run and run_epochs, to prove fit really took the fused path."""
    calls = []
    for name in ("run", "run_epochs"):
        orig = getattr(_fused_ops.FusedDensePlan, name)

        def counted(self, *a, _orig=orig, **k):
            calls.append(1)
            return _orig(self, *a, **k)

        monkeypatch.setattr(_fused_ops.FusedDensePlan, name, counted)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,make_loss,kind,last", LOSSES, ids=[c[0] for c in LOSSES])
def test_fused_equals_layers_every_activation(name, make_loss, kind, last, dtype, count_runs):
    rng = np.random.default_rng(0)
    n = 23  # minibatches of 5: four full and a partial one of 3
    x = rng.standard_normal((n, 6))
    y = _targets(kind, rng, n, 4)
    for act, kw in ACTS:
        fused = _model(act, kw, last, dtype)
        layers = _model(act, kw, last, dtype)
        before = len(count_runs)
        a = _train(fused, x, y, make_loss(), True, 5)
        assert len(count_runs) > before, f"{act}/{name}: fit did not take the fused path"
        b = _train(layers, x, y, make_loss(), False, 5)
        assert np.all(np.isfinite(a))
        assert not np.allclose(a, _model(act, kw, last, dtype).get_flat()), "nothing trained"
        np.testing.assert_allclose(a, b, err_msg=f"{act} / {name}", **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("mode", list(MODES))
def test_every_kernel_path(mode, dtype, monkeypatch):
    """Row-major loops, BLAS and the narrow feature-major kernel all equal the layer path,
    with a partial last batch, for a regression (MSE) and a classification (CrossEntropy)."""
    for attr, val in MODES[mode].items():
        monkeypatch.setattr(config, attr, val)
    rng = np.random.default_rng(1)
    n, bs = 37, 8  # 4 full batches of 8 and one of 5
    x = rng.standard_normal((n, 6))
    cases = [
        ("tanh", None, L.MSE("mean"), rng.standard_normal((n, 4))),
        ("relu", "softmax", L.CrossEntropy(), rng.integers(0, 4, n)),
    ]
    for act, last, loss, y in cases:
        net = _model(act, {}, last, dtype)
        plan = fused_plan(net, *net._split_for_loss(loss), optim.SGD(net.parameters(), lr=0.1))
        assert plan is not None
        assert bool(plan.narrow(bs)) == (mode == "narrow")
        if mode != "narrow":
            assert plan.small_flags(bs).all() == (mode == "row_loops")
        a = _train(net, x, y, loss, True, bs)
        b = _train(_model(act, {}, last, dtype), x, y, loss, False, bs)
        np.testing.assert_allclose(a, b, err_msg=f"{mode} {act}", **TOL[dtype])


@pytest.mark.parametrize("bs", [9, 10, 12, 16, 17])
def test_row_loop_passes_for_every_remainder(bs, monkeypatch, count_runs):
    """The row-major loops' register blocks (forward: four rows by two outputs, then two rows by
    four; gradient rows: passes of eight or four input rows, the last one to four rows fused with
    the update) for batch sizes that leave every remainder, with momentum."""
    monkeypatch.setattr(config, "FUSED_SMALL_MACS", 1 << 30)
    monkeypatch.setattr(config, "FUSED_NARROW_MAX_WIDTH", 0)
    rng = np.random.default_rng(bs)
    n = 3 * bs + 3  # three full batches and one of 3
    x = rng.standard_normal((n, 6))
    y = rng.integers(0, 4, n)
    flats = []
    for fused in (True, False):
        net = _model("sigmoid", {}, "sigmoid", np.float64)
        opt = optim.Momentum(net.parameters(), lr=0.2, beta1=0.7, form="classical")
        before = len(count_runs)
        flats.append(_train_opt(net, x, y, opt, fused, bs))
        assert (len(count_runs) > before) == fused, f"fused={fused}: path not as asked"
    np.testing.assert_allclose(flats[0], flats[1], **TOL[np.float64])


def test_nielsen_weight_decay_and_mixed_paths(monkeypatch):
    """Nielsen's l2 (multiplicative decay of weights, not biases) with one BLAS and two loop
    layers in the same net, and a batch larger than the data set (one partial batch)."""
    monkeypatch.setattr(config, "FUSED_SMALL_MACS", 8 * 9 * 5)  # first layer (8*6*9) goes to BLAS
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 6))
    y = rng.integers(0, 4, 8)
    nets = [_model("sigmoid", {}, "sigmoid", np.float64) for _ in range(2)]
    flats = []
    for net, fused in zip(nets, (True, False)):
        opt = optim.SGD(net.parameters(), lr=0.5, l2=5.0)
        flats.append(_train_opt(net, x, y, opt, fused, 8))
        opt2 = optim.SGD(net.parameters(), lr=0.5, l2=5.0)
        flats.append(_train_opt(net, x, y, opt2, fused, 100))
    np.testing.assert_allclose(flats[0], flats[2], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(flats[1], flats[3], rtol=1e-12, atol=1e-12)


def _train_opt(net, x, y, opt, fused, bs):
    net.fit(
        x,
        y,
        loss=L.SigmoidCrossEntropy(),
        optimizer=opt,
        epochs=2,
        batch_size=bs,
        seed=0,
        progress=False,
        fused=fused,
    )
    return net.get_flat()


@pytest.mark.skipif(not hasattr(optim, "Momentum"), reason="no Momentum optimiser")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("mode", list(MODES))
def test_momentum_fused_equals_layers(mode, dtype, monkeypatch):
    """Momentum (EWMA and classical forms, with Nielsen's decay) through the fused kernel: same
    weights, same velocity buffers and the same step count t as the layer path."""
    for attr, val in MODES[mode].items():
        monkeypatch.setattr(config, attr, val)
    rng = np.random.default_rng(6)
    n, bs = 29, 8
    x = rng.standard_normal((n, 6))
    y = rng.integers(0, 4, n)
    for form in ("ewma", "classical"):
        out = []
        for fused in (True, False):
            net = _model("tanh", {}, "softmax", dtype)
            opt = optim.Momentum(net.parameters(), lr=0.1, beta1=0.8, form=form, l2=0.5)
            if fused:
                assert _plan(net, "cross_entropy", opt) is not None
            net.fit(
                x,
                y,
                loss="cross_entropy",
                optimizer=opt,
                epochs=3,
                batch_size=bs,
                seed=2,
                progress=False,
                fused=fused,
            )
            out.append((net.get_flat(), opt.state_arrays()["m"], opt.t))
        (a, ma, ta), (b, mb, tb) = out
        assert ta == tb == 3 * 4
        np.testing.assert_allclose(a, b, err_msg=f"{mode} {form}", **TOL[dtype])
        for u, v in zip(ma, mb):
            np.testing.assert_allclose(u, v, err_msg=f"velocity {mode} {form}", **TOL[dtype])


def test_fused_loss_history_matches():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((30, 6))
    y = rng.integers(0, 4, 30)
    h = [
        _model("tanh", {}, "softmax", np.float64).fit(
            x,
            y,
            loss="cross_entropy",
            lr=0.2,
            epochs=3,
            batch_size=7,
            seed=1,
            progress=False,
            fused=f,
        )["loss"]
        for f in (True, False)
    ]
    np.testing.assert_allclose(h[0], h[1], rtol=1e-12)


def test_fused_counts_steps():
    net = _model("relu", {}, None, np.float32)
    opt = optim.SGD(net.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    net.fit(
        rng.standard_normal((23, 6)),
        rng.standard_normal((23, 4)),
        loss="mse",
        optimizer=opt,
        epochs=2,
        batch_size=5,
        progress=False,
    )
    assert opt.t == 2 * 5


# ------------------------------------------------------------------------------- declines
def _plan(net, loss="mse", opt=None):
    loss = L.get(loss)
    opt = opt if opt is not None else optim.SGD(net.parameters(), lr=0.1)
    return fused_plan(net, *net._split_for_loss(loss), opt)


def test_plan_accepts_plain_dense_net():
    assert _plan(_model("relu", {}, None, np.float32)) is not None


def test_plan_declines_frozen_layer(count_runs):
    net = _model("relu", {}, None, np.float32)
    net.layers[2].freeze()
    assert _plan(net) is None
    rng = np.random.default_rng(0)
    net.fit(
        rng.standard_normal((10, 6)),
        rng.standard_normal((10, 4)),
        loss="mse",
        batch_size=5,
        progress=False,
    )
    assert not count_runs


def test_plan_declines_prelu_and_step():
    for act in (nb.PReLU(), nb.Step()):
        net = nb.Sequential([nb.Dense(6, 9), act, nb.Dense(9, 4)], backend="cpu", seed=0)
        assert _plan(net) is None, type(act).__name__


def test_plan_declines_other_optimisers():
    net = _model("relu", {}, None, np.float32)

    class SameSGD(optim.SGD):
        pass

    class MySGD(optim.SGD):  # a different update: the fused kernel would not apply it
        def _update(self, i, p, gscale=1.0, l2=0.0):
            super()._update(i, p, 2 * gscale, l2)

    assert _plan(net, opt=SameSGD(net.parameters(), lr=0.1)) is not None
    assert _plan(net, opt=MySGD(net.parameters(), lr=0.1)) is None
    for name in ("Adam", "RMSProp", "Nesterov", "Adagrad"):
        cls = getattr(optim, name, None)
        if cls is not None:
            assert _plan(net, opt=cls(net.parameters(), lr=0.1)) is None, name
    if hasattr(optim, "Momentum"):  # its step size changes with t: not fused
        opt = optim.Momentum(net.parameters(), lr=0.1, bias_correction=True)
        assert _plan(net, opt=opt) is None
    # SGD over only some of the parameters
    assert _plan(net, opt=optim.SGD(net.parameters()[:2], lr=0.1)) is None
    params = inspect.signature(optim.Optimizer.__init__).parameters
    if "clip_norm" in params:
        assert _plan(net, opt=optim.SGD(net.parameters(), lr=0.1, clip_norm=1.0)) is None
    if "l2_penalty" in params:
        assert _plan(net, opt=optim.SGD(net.parameters(), lr=0.1, l2_penalty=0.1)) is None


def test_plan_declines_reference_backend_and_unsupported_losses():
    assert _plan(_model("relu", {}, None, np.float32, backend="reference")) is None
    net = _model("relu", {}, None, np.float32)
    # a cross-entropy on probabilities cannot be fused
    assert _plan(net, loss=L.CrossEntropy(from_logits=False)) is None
    # bias-free layers are not in the kernel's layout
    nb_net = nb.Sequential([nb.Dense(6, 4, bias=False)], backend="cpu", seed=0)
    assert _plan(nb_net) is None
