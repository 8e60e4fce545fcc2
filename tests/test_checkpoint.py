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
    return net.fit(
        x,
        y,
        loss=nb.losses.CrossEntropy(),
        optimizer=opt,
        epochs=epochs,
        batch_size=16,
        seed=seed,
        progress=False,
    )


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
    other = nb.Sequential(
        [nb.Dense(6, 8), nb.ReLU(), nb.Dense(8, 3)], backend="cpu", seed=1, dtype=np.float64
    )
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
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
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


# ---------------------------------------------------------------------------- crafted files
# Each file below is built by hand: a real checkpoint copied member by member with zipfile, one
# member replaced by a hand-written .npy header (and data). load must refuse it with a
# CheckpointError naming the member, without allocating what the file claims.

_HUGE = (100_000, 100_000)  # 74.5 GiB of float64


def _npy(shape, descr="<f8", data=b"", fortran=False, version=1, header_len=None):
    """A hand-written .npy file: magic, version, header length, the header dict, the data."""
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}"
    prefix = 6 + 2 + (2 if version == 1 else 4)
    pad = -(prefix + len(header) + 1) % 64
    header = (header + " " * pad + "\n").encode("latin1")
    size = len(header) if header_len is None else header_len
    length = size.to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + data


def _meta_npy(meta):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array(json.dumps(meta)), allow_pickle=False)
    return buf.getvalue()


def _original(tmp_path):
    """A small checkpoint with parameters, Adam state and a history: (net, path, meta)."""
    net = _net(dropout=False)
    opt = nb.optim.Adam(net.parameters(), lr=0.01)
    hist = _fit(net, opt, 2, seed=0)
    path = tmp_path / "ok.npz"
    C.save(path, net, opt, hist)
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["__meta__"]))
    return net, path, meta


def _rewrite(src, dst, replace=(), drop=(), compress=()):
    """Copy the zip ``src`` to ``dst``, member contents replaced from the dict ``replace`` (new
    names are appended), members in ``drop`` left out, members in ``compress`` deflated."""
    replace = dict(replace)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        names = [i.filename for i in zin.infolist()]
        for name in names + [n for n in replace if n not in names]:
            if name in drop:
                continue
            data = replace[name] if name in replace else zin.read(name)
            method = zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED
            zout.writestr(name, data, compress_type=method)
    return dst


