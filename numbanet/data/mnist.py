"""MNIST: 70,000 handwritten digits, 28x28 grey pixels, read from the original IDX files.

The four files (``train-images-idx3-ubyte.gz`` ...) are found through the search order of
:mod:`numbanet.data._fetch` (``path=``, ``$NUMBANET_DATA``, the user cache, a download from
MNIST's public mirrors), verified against SHA-256 sums built into the code, and parsed by a small
IDX reader that checks the magic number, the dimensions and the byte count, so a damaged file is
reported as such and never as an obscure NumPy error.

Decompressing 60,000 images takes a few hundred milliseconds, so the first load also writes an
uncompressed ``.npy`` copy into the cache folder (named after the ``.gz`` file's SHA-256); later
loads read that copy. Within one process the raw pixels are kept in memory (read-only), and each
call returns fresh float arrays that the caller may modify freely.

Nothing is ever unpickled: the IDX format is raw bytes and ``.npy`` files are read with
``allow_pickle=False``.
"""

from __future__ import annotations

import gzip
import os
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import atomic_writer
from .._validate import dtype_of
from ..errors import DataError, DTypeError, ValidationError
from . import _fetch

#: Public mirrors serving the four official ``.gz`` files under their original names, tried in
#: order. Override with ``mirrors=`` or ``$NUMBANET_MNIST_MIRRORS`` (comma-separated base URLs).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
MNIST_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions (n, rows, cols)
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension (n,)

# IDX type codes (third byte of the magic number) -> big-endian NumPy dtype.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# what each file must hold once parsed: (magic, shape)
_EXPECTED = {
    TRAIN_IMAGES: (IDX_IMAGES_MAGIC, (60000, 28, 28)),
    TRAIN_LABELS: (IDX_LABELS_MAGIC, (60000,)),
    TEST_IMAGES: (IDX_IMAGES_MAGIC, (10000, 28, 28)),
    TEST_LABELS: (IDX_LABELS_MAGIC, (10000,)),
}

_FIX = (
    "To fix: set NUMBANET_DATA to a folder holding the four MNIST .gz files (directly or in an "
    "mnist/ subfolder), or copy them into {cache}, or give mirrors that work with mirrors=[...] "
    "or NUMBANET_MNIST_MIRRORS (comma-separated base URLs)."
)

_raw: dict[str, np.ndarray] = {}  # file name -> read-only uint8 array, verified content
_raw_lock = threading.Lock()


# --------------------------------------------------------------------------- IDX
def parse_idx(data: bytes, *, name: str = "IDX data", magic: int | None = None) -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into an array.

    The IDX format (LeCun et al.) is a 4-byte magic number -- two zero bytes, a type code
    (``0x08`` = unsigned byte) and the number of dimensions -- then one big-endian 4-byte size per
    dimension, then the values in C order.

    Parameters
    ----------
    data : bytes
        The whole file, already decompressed.
    name : str
        Used in error messages (usually the file's path).
    magic : int, optional
        The magic number required (2051 for images, 2049 for labels); None accepts any valid one.

    Returns
    -------
    ndarray of shape (d0, d1, ...)
        Native-endian array (uint8 for MNIST), a read-only view on ``data``.

    Raises
    ------
    DataError
        Wrong magic number, unknown type code, or a byte count that does not match the header
        (a truncated file, or trailing bytes).
    """
    if len(data) < 4:
        raise DataError(f"{name} is truncated: {len(data)} bytes, too short for an IDX header")
    found = int.from_bytes(data[:4], "big")
    zero, code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or code not in _IDX_DTYPES or ndim == 0:
        raise DataError(
            f"{name} is not an IDX file: magic number {found} (0x{found:08x}); expected "
            f"{magic if magic is not None else 'two zero bytes, a type code and a dimension count'}"
        )
    if magic is not None and found != magic:
        kinds = {IDX_IMAGES_MAGIC: "images", IDX_LABELS_MAGIC: "labels"}
        raise DataError(
            f"{name} has IDX magic number {found}; expected {magic} "
            f"({kinds.get(magic, 'another kind of file')}). Is it the right file?"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name} is truncated inside its header ({len(data)} of {header} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[code])
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    have = len(data) - header
    if have < need:
        raise DataError(
            f"{name} is truncated: its header announces shape {shape} ({need:,} bytes of data) "
            f"but only {have:,} bytes follow"
        )
    if have > need:
        raise DataError(
            f"{name} has {have - need:,} unexpected bytes after the {need:,} bytes its header "
            f"announces for shape {shape}"
        )
    arr = np.frombuffer(data, dtype=dtype, count=need // dtype.itemsize, offset=header)
    return arr.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def read_idx(path, *, magic: int | None = None) -> np.ndarray:
    """Read an IDX file, gzip-compressed (``.gz``) or not.

    Parameters
    ----------
    path : str or Path
        The file.
    magic : int, optional
        Required magic number (2051 images, 2049 labels).

    Returns
    -------
    ndarray
        The array described by the file's header (see :func:`parse_idx`).

    Raises
    ------
    DataError
        The file cannot be read, is not valid gzip, or is not a well-formed IDX file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"could not read {path}: {exc}") from None
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"{path} is not a valid gzip file ({exc}); it is probably truncated or corrupt"
            ) from None
    return parse_idx(raw, name=str(path), magic=magic)


