r"""Backend ops of the normalisation layers, mixed into the three backends.

``ReferenceNormOps`` goes into ``ReferenceBackend``; ``CPUNormOps`` and ``CUDANormOps`` come
before it in the CPU and CUDA backends so that their overrides win.

Batch normalisation (Ioffe and Szegedy 2015) takes ``x`` of shape (N, C, S) (the layer reshapes
(N, C) and (N, C, H, W) to it) and normalises each channel c over its m = N S values:

.. math:: \mu_c = \frac{1}{m}\sum_{n,s} x_{ncs},\quad
          \sigma_c^2 = \frac{1}{m}\sum_{n,s} (x_{ncs} - \mu_c)^2,\quad
          \hat x_{ncs} = \frac{x_{ncs} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}},\quad
          y_{ncs} = \gamma_c \hat x_{ncs} + \beta_c .

In training the statistics are the batch's (biased variance, as PyTorch normalises), and the
running estimates follow :math:`r \leftarrow (1 - \text{momentum})\, r + \text{momentum}\cdot b`
with the batch mean and the *unbiased* variance :math:`\sigma_c^2\, m / (m - 1)` (PyTorch's
definitions). In evaluation the running estimates replace the batch statistics.

Backward with batch statistics (the classic three-term formula; :math:`\mu` and :math:`\sigma`
depend on every x of the channel):

.. math:: \frac{\partial C}{\partial \gamma_c} = \sum_{n,s} \delta_{ncs} \hat x_{ncs},\quad
          \frac{\partial C}{\partial \beta_c} = \sum_{n,s} \delta_{ncs},\quad
          \frac{\partial C}{\partial x_{ncs}} = \frac{\gamma_c}{m\sqrt{\sigma_c^2+\epsilon}}
          \Big(m\,\delta_{ncs} - \sum_{n',s'} \delta_{nc s'} -
          \hat x_{ncs} \sum_{n',s'} \delta_{n'cs'} \hat x_{n'cs'}\Big),

with :math:`\delta = \partial C / \partial y`. With running statistics the layer is an affine
map per channel and :math:`\partial C/\partial x = \gamma_c \delta / \sqrt{r^{var}_c + \epsilon}`.

Layer normalisation (Ba et al. 2016) takes ``x`` (M, D) and normalises each *row* over its D
values, with :math:`\gamma, \beta` of length D (one per feature); the same formulas with the roles
of rows and channels exchanged, and :math:`g = \delta \odot \gamma` in place of
:math:`\gamma\delta` in the input gradient:

.. math:: \frac{\partial C}{\partial x_{rj}} = \frac{1}{D\sqrt{\sigma_r^2+\epsilon}}
          \Big(D g_{rj} - \sum_k g_{rk} - \hat x_{rj} \sum_k g_{rk}\hat x_{rk}\Big).

The ops write the statistics they used into ``mean`` and ``invstd`` (:math:`1/\sqrt{\sigma^2+
\epsilon}`), arrays the layer owns and hands back to the backward op: no per-step allocation
for them. Parameter gradients accumulate (``dgamma +=``), as everywhere; None skips them (a
frozen layer).
"""

from __future__ import annotations

import functools

import numpy as np

from .. import config


