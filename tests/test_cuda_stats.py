"""Launch, allocation and copy economy of the cuda backend, counted by
``numbanet.backends.cuda.stats()`` in the simulator (the counts are numbanet's own requests to
the device, the same on hardware).

Steady state: after the first steps, a training step allocates no device memory (the backend's
workspace arena hands out the arrays of the previous step again) and copies nothing between host
and device when the data is on the device; the loss is summed on the device and read once per
epoch in ``fit``; ``zero_grad`` and the optimiser update are one launch each over the flat
parameter buffer.
"""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.backends import cuda as C
from numbanet.backends import get_backend
from numbanet.errors import ValidationError

KEYS = ("launches", "allocations", "h2d", "d2h")


def _dense_net(dtype=np.float32):
    layers = [nb.Dense(8, 12), nb.ReLU(), nb.Dense(12, 10), nb.ReLU(), nb.Dense(10, 3)]
    return nb.Sequential(layers, backend="cuda", dtype=dtype, seed=0)


def _data(n=16):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 8)), np.arange(n) % 3


def test_stats_count_launches_allocations_and_copies():
    be = get_backend("cuda")
    be.empty((1,), np.float64)  # the arena calibrates itself on first use (one probe array)
    be.arena.clear()  # no idle array to hand out again: the first upload allocates
    C.reset_stats()
    a = be.asarray(np.arange(6.0).reshape(2, 3), np.float64)  # 1 allocation, 1 copy in
    s = C.stats()
    assert (s["allocations"], s["h2d"], s["h2d_bytes"], s["d2h"]) == (1, 1, 48, 0)
    be.fill(a, 2.0)
    back = be.to_numpy(a)
    s = C.stats()
    assert s["launches_by_kernel"] == {"fill": 1} and s["launches"] == 1
    assert (s["d2h"], s["d2h_bytes"]) == (1, 48)
    np.testing.assert_array_equal(back, np.full((2, 3), 2.0))
    C.reset_stats()
    assert C.stats() == {
        "allocations": 0,
        "allocated_bytes": 0,
        "h2d": 0,
        "h2d_bytes": 0,
        "d2h": 0,
        "d2h_bytes": 0,
        "launches_by_kernel": {},
        "launches": 0,
    }


def test_arena_never_hands_out_an_array_someone_holds():
    be = get_backend("cuda")
    held = be.empty((5, 3), np.float32)
    be.fill(held, 7.0)
    view = be.empty((4, 4), np.float32).reshape(16)  # only a view is held
    C.reset_stats()
    other = be.empty((5, 3), np.float32)
    other2 = be.empty((4, 4), np.float32)
    assert C.stats()["allocations"] == 2  # both were busy: fresh arrays
    be.fill(other, 1.0)
    be.fill(other2, 1.0)
    np.testing.assert_array_equal(be.to_numpy(held), np.full((5, 3), 7.0, np.float32))
    del other, other2, view
    C.reset_stats()
    again = be.empty((5, 3), np.float32)
    assert C.stats()["allocations"] == 0  # an idle one came back
    assert again is not held


def _manual_step(net, opt, loss, xb, yb):
    opt.zero_grad()
    out = net._forward(xb, training=True)
    val, g = loss.compute(net.backend, out, yb)
    net._backward(g)
    opt.step()
    return val


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_manual_loop_steady_state_counts(opt_name):
    """Backend-level manual loop on device data: no allocation, no copy, and exactly one
    zero_grad fill and one optimiser launch per step."""
    net = _dense_net()
    x, y = _data(4)
    xd, yd = C.to_device(x.astype(np.float32)), C.to_device(y)
    opt = nb.optim.get(opt_name, net.parameters(), 0.01)
    loss = nb.losses.get("cross_entropy")
    for _ in range(2):  # warm-up, the same loop: one step's loss is held while the next runs
        val = _manual_step(net, opt, loss, xd, yd)
    C.reset_stats()
    steps = 3
    for _ in range(steps):
        val = _manual_step(net, opt, loss, xd, yd)  # the loss stays on the device
    s = C.stats()
    by = s["launches_by_kernel"]
    assert s["allocations"] == 0, s
    assert s["h2d"] == 0 and s["d2h"] == 0, s
    assert by["fill"] == steps  # zero_grad: one fill over the flat gradient buffer
    assert by[f"{opt_name}_update"] == steps  # one update over the flat parameter buffer
    # reading the loss is one copy, when asked
    assert np.isfinite(float(val))
    assert C.stats()["d2h"] == 1


