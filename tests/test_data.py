"""numbanet.data: MNIST and SEMEION from verified files, downloads over real HTTP, MNIST-1D, toys.

Every test runs with an empty cache folder of its own (NUMBANET_CACHE under tmp_path) so the real
home cache is never touched. The download tests serve copies of ../shared/data from a
ThreadingHTTPServer bound to 127.0.0.1 (marker ``network``): good, corrupted, truncated, lying and
silent mirrors, checking that only verified files reach the cache.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import logging
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

import numbanet.data as D
from numbanet.data import _fetch, mnist, semeion
from numbanet.errors import DataError, DTypeError, ValidationError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"  # ../shared/data
SHARED_MNIST = SHARED / "mnist"
SHARED_SEMEION = SHARED / "semeion" / "semeion.data"
MNIST_FILES = mnist.MNIST_FILES

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
SEMEION_COUNTS = [161, 162, 159, 159, 161, 159, 161, 158, 155, 158]

needs_mnist = pytest.mark.skipif(
    not all((SHARED_MNIST / f).is_file() for f in MNIST_FILES),
    reason=f"MNIST files not found in {SHARED_MNIST}",
)
needs_semeion = pytest.mark.skipif(
    not SHARED_SEMEION.is_file(), reason=f"{SHARED_SEMEION} not found"
)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """An empty cache folder of our own; no data folder, mirrors or URL from the environment."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("NUMBANET_CACHE", str(cache))
    for var in ("NUMBANET_DATA", "NUMBANET_MNIST_MIRRORS", "NUMBANET_SEMEION_URL"):
        monkeypatch.delenv(var, raising=False)
    return cache


@pytest.fixture
def shared(monkeypatch):
    monkeypatch.setenv("NUMBANET_DATA", str(SHARED))
    return SHARED


