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
4. A download (when allowed) from each URL in turn, with a timeout, into a temporary file beside
   the destination. Only a file whose size and SHA-256 match is renamed into the cache; anything
   else is deleted and the next URL is tried.

Verifying a local file costs one SHA-256 pass (about 20 ms for MNIST's largest file). The result is
remembered in-process, keyed by (path, size, modification time), so a second load is free and an
edited file is checked again.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .._io import atomic_writer, sha256_file
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
    """A downloaded body that is not the expected file (wrong size or checksum)."""


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


def _fetch_one(url: str, dest: Path, spec: FileSpec, timeout: float) -> None:
    """Stream ``url`` into a temporary file beside ``dest``; rename it only if it verifies."""
    req = urllib.request.Request(url, headers={"User-Agent": "numbanet"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        announced = resp.headers.get("Content-Length")
        if announced is not None and announced.isdigit() and int(announced) != spec.size:
            raise _Rejected(
                f"the server announces {int(announced):,} bytes, expected {spec.size:,}"
            )
        h = hashlib.sha256()
        n = 0
        # atomic_writer deletes the temporary file on any exception, so nothing unverified is
        # ever left at ``dest``.
        with atomic_writer(dest) as fh:
            while True:
                block = resp.read(_CHUNK)
                if not block:
                    break
                n += len(block)
                if n > spec.size:
                    raise _Rejected(f"the server sent more than the expected {spec.size:,} bytes")
                h.update(block)
                fh.write(block)
            if n != spec.size:
                raise _Rejected(f"truncated: received {n:,} of {spec.size:,} bytes")
            if h.hexdigest() != spec.sha256:
                raise _Rejected(f"SHA-256 mismatch: expected {spec.sha256}, got {h.hexdigest()}")
    st = dest.stat()
    with _lock:
        _verified[(str(dest.resolve()), st.st_size, st.st_mtime_ns)] = spec.sha256


def download(spec: FileSpec, urls: list[str], *, fix: str) -> Path:
    """Download ``spec`` into the cache from the first URL that yields the verified file.

    Parameters
    ----------
    spec : FileSpec
        The file wanted.
    urls : list of str
        Full URLs of the file, tried in order.
    fix : str
        How the user can provide the file by hand; appended to the error message.

    Raises
    ------
    DataError
        When every URL failed; the message names each URL and why it failed.
    """
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
        try:
            _fetch_one(url, dest, spec, DOWNLOAD_TIMEOUT)
            return dest
        except _Rejected as exc:
            failures.append(f"{url}: rejected, {exc}")
        except urllib.error.HTTPError as exc:
            failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
        except urllib.error.URLError as exc:
            failures.append(f"{url}: {exc.reason}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
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