def _net_and_data(kind, n):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    if kind == "dense":
        return _dense_net(), rng.standard_normal((n, 8)), y
    if kind == "dropout":
        layers = [nb.Dense(8, 12), nb.ReLU(), nb.Dropout(0.3), nb.Dense(12, 3)]
        x = rng.standard_normal((n, 8))
    elif kind == "conv":
        layers = [
            nb.Conv2D(1, 2, 3, padding="same"),
            nb.ReLU(),
            nb.MaxPool2D(2),
            nb.Flatten(),
            nb.Dense(8, 3),
        ]
        x = rng.standard_normal((n, 1, 4, 4))
    else:
        layers = [nb.LSTM(2, 3, return_sequences=False), nb.Dense(3, 3)]
        x = rng.standard_normal((n, 3, 2))
    return nb.Sequential(layers, backend="cuda", dtype=np.float32, seed=0), x, y


@pytest.mark.parametrize(
    "kind,opt_name",
    [("dense", "sgd"), ("dense", "adam"), ("dropout", "sgd"), ("conv", "sgd"), ("lstm", "adam")],
)
def test_fit_steady_state_counts(kind, opt_name):
    """``fit`` layer by layer on the cuda backend (``fused=False``; tiny dense nets with SGD
    otherwise take the one-launch step of tests/test_cuda_fused.py): a step costs no
    allocation and no copy (the training set is
    on the device for the whole fit, the epoch's permutation uploaded once, dropout masks drawn
    on the device, the loss and the right answers summed on the device and read once per
    epoch). Measured as the difference between fits of 8 and 4 steps per epoch, so per-fit and
    per-epoch costs cancel."""
    net, x32, y32 = _net_and_data(kind, 32)
    x16, y16 = x32[:16], y32[:16]

    def run(x, y):
        opt = nb.optim.get(opt_name, net.parameters(), 0.01)
        C.reset_stats()
        h = net.fit(x, y, optimizer=opt, epochs=1, batch_size=4, seed=0, fused=False)
        s = C.stats()
        assert np.isfinite(h["loss"][-1]) and 0.0 <= h["accuracy"][-1] <= 1.0
        return s

    run(x16, y16)
    run(x32, y32)  # warm-up: both shapes once
    a, b = run(x16, y16), run(x32, y32)
    for k in ("allocations", "h2d", "d2h"):
        assert b[k] == a[k], (k, a, b)  # 4 more steps, not one more allocation or copy
    per_step = {
        k: (b["launches_by_kernel"][k] - a["launches_by_kernel"].get(k, 0)) / 4
        for k in b["launches_by_kernel"]
    }
    fills = 2 if kind == "lstm" else 1  # zero_grad's one fill (+ the LSTM backward's zero dc)
    assert per_step[f"{opt_name}_update"] == 1 and per_step["fill"] == fills, per_step
    assert per_step["loss_accumulate"] == 1 and per_step["count_hits"] == 1, per_step
    assert per_step["gather_rows"] == 2, per_step  # the minibatch's rows and targets
    if kind == "dropout":
        assert per_step["dropout_forward_rng"] == 1 and "dropout_forward" not in per_step
    # per epoch: the permutation in, the loss and the count out (plus fit's finite check)
    assert a["d2h"] <= 4 and a["h2d"] <= 5, a


def test_fit_loss_and_accuracy_match_the_reference_backend():
    """The device-summed epoch loss and running accuracy are the reference backend's."""
    x, y = _data(16)
    hs = {}
    for be in ("reference", "cuda"):
        layers = [nb.Dense(8, 12), nb.ReLU(), nb.Dense(12, 10), nb.ReLU(), nb.Dense(10, 3)]
        net = nb.Sequential(layers, backend=be, dtype=np.float64, seed=0)
        hs[be] = net.fit(x, y, optimizer="adam", epochs=2, batch_size=4, seed=0, lr=0.05)
    np.testing.assert_allclose(hs["cuda"]["loss"], hs["reference"]["loss"], rtol=1e-10)
    assert hs["cuda"]["accuracy"] == hs["reference"]["accuracy"]