# --------------------------------------------------------------------------- loading
def _mirror_urls(mirrors, name: str) -> list[str]:
    if mirrors is not None:
        bases = _fetch.check_urls(mirrors, "mirrors")
    elif os.environ.get("NUMBANET_MNIST_MIRRORS", "").strip():
        bases = _fetch.check_urls(os.environ["NUMBANET_MNIST_MIRRORS"], "NUMBANET_MNIST_MIRRORS")
    else:
        bases = list(MNIST_MIRRORS)
    return [b.rstrip("/") + "/" + name for b in bases]


def _npy_path(name: str) -> Path:
    spec = _fetch.FILES[name]
    stem = name[: -len(".gz")]
    return _fetch.cache_dir() / spec.subdir / f"{stem}.{spec.sha256[:16]}.npy"


def _read_npy(path: Path, shape) -> np.ndarray | None:
    """The cached uncompressed copy, or None when absent or not what it should be."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if arr.dtype != np.uint8 or arr.shape != shape:
        return None
    return arr


def _write_npy(path: Path, arr: np.ndarray) -> None:
    try:
        with atomic_writer(path) as fh:
            np.save(fh, arr, allow_pickle=False)
    except OSError:
        pass  # a read-only cache only costs speed


def _load_raw(name: str, path, download: bool, mirrors) -> np.ndarray:
    """Verified uint8 contents of one MNIST file (read-only; memoised in-process)."""
    spec = _fetch.FILES[name]
    gz = _fetch.resolve(
        spec,
        path,
        download,
        lambda: _mirror_urls(mirrors, name),
        fix=_FIX.format(cache=_fetch.cache_dir() / "mnist"),
    )
    with _raw_lock:
        if name in _raw:
            return _raw[name]
    magic, shape = _EXPECTED[name]
    npy = _npy_path(name)
    arr = _read_npy(npy, shape)
    if arr is None:
        arr = read_idx(gz, magic=magic)
        if arr.shape != shape or arr.dtype != np.uint8:
            raise DataError(
                f"{gz} holds an array of shape {arr.shape} ({arr.dtype}); expected {shape}"
            )
        _write_npy(npy, arr)
    if magic == IDX_LABELS_MAGIC and arr.max() > 9:
        raise DataError(f"{gz} holds label {int(arr.max())}; MNIST labels are 0-9")
    arr = np.ascontiguousarray(arr)
    arr.flags.writeable = False
    with _raw_lock:
        _raw[name] = arr
    return arr


@dataclass(repr=False)
class MNIST:
    """The MNIST training and test sets.

    Attributes
    ----------
    x_train : ndarray of shape (60000, 784) or (60000, 1, 28, 28)
        Training images, pixels scaled to [0, 1] (0 = background, 1 = ink).
    y_train : ndarray of shape (60000,), int64
        Training labels 0-9.
    x_test : ndarray of shape (10000, 784) or (10000, 1, 28, 28)
        Test images (the ``t10k`` files).
    y_test : ndarray of shape (10000,), int64
        Test labels.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self):
        return _describe(self)


