"""Residual, BatchNorm1D, BatchNorm2D and LayerNorm (issue 21).

* the reference backend against central finite differences (float64), in training mode (batch
  statistics: the three-term backward) and in evaluation mode (running statistics);
* the CPU and CUDA (simulator) backends against the reference in float32 and float64: outputs,
  input and parameter gradients, running statistics;
* PyTorch's definitions: biased variance to normalise, unbiased in the running estimate, the
  momentum convention, eval-mode outputs and gradients (torch as the oracle, float64);
* stability (a constant feature, a large mean with a tiny spread), checkpoints, clones,
  ``Sequential`` integration (fit, summary, the fused path refused) and bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import ValidationError

from .gradcheck import numeric_grad

BACKENDS = ["cpu", "cpu-threaded", "cuda"]
DTYPES = [np.float32, np.float64]


def _tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)


# ---------------------------------------------------------------------------- nets under test
def _mlp_bn():
    return [nb.Dense(4, 6), nb.BatchNorm1D(6, momentum=0.3), nb.Tanh(), nb.Dense(6, 3)]


def _mlp_ln():
    return [nb.Dense(4, 5), nb.LayerNorm(5), nb.Tanh(), nb.Dense(5, 3)]


def _residual_identity():
    return [
        nb.Dense(4, 5),
        nb.Tanh(),
        nb.Residual([nb.Dense(5, 5), nb.BatchNorm1D(5), nb.Tanh(), nb.Dense(5, 5)]),
        nb.Dense(5, 3),
    ]


def _residual_projection():
    return [
        nb.Residual(
            [nb.Dense(4, 6), nb.LayerNorm(6), nb.Tanh(), nb.Dense(6, 5)],
            projection=nb.Dense(4, 5, bias=False),
        ),
        nb.Tanh(),
        nb.Dense(5, 2),
    ]


def _conv_bn():
    return [
        nb.Conv2D(2, 3, 3, padding="same"),
        nb.BatchNorm2D(3),
        nb.Tanh(),
        nb.Flatten(),
        nb.Dense(3 * 4 * 3, 2),
    ]


def _seq_ln():
    # (n, T, D) input: each time step normalised over its D = 4 features; BatchNorm1D on (n, C, L)
    return [nb.LayerNorm(4), nb.BatchNorm1D(3), nb.Flatten(), nb.Dense(12, 2)]


def _ln_2d_shape():
    return [nb.LayerNorm((3, 4)), nb.Flatten(), nb.Dense(12, 2)]


NETS = {
    "mlp_bn": (_mlp_bn, (4,)),
    "mlp_ln": (_mlp_ln, (4,)),
    "residual_identity": (_residual_identity, (4,)),
    "residual_projection": (_residual_projection, (4,)),
    "conv_bn": (_conv_bn, (2, 4, 3)),
    "seq_ln": (_seq_ln, (3, 4)),
    "ln_2d_shape": (_ln_2d_shape, (3, 4)),
}


def _net(name, backend, dtype, seed=0):
    build, shape = NETS[name]
    return nb.Sequential(build(), backend=backend, seed=seed, dtype=dtype, input_shape=shape)


def _data(name, n=5, seed=1):
    _, shape = NETS[name]
    rng = np.random.default_rng(seed)
    x = 1.5 + 2.0 * rng.standard_normal((n,) + shape)  # a mean away from 0: normalising matters
    return x


def _norm_layers(net):
    """Every BatchNorm layer of ``net``, inside Residual blocks too."""
    out = []
    for layer in net.layers:
        for sub in layer.sublayers() if isinstance(layer, nb.Residual) else [layer]:
            if isinstance(sub, (nb.BatchNorm1D, nb.BatchNorm2D)):
                out.append(sub)
    return out


def _randomise_running_stats(net, seed=3):
    rng = np.random.default_rng(seed)
    for bn in _norm_layers(net):
        bn.running_mean = rng.standard_normal(bn.num_features)
        bn.running_var = rng.uniform(0.5, 2.0, bn.num_features)


# ---------------------------------------------------------------------------- finite differences
def _loss_and_grad(out, c):
    """L = sum(c * out) + 1/4 sum(out^2): a loss whose gradient is not constant (the sum of a
    batch-normalised output alone has zero gradient with respect to the input)."""
    return float(np.sum(c * out) + 0.25 * np.sum(out * out)), c + 0.5 * out


@pytest.mark.parametrize("training", [True, False], ids=["batch-stats", "running-stats"])
@pytest.mark.parametrize("name", list(NETS))
def test_reference_gradients_match_finite_differences(name, training):
    net = _net(name, "reference", np.float64)
    if not training:
        _randomise_running_stats(net)
    x = _data(name)
    c = np.random.default_rng(2).standard_normal(net.forward(x).shape)
    net.zero_grad()
    out = net.forward(x, training=training)
    dx = net.backward(_loss_and_grad(out, c)[1])

    def f():
        return _loss_and_grad(net.forward(x, training=training), c)[0]

    for p in net.parameters():
        num = numeric_grad(f, p.value)  # reference backend: p.value is the live array
        np.testing.assert_allclose(p.grad, num, rtol=1e-6, atol=1e-8, err_msg=p.name)
    np.testing.assert_allclose(dx, numeric_grad(f, x), rtol=1e-6, atol=1e-8, err_msg="dx")


def test_finite_differences_see_the_three_term_formula():
    """The check can fail: dropping the two batch-statistic terms of the backward (treating mean
    and variance as constants) gives an input gradient far from the finite differences."""
    ref = nb.get_backend("reference")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 1))
    g, b = rng.standard_normal(3), rng.standard_normal(3)
    c = rng.standard_normal(x.shape)

    def loss(xx):
        st = [np.empty(3), np.empty(3)]
        y = ref.batchnorm_forward(xx, g, b, np.zeros(3), np.ones(3), *st, 0.1, 1e-5, True)
        return _loss_and_grad(y, c), st

    (_, dy), st = loss(x)
    three = ref.batchnorm_backward(x, dy, g, *st, None, None, True)
    naive = ref.batchnorm_backward(x, dy, g, *st, None, None, False)
    num = numeric_grad(lambda: loss(x)[0][0], x)
    np.testing.assert_allclose(three, num, rtol=1e-6, atol=1e-8)
    assert np.abs(naive - num).max() > 1e-2


# ---------------------------------------------------------------------------- backends
def _run(net, x, c, training):
    net.zero_grad()
    out = net.forward(x, training=training)
    dx = net.backward(_loss_and_grad(out, c)[1])
    grads = {p.name: p.grad for p in net.parameters()}
    stats = {
        f"{i}.{k}": v
        for i, bn in enumerate(_norm_layers(net))
        for k, v in (("mean", bn.running_mean), ("var", bn.running_var))
    }
    return out, dx, grads, stats


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(NETS))
def test_backend_matches_reference(name, backend, dtype, monkeypatch):
    if backend == "cpu-threaded":  # the threaded kernels (one prange iteration per channel/row)
        from numbanet.backends._norm_ops import CPUNormOps

        monkeypatch.setattr(CPUNormOps, "_pick_norm", staticmethod(lambda pair, n: pair[1]))
        backend = "cpu"
    x = _data(name).astype(dtype)
    ref, dev = _net(name, "reference", dtype), _net(name, backend, dtype)
    c = np.random.default_rng(2).standard_normal(ref.forward(x).shape).astype(dtype)
    tol = _tol(dtype)
    for step in range(1 if backend == "cuda" else 2):  # the running statistics move each step
        want, got = _run(ref, x + step, c, True), _run(dev, x + step, c, True)
        for w, g, what in zip(want, got, ("y", "dx", "grads", "running stats")):
            if isinstance(w, dict):
                assert w.keys() == g.keys()
                for k in w:
                    np.testing.assert_allclose(g[k], w[k], err_msg=f"{what} {k}", **tol)
            else:
                np.testing.assert_allclose(g, w, err_msg=what, **tol)
    for w, g in zip(_run(ref, x, c, False)[:3], _run(dev, x, c, False)[:3]):  # evaluation mode
        if isinstance(w, dict):
            for k in w:
                np.testing.assert_allclose(g[k], w[k], err_msg=f"eval {k}", **tol)
        else:
            np.testing.assert_allclose(g, w, err_msg="eval", **tol)


def test_cuda_reductions_are_deterministic():
    """The same launch twice gives bitwise the same statistics and gradients (a tree in a fixed
    order, no atomics)."""
    x = _data("residual_identity", n=9).astype(np.float32)
    c = np.random.default_rng(2).standard_normal((9, 3)).astype(np.float32)
    runs = []
    for _ in range(2):
        net = _net("residual_identity", "cuda", np.float32)
        runs.append(_run(net, x, c, True))
    a, b = runs
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    for k in a[2]:
        np.testing.assert_array_equal(a[2][k], b[2][k])


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_two_pass_variance_survives_a_large_mean_in_float32(backend):
    """Features at 300 with a spread of 1e-3: E[x^2] - E[x]^2 loses every digit in float32
    (its rounding error is ~1e-2, the variance 1e-6); the two-pass variance keeps them, so the
    normalised output still has unit spread. A constant feature gives beta, not NaN."""
    rng = np.random.default_rng(0)
    n = 64
    x = np.empty((n, 2), np.float32)
    x[:, 0] = 300.0 + 1e-3 * rng.standard_normal(n)
    x[:, 1] = 7.25  # constant: variance 0, eps keeps 1 / sqrt(var + eps) finite
    net = nb.Sequential([nb.BatchNorm1D(2)], backend=backend, dtype=np.float32, seed=0)
    net.layers[0].beta.value = np.array([0.0, 0.5], np.float32)
    y = net.forward(x, training=True)
    x64 = x.astype(np.float64)
    want = (x64[:, 0] - x64[:, 0].mean()) / np.sqrt(x64[:, 0].var() + 1e-5)
    # float32 rounds the mean itself to a multiple of ulp(300) = 3e-5, up to 1.5 % of the spread:
    # the output may shift by that much, never by the orders of magnitude of a lost variance
    np.testing.assert_allclose(y[:, 0], want, atol=0.03)
    assert abs(float(y[:, 0].std()) - float(want.std())) < 0.01
    np.testing.assert_array_equal(y[:, 1], 0.5)
    dx = net.backward(np.ones_like(y))
    assert np.isfinite(dx).all()
    ln = nb.Sequential([nb.LayerNorm(64)], backend=backend, dtype=np.float32, seed=0)
    yl = ln.forward(x[:, 0][None, :], training=True)[0]
    np.testing.assert_allclose(yl, want, atol=0.03)
    assert abs(float(yl.std()) - float(want.std())) < 0.01


# ---------------------------------------------------------------------------- definitions
def test_running_statistics_follow_the_definitions():
    """r <- (1 - momentum) r + momentum * batch, with the batch's unbiased variance (ddof 1);
    the output is normalised with the biased one (ddof 0)."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((5, 3)) * [1, 2, 3] + [0, 1, -2], rng.standard_normal((5, 3))
    net = nb.Sequential(
        [nb.BatchNorm1D(3, momentum=0.25)], backend="reference", dtype=np.float64, seed=0
    )
    bn = net.layers[0]
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)
    y = net.forward(x1, training=True)
    np.testing.assert_allclose(y, (x1 - x1.mean(0)) / np.sqrt(x1.var(0) + 1e-5), atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.25 * x1.mean(0), atol=1e-15)
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * x1.var(0, ddof=1), atol=1e-15)
    rm, rv = bn.running_mean, bn.running_var
    net.forward(x2, training=True)
    np.testing.assert_allclose(bn.running_mean, 0.75 * rm + 0.25 * x2.mean(0), atol=1e-15)
    np.testing.assert_allclose(bn.running_var, 0.75 * rv + 0.25 * x2.var(0, ddof=1), atol=1e-15)
    # evaluation: the running statistics, not the batch's
    xe = rng.standard_normal((4, 3))
    ye = net.forward(xe, training=False)
    np.testing.assert_allclose(
        ye, (xe - bn.running_mean) / np.sqrt(bn.running_var + 1e-5), atol=1e-12
    )
    # momentum 0 freezes the estimates, momentum 1 keeps only the last batch
    for mom, want_m in ((0.0, bn.running_mean), (1.0, x1.mean(0))):
        bn.momentum = mom
        before = bn.running_mean
        net.forward(x1, training=True)
        np.testing.assert_allclose(bn.running_mean, before if mom == 0 else want_m, atol=1e-15)