def _refused(path, match, model=None, limit=8 * 2**20):
    """load(path) raises CheckpointError matching ``match`` with a tracemalloc peak < limit."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=match) as info:
            C.load(path, model=model, backend="cpu")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit, f"load allocated {peak} bytes before refusing"
    return str(info.value)


def test_the_untouched_copy_loads(tmp_path):
    """The rewriting helper itself keeps a checkpoint valid (so the refusals below are caused by
    the one member each test changes)."""
    net, path, _ = _original(tmp_path)
    ck = C.load(_rewrite(path, tmp_path / "copy.npz"), backend="cpu")
    for a, b in zip(net.parameters(), ck.model.parameters()):
        assert np.array_equal(a.value, b.value)
    assert ck.history.epochs == 2 and ck.history["loss"] == C.load(path).history["loss"]


def test_a_header_claiming_a_huge_weight_is_refused_before_allocating(tmp_path):
    net, path, _ = _original(tmp_path)
    w = net.layers[0].W.value  # (16, 6)
    bad = _rewrite(path, tmp_path / "huge.npz", {"param/0.W.npy": _npy(_HUGE, data=w.tobytes())})
    msg = _refused(bad, r"param/0\.W\.npy")
    assert "(100000, 100000)" in msg and f"{tuple(w.shape)}" in msg, msg


def test_metadata_and_header_agreeing_on_a_huge_weight_that_is_not_there(tmp_path):
    """The architecture and the header both claim (100000, 100000); the member holds 768 bytes:
    refused as truncated, before the model (74.5 GiB) is built."""
    net, path, meta = _original(tmp_path)
    meta["architecture"]["layers"][0]["params"]["W"] = list(_HUGE)
    meta["architecture"]["layers"][0]["config"].update(in_features=_HUGE[1], out_features=_HUGE[0])
    w = net.layers[0].W.value.tobytes()
    bad = _rewrite(
        path,
        tmp_path / "huge2.npz",
        {"__meta__.npy": _meta_npy(meta), "param/0.W.npy": _npy(_HUGE, data=w)},
    )
    msg = _refused(bad, r"param/0\.W\.npy is truncated")
    assert f"holds {len(w)} bytes" in msg and str(8 * _HUGE[0] * _HUGE[1]) in msg, msg


def test_a_layer_config_larger_than_its_declared_parameters_is_refused_before_allocating(tmp_path):
    """The config asks for a (100000, 100000) Dense while the parameter table (and every member)
    says (16, 6): the rebuilt layer is compared with the table before Sequential allocates it."""
    _, path, meta = _original(tmp_path)
    meta["architecture"]["layers"][0]["config"].update(in_features=_HUGE[1], out_features=_HUGE[0])
    bad = _rewrite(path, tmp_path / "cfg.npz", {"__meta__.npy": _meta_npy(meta)})
    msg = _refused(bad, "layer 0 \\(Dense\\) rebuilt from its config")
    assert "[100000, 100000]" in msg and "[16, 6]" in msg, msg


@pytest.mark.parametrize(
    "descr,match",
    [
        ("<f4", "dtype float32; parameter 0.W must be float64"),
        ("|O", "dtype object; parameter 0.W must be float64"),  # would need unpickling
        ("<i8", "dtype int64"),
    ],
)
def test_a_header_with_the_wrong_dtype_is_refused(tmp_path, descr, match):
    net, path, _ = _original(tmp_path)
    w = net.layers[0].W.value.tobytes()
    bad = _rewrite(path, tmp_path / "dt.npz", {"param/0.W.npy": _npy((16, 6), descr, w)})
    assert "param/0.W.npy" in _refused(bad, match)


def test_a_truncated_member_is_refused(tmp_path):
    net, path, _ = _original(tmp_path)
    w = net.layers[0].W.value.tobytes()[:100]
    bad = _rewrite(path, tmp_path / "cut.npz", {"param/0.W.npy": _npy((16, 6), data=w)})
    msg = _refused(bad, r"param/0\.W\.npy is truncated")
    assert "holds 100 bytes" in msg and "need 768" in msg, msg


def test_a_member_longer_than_its_header_says_is_refused(tmp_path):
    net, path, _ = _original(tmp_path)
    w = net.layers[0].W.value.tobytes() * 2
    bad = _rewrite(path, tmp_path / "long.npz", {"param/0.W.npy": _npy((16, 6), data=w)})
    _refused(bad, r"param/0\.W\.npy is longer than its header says")


def test_a_zip_bomb_member_is_refused_without_inflating_it(tmp_path):
    """A bias of 16 floats stored as a 40 MB deflated entry (40 kB on disk): its declared size is
    compared with what the architecture needs before a byte is inflated."""
    net, path, _ = _original(tmp_path)
    b = net.layers[0].b.value.tobytes() + bytes(40 * 2**20)
    bad = _rewrite(
        path,
        tmp_path / "bomb.npz",
        {"param/0.b.npy": _npy((16,), data=b)},
        compress={"param/0.b.npy"},
    )
    assert bad.stat().st_size < 2**20
    msg = _refused(bad, r"param/0\.b\.npy declares \d+ bytes uncompressed", limit=2**20)
    assert "refused without inflating it" in msg


def _patch_declared_size(path, member, size):
    """Rewrite the uncompressed size the zip's local and central headers declare for ``member``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        off = z.getinfo(member).header_offset
    assert data[off : off + 4] == b"PK\x03\x04"
    data[off + 22 : off + 26] = size.to_bytes(4, "little")
    name = member.encode()
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(name) + 1)
    assert data[central + 46 : central + 46 + len(name)] == name
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_an_entry_inflating_far_beyond_its_declared_size_is_refused(tmp_path):
    """The zip directory declares the right size for the bias but its deflated stream inflates to
    40 MB: reading stops at the declared size and the CRC check refuses the member."""
    net, path, _ = _original(tmp_path)
    b = net.layers[0].b.value.tobytes()
    bad = _rewrite(
        path,
        tmp_path / "liar.npz",
        {"param/0.b.npy": _npy((16,), data=b + bytes(40 * 2**20))},
        compress={"param/0.b.npy"},
    )
    _patch_declared_size(bad, "param/0.b.npy", len(_npy((16,), data=b)))
    _refused(bad, r"param/0\.b\.npy is corrupted: Bad CRC", limit=2**20)


