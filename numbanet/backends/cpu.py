"""The CPU backend: Numba kernels (``njit``, ``prange``) for every op of the reference backend.

Kernels are compiled on first use and cached on disk (``cache=True``), so a second process starts
fast. Small arrays run serial kernels, large ones threaded twins (see ``kernels.cpu._util``).
"""

from __future__ import annotations

import functools

import numba
import numpy as np

from .. import _threads, config
from .._threads import blas_for, blas_threads
from ..kernels.cpu import blas as KB
from ..kernels.cpu import dense as K
from ..kernels.cpu import losses as L
from ..kernels.cpu._util import pick
from ._blas import numpy_gemm
from ._conv_ops import CPUConvOps
from ._fused_ops import CPUFusedOps
from ._norm_ops import CPUNormOps
from ._optim_ops import CPUOptimOps
from ._rbm_ops import CPURBMOps
from ._rnn_ops import CPURNNOps
from .reference import ReferenceBackend


@functools.cache
def _gemm(dtype):
    """SciPy's ``sgemm``/``dgemm`` for ``dtype`` (None for other dtypes); looked up once per
    dtype (a dense layer calls it three times per step).

    SciPy's, not NumPy's: Numba's ``np.dot`` inside the kernels calls SciPy's OpenBLAS, and a
    process that alternates two OpenBLAS libraries keeps two thread pools spinning against each
    other (on two cores a 40-256-256-10 training step became 20x slower).
    """
    from scipy.linalg import blas

    return {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}.get(np.dtype(dtype))


def _numba_blas(dtype, macs):
    """(address, ilp64, threaded, pieces) for a dense product of ``macs`` multiply-adds run by
    ``kernels/cpu/blas.py`` (``config.DENSE_SPLIT``), or None for BLAS called from Python.
    From ``config.DENSE_THREADS_MIN_MACS`` up the kernels run on Numba's threads (``threaded``)
    in one piece per thread; inside ``numbanet.deterministic()`` in the pieces of one thread
    (the forward whole, the backward's dW beside dx), so that the numbers do not depend on the
    thread count (a product cut into other rows can round differently)."""
    if not config.DENSE_SPLIT:
        return None
    fp, ilp = numpy_gemm(dtype)
    if fp == 0:
        return None
    P = numba.get_num_threads() if macs >= config.DENSE_THREADS_MIN_MACS else 1
    return fp, ilp, P > 1, (1 if _threads.deterministic_depth else P)


def _into(c, result):
    """f2py returns ``c`` itself when it wrote into it, and a new array when it had to copy
    ``c``; make sure the product ends up in ``c``."""
    if result is not c:
        c[...] = result


def _flat(a):
    return a.reshape(-1)