class ReferenceNormOps:
    """The equations in NumPy, computed in float64 and returned in the array's type."""

    def batchnorm_forward(
        self, x, gamma, beta, running_mean, running_var, mean, invstd, momentum, eps, training
    ):
        """y for x (N, C, S); writes mean, invstd (C,); in training also moves the running
        mean and variance (in place)."""
        x64 = x.astype(np.float64)
        if training:
            m = x.shape[0] * x.shape[2]
            mu = x64.mean(axis=(0, 2))
            var = ((x64 - mu[None, :, None]) ** 2).mean(axis=(0, 2))  # biased: normalises
            running_mean[...] = (1 - momentum) * running_mean + momentum * mu
            running_var[...] = (1 - momentum) * running_var + momentum * var * m / (m - 1)
        else:
            mu = running_mean.astype(np.float64)
            var = running_var.astype(np.float64)
        istd = 1.0 / np.sqrt(var + eps)
        mean[...] = mu
        invstd[...] = istd
        xhat = (x64 - mu[None, :, None]) * istd[None, :, None]
        y = gamma.astype(np.float64)[None, :, None] * xhat + beta[None, :, None]
        return y.astype(x.dtype)

    def batchnorm_backward(
        self, x, dy, gamma, mean, invstd, dgamma, dbeta, batch_stats, need_dx=True
    ):
        """dgamma += sum dy xhat, dbeta += sum dy (per channel; skipped when None); returns dx
        (three-term formula with batch statistics, else gamma invstd dy) or None."""
        x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
        istd = invstd.astype(np.float64)[None, :, None]
        xhat = (x64 - mean.astype(np.float64)[None, :, None]) * istd
        sdy = dy64.sum(axis=(0, 2))
        sdyx = (dy64 * xhat).sum(axis=(0, 2))
        if dgamma is not None:
            dgamma += sdyx.astype(dgamma.dtype)
            dbeta += sdy.astype(dbeta.dtype)
        if not need_dx:
            return None
        k = gamma.astype(np.float64)[None, :, None] * istd
        if not batch_stats:
            return (k * dy64).astype(x.dtype)
        m = x.shape[0] * x.shape[2]
        dx = k / m * (m * dy64 - sdy[None, :, None] - xhat * sdyx[None, :, None])
        return dx.astype(x.dtype)

    def layernorm_forward(self, x, gamma, beta, mean, invstd, eps):
        """y for x (M, D), each row normalised over its D values; writes mean, invstd (M,)."""
        x64 = x.astype(np.float64)
        mu = x64.mean(axis=1)
        var = ((x64 - mu[:, None]) ** 2).mean(axis=1)
        istd = 1.0 / np.sqrt(var + eps)
        mean[...] = mu
        invstd[...] = istd
        y = (x64 - mu[:, None]) * istd[:, None] * gamma + beta
        return y.astype(x.dtype)

    def layernorm_backward(self, x, dy, gamma, mean, invstd, dgamma, dbeta, need_dx=True):
        """dgamma += sum_r dy xhat, dbeta += sum_r dy (skipped when None); returns dx or None."""
        x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
        istd = invstd.astype(np.float64)[:, None]
        xhat = (x64 - mean.astype(np.float64)[:, None]) * istd
        if dgamma is not None:
            dgamma += (dy64 * xhat).sum(axis=0).astype(dgamma.dtype)
            dbeta += dy64.sum(axis=0).astype(dbeta.dtype)
        if not need_dx:
            return None
        g = dy64 * gamma.astype(np.float64)
        D = x.shape[1]
        dx = (
            istd
            / D
            * (D * g - g.sum(axis=1, keepdims=True) - xhat * (g * xhat).sum(axis=1, keepdims=True))
        )
        return dx.astype(x.dtype)


@functools.cache
def _cpu_norm_kernels():
    """(kernels/cpu/norm.py, kernels.cpu._util.pick), imported on first use (the reference
    backend, which imports this file, never compiles them) and then kept: the batch-norm ops ask
    for them twice per layer and step."""
    from ..kernels.cpu import norm as K
    from ..kernels.cpu._util import pick

    return K, pick


