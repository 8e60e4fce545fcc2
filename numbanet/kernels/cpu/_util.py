"""Helpers to compile one kernel body both serially and with ``prange`` threads.

Thread start-up costs a few microseconds, which dominates the tiny arrays of Nielsen-sized nets,
so every elementwise kernel exists twice: ``name`` (serial) and ``name_par`` (threads). The
backend picks one by size (``PARALLEL_MIN``).
"""

from __future__ import annotations

import types

from numba import njit

from ...config import FASTMATH

#: Arrays with at least this many elements use the threaded variant.
PARALLEL_MIN = 1 << 21


def twin(fn):
    """Return ``(serial, parallel)`` Numba dispatchers compiled from the same Python body."""
    serial = njit(cache=True, fastmath=FASTMATH)(fn)
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_par", fn.__defaults__)
    clone.__qualname__ = fn.__qualname__ + "_par"
    clone.__doc__ = fn.__doc__
    parallel = njit(cache=True, parallel=True, fastmath=FASTMATH)(clone)
    return serial, parallel


def pick(pair, n):
    """The serial or parallel twin for a problem of ``n`` elements."""
    return pair[1] if n >= PARALLEL_MIN else pair[0]
