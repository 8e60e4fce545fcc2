"""Where data files come from: an explicit path, ``$NUMBANET_DATA``, the user cache, or a download.

Every file numbanet reads from disk or the network is checked against a SHA-256 sum built into
this module (:data:`SHA256`), so a wrong, corrupt or truncated file is always caught before it is
parsed. The rules, in the order they are tried for one file:

1. ``path=`` given by the caller: the file must be there (directly, or in the data set's
   subfolder); nothing else is searched, so a typo is an error rather than a silent download.
2. ``$NUMBANET_DATA``: a folder holding the file directly or in a subfolder named after the data
   set (``mnist/``, ``semeion/``), e.g. ``../shared/data``.
3. The user cache: ``$NUMBANET_CACHE``, else ``$XDG_CACHE_HOME/numbanet``, else
   ``~/.cache/numbanet``; files live under ``<cache>/<data set>/``.
4. A download (when allowed) through `pooch <https://www.fatiando.org/pooch>`_, the fetcher of
   the scientific Python stack: one ``pooch.create`` store per data set whose *registry* is
   :data:`FILES`' SHA-256 sums and whose folder is ``<cache>/<data set>/``, fetched from each
   mirror URL in turn with a timeout. pooch streams into a temporary file beside the destination
   and renames it into the cache only when its SHA-256 matches (numbanet adds a size limit while
   streaming and an fsync before the rename); anything else is deleted and the next URL is tried.
   numbanet's own messages name each URL and what went wrong with it.

Verifying a local file costs one SHA-256 pass (about 20 ms for MNIST's largest file). The result is
remembered in-process, keyed by (path, size, modification time), so a second load is free and an
edited file is checked again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .._io import sha256_file
from ..errors import DataError, ValidationError


@dataclass(frozen=True)
class FileSpec:
    """What an official data file must be: its name, data set folder, byte size and SHA-256."""

    name: str
    subdir: str
    size: int
    sha256: str


#: The official files, with the SHA-256 sums of their public distributions (the same sums as
#: ``../shared/data/SHA256SUMS``). Built into the code on purpose: a checksum downloaded next to
#: the data would prove nothing.
FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        FileSpec(
            "train-images-idx3-ubyte.gz",
            "mnist",
            9912422,
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        FileSpec(
            "train-labels-idx1-ubyte.gz",
            "mnist",
            28881,
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        FileSpec(
            "t10k-images-idx3-ubyte.gz",
            "mnist",
            1648877,
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        FileSpec(
            "t10k-labels-idx1-ubyte.gz",
            "mnist",
            4542,
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
        FileSpec(
            "semeion.data",
            "semeion",
            2889702,
            "f43228ae3da5ea6a3c95069d53450b86166770e3b719dcc333182128fe08d4b1",
        ),
    )
}

#: name -> SHA-256 hex digest, for quick reference.
SHA256: dict[str, str] = {name: spec.sha256 for name, spec in FILES.items()}

#: Seconds to wait for a server to answer (and between two received blocks) before giving up on
#: that URL and trying the next.
DOWNLOAD_TIMEOUT = 30.0

_CHUNK = 1 << 16
_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.RLock()


# --------------------------------------------------------------------------- folders
def cache_dir() -> Path:
    """The user cache folder numbanet downloads into (it may not exist yet).

    ``$NUMBANET_CACHE`` if set, else ``$XDG_CACHE_HOME/numbanet``, else ``~/.cache/numbanet``.
    """
    env = os.environ.get("NUMBANET_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "numbanet"
    return Path.home() / ".cache" / "numbanet"


def data_dir() -> Path | None:
    """The folder named by ``$NUMBANET_DATA``, or None when the variable is unset or empty."""
    env = os.environ.get("NUMBANET_DATA")
    return Path(env).expanduser() if env else None


def _in_folder(folder: Path, spec: FileSpec) -> Path | None:
    """``folder/name`` or ``folder/<subdir>/name``, whichever exists first."""
    for cand in (folder / spec.name, folder / spec.subdir / spec.name):
        if cand.is_file():
            return cand
    return None


def _check_explicit(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ValidationError(
            f"path must be a folder name (str or os.PathLike); got {type(path).__name__} {path!r}"
        )
    return Path(path).expanduser()


def locate(spec: FileSpec, path=None) -> tuple[Path | None, str, list[str]]:
    """Find ``spec`` on disk without downloading.

    Returns
    -------
    found : Path or None
        The first existing copy in the search order.
    source : str
        ``"path"``, ``"NUMBANET_DATA"``, ``"cache"`` or ``""`` (not found): where it came from.
    looked : list of str
        Every place looked at, for error messages.
    """
    looked: list[str] = []
    if path is not None:
        p = _check_explicit(path)
        if p.is_file() and p.name == spec.name:
            return p, "path", [str(p)]
        if p.is_dir():
            found = _in_folder(p, spec)
            if found is not None:
                return found, "path", [str(found)]
        looked += [str(p / spec.name), str(p / spec.subdir / spec.name)]
        return None, "", looked
    env = data_dir()
    if env is not None:
        found = _in_folder(env, spec) if env.is_dir() else None
        if found is not None:
            return found, "NUMBANET_DATA", [str(found)]
        note = "" if env.is_dir() else " (NUMBANET_DATA is set, but this folder does not exist)"
        looked += [str(env / spec.name) + note, str(env / spec.subdir / spec.name) + note]
    cached = cache_dir() / spec.subdir / spec.name
    if cached.is_file():
        return cached, "cache", [str(cached)]
    looked.append(str(cached))
    return None, "", looked


# --------------------------------------------------------------------------- verification
def file_sha256(path) -> str:
    """SHA-256 of a file, remembered in-process by (resolved path, size, mtime)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _lock:
        digest = _verified.get(key)
    if digest is None:
        digest = sha256_file(p)
        with _lock:
            _verified[key] = digest
    return digest