def test_an_entry_stored_past_the_end_of_the_file_is_refused(tmp_path):
    """A stored member declaring 100000 x 100000 floats in both the metadata and the zip
    directory, in a file of a few kilobytes: refused before reading."""
    net, path, meta = _original(tmp_path)
    w = net.layers[0].W.value.tobytes()
    meta["architecture"]["layers"][0]["params"]["W"] = [100, 100]
    raw = _npy((100, 100), data=w)
    bad = _rewrite(
        path, tmp_path / "short.npz", {"__meta__.npy": _meta_npy(meta), "param/0.W.npy": raw}
    )
    _patch_declared_size(bad, "param/0.W.npy", len(raw) - len(w) + 8 * 100 * 100)
    msg = _refused(bad, r"param/0\.W\.npy")
    assert "truncated" in msg or "cannot produce" in msg, msg


def test_an_undeclared_or_duplicated_member_is_refused_unread(tmp_path):
    _, path, _ = _original(tmp_path)
    evil = _npy(_HUGE, data=b"")
    bad = _rewrite(path, tmp_path / "extra.npz", {"param/9.W.npy": evil})
    assert "param/9.W.npy is not declared" in _refused(bad, "not declared")
    bad = _rewrite(path, tmp_path / "notnpy.npz", {"readme.txt": b"hello"})
    _refused(bad, "'readme.txt' is not an .npy array")
    dup = tmp_path / "dup.npz"
    _rewrite(path, dup)
    import warnings

    with warnings.catch_warnings(), zipfile.ZipFile(dup, "a") as z:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        z.writestr("param/0.W.npy", evil)
    _refused(dup, r"lists \['param/0\.W\.npy'\] more than once")


def test_missing_members_are_named(tmp_path):
    _, path, _ = _original(tmp_path)
    _refused(
        _rewrite(path, tmp_path / "a.npz", drop={"param/2.b.npy"}),
        r"parameter 2\.b \(param/2\.b\.npy\) is missing",
    )
    _refused(
        _rewrite(path, tmp_path / "b.npz", drop={"history/loss.npy"}),
        r"history series 'loss' \(history/loss\.npy\) is missing",
    )


def test_a_header_length_field_of_gigabytes_is_not_followed(tmp_path):
    """A version-2 header whose length field says 4 GB: the header reader is capped."""
    _, path, _ = _original(tmp_path)
    bad = _rewrite(
        path,
        tmp_path / "hdr.npz",
        {"param/0.W.npy": _npy((16, 6), version=2, header_len=2**32 - 1)},
    )
    _refused(bad, r"param/0\.W\.npy: its \.npy header is longer than")


def test_metadata_claiming_a_gigabyte_string_is_refused(tmp_path):
    _, path, _ = _original(tmp_path)
    bad = _rewrite(path, tmp_path / "meta.npz", {"__meta__.npy": _npy((), "<U500000000")})
    _refused(bad, r"__meta__\.npy: expected one JSON string")


def test_an_undeclared_history_length_is_capped(tmp_path, monkeypatch):
    """Files without recorded history shapes: a series may hold at most a fixed number of bytes."""
    _, path, meta = _original(tmp_path)
    del meta["history"]["shapes"]
    monkeypatch.setattr(C, "_UNDECLARED_HISTORY_MAX_BYTES", 2**20)
    bad = _rewrite(
        path,
        tmp_path / "hist.npz",
        {"__meta__.npy": _meta_npy(meta), "history/loss.npy": _npy((2**18,), data=bytes(2**21))},
        compress={"history/loss.npy"},
    )
    _refused(bad, r"history/loss\.npy declares \d+ bytes uncompressed, but history series 'loss'")
    # within the cap it loads (the checksum then covers the series as saved)
    ok = _rewrite(path, tmp_path / "hist_ok.npz", {"__meta__.npy": _meta_npy(meta)})
    assert C.load(ok, backend="cpu").history.epochs == 2


def test_a_fortran_ordered_member_loads_with_its_values(tmp_path):
    """fortran_order is honoured: the same values in column-major order load identically."""
    import io

    net, path, _ = _original(tmp_path)
    w = net.layers[0].W.value
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asfortranarray(w), allow_pickle=False)
    ok = _rewrite(path, tmp_path / "f.npz", {"param/0.W.npy": buf.getvalue()})
    ck = C.load(ok, backend="cpu")
    assert np.array_equal(ck.model.layers[0].W.value, w)