def test_eval_mode_treats_examples_independently():
    """In evaluation one example's output does not depend on the rest of the batch (and a batch
    of one is fine); in training it does."""
    net = _net("mlp_bn", "cpu", np.float64)
    _randomise_running_stats(net)
    x = _data("mlp_bn", n=6)
    alone = np.concatenate([net.forward(x[i : i + 1], training=False) for i in range(6)])
    np.testing.assert_allclose(net.forward(x, training=False), alone, atol=1e-13)
    np.testing.assert_allclose(net.predict(x), alone, atol=1e-13)  # predict is evaluation
    assert (
        np.abs(net.forward(x[:3], training=True) - net.forward(x, training=True)[:3]).max() > 1e-3
    )


def _torch_tensor(a, grad=False):
    import torch

    t = torch.tensor(np.asarray(a, dtype=np.float64))
    return t.requires_grad_(grad)


@pytest.mark.parametrize("kind", ["1d", "1d_seq", "2d"])
def test_batchnorm_matches_pytorch(kind):
    """Three training steps then evaluation: outputs, input and parameter gradients, running
    statistics, against torch.nn.BatchNorm1d / BatchNorm2d in float64."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    shape = {"1d": (6, 4), "1d_seq": (5, 4, 3), "2d": (3, 4, 3, 2)}[kind]
    layer = (
        nb.BatchNorm2D(4, momentum=0.2, eps=1e-3)
        if kind == "2d"
        else nb.BatchNorm1D(4, momentum=0.2, eps=1e-3)
    )
    net = nb.Sequential([layer], backend="cpu", dtype=np.float64, seed=0)
    tl = (torch.nn.BatchNorm2d if kind == "2d" else torch.nn.BatchNorm1d)(
        4, momentum=0.2, eps=1e-3
    ).double()
    gamma, beta = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    layer.gamma.value, layer.beta.value = gamma, beta
    with torch.no_grad():
        tl.weight.copy_(_torch_tensor(gamma))
        tl.bias.copy_(_torch_tensor(beta))
    for step in range(3):
        x = 3 * rng.standard_normal(shape) + step
        dy = rng.standard_normal(shape)
        net.zero_grad()
        y = net.forward(x, training=True)
        dx = net.backward(dy)
        tl.train()
        tl.zero_grad()
        xt = _torch_tensor(x, grad=True)
        yt = tl(xt)
        yt.backward(_torch_tensor(dy))
        np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-11)
        np.testing.assert_allclose(layer.gamma.grad, tl.weight.grad.numpy(), atol=1e-11)
        np.testing.assert_allclose(layer.beta.grad, tl.bias.grad.numpy(), atol=1e-11)
        np.testing.assert_allclose(layer.running_mean, tl.running_mean.numpy(), atol=1e-13)
        np.testing.assert_allclose(layer.running_var, tl.running_var.numpy(), atol=1e-13)
    tl.eval()
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(shape)
    net.zero_grad()
    y = net.forward(x, training=False)
    dx = net.backward(dy)
    xt = _torch_tensor(x, grad=True)
    tl.zero_grad()
    yt = tl(xt)
    yt.backward(_torch_tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.gamma.grad, tl.weight.grad.numpy(), atol=1e-11)


def test_layernorm_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x, dy = rng.standard_normal((4, 3, 5)) * 2 + 1, rng.standard_normal((4, 3, 5))
    net = nb.Sequential([nb.LayerNorm((3, 5), eps=1e-4)], backend="cpu", dtype=np.float64)
    gamma, beta = rng.uniform(0.5, 2, (3, 5)), rng.standard_normal((3, 5))
    ln = net.layers[0]
    ln.gamma.value, ln.beta.value = gamma, beta
    y = net.forward(x, training=True)
    dx = net.backward(dy)
    xt, gt, bt = _torch_tensor(x, True), _torch_tensor(gamma, True), _torch_tensor(beta, True)
    yt = torch.nn.functional.layer_norm(xt, (3, 5), gt, bt, eps=1e-4)
    yt.backward(_torch_tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-11)
    np.testing.assert_allclose(ln.gamma.grad, gt.grad.numpy(), atol=1e-11)
    np.testing.assert_allclose(ln.beta.grad, bt.grad.numpy(), atol=1e-11)


# ---------------------------------------------------------------------------- Residual
def test_residual_adds_the_skip_path_and_splits_the_gradient():
    """y = x + f(x) and dx = dy + J_f^T dy: with f's last weights at zero, f(x) = b and the whole
    gradient passes the identity path unchanged."""
    res = nb.Residual([nb.Dense(3, 3), nb.ReLU(), nb.Dense(3, 3)])
    net = nb.Sequential([res], backend="cpu", dtype=np.float64, seed=0)
    last = res.block[2]
    last.W.value = np.zeros((3, 3))
    last.b.value = np.array([1.0, -2.0, 0.5])
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(net.forward(x, training=True), x + last.b.value)
    dy = np.random.default_rng(1).standard_normal((4, 3))
    np.testing.assert_allclose(net.backward(dy), dy)
    np.testing.assert_allclose(last.b.grad, dy.sum(0))


def test_residual_parameters_live_in_the_flat_buffer():
    net = _net("residual_projection", "cpu", np.float64)
    res = net.layers[0]
    names = [p.name for p in net.parameters()]
    assert names[:6] == ["0.0.W", "0.0.b", "0.1.gamma", "0.1.beta", "0.3.W", "0.3.b"]
    assert "0.proj.W" in names and all(p.layer is res for p in res.parameters())
    flat = net.get_flat()
    assert flat.size == net.n_params() == sum(p.size for p in net.parameters())
    for p in net.parameters():  # every parameter, inner ones included, is a view of the buffer
        o = net.offset_of(p)
        np.testing.assert_array_equal(flat[o : o + p.size], p.value.ravel())
    res.block[0].W.value = np.full((6, 4), 0.5)  # writing the inner layer writes the model's buffer
    o = net.offset_of(res.block[0].W)
    np.testing.assert_array_equal(net.get_flat()[o : o + 24], 0.5)
    assert net.dense_stack() is None  # the fused dense path is not for these nets
    for name in ("mlp_bn", "mlp_ln", "conv_bn"):
        assert _net(name, "cpu", np.float64).dense_stack() is None


def test_summary_and_repr_show_the_block():
    net = _net("residual_projection", "cpu", np.float32)
    text = net.summary(print_fn=None)
    assert (
        "Residual([Dense(4, 6), LayerNorm(6), Tanh(), Dense(6, 5)], projection=Dense(4, 5))" in text
    )
    assert f"{net.layers[0].n_params():,}" in text
    assert net.layers[0].n_params() == 4 * 6 + 6 + 2 * 6 + 6 * 5 + 5 + 4 * 5
    assert f"Total params: {net.n_params():,}" in text
    assert repr(nb.BatchNorm1D(8, momentum=0.2)) == "BatchNorm1D(8, momentum=0.2)"


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_fit_trains_residual_and_normalised_nets(backend):
    """Through the public API (fit, predict, evaluate): the loss falls and evaluation runs with
    the running statistics."""
    rng = np.random.default_rng(0)
    n = 24 if backend == "cpu" else 8
    x = rng.standard_normal((n, 4))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
    net = nb.Sequential(
        [
            nb.Dense(4, 8),
            nb.BatchNorm1D(8),
            nb.ReLU(),
            nb.Residual([nb.Dense(8, 8), nb.LayerNorm(8), nb.ReLU(), nb.Dense(8, 8)]),
            nb.ReLU(),
            nb.Dense(8, 2),
        ],
        backend=backend,
        seed=0,
    )
    epochs = 30 if backend == "cpu" else 2
    h = net.fit(
        x,
        y,
        optimizer="adam",
        lr=0.02,
        epochs=epochs,
        batch_size=8 if backend == "cpu" else 4,
        seed=0,
    )
    assert h["loss"][-1] < h["loss"][0]
    assert np.abs(net.layers[1].running_mean).max() > 0  # moved by training
    assert net.predict(x).shape == (n, 2)
    if backend == "cpu":
        assert net.evaluate(x, y)["accuracy"] > 0.8


def test_freezing_stops_gamma_and_beta_but_not_the_gradient():
    net = _net("residual_identity", "cpu", np.float64)
    res = net.layers[2]
    res.freeze()
    assert all(not p.trainable for p in res.parameters())
    x = _data("residual_identity")
    net.zero_grad()
    out = net.forward(x, training=True)
    net.backward(np.ones_like(out) + out)
    assert all(np.all(p.grad == 0) for p in res.parameters())
    assert np.abs(net.layers[0].W.grad).max() > 0  # the gradient went through the frozen block


# ---------------------------------------------------------------------------- state
def test_checkpoint_round_trip_keeps_running_statistics(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    net = _net("residual_identity", "cpu", np.float32)
    opt = nb.optim.Adam(net.parameters(), lr=0.01)
    h = net.fit(x, y, optimizer=opt, epochs=2, batch_size=5, seed=0)
    path = tmp_path / "bn.npz"
    nb.checkpoint.save(path, net, opt, h)
    ck = nb.checkpoint.load(path, backend="cpu")
    bn, bn2 = _norm_layers(net)[0], _norm_layers(ck.model)[0]
    assert np.abs(bn.running_mean).max() > 0
    np.testing.assert_array_equal(bn2.running_mean, bn.running_mean)
    np.testing.assert_array_equal(bn2.running_var, bn.running_var)
    np.testing.assert_array_equal(ck.model.predict(x), net.predict(x))
    assert ck.meta["architecture"]["layers"][2]["buffers"] == {
        "1.running_mean": [5],
        "1.running_var": [5],
    }
    # loading into an existing model restores the statistics too
    other = _net("residual_identity", "cuda", np.float32, seed=9)
    nb.checkpoint.load(path, model=other)
    np.testing.assert_array_equal(_norm_layers(other)[0].running_var, bn.running_var)
    np.testing.assert_allclose(other.predict(x), net.predict(x), rtol=1e-5, atol=1e-6)
    # the statistics are checked like parameters: a model without them is refused
    plain = nb.Sequential(
        [
            nb.Dense(4, 5),
            nb.Tanh(),
            nb.Residual([nb.Dense(5, 5), nb.Tanh(), nb.Dense(5, 5)]),
            nb.Dense(5, 3),
        ],
        backend="cpu",
    )
    with pytest.raises(nb.CheckpointError):
        nb.checkpoint.load(path, model=plain)


def test_a_checkpoint_with_non_finite_running_statistics_is_refused(tmp_path):
    net = _net("mlp_bn", "cpu", np.float64)
    path = tmp_path / "bn.npz"
    nb.checkpoint.save(path, net)
    bad = dict(np.load(path, allow_pickle=False))
    bad["buffer/1.running_var"] = np.array([np.nan] * 6)
    import json

    from numbanet.checkpoint import _checksum

    meta = json.loads(str(bad.pop("__meta__")))
    meta["checksum"] = _checksum(bad)
    np.savez(tmp_path / "bad.npz", __meta__=np.array(json.dumps(meta)), **bad)
    with pytest.raises(nb.CheckpointError, match="buffer 1.running_var"):
        nb.checkpoint.load(tmp_path / "bad.npz")


def test_clone_copies_the_running_statistics():
    net = _net("mlp_bn", "cpu", np.float32)
    net.forward(_data("mlp_bn"), training=True)
    twin = net.clone(backend="reference", dtype=np.float64)
    a, b = net.layers[1], twin.layers[1]
    np.testing.assert_allclose(b.running_var, a.running_var, rtol=1e-7)
    twin.forward(_data("mlp_bn") * 3, training=True)  # the clone's statistics are its own
    assert np.abs(b.running_var - a.running_var).max() > 1e-3


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nb.BatchNorm1D(4, eps=-1e-5), "eps must be > 0"),
        (lambda: nb.BatchNorm1D(4, eps=0.0), "eps must be > 0"),
        (lambda: nb.BatchNorm2D(4, eps=float("nan")), "eps must be a finite number"),
        (lambda: nb.BatchNorm1D(4, momentum=-0.1), r"momentum must be in \[0, 1\]"),
        (lambda: nb.BatchNorm1D(4, momentum=1.5), r"momentum must be in \[0, 1\]"),
        (lambda: nb.BatchNorm2D(4, momentum=float("inf")), "momentum must be a number"),
        (lambda: nb.BatchNorm1D(4, momentum=True), "momentum must be a number"),
        (lambda: nb.BatchNorm1D(0), "num_features must be >= 1"),
        (lambda: nb.BatchNorm1D(2.5), "num_features must be an integer"),
        (lambda: nb.LayerNorm(0), r"normalized_shape\[0\] must be >= 1"),
        (lambda: nb.LayerNorm("x"), "normalized_shape must be"),
        (lambda: nb.LayerNorm(4, eps=-1), "eps must be > 0"),
        (lambda: nb.Residual([]), "at least one layer"),
        (lambda: nb.Residual([nb.Dense(4, 6), nb.ReLU()]), r"projection=nb.Dense\(4, 6"),
        (lambda: nb.Residual(["dense"]), "must be a numbanet layer"),
        (lambda: nb.Residual([nb.ReLU()], projection=3), "must be a numbanet layer"),
    ],
)
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(ValidationError, match=match):
        make()


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_a_batch_of_one_in_training_mode_is_refused(backend):
    net = nb.Sequential([nb.Dense(3, 4), nb.BatchNorm1D(4)], backend=backend, seed=0)
    x = np.ones((1, 3), np.float32)
    with pytest.raises(ValidationError, match="at least 2 values per channel"):
        net.forward(x, training=True)
    assert net.forward(x, training=False).shape == (1, 4)  # evaluation is fine
    with pytest.raises(ValidationError, match="at least 2 values per channel"):
        net.fit(np.ones((5, 3)), np.ones((5, 4)), loss="mse", batch_size=4, epochs=1)
    # BatchNorm2D: one example still has H x W values per channel
    bn2 = nb.Sequential([nb.BatchNorm2D(2)], backend=backend, input_shape=(2, 2, 2))
    assert np.isfinite(bn2.forward(np.arange(8.0).reshape(1, 2, 2, 2), training=True)).all()


@pytest.mark.parametrize(
    "layers, shape, match",
    [
        ([nb.BatchNorm1D(3)], (5, 4), r"BatchNorm1D\(3\) expects inputs of shape \(n, C\)"),
        (
            [nb.BatchNorm2D(3)],
            (5, 3, 4),
            r"BatchNorm2D\(3\) expects inputs of shape \(n, C, H, W\)",
        ),
        ([nb.BatchNorm2D(3)], (5, 2, 4, 4), "got examples of shape"),
        ([nb.LayerNorm(4)], (5, 3), r"LayerNorm\(4\) expects inputs whose last axes are \(4,\)"),
    ],
)
def test_wrong_feature_counts_are_refused(layers, shape, match):
    net = nb.Sequential(layers, backend="cpu")
    with pytest.raises(ValidationError, match=match):
        net.forward(np.ones(shape, np.float32), training=True)


def test_a_residual_shape_mismatch_found_at_shape_inference_is_explained():
    block = [nb.Conv2D(1, 2, 3, padding="same")]  # widths unknown until the input shape is
    with pytest.raises(ValidationError, match="skip path gives"):
        nb.Sequential([nb.Residual(block)], backend="cpu", input_shape=(1, 5, 5))
    net = nb.Sequential(
        [nb.Residual([nb.Conv2D(1, 2, 3, padding="same")], projection=nb.Conv2D(1, 2, 1))],
        backend="cpu",
        input_shape=(1, 5, 5),
    )
    assert net.output_shape == (2, 5, 5)


def test_running_statistics_assignment_is_checked():
    net = _net("mlp_bn", "cpu", np.float32)
    bn = net.layers[1]
    with pytest.raises(ValidationError, match="shape"):
        bn.running_mean = np.zeros(5)
    with pytest.raises(ValidationError, match=">= 0"):
        bn.running_var = -np.ones(6)
    with pytest.raises(ValidationError, match="not part of a model"):
        nb.BatchNorm1D(3).running_mean  # noqa: B018
