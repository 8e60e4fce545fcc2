"""Checkpoints: bit-for-bit resume, refusal of bad files, and atomic writes that survive SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import numbanet as nb
from numbanet import checkpoint as C
from numbanet.errors import CheckpointError


def _net(seed=0, dtype=np.float64, dropout=True):
    layers = [nb.Dense(6, 16), nb.ReLU()]
    if dropout:
        layers.append(nb.Dropout(0.2))
    layers += [nb.Dense(16, 3)]
    return nb.Sequential(layers, backend="cpu", seed=seed, dtype=dtype)


def _data(n=64):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 6))
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)


def _fit(net, opt, epochs, seed):
    x, y = _data()
    return net.fit(x, y, loss=nb.losses.CrossEntropy(), optimizer=opt, epochs=epochs,
                   batch_size=16, seed=seed, progress=False)  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_resume_is_bit_for_bit(tmp_path, dtype):
    """2 epochs + save + load + 2 epochs == 4 epochs in one go (Adam state, dropout masks and
    shuffling included)."""
    ref = _net(dtype=dtype)
    h_ref = _fit(ref, nb.optim.Adam(ref.parameters(), lr=0.01), 4, seed=3)

    net = _net(dtype=dtype)
    opt = nb.optim.Adam(net.parameters(), lr=0.01)
    h1 = _fit(net, opt, 2, seed=3)
    C.save(tmp_path / "run.npz", net, opt, h1)
    ck = C.load(tmp_path / "run.npz", backend="cpu")
    assert ck.optimizer.state_dict()["t"] == opt.state_dict()["t"]
    assert ck.history["loss"] == h1["loss"]
    h2 = _fit(ck.model, ck.optimizer, 2, seed=ck.rng)
    for a, b in zip(ref.parameters(), ck.model.parameters()):
        assert a.value.dtype == b.value.dtype == dtype
        assert np.array_equal(a.value, b.value), a.name
    assert h_ref["loss"][2:] == h2["loss"]


def test_load_into_an_existing_model_and_optimizer(tmp_path):
    net = _net()
    opt = nb.optim.Momentum(net.parameters(), lr=0.1, beta1=0.9)
    _fit(net, opt, 1, seed=0)
    C.save(tmp_path / "a.npz", net, opt)
    other = _net(seed=9)
    opt2 = nb.optim.Momentum(other.parameters(), lr=0.1, beta1=0.9)
    C.load(tmp_path / "a.npz", model=other, optimizer=opt2)
    for a, b in zip(net.parameters(), other.parameters()):
        assert np.array_equal(a.value, b.value)
    for k, v in opt.state_dict().items():
        assert np.array_equal(np.asarray(v), np.asarray(opt2.state_dict()[k])), k


def _saved(tmp_path):
    net = _net()
    opt = nb.optim.Adam(net.parameters(), lr=0.01)
    _fit(net, opt, 1, seed=0)
    path = tmp_path / "ck.npz"
    C.save(path, net, opt)
    return net, opt, path


def test_mismatched_architecture_is_refused_and_the_model_untouched(tmp_path):
    _, _, path = _saved(tmp_path)
    other = nb.Sequential([nb.Dense(6, 8), nb.ReLU(), nb.Dense(8, 3)], backend="cpu", seed=1,
                          dtype=np.float64)  # fmt: skip
    before = other.get_flat().copy()
    with pytest.raises(CheckpointError):
        C.load(path, model=other)
    assert np.array_equal(other.get_flat(), before)


def test_wrong_optimizer_class_is_refused(tmp_path):
    net, _, path = _saved(tmp_path)
    sgd = nb.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match="Adam"):
        C.load(path, model=net, optimizer=sgd)


def test_truncated_file_is_refused(tmp_path):
    net, _, path = _saved(tmp_path)
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 40, 10):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated or corrupted|not a"):
            C.load(bad, model=net)


def test_flipped_bytes_are_refused(tmp_path):
    net, _, path = _saved(tmp_path)
    before = net.get_flat().copy()
    data = bytearray(path.read_bytes())
    # flip one byte inside the stored weights (after the zip headers of the first entries)
    i = len(data) // 2
    data[i] ^= 0xFF
    bad = tmp_path / "flip.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(CheckpointError):
        C.load(bad, model=net)
    assert np.array_equal(net.get_flat(), before)


def test_checksum_catches_consistent_but_altered_arrays(tmp_path):
    """An npz rewritten with valid zip CRCs but one weight changed: only the checksum sees it."""
    net, _, path = _saved(tmp_path)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["param/0.W"] = arrays["param/0.W"] + 1e-3
    np.savez(tmp_path / "edited.npz", **arrays)
    with pytest.raises(CheckpointError, match="checksum"):
        C.load(tmp_path / "edited.npz", model=net)


def test_future_format_version_is_refused(tmp_path):
    net, _, path = _saved(tmp_path)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta["version"] = C.VERSION + 1
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "v2.npz", **arrays)
    with pytest.raises(CheckpointError, match="version"):
        C.load(tmp_path / "v2.npz", model=net)


def test_pickle_and_foreign_files_are_refused_without_unpickling(tmp_path):
    net, _, _ = _saved(tmp_path)
    # an object array can only be read by unpickling: np.load(allow_pickle=False) refuses it
    marker = tmp_path / "unpickled"
    obj = np.empty(1, dtype=object)
    obj[0] = {"a": 1}
    np.savez(tmp_path / "obj.npz", __meta__=np.array("{}"), evil=obj)
    with pytest.raises(CheckpointError):
        C.load(tmp_path / "obj.npz", model=net)
    assert not marker.exists()
    (tmp_path / "text.npz").write_text("not a zip file at all")
    with pytest.raises(CheckpointError, match="not a readable"):
        C.load(tmp_path / "text.npz", model=net)
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(CheckpointError, match="not a numbanet checkpoint"):
        C.load(tmp_path / "plain.npz", model=net)
    with pytest.raises(CheckpointError, match="does not exist"):
        C.load(tmp_path / "missing.npz", model=net)
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    with pytest.raises(CheckpointError):
        C.load(tmp_path / "empty.npz", model=net)


def test_a_failing_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    net, opt, path = _saved(tmp_path)
    before = path.read_bytes()

    def broken_savez(fh, **arrays):
        fh.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        C.save(path, net, opt)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]  # no temporary file left


_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import numbanet as nb
    from numbanet import checkpoint as C

    path = sys.argv[1]
    net = nb.Sequential([nb.Dense(1000, 1000), nb.Dense(1000, 1000)], backend="reference",
                        seed=0, dtype=np.float64)
    k = 0
    while True:
        for p in net.parameters():
            p.value = np.full(p.shape, float(k))
        C.save(path, net)
        print(k, flush=True)
        k += 1
    """
)