def verify(path: Path, spec: FileSpec, source: str) -> Path:
    """Check a local file's SHA-256 against the built-in sum; raise DataError if it differs."""
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise DataError(f"could not read {path}: {exc}") from None
    if actual != spec.sha256:
        size = path.stat().st_size
        if source == "cache":
            fix = "Delete it and load again to download a fresh copy."
        else:
            fix = (
                f"Replace it with the official {spec.name} ({spec.size:,} bytes), or remove it "
                "so that numbanet looks elsewhere."
            )
        raise DataError(
            f"{path} failed its SHA-256 check: expected {spec.sha256}, got {actual} "
            f"({size:,} bytes; the official file has {spec.size:,}). The file is corrupt, "
            f"truncated or not the official {spec.name}. {fix}"
        )
    return path


# --------------------------------------------------------------------------- download
class _Rejected(Exception):
    """A downloaded body that is not the expected file (wrong size); not a ValueError, so pooch
    neither retries nor mistakes it for its own checksum failure."""


def registry(subdir: str) -> dict[str, str]:
    """pooch's registry for one data set folder: ``{file name: "sha256:<hex digest>"}``."""
    return {s.name: f"sha256:{s.sha256}" for s in FILES.values() if s.subdir == subdir}


class _BoundedFile:
    """A write-only file object for pooch's downloader: counts and hashes what it receives and
    refuses to grow past the expected size (a wrong or endless body stops early)."""

    def __init__(self, fh, spec: FileSpec):
        self._fh = fh
        self._spec = spec
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, block: bytes) -> int:
        self.size += len(block)
        if self.size > self._spec.size:
            raise _Rejected(f"the server sent more than the expected {self._spec.size:,} bytes")
        self._hash.update(block)
        return self._fh.write(block)

    def flush(self) -> None:
        self._fh.flush()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class _Downloader:
    """A pooch downloader: pooch's ``HTTPDownloader`` (requests, streaming, a timeout) writing
    through :class:`_BoundedFile`, then a size check and an fsync of the temporary file.

    After a call, ``sha256`` and ``size`` describe what was received, so a checksum failure
    reported by pooch can name the digest actually received.
    """

    def __init__(self, spec: FileSpec, timeout: float):
        import pooch

        from .. import __version__

        self.spec = spec
        self.sha256 = ""
        self.size = 0
        self._http = pooch.HTTPDownloader(
            chunk_size=_CHUNK,
            timeout=timeout,
            headers={"User-Agent": f"numbanet/{__version__} (pooch/{pooch.__version__})"},
        )

    def __call__(self, url, output_file, store, check_only=False):
        if check_only:
            return self._http(url, output_file, store, check_only=True)
        with open(output_file, "wb") as fh:
            sink = _BoundedFile(fh, self.spec)
            try:
                self._http(url, sink, store)
            finally:
                self.sha256, self.size = sink.sha256, sink.size
            if sink.size != self.spec.size:
                raise _Rejected(f"truncated: received {sink.size:,} of {self.spec.size:,} bytes")
            fh.flush()
            os.fsync(fh.fileno())
        return None


@contextlib.contextmanager
def _quiet_pooch():
    """pooch logs each download at INFO level; numbanet prints its own line, so pooch's logger is
    raised to WARNING for the duration of numbanet's call and then put back as it was."""
    import pooch

    log = pooch.get_logger()
    before = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(before)