@pytest.fixture
def fresh(monkeypatch):
    """Forget in-process memos and verifications (restored afterwards, so other tests stay fast)."""
    monkeypatch.setattr(mnist, "_raw", {})
    monkeypatch.setattr(semeion, "_memo", {})
    monkeypatch.setattr(_fetch, "_verified", {})


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _copy_mnist(dest: Path, mutate=None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in MNIST_FILES:
        data = (SHARED_MNIST / name).read_bytes()
        (dest / name).write_bytes(mutate(data) if mutate else data)
    return dest


def _flip_byte(data: bytes) -> bytes:
    b = bytearray(data)
    b[len(b) // 2] ^= 0xFF
    return bytes(b)


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


class _LyingHandler(http.server.BaseHTTPRequestHandler):
    """Announces the full Content-Length but sends only half the file, then hangs up."""

    directory = "."

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        path = Path(self.directory) / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True


@contextlib.contextmanager
def serve(directory, handler=_QuietHandler):
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port); yield (base URL, server)."""
    if handler is _QuietHandler:
        factory = functools.partial(handler, directory=str(directory))
    else:
        factory = type("H", (handler,), {"directory": str(directory)})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
    srv.requests = []
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    th.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/", srv
    finally:
        srv.shutdown()
        srv.server_close()
        th.join()


@pytest.fixture(scope="module")
def mirror_dirs(tmp_path_factory):
    """Good, corrupted (one byte flipped) and truncated copies of the MNIST files."""
    if not all((SHARED_MNIST / f).is_file() for f in MNIST_FILES):
        pytest.skip("MNIST files not available")
    root = tmp_path_factory.mktemp("mirrors")
    return {
        "good": _copy_mnist(root / "good"),
        "corrupt": _copy_mnist(root / "corrupt", _flip_byte),
        "truncated": _copy_mnist(root / "truncated", _truncate),
        "empty": (root / "empty").mkdir() or root / "empty",
    }


def _check_mnist_facts(d):
    assert d.x_train.shape == (60000, 784) and d.x_test.shape == (10000, 784)
    assert d.y_train.shape == (60000,) and d.y_test.shape == (10000,)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(d.y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(d.y_test).tolist() == TEST_COUNTS
    assert round(float(d.x_train.mean(dtype=np.float64)), 4) == 0.1307
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0


def _cached_files(cache: Path) -> list[str]:
    folder = cache / "mnist"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --------------------------------------------------------------------------- MNIST from disk
@needs_mnist
def test_mnist_matches_the_published_facts(shared):
    _check_mnist_facts(D.load_mnist())


@needs_mnist
def test_mnist_layouts_and_dtypes(shared):
    d = D.load_mnist(flatten=False, dtype=np.float64)
    assert d.x_train.shape == (60000, 1, 28, 28) and d.x_test.shape == (10000, 1, 28, 28)
    assert d.x_train.dtype == np.float64
    flat = D.load_mnist()
    np.testing.assert_allclose(d.x_train[:3].reshape(3, 784), flat.x_train[:3], rtol=1e-7)
    # pixel 255 maps exactly to 1, 0 to 0, and every value is k/255
    k = d.x_test[:50] * 255
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)


@needs_mnist
def test_classic_split(shared):
    s = D.mnist_split()
    d = D.load_mnist()
    assert (s.x_train.shape, s.x_val.shape, s.x_test.shape) == (
        (50000, 784),
        (10000, 784),
        (10000, 784),
    )
    assert (s.y_train.shape, s.y_val.shape, s.y_test.shape) == ((50000,), (10000,), (10000,))
    np.testing.assert_array_equal(s.x_val, d.x_train[50000:])
    np.testing.assert_array_equal(s.y_train, d.y_train[:50000])
    np.testing.assert_array_equal(s.y_test, d.y_test)
    assert D.mnist_split(flatten=False).x_val.shape == (10000, 1, 28, 28)
    assert "x_val=(10000, 784)" in repr(s)


@needs_mnist
def test_callers_cannot_corrupt_the_memo(shared):
    d = D.load_mnist()
    d.x_train[:] = 7.0
    d.y_train[:] = 3
    again = D.load_mnist()
    assert again.y_train[:4].tolist() == [5, 0, 4, 1]
    assert again.x_train.max() == 1.0


@needs_mnist
def test_data_folder_may_hold_the_files_directly(monkeypatch):
    monkeypatch.setenv("NUMBANET_DATA", str(SHARED_MNIST))
    assert D.find_mnist() == SHARED_MNIST
    assert D.load_mnist().y_test[:3].tolist() == [7, 2, 1]


@needs_mnist
def test_find_mnist_looks_without_downloading(monkeypatch, isolated_env, tmp_path):
    assert D.find_mnist() is None  # nothing anywhere, and no download attempted
    monkeypatch.setenv("NUMBANET_DATA", str(SHARED))
    assert D.find_mnist() == SHARED_MNIST
    assert D.find_mnist(tmp_path / "nowhere") is None


@needs_mnist
def test_uncompressed_npy_copy_is_written_and_used(shared, fresh, isolated_env, monkeypatch):
    D.load_mnist()
    npys = [f for f in _cached_files(isolated_env) if f.endswith(".npy")]
    assert len(npys) == 4
    # named after the .gz file's SHA-256, so another version of a file can never be confused
    assert f"train-images-idx3-ubyte.{_fetch.SHA256['train-images-idx3-ubyte.gz'][:16]}.npy" in npys
    arr = np.load(isolated_env / "mnist" / npys[-1], allow_pickle=False)
    assert arr.dtype == np.uint8

    # A new process (fresh memo) reads the .npy files, never the .gz parser.
    monkeypatch.setattr(mnist, "_raw", {})

    def no_parse(*a, **k):
        raise AssertionError("the .npy cache should have been used")

    monkeypatch.setattr(mnist, "read_idx", no_parse)
    _check_mnist_facts(D.load_mnist())


@needs_mnist
def test_broken_npy_copy_is_ignored_and_rebuilt(shared, fresh, isolated_env):
    D.load_mnist()
    npy = next((isolated_env / "mnist").glob("train-labels*.npy"))
    npy.write_bytes(b"garbage, not an npy file")
    mnist._raw.clear()
    d = D.load_mnist()
    assert d.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.load(npy, allow_pickle=False).shape == (60000,)


@needs_mnist
def test_path_argument_is_the_only_place_looked(shared, tmp_path):
    folder = _copy_mnist(tmp_path / "mine" / "mnist")
    assert D.load_mnist(tmp_path / "mine").y_train[0] == 5  # mnist/ subfolder
    assert D.load_mnist(folder).y_train[0] == 5  # files directly
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz was not found under path="):
        D.load_mnist(empty)  # even though NUMBANET_DATA has the files


@needs_mnist
def test_corrupt_local_file_names_file_and_sums(monkeypatch, tmp_path, fresh):
    folder = _copy_mnist(tmp_path / "data" / "mnist")
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(_flip_byte(bad.read_bytes()))
    monkeypatch.setenv("NUMBANET_DATA", str(tmp_path / "data"))
    with pytest.raises(DataError) as exc:
        D.load_mnist()
    msg = str(exc.value)
    assert str(bad) in msg
    assert _fetch.SHA256["t10k-labels-idx1-ubyte.gz"] in msg  # expected
    assert _sha(bad) in msg  # actual
    assert "Replace it" in msg


@needs_mnist
def test_edited_file_is_verified_again(monkeypatch, tmp_path, fresh):
    folder = _copy_mnist(tmp_path / "d")
    monkeypatch.setenv("NUMBANET_DATA", str(folder))
    D.load_mnist()
    f = folder / "train-labels-idx1-ubyte.gz"
    f.write_bytes(_truncate(f.read_bytes()))
    with pytest.raises(DataError, match="failed its SHA-256 check"):
        D.load_mnist()


def test_missing_without_download_says_how_to_fix(isolated_env):
    with pytest.raises(DataError) as exc:
        D.load_mnist(download=False)
    msg = str(exc.value)
    assert "download=False" in msg and "NUMBANET_DATA" in msg
    assert str(isolated_env / "mnist") in msg


def test_bad_arguments():
    with pytest.raises(ValidationError, match="mirrors"):
        D.load_mnist(mirrors=["ftp://example.org/"])
    with pytest.raises(ValidationError, match="mirrors is empty"):
        D.load_mnist(mirrors=[])
    with pytest.raises(Exception, match="dtype"):
        D.load_mnist(dtype=np.int32)
    with pytest.raises(ValidationError, match="flatten"):
        D.load_mnist(flatten="no")


def test_bad_mirror_env_is_named(monkeypatch):
    monkeypatch.setenv("NUMBANET_MNIST_MIRRORS", "not a url")
    with pytest.raises(ValidationError, match="NUMBANET_MNIST_MIRRORS"):
        D.load_mnist()


def test_cache_dir_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBANET_CACHE", str(tmp_path / "a"))
    assert D.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("NUMBANET_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert D.cache_dir() == tmp_path / "xdg" / "numbanet"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert D.cache_dir() == Path.home() / ".cache" / "numbanet"


def test_builtin_sums_match_the_shared_list():
    listed = {}
    sums = SHARED / "SHA256SUMS"
    if not sums.is_file():
        pytest.skip("SHA256SUMS not available")
    for line in sums.read_text().splitlines():
        digest, name = line.split()
        listed[Path(name).name] = digest
    assert listed == D.SHA256


# --------------------------------------------------------------------------- IDX parsing
@needs_mnist
def test_idx_reader_checks_magic_and_sizes(tmp_path):
    raw = gzip.decompress((SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").read_bytes())
    y = D.parse_idx(raw, magic=2049)
    assert y.shape == (10000,) and y.dtype == np.uint8 and y[:3].tolist() == [7, 2, 1]

    with pytest.raises(DataError, match="magic number 2049; expected 2051"):
        D.parse_idx(raw, name="labels", magic=2051)
    with pytest.raises(DataError, match=r"truncated: its header announces shape \(10000,\)"):
        D.parse_idx(raw[:5000], magic=2049)
    with pytest.raises(DataError, match="truncated inside its header"):
        D.parse_idx(raw[:6])
    with pytest.raises(DataError, match="too short"):
        D.parse_idx(b"\x00")
    with pytest.raises(DataError, match="unexpected bytes"):
        D.parse_idx(raw + b"\x00\x00")
    with pytest.raises(DataError, match="not an IDX file"):
        D.parse_idx(b"PK\x03\x04" + raw[4:])

    img = gzip.decompress((SHARED_MNIST / "t10k-images-idx3-ubyte.gz").read_bytes())
    p = tmp_path / "short-images"
    p.write_bytes(img[: len(img) - 784 * 3 - 5])
    with pytest.raises(DataError, match=r"short-images is truncated.*\(10000, 28, 28\)"):
        D.read_idx(p, magic=2051)
    gz = tmp_path / "half.gz"
    gz.write_bytes(_truncate((SHARED_MNIST / "t10k-images-idx3-ubyte.gz").read_bytes()))
    with pytest.raises(DataError, match="half.gz is not a valid gzip file"):
        D.read_idx(gz)
    gz.write_bytes(gzip.compress(img, compresslevel=1))
    assert D.read_idx(gz, magic=2051).shape == (10000, 28, 28)


# --------------------------------------------------------------------------- downloads
@pytest.mark.network
@needs_mnist
def test_download_verifies_caches_and_loads(mirror_dirs, isolated_env, fresh):
    with serve(mirror_dirs["good"]) as (url, srv):
        d = D.load_mnist(mirrors=[url])
        assert sorted(srv.requests) == sorted("/" + f for f in MNIST_FILES)
    _check_mnist_facts(d)
    for name in MNIST_FILES:
        assert _sha(isolated_env / "mnist" / name) == _fetch.SHA256[name]
    assert D.find_mnist() == isolated_env / "mnist"
    # the next load is offline: no server any more, the cache is used
    assert D.load_mnist(download=False).y_train[0] == 5


@pytest.mark.network
@needs_mnist
def test_mirrors_from_environment(monkeypatch, mirror_dirs, isolated_env):
    with serve(mirror_dirs["empty"]) as (u404, s404), serve(mirror_dirs["good"]) as (url, srv):
        monkeypatch.setenv("NUMBANET_MNIST_MIRRORS", f"{u404}, {url.rstrip('/')}")
        D.load_mnist()
        assert len(s404.requests) == 4 and len(srv.requests) == 4
    assert all(f in _cached_files(isolated_env) for f in MNIST_FILES)


@pytest.mark.network
@needs_mnist
@pytest.mark.parametrize("bad", ["corrupt", "truncated", "lying"])
def test_bad_first_mirror_is_rejected_and_not_cached(bad, mirror_dirs, isolated_env, capsys):
    if bad == "lying":
        first = serve(mirror_dirs["good"], _LyingHandler)
    else:
        first = serve(mirror_dirs[bad])
    with first as (bad_url, bad_srv), serve(mirror_dirs["good"]) as (good_url, good_srv):
        d = D.load_mnist(mirrors=[bad_url, good_url])
        assert len(bad_srv.requests) == 4  # every file was tried there first...
        assert len(good_srv.requests) == 4  # ...and then fetched from the good mirror
    _check_mnist_facts(d)
    # only the verified files (and their .npy copies) are in the cache: no temporary leftovers
    files = _cached_files(isolated_env)
    assert [f for f in files if not f.endswith(".npy")] == sorted(MNIST_FILES)
    for name in MNIST_FILES:
        assert _sha(isolated_env / "mnist" / name) == _fetch.SHA256[name]
    assert "downloading train-images-idx3-ubyte.gz" in capsys.readouterr().err


@pytest.mark.network
@needs_mnist
def test_all_mirrors_bad_raises_helpful_error(mirror_dirs, isolated_env, tmp_path):
    oversized = _copy_mnist(tmp_path / "oversized", lambda data: data + b"extra bytes")
    with (
        serve(mirror_dirs["corrupt"]) as (u1, _),
        serve(mirror_dirs["truncated"]) as (u2, _),
        serve(mirror_dirs["good"], _LyingHandler) as (u3, _),
        serve(oversized) as (u4, _),
        serve(mirror_dirs["empty"]) as (u5, _),
    ):
        with pytest.raises(DataError) as exc:
            D.load_mnist(mirrors=[u1, u2, u3, u4, u5])
    msg = str(exc.value)
    name = "train-images-idx3-ubyte.gz"
    assert name in msg.splitlines()[0]
    assert f"{u1}{name}: rejected, SHA-256 mismatch: expected {_fetch.SHA256[name]}, got " in msg
    assert f"{u2}{name}: rejected, truncated: received 4,956,211 of 9,912,422 bytes" in msg
    assert f"{u3}{name}: rejected, truncated: the connection broke after " in msg
    assert f"{u4}{name}: rejected, the server sent more than the expected 9,912,422" in msg
    assert f"{u5}{name}: HTTP 404" in msg
    assert "NUMBANET_DATA" in msg and str(isolated_env / "mnist") in msg
    assert "nothing was cached" in msg
    assert not (isolated_env / "mnist" / name).exists()
    # not even pooch's temporary files are left behind
    assert _cached_files(isolated_env) == []


@pytest.mark.network
@needs_mnist
def test_downloads_go_through_pooch_with_the_sha256_registry(
    monkeypatch, mirror_dirs, isolated_env, fresh, capsys
):
    import pooch

    reg = _fetch.registry("mnist")
    assert reg == {name: "sha256:" + _fetch.SHA256[name] for name in MNIST_FILES}
    assert _fetch.registry("semeion") == {"semeion.data": "sha256:" + _fetch.SHA256["semeion.data"]}
    fetched = []
    real_fetch = pooch.Pooch.fetch

    def spy(store, fname, *args, **kwargs):
        fetched.append((fname, dict(store.registry), Path(store.abspath)))
        return real_fetch(store, fname, *args, **kwargs)

    monkeypatch.setattr(pooch.Pooch, "fetch", spy)
    log = pooch.get_logger()
    level = log.level
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    log.addHandler(handler)
    try:
        with serve(mirror_dirs["good"]) as (url, _):
            _check_mnist_facts(D.load_mnist(mirrors=[url]))
    finally:
        log.removeHandler(handler)
    assert sorted(f for f, _, _ in fetched) == sorted(MNIST_FILES)
    assert all(r == reg and p == isolated_env / "mnist" for _, r, p in fetched)
    err = capsys.readouterr().err
    assert err.count("numbanet: downloading") == 4
    assert records == []  # pooch's own log lines are kept quiet...
    assert log.level == level  # ...and its logger is put back as it was


@pytest.mark.network
def test_silent_server_times_out(monkeypatch, isolated_env):
    monkeypatch.setattr(_fetch, "DOWNLOAD_TIMEOUT", 0.3)
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/"
        with pytest.raises(DataError, match="timed out"):
            D.load_semeion(url=url + "semeion.data")
    assert not (isolated_env / "semeion" / "semeion.data").exists()


@pytest.mark.network
@needs_semeion
def test_semeion_download_from_env_url(monkeypatch, tmp_path, isolated_env, fresh):
    src = tmp_path / "srv"
    src.mkdir()
    shutil.copy(SHARED_SEMEION, src / "semeion.data")
    with serve(src) as (url, srv):
        monkeypatch.setenv("NUMBANET_SEMEION_URL", url + "semeion.data")
        x, y = D.load_semeion()
        assert srv.requests == ["/semeion.data"]
    assert x.shape == (1593, 256) and np.bincount(y).tolist() == SEMEION_COUNTS
    assert D.find_semeion() == isolated_env / "semeion" / "semeion.data"


# --------------------------------------------------------------------------- SEMEION
@needs_semeion
def test_semeion_facts(shared):
    d = D.load_semeion()
    x, y = d  # unpacks like a pair
    assert x.shape == (1593, 256) and x.dtype == np.float32
    assert y.shape == (1593,) and y.dtype == np.int64
    assert set(np.unique(x).tolist()) == {0.0, 1.0}
    assert np.bincount(y).tolist() == SEMEION_COUNTS
    assert D.find_semeion() == SHARED_SEMEION
    x[:] = 5  # a copy: the memo is untouched
    assert D.load_semeion().x.max() == 1.0


@needs_semeion
def test_semeion_path_may_be_the_file_or_a_folder(tmp_path):
    shutil.copy(SHARED_SEMEION, tmp_path / "semeion.data")
    assert D.load_semeion(tmp_path / "semeion.data").x.shape == (1593, 256)
    assert D.load_semeion(tmp_path).y.shape == (1593,)
    assert D.find_semeion() is None


@needs_semeion
def test_corrupt_semeion_is_refused(monkeypatch, tmp_path, fresh):
    text = SHARED_SEMEION.read_bytes()
    (tmp_path / "semeion.data").write_bytes(text.replace(b"1.0000 ", b"0.0000 ", 1))
    monkeypatch.setenv("NUMBANET_DATA", str(tmp_path))
    with pytest.raises(DataError, match=r"semeion\.data failed its SHA-256 check: expected f43228"):
        D.load_semeion()


def _semeion_line(label=3, pixels=None, onehot=None):
    px = pixels if pixels is not None else ["1.0000" if i % 3 else "0.0000" for i in range(256)]
    oh = onehot if onehot is not None else ["1" if k == label else "0" for k in range(10)]
    return " ".join(px + oh) + " "


def test_semeion_parser_reports_the_bad_line():
    good = _semeion_line(3) + "\r\n" + _semeion_line(7) + "\r\n"
    x, y = D.parse_semeion(good)
    assert x.shape == (2, 256) and y.tolist() == [3, 7]

    short = _semeion_line(1) + "\r\n" + " ".join(["0"] * 265) + "\r\n"
    with pytest.raises(DataError, match="line 2: 265 values; expected 266"):
        D.parse_semeion(short)
    word = _semeion_line(1, pixels=["0"] * 10 + ["x"] + ["0"] * 245)
    with pytest.raises(DataError, match="line 2, column 11: 'x' is not a number"):
        D.parse_semeion(_semeion_line(2) + "\n" + word)
    two_hot = _semeion_line(onehot=["1", "1"] + ["0"] * 8)
    with pytest.raises(DataError, match="line 1: label columns .* are not one-hot"):
        D.parse_semeion(two_hot)
    with pytest.raises(DataError, match="line 3, column 1: pixel value 2.0"):
        D.parse_semeion(
            "\n".join([_semeion_line(), _semeion_line(), _semeion_line(pixels=["2"] * 256)])
        )
    with pytest.raises(DataError, match="no data lines"):
        D.parse_semeion("\r\n\r\n")


# --------------------------------------------------------------------------- MNIST-1D
def test_mnist1d_shapes_and_defaults():
    m = D.load_mnist1d()
    assert m.x_train.shape == (4000, 40) and m.x_test.shape == (1000, 40)
    assert m.y_train.shape == (4000,) and m.y_test.shape == (1000,)
    assert m.x_train.dtype == np.float32 and m.y_train.dtype == np.int64
    assert m.t.shape == (40,) and m.templates.shape == (10, 12)
    assert m.params == D.mnist1d_params()
    p = D.mnist1d_params()
    assert p["padding"] == (36, 60) and p["final_seq_length"] == 40 and p["seed"] == 42
    assert (p["scale_coeff"], p["max_translation"], p["shear_scale"]) == (0.4, 48, 0.75)
    assert (p["corr_noise_scale"], p["corr_noise_sigma"], p["iid_noise_scale"]) == (0.25, 2.0, 0.02)


def test_mnist1d_is_deterministic_per_seed():
    a, b, c = D.load_mnist1d(), D.load_mnist1d(seed=42), D.load_mnist1d(seed=7)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.allclose(a.x_train, c.x_train)
    np.testing.assert_array_equal(D.load_mnist1d(**D.mnist1d_params()).x_test, a.x_test)


def test_mnist1d_classes_balanced_and_values_sane():
    m = D.load_mnist1d()
    y = np.concatenate([m.y_train, m.y_test])
    assert np.bincount(y).tolist() == [500] * 10
    train = np.bincount(m.y_train, minlength=10)
    assert train.min() >= 350 and train.max() <= 450
    x = np.concatenate([m.x_train, m.x_test]).astype(np.float64)
    assert np.isfinite(x).all()
    assert abs(x.mean()) < 1e-6 and abs(x.std() - 1) < 1e-6  # standardised as a whole
    assert np.abs(x).max() < 10
    # the templates start and end at 0 and differ from each other
    t = m.templates
    assert np.allclose(t[:, 0], 0) and np.allclose(t[:, -1], 0)
    gaps = np.linalg.norm(t[:, None, :] - t[None, :, :], axis=-1) + np.eye(10)
    assert gaps.min() > 0.1


def test_mnist1d_without_transformations_gives_back_the_templates():
    m = D.load_mnist1d(
        n_samples=50,
        padding=(0, 0),
        scale_coeff=0,
        max_translation=0,
        corr_noise_scale=0,
        iid_noise_scale=0,
        shear_scale=0,
        final_seq_length=12,
    )
    x = np.concatenate([m.x_train, m.x_test]).astype(np.float64)
    y = np.concatenate([m.y_train, m.y_test])
    T = m.templates[y]
    # the only change left is the global standardisation: x = (T - mean) / std
    a, b = np.polyfit(T.ravel(), x.ravel(), 1)
    assert a > 0
    np.testing.assert_allclose(x, a * T + b, atol=1e-5)


def test_mnist1d_parameters_are_validated_and_used():
    m = D.load_mnist1d(
        n_samples=123, train_split=0.5, final_seq_length=60, shuffle_seq=True, seed=1
    )
    assert m.x_train.shape == (61, 60) and m.x_test.shape == (62, 60)
    with pytest.raises(ValidationError, match="unknown MNIST-1D parameter.*'noise'"):
        D.load_mnist1d(noise=0.1)
    with pytest.raises(ValidationError, match="padding"):
        D.load_mnist1d(padding=(60, 36))
    with pytest.raises(ValidationError, match="n_samples"):
        D.load_mnist1d(n_samples=0)
    with pytest.raises(ValidationError, match="iid_noise_scale"):
        D.load_mnist1d(iid_noise_scale=-1)
    with pytest.raises(ValidationError, match="train_split"):
        D.load_mnist1d(train_split=1.5)


def test_mnist1d_interpolation_is_np_interp_bit_for_bit():
    from scipy import ndimage

    from numbanet.data.mnist1d import _gaussian_smooth, _interp_rows

    x = np.random.default_rng(0).standard_normal((7, 72))
    assert np.array_equal(_gaussian_smooth(x, 2.0), ndimage.gaussian_filter1d(x, 2.0, axis=1))
    assert np.array_equal(_gaussian_smooth(x, 0.0), x)
    lengths = np.array([72, 48, 12, 2, 30, 48, 71])
    for n_out in (40, 72, 2, 97):
        out = _interp_rows(x, lengths, n_out)
        for r, n in enumerate(lengths):
            ref = np.interp(np.linspace(0, 1, n_out), np.linspace(0, 1, n), x[r, :n])
            assert np.array_equal(out[r], ref), (n_out, n)


def _reference_mnist1d():
    """The ``mnist1d`` package (a dev extra), or a skip; in CI (CI=true) its absence fails."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the mnist1d package (numbanet[dev]) is not installed in CI")
        pytest.skip("the reference package mnist1d is not installed (pip install numbanet[dev])")

    def make(**overrides):
        args = get_dataset_args()
        args.__dict__.update(overrides)
        # make_dataset seeds the global `random` and `np.random` states: put them back.
        import random

        np_state, py_state = np.random.get_state(), random.getstate()
        try:
            return make_dataset(args)
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)

    return make


