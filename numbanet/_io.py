"""Atomic file writes: a temporary file in the same folder, flushed, fsynced, renamed into place.

An interrupted write (crash, SIGKILL, full disk) leaves the previous file intact; readers never see
a half-written file. The file ends up with the mode an ordinary ``open(path, "w")`` would give it
(0o666 minus the process umask, 0o644 typically), not the private 0o600 of the temporary file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process umask, read without changing it (even for an instant, which another thread
    creating a file at that moment would notice): /proc/self/status on Linux; elsewhere the mode a
    probe file gets when created with 0o666."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8) & 0o777
    probe = None
    with contextlib.suppress(OSError):
        d = tempfile.mkdtemp(prefix=".numbanet-umask.")
        probe = os.path.join(d, "probe")
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o666)
        os.close(fd)
        mode = os.stat(probe).st_mode & 0o777
        os.unlink(probe)
        os.rmdir(d)
        return 0o666 & ~mode & 0o777
    return 0o022


def default_file_mode() -> int:
    """The permission bits a newly created file gets: 0o666 & ~umask."""
    return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_writer(path, mode: str = "wb"):
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0o600; give it the mode open() would have given it
        os.chmod(tmp, default_file_mode())
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        with contextlib.suppress(OSError):  # make the rename itself durable
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_writer(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()
