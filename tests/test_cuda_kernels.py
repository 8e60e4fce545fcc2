"""The simulator lane, kernel by kernel: every CUDA kernel, in float32 and in float64, against the
reference backend, through the backend op that launches it (tiny shapes: the simulator runs each
CUDA thread in Python).

While the ops run, every kernel launch is recorded with the numba types of its arguments. The
last test checks that the recorded signatures are exactly the ``PTX_SIGNATURES`` that the PTX lane
compiles (and checks for FP64): the PTX lane tests the code a GPU would run, not a neighbour.

Kernels refuse host arrays: a NumPy array handed to a CUDA op raises ``DTypeError`` instead of
being copied to the device and back at every launch.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

from numbanet import _cuda
from numbanet.backends import get_backend
from numbanet.errors import DTypeError
from numbanet.kernels import scalar as S

DTYPES = [np.float32, np.float64]

#: (module, kernel) -> set of argument-type tuples, filled by every launch in this module
LAUNCHED: dict[tuple[str, str], set] = {}
#: (case, dtype name) pairs already run (the last test runs the others)
DONE: set[tuple[str, str]] = set()


def _numba_type(a):
    import numba

    host = getattr(a, "_ary", None)  # the simulator's device array wraps a NumPy array
    return numba.typeof(host if host is not None else a)


@pytest.fixture(autouse=True)
def _record_launches(monkeypatch):
    original = _cuda._Launch.__call__

    def recording(self, *args):
        fn = self.kernel.py_func
        key = (fn.__module__.rsplit(".", 1)[-1], fn.__name__)
        LAUNCHED.setdefault(key, set()).add(tuple(_numba_type(a) for a in args))
        return original(self, *args)

    monkeypatch.setattr(_cuda._Launch, "__call__", recording)
    yield


def _tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-12)


def _close(got, want, dtype, what):
    np.testing.assert_allclose(
        np.asarray(got, dtype=np.float64), np.asarray(want, np.float64), err_msg=what, **_tol(dtype)
    )


class Case:
    """One op family: ``run(ref, dev, dtype, rng)`` computes both and compares them."""

    registry: dict[str, Case] = {}

    def __init__(self, fn):
        self.name = fn.__name__.removeprefix("case_")
        self.fn = fn
        Case.registry[self.name] = self

    def __call__(self, dtype):
        ref, dev = get_backend("reference"), get_backend("cuda")
        self.fn(ref, dev, dtype, np.random.default_rng(7))
        DONE.add((self.name, np.dtype(dtype).name))


def _both(dev, *arrays, dtype):
    """The arrays on the device (cast to ``dtype``)."""
    return [dev.asarray(np.asarray(a), dtype) for a in arrays]


def _h(dev, a):
    return dev.to_numpy(a)


# ---------------------------------------------------------------------------- cases


@Case
def case_dense(ref, dev, dtype, rng):
    x = rng.standard_normal((3, 5)).astype(dtype)
    W = rng.standard_normal((7, 5)).astype(dtype)
    b = rng.standard_normal(7).astype(dtype)
    dz = rng.standard_normal((3, 7)).astype(dtype)
    dW0 = rng.standard_normal((7, 5)).astype(dtype)  # gradients accumulate
    db0 = rng.standard_normal(7).astype(dtype)
    xd, Wd, bd, dzd, dWd, dbd = _both(dev, x, W, b, dz, dW0, db0, dtype=dtype)
    _close(_h(dev, dev.dense_forward(xd, Wd, bd)), ref.dense_forward(x, W, b), dtype, "z")
    dW, db = dW0.copy(), db0.copy()
    dx = ref.dense_backward(x, W, dz, dW, db)
    _close(_h(dev, dev.dense_backward(xd, Wd, dzd, dWd, dbd)), dx, dtype, "dx")
    _close(_h(dev, dWd), dW, dtype, "dW")
    _close(_h(dev, dbd), db, dtype, "db")


@Case
def case_norm(ref, dev, dtype, rng):
    """Batch norm (training with batch statistics, evaluation with running ones; backward with
    and without parameter gradients and dx) and layer norm: (N, C, S) = (3, 5, 2) and (5, 3, 1)
    and rows of 7, with blocks of 8 threads so the tree reductions span levels."""
    for shape in ((3, 5, 2), (5, 3, 1)):
        C = shape[1]
        x = (2 + 3 * rng.standard_normal(shape)).astype(dtype)
        dy = rng.standard_normal(shape).astype(dtype)
        g, b = (1 + rng.standard_normal(C)).astype(dtype), rng.standard_normal(C).astype(dtype)
        rm, rv = rng.standard_normal(C).astype(dtype), rng.uniform(0.5, 2, C).astype(dtype)
        xd, dyd, gd, bd, rmd, rvd = _both(dev, x, dy, g, b, rm, rv, dtype=dtype)
        for training in (True, False):
            st = [np.empty(C, dtype) for _ in range(2)]
            std = [dev.empty((C,), dtype) for _ in range(2)]
            y = ref.batchnorm_forward(x, g, b, rm, rv, *st, 0.3, 1e-5, training)
            yd = dev.batchnorm_forward(xd, gd, bd, rmd, rvd, *std, 0.3, 1e-5, training)
            _close(_h(dev, yd), y, dtype, f"bn y training={training}")
            _close(_h(dev, rmd), rm, dtype, "running mean")
            _close(_h(dev, rvd), rv, dtype, "running var")
            for acc in (True, False):
                dgam, dbet = g * 0 + 0.5, b * 0 - 0.25
                dgd, dbd = _both(dev, dgam, dbet, dtype=dtype)
                dx = ref.batchnorm_backward(
                    x, dy, g, *st, dgam if acc else None, dbet if acc else None, training
                )
                dxd = dev.batchnorm_backward(
                    xd, dyd, gd, *std, dgd if acc else None, dbd if acc else None, training
                )
                _close(_h(dev, dxd), dx, dtype, f"bn dx training={training}")
                _close(_h(dev, dgd), dgam, dtype, "dgamma")
                _close(_h(dev, dbd), dbet, dtype, "dbeta")
            assert dev.batchnorm_backward(xd, dyd, gd, *std, None, None, training, False) is None
    x = (1 + 2 * rng.standard_normal((5, 7))).astype(dtype)
    dy = rng.standard_normal((5, 7)).astype(dtype)
    g, b = (1 + rng.standard_normal(7)).astype(dtype), rng.standard_normal(7).astype(dtype)
    xd, dyd, gd, bd = _both(dev, x, dy, g, b, dtype=dtype)
    st, std = [np.empty(5, dtype) for _ in range(2)], [dev.empty((5,), dtype) for _ in range(2)]
    _close(
        _h(dev, dev.layernorm_forward(xd, gd, bd, *std, 1e-5)),
        ref.layernorm_forward(x, g, b, *st, 1e-5),
        dtype,
        "ln y",
    )
    dgam, dbet = np.full(7, 0.5, dtype), np.zeros(7, dtype)
    dgd, dbd = _both(dev, dgam, dbet, dtype=dtype)
    dx = ref.layernorm_backward(x, dy, g, *st, dgam, dbet)
    _close(_h(dev, dev.layernorm_backward(xd, dyd, gd, *std, dgd, dbd)), dx, dtype, "ln dx")
    _close(_h(dev, dgd), dgam, dtype, "ln dgamma")
    _close(_h(dev, dbd), dbet, dtype, "ln dbeta")


@Case
def case_array_ops(ref, dev, dtype, rng):
    a = dev.zeros((3, 5), dtype)
    assert np.array_equal(_h(dev, a), np.zeros((3, 5)))
    dev.fill(a, 2.5)
    assert np.array_equal(_h(dev, a), np.full((3, 5), 2.5))
    assert dev.all_finite(a)
    bad = rng.standard_normal((3, 5)).astype(dtype)
    bad[1, 2] = np.inf
    bad[2, 4] = np.nan
    assert not dev.all_finite(dev.asarray(bad, dtype))
    src = rng.standard_normal((6, 4)).astype(dtype)
    idx = np.array([5, 0, 3, 3, 1], dtype=np.int64)
    got = _h(dev, dev.take_rows(dev.asarray(src, dtype), idx))
    np.testing.assert_array_equal(got, ref.take_rows(src, idx))
    labels = rng.integers(0, 10, 6)  # integer labels are gathered on the device too
    got = _h(dev, dev.take_rows(dev.asarray(labels, np.int64), idx))
    np.testing.assert_array_equal(got, ref.take_rows(labels, idx))


ACTS = [
    (S.ACT_IDENTITY, 0.0),
    (S.ACT_SIGMOID, 0.0),
    (S.ACT_TANH, 0.0),
    (S.ACT_RELU, 0.0),
    (S.ACT_LEAKY_RELU, 0.1),
    (S.ACT_ELU, 1.3),
    (S.ACT_SOFTPLUS, 0.0),
    (S.ACT_GELU, 0.0),
    (S.ACT_SILU, 0.0),
    (S.ACT_STEP, 0.0),
]


@Case
def case_activations(ref, dev, dtype, rng):
    z = (3 * rng.standard_normal((3, 5))).astype(dtype)
    z[0, :3] = (-30.0, 30.0, 0.0)  # saturation and the kink
    da = rng.standard_normal((3, 5)).astype(dtype)
    zd, dad = _both(dev, z, da, dtype=dtype)
    for code, alpha in ACTS:
        a = ref.act_forward(code, z, alpha)
        ad = dev.act_forward(code, zd, alpha)
        _close(_h(dev, ad), a, dtype, f"act {code}")
        if code == S.ACT_STEP:
            continue  # no backward (zero almost everywhere)
        want = ref.act_backward(code, z, a, da, alpha)
        _close(_h(dev, dev.act_backward(code, zd, ad, dad, alpha)), want, dtype, f"dact {code}")


@Case
def case_prelu(ref, dev, dtype, rng):
    z = rng.standard_normal((2, 3, 4)).astype(dtype)
    da = rng.standard_normal((2, 3, 4)).astype(dtype)
    for channels in (1, 3):
        alpha = rng.uniform(0.05, 0.3, channels).astype(dtype)
        dal0 = rng.standard_normal(channels).astype(dtype)
        zd, dad, ald, dald = _both(dev, z, da, alpha, dal0, dtype=dtype)
        _close(_h(dev, dev.prelu_forward(zd, ald)), ref.prelu_forward(z, alpha), dtype, "y")
        dal = dal0.copy()
        dz = ref.prelu_backward(z, da, alpha, dal)
        _close(_h(dev, dev.prelu_backward(zd, dad, ald, dald)), dz, dtype, "dz")
        _close(_h(dev, dald), dal, dtype, "dalpha")


@Case
def case_softmax(ref, dev, dtype, rng):
    z = (4 * rng.standard_normal((3, 5))).astype(dtype)
    dp = rng.standard_normal((3, 5)).astype(dtype)
    zd, dpd = _both(dev, z, dp, dtype=dtype)
    p = ref.softmax_forward(z)
    pd = dev.softmax_forward(zd)
    _close(_h(dev, pd), p, dtype, "p")
    _close(_h(dev, dev.softmax_backward(pd, dpd)), ref.softmax_backward(p, dp), dtype, "dz")


@Case
def case_log_softmax(ref, dev, dtype, rng):
    z = (4 * rng.standard_normal((3, 5))).astype(dtype)
    z[1] = [80.0, -80.0, 0.0, 79.0, -3.0]  # a confident row: no overflow, no log 0
    dy = rng.standard_normal((3, 5)).astype(dtype)
    zd, dyd = _both(dev, z, dy, dtype=dtype)
    y = ref.log_softmax_forward(z)
    yd = dev.log_softmax_forward(zd)
    _close(_h(dev, yd), y, dtype, "log p")
    _close(_h(dev, dev.log_softmax_backward(yd, dyd)), ref.log_softmax_backward(y, dy), dtype, "dz")


@Case
def case_cross_entropy(ref, dev, dtype, rng):
    z = (3 * rng.standard_normal((4, 5))).astype(dtype)
    z[0, 1] = 80.0  # a confident row: exp must not overflow
    labels = np.array([1, 4, 0, 2], dtype=np.int64)
    onehot = np.eye(5, dtype=dtype)[labels]
    soft = rng.dirichlet(np.ones(5), size=4).astype(dtype)
    zd = dev.asarray(z, dtype)
    loss, grad = ref.xent_labels(z, labels, 0.25)
    dloss, dgrad = dev.xent_labels(zd, labels, 0.25)
    assert dloss == pytest.approx(loss, rel=_tol(dtype)["rtol"])
    _close(_h(dev, dgrad), grad, dtype, "labels grad")
    for t in (onehot, soft):  # CrossEntropy with one-hot (and probability) targets
        loss, grad = ref.xent_onehot(z, t, 0.25)
        dloss, dgrad = dev.xent_onehot(zd, dev.asarray(t, dtype), 0.25)
        assert dloss == pytest.approx(loss, rel=_tol(dtype)["rtol"])
        _close(_h(dev, dgrad), grad, dtype, "onehot grad")


@Case
def case_loss_accumulate(ref, dev, dtype, rng):
    """A minibatch loss summed into fit's epoch accumulator on the device (block tree over the
    rows, compensated add): equal to the float64 host sum of the weighted row sums, also over
    many adds in float32 (a plain float32 running sum would drift)."""
    z = rng.standard_normal((11, 5)).astype(dtype)
    labels = rng.integers(0, 5, 11)
    dloss, _ = dev.xent_labels(dev.asarray(z, dtype), labels, 0.5)
    want_one, _ = ref.xent_labels(z, labels, 0.5)
    acc = None
    for w in (3.0, 1.0, 11.0):
        acc = (dloss * 2.0 / 4.0).add_to(acc, w)  # the loss's c * total / m, then fit's weight
    assert dev.read_accumulator(acc) == pytest.approx(
        15.0 * 0.5 * want_one, rel=_tol(dtype)["rtol"]
    )
    rows = dev.asarray(np.full(37, 0.1), dtype)
    acc = None
    for _ in range(100):
        acc = type(dloss)(dev, rows).add_to(acc, 1.0)
    want = 100 * float(np.full(37, 0.1, dtype).astype(np.float64).sum())
    assert dev.read_accumulator(acc) == pytest.approx(want, rel=4 * float(np.finfo(dtype).eps))


@Case
def case_count_hits(ref, dev, dtype, rng):
    """fit's running accuracy counted on the device: argmax (first of equal maxima) or a
    threshold for one output, against labels[idx], summed over calls."""
    labels = rng.integers(0, 4, 20)
    idx = rng.permutation(20)
    out = rng.standard_normal((7, 4)).astype(dtype)
    out[0, 1] = out[0, 2] = 9.0  # a tie: the first wins, as numpy's argmax
    labels[idx[0]] = 1
    acc = dev.count_hits(dev.asarray(out, dtype), labels, idx[:7], 0.5)
    want = int((out.argmax(axis=1) == labels[idx[:7]]).sum())
    out1 = rng.standard_normal((9, 1)).astype(dtype)
    lab01 = labels % 2
    acc1 = dev.count_hits(dev.asarray(out1, dtype), lab01, idx[7:16], 0.0)
    acc1 = dev.count_hits(dev.asarray(out1[:4], dtype), lab01, idx[16:], 0.0, acc1)
    want1 = int(((out1[:, 0] > 0) == lab01[idx[7:16]]).sum())
    want1 += int(((out1[:4, 0] > 0) == lab01[idx[16:]]).sum())
    assert (dev.read_count(acc), dev.read_count(acc1)) == (want, want1)


@Case
def case_elementwise_losses(ref, dev, dtype, rng):
    y = (rng.uniform(size=(3, 4)) < 0.5).astype(dtype)
    for kind in (0, 1, 2):
        p = rng.uniform(0.02, 0.98, (3, 4)) if kind == 1 else 2 * rng.standard_normal((3, 4))
        p = p.astype(dtype)
        loss, grad = ref.elementwise_loss(kind, p, y, 0.5)
        dloss, dgrad = dev.elementwise_loss(kind, *_both(dev, p, y, dtype=dtype), 0.5)
        assert dloss == pytest.approx(loss, rel=_tol(dtype)["rtol"]), kind
        _close(_h(dev, dgrad), grad, dtype, f"loss {kind} grad")


def _opt_state(rng, dtype, k):
    return [rng.standard_normal((3, 5)).astype(dtype) for _ in range(k)]


@Case
def case_optimisers(ref, dev, dtype, rng):
    p, g, m, v = _opt_state(rng, dtype, 4)
    v = np.abs(v)
    runs = [
        ("sgd_update", (p, g), (0.1, 0.99)),
        ("momentum_update", (p, g, m), (0.1, 0.9, 1.0, 1.0, False, 0.99, 0.5, 0.01)),
        ("momentum_update", (p, g, m), (0.1, 0.9, 0.1, 1.0, True, 1.0, 1.0, 0.0)),
        ("adagrad_update", (p, g, v), (0.1, 1e-7, True, 1.0, 1.0, 0.0)),
        ("adagrad_update", (p, g, v), (0.1, 1e-7, False, 0.99, 0.5, 0.01)),
        ("rmsprop_update", (p, g, v), (0.01, 0.9, 1.0, 1e-7, False, 1.0, 1.0, 0.0)),
        ("adam_update", (p, g, m, v), (0.01, 0.9, 0.999, 10.0, 1.2, 1e-7, False, 1.0, 0.5, 0.01)),
        ("adam_update", (p, g, m, v), (0.01, 0.9, 0.999, 10.0, 1.2, 1e-7, True, 0.99, 1.0, 0.0)),
    ]
    for op, arrays, scalars in runs:
        host = [a.copy() for a in arrays]
        devs = _both(dev, *arrays, dtype=dtype)
        getattr(ref, op)(*host, *scalars)
        getattr(dev, op)(*devs, *scalars)
        for i, (h, d) in enumerate(zip(host, devs)):
            _close(_h(dev, d), h, dtype, f"{op} array {i}")
    big = rng.standard_normal(600).astype(dtype)  # three chunks of NORM_CHUNK
    assert dev.sq_norm(dev.asarray(big, dtype)) == pytest.approx(ref.sq_norm(big), rel=1e-5)


@Case
def case_noise(ref, dev, dtype, rng):
    x = rng.standard_normal((3, 5)).astype(dtype)
    u = rng.uniform(size=(3, 5)).astype(dtype)
    dy = rng.standard_normal((3, 5)).astype(dtype)
    noise = rng.standard_normal((3, 5)).astype(dtype)
    out, mask = ref.dropout_forward(x, u, 0.7)
    dout, dmask = dev.dropout_forward(dev.asarray(x, dtype), u, 0.7)
    _close(_h(dev, dout), out, dtype, "dropout out")
    _close(_h(dev, dmask), mask, dtype, "dropout mask")
    want = ref.dropout_backward(dy, mask)
    _close(_h(dev, dev.dropout_backward(dev.asarray(dy, dtype), dmask)), want, dtype, "dropout dx")
    want = ref.add_noise(x, noise, 0.3)
    _close(_h(dev, dev.add_noise(dev.asarray(x, dtype), noise, 0.3)), want, dtype, "noise")


@Case
def case_dropout_device_rng(ref, dev, dtype, rng):
    """Masks drawn on the device (xoroshiro128+ per thread): out is the reference's dropout
    with the same mask, the mask is {0, 1/keep} with the keep rate, the same from the same
    seed, new at the next call (the states advance), different for another seed."""
    x = rng.standard_normal((13, 11)).astype(dtype)
    xd = dev.asarray(x, dtype)
    gen = dev.device_rng(12345, x.size)
    out, mask = dev.dropout_forward_rng(xd, 0.7, gen)
    m = _h(dev, mask)
    kept = (m != 0).astype(dtype)
    want, _ = ref.dropout_forward(x, np.where(kept > 0, 0.0, 1.0).astype(dtype), 0.7)
    _close(_h(dev, out), want, dtype, "device-rng dropout out")
    np.testing.assert_allclose(np.unique(m), np.array([0.0, 1 / 0.7], dtype), rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 5 * np.sqrt(0.21 / x.size)
    _, mask2 = dev.dropout_forward_rng(xd, 0.7, gen)
    _, again = dev.dropout_forward_rng(xd, 0.7, dev.device_rng(12345, x.size))
    _, other = dev.dropout_forward_rng(xd, 0.7, dev.device_rng(54321, x.size))
    np.testing.assert_array_equal(_h(dev, again), m)
    assert (_h(dev, mask2) != m).any() and (_h(dev, other) != m).any()


@Case
def case_conv(ref, dev, dtype, rng):
    x = rng.standard_normal((2, 2, 5, 4)).astype(dtype)
    W = rng.standard_normal((3, 2, 3, 2)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    for stride, padding in (((1, 1), (1, 0)), ((2, 1), (0, 1))):
        y = ref.conv2d_forward(x, W, b, stride, padding)
        xd, Wd, bd = _both(dev, x, W, b, dtype=dtype)
        _close(_h(dev, dev.conv2d_forward(xd, Wd, bd, stride, padding)), y, dtype, "y")
        dy = rng.standard_normal(y.shape).astype(dtype)
        dW, db = np.ones_like(W), np.ones_like(b)
        dWd, dbd, dyd = _both(dev, dW, db, dy, dtype=dtype)
        dx = ref.conv2d_backward(x, W, dy, dW, db, stride, padding)
        _close(
            _h(dev, dev.conv2d_backward(xd, Wd, dyd, dWd, dbd, stride, padding)), dx, dtype, "dx"
        )
        _close(_h(dev, dWd), dW, dtype, "dW")
        _close(_h(dev, dbd), db, dtype, "db")


@Case
def case_pool(ref, dev, dtype, rng):
    x = rng.standard_normal((2, 2, 5, 4)).astype(dtype)
    xd = dev.asarray(x, dtype)
    for kind in (0, 1):
        for size, stride in (((2, 2), (2, 2)), ((3, 2), (1, 2))):
            y, arg = ref.pool2d_forward(kind, x, size, stride)
            yd, argd = dev.pool2d_forward(kind, xd, size, stride)
            _close(_h(dev, yd), y, dtype, f"pool {kind} y")
            dy = rng.standard_normal(y.shape).astype(dtype)
            dx = ref.pool2d_backward(kind, x.shape, dy, arg, size, stride)
            got = dev.pool2d_backward(kind, x.shape, dev.asarray(dy, dtype), argd, size, stride)
            _close(_h(dev, got), dx, dtype, f"pool {kind} dx")


def _recurrent(op, ref, dev, dtype, rng):
    n, T, d, H = 2, 3, 3, 2
    G = 4 * H if op == "lstm" else H
    x = rng.standard_normal((n, T, d)).astype(dtype)
    W = (0.5 * rng.standard_normal((G, d))).astype(dtype)
    U = (0.5 * rng.standard_normal((G, H))).astype(dtype)
    b = (0.1 * rng.standard_normal(G)).astype(dtype)
    for reverse, seq in ((False, True), (True, False)):
        out, cache = getattr(ref, f"{op}_forward")(x, W, U, b, reverse, seq)
        xd, Wd, Ud, bd = _both(dev, x, W, U, b, dtype=dtype)
        dout, dcache = getattr(dev, f"{op}_forward")(xd, Wd, Ud, bd, reverse, seq)
        _close(_h(dev, dout), out, dtype, f"{op} out")
        g = rng.standard_normal(out.shape).astype(dtype)
        grads = [np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)]
        dgrads = _both(dev, *grads, dtype=dtype)
        dx = getattr(ref, f"{op}_backward")(cache, g, *grads)
        ddx = getattr(dev, f"{op}_backward")(dcache, dev.asarray(g, dtype), *dgrads)
        _close(_h(dev, ddx), dx, dtype, f"{op} dx")
        for name, h, dgr in zip(("dW", "dU", "db"), grads, dgrads):
            _close(_h(dev, dgr), h, dtype, f"{op} {name}")


@Case
def case_rnn(ref, dev, dtype, rng):
    _recurrent("rnn", ref, dev, dtype, rng)


@Case
def case_lstm(ref, dev, dtype, rng):
    _recurrent("lstm", ref, dev, dtype, rng)


@Case
def case_bidirectional_glue(ref, dev, dtype, rng):
    a = rng.standard_normal((2, 3, 2)).astype(dtype)
    b = rng.standard_normal((2, 3, 4)).astype(dtype)
    ad, bd = _both(dev, a, b, dtype=dtype)
    cat = dev.concat_last(ad, bd)
    _close(_h(dev, cat), ref.concat_last(a, b), dtype, "concat")
    p, q = dev.split_last(cat, 2)
    _close(_h(dev, p), a, dtype, "split a")
    _close(_h(dev, q), b, dtype, "split b")
    s = rng.standard_normal((2, 3, 2)).astype(dtype)
    _close(_h(dev, dev.add_arrays(ad, dev.asarray(s, dtype))), ref.add_arrays(a, s), dtype, "add")


@Case
def case_rbm(ref, dev, dtype, rng):
    from numbanet.backends import _rbm_ops

    v = (rng.uniform(size=(3, 5)) < 0.5).astype(dtype)
    W = (0.3 * rng.standard_normal((4, 5))).astype(dtype)
    b = (0.1 * rng.standard_normal(5)).astype(dtype)
    c = (0.1 * rng.standard_normal(4)).astype(dtype)
    uh = rng.uniform(size=(3, 4)).astype(dtype)
    uv = rng.uniform(size=(3, 5)).astype(dtype)
    vd, Wd, bd, cd = _both(dev, v, W, b, c, dtype=dtype)
    saved = _rbm_ops.RBM_GEMM_MIN_MACS
    try:
        for threshold in (saved, 0):  # direct kernels, then tiled product + bias_sigmoid_sample
            _rbm_ops.RBM_GEMM_MIN_MACS = threshold
            for u_h, u_v in ((None, None), (uh, uv)):
                p, h = ref.rbm_hidden(v, W, c, u_h)
                pd, hd = dev.rbm_hidden(vd, Wd, cd, u_h)
                _close(_h(dev, pd), p, dtype, "p(h|v)")
                assert (h is None) == (hd is None)
                if h is not None:
                    np.testing.assert_array_equal(_h(dev, hd), h)
                q, s = ref.rbm_visible(p, W, b, u_v)
                qd, sd = dev.rbm_visible(pd, Wd, bd, u_v)
                _close(_h(dev, qd), q, dtype, "p(v|h)")
                if s is not None:
                    np.testing.assert_array_equal(_h(dev, sd), s)
    finally:
        _rbm_ops.RBM_GEMM_MIN_MACS = saved
    p0, _ = ref.rbm_hidden(v, W, c)
    vk = rng.uniform(size=(3, 5)).astype(dtype)
    pk, _ = ref.rbm_hidden(vk, W, c)
    params = [
        W.copy(),
        b.copy(),
        c.copy(),
        *(0.01 * rng.standard_normal(a.shape) for a in (W, b, c)),
    ]
    params = [a.astype(dtype) for a in params]
    dparams = _both(dev, *params, dtype=dtype)
    ref.rbm_cd_update(*params, v, p0, vk, pk, 0.1, 0.5, 0.001)
    dev.rbm_cd_update(*dparams, *_both(dev, v, p0, vk, pk, dtype=dtype), 0.1, 0.5, 0.001)
    for i, (h, d) in enumerate(zip(params, dparams)):
        _close(_h(dev, d), h, dtype, f"cd update {i}")
    fe = ref.rbm_free_energy(v, W, b, c)
    _close(_h(dev, dev.rbm_free_energy(vd, Wd, bd, cd)), fe, dtype, "free energy")
    _close(
        _h(dev, dev.sq_err_rows(vd, dev.asarray(vk, dtype))),
        ref.sq_err_rows(v, vk),
        dtype,
        "sq err",
    )


@Case
def case_gemm(ref, dev, dtype, rng):
    """The register-blocked GEMM against NumPy: odd shapes spanning several blocks and partial
    register tiles, every transposition, overwrite and accumulate (launch geometry of the
    backend, shrunk by the test configuration to 4 x 4 threads: 32 x 32 tiles of C)."""
    from numbanet import config
    from numbanet.kernels.cuda import dense as K

    M, N, Kd = 37, 35, 19
    for ta in (0, 1):
        for tb in (0, 1):
            a = rng.standard_normal((Kd, M) if ta else (M, Kd)).astype(dtype)
            b = rng.standard_normal((N, Kd) if tb else (Kd, N)).astype(dtype)
            c0 = rng.standard_normal((M, N)).astype(dtype)
            want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
            for accumulate in (0, 1):
                ad, bd, cd = _both(dev, a, b, c0, dtype=dtype)
                kern, grid, block = K.gemm_launch(dtype, M, N, int(config.TILE))
                assert grid == (2, 2)
                kern[grid, block](ad, bd, cd, ta, tb, accumulate)
                expect = want + c0 if accumulate else want
                _close(_h(dev, cd), expect, dtype, f"gemm ta={ta} tb={tb} acc={accumulate}")


# ---------------------------------------------------------------------------- tests


@Case
def case_fused_mlp_step(ref, dev, dtype, rng):
    """The one-launch training step of tiny dense nets (``fit``'s fused path on cuda): one epoch
    of two minibatches, weights against the reference's layer-by-layer training."""
    import numbanet as nb

    x = rng.standard_normal((5, 3))
    y = rng.integers(0, 2, 5)
    flat = {}
    for be in ("reference", "cuda"):
        net = nb.models.mlp([3, 4, 2], "tanh", backend=be, seed=0, dtype=dtype)
        net.fit(x, y, loss="cross_entropy", optimizer="sgd", lr=0.5, batch_size=3, seed=0)
        flat[be] = net.get_flat()
    _close(flat["cuda"], flat["reference"], dtype, "weights after the fused steps")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(Case.registry))
