"""Backend ops for restricted Boltzmann machines: Gibbs half-steps, the CD-k update, free energy.

Mixed into the three backends (``ReferenceRBMOps`` into ``ReferenceBackend``, ``CPURBMOps`` and
``CUDARBMOps`` before it in the CPU and CUDA backends). Notation of the DL deck: ``W`` (H, V),
visible bias ``b`` (V,), hidden bias ``c`` (H,), data ``v`` (n, V), hidden states ``h`` (n, H).

.. math:: P(h = 1 \\mid v) = \\sigma(v W^\\top + c),\\qquad P(v = 1 \\mid h) = \\sigma(h W + b).

Sampling uses uniforms ``u`` drawn on the host by the caller (a NumPy array of the output's shape):
a sample is ``1`` where ``u < p``. Passing ``u=None`` returns the probabilities only (mean field).
The reference ops are the equations in NumPy; the CPU ops run the Numba kernels of
``kernels/cpu/rbm.py`` (and BLAS for the products of large problems); the CUDA ops run the twins in
``kernels/cuda/rbm.py`` (and the tiled ``matmul`` for large problems).
"""

from __future__ import annotations

import numpy as np
from scipy import special as _special

from .. import config

#: The CPU kernels switch to their threaded (``prange``) twins at this much work (multiply-adds):
#: below it, waking the thread pool costs more than it saves, badly so on a busy machine (a CD-1
#: step of a 784-256 RBM on 20 examples ran 20x slower threaded than serial with other jobs
#: running). Higher than the elementwise ``PARALLEL_MIN`` because each call is one minibatch.
RBM_PARALLEL_MIN = 1 << 25

#: Products with at least this many multiply-adds go through BLAS (CPU) / the tiled matmul (CUDA)
#: followed by ``bias_sigmoid_sample``; smaller ones run the fused Gibbs kernels.
RBM_GEMM_MIN_MACS = 1 << 20


class ReferenceRBMOps:
    """The RBM equations in NumPy."""

    def rbm_hidden(self, v, W, c, u=None):
        """(p, h): p = sigma(v W^T + c) of shape (n, H); h = [u < p] (None when u is None)."""
        p = _special.expit(v @ W.T + c).astype(v.dtype, copy=False)
        h = None if u is None else (np.asarray(u, dtype=p.dtype) < p).astype(p.dtype)
        return p, h

    def rbm_visible(self, h, W, b, u=None):
        """(p, v): p = sigma(h W + b) of shape (n, V); v = [u < p] (None when u is None)."""
        p = _special.expit(h @ W + b).astype(h.dtype, copy=False)
        v = None if u is None else (np.asarray(u, dtype=p.dtype) < p).astype(p.dtype)
        return p, v

    def rbm_cd_update(self, W, b, c, vW, vb, vc, v0, p0, vk, pk, lr, momentum=0.0, decay=0.0):
        """One CD step in place (W, b, c and their velocities vW, vb, vc).

        .. math:: \\Delta W \\leftarrow \\mu \\Delta W + \\eta\\big(\\tfrac1n(P_0^\\top V_0 -
                  P_k^\\top V_k) - \\lambda W\\big),\\quad
                  \\Delta b \\leftarrow \\mu \\Delta b + \\tfrac{\\eta}{n}\\textstyle\\sum_i (v_0 - v_k),\\quad
                  \\Delta c \\leftarrow \\mu \\Delta c + \\tfrac{\\eta}{n}\\textstyle\\sum_i (p_0 - p_k).
        """
        n = v0.shape[0]
        vW *= momentum
        vW += lr * ((p0.T @ v0 - pk.T @ vk) / n - decay * W)
        vb *= momentum
        vb += lr * (v0 - vk).sum(axis=0) / n
        vc *= momentum
        vc += lr * (p0 - pk).sum(axis=0) / n
        W += vW
        b += vb
        c += vc

    def rbm_free_energy(self, v, W, b, c):
        """F(v) = -b^T v - sum_j softplus(c_j + W_j v), shape (n,)."""
        z = v @ W.T + c
        sp = np.logaddexp(0, z)
        return (-(v @ b) - sp.sum(axis=1)).astype(v.dtype, copy=False)

    def sq_err_rows(self, x, y):
        """sum_k (x_ik - y_ik)^2 per row, shape (n,)."""
        return ((x - y) ** 2).sum(axis=1).astype(x.dtype, copy=False)


def _u_or_dummy(u, shape, dtype):
    if u is None:
        return np.zeros((1, 1), dtype=dtype), 0
    u = np.ascontiguousarray(u, dtype=dtype)
    if u.shape != tuple(shape):
        raise ValueError(f"uniforms have shape {u.shape}, expected {tuple(shape)}")
    return u, 1