@pytest.mark.parametrize(
    "ours, theirs",
    [
        ({}, {}),  # the published data set: 5,000 examples, seed 42
        (
            {"n_samples": 300, "seed": 7, "shuffle_seq": True},
            {"num_samples": 300, "seed": 7, "shuffle_seq": True},
        ),
        (
            {
                "n_samples": 120,
                "seed": 3,
                "padding": (10, 20),
                "final_seq_length": 50,
                "max_translation": 5,
                "scale_coeff": 0.1,
                "shear_scale": 2.0,
                "train_split": 0.5,
            },
            {
                "num_samples": 120,
                "seed": 3,
                "padding": [10, 20],
                "final_seq_length": 50,
                "max_translation": 5,
                "scale_coeff": 0.1,
                "shear_scale": 2.0,
                "train_split": 0.5,
            },
        ),
    ],
)
def test_mnist1d_is_the_reference_data_set_sample_for_sample(ours, theirs):
    ref = _reference_mnist1d()(**theirs)
    m64 = D.load_mnist1d(dtype="float64", **ours)
    # float64: every value bit-identical to the reference's make_dataset
    for got, key in (
        (m64.x_train, "x"),
        (m64.x_test, "x_test"),
        (m64.y_train, "y"),
        (m64.y_test, "y_test"),
        (m64.t, "t"),
    ):
        assert got.shape == ref[key].shape and np.array_equal(got, ref[key]), key
    assert m64.x_train.dtype == np.float64 and m64.y_train.dtype == np.int64
    assert np.array_equal(m64.templates, ref["templates"]["x"])
    # float32 (the default): the reference's values rounded to float32
    m32 = D.load_mnist1d(**ours)
    assert m32.x_train.dtype == np.float32
    assert np.array_equal(m32.x_train, ref["x"].astype(np.float32))
    assert np.array_equal(m32.x_test, ref["x_test"].astype(np.float32))