def test_cuda_kernel_matches_reference(case, dtype):
    Case.registry[case](dtype)


def _declared():
    import numbanet.kernels.cuda as pkg

    out = {}
    for m in pkgutil.iter_modules(pkg.__path__):
        if m.name.startswith("_"):
            continue
        mod = importlib.import_module(f"numbanet.kernels.cuda.{m.name}")
        for k, sigs in getattr(mod, "PTX_SIGNATURES", {}).items():
            out[(m.name, k)] = set(sigs)
    return out


def test_launched_signatures_are_the_ptx_lane_signatures():
    """Every kernel ran (so every kernel is compared with the reference in both dtypes above),
    and ran only with signatures the PTX lane compiles; the PTX lane compiles nothing else."""
    for name, case in Case.registry.items():
        for dt in DTYPES:
            if (name, np.dtype(dt).name) not in DONE:  # e.g. run alone with -k
                case(dt)
    declared = _declared()
    unexpected = {k: v - declared.get(k, set()) for k, v in LAUNCHED.items()}
    unexpected = {k: sorted(map(str, v)) for k, v in unexpected.items() if v}
    assert not unexpected, f"launched with signatures the PTX lane does not compile: {unexpected}"
    never = {k: sorted(map(str, v - LAUNCHED.get(k, set()))) for k, v in declared.items()}
    never = {k: v for k, v in never.items() if v}
    assert not never, (
        f"declared signatures no case launched (add a Case for the kernel's op above): {never}"
    )


