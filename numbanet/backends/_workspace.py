"""Reusable work arrays for the CPU backend: activations and gradients without a fresh allocation
per training step, and without ever overwriting an array that someone still holds.

Why: a training step of a small CNN creates a dozen arrays of 0.1-1 MB. glibc hands arrays of that
size back to the kernel when they are freed, so the next step's arrays are fresh pages and every
4 KiB page costs a page fault on first touch (measured on LeNet at batch 64: about a third of the
convolution layers' time). numbanet may not change the C library's settings for the whole
process, so the backend keeps the arrays itself.

How it stays safe: :meth:`Workspace.empty` returns a kept array of the requested shape and dtype
only when nothing outside the workspace refers to it (CPython's reference count: the caller, a
layer's saved input, a view, a user's variable all hold a reference, since a NumPy view keeps
its base alive). An array that a user still holds, for instance the output of ``net.forward``,
is never handed out again; the workspace allocates another one instead. In a training loop the
arrays of step t - 1 are released by step t, so two arrays per (shape, dtype) alternate.

Bounds: arrays larger than ``max_array_bytes`` are never kept (inference on large batches
allocates as usual), and at most ``max_bytes`` are kept in total, the least recently used idle
arrays being dropped first. On interpreters without reference counting (not CPython) the
workspace keeps nothing and ``empty`` is ``np.empty``.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import numpy as np

#: Kept arrays at most this large (bytes); larger ones are allocated afresh each time.
MAX_ARRAY_BYTES = 32 << 20
#: Total bytes a workspace keeps at most.
MAX_BYTES = 128 << 20


def _refs(arrays, i):
    """Reference count of ``arrays[i]`` as seen from here (called the same way in calibration)."""
    return sys.getrefcount(arrays[i])


def _calibrate():
    """The count ``_refs`` reports for an array referenced by its list only (None: unusable)."""
    if sys.implementation.name != "cpython" or not hasattr(sys, "getrefcount"):
        return None
    probe = [np.empty(1)]
    idle = _refs(probe, 0)
    held = probe[0]  # noqa: F841 - one more reference must be visible
    if _refs(probe, 0) != idle + 1:
        return None
    return idle


_IDLE = _calibrate()


class Workspace:
    """Arrays kept between calls, keyed by (shape, dtype), handed out only while idle.

    Thread-safe (a lock around the search). ``kept_bytes`` reports the memory held."""

    def __init__(self, max_bytes=MAX_BYTES, max_array_bytes=MAX_ARRAY_BYTES):
        self.max_bytes = int(max_bytes)
        self.max_array_bytes = int(max_array_bytes)
        self._arrays = OrderedDict()  # key -> list of arrays, most recently used key last
        self._lock = threading.Lock()
        self.kept_bytes = 0

    def empty(self, shape, dtype):
        """An uninitialised C-contiguous array of ``shape`` and ``dtype`` that nobody else holds."""
        dtype = np.dtype(dtype)
        if type(shape) is not tuple:
            shape = tuple(shape)
        key = (shape, dtype)
        with self._lock:
            arrays = self._arrays.get(key)
            if arrays is not None:
                self._arrays.move_to_end(key)
                for i in range(len(arrays)):
                    if _refs(arrays, i) == _IDLE:
                        return arrays[i]
            a = np.empty(shape, dtype)
            nbytes = a.nbytes
            if _IDLE is None or nbytes > self.max_array_bytes or nbytes == 0:
                return a
            if self.kept_bytes + nbytes > self.max_bytes:
                self._evict(self.kept_bytes + nbytes - self.max_bytes)
            if self.kept_bytes + nbytes <= self.max_bytes:
                self._arrays.setdefault(key, []).append(a)
                self.kept_bytes += nbytes
            return a

    def zeros(self, shape, dtype):
        """As :meth:`empty`, filled with zeros."""
        a = self.empty(shape, dtype)
        a.fill(0)
        return a

    def _evict(self, need):
        """Drop idle arrays, least recently used shapes first, until ``need`` bytes are freed."""
        for key in list(self._arrays):
            arrays = self._arrays[key]
            i = 0
            while i < len(arrays) and need > 0:
                if _refs(arrays, i) == _IDLE:
                    need -= arrays[i].nbytes
                    self.kept_bytes -= arrays[i].nbytes
                    del arrays[i]
                else:
                    i += 1
            if not arrays:
                del self._arrays[key]
            if need <= 0:
                return

    def clear(self):
        """Forget every kept array (arrays in use stay valid: their holders keep them alive)."""
        with self._lock:
            self._arrays.clear()
            self.kept_bytes = 0


__all__ = ["MAX_ARRAY_BYTES", "MAX_BYTES", "Workspace"]