class CPUBackend(
    CPUFusedOps, CPUConvOps, CPURNNOps, CPURBMOps, CPUOptimOps, CPUNormOps, ReferenceBackend
):
    """Numba-compiled CPU kernels; arrays are NumPy arrays."""

    name = "cpu"

    @staticmethod
    def _blas_ok(x, W, *others):
        if x.shape[0] * W.size < config.BLAS_MIN_MACS or _gemm(W.dtype) is None:
            return False
        dt = W.dtype
        if x.dtype != dt or not (x.flags.c_contiguous and W.flags.c_contiguous):
            return False
        for a in others:
            if a.dtype != dt or not a.flags.c_contiguous:
                return False
        return True

    def dense_forward(self, x, W, b):
        z = np.empty((x.shape[0], W.shape[0]), dtype=x.dtype)
        if self._blas_ok(x, W):
            macs = x.shape[0] * W.size
            nbl = _numba_blas(W.dtype, macs)
            if nbl is not None:
                fp, ilp, _, P = nbl
                with blas_threads(1):
                    KB.dense_forward[P > 1](fp, ilp, x, W, b, z, P)
                return z
            # z^T = W x^T + b, with every operand a Fortran-ordered view: no copies. The bias is
            # written first and the product added to it (beta = 1), one pass over z fewer
            # than adding it after.
            zt = z.T
            zt[...] = b[:, None]
            with blas_for(macs):
                _into(zt, _gemm(W.dtype)(1.0, W.T, x.T, beta=1.0, c=zt, trans_a=1, overwrite_c=1))
        else:
            K.dense_forward(x, W, b, z)
        return z

    def dense_backward(self, x, W, dz, dW, db, need_dx=True):
        if self._blas_ok(x, W, dz, dW):
            nbl = _numba_blas(W.dtype, x.shape[0] * W.size)
            if nbl is not None and db.dtype == dW.dtype and db.flags.c_contiguous:
                fp, ilp, threaded, P = nbl
                dx = np.empty(x.shape if need_dx else (0, 0), dtype=x.dtype)
                par = threaded and (P > 1 or need_dx)  # with dx: two pieces at least
                with blas_threads(1):
                    KB.dense_backward[par](fp, ilp, x, W, dz, dW, db, dx, bool(need_dx), P)
                return dx if need_dx else None
            gemm = _gemm(W.dtype)
            with blas_for(x.shape[0] * W.size):
                dWt = dW.T  # dW^T += x^T dz, accumulated in place (beta = 1)
                _into(dWt, gemm(1.0, x.T, dz.T, beta=1.0, c=dWt, trans_b=1, overwrite_c=1))
                db += dz.sum(axis=0, dtype=db.dtype)
                if not need_dx:
                    return None
                dx = np.empty(x.shape, dtype=x.dtype)
                dxt = dx.T  # dx^T = W^T dz^T
                _into(dxt, gemm(1.0, W.T, dz.T, beta=0.0, c=dxt, overwrite_c=1))
            return dx
        dx = np.empty(x.shape, dtype=x.dtype) if need_dx else np.empty((0, 0), dtype=x.dtype)
        K.dense_backward(x, W, dz, dW, db, dx, need_dx)
        return dx if need_dx else None

    def act_forward(self, code, z, alpha=0.0):
        out = np.empty_like(z)
        pick(K.act_forward, z.size)(int(code), z, z.dtype.type(alpha), out)
        return out

    def act_backward(self, code, z, a, da, alpha=0.0):
        out = np.empty_like(z)
        pick(K.act_backward, z.size)(int(code), z, a, da, z.dtype.type(alpha), out)
        return out

    def prelu_forward(self, z, alpha):
        out = np.empty_like(z)
        pick(K.prelu_forward, z.size)(z, alpha, out)
        return out

    def prelu_backward(self, z, da, alpha, dalpha):
        out = np.empty_like(z)
        rows = np.zeros((z.shape[0], alpha.shape[0]), dtype=np.float64)
        pick(K.prelu_backward, z.size)(z, da, alpha, out, rows)
        dalpha += rows.sum(axis=0).astype(dalpha.dtype)
        return out

    def softmax_forward(self, z):
        out = np.empty_like(z)
        pick(K.softmax_forward, z.size)(z, out)
        return out

    def softmax_backward(self, p, dp):
        out = np.empty_like(p)
        pick(K.softmax_backward, p.size)(p, dp, out)
        return out

    def log_softmax_forward(self, z):
        out = np.empty_like(z)
        pick(K.log_softmax_forward, z.size)(z, out)
        return out

    def log_softmax_backward(self, y, dy):
        out = np.empty_like(y)
        pick(K.log_softmax_backward, y.size)(y, dy, out)
        return out

    def xent_labels(self, z, labels, scale):
        grad = np.empty_like(z)
        rows = np.empty(z.shape[0], dtype=np.float64)
        pick(K.xent_labels, z.size)(z, labels, z.dtype.type(scale), grad, rows)
        return float(rows.sum()), grad

    def xent_onehot(self, z, t, scale):
        grad = np.empty_like(z)
        rows = np.empty(z.shape[0], dtype=np.float64)
        pick(K.xent_onehot, z.size)(z, t, z.dtype.type(scale), grad, rows)
        return float(rows.sum()), grad

    def checked_loss(self, kind, p, y, scale, eps=0.0):
        grad = np.empty_like(p)
        if kind is None:
            total, ok = L.checked_xent_labels(p, y, scale, grad)
        else:
            total, ok = L.checked_elementwise_loss(int(kind), p, y, scale, eps, grad)
        return (total, grad) if ok else None

    def elementwise_loss(self, kind, p, y, scale, eps=1e-7):
        grad = np.empty_like(p)
        rows = np.empty(p.shape[0], dtype=np.float64)
        pick(K.elementwise_loss, p.size)(int(kind), p, y, p.dtype.type(scale), eps, grad, rows)
        return float(rows.sum()), grad

    def sgd_update(self, p, g, lr, decay=1.0):
        pick(K.sgd_update, p.size)(_flat(p), _flat(g), p.dtype.type(lr), p.dtype.type(decay))