# ---------------------------------------------------------------------------- host arrays


def test_a_kernel_launch_refuses_a_host_array():
    from numbanet.kernels.cuda import dense as K

    with pytest.raises(DTypeError, match=r"fill: argument 'a' is a host \(NumPy\) array"):
        K.fill[1, 8](np.zeros(4), np.float64(1.0))


@pytest.mark.parametrize(
    "op",
    [
        "dense_forward",
        "act_forward",
        "sgd_update",
        "conv2d_forward",
        "softmax_forward",
        "adam_update",
    ],
)
def test_cuda_ops_refuse_host_arrays(op, rng):
    """A NumPy array where the op needs a device array is an error naming the kernel, never a
    silent copy to the device and back."""
    dev = get_backend("cuda")
    f = np.float32
    x = rng.standard_normal((3, 5)).astype(f)
    d = dev.asarray
    calls = {
        "dense_forward": lambda: dev.dense_forward(x, d(np.ones((2, 5)), f), d(np.ones(2), f)),
        "act_forward": lambda: dev.act_forward(S.ACT_RELU, x),
        "sgd_update": lambda: dev.sgd_update(x.copy(), d(x, f), 0.1),
        "conv2d_forward": lambda: dev.conv2d_forward(
            x.reshape(1, 1, 3, 5), d(np.ones((1, 1, 2, 2)), f), d(np.ones(1), f), (1, 1), (0, 0)
        ),
        "softmax_forward": lambda: dev.softmax_forward(x),
        "adam_update": lambda: dev.adam_update(
            d(x, f),
            d(x, f),
            x.copy(),
            d(x, f),
            0.1,
            0.9,
            0.99,
            1.0,
            1.0,
            1e-8,
            False,
            1.0,
            1.0,
            0.0,
        ),
    }
    with pytest.raises(DTypeError, match="host \\(NumPy\\) array"):
        calls[op]()


