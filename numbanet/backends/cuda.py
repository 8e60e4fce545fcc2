"""The CUDA backend: numba.cuda kernels; parameters, activations and gradients stay on the device.

Host <-> device copies happen only at the edges: data in (once per ``fit``, or per call of
``forward``), scalars and metrics out. Launch geometry comes from ``numbanet.config`` at each call
(tests shrink it so the simulator runs several small blocks).
"""

from __future__ import annotations

import numpy as np

from .. import config
from .._cuda import cuda as _cuda_mod
from ._conv_ops import CUDAConvOps
from ._norm_ops import CUDANormOps
from ._optim_ops import CUDAOptimOps
from ._rbm_ops import CUDARBMOps
from ._rnn_ops import CUDARNNOps
from .reference import ReferenceBackend


def _is_device(a):
    """True for a numba device array (real or simulated)."""
    return hasattr(a, "copy_to_host")


def _grid1(n):
    tpb = int(config.THREADS_PER_BLOCK)
    return (max(1, (n + tpb - 1) // tpb), tpb)


class CUDABackend(CUDAConvOps, CUDARNNOps, CUDARBMOps, CUDAOptimOps, CUDANormOps,
                  ReferenceBackend):
    """numba.cuda kernels on device arrays."""

    name = "cuda"
    is_device = True

    def __init__(self):
        from ..kernels.cuda import dense as K

        self.cuda = _cuda_mod()
        self.K = K

    # ------------------------------------------------------------------ arrays
    def asarray(self, x, dtype):
        if _is_device(x):
            if x.dtype != np.dtype(dtype):
                raise TypeError(f"device array has dtype {x.dtype}, expected {np.dtype(dtype)}")
            return x
        return self.cuda.to_device(np.ascontiguousarray(x, dtype=dtype))

    def to_numpy(self, a):
        if _is_device(a):
            return a.copy_to_host()
        return np.asarray(a)

    def empty(self, shape, dtype):
        return self.cuda.device_array(shape, dtype=dtype)

    def zeros(self, shape, dtype):
        a = self.cuda.device_array(shape, dtype=dtype)
        self.fill(a, 0)
        return a

    def copy_into(self, dst, src):
        dst.copy_to_device(np.ascontiguousarray(src, dtype=dst.dtype).reshape(dst.shape))

    def fill(self, a, value):
        flat = a.reshape(a.size)
        if flat.size:
            self.K.fill[_grid1(flat.size)](flat, flat.dtype.type(value))

    def synchronize(self):
        self.cuda.synchronize()

    def all_finite(self, a):
        flat = a.reshape(a.size)
        out = self.cuda.to_device(np.zeros(1, np.int32))
        if flat.size:
            self.K.nonfinite_count[_grid1(flat.size)](flat, out)
        return int(out.copy_to_host()[0]) == 0

    def take_rows(self, a, idx):
        idx_d = self.cuda.to_device(np.ascontiguousarray(idx, dtype=np.int64))
        a2 = a.reshape(a.shape[0], -1) if a.ndim != 2 else a
        out = self.cuda.device_array((len(idx), a2.shape[1]), dtype=a.dtype)
        if out.size:
            self.K.gather_rows[_grid1(out.size)](a2, idx_d, out)
        return out.reshape((len(idx),) + tuple(a.shape[1:])) if a.ndim != 2 else out

    # ------------------------------------------------------------------ dense
    def _matmul(self, A, B, C, ta, tb, accumulate):
        M, N = C.shape
        if M == 0 or N == 0:
            return
        kern, grid, block = self.K.gemm_launch(C.dtype, M, N, int(config.TILE))
        kern[grid, block](A, B, C, int(ta), int(tb), int(accumulate))

    def dense_forward(self, x, W, b):
        z = self.cuda.device_array((x.shape[0], W.shape[0]), dtype=x.dtype)
        self._matmul(x, W, z, 0, 1, 0)
        if z.size:
            self.K.add_bias[_grid1(z.size)](z, b)
        return z

    def dense_backward(self, x, W, dz, dW, db, need_dx=True):
        self._matmul(dz, x, dW, 1, 0, 1)
        self.K.col_sum_acc[_grid1(dz.shape[1])](dz, db)
        if not need_dx:
            return None
        dx = self.cuda.device_array(x.shape, dtype=x.dtype)
        self._matmul(dz, W, dx, 0, 0, 0)
        return dx

    # ------------------------------------------------------------------ activations
    def act_forward(self, code, z, alpha=0.0):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        if z.size:
            self.K.act_forward[_grid1(z.size)](int(code), z, z.dtype.type(alpha), out)
        return out

    def act_backward(self, code, z, a, da, alpha=0.0):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        if z.size:
            self.K.act_backward[_grid1(z.size)](int(code), z, a, da, z.dtype.type(alpha), out)
        return out

    def prelu_forward(self, z, alpha):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        if z.size:
            self.K.prelu_forward[_grid1(z.size)](z, alpha, out)
        return out

    def prelu_backward(self, z, da, alpha, dalpha):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        rows = self.cuda.to_device(np.zeros((z.shape[0], alpha.shape[0]), z.dtype))
        self.K.prelu_backward[_grid1(z.shape[0])](z, da, alpha, out, rows)
        total = rows.copy_to_host().sum(axis=0, dtype=np.float64)
        self.copy_into(dalpha, self.to_numpy(dalpha) + total.astype(dalpha.dtype))
        return out

    def softmax_forward(self, z):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        self.K.softmax_forward[_grid1(z.shape[0])](z, out)
        return out

    def softmax_backward(self, p, dp):
        out = self.cuda.device_array(p.shape, dtype=p.dtype)
        self.K.softmax_backward[_grid1(p.shape[0])](p, dp, out)
        return out

    def log_softmax_forward(self, z):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        self.K.log_softmax_forward[_grid1(z.shape[0])](z, out)
        return out

    def log_softmax_backward(self, y, dy):
        out = self.cuda.device_array(y.shape, dtype=y.dtype)
        self.K.log_softmax_backward[_grid1(y.shape[0])](y, dy, out)
        return out

    # ------------------------------------------------------------------ losses
    def _rows(self, n, dtype):
        """Per-row losses, in the kernel's float type (summed on the host in float64)."""
        return self.cuda.device_array(n, dtype=dtype)

    @staticmethod
    def _row_sum(rows):
        return float(rows.copy_to_host().sum(dtype=np.float64))

    def xent_labels(self, z, labels, scale):
        grad = self.cuda.device_array(z.shape, dtype=z.dtype)
        rows = self._rows(z.shape[0], z.dtype)
        labels = self.asarray(labels, np.int64)
        self.K.xent_labels[_grid1(z.shape[0])](z, labels, z.dtype.type(scale), grad, rows)
        return self._row_sum(rows), grad

    def xent_onehot(self, z, t, scale):
        grad = self.cuda.device_array(z.shape, dtype=z.dtype)
        rows = self._rows(z.shape[0], z.dtype)
        self.K.xent_onehot[_grid1(z.shape[0])](z, t, z.dtype.type(scale), grad, rows)
        return self._row_sum(rows), grad

    def elementwise_loss(self, kind, p, y, scale, eps=1e-7):
        grad = self.cuda.device_array(p.shape, dtype=p.dtype)
        rows = self._rows(p.shape[0], p.dtype)
        self.K.elementwise_loss[_grid1(p.shape[0])](
            int(kind), p, y, p.dtype.type(scale), p.dtype.type(eps), grad, rows
        )
        return self._row_sum(rows), grad

    # ------------------------------------------------------------------ optimisers
    def sgd_update(self, p, g, lr, decay=1.0):
        pf = p.reshape(p.size)
        gf = g.reshape(g.size)
        if pf.size:
            self.K.sgd_update[_grid1(pf.size)](pf, gf, pf.dtype.type(lr), pf.dtype.type(decay))

    def argmax_rows(self, a):
        return self.to_numpy(a).argmax(axis=1)
