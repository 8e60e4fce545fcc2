"""CUDA kernels for noise injection, twins of ``kernels/cpu/dropout.py``.

The random numbers are generated on the host (NumPy) and copied to the device with the
activations' shape: the three backends then draw bit-identical masks from one seed, which is what
the tests compare. (On a real GPU the copy costs one host-to-device transfer of n*d values per
step; numba's ``xoroshiro128p`` device RNG would avoid it at the price of backend-dependent masks.)

Thread mapping: one thread per element (``cuda.grid(1)``); each thread writes only its element.
"""

from __future__ import annotations

from numba import float32, float64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from . import arrays

cuda = _cuda_mod()


@kernel
def dropout_forward(x, u, keep, out, mask):
    """mask = [u < keep] / keep;  out = x * mask."""
    i = cuda.grid(1)
    if i < x.shape[0]:
        F = x.dtype.type
        inv = F(1) / keep
        mi = inv if u[i] < keep else F(0)
        mask[i] = mi
        out[i] = x[i] * mi


@kernel
def mul(a, b, out):
    """out = a * b elementwise."""
    i = cuda.grid(1)
    if i < a.shape[0]:
        out[i] = a[i] * b[i]


@kernel
def add_scaled(x, noise, std, out):
    """out = x + std * noise."""
    i = cuda.grid(1)
    if i < x.shape[0]:
        out[i] = x[i] + std * noise[i]


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    for F in (float32, float64):
        A = arrays(F)[0]
        out.setdefault("dropout_forward", []).append((A, A, F, A, A))
        out.setdefault("mul", []).append((A, A, A))
        out.setdefault("add_scaled", []).append((A, A, F, A))
    return out


PTX_SIGNATURES = _sigs()