# ---------------------------------------------------------------------------- public API


def _nets(nb):
    """Tiny nets covering the layer kinds, with (x, y, loss, optimizer) for a short fit."""
    rng = np.random.default_rng(3)
    x2 = rng.standard_normal((5, 4))
    labels = rng.integers(0, 3, 5)
    img = rng.standard_normal((4, 1, 6, 6))
    seq = rng.standard_normal((4, 3, 2))
    yield ([nb.Dense(4, 6), nb.GELU(), nb.Dense(6, 3)], x2, labels, "cross_entropy", "adam")
    yield (
        [nb.Dense(4, 6), nb.PReLU(), nb.Dropout(0.3), nb.Dense(6, 3), nb.Sigmoid()],
        x2,
        np.eye(3)[labels],
        "mse",
        "momentum",
    )
    yield ([nb.Dense(4, 3), nb.Softmax()], x2, np.eye(3)[labels], "cross_entropy", "rmsprop")
    yield (
        [
            nb.Conv2D(1, 2, 3, padding="same"),
            nb.ReLU(),
            nb.MaxPool2D(2),
            nb.Flatten(),
            nb.Dense(18, 3),
        ],
        img,
        labels[:4],
        "cross_entropy",
        "sgd",
    )
    yield (
        [nb.LSTM(2, 3, return_sequences=False), nb.Dense(3, 2)],
        seq,
        labels[:4] % 2,
        "cross_entropy",
        "adagrad",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_training_launches_only_declared_signatures(dtype):
    """Layers, losses and optimisers through ``fit``: every kernel launch has a signature the
    PTX lane compiles (an enum code or a Python float reaching a kernel would not)."""
    import numbanet as nb

    LAUNCHED.clear()
    for layers, x, y, loss, opt in _nets(nb):
        net = nb.Sequential(layers, backend="cuda", dtype=dtype, seed=0)
        net.fit(x, y, loss=loss, optimizer=opt, epochs=1, batch_size=2, seed=0)
    declared = _declared()
    unexpected = {k: v - declared.get(k, set()) for k, v in LAUNCHED.items()}
    unexpected = {k: sorted(map(str, v)) for k, v in unexpected.items() if v}
    assert LAUNCHED and not unexpected, unexpected


# ---------------------------------------------------------------------------- GEMM geometry


@pytest.mark.parametrize("geometry", [(2, 2, 2, 2, 4), (1, 3, 3, 1, 3), (2, 4, 2, 2, 2)])
def test_gemm_any_geometry_matches_numpy(geometry, rng):
    """Small blocks and rectangular register tiles: many blocks on tiny shapes, each edge case
    (partial tiles, K not a multiple of the slice) hit."""
    from numbanet.kernels.cuda import dense as K

    ty, tx, tm, tn, bk = geometry
    kern = K.gemm_kernel(K.float64, ty, tx, tm, tn, bk)
    M, N, Kd = 9, 7, 11
    dev = get_backend("cuda")
    for ta, tb in ((0, 0), (1, 1)):
        a = rng.standard_normal((Kd, M) if ta else (M, Kd))
        b = rng.standard_normal((N, Kd) if tb else (Kd, N))
        cd = dev.empty((M, N), np.float64)
        grid = (-(-M // (ty * tm)), -(-N // (tx * tn)))
        kern[grid, (tx, ty)](dev.asarray(a, np.float64), dev.asarray(b, np.float64), cd, ta, tb, 0)
        want = (a.T if ta else a) @ (b.T if tb else b)
        np.testing.assert_allclose(dev.to_numpy(cd), want, rtol=1e-12, atol=1e-12)


def test_gemm_rows_on_grid_x():
    """M is on grid x (limit 2^31 - 1 blocks), N on grid y (65,535): a product with more than
    65,535 x 16 rows launches (the one-output-per-thread kernel put M on y and could not)."""
    from numbanet.kernels.cuda import dense as K

    for M in (65_535 * 16 + 1, 10**9):
        _, grid, block = K.gemm_launch(np.float32, M, 1000, 16)
        assert grid[0] * block[1] * K.GEMM_TM >= M and grid[0] <= 2**31 - 1
        assert grid[1] <= 65_535
    with pytest.raises(ValueError, match="do not split evenly"):
        K.gemm_kernel(K.float32, 3, 5, 2, 2, 2)


def test_the_simulator_lane_runs_the_numba_cuda_package():
    """``pip install "numbanet[cuda]"`` gives users NVIDIA's numba-cuda, which then serves
    ``numba.cuda``; the [dev] extra installs it too, so CI runs this lane on that package (its
    simulator) rather than numba's deprecated built-in target."""
    import importlib.util
    import os

    if importlib.util.find_spec("numba_cuda") is None:
        if os.environ.get("CI"):
            pytest.fail('CI must run with numba-cuda installed (pip install -e ".[dev]")')
        pytest.skip("numba-cuda is not installed in this environment (the [dev] extra has it)")
    cuda = _cuda.cuda()
    assert cuda.implementation == "NVIDIA"
    assert _cuda.is_simulator() and "simulator" in type(cuda.to_device(np.zeros(1))).__module__