def _fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (best effort: not every system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_urls(urls, name: str) -> list[str]:
    """Validate a list of http(s) URLs (a comma-separated string is split); return them."""
    if isinstance(urls, str):
        urls = [u.strip() for u in urls.split(",")]
    try:
        urls = [u for u in urls if u]
    except TypeError:
        raise ValidationError(
            f"{name} must be a list of URLs or a comma-separated string; got {urls!r}"
        ) from None
    if not urls:
        raise ValidationError(f"{name} is empty; give at least one http:// or https:// URL")
    for u in urls:
        if not isinstance(u, str) or urllib.parse.urlsplit(u).scheme not in ("http", "https"):
            raise ValidationError(f"{name} holds {u!r}, which is not an http:// or https:// URL")
    return urls


def _why(exc: BaseException, url: str, spec: FileSpec, got: _Downloader) -> str:
    """One line saying why ``url`` did not give the verified ``spec``."""
    import requests

    if isinstance(exc, _Rejected):
        return f"{url}: rejected, {exc}"
    if isinstance(exc, ValueError) and got.size == spec.size:  # pooch's SHA-256 check
        return f"{url}: rejected, SHA-256 mismatch: expected {spec.sha256}, got {got.sha256}"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"{url}: HTTP {exc.response.status_code} {exc.response.reason}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):  # body cut short
        return (
            f"{url}: rejected, truncated: the connection broke after {got.size:,} of "
            f"{spec.size:,} bytes"
        )
    if isinstance(exc, requests.Timeout):
        return f"{url}: timed out (no answer within {DOWNLOAD_TIMEOUT:g} s)"
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return f"{url}: connection failed ({reason or exc})"
    return f"{url}: {type(exc).__name__}: {exc}"


def download(spec: FileSpec, urls: list[str], *, fix: str) -> Path:
    """Download ``spec`` into the cache with pooch, from the first URL that yields the verified file.

    Parameters
    ----------
    spec : FileSpec
        The file wanted.
    urls : list of str
        Full URLs of the file (its mirrors), tried in order.
    fix : str
        How the user can provide the file by hand; appended to the error message.

    Raises
    ------
    DataError
        When every URL failed; the message names each URL and why it failed.
    """
    import pooch
    import requests

    dest = cache_dir() / spec.subdir / spec.name
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot download {spec.name}: the cache folder {dest.parent} cannot be created "
            f"({exc}). Set NUMBANET_CACHE to a writable folder.\n{fix}"
        ) from None
    failures = []
    for url in urls:
        print(f"numbanet: downloading {spec.name} from {url}", file=sys.stderr)
        store = pooch.create(
            path=dest.parent,
            base_url=url.rsplit("/", 1)[0] + "/",
            registry=registry(spec.subdir),
            urls={spec.name: url},  # the mirror's full URL, whatever its file name
            retry_if_failed=0,  # numbanet moves on to the next mirror instead
        )
        got = _Downloader(spec, DOWNLOAD_TIMEOUT)
        try:
            with _quiet_pooch():
                store.fetch(spec.name, downloader=got)
        except (_Rejected, ValueError, requests.RequestException, OSError) as exc:
            failures.append(_why(exc, url, spec, got))
            continue
        _fsync_dir(dest.parent)
        st = dest.stat()
        with _lock:
            _verified[(str(dest.resolve()), st.st_size, st.st_mtime_ns)] = spec.sha256
        return dest
    tried = "\n".join(f"  - {f}" for f in failures)
    raise DataError(
        f"could not download {spec.name}; every source failed and nothing was cached:\n{tried}\n"
        f"{fix}"
    )


def resolve(spec: FileSpec, path, download_ok: bool, urls, *, fix: str) -> Path:
    """Local copy (verified) or a fresh verified download of ``spec``; DataError otherwise."""
    found, source, looked = locate(spec, path)
    if found is not None:
        return verify(found, spec, source)
    where = "\n".join(f"  - {w}" for w in looked)
    if path is not None:
        raise DataError(
            f"{spec.name} was not found under path={str(path)!r}; looked at:\n{where}\n"
            "Point path= at the folder that holds the file, or leave it out to use "
            "NUMBANET_DATA, the cache or a download."
        )
    if not download_ok:
        raise DataError(f"{spec.name} was not found and download=False; looked at:\n{where}\n{fix}")
    with _lock:  # one download per file at a time within this process
        found, source, _ = locate(spec, None)
        if found is not None:
            return verify(found, spec, source)
        return download(spec, urls() if callable(urls) else urls, fix=fix)
