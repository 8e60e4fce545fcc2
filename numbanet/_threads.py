"""BLAS threads inside numbanet's own CPU calls, the caller's settings restored after.

Why this exists. A training step alternates two kinds of parallel code: BLAS ``gemm`` (OpenBLAS
keeps its own worker threads) and Numba's ``prange`` kernels (an OpenMP team). After a parallel
call, both kinds of worker keep spinning for a while before they sleep, waiting for the next
piece of work. On a machine with as many cores as threads (the 2-core machine numbanet is
developed on) a spinning OpenBLAS worker then takes the core an OpenMP worker needs, and the
other way round: LeNet at batch 64 trained 3.3x slower (0.89 s per 6,400 images against 0.27 s)
than with either pool kept quiet, measured with both pools at two threads, nothing else running.

The fix must not change the user's process (no ``GOMP_SPINCOUNT``, no global BLAS setting; see
``tests/test_host_process.py``): products too small to gain from a second BLAS thread
(``config.BLAS_THREADED_MIN_MACS``) run with BLAS on one thread *inside the call*, and the
previous count is put back when the call returns. OpenBLAS itself already runs products below
about 2^18 multiply-adds on one thread; this raises that bound for numbanet's calls only, so its
BLAS workers stay asleep while its Numba kernels run. The dense layers' larger products run on
Numba's threads, one single-threaded product per thread (``config.DENSE_SPLIT``,
``config.DENSE_THREADS_MIN_MACS``, ``kernels/cpu/blas.py``), so during training no BLAS pool
wakes at all; other large products (and every product when that is off) keep the caller's BLAS
threads.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from . import config

#: set by threadpoolctl when it is imported (see :func:`threadpoolctl`)
_KMP_VAR = "KMP_DUPLICATE_LIB_OK"


def threadpoolctl():
    """The ``threadpoolctl`` module, imported without changing the caller's environment.

    Importing threadpoolctl sets ``KMP_DUPLICATE_LIB_OK=True`` in ``os.environ``: Intel's
    OpenMP runtime (loaded later by PyTorch or MKL in the same process) and every child process
    would read it, and it tells that runtime to carry on when two OpenMP libraries are loaded,
    which can crash or give wrong results instead of an error. When numbanet is the first to
    import threadpoolctl and the variable was not set before, it is removed again; a user's own
    setting, or an import of threadpoolctl before numbanet's, is left as it is."""
    mod = sys.modules.get("threadpoolctl")
    if mod is not None:
        return mod
    had = _KMP_VAR in os.environ
    import threadpoolctl as mod

    if not had and _KMP_VAR in os.environ:
        del os.environ[_KMP_VAR]  # host-process: restore (what the import added, nothing else)
    return mod


_libs = []


class _Pool:
    """One BLAS library's thread count: its own ``get``/``set`` C functions when it is an
    OpenBLAS with its own (pthreads) pool, found once, so that a switch costs well under a
    microsecond; threadpoolctl's controller methods otherwise."""

    def __init__(self, lib):
        self.get, self.set = lib.get_num_threads, lib.set_num_threads
        affixes = getattr(lib, "_find_affixes", None)
        if getattr(lib, "threading_layer", None) == "pthreads" and affixes is not None:
            found = affixes()
            if found:
                pre, suf = found
                dyn = lib.dynlib
                get = getattr(dyn, f"{pre}openblas_get_num_threads{suf}", None)
                put = getattr(dyn, f"{pre}openblas_set_num_threads{suf}", None)
                if get is not None and put is not None:
                    self.get, self.set = get, put


def _pools():
    """Every BLAS loaded in the process (SciPy's, which Numba's ``np.dot`` and numbanet's
    ``gemm`` calls use, and NumPy's), scanned once."""
    if not _libs:
        import scipy.linalg  # noqa: F401 - load SciPy's BLAS before scanning

        ThreadpoolController = threadpoolctl().ThreadpoolController

        _libs.extend(
            _Pool(lib) for lib in ThreadpoolController().select(user_api="blas").lib_controllers
        )
        _libs.append(None)  # scanned, even if nothing was found
    return _libs


#: How many ``numbanet.deterministic()`` contexts are open, in any thread of the process (like
#: the BLAS thread count it also sets, a process-wide setting): the dense layers' products then
#: run in the pieces of one thread (``backends/cpu.py``). Changed under ``_depth_lock``.
deterministic_depth = 0
_depth_lock = threading.Lock()


def deterministic_enter(step):
    """Add ``step`` (+1 or -1) to ``deterministic_depth``."""
    global deterministic_depth
    with _depth_lock:
        deterministic_depth += step


#: When numbanet last ran a product on threaded BLAS (``time.monotonic()``).
_threaded_at = -1e9

#: Seconds an OpenBLAS worker keeps spinning after a product before it sleeps (OpenBLAS's
#: THREAD_TIMEOUT, 2^28 cycles: about 0.1 s at 2.5 GHz).
BLAS_SPIN_SECONDS = 0.1


def blas_awake():
    """True while numbanet's last threaded BLAS product is recent enough for OpenBLAS's workers
    to be spinning. Numba's threaded kernels then run their serial twins
    (``kernels.cpu._util.pick``): an OpenMP team started beside spinning BLAS workers fights
    them for the cores. The 784-1024-1024-10 MLP (batch 256, Adam, 10,240 images, nothing
    else running) trained in 1.44 s with the Adam update and activations on two Numba threads
    and 0.85 s with them serial, against 0.63 s for PyTorch."""
    return time.monotonic() - _threaded_at < BLAS_SPIN_SECONDS


class blas_threads:
    """``with blas_threads(n):`` runs the block with every BLAS on ``n`` threads and puts each
    library's previous count back after (only libraries not already at ``n`` are touched).
    ``None`` leaves the counts alone; ``threaded=True`` records that the block ran products on
    the caller's (threaded) BLAS, see ``blas_awake``."""

    __slots__ = ("n", "changed", "threaded")

    def __init__(self, n, threaded=False):
        self.n = n
        self.changed = None
        self.threaded = threaded

    def __enter__(self):
        if self.n is None:
            return self
        want = int(self.n)
        changed = []
        for pool in _pools():
            if pool is not None:
                old = pool.get()
                if old != want:
                    pool.set(want)
                    changed.append((pool, old))
        self.changed = changed
        return self

    def __exit__(self, *exc):
        if self.threaded:
            global _threaded_at
            _threaded_at = time.monotonic()
        if self.changed:
            for pool, old in self.changed:
                pool.set(old)
        self.changed = None
        return False


def blas_for(macs):
    """The BLAS thread setting for products of ``macs`` multiply-adds: one thread below
    ``config.BLAS_THREADED_MIN_MACS``, the caller's own count above it."""
    if macs < config.BLAS_THREADED_MIN_MACS:
        return blas_threads(1)
    return blas_threads(None, threaded=True)
