"""CUDA kernels for Bernoulli-Bernoulli RBMs, twins of ``kernels/cpu/rbm.py`` (same names, same math).

The uniforms that turn probabilities into binary samples are drawn on the host and copied in, so a
seed gives the same Gibbs chain on every backend (see ``kernels/cuda/dropout.py`` for the trade-off
against a device RNG).

Thread mappings (each thread owns what it writes: no races, no atomics):

* ``rbm_hidden``: one thread per (example i, hidden unit j), a dot product over the visible units.
* ``rbm_visible``: one thread per (example i, visible unit k), a dot product over the hidden units.
* ``bias_sigmoid_sample``: one thread per element of a precomputed pre-activation.
* ``rbm_cd_update_W``: one thread per weight (j, k), summing its positive minus negative statistic
  over the minibatch (a gather over rows), then the momentum step.
* ``rbm_cd_update_bias``: one thread per bias unit.
* ``rbm_free_energy`` and ``sq_err_rows``: one thread per example.

These are straightforward (untiled) products: correct and race-free, written to be read next to
the CPU twins. On a real GPU the large products would go through the tiled ``matmul`` of
``dense.py`` followed by ``bias_sigmoid_sample``, which is what ``CUDARBMOps`` does above a size
threshold.
"""

from __future__ import annotations

from numba import float32, float64, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from ..scalar import sigmoid, softplus
from . import arrays

cuda = _cuda_mod()


@kernel
def rbm_hidden(v, W, c, u, sample, p, h):
    """p[i, j] = sigma(c[j] + W[j, :] . v[i, :]); h[i, j] = [u[i, j] < p[i, j]] if sample."""
    idx = cuda.grid(1)
    n = v.shape[0]
    nv = v.shape[1]
    nh = W.shape[0]
    if idx < n * nh:
        i = idx // nh
        j = idx - i * nh
        acc = c[j]
        for k in range(nv):
            acc += W[j, k] * v[i, k]
        pij = sigmoid(acc)
        p[i, j] = pij
        if sample:
            F = h.dtype.type
            h[i, j] = F(1) if u[i, j] < pij else F(0)


@kernel
def rbm_visible(h, W, b, u, sample, p, v):
    """p[i, k] = sigma(b[k] + sum_j h[i, j] W[j, k]); v[i, k] = [u[i, k] < p[i, k]] if sample."""
    idx = cuda.grid(1)
    n = h.shape[0]
    nh = h.shape[1]
    nv = W.shape[1]
    if idx < n * nv:
        i = idx // nv
        k = idx - i * nv
        acc = b[k]
        for j in range(nh):
            hij = h[i, j]
            if hij != 0:
                acc += hij * W[j, k]
        pik = sigmoid(acc)
        p[i, k] = pik
        if sample:
            F = v.dtype.type
            v[i, k] = F(1) if u[i, k] < pik else F(0)


@kernel
def bias_sigmoid_sample(z, bias, u, sample, s):
    """In place: z[i, j] <- sigma(z[i, j] + bias[j]); s[i, j] = [u[i, j] < z[i, j]] if sample."""
    idx = cuda.grid(1)
    n = z.shape[0]
    m = z.shape[1]
    if idx < n * m:
        i = idx // m
        j = idx - i * m
        pij = sigmoid(z[i, j] + bias[j])
        z[i, j] = pij
        if sample:
            F = s.dtype.type
            s[i, j] = F(1) if u[i, j] < pij else F(0)


@kernel
def rbm_cd_update_W(W, vW, v0, p0, vk, pk, lr, momentum, decay):
    """W += vW, vW = momentum vW + lr ((p0^T v0 - pk^T vk) / n - decay W); one thread per weight."""
    idx = cuda.grid(1)
    n = v0.shape[0]
    nv = W.shape[1]
    nh = W.shape[0]
    if idx < nh * nv:
        j = idx // nv
        k = idx - j * nv
        F = W.dtype.type
        g = F(0)
        for i in range(n):
            g += p0[i, j] * v0[i, k] - pk[i, j] * vk[i, k]
        inv_n = F(1) / F(n)
        step = momentum * vW[j, k] + lr * (g * inv_n - decay * W[j, k])
        vW[j, k] = step
        W[j, k] += step


@kernel
def rbm_cd_update_bias(bias, vb, a0, ak, lr, momentum):
    """bias += vb, vb = momentum vb + lr * mean_i (a0[i, :] - ak[i, :]); one thread per unit."""
    j = cuda.grid(1)
    n = a0.shape[0]
    if j < a0.shape[1]:
        F = bias.dtype.type
        g = F(0)
        for i in range(n):
            g += a0[i, j] - ak[i, j]
        inv_n = F(1) / F(n)
        step = momentum * vb[j] + lr * (g * inv_n)
        vb[j] = step
        bias[j] += step


@kernel
def rbm_free_energy(v, W, b, c, out):
    """out[i] = -b . v[i] - sum_j softplus(c[j] + W[j, :] . v[i]); one thread per example."""
    i = cuda.grid(1)
    nv = v.shape[1]
    nh = W.shape[0]
    if i < v.shape[0]:
        acc = out.dtype.type(0)
        for k in range(nv):
            acc -= b[k] * v[i, k]
        for j in range(nh):
            z = c[j]
            for k in range(nv):
                z += W[j, k] * v[i, k]
            acc -= softplus(z)
        out[i] = acc


@kernel
def sq_err_rows(x, y, out):
    """out[i] = sum_k (x[i, k] - y[i, k])^2; one thread per example."""
    i = cuda.grid(1)
    if i < x.shape[0]:
        acc = out.dtype.type(0)
        for k in range(x.shape[1]):
            d = x[i, k] - y[i, k]
            acc += d * d
        out[i] = acc


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    I = int64  # noqa: E741 - the "sample" flag
    for F in (float32, float64):
        A1, A2, _, _ = arrays(F)
        out.setdefault("rbm_hidden", []).append((A2, A2, A1, A2, I, A2, A2))
        out.setdefault("rbm_visible", []).append((A2, A2, A1, A2, I, A2, A2))
        out.setdefault("bias_sigmoid_sample", []).append((A2, A1, A2, I, A2))
        out.setdefault("rbm_cd_update_W", []).append((A2, A2, A2, A2, A2, A2, F, F, F))
        out.setdefault("rbm_cd_update_bias", []).append((A1, A1, A2, A2, F, F))
        out.setdefault("rbm_free_energy", []).append((A2, A2, A1, A1, A1))
        out.setdefault("sq_err_rows", []).append((A2, A2, A1))
    return out


PTX_SIGNATURES = _sigs()