def test_sigkill_during_a_save_leaves_a_complete_checkpoint(tmp_path):
    """A child saves a 16 MB checkpoint over and over (each version's weights all equal its
    number); it is SIGKILLed at several moments. Every time, the file on disk loads and holds one
    complete version, at least as new as the last one the child reported; at least one kill
    lands in the middle of a write (its temporary file is left behind)."""
    path = tmp_path / "ck.npz"
    hits = 0
    for delay in (0.05, 0.13, 0.21, 0.34, 0.47, 0.61):
        path.unlink(missing_ok=True)
        for leftover in tmp_path.glob(".ck.npz.*.tmp"):
            leftover.unlink()
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        first = proc.stdout.readline()  # version 0 is complete on disk
        assert first.strip() == "0", first
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        reported = [int(v) for v in [first, *proc.stdout.read().split()] if str(v).strip()]
        proc.stdout.close()
        if list(tmp_path.glob(".ck.npz.*.tmp")):
            hits += 1  # killed mid-write: the previous version must still be whole
        ck = C.load(path, backend="reference")
        vals = np.unique(np.concatenate([p.value.ravel() for p in ck.model.parameters()]))
        assert len(vals) == 1, "a mixture of two versions"
        assert vals[0] >= max(reported)
    assert hits >= 1, "no kill landed during a write"
