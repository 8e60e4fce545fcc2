"""CPU kernels for noise injection: inverted dropout and additive Gaussian noise.

The random numbers come from the host (NumPy ``Generator``) as a uniform or normal array of the
activation's size, so that the reference, CPU and CUDA backends draw *the same* mask from the same
seed. All arrays are flat 1-D views. Thread mapping: ``prange`` over elements; iteration ``i``
writes only element ``i`` of its outputs (no races).
"""

from __future__ import annotations

from numba import prange

from ._util import twin


def _dropout_forward(x, u, keep, out, mask):
    """mask = [u < keep] / keep (inverted dropout: E[mask] = 1);  out = x * mask."""
    inv = 1 / keep
    for i in prange(x.shape[0]):
        mi = inv if u[i] < keep else 0 * inv
        mask[i] = mi
        out[i] = x[i] * mi


def _mul(a, b, out):
    """out = a * b elementwise (dropout's backward: dx = dy * mask)."""
    for i in prange(a.shape[0]):
        out[i] = a[i] * b[i]


def _add_scaled(x, noise, std, out):
    """out = x + std * noise (Gaussian noise injection)."""
    for i in prange(x.shape[0]):
        out[i] = x[i] + std * noise[i]


dropout_forward = twin(_dropout_forward)
mul = twin(_mul)
add_scaled = twin(_add_scaled)

__all__ = ["dropout_forward", "mul", "add_scaled"]