def test_mnist1d_leaves_the_global_random_state_alone():
    import random

    np_before, py_before = np.random.get_state(), random.getstate()
    D.load_mnist1d(n_samples=50)
    np_after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(np_before[1:], np_after[1:]))
    assert random.getstate() == py_before


def test_mnist1d_dtype_is_validated():
    with pytest.raises(DTypeError, match="float32 or float64"):
        D.load_mnist1d(n_samples=10, dtype="int32")
    with pytest.raises(DTypeError, match="float32 or float64"):
        D.load_mnist1d(n_samples=10, dtype="no-such-type")


# --------------------------------------------------------------------------- toy sets
@pytest.mark.parametrize(
    "gate, expected",
    [
        ("and", [0, 0, 0, 1]),
        ("or", [0, 1, 1, 1]),
        ("nand", [1, 1, 1, 0]),
        ("nor", [1, 0, 0, 0]),
        ("xor", [0, 1, 1, 0]),
        ("XNOR", [1, 0, 0, 1]),
    ],
)
def test_logic_gates(gate, expected):
    X, y = D.logic_gate(gate)
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and X.dtype == np.float64
    assert y.tolist() == expected and y.dtype == np.int64


def test_not_gate_and_unknown_gate():
    X, y = D.logic_gate("not")
    assert X.shape == (2, 1) and y.tolist() == [1, 0]
    with pytest.raises(ValidationError, match="name must be one of .*got 'xand'"):
        D.logic_gate("xand")


