"""Dense networks: gradient checks of every activation and loss (reference, float64, against
central finite differences) and agreement of the CPU and simulated CUDA backends with the
reference (1e-5 in float32, 1e-10 in float64)."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import config
from numbanet import losses as L
from tests.gradcheck import check_model_grads

ACTS = [
    ("identity", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("relu", {}),
    ("leaky_relu", {"alpha": 0.1}),
    ("prelu", {"num_parameters": 7}),
    ("elu", {"alpha": 0.7}),
    ("softplus", {}),
    ("gelu", {}),
    ("silu", {}),
    ("softmax", {}),
]

LOSSES = [
    (L.MSE("half_sum"), "float"),
    (L.MSE("mean"), "float"),
    (L.BCE(), "prob"),
    (L.BCEWithLogits(), "prob"),
    (L.MultiLabelBCE(), "prob"),
    (L.SigmoidCrossEntropy(), "labels"),
    (L.CrossEntropy(), "labels"),
    (L.CrossEntropy(), "onehot"),
]


def _targets(kind, rng, n, k):
    if kind == "float":
        return rng.standard_normal((n, k))
    if kind == "prob":
        return rng.uniform(0, 1, (n, k))
    labels = rng.integers(0, k, n)
    if kind == "labels":
        return labels
    return np.eye(k)[labels]


def _net(act, kw, backend="reference", dtype=np.float64, seed=3):
    return nb.Sequential(
        [nb.Dense(5, 7), nb.nn.activation(act, **kw), nb.Dense(7, 3)],
        backend=backend,
        dtype=dtype,
        seed=seed,
    )


def _x(rng, n=4, d=5):
    # keep pre-activations away from the ReLU kink, where finite differences are undefined
    return rng.standard_normal((n, d)) * 1.3


@pytest.mark.parametrize("act,kw", ACTS, ids=[a for a, _ in ACTS])
def test_activation_gradients_match_finite_differences(act, kw, rng):
    net = _net(act, kw)
    y = rng.standard_normal((4, 3))
    check_model_grads(net, _x(rng), y, L.MSE(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss,kind", LOSSES, ids=[f"{type(lo).__name__}-{k}" for lo, k in LOSSES])
def test_loss_gradients_match_finite_differences(loss, kind, rng):
    last = nb.Sigmoid() if isinstance(loss, L.BCE) else nb.Identity()
    net = nb.Sequential(
        [nb.Dense(5, 6), nb.Tanh(), nb.Dense(6, 3), last],
        backend="reference",
        dtype=np.float64,
        seed=1,
    )
    y = _targets(kind, rng, 4, 3)
    check_model_grads(net, _x(rng), y, loss, rtol=1e-6, atol=1e-8)


def test_loss_values_by_hand():
    """Each loss against a value worked out by hand."""
    p = np.array([[0.2, 0.8]])
    y = np.array([[0.0, 1.0]])
    assert L.MSE().forward(p, y) == pytest.approx(0.5 * (0.04 + 0.04))
    assert L.MSE("mean").forward(p, y) == pytest.approx(0.04)
    assert L.BCE().forward(p, y) == pytest.approx(-np.log(0.8))
    z = np.array([[1.0, 2.0, 3.0]])
    expect = -np.log(np.exp(3) / np.exp([1, 2, 3]).sum())
    ce = L.CrossEntropy()
    assert ce.forward(z, np.array([2])) == pytest.approx(expect)
    np.testing.assert_allclose(ce.backward(), np.exp(z) / np.exp(z).sum() - [0, 0, 1], rtol=1e-12)
    # mean over the batch: two copies of the same row give the same value
    assert ce.forward(np.vstack([z, z]), np.array([2, 2])) == pytest.approx(expect)


def test_sigmoid_cross_entropy_delta_is_a_minus_y():
    loss = L.SigmoidCrossEntropy()
    z = np.array([[0.3, -1.2, 2.0]])
    y = np.array([[1.0, 0.0, 0.0]])
    loss.forward(z, y)
    a = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(loss.backward(), a - y, rtol=1e-12)


def _run_pass(net, x, y, loss):
    out = net.forward(x, training=True)
    value = loss.forward(out, y) if isinstance(loss, L.Loss) else None
    net.zero_grad()
    dx = net.backward(loss.backward())
    return out, value, dx, [p.grad.copy() for p in net.parameters()]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-10)], ids=["f32", "f64"])
@pytest.mark.parametrize("act,kw", ACTS, ids=[a for a, _ in ACTS])
def test_cpu_matches_reference(act, kw, dtype, tol, rng):
    x = _x(rng, 3, 5)
    y = rng.integers(0, 3, 3)
    ref = _net(act, kw, "reference", dtype)
    cpu = ref.clone(backend="cpu")
    a = _run_pass(ref, x, y, L.CrossEntropy())
    b = _run_pass(cpu, x, y, L.CrossEntropy())
    np.testing.assert_allclose(b[0], a[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(b[2], a[2], rtol=tol, atol=tol)
    for ga, gb in zip(a[3], b[3]):
        np.testing.assert_allclose(gb, ga, rtol=tol, atol=tol)


CUDA_ACTS = [
    ("sigmoid", {}),
    ("relu", {}),
    ("prelu", {"num_parameters": 1}),
    ("gelu", {}),
    ("elu", {"alpha": 0.5}),
    ("softmax", {}),
]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-10)], ids=["f32", "f64"])
@pytest.mark.parametrize("act,kw", CUDA_ACTS, ids=[a for a, _ in CUDA_ACTS])
def test_cuda_simulator_matches_reference(act, kw, dtype, tol, rng):
    x = _x(rng, 3, 5)
    y = rng.integers(0, 3, 3)
    ref = _net(act, kw, "reference", dtype)
    cu = ref.clone(backend="cuda")
    a = _run_pass(ref, x, y, L.CrossEntropy())
    b = _run_pass(cu, x, y, L.CrossEntropy())
    np.testing.assert_allclose(b[0], a[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(b[2], a[2], rtol=tol, atol=tol)
    for ga, gb in zip(a[3], b[3]):
        np.testing.assert_allclose(gb, ga, rtol=tol, atol=tol)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("loss,kind", LOSSES[:6], ids=[type(lo).__name__ for lo, _ in LOSSES[:6]])
def test_loss_kernels_match_reference(backend, loss, kind, rng):
    """Every backend's loss kernels (value and gradient) against the reference."""
    be = nb.get_backend(backend)
    ref = nb.get_backend("reference")
    n, k = 3, 7
    pred = (
        rng.uniform(0.05, 0.95, (n, k)) if isinstance(loss, L.BCE) else rng.standard_normal((n, k))
    )
    t = loss.prepare_target(_targets(kind, rng, n, k), k, np.float64, n_rows=n)
    v_ref, g_ref = loss.compute(ref, pred, t)
    v, g = loss.compute(be, be.asarray(pred, np.float64), be.asarray(t, t.dtype))
    assert v == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(be.to_numpy(g), g_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_xent_label_kernels_match_reference(backend, rng):
    be = nb.get_backend(backend)
    ref = nb.get_backend("reference")
    z = rng.standard_normal((3, 7))
    labels = np.array([0, 6, 3])
    v_ref, g_ref = ref.xent_labels(z, labels, 1 / 3)
    v, g = be.xent_labels(be.asarray(z, np.float64), be.asarray(labels, np.int64), 1 / 3)
    assert v == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(be.to_numpy(g), g_ref, rtol=1e-10, atol=1e-12)


def test_cuda_training_matches_reference(rng):
    """Two epochs of minibatch SGD on the simulated GPU give the reference's weights."""
    x = rng.standard_normal((5, 4))
    y = rng.integers(0, 3, 5)
    ref = nb.Sequential(
        [nb.Dense(4, 6), nb.Tanh(), nb.Dense(6, 3), nb.Softmax()],
        backend="reference",
        dtype=np.float64,
        seed=2,
    )
    cu = ref.clone(backend="cuda")
    h1 = ref.fit(x, y, loss="cross_entropy", lr=0.3, epochs=2, batch_size=3, seed=0)
    h2 = cu.fit(x, y, loss="cross_entropy", lr=0.3, epochs=2, batch_size=3, seed=0)
    np.testing.assert_allclose(cu.get_flat(), ref.get_flat(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h2["loss"], h1["loss"], rtol=1e-10)


def test_sgd_update_kernels_match_reference(rng):
    for name in ("cpu", "cuda"):
        be = nb.get_backend(name)
        p = rng.standard_normal(11)
        g = rng.standard_normal(11)
        expect = 0.9 * p - 0.1 * g
        pd = be.asarray(p, np.float64)
        be.sgd_update(pd, be.asarray(g, np.float64), 0.1, 0.9)
        np.testing.assert_allclose(be.to_numpy(pd), expect, rtol=1e-14)


def test_parameters_in_layer_order_w_then_b():
    net = nb.Sequential([nb.Dense(3, 4), nb.ReLU(), nb.Dense(4, 2)], backend="cpu", seed=0)
    shapes = [p.shape for p in net.parameters()]
    assert shapes == [(4, 3), (4,), (2, 4), (2,)]
    assert [p.kind for p in net.parameters()] == ["weight", "bias", "weight", "bias"]
    assert net.n_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_dense_forward_is_x_wt_plus_b(rng):
    net = nb.Sequential([nb.Dense(3, 2)], backend="cpu", seed=0, dtype=np.float64)
    W, b = net.layers[0].W.value, net.layers[0].b.value
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(net.forward(x), x @ W.T + b, rtol=1e-12)


def test_same_seed_same_weights_and_training():
    def run():
        rng = np.random.default_rng(0)
        x = rng.standard_normal((64, 5)).astype(np.float32)
        y = rng.integers(0, 3, 64)
        net = nb.Sequential([nb.Dense(5, 8), nb.ReLU(), nb.Dense(8, 3)], backend="cpu", seed=7)
        net.fit(x, y, loss="cross_entropy", lr=0.1, epochs=3, batch_size=8, seed=1)
        return net.get_flat()

    np.testing.assert_array_equal(run(), run())


def test_nielsen_init_statistics():
    net = nb.Sequential([nb.Dense(400, 300, init="nielsen")], backend="reference", seed=0)
    W, b = net.layers[0].W.value, net.layers[0].b.value
    assert W.var() == pytest.approx(1 / 400, rel=0.03)  # 120,000 draws: 3 % is ~7 std errors
    assert b.var() == pytest.approx(1.0, rel=0.25)  # 300 draws of N(0, 1)


def test_xor_is_learned():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0])
    net = nb.Sequential([nb.Dense(2, 8), nb.Tanh(), nb.Dense(8, 2)], backend="cpu", seed=0)
    net.fit(x, y, loss="cross_entropy", lr=0.5, epochs=400, batch_size=4, seed=0)
    assert (net.predict_classes(x) == y).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_dense_large_products_take_the_blas_path_and_accumulate(dtype):
    """Above BLAS_MIN_MACS the CPU backend calls BLAS from Python; dW and db still accumulate."""
    from numbanet.backends import get_backend

    rng = np.random.default_rng(3)
    m, d_in, d_out = 64, 128, 130
    assert m * d_in * d_out >= config.BLAS_MIN_MACS
    x, W = rng.normal(size=(m, d_in)).astype(dtype), rng.normal(size=(d_out, d_in)).astype(dtype)
    b, dz = rng.normal(size=d_out).astype(dtype), rng.normal(size=(m, d_out)).astype(dtype)
    cpu, ref = get_backend("cpu"), get_backend("reference")
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(cpu.dense_forward(x, W, b), x @ W.T + b, rtol=tol, atol=tol)
    buf = np.full(W.size + d_out, 0.5, dtype)  # parameters live in one flat buffer
    dW, db = buf[: W.size].reshape(W.shape), buf[W.size :]
    dW2, db2 = np.full_like(W, 0.5), np.full(d_out, 0.5, dtype)
    dx = cpu.dense_backward(x, W, dz, dW, db)
    dx2 = ref.dense_backward(x, W, dz, dW2, db2)
    np.testing.assert_allclose(dW, 0.5 + dz.T @ x, rtol=tol, atol=tol * m)
    np.testing.assert_allclose(dW, dW2, rtol=tol, atol=tol * m)
    np.testing.assert_allclose(db, db2, rtol=tol, atol=tol * m)
    np.testing.assert_allclose(dx, dx2, rtol=tol, atol=tol * m)
    assert cpu.dense_backward(x, W, dz, dW, db, need_dx=False) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_dense_products_through_numpys_gemm_in_numba(dtype, monkeypatch):
    """From BLAS_MIN_MACS up a dense layer's products run in kernels/cpu/blas.py
    (config.DENSE_SPLIT): on the calling thread below DENSE_THREADS_MIN_MACS, cut over Numba's
    threads above. The right twin is taken, and forward, dW, db (accumulated into a flat
    buffer) and dx equal NumPy's and the BLAS-from-Python path's, with and without the input
    gradient, for batches that do not divide evenly (and one row)."""
    import numba

    from numbanet.backends import _blas, get_backend
    from numbanet.kernels.cpu import blas as KB

    if _blas.numpy_gemm(dtype)[0] == 0 or numba.get_num_threads() < 2:
        pytest.skip("NumPy's cblas_?gemm not found, or one Numba thread")
    cpu = get_backend("cpu")
    calls = []
    for name in ("dense_forward", "dense_backward"):
        twins = tuple(
            (lambda *a, _fn=fn, _n=(name, par): calls.append(_n) or _fn(*a))
            for par, fn in enumerate(getattr(KB, name))
        )
        monkeypatch.setattr(KB, name, twins)
    tol = 2e-4 if dtype == np.float32 else 1e-11
    rng = np.random.default_rng(5)
    for m, d_in, d_out in ((40, 100, 100), (131, 190, 170), (1, 2100, 2000), (3, 1500, 999)):
        macs = m * d_in * d_out
        assert macs >= config.BLAS_MIN_MACS
        par = int(macs >= config.DENSE_THREADS_MIN_MACS)
        x, W = (
            rng.normal(size=(m, d_in)).astype(dtype),
            rng.normal(size=(d_out, d_in)).astype(dtype),
        )
        b, dz = rng.normal(size=d_out).astype(dtype), rng.normal(size=(m, d_out)).astype(dtype)
        got = {}
        for split in (True, False):
            monkeypatch.setattr(config, "DENSE_SPLIT", split)
            calls.clear()
            z = cpu.dense_forward(x, W, b)
            buf = np.full(W.size + d_out, 0.5, dtype)  # parameters live in one flat buffer
            dW, db = buf[: W.size].reshape(W.shape), buf[W.size :]
            dx = cpu.dense_backward(x, W, dz, dW, db)
            buf2 = np.full(W.size + d_out, 0.5, dtype)
            dW2, db2 = buf2[: W.size].reshape(W.shape), buf2[W.size :]
            assert cpu.dense_backward(x, W, dz, dW2, db2, need_dx=False) is None
            want = [("dense_forward", par)] + [("dense_backward", par)] * 2 if split else []
            assert calls == want, (split, calls)
            got[split] = (z, dW, db, dx, dW2, db2)
        scale = np.sqrt(max(m, d_in, d_out))
        ref = (
            x @ W.T + b,
            0.5 + dz.T @ x,
            0.5 + dz.sum(0),
            dz @ W,
            0.5 + dz.T @ x,
            0.5 + dz.sum(0),
        )
        for a, c, r in zip(got[True], got[False], ref):
            np.testing.assert_allclose(a, r, rtol=tol, atol=tol * scale)
            np.testing.assert_allclose(a, c, rtol=tol, atol=tol * scale)


