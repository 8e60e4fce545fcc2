"""Defaults and tuning thresholds in one place: dtype, fastmath, CPU dispatch, CUDA geometry.

Every threshold says what it switches and the measurement that chose it (the 2-core AMD EPYC
machine this project is developed on, AVX-512, OpenBLAS). Everything a kernel needs from here is
passed to it as an argument or read by the Python code that picks a kernel (Numba freezes
globals into compiled code), so changing these at run time takes effect on the next call.
"""

from __future__ import annotations

import numpy as np

#: Default floating dtype of parameters and activations. float64 is accepted everywhere.
DEFAULT_DTYPE = np.float32

#: Numba fastmath flags for CPU kernels: contraction and reassociation only. We keep ``nnan``
#: and ``ninf`` off so that NaN/inf checks in the engine stay meaningful.
FASTMATH = {"contract", "reassoc", "arcp", "nsz"}

# ---------------------------------------------------------------- CPU dispatch

#: Dense layers whose minibatch product has at least this many multiply-adds (m * d_in * d_out)
#: call BLAS ``gemm`` from Python, writing straight into their outputs (and accumulating dW with
#: beta = 1); smaller ones run the Numba kernels, whose call overhead is lower.
BLAS_MIN_MACS = 1 << 18

#: Products with fewer multiply-adds than this run with BLAS on one thread inside numbanet's
#: calls (``numbanet._threads``), so that OpenBLAS's workers sleep while Numba's threads work;
#: larger ones keep the caller's BLAS threads. Measured on the 2-core machine (fit, one epoch,
#: background jobs stopped): LeNet (batch 64, largest product 64x400x120 = 3.1M) 0.89 s per
#: 6,400 images with two BLAS threads against 0.27 s with one; the residual MLP (batch 128,
#: 128x256x256 = 8.4M) 2.3-2.5 s with one BLAS thread for them (threshold 2^24) against
#: 1.3-1.8 s with two (2^22); the 784-1024-1024-10 MLP (51-205M) needs both threads.
BLAS_THREADED_MIN_MACS = 1 << 22

#: Dense layers' BLAS products (from ``BLAS_MIN_MACS`` up) run in a Numba kernel calling NumPy's
#: ``cblas_?gemm`` on one thread (``kernels/cpu/blas.py``, ``backends/_blas.py``); from
#: ``DENSE_THREADS_MIN_MACS`` up the work is cut into one whole single-threaded product per
#: Numba thread (the forward by rows of the batch, the backward's dW beside dx) instead of one
#: product after the other on BLAS's own threads, so no BLAS thread pool wakes during training.
#: False (or NumPy's gemm not found) keeps SciPy's ``gemm`` called from Python.
DENSE_SPLIT = True
DENSE_THREADS_MIN_MACS = 1 << 20

#: The fused dense epoch (``backends._fused_ops``): layers with at most this many
#: multiply-adds per minibatch (m * d_in * d_out) use hand-written loops, larger ones BLAS
#: (Numba's ``np.dot``). Measured on the 2-core machine, one epoch of Nielsen's 784-30-10 net on
#: 50,000 images (fit, median of 3, background jobs stopped): with the 784x30 layer on BLAS
#: (threshold 2^14) 459 / 210 / 240 ms at minibatch 10 / 32 / 64, with it on the loops 289 /
#: 205 / 179 ms. A minibatch of 10-64 rows is too short for gemm's blocking to pay for its call
#: and packing; the loops read W once per row and update it in place.
FUSED_SMALL_MACS = 1 << 21

#: Nets whose every width is at most this, trained in minibatches of at least
#: ``FUSED_NARROW_MIN_BATCH``, run the feature-major kernel (inner loops over the minibatch):
#: with 10-unit layers a row-major dot product has 10 terms, too short to vectorise.
FUSED_NARROW_MAX_WIDTH = 32
FUSED_NARROW_MIN_BATCH = 16

#: The one-call forward/backward of a dense stack (``DenseStackRunner``, used by
#: ``Sequential.forward``/``backward`` and fit's layer path): layers with at most this many
#: multiply-adds per batch use loops, larger ones BLAS. Lower than the fused epoch's threshold:
#: its backward accumulates a gradient matrix the loops build one short row at a time. Measured
#: on the 1-10x5-1 net at batch 256 (CPU time per call, machine loaded): BLAS everywhere
#: forward 24 us / backward 55 us; loops for layers up to 2^14 MACs 24 / 65 us; loops
#: everywhere 39 / 146 us.
STACK_SMALL_MACS = 1 << 11
#: ``fit`` runs many epochs of the fused path in one compiled call when nothing between epochs
#: needs Python (``training._epochs_fused``); each call covers at most this many multiply-adds
#: (forward and backward), about a second of training or less, so a progress bar moves and
#: Ctrl-C is answered; and, when every epoch has its own example order, at most this many
#: int64 order entries (8 MB).
FUSED_CALL_MACS = 1 << 31
FUSED_CALL_ORDERS = 1 << 20


#: ... and batches of at most this many rows use the loops for every layer: Nielsen's manual
#: loop (784-30-10, minibatch 10, 5,000 steps, background jobs stopped) took 0.89-1.13 s with
#: the 784x30 product on the loops against 1.03-1.22 s on BLAS.
STACK_LOOP_MAX_ROWS = 16

# ---------------------------------------------------------------- CUDA

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

    numbanet's own elementwise and reduction kernels are thread-count independent (each
    ``prange`` iteration owns its outputs; every reduction is serial), and a fixed seed gives
    bit-identical results run after run and process after process *for a fixed number of
    threads*. What varies with the thread count is how matrix products are cut: BLAS ``gemm``
    splits its work by thread, and a dense layer's larger products are cut into one piece per
    Numba thread (``DENSE_THREADS_MIN_MACS``); rows computed in another piece can round
    differently. Inside this context BLAS runs on one thread and the dense products in the
    pieces of one thread, so results are also identical across thread counts (slower for large
    matrices)::

        with numbanet.deterministic():
            net.fit(x, y, ...)
    """
    return _Deterministic()


class _Deterministic:
    __slots__ = ("_limits",)

    def __enter__(self):
        from . import _threads

        self._limits = _threads.threadpoolctl().threadpool_limits(limits=1, user_api="blas")
        _threads.deterministic_enter(+1)
        return self

    def __exit__(self, *exc):
        from . import _threads

        _threads.deterministic_enter(-1)
        self._limits.restore_original_limits()
        return False
