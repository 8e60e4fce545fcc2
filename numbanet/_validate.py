"""Validation helpers used at every public boundary.

Each check raises a numbanet error whose message names the argument, says what was received and
what was expected, so that no raw NumPy or Numba error ever reaches a user.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import DTypeError, ValidationError


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:120]


def as_float_array(x, name, dtype, *, ndim=None, min_ndim=None, allow_empty=False):
    """Convert ``x`` to a contiguous float array of ``dtype``, checking kind, shape and finiteness."""
    if (  # already what is asked for (the per-step case of a training loop): check values only
        type(x) is np.ndarray
        and x.dtype == dtype
        and x.flags.c_contiguous
        and x.size
        and (ndim is None or x.ndim == ndim)
        and (min_ndim is None or x.ndim >= min_ndim)
    ):
        check_finite(x, name)
        return x
    if x is None:
        raise ValidationError(f"{name} is None; expected an array of numbers")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists etc.
        raise ValidationError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise DTypeError(
            f"{name} has dtype {arr.dtype}; expected real numbers (float32, float64 or integers)"
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValidationError(f"{name} must be {ndim}-D; got {_describe(arr)}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValidationError(
            f"{name} must have at least {min_ndim} dimensions; got {_describe(arr)}"
        )
    if not allow_empty and arr.size == 0:
        raise ValidationError(f"{name} is empty ({_describe(arr)}); give at least one example")
    out = np.ascontiguousarray(arr, dtype=dtype)
    check_finite(out, name)
    return out


def check_finite(arr, name):
    """Raise if ``arr`` holds NaN or infinity, naming the first bad position.

    A float32/float64 array is proved finite by one compiled pass
    (``kernels.cpu.finite.all_finite``: no boolean temporary, no ``errstate`` context; about
    1 us on a 10 x 784 minibatch against 5 us for a NumPy sum under ``errstate``); other float
    types (float16) are tested with NumPy. Only an array that fails pays for the search of the
    first bad position.
    """
    if arr.dtype.kind != "f":
        return
    if arr.dtype in _COMPILED_FLOATS:
        if _all_finite()(arr.reshape(-1)):
            return
    elif np.isfinite(arr).all():
        return
    bad = np.argwhere(~np.isfinite(arr))[0]
    what = "NaN" if np.isnan(arr[tuple(bad)]) else "infinity"
    raise ValidationError(
        f"{name} contains {what} at index {tuple(int(i) for i in bad)}; "
        "clean or impute the data first"
    )


_COMPILED_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_kernel = []


def _all_finite():
    """The compiled finiteness test, imported on first use (this module loads before Numba);
    NumPy's when Numba is missing or its JIT is disabled."""
    if not _kernel:
        try:
            from numba.core import config as numba_config

            from .kernels.cpu.finite import all_finite
        except ImportError:  # the reference backend works without Numba (tests/test_layering)
            numba_config = all_finite = None
        if all_finite is None or numba_config.DISABLE_JIT:
            # no Numba, or the loop would run in Python: NumPy is faster then
            _kernel.append(lambda flat: bool(np.isfinite(flat).all()))
        else:
            _kernel.append(all_finite)
    return _kernel[0]


def as_labels(y, name, n_classes, n_rows=None):
    """Integer class labels in [0, n_classes), 1-D."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be a 1-D array of class labels; got {_describe(arr)}")
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or np.any(arr != np.round(arr)):
            raise ValidationError(f"{name} holds non-integer values; class labels must be integers")
    elif arr.dtype.kind not in "biu":
        raise DTypeError(f"{name} has dtype {arr.dtype}; class labels must be integers")
    arr = arr.astype(np.int64)
    if n_rows is not None and arr.shape[0] != n_rows:
        raise ValidationError(f"{name} has {arr.shape[0]} labels but there are {n_rows} examples")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = int(arr[(arr < 0) | (arr >= n_classes)][0])
        raise ValidationError(
            f"{name} has label {bad}, outside the range [0, {n_classes - 1}] of the "
            f"{n_classes} outputs"
        )
    return np.ascontiguousarray(arr)


def positive_int(v, name, *, minimum=1):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise ValidationError(f"{name} must be an integer >= {minimum}; got {_describe(v)}")
    if v < minimum:
        raise ValidationError(f"{name} must be >= {minimum}; got {v}")
    return int(v)


def positive_float(v, name, *, allow_zero=False, maximum=None):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise ValidationError(f"{name} must be a number; got {_describe(v)}")
    v = float(v)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        rel = ">= 0" if allow_zero else "> 0"
        raise ValidationError(f"{name} must be a finite number {rel}; got {v}")
    if maximum is not None and v > maximum:
        raise ValidationError(f"{name} must be <= {maximum}; got {v}")
    return v


def probability(v, name, *, closed_right=False):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        raise ValidationError(f"{name} must be a probability; got {_describe(v)}")
    v = float(v)
    ok = 0 <= v <= 1 if closed_right else 0 <= v < 1
    if not ok:
        rng = "[0, 1]" if closed_right else "[0, 1)"
        raise ValidationError(f"{name} must be in {rng}; got {v}")
    return v


def choice(v, name, options):
    if v not in options:
        raise ValidationError(f"{name} must be one of {', '.join(map(repr, options))}; got {v!r}")
    return v


def dtype_of(dtype):
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise DTypeError(f"dtype must be float32 or float64; got {dt}")
    return dt


def seed_value(seed, name="seed"):
    """``seed`` if it is None, an integer NumPy's generators accept (>= 0) or a NumPy
    ``Generator``/``BitGenerator``/``SeedSequence`` (passed through, e.g. a resumed run's
    generator); a ``ValidationError`` naming ``name`` otherwise (NumPy's own message is a bare
    ValueError)."""
    if seed is None or isinstance(
        seed, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)
    ):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"{name} must be a non-negative integer or None; got {seed!r}")
    if seed < 0:
        raise ValidationError(f"{name} must be a non-negative integer; got {seed}")
    return int(seed)