def test_device_loss_behaves_as_its_float():
    """The loss the cuda ops return reads as a float wherever one is used (arithmetic,
    comparisons, formatting, NumPy arrays) and costs one copy when first read."""
    be, ref = get_backend("cuda"), get_backend("reference")
    z = np.random.default_rng(1).standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    want, _ = ref.xent_labels(z, labels, 0.2)
    dl, _ = be.xent_labels(be.asarray(z, np.float64), labels, 0.2)
    scaled = dl * 3.0 / 2.0
    C.reset_stats()
    assert float(scaled) == pytest.approx(1.5 * want, rel=1e-12)
    assert C.stats()["d2h"] == 1
    arr = np.array([1.0, scaled, dl])
    assert arr.dtype == np.float64 and arr[2] == pytest.approx(want, rel=1e-12)
    assert f"{dl:.6f}" == f"{want:.6f}" and dl + 1.0 == pytest.approx(want + 1.0)
    assert (dl < want + 1) and np.isfinite(dl) and -dl == pytest.approx(-want)


def _public_step(net, opt, loss, xb, yb):
    """The course's manual loop, through the public methods."""
    opt.zero_grad()
    out = net.forward(xb, training=True)
    val = loss.forward(out, yb)
    net.backward(loss.backward())
    opt.step()
    return val


@pytest.mark.parametrize("kind", ["dense", "conv", "lstm"])
def test_public_manual_loop_steady_state_counts(kind):
    """``net.forward`` / ``loss.forward`` / ``loss.backward`` / ``net.backward`` /
    ``zero_grad`` / ``step`` on device minibatches: after the first steps no allocation, and
    no copy but the minibatch itself (x moved with ``to_device``, the labels given as NumPy);
    with a ``DeviceDataset`` no copy at all but the epoch's permutation."""
    net, x, y = _net_and_data(kind, 4)
    x = x.astype(np.float32)
    loss = nb.losses.get("cross_entropy")
    opt = nb.optim.get("adam", net.parameters(), 0.01)
    xb, yb = x[:2], y[:2]
    for _ in range(3):  # warm-up, the same loop: the last step's loss (and the layers' inputs)
        val = _public_step(net, opt, loss, C.to_device(xb), yb)  # are held while the next runs
    C.reset_stats()
    steps = 2
    for _ in range(steps):
        val = _public_step(net, opt, loss, C.to_device(xb), yb)
    s = C.stats()
    assert s["allocations"] == 0, s
    assert s["h2d"] == 2 * steps and s["d2h"] == 0, s  # x and the labels, per step
    assert s["h2d_bytes"] == steps * (xb.nbytes + 2 * 8), s
    by = s["launches_by_kernel"]
    assert by["fill"] == steps * (2 if kind == "lstm" else 1)  # zero_grad (+ LSTM's dc carry)
    assert by["adam_update"] == steps
    data = C.DeviceDataset(x, y, np.float32)
    for xb, yb in data.batches(2, seed=0):  # a warm-up epoch
        val = _public_step(net, opt, loss, xb, yb)
    C.reset_stats()
    for xb, yb in data.batches(2, seed=1):
        val = _public_step(net, opt, loss, xb, yb)
    s = C.stats()
    assert s["allocations"] == 0 and s["d2h"] == 0, s
    assert s["h2d"] == 1, s  # the epoch's permutation, once for both minibatches
    assert s["launches_by_kernel"]["gather_rows"] == 4, s  # x and y of each minibatch
    assert np.isfinite(float(val)) and C.stats()["d2h"] == 1  # read when asked


