"""Backend ops of the training toolkit: optimiser updates, squared norms, dropout and noise.

Three mixins, one per backend (see ``backends/reference.py`` for the pattern): the reference
versions are the slides' equations in NumPy and the oracle of the tests; the CPU and CUDA versions
call the fused kernels of ``kernels/{cpu,cuda}/optim.py`` and ``kernels/{cpu,cuda}/dropout.py``.

Every update op works in place on arrays of any shape (flattened internally) and shares the same
pre-processing of the raw gradient ``g``:

.. math:: \\tilde g = s\\,g + \\lambda\\,\\theta,\\qquad
          \\theta \\leftarrow d\\,\\theta - \\alpha\\,\\mathrm{step}(\\tilde g, \\text{state})

with ``gscale`` = s (gradient-norm clipping), ``l2`` = lambda (the L2 penalty's gradient, 0 for
biases) and ``decay`` = d (Nielsen's multiplicative weight decay, 1 for none).
"""

from __future__ import annotations

import math

import numpy as np

from .. import config


def _flat(a):
    return a.reshape(-1)


def _denom(v, eps, eps_in):
    return np.sqrt(v + eps) if eps_in else np.sqrt(v) + eps


class ReferenceOptimOps:
    """NumPy versions (float arithmetic in the parameter's dtype)."""

    def momentum_update(self, p, g, m, lr, beta, damp, corr, nesterov, decay, gscale, l2):
        """m <- beta m + damp g~;  theta <- decay theta - lr step, where step = corr m or, for
        Nesterov's look-ahead form, beta m + damp g~."""
        p, g, m = _flat(p), _flat(g), _flat(m)
        t = p.dtype.type
        gt = t(gscale) * g + t(l2) * p
        m *= t(beta)
        m += t(damp) * gt
        step = t(beta) * m + t(damp) * gt if nesterov else t(corr) * m
        p *= t(decay)
        p -= t(lr) * step

    def adagrad_update(self, p, g, s, lr, eps, eps_in, decay, gscale, l2):
        """s <- s + g~^2;  theta <- decay theta - lr g~ / sqrt(s + eps)."""
        p, g, s = _flat(p), _flat(g), _flat(s)
        t = p.dtype.type
        gt = t(gscale) * g + t(l2) * p
        s += gt * gt
        p *= t(decay)
        p -= t(lr) * gt / _denom(s, t(eps), eps_in)

    def rmsprop_update(self, p, g, v, lr, beta2, corr2, eps, eps_in, decay, gscale, l2):
        """v <- beta2 v + (1 - beta2) g~^2;  theta <- decay theta - lr g~ / sqrt(corr2 v + eps)."""
        p, g, v = _flat(p), _flat(g), _flat(v)
        t = p.dtype.type
        gt = t(gscale) * g + t(l2) * p
        v *= t(beta2)
        v += t(1 - beta2) * gt * gt
        p *= t(decay)
        p -= t(lr) * gt / _denom(t(corr2) * v, t(eps), eps_in)

    def adam_update(
        self, p, g, m, v, lr, beta1, beta2, corr1, corr2, eps, eps_in, decay, gscale, l2
    ):
        """Adam: m, v EWMAs of g~ and g~^2;  theta <- decay theta - lr corr1 m / sqrt(corr2 v + eps)."""
        p, g, m, v = _flat(p), _flat(g), _flat(m), _flat(v)
        t = p.dtype.type
        gt = t(gscale) * g + t(l2) * p
        m *= t(beta1)
        m += t(1 - beta1) * gt
        v *= t(beta2)
        v += t(1 - beta2) * gt * gt
        p *= t(decay)
        p -= t(lr) * (t(corr1) * m) / _denom(t(corr2) * v, t(eps), eps_in)

    def sq_norm(self, a):
        """sum of a^2 (float64 accumulation) as a Python float."""
        a64 = np.asarray(a, dtype=np.float64).reshape(-1)
        return float(a64 @ a64)

    # ------------------------------------------------------------------ noise injection
    def dropout_forward(self, x, u, keep):
        """Inverted dropout: mask = [u < keep] / keep, out = x * mask. Returns (out, mask)."""
        t = x.dtype.type
        mask = (u < keep).astype(x.dtype) / t(keep)
        return x * mask, mask

    def dropout_backward(self, dy, mask):
        """dx = dy * mask (the kept units pass their gradient, scaled by 1/keep)."""
        return dy * mask

    def add_noise(self, x, noise, std):
        """x + std * noise."""
        return x + x.dtype.type(std) * noise