@pytest.mark.parametrize(
    "make, k",
    [
        (lambda **kw: D.moons(101, 0.1, **kw), 2),
        (lambda **kw: D.circles(101, 0.05, 0.4, **kw), 2),
        (lambda **kw: D.blobs(101, 4, 0.5, **kw), 4),
        (lambda **kw: D.spiral(101, 3, 0.1, **kw), 3),
    ],
    ids=["moons", "circles", "blobs", "spiral"],
)
def test_two_d_sets(make, k):
    X, y = make(seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    X2, y2 = make(seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(seed=4)[0], X)


def test_two_d_sets_geometry():
    X, y = D.circles(400, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    X, y = D.blobs(300, centers=[[0, 0], [10, 10]], std=0.1)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [10, 10], atol=0.05)
    X, _ = D.spiral(300, 3, noise=0.0)
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1 + 1e-12


def test_toy_arguments_are_validated():
    with pytest.raises(ValidationError, match="n must be >= 1"):
        D.moons(0)
    with pytest.raises(ValidationError, match="noise must be a finite number >= 0"):
        D.circles(10, noise=-0.1)
    with pytest.raises(ValidationError, match="factor must be in"):
        D.circles(10, factor=1.5)
    with pytest.raises(ValidationError, match="centers"):
        D.blobs(10, centers=[[1, 2, 3]])
    with pytest.raises(ValidationError, match="classes"):
        D.spiral(10, classes=0)
    with pytest.raises(ValidationError, match="seed"):
        D.moons(10, seed="abc")
    with pytest.raises(ValidationError, match="name must be one of 'sin', 'abs', 'step', 'poly'"):
        D.regression_1d("cos")


@pytest.mark.parametrize("name", ["sin", "abs", "step", "poly"])
def test_regression_1d(name):
    x, y = D.regression_1d(name, 64, seed=0)
    assert x.shape == (64, 1) and y.shape == (64, 1)
    assert np.all(np.diff(x[:, 0]) >= 0) and x.min() >= -1 and x.max() <= 1
    f = {
        "sin": lambda t: np.sin(2 * np.pi * t),
        "abs": np.abs,
        "step": lambda t: (t >= 0) * 1.0,
        "poly": lambda t: 4 * t**3 - 3 * t,
    }[name]
    np.testing.assert_allclose(y, f(x))
    _, noisy = D.regression_1d(name, 64, seed=0, noise=0.1)
    assert 0.05 < np.std(noisy - y) < 0.2


# --------------------------------------------------------------------------- helpers
def test_one_hot_and_batches():
    np.testing.assert_array_equal(D.one_hot([2, 0, 1], 3), np.eye(3, dtype=np.float32)[[2, 0, 1]])
    with pytest.raises(ValidationError, match="outside the range"):
        D.one_hot([3], 3)
    assert [b.tolist() for b in D.batches(5, 2)] == [[0, 1], [2, 3], [4]]
    assert [len(b) for b in D.batches(5, 2, drop_last=True)] == [2, 2]
    shuffled = np.concatenate(list(D.batches(10, 3, rng=0)))
    assert sorted(shuffled.tolist()) == list(range(10)) and shuffled.tolist() != list(range(10))
    with pytest.raises(ValidationError, match="batch_size"):
        list(D.batches(10, 0))


def test_nothing_is_ever_unpickled():
    src = Path(D.__file__).parent
    for f in src.glob("*.py"):
        text = f.read_text()
        for bad in ("import pickle", "pickle.load", "allow_pickle=True", "np.load(path)"):
            assert bad not in text, (f, bad)
        for line in text.splitlines():
            assert "np.load(" not in line or "allow_pickle=False" in line, (f, line)


def test_data_folder_env_that_does_not_exist_is_mentioned(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBANET_DATA", str(tmp_path / "typo"))
    with pytest.raises(DataError, match="NUMBANET_DATA is set, but this folder does not exist"):
        D.load_semeion(download=False)
    assert os.environ["NUMBANET_CACHE"].startswith(str(tmp_path))


@needs_mnist
def test_bad_mirrors_fail_early_even_with_local_files(shared):
    with pytest.raises(ValidationError, match="mirrors holds 'file:///etc/'"):
        D.load_mnist(mirrors="file:///etc/")
    with pytest.raises(ValidationError, match="url holds"):
        D.load_semeion(url="semeion.data")


def test_unusable_cache_folder_is_explained(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NUMBANET_CACHE", str(blocker / "cache"))
    with pytest.raises(DataError, match="cache folder .* cannot be created.*NUMBANET_CACHE"):
        D.load_semeion(url="http://127.0.0.1:9/semeion.data")


@pytest.mark.network
@needs_mnist
def test_figures_download_missing_mnist_once(monkeypatch, mirror_dirs, isolated_env, fresh):
    """``numbanet figures`` on a fresh machine (the README's first command): a figure that needs
    MNIST downloads it into the cache (checksum-verified) instead of being skipped; when every
    mirror fails, the figure is skipped with the loader's reason and the download is not tried
    again for the next figure."""
    from numbanet.plots import render
    from numbanet.plots.catalog import CATALOG

    info = next(i for i in CATALOG if "mnist" in i.needs)
    monkeypatch.setattr(render, "_DOWNLOAD_FAILED", {})
    with serve(mirror_dirs["empty"]) as (u404, s404):
        monkeypatch.setenv("NUMBANET_MNIST_MIRRORS", u404)
        need = render.missing_data(info)
        assert need[0] == "mnist" and "could not download" in need[1]
        tried = len(s404.requests)
        assert tried > 0
        assert render.missing_data(info) == need
        assert len(s404.requests) == tried  # not tried again
    monkeypatch.setattr(render, "_DOWNLOAD_FAILED", {})
    with serve(mirror_dirs["good"]) as (url, srv):
        monkeypatch.setenv("NUMBANET_MNIST_MIRRORS", url)
        assert render.missing_data(info) is None
        assert sorted(srv.requests) == sorted("/" + f for f in MNIST_FILES)
    assert D.find_mnist() == isolated_env / "mnist"