class CPURBMOps:
    """Numba kernels (``kernels/cpu/rbm.py``); BLAS for the products of large problems."""

    @staticmethod
    def _KR():
        from ..kernels.cpu import rbm as K

        return K

    @staticmethod
    def _pick(pair, work):
        """Serial kernel for small work (thread start-up dominates), threaded for large."""
        return pair[1] if work >= RBM_PARALLEL_MIN else pair[0]

    def _gibbs_half(self, x, W, bias, u, transpose):
        K = self._KR()
        x = np.ascontiguousarray(x)
        n = x.shape[0]
        m = W.shape[1] if transpose else W.shape[0]
        uu, sample = _u_or_dummy(u, (n, m), x.dtype)
        s = np.empty((n, m) if sample else (1, 1), dtype=x.dtype)
        if n * W.size >= RBM_GEMM_MIN_MACS and x.dtype == W.dtype:
            p = np.empty((n, m), dtype=x.dtype)
            np.matmul(x, W if transpose else W.T, out=p)
            self._pick(K.bias_sigmoid_sample, p.size)(p, bias, uu, sample, s)
        else:
            p = np.empty((n, m), dtype=x.dtype)
            kern = K.rbm_visible if transpose else K.rbm_hidden
            self._pick(kern, n * W.size)(x, W, bias, uu, sample, p, s)
        return p, (s if sample else None)

    def rbm_hidden(self, v, W, c, u=None):
        return self._gibbs_half(v, W, c, u, False)

    def rbm_visible(self, h, W, b, u=None):
        return self._gibbs_half(h, W, b, u, True)

    def rbm_cd_update(self, W, b, c, vW, vb, vc, v0, p0, vk, pk, lr, momentum=0.0, decay=0.0):
        K = self._KR()
        t = W.dtype.type
        v0, p0, vk, pk = (np.ascontiguousarray(a) for a in (v0, p0, vk, pk))
        work = v0.shape[0] * W.size
        self._pick(K.rbm_cd_update_W, work)(W, vW, v0, p0, vk, pk, t(lr), t(momentum), t(decay))
        self._pick(K.rbm_cd_update_bias, v0.size)(b, vb, v0, vk, t(lr), t(momentum))
        self._pick(K.rbm_cd_update_bias, p0.size)(c, vc, p0, pk, t(lr), t(momentum))

    def rbm_free_energy(self, v, W, b, c):
        out = np.empty(v.shape[0], dtype=v.dtype)
        kern = self._pick(self._KR().rbm_free_energy, v.shape[0] * W.size)
        kern(np.ascontiguousarray(v), W, b, c, out)
        return out

    def sq_err_rows(self, x, y):
        out = np.empty(x.shape[0], dtype=x.dtype)
        kern = self._pick(self._KR().sq_err_rows, x.size)
        kern(np.ascontiguousarray(x), np.ascontiguousarray(y), out)
        return out


def _grid1(n):
    tpb = int(config.THREADS_PER_BLOCK)
    return (max(1, (n + tpb - 1) // tpb), tpb)


class CUDARBMOps:
    """numba.cuda kernels (``kernels/cuda/rbm.py``) on device arrays."""

    @staticmethod
    def _KR():
        from ..kernels.cuda import rbm as K

        return K

    def _dev_u(self, u, shape, dtype):
        if u is None:
            return self.cuda.to_device(np.zeros((1, 1), dtype=dtype)), 0
        uu, _ = _u_or_dummy(u, shape, dtype)
        return self.cuda.to_device(uu), 1

    def _gibbs_half(self, x, W, bias, u, transpose):
        K = self._KR()
        x = self.asarray(x, W.dtype)
        n = x.shape[0]
        m = W.shape[1] if transpose else W.shape[0]
        ud, sample = self._dev_u(u, (n, m), x.dtype)
        p = self.cuda.device_array((n, m), dtype=x.dtype)
        s = self.cuda.device_array((n, m) if sample else (1, 1), dtype=x.dtype)
        if n * W.size >= RBM_GEMM_MIN_MACS:
            # tiled shared-memory product, then bias + sigmoid + sample elementwise
            self._matmul(x, W, p, 0, 0 if transpose else 1, 0)
            K.bias_sigmoid_sample[_grid1(n * m)](p, bias, ud, sample, s)
        elif n * m:
            kern = K.rbm_visible if transpose else K.rbm_hidden
            kern[_grid1(n * m)](x, W, bias, ud, sample, p, s)
        return p, (s if sample else None)

    def rbm_hidden(self, v, W, c, u=None):
        return self._gibbs_half(v, W, c, u, False)

    def rbm_visible(self, h, W, b, u=None):
        return self._gibbs_half(h, W, b, u, True)

    def rbm_cd_update(self, W, b, c, vW, vb, vc, v0, p0, vk, pk, lr, momentum=0.0, decay=0.0):
        K = self._KR()
        t = W.dtype.type
        v0, p0, vk, pk = (self.asarray(a, W.dtype) for a in (v0, p0, vk, pk))
        K.rbm_cd_update_W[_grid1(W.size)](W, vW, v0, p0, vk, pk, t(lr), t(momentum), t(decay))
        K.rbm_cd_update_bias[_grid1(b.size)](b, vb, v0, vk, t(lr), t(momentum))
        K.rbm_cd_update_bias[_grid1(c.size)](c, vc, p0, pk, t(lr), t(momentum))

    def rbm_free_energy(self, v, W, b, c):
        v = self.asarray(v, W.dtype)
        out = self.cuda.device_array(v.shape[0], dtype=v.dtype)
        if v.shape[0]:
            self._KR().rbm_free_energy[_grid1(v.shape[0])](v, W, b, c, out)
        return out

    def sq_err_rows(self, x, y):
        x = self.asarray(x, x.dtype)
        y = self.asarray(y, x.dtype)
        out = self.cuda.device_array(x.shape[0], dtype=x.dtype)
        if x.shape[0]:
            self._KR().sq_err_rows[_grid1(x.shape[0])](x, y, out)
        return out
