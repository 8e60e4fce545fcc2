"""Defaults in one place: dtype, fastmath, CUDA launch geometry.

Everything a kernel needs from here is passed to it as an argument (Numba freezes globals into
compiled code), so changing these at run time takes effect on the next call.
"""

from __future__ import annotations

import numpy as np

#: Default floating dtype of parameters and activations. float64 is accepted everywhere.
DEFAULT_DTYPE = np.float32

#: Numba fastmath flags for CPU kernels: contraction and reassociation only. We keep ``nnan``
#: and ``ninf`` off so that NaN/inf checks in the engine stay meaningful.
FASTMATH = {"contract", "reassoc", "arcp", "nsz"}

#: CUDA threads per block for 1-D launches; tests patch it down so the simulator runs several
#: small blocks fast.
THREADS_PER_BLOCK = 128

#: Edge of the square shared-memory tile in tiled CUDA matmul kernels (compile-time constant of
#: the kernel module; changing it needs a re-import).
TILE = 16

#: Threads per block for 2-D launches (TILE x TILE).
BLOCK_2D = (TILE, TILE)


def deterministic():
    """Context manager: CPU results bit-identical whatever the thread count.

    numbanet's own CPU kernels are already thread-count independent (each ``prange`` iteration
    owns its outputs; every reduction is serial), and a fixed seed gives bit-identical results run
    after run and process after process *for a fixed number of threads*. The one part that varies
    with the thread count is BLAS ``gemm``, which splits its work differently. Inside this context
    BLAS runs on one thread, so results are also identical across thread counts (slower for large
    matrices)::

        with numbanet.deterministic():
            net.fit(x, y, ...)
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


#: The C library's ``mallopt`` settings applied by :func:`tune_malloc` (glibc only): arrays up to
#: 32 MiB come from the heap instead of a fresh ``mmap`` each, and up to 512 MiB of freed heap is
#: kept instead of being handed back to the kernel at once.
MALLOC_MMAP_THRESHOLD = 32 << 20
MALLOC_TRIM_THRESHOLD = 512 << 20
_malloc_tuned = [None]


def tune_malloc():
    """Keep freed array memory in the process (glibc's ``mallopt``); called once by the CPU backend.

    A training step allocates its activations and gradients afresh (LeNet at batch 64: about ten
    arrays of 0.3-1 MB). glibc serves such sizes by ``mmap`` and gives them back on ``free``, so
    every step touches new pages and pays a page fault per 4 KiB: measured on LeNet, 30 % of the
    step. With these settings the same memory is reused from step to step (LeNet 0.41 -> 0.28 s
    per 100 steps). The price: the process keeps up to ``MALLOC_TRIM_THRESHOLD`` of freed memory
    (its resident size does not shrink after a large allocation is freed).

    Process-wide and permanent (the same effect as starting Python with
    ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` set); does nothing on a C library
    other than glibc, or when the environment variable ``NUMBANET_MALLOC_TUNING=0``. Returns
    True when the settings were applied.
    """
    import os

    if _malloc_tuned[0] is not None:
        return _malloc_tuned[0]
    ok = False
    if os.environ.get("NUMBANET_MALLOC_TUNING", "1") != "0":
        try:
            import ctypes
            import platform

            if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
                mallopt = ctypes.CDLL(None).mallopt
                mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
                m_trim, m_mmap = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD (malloc.h)
                ok = bool(mallopt(m_mmap, MALLOC_MMAP_THRESHOLD)) and bool(
                    mallopt(m_trim, MALLOC_TRIM_THRESHOLD)
                )
        except (OSError, AttributeError, ValueError):
            ok = False
    _malloc_tuned[0] = ok
    return ok
