"""Helpers to compile one kernel body both serially and with ``prange`` threads.

Thread start-up costs a few microseconds, which dominates the tiny arrays of Nielsen-sized nets,
so every elementwise kernel exists twice: ``name`` (serial) and ``name_par`` (threads). The
backend picks one by size (``PARALLEL_MIN``).
"""

from __future__ import annotations

import types

import numba
from numba import njit

from ..._threads import blas_awake
from ...config import FASTMATH

#: Arrays with at least this many elements use the threaded variant.
PARALLEL_MIN = 1 << 21

#: The optimisers' update kernels switch much earlier. Their serial twins read and write four
#: arrays (theta, g, m, v) that LLVM must assume may alias, so the loop stays scalar (about
#: 2.7 ns per element for Adam), while Numba's parfor lowering hands the threaded twin
#: non-aliasing slices that vectorise: 0.17 vs 0.018 ms for 65,536 float32 Adam elements,
#: 2.9 vs 0.22 ms for a 1024x1024 weight matrix, and still 3x faster at 4,096 elements, also
#: with the other core busy (measured on the 2-core machine).
OPTIM_PARALLEL_MIN = 1 << 12


def twin(fn):
    """Return ``(serial, parallel)`` Numba dispatchers compiled from the same Python body."""
    serial = njit(cache=True, fastmath=FASTMATH)(fn)
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_par", fn.__defaults__)
    clone.__qualname__ = fn.__qualname__ + "_par"
    clone.__doc__ = fn.__doc__
    parallel = njit(cache=True, parallel=True, fastmath=FASTMATH)(clone)
    return serial, parallel


#: Below this many elements a threaded twin picked for its vectorised code (the optimisers'
#: ``OPTIM_PARALLEL_MIN``) runs on the calling thread alone: a second thread saves at most a few
#: hundredths of a millisecond there, while waking it waits for the scheduler, which on a busy
#: machine is a time slice per call (measured: wide-vs-deep's 26 nets of at most 26,000
#: parameters, one Adam call per minibatch, spent 580 of 726 s in these waits with the two
#: cores shared by a dozen jobs; on one thread the updates take about a second).
ONE_THREAD_MAX = 1 << 18


def pick(pair, n, threshold=None):
    """The serial or parallel twin for a problem of ``n`` elements (``threshold`` defaults to
    ``PARALLEL_MIN``); the parallel one on a single thread below ``ONE_THREAD_MAX`` elements
    or while the threaded BLAS is awake."""
    if n < (PARALLEL_MIN if threshold is None else threshold):
        return pair[0]
    if n < ONE_THREAD_MAX or blas_awake():
        return _on_one_thread(pair[1])
    return pair[1]


def _on_one_thread(kernel):
    """``kernel`` called with Numba's thread count set to one for the call (the caller's count
    restored after): the threaded twin's vectorised code, without waking an OpenMP team beside
    OpenBLAS's spinning workers (``numbanet._threads.blas_awake``)."""

    def call(*args):
        n = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return kernel(*args)
        finally:
            numba.set_num_threads(n)

    return call