@dataclass(repr=False)
class MNISTSplit:
    """The classic 50,000 / 10,000 / 10,000 split of MNIST (Nielsen's ``mnist_loader``).

    Attributes
    ----------
    x_train, y_train : ndarray of shape (50000, 784), (50000,)
        The first 50,000 training images.
    x_val, y_val : ndarray of shape (10000, 784), (10000,)
        The last 10,000 training images, held out for choosing hyper-parameters.
    x_test, y_test : ndarray of shape (10000, 784), (10000,)
        The 10,000 ``t10k`` test images.

    With ``flatten=False`` images have shape (n, 1, 28, 28) instead of (n, 784).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self):
        return _describe(self)


def _describe(obj) -> str:
    parts = [f"{k}={v.shape} {v.dtype}" for k, v in vars(obj).items() if isinstance(v, np.ndarray)]
    return f"{type(obj).__name__}({', '.join(parts)})"


def _check_dtype(dtype):
    try:
        return dtype_of(dtype)
    except TypeError as exc:
        if isinstance(exc, DTypeError):
            raise
        raise DTypeError(f"dtype must be float32 or float64; got {dtype!r}") from None


def _images(raw: np.ndarray, dtype, flatten: bool) -> np.ndarray:
    # One pass: uint8 -> float, divided by 255 exactly (so 255 maps to 1.0).
    x = np.divide(raw, dtype.type(255), dtype=dtype)
    n = raw.shape[0]
    return x.reshape(n, 784) if flatten else x.reshape(n, 1, 28, 28)


def load_mnist(path=None, *, download=True, mirrors=None, dtype=np.float32, flatten=True) -> MNIST:
    """Load MNIST, finding, downloading and verifying the files as needed.

    Parameters
    ----------
    path : str or Path, optional
        A folder holding the four ``.gz`` files (directly or in ``mnist/``). When given, only
        this folder is used. When omitted: ``$NUMBANET_DATA``, then the user cache folder (see
        :func:`numbanet.data.cache_dir`), then a download.
    download : bool, default True
        Allow downloading missing files into the cache folder.
    mirrors : list of str or str, optional
        Base URLs to download from, tried in order (a string may list several, comma-separated).
        Default: ``$NUMBANET_MNIST_MIRRORS`` if set, else :data:`MNIST_MIRRORS`.
    dtype : float32 (default) or float64
        Floating type of the images.
    flatten : bool, default True
        Images as rows of 784 pixels (for dense layers) or, when False, as (1, 28, 28) NCHW
        tensors (for convolutions).

    Returns
    -------
    MNIST
        ``x_train`` of shape (60000, 784) with values in [0, 1], ``y_train`` of shape (60000,)
        int64, ``x_test`` (10000, 784), ``y_test`` (10000,). Fresh arrays on each call.

    Raises
    ------
    DataError
        A file is missing and cannot be downloaded, fails its SHA-256 check, or is malformed.

    Examples
    --------
    >>> d = load_mnist()                        # doctest: +SKIP
    >>> d.x_train.shape, d.y_train[:5]          # doctest: +SKIP
    ((60000, 784), array([5, 0, 4, 1, 9]))
    """
    dt = _check_dtype(dtype)
    if not isinstance(flatten, (bool, np.bool_)):
        raise ValidationError(f"flatten must be True or False; got {flatten!r}")
    if mirrors is not None:
        mirrors = _fetch.check_urls(mirrors, "mirrors")  # fail early, even if nothing downloads
    raw = {name: _load_raw(name, path, download, mirrors) for name in MNIST_FILES}
    return MNIST(
        x_train=_images(raw[TRAIN_IMAGES], dt, flatten),
        y_train=raw[TRAIN_LABELS].astype(np.int64),
        x_test=_images(raw[TEST_IMAGES], dt, flatten),
        y_test=raw[TEST_LABELS].astype(np.int64),
    )


def mnist_split(
    path=None, *, download=True, mirrors=None, dtype=np.float32, flatten=True
) -> MNISTSplit:
    """MNIST as training (first 50,000), validation (last 10,000) and test (t10k) sets.

    This is the split of Nielsen's *Neural Networks and Deep Learning*: the validation set comes
    from the official training set, so the test set stays untouched while tuning.

    Parameters
    ----------
    path, download, mirrors, dtype, flatten
        As in :func:`load_mnist`.

    Returns
    -------
    MNISTSplit
        ``x_train`` (50000, 784), ``y_train`` (50000,), ``x_val`` (10000, 784), ``y_val``
        (10000,), ``x_test`` (10000, 784), ``y_test`` (10000,); images in [0, 1], labels int64.
    """
    d = load_mnist(path, download=download, mirrors=mirrors, dtype=dtype, flatten=flatten)
    return MNISTSplit(
        x_train=d.x_train[:50000],
        y_train=d.y_train[:50000],
        x_val=d.x_train[50000:],
        y_val=d.y_train[50000:],
        x_test=d.x_test,
        y_test=d.y_test,
    )


def find_mnist(path=None) -> Path | None:
    """The folder holding MNIST's four files, without downloading or verifying; None if absent.

    Looks where :func:`load_mnist` looks (``path``, ``$NUMBANET_DATA``, the cache). Use it to
    decide whether MNIST work can run offline, e.g. to skip MNIST figures.
    """
    found = [_fetch.locate(_fetch.FILES[name], path)[0] for name in MNIST_FILES]
    if any(f is None for f in found):
        return None
    return found[0].parent
