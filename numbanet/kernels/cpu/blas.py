"""Matrix products inside Numba kernels through ``cblas_?gemm`` at a run-time address, and the
dense layer's products spread over Numba's threads with that BLAS on one thread each.

*Why call BLAS from a kernel.* The backend finds NumPy's own OpenBLAS ``cblas_sgemm`` /
``cblas_dgemm`` (``backends/_blas.py``) and passes its address in; the intrinsic below calls it
like a C function, with the data pointers of the arrays (slices included), so a kernel can run
several independent products at once, each on its own thread, with no Python in between.

*Why spread a dense layer's products over Numba's threads.* A threaded ``gemm`` splits one
product over its own worker threads; below about a thousand rows and columns that split costs a
good part of the product (SciPy's OpenBLAS on two threads: 103 GFLOP/s at 128 x 256 x 256,
where one thread alone reaches 77), and its workers then spin beside Numba's, fighting them for
the cores (``numbanet._threads``). Here the work of a call is cut into one piece per Numba
thread, each a whole single-threaded product:

* forward, ``z = x W^T + b``: the rows of the batch, each piece writing its rows' bias and then
  adding its product (``beta = 1``);
* backward, with the input gradient: ``dW += dz^T x`` (rows of dW, one thread in two) beside
  ``dx = dz W`` (rows of the batch, the others): the two products have the same number of
  multiply-adds, so each half of the threads gets an equal share; without it, ``dW`` alone,
  cut by its rows. The bias gradient ``db += sum_i dz[i, :]`` is summed, in float64, by the
  pieces that own those columns of ``dW``.

Products below ``config.DENSE_THREADS_MIN_MACS`` (2^20) run the same pieces one after the other
on the calling thread (the serial twin): a parallel region there costs about what it saves, and
NumPy's OpenBLAS on one thread is still faster than SciPy's ``gemm`` called from Python at these
shapes. Forward / backward-with-dx times in us, tight loops on the 2-core test machine, SciPy
from Python / these kernels on one thread / on two: 64x120x84 (0.65M multiply-adds) 28-40 /
23 / 21-32 and 55-89 / 42-46 / 29-46; 64x400x120 (3.1M, LeNet's first dense layer) 103-137 /
83-109 / 58-63 and 196-199 / 161-167 / 92-99; 128x256x256 (8.4M) 124-128 / 199-208 / 122-126
and 247-254 / 412-426 / 217-221.

No two pieces write the same element, and the pieces are the same whichever thread runs them, so
results do not depend on the scheduling. They can depend on the number of pieces, the thread
count (a row computed in another piece can round differently in float32): inside
``numbanet.deterministic()`` the backend cuts them as for one thread. A static cut also suits a
busy machine better than BLAS's own threads: beside two busy processes, an epoch of a
40-256-256-10 MLP at batch 500 took 6.8-7.0 ms this way against 53-64 ms on SciPy's two BLAS
threads. Measured on the 2-core test machine (medians of 40
timings, each variant in its own process): backward at 128 x 256 x 256, 246-260 us against
291-440 us for SciPy's two-thread ``sgemm`` one product after the other; at 256 x 1024 x 1024,
6.1-6.3 ms against 6.4-7.6 ms; forward at 128 x 784 x 256, 346-396 against 468-770 us.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ._util import twin

#: cblas's CblasNoTrans and CblasTrans
NO_TRANS = 111
TRANS = 112


def _gemm_intrinsic(int_bits):
    """An intrinsic calling ``cblas_?gemm`` (row-major) at a run-time address, with ``int_bits``-
    bit integer arguments (64 for an ILP64 BLAS). Array arguments pass their data pointers."""

    @intrinsic
    def call(typingctx, fptr, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        if not all(isinstance(v, types.Array) for v in (a, b, c)):
            return None
        sig = types.void(fptr, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

        def codegen(context, builder, signature, args):
            sa = signature.args
            fty = context.get_value_type(a.dtype)
            ity = ir.IntType(int_bits)
            i32 = ir.IntType(32)
            vp = ir.IntType(8).as_pointer()
            fnty = ir.FunctionType(
                ir.VoidType(), [i32, i32, i32, ity, ity, ity, fty, vp, ity, vp, ity, fty, vp, ity]
            )
            fn = builder.inttoptr(args[0], fnty.as_pointer())

            def integer(i, width):
                v = context.cast(builder, args[i], sa[i], types.int64)
                return builder.trunc(v, ir.IntType(width)) if width < 64 else v

            def real(i):
                return context.cast(builder, args[i], sa[i], a.dtype)

            def ptr(i):
                arr = context.make_array(sa[i])(context, builder, args[i])
                return builder.bitcast(arr.data, vp)

            builder.call(
                fn,
                [
                    ir.Constant(i32, 101),
                    integer(1, 32),
                    integer(2, 32),
                    integer(3, int_bits),
                    integer(4, int_bits),
                    integer(5, int_bits),
                    real(6),
                    ptr(7),
                    integer(8, int_bits),
                    ptr(9),
                    integer(10, int_bits),
                    real(11),
                    ptr(12),
                    integer(13, int_bits),
                ],
            )
            return context.get_dummy_value()

        return sig, codegen

    return call


_gemm_lp64 = _gemm_intrinsic(32)
_gemm_ilp64 = _gemm_intrinsic(64)


@njit(inline="always", cache=True)
def gemm(fp, ilp, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc):
    """Row-major ``c = op(a) op(b) + beta c`` (m x n, inner dimension k) through the BLAS at
    ``fp`` (``ilp``: its integers are 64-bit)."""
    if ilp:
        _gemm_ilp64(fp, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc)
    else:
        _gemm_lp64(fp, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc)


def _dense_forward(fp, ilp, x, W, b, z, P):
    """``z = x W^T + b`` in ``P`` pieces of rows of the batch."""
    m, nin = x.shape
    nout = W.shape[0]
    for p in prange(P):
        lo = (m * p) // P
        hi = (m * (p + 1)) // P
        if hi > lo:
            for i in range(lo, hi):
                for j in range(nout):
                    z[i, j] = b[j]
            gemm(fp, ilp, NO_TRANS, TRANS, hi - lo, nout, nin, x[lo:hi], nin, W, nin, 1.0,
                 z[lo:hi], nout)  # fmt: skip


def _dense_backward(fp, ilp, x, W, dz, dW, db, dx, need_dx, P):
    """``dW += dz^T x``, ``db += sum_i dz[i, :]`` and, when ``need_dx``, ``dx = dz W``, in
    ``P`` pieces (two at least when ``need_dx``): the first half cut dW and db by rows, the
    others dx by rows of the batch; without dx, every piece a share of dW's rows."""
    m, nin = x.shape
    nout = W.shape[0]
    T = max(P, 2) if need_dx else P
    nw = T // 2 if need_dx else T
    nx = T - nw
    for t in prange(T):
        if t < nw:
            lo = (nout * t) // nw
            hi = (nout * (t + 1)) // nw
            if hi > lo:
                gemm(fp, ilp, TRANS, NO_TRANS, hi - lo, nin, m, dz[:, lo:hi], nout, x, nin, 1.0,
                     dW[lo:hi], nin)  # fmt: skip
                acc = np.zeros(hi - lo, np.float64)
                for i in range(m):
                    for j in range(lo, hi):
                        acc[j - lo] += dz[i, j]
                for j in range(lo, hi):
                    db[j] += acc[j - lo]
        else:
            q = t - nw
            lo = (m * q) // nx
            hi = (m * (q + 1)) // nx
            if hi > lo:
                gemm(fp, ilp, NO_TRANS, NO_TRANS, hi - lo, nin, nout, dz[lo:hi], nout, W, nin, 0.0,
                     dx[lo:hi], nin)  # fmt: skip


#: (on the calling thread, on Numba's threads): the same pieces either way
dense_forward = twin(_dense_forward)
dense_backward = twin(_dense_backward)