def test_dense_products_inside_deterministic_are_cut_as_on_one_thread(monkeypatch):
    """Inside numbanet.deterministic() (nested too) the dense kernels get the pieces of one
    thread (the forward whole, the backward dW beside dx), so the numbers do not depend on the
    thread count; outside, one piece per Numba thread again."""
    import numba

    from numbanet.backends import _blas, get_backend
    from numbanet.kernels.cpu import blas as KB

    if _blas.numpy_gemm(np.float32)[0] == 0 or numba.get_num_threads() < 2:
        pytest.skip("NumPy's cblas_sgemm not found, or one Numba thread")
    seen = []
    for name in ("dense_forward", "dense_backward"):
        twins = tuple(
            (lambda *a, _fn=fn, _k=(name, par): seen.append((*_k, a[-1])) or _fn(*a))
            for par, fn in enumerate(getattr(KB, name))
        )
        monkeypatch.setattr(KB, name, twins)
    cpu = get_backend("cpu")
    rng = np.random.default_rng(2)
    m, d_in, d_out = 64, 200, 150
    assert m * d_in * d_out >= config.DENSE_THREADS_MIN_MACS
    x, W = (
        rng.normal(size=(m, d_in)).astype(np.float32),
        rng.normal(size=(d_out, d_in)).astype(np.float32),
    )
    b, dz = np.zeros(d_out, np.float32), rng.normal(size=(m, d_out)).astype(np.float32)

    def step():
        seen.clear()
        z = cpu.dense_forward(x, W, b)
        dx = cpu.dense_backward(x, W, dz, np.zeros_like(W), np.zeros_like(b))
        return list(seen), z, dx

    P = numba.get_num_threads()
    free, z0, dx0 = step()
    assert free == [("dense_forward", 1, P), ("dense_backward", 1, P)]
    with nb.deterministic():
        with nb.deterministic():
            inner, z1, dx1 = step()
        outer, _, _ = step()
    assert inner == outer == [("dense_forward", 0, 1), ("dense_backward", 1, 1)]
    assert step()[0] == free
    np.testing.assert_allclose(z1, z0, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(dx1, dx0, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("pieces", [1, 2, 3, 4])
def test_dense_split_kernels_for_any_number_of_pieces(pieces):
    """The kernels cut the work into any number of pieces (one per thread; with the input
    gradient two at least, run one after the other on one thread): every element is written
    once, whatever the cut."""
    from numbanet.backends import _blas
    from numbanet.kernels.cpu import blas as KB

    fp, ilp = _blas.numpy_gemm(np.float64)
    if fp == 0:
        pytest.skip("NumPy's cblas_dgemm not found")
    rng = np.random.default_rng(pieces)
    m, d_in, d_out = 7, 5, 9
    x, W = rng.normal(size=(m, d_in)), rng.normal(size=(d_out, d_in))
    b, dz = rng.normal(size=d_out), rng.normal(size=(m, d_out))
    z = np.full((m, d_out), np.nan)
    KB.dense_forward[pieces > 1](fp, ilp, x, W, b, z, pieces)
    np.testing.assert_allclose(z, x @ W.T + b, rtol=1e-12, atol=1e-12)
    for need_dx in (False, True):
        dW, db = np.ones_like(W), np.ones(d_out)
        dx = np.full((m, d_in), np.nan) if need_dx else np.empty((0, 0))
        KB.dense_backward[pieces > 1](fp, ilp, x, W, dz, dW, db, dx, need_dx, pieces)
        np.testing.assert_allclose(dW, 1 + dz.T @ x, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(db, 1 + dz.sum(0), rtol=1e-12, atol=1e-12)
        if need_dx:
            np.testing.assert_allclose(dx, dz @ W, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_manual_training_loop_of_the_readme(backend, dtype, rng):
    """forward -> loss.forward -> net.backward(loss.backward()) -> step on a model of either dtype:
    the loss hands the gradient back in the prediction's dtype, and one step lowers the loss."""
    net = nb.Sequential(
        [nb.Dense(5, 8), nb.Tanh(), nb.Dense(8, 3)], backend=backend, seed=0, dtype=dtype
    )
    x = rng.standard_normal((16, 5)).astype(dtype)
    y = rng.integers(0, 3, 16)
    loss = L.CrossEntropy()
    opt = nb.optim.SGD(net.parameters(), lr=0.5)
    before = loss.forward(net.forward(x, training=True), y)
    g = loss.backward()
    assert g.dtype == dtype and g.shape == (16, 3)
    opt.zero_grad()
    net.backward(g)
    opt.step()
    after = loss.forward(net.forward(x, training=False), y)
    assert after < before
