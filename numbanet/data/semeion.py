"""SEMEION handwritten digits: 1,593 scanned digits as 16x16 black-and-white pixels.

Each line of ``semeion.data`` (UCI Machine Learning Repository) holds 256 pixel values (0 or 1,
written as floats, row by row) and then the label as 10 one-hot columns, separated by spaces.
Small enough to train on in seconds, which makes it the slides' data set for the 256-2-10 net whose
2-D hidden layer can be drawn.

The file is found like MNIST's (``path=``, ``$NUMBANET_DATA`` directly or in ``semeion/``, the
user cache) or downloaded from UCI, and checked against a built-in SHA-256 sum. Every line is
validated, and a malformed one is reported with its line number.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from . import _fetch

NAME = "semeion.data"

#: Where the official file is published.
SEMEION_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/semeion/semeion.data"

N_PIXELS = 256
N_CLASSES = 10

_FIX = (
    "To fix: set NUMBANET_DATA to a folder holding semeion.data (directly or in a semeion/ "
    "subfolder), or copy it into {cache}, or give a URL that works with url=... or "
    "NUMBANET_SEMEION_URL."
)

_memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_memo_lock = threading.Lock()


@dataclass(repr=False)
class Semeion:
    """The SEMEION digits.

    Attributes
    ----------
    x : ndarray of shape (1593, 256), float32
        Pixels (0 = white, 1 = black), each 16x16 image as a row; ``x.reshape(-1, 16, 16)``
        gives the pictures.
    y : ndarray of shape (1593,), int64
        Labels 0-9.

    The object unpacks like a pair: ``x, y = load_semeion()``.
    """

    x: np.ndarray
    y: np.ndarray

    def __iter__(self):
        return iter((self.x, self.y))

    def __repr__(self):
        return f"Semeion(x={self.x.shape} {self.x.dtype}, y={self.y.shape} {self.y.dtype})"


def parse_semeion(text: str, *, name: str = NAME) -> tuple[np.ndarray, np.ndarray]:
    """Parse the text of ``semeion.data``.

    Parameters
    ----------
    text : str
        The whole file. Line endings may be CRLF or LF; blank lines are ignored.
    name : str
        Used in error messages.

    Returns
    -------
    x : ndarray of shape (n, 256), float32
        Pixels in [0, 1].
    y : ndarray of shape (n,), int64
        The position of the 1 among the 10 label columns.

    Raises
    ------
    DataError
        A line without 266 numbers, a value that is not a number, a pixel outside [0, 1], or label
        columns that are not exactly one 1 and nine 0s; the message gives the line number.
    """
    width = N_PIXELS + N_CLASSES
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != width:
            raise DataError(
                f"{name}, line {lineno}: {len(parts)} values; expected {width} "
                f"({N_PIXELS} pixels then {N_CLASSES} one-hot label columns)"
            )
        rows.append(parts)
        line_numbers.append(lineno)
    if not rows:
        raise DataError(f"{name} holds no data lines")
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        # Find the culprit for the message (the slow way, only on failure).
        for parts, lineno in zip(rows, line_numbers):
            for col, tok in enumerate(parts, start=1):
                try:
                    float(tok)
                except ValueError:
                    raise DataError(
                        f"{name}, line {lineno}, column {col}: {tok!r} is not a number"
                    ) from None
        raise
    pixels, onehot = values[:, :N_PIXELS], values[:, N_PIXELS:]
    bad = ~np.isfinite(pixels) | (pixels < 0) | (pixels > 1)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"{name}, line {line_numbers[r]}, column {c + 1}: pixel value {float(pixels[r, c])} is "
            "outside [0, 1]"
        )
    ok = np.all((onehot == 0) | (onehot == 1), axis=1) & (onehot.sum(axis=1) == 1)
    if not ok.all():
        r = int(np.flatnonzero(~ok)[0])
        cols = " ".join(rows[r][N_PIXELS:])
        raise DataError(
            f"{name}, line {line_numbers[r]}: label columns {cols!r} are not one-hot (exactly one "
            "1 and nine 0s)"
        )
    return pixels.astype(np.float32), onehot.argmax(axis=1).astype(np.int64)


def _urls(url) -> list[str]:
    if url is not None:
        return _fetch.check_urls(url, "url")
    env = os.environ.get("NUMBANET_SEMEION_URL", "").strip()
    if env:
        return _fetch.check_urls(env, "NUMBANET_SEMEION_URL")
    return [SEMEION_URL]


def load_semeion(path=None, *, download=True, url=None) -> Semeion:
    """Load the SEMEION digits, finding, downloading and verifying the file as needed.

    Parameters
    ----------
    path : str or Path, optional
        ``semeion.data`` itself, or a folder holding it (directly or in ``semeion/``). When
        omitted: ``$NUMBANET_DATA``, then the user cache folder, then a download.
    download : bool, default True
        Allow downloading the file into the cache folder when it is not found.
    url : str or list of str, optional
        Full URL(s) of ``semeion.data`` to try in order. Default: ``$NUMBANET_SEMEION_URL`` if
        set, else :data:`SEMEION_URL`.

    Returns
    -------
    Semeion
        ``x`` of shape (1593, 256) float32 in {0, 1}, ``y`` of shape (1593,) int64; unpacks as
        ``x, y``. Fresh arrays on each call.

    Raises
    ------
    DataError
        The file is missing and cannot be downloaded, fails its SHA-256 check, or is malformed.
    """
    if url is not None:
        url = _fetch.check_urls(url, "url")  # fail early, even if nothing downloads
    spec = _fetch.FILES[NAME]
    file = _fetch.resolve(
        spec,
        path,
        download,
        lambda: _urls(url),
        fix=_FIX.format(cache=_fetch.cache_dir() / "semeion"),
    )
    with _memo_lock:
        cached = _memo.get(NAME)
    if cached is None:
        try:
            text = file.read_bytes().decode("ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"could not read {file} as text: {exc}") from None
        cached = parse_semeion(text, name=str(file))
        with _memo_lock:
            _memo[NAME] = cached
    x, y = cached
    return Semeion(x=x.copy(), y=y.copy())


def find_semeion(path=None) -> Path | None:
    """Path of ``semeion.data`` found locally (``path``, ``$NUMBANET_DATA``, cache), or None.

    Neither downloads nor verifies.
    """
    return _fetch.locate(_fetch.FILES[NAME], path)[0]
