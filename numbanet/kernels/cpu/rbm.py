"""CPU kernels for Bernoulli-Bernoulli restricted Boltzmann machines (Gibbs sampling, CD-k).

Notation of the DL deck: visible units ``x`` (here ``v``, shape (n, V)), hidden units ``h`` (n, H),
weights ``W`` (H, V), visible bias ``b`` (V,), hidden bias ``c`` (H,).

.. math:: P(h_j = 1 \\mid v) = \\sigma(c_j + W_{j,:} v),\\qquad
          P(v_k = 1 \\mid h) = \\sigma(b_k + W_{:,k}^\\top h).

Sampling needs uniforms ``u`` in [0, 1): they are drawn on the host by NumPy and passed in, so the
reference, CPU and CUDA backends turn the same probabilities into the *same* binary samples
(``s = 1 if u < p else 0``). ``sample = 0`` skips the comparison (mean-field pass).

Thread mappings (``prange``; each iteration owns what it writes, so there are no races):

* ``rbm_hidden``, ``rbm_visible``, ``rbm_free_energy``: one iteration per example (row ``i``).
  ``rbm_visible`` accumulates ``h[i, j] * W[j, :]`` row by row (contiguous, vectorised) and skips
  zero hidden states, which are most of them once ``h`` is a binary sample.
* ``rbm_cd_update_W``: one iteration per hidden unit ``j``: it owns row ``j`` of ``W`` and its
  velocity.
* ``rbm_cd_update_bias``: one iteration per unit of the bias it updates.
* ``bias_sigmoid_sample``: one iteration per row of a pre-activation computed by BLAS (large
  problems), adding the bias, squashing and sampling in place.

The CD step with momentum ``mu``, learning rate ``eta`` and L2 weight decay ``lam``, over a
minibatch of ``n`` examples (``P0`` = P(h|v0), ``Pk`` = P(h|vk)):

.. math:: \\Delta W \\leftarrow \\mu\\,\\Delta W + \\eta\\Big(\\tfrac1n (P_0^\\top V_0 - P_k^\\top V_k)
          - \\lambda W\\Big),\\qquad W \\leftarrow W + \\Delta W.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ..scalar import sigmoid, softplus
from ._util import twin


def _rbm_hidden(v, W, c, u, sample, p, h):
    """p[i, j] = sigma(c[j] + W[j, :] . v[i, :]); h[i, j] = [u[i, j] < p[i, j]] if sample."""
    n, nv = v.shape
    nh = W.shape[0]
    for i in prange(n):
        for j in range(nh):
            acc = c[j]
            for k in range(nv):
                acc += W[j, k] * v[i, k]
            pij = sigmoid(acc)
            p[i, j] = pij
            if sample:
                h[i, j] = 1.0 if u[i, j] < p[i, j] else 0.0


def _rbm_visible(h, W, b, u, sample, p, v):
    """p[i, k] = sigma(b[k] + sum_j h[i, j] W[j, k]); v[i, k] = [u[i, k] < p[i, k]] if sample."""
    n, nh = h.shape
    nv = W.shape[1]
    for i in prange(n):
        for k in range(nv):
            p[i, k] = b[k]
        for j in range(nh):
            hij = h[i, j]
            if hij != 0:
                for k in range(nv):
                    p[i, k] += hij * W[j, k]
        for k in range(nv):
            pik = sigmoid(p[i, k])
            p[i, k] = pik
            if sample:
                v[i, k] = 1.0 if u[i, k] < p[i, k] else 0.0


def _bias_sigmoid_sample(z, bias, u, sample, s):
    """In place: z[i, j] <- sigma(z[i, j] + bias[j]); s[i, j] = [u[i, j] < z[i, j]] if sample."""
    n, m = z.shape
    for i in prange(n):
        for j in range(m):
            pij = sigmoid(z[i, j] + bias[j])
            z[i, j] = pij
            if sample:
                s[i, j] = 1.0 if u[i, j] < z[i, j] else 0.0


def _rbm_cd_update_W(W, vW, v0, p0, vk, pk, lr, momentum, decay):
    """W += vW, vW = momentum vW + lr ((p0^T v0 - pk^T vk) / n - decay W); row j per iteration."""
    n, nv = v0.shape
    nh = W.shape[0]
    inv_n = 1.0 / n
    for j in prange(nh):
        g = np.zeros_like(W[j])
        for i in range(n):
            a = p0[i, j]
            bb = pk[i, j]
            for k in range(nv):
                g[k] += a * v0[i, k] - bb * vk[i, k]
        for k in range(nv):
            step = momentum * vW[j, k] + lr * (g[k] * inv_n - decay * W[j, k])
            vW[j, k] = step
            W[j, k] += step


def _rbm_cd_update_bias(bias, vb, a0, ak, lr, momentum):
    """bias += vb, vb = momentum vb + lr * mean_i (a0[i, :] - ak[i, :]); one unit per iteration."""
    n, m = a0.shape
    inv_n = 1.0 / n
    for j in prange(m):
        g = 0.0
        for i in range(n):
            g += a0[i, j] - ak[i, j]
        step = momentum * vb[j] + lr * (g * inv_n)
        vb[j] = step
        bias[j] += step


def _rbm_free_energy(v, W, b, c, out):
    """out[i] = -b . v[i] - sum_j softplus(c[j] + W[j, :] . v[i]); one row per iteration."""
    n, nv = v.shape
    nh = W.shape[0]
    for i in prange(n):
        acc = 0.0
        for k in range(nv):
            acc -= b[k] * v[i, k]
        for j in range(nh):
            z = c[j]
            for k in range(nv):
                z += W[j, k] * v[i, k]
            acc -= softplus(z)
        out[i] = acc


def _sq_err_rows(x, y, out):
    """out[i] = sum_k (x[i, k] - y[i, k])^2 (reconstruction error per example)."""
    n, m = x.shape
    for i in prange(n):
        acc = 0.0
        for k in range(m):
            d = x[i, k] - y[i, k]
            acc += d * d
        out[i] = acc


rbm_hidden = twin(_rbm_hidden)
rbm_visible = twin(_rbm_visible)
bias_sigmoid_sample = twin(_bias_sigmoid_sample)
rbm_cd_update_W = twin(_rbm_cd_update_W)
rbm_cd_update_bias = twin(_rbm_cd_update_bias)
rbm_free_energy = twin(_rbm_free_energy)
sq_err_rows = twin(_sq_err_rows)

__all__ = [
    "rbm_hidden",
    "rbm_visible",
    "bias_sigmoid_sample",
    "rbm_cd_update_W",
    "rbm_cd_update_bias",
    "rbm_free_energy",
    "sq_err_rows",
]