def test_public_manual_loop_on_the_device_matches_the_reference():
    """The device path of the public methods computes what the NumPy path of the reference
    backend computes (float64, three Adam steps of a dense net): the device output, loss,
    gradient and input gradient, and the parameters after the steps."""
    x, y = _data(8)
    nets = {}
    for be in ("reference", "cuda"):
        layers = [nb.Dense(8, 12), nb.Tanh(), nb.Dense(12, 3)]
        nets[be] = nb.Sequential(layers, backend=be, dtype=np.float64, seed=0)
    loss = {be: nb.losses.get("cross_entropy") for be in nets}
    opts = {be: nb.optim.get("adam", nets[be].parameters(), 0.05) for be in nets}
    data = C.DeviceDataset(x, y, np.float64)
    for xd, yd in data.batches(4, shuffle=False):
        xh, yh = get_backend("cuda").to_numpy(xd), get_backend("cuda").to_numpy(yd)
        vals = {}
        for be, xb, yb in (("reference", xh, yh), ("cuda", xd, yd)):
            opts[be].zero_grad()
            out = nets[be].forward(xb, training=True)
            vals[be] = loss[be].forward(out, yb)
            dx = nets[be].backward(loss[be].backward())
            opts[be].step()
            vals[be + " dx"] = nets[be].backend.to_numpy(dx)
        assert float(vals["cuda"]) == pytest.approx(vals["reference"], rel=1e-12)
        np.testing.assert_allclose(vals["cuda dx"], vals["reference dx"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(nets["cuda"].get_flat(), nets["reference"].get_flat(), rtol=1e-10)


def test_public_methods_check_device_arrays():
    """Device arrays of the wrong type or shape are refused with a message saying why."""
    net = _dense_net()
    with pytest.raises(ValidationError, match="computes in float32"):
        net.forward(C.to_device(np.zeros((2, 8))))
    with pytest.raises(ValidationError, match="expects"):
        net.forward(C.to_device(np.zeros((2, 7), np.float32)))
    out = net.forward(C.to_device(np.zeros((2, 8), np.float32)))
    with pytest.raises(ValidationError, match="last forward returned"):
        net.backward(C.to_device(np.zeros((3, 3), np.float32)))
    with pytest.raises(ValidationError, match="int64 labels"):
        nb.losses.get("cross_entropy").forward(out, C.to_device(np.zeros((2, 3))))


def test_lstm_launches_per_time_step():
    """An LSTM training step launches one fused gate kernel per time step forward and one
    backward (2 per time step, the issue's bound is 3); the input projections x_t W^T of all
    steps are one GEMM, as are dW and dx: the launches of a step grow by exactly 2 per step of
    the sequence, and only the gate kernels depend on T."""
    counts = {}
    for T in (2, 4):
        layers = [nb.LSTM(2, 3, return_sequences=False), nb.Dense(3, 3)]
        net = nb.Sequential(layers, backend="cuda", dtype=np.float32, seed=0)
        x = C.to_device(np.random.default_rng(0).standard_normal((3, T, 2)), np.float32)
        y = np.arange(3) % 3
        opt = nb.optim.get("sgd", net.parameters(), 0.1)
        loss = nb.losses.get("cross_entropy")
        _public_step(net, opt, loss, x, y)
        C.reset_stats()
        _public_step(net, opt, loss, x, y)
        counts[T] = C.stats()["launches_by_kernel"]
    for T, by in counts.items():
        assert by["lstm_step_forward"] == T and by["lstm_step_backward"] == T, by
    per_step = (sum(counts[4].values()) - sum(counts[2].values())) / 2
    assert per_step == 2, counts
    assert {k: v for k, v in counts[4].items() if not k.startswith("lstm_step")} == {
        k: v for k, v in counts[2].items() if not k.startswith("lstm_step")
    }


def test_cuda_device_selection():
    """``backend="cuda:N"`` picks device N (the simulator has one, cuda:0, which trains as
    ``"cuda"`` does); a device that does not exist is a clear error naming those that do."""
    from numbanet.errors import BackendUnavailableError

    with pytest.raises(
        BackendUnavailableError, match="no CUDA device 1; the devices here are cuda:0"
    ):
        get_backend("cuda:1")
    with pytest.raises(ValidationError, match="cuda:N"):
        get_backend("cuda:first")
    x, y = _data(8)
    flats = []
    for be in ("cuda", "cuda:0", "gpu:0"):
        layers = [nb.Dense(8, 5), nb.ReLU(), nb.Dense(5, 3)]
        net = nb.Sequential(layers, backend=be, dtype=np.float64, seed=0)
        net.fit(x, y, optimizer="adam", lr=0.05, epochs=1, batch_size=4, seed=0)
        flats.append(net.get_flat())
    assert get_backend("cuda:0").index == 0 and get_backend("gpu:0") is get_backend("cuda:0")
    np.testing.assert_array_equal(flats[1], flats[0])
    np.testing.assert_array_equal(flats[2], flats[0])
