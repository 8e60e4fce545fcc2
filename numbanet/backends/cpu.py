"""The CPU backend: Numba kernels (``njit``, ``prange``) for every op of the reference backend.

Kernels are compiled on first use and cached on disk (``cache=True``), so a second process starts
fast. Small arrays run serial kernels, large ones threaded twins (see ``kernels.cpu._util``).
"""

from __future__ import annotations

import numpy as np

from ..kernels.cpu import dense as K
from ..kernels.cpu._util import pick
from ._optim_ops import CPUOptimOps
from .reference import ReferenceBackend

#: Dense layers whose minibatch product has at least this many multiply-adds (m * d_in * d_out)
#: call NumPy's BLAS from Python, writing into their outputs; smaller ones run the Numba kernels,
#: whose call overhead is lower. Only NumPy's BLAS is called at this size: alternating it with
#: SciPy's (a second OpenBLAS with its own spinning thread pool) made a 784-1024-1024-10 step
#: twice as slow on two cores (benchmarks/bench_mlp.py).
BLAS_MIN_MACS = 1 << 20


def _flat(a):
    return a.reshape(-1)


class CPUBackend(CPUOptimOps, ReferenceBackend):
    """Numba-compiled CPU kernels; arrays are NumPy arrays."""

    name = "cpu"

    def dense_forward(self, x, W, b):
        z = np.empty((x.shape[0], W.shape[0]), dtype=x.dtype)
        if x.shape[0] * W.size >= BLAS_MIN_MACS and x.dtype == W.dtype:
            # large products: NumPy's BLAS writes straight into z (no temporary, no copy)
            np.matmul(x, W.T, out=z)
            z += b
        else:
            K.dense_forward(x, W, b, z)
        return z

    def dense_backward(self, x, W, dz, dW, db, need_dx=True):
        if x.shape[0] * W.size >= BLAS_MIN_MACS and x.dtype == W.dtype == dz.dtype:
            dW += dz.T @ x
            db += dz.sum(axis=0, dtype=db.dtype)
            return dz @ W if need_dx else None
        dx = np.empty(x.shape, dtype=x.dtype) if need_dx else np.empty((0, 0), dtype=x.dtype)
        K.dense_backward(x, W, dz, dW, db, dx, need_dx)
        return dx if need_dx else None

    def act_forward(self, code, z, alpha=0.0):
        out = np.empty_like(z)
        pick(K.act_forward, z.size)(code, z, z.dtype.type(alpha), out)
        return out

    def act_backward(self, code, z, a, da, alpha=0.0):
        out = np.empty_like(z)
        pick(K.act_backward, z.size)(code, z, a, da, z.dtype.type(alpha), out)
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

    def elementwise_loss(self, kind, p, y, scale, eps=1e-7):
        grad = np.empty_like(p)
        rows = np.empty(p.shape[0], dtype=np.float64)
        pick(K.elementwise_loss, p.size)(kind, p, y, p.dtype.type(scale), eps, grad, rows)
        return float(rows.sum()), grad

    def sgd_update(self, p, g, lr, decay=1.0):
        pick(K.sgd_update, p.size)(_flat(p), _flat(g), p.dtype.type(lr), p.dtype.type(decay))