class CPUNormOps:
    """Numba kernels of ``kernels/cpu/norm.py``: one compiled call per pass (float64 sums,
    serial or threaded by size)."""

    @staticmethod
    def _KN():
        return _cpu_norm_kernels()[0]

    @staticmethod
    def _pick_norm(pair, n):
        """The serial or threaded kernel for n elements (a name of its own: the mixins share the
        backend's namespace)."""
        return _cpu_norm_kernels()[1](pair, n)

    def batchnorm_forward(
        self, x, gamma, beta, running_mean, running_var, mean, invstd, momentum, eps, training
    ):
        x = np.ascontiguousarray(x)
        m = x.shape[0] * x.shape[2]
        unbias = m / (m - 1) if m > 1 else 1.0
        y = np.empty_like(x)
        self._pick_norm(self._KN().bn_forward, x.size)(
            x,
            gamma,
            beta,
            float(momentum),
            float(eps),
            unbias,
            bool(training),
            running_mean,
            running_var,
            mean,
            invstd,
            y,
        )
        return y

    def batchnorm_backward(
        self, x, dy, gamma, mean, invstd, dgamma, dbeta, batch_stats, need_dx=True
    ):
        dy = np.ascontiguousarray(dy)
        acc = dgamma is not None
        dx = np.empty_like(x) if need_dx else dy  # dy stands in for dx: never written
        self._pick_norm(self._KN().bn_backward, x.size)(
            x,
            dy,
            gamma,
            mean,
            invstd,
            bool(batch_stats),
            acc,
            bool(need_dx),
            dgamma if acc else mean,
            dbeta if acc else invstd,
            dx,
        )
        return dx if need_dx else None

    def layernorm_forward(self, x, gamma, beta, mean, invstd, eps):
        x = np.ascontiguousarray(x)
        y = np.empty_like(x)
        kern = self._pick_norm(self._KN().ln_forward, x.size)
        kern(x, gamma, beta, float(eps), mean, invstd, y)
        return y

    def layernorm_backward(self, x, dy, gamma, mean, invstd, dgamma, dbeta, need_dx=True):
        dy = np.ascontiguousarray(dy)
        acc = dgamma is not None
        dx = np.empty_like(x) if need_dx else dy
        self._pick_norm(self._KN().ln_backward, x.size)(
            x,
            dy,
            gamma,
            mean,
            invstd,
            acc,
            bool(need_dx),
            dgamma if acc else gamma,
            dbeta if acc else gamma,
            dx,
        )
        return dx if need_dx else None


class CUDANormOps:
    """numba.cuda kernels of ``kernels/cuda/norm.py``: one block per channel (batch norm) or row
    (layer norm), deterministic shared-memory tree reductions."""

    @staticmethod
    def _KGN():
        from ..kernels.cuda import norm as K

        return K

    def _reduce_launch(self, n_blocks):
        K = self._KGN()
        return (max(1, int(n_blocks)), K.reduce_threads(config.THREADS_PER_BLOCK))

    def batchnorm_forward(
        self, x, gamma, beta, running_mean, running_var, mean, invstd, momentum, eps, training
    ):
        K = self._KGN()
        F = x.dtype.type
        y = self.cuda.device_array(x.shape, dtype=x.dtype)
        if training:
            m = x.shape[0] * x.shape[2]
            unbias = m / (m - 1) if m > 1 else 1.0
            K.batchnorm_forward_train[self._reduce_launch(x.shape[1])](
                x,
                gamma,
                beta,
                F(momentum),
                F(eps),
                F(unbias),
                running_mean,
                running_var,
                mean,
                invstd,
                y,
            )
        else:
            tpb = int(config.THREADS_PER_BLOCK)
            n = max(x.size, x.shape[1])
            K.batchnorm_forward_eval[(max(1, (n + tpb - 1) // tpb), tpb)](
                x, gamma, beta, running_mean, running_var, F(eps), mean, invstd, y
            )
        return y

    def batchnorm_backward(
        self, x, dy, gamma, mean, invstd, dgamma, dbeta, batch_stats, need_dx=True
    ):
        K = self._KGN()
        acc = dgamma is not None
        dx = self.cuda.device_array(x.shape, dtype=x.dtype) if need_dx else dy
        K.batchnorm_backward[self._reduce_launch(x.shape[1])](
            x,
            dy,
            gamma,
            mean,
            invstd,
            int(bool(batch_stats)),
            int(acc),
            int(bool(need_dx)),
            dgamma if acc else mean,
            dbeta if acc else invstd,
            dx,
        )
        return dx if need_dx else None

    def layernorm_forward(self, x, gamma, beta, mean, invstd, eps):
        K = self._KGN()
        y = self.cuda.device_array(x.shape, dtype=x.dtype)
        K.layernorm_forward[self._reduce_launch(x.shape[0])](
            x, gamma, beta, x.dtype.type(eps), mean, invstd, y
        )
        return y

    def layernorm_backward(self, x, dy, gamma, mean, invstd, dgamma, dbeta, need_dx=True):
        K = self._KGN()
        if dgamma is not None:
            K.layernorm_backward_params[self._reduce_launch(x.shape[1])](
                x, dy, mean, invstd, dgamma, dbeta
            )
        if not need_dx:
            return None
        dx = self.cuda.device_array(x.shape, dtype=x.dtype)
        K.layernorm_backward_dx[self._reduce_launch(x.shape[0])](x, dy, gamma, mean, invstd, dx)
        return dx