class CPUOptimOps:
    """Numba kernels (serial below ``PARALLEL_MIN`` elements, ``prange`` above; the optimisers'
    updates already from ``OPTIM_PARALLEL_MIN``, see kernels/cpu/_util.py)."""

    def momentum_update(self, p, g, m, lr, beta, damp, corr, nesterov, decay, gscale, l2):
        from ..kernels.cpu import optim as K
        from ..kernels.cpu._util import OPTIM_PARALLEL_MIN, pick

        t = p.dtype.type
        pick(K.momentum_update, p.size, OPTIM_PARALLEL_MIN)(
            _flat(p),
            _flat(g),
            _flat(m),
            t(lr),
            t(beta),
            t(damp),
            t(corr),
            bool(nesterov),
            t(decay),
            t(gscale),
            t(l2),
        )

    def adagrad_update(self, p, g, s, lr, eps, eps_in, decay, gscale, l2):
        from ..kernels.cpu import optim as K
        from ..kernels.cpu._util import OPTIM_PARALLEL_MIN, pick

        t = p.dtype.type
        pick(K.adagrad_update, p.size, OPTIM_PARALLEL_MIN)(
            _flat(p), _flat(g), _flat(s), t(lr), t(eps), bool(eps_in), t(decay), t(gscale), t(l2)
        )

    def rmsprop_update(self, p, g, v, lr, beta2, corr2, eps, eps_in, decay, gscale, l2):
        from ..kernels.cpu import optim as K
        from ..kernels.cpu._util import OPTIM_PARALLEL_MIN, pick

        t = p.dtype.type
        pick(K.rmsprop_update, p.size, OPTIM_PARALLEL_MIN)(
            _flat(p),
            _flat(g),
            _flat(v),
            t(lr),
            t(beta2),
            t(corr2),
            t(eps),
            bool(eps_in),
            t(decay),
            t(gscale),
            t(l2),
        )

    def adam_update(
        self, p, g, m, v, lr, beta1, beta2, corr1, corr2, eps, eps_in, decay, gscale, l2
    ):
        from ..kernels.cpu import optim as K
        from ..kernels.cpu._util import OPTIM_PARALLEL_MIN, pick

        t = p.dtype.type
        pick(K.adam_update, p.size, OPTIM_PARALLEL_MIN)(
            _flat(p),
            _flat(g),
            _flat(m),
            _flat(v),
            t(lr),
            t(beta1),
            t(beta2),
            t(corr1),
            t(corr2),
            t(eps),
            bool(eps_in),
            t(decay),
            t(gscale),
            t(l2),
        )

    def sq_norm(self, a):
        from ..kernels.cpu import optim as K
        from ..kernels.cpu._util import pick

        flat = _flat(a)
        parts = np.empty(max(1, -(-flat.size // K.NORM_CHUNK)), dtype=np.float64)
        if flat.size:
            pick(K.sq_norm_chunks, flat.size)(flat, parts)
        else:
            parts[:] = 0
        return float(parts.sum())

    def dropout_forward(self, x, u, keep):
        from ..kernels.cpu import dropout as K
        from ..kernels.cpu._util import pick

        out = np.empty_like(x)
        mask = np.empty_like(x)
        u = np.ascontiguousarray(u, dtype=x.dtype)
        pick(K.dropout_forward, x.size)(
            _flat(x), _flat(u), x.dtype.type(keep), _flat(out), _flat(mask)
        )
        return out, mask

    def dropout_backward(self, dy, mask):
        from ..kernels.cpu import dropout as K
        from ..kernels.cpu._util import pick

        dy = np.ascontiguousarray(dy)
        out = np.empty_like(dy)
        pick(K.mul, dy.size)(_flat(dy), _flat(mask), _flat(out))
        return out

    def add_noise(self, x, noise, std):
        from ..kernels.cpu import dropout as K
        from ..kernels.cpu._util import pick

        out = np.empty_like(x)
        noise = np.ascontiguousarray(noise, dtype=x.dtype)
        pick(K.add_scaled, x.size)(_flat(x), _flat(noise), x.dtype.type(std), _flat(out))
        return out


def _grid1(n):
    tpb = int(config.THREADS_PER_BLOCK)
    return (max(1, (n + tpb - 1) // tpb), tpb)


def _dflat(a):
    return a.reshape(a.size)


class CUDAOptimOps:
    """numba.cuda kernels on device arrays; one thread per element."""

    @staticmethod
    def _KO():
        from ..kernels.cuda import optim as K

        return K

    @staticmethod
    def _KD():
        from ..kernels.cuda import dropout as K

        return K

    def momentum_update(self, p, g, m, lr, beta, damp, corr, nesterov, decay, gscale, l2):
        pf = _dflat(p)
        if not pf.size:
            return
        t = pf.dtype.type
        self._KO().momentum_update[_grid1(pf.size)](
            pf,
            _dflat(g),
            _dflat(m),
            t(lr),
            t(beta),
            t(damp),
            t(corr),
            int(bool(nesterov)),
            t(decay),
            t(gscale),
            t(l2),
        )

    def adagrad_update(self, p, g, s, lr, eps, eps_in, decay, gscale, l2):
        pf = _dflat(p)
        if not pf.size:
            return
        t = pf.dtype.type
        self._KO().adagrad_update[_grid1(pf.size)](
            pf, _dflat(g), _dflat(s), t(lr), t(eps), int(bool(eps_in)), t(decay), t(gscale), t(l2)
        )

    def rmsprop_update(self, p, g, v, lr, beta2, corr2, eps, eps_in, decay, gscale, l2):
        pf = _dflat(p)
        if not pf.size:
            return
        t = pf.dtype.type
        self._KO().rmsprop_update[_grid1(pf.size)](
            pf,
            _dflat(g),
            _dflat(v),
            t(lr),
            t(beta2),
            t(corr2),
            t(eps),
            int(bool(eps_in)),
            t(decay),
            t(gscale),
            t(l2),
        )

    def adam_update(
        self, p, g, m, v, lr, beta1, beta2, corr1, corr2, eps, eps_in, decay, gscale, l2
    ):
        pf = _dflat(p)
        if not pf.size:
            return
        t = pf.dtype.type
        self._KO().adam_update[_grid1(pf.size)](
            pf,
            _dflat(g),
            _dflat(m),
            _dflat(v),
            t(lr),
            t(beta1),
            t(beta2),
            t(corr1),
            t(corr2),
            t(eps),
            int(bool(eps_in)),
            t(decay),
            t(gscale),
            t(l2),
        )

    def sq_norm(self, a):
        if not hasattr(a, "copy_to_host"):
            return ReferenceOptimOps.sq_norm(self, a)
        K = self._KO()
        flat = _dflat(a)
        n_chunks = max(1, math.ceil(flat.size / K.NORM_CHUNK))
        parts = self.cuda.to_device(np.zeros(n_chunks, flat.dtype))
        if flat.size:
            K.sq_norm_chunks[_grid1(n_chunks)](flat, parts)
        return float(self.to_numpy(parts).sum(dtype=np.float64))

    def dropout_forward(self, x, u, keep):
        K = self._KD()
        out = self.cuda.device_array(x.shape, dtype=x.dtype)
        mask = self.cuda.device_array(x.shape, dtype=x.dtype)
        ud = self.asarray(np.asarray(u, dtype=x.dtype), x.dtype)
        if x.size:
            K.dropout_forward[_grid1(x.size)](
                _dflat(x), _dflat(ud), x.dtype.type(keep), _dflat(out), _dflat(mask)
            )
        return out, mask

    #: Most blocks a device generator launches with (its threads = its xoroshiro states).
    RNG_MAX_BLOCKS = 256

    def device_rng(self, seed, n):
        """A device generator for dropout masks of up to ``n`` elements per launch (more are
        walked by the same threads): one xoroshiro128+ state per thread, seeded on the host by
        splitmix64 from ``seed`` and uploaded once. Draws depend only on the seed and ``n``."""
        tpb = int(config.THREADS_PER_BLOCK)
        blocks = max(1, min(-(-int(n) // tpb), self.RNG_MAX_BLOCKS))
        k = np.arange(2 * blocks * tpb, dtype=np.uint64)
        with np.errstate(over="ignore"):
            z = np.uint64(int(seed) % (1 << 64)) + (k + np.uint64(1)) * np.uint64(
                0x9E3779B97F4A7C15
            )
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
        z[z == 0] = np.uint64(1)  # a state of two zero words would stay zero
        states = self.asarray(z.reshape(blocks * tpb, 2), np.uint64)
        return {"states": states, "grid": (blocks, tpb)}

    def dropout_forward_rng(self, x, keep, gen):
        """Inverted dropout whose keep draws come from the device generator ``gen``
        (:meth:`device_rng`): no host draw, no copy. Returns (out, mask)."""
        K = self._KD()
        out = self.cuda.device_array(x.shape, dtype=x.dtype)
        mask = self.cuda.device_array(x.shape, dtype=x.dtype)
        if x.size:
            K.dropout_forward_rng[gen["grid"]](
                _dflat(x), gen["states"], x.dtype.type(keep), _dflat(out), _dflat(mask)
            )
        return out, mask

    def dropout_backward(self, dy, mask):
        K = self._KD()
        out = self.cuda.device_array(mask.shape, dtype=mask.dtype)
        dy = dy.reshape(mask.shape)
        if mask.size:
            K.mul[_grid1(mask.size)](_dflat(dy), _dflat(mask), _dflat(out))
        return out

    def add_noise(self, x, noise, std):
        K = self._KD()
        out = self.cuda.device_array(x.shape, dtype=x.dtype)
        nd = self.asarray(np.asarray(noise, dtype=x.dtype), x.dtype)
        if x.size:
            K.add_scaled[_grid1(x.size)](_dflat(x), _dflat(nd), x.dtype.type(std), _dflat(out))
        return out
