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
