"""CUDA kernels for noise injection, twins of ``kernels/cpu/dropout.py``.

The random numbers are generated on the host (NumPy) and copied to the device with the
activations' shape: the three backends then draw bit-identical masks from one seed, which is what
the tests compare. (On a real GPU the copy costs one host-to-device transfer of n*d values per
step; numba's ``xoroshiro128p`` device RNG would avoid it at the price of backend-dependent masks.)

Thread mapping: one thread per element (``cuda.grid(1)``); each thread writes only its element.
"""

from __future__ import annotations

from numba import float32, float64, uint32, uint64

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


@kernel
def dropout_forward_rng(x, states, keep, out, mask):
    """Inverted dropout with the keep draws made here: thread t owns the xoroshiro128+ state
    ``states[t]`` (two uint64 words, seeded on the host once per generator) and walks the
    elements t, t + T, ... (T = the launch's threads = the number of states), drawing
    u = (top 24 bits) * 2**-24 in [0, 1): mask = [u < keep] / keep, out = x * mask. Integer
    arithmetic plus one int -> float convert: no FP64 in float32."""
    F = x.dtype.type
    t = cuda.grid(1)
    T = cuda.gridsize(1)
    if t >= states.shape[0]:
        return
    s0 = states[t, 0]
    s1 = states[t, 1]
    inv = F(1) / keep
    zero = F(0)
    scale = F(5.9604644775390625e-08)  # 2**-24, exact in both types
    m32 = uint64(4294967295)
    for i in range(t, x.shape[0], T):
        # the top 24 bits of s0 + s1 (mod 2**64), added in 32-bit halves so that no step
        # overflows (the simulator's NumPy scalars would warn; the GPU would wrap alike)
        lo = uint64(s0 & m32) + uint64(s1 & m32)
        hi = uint64(s0 >> uint32(32)) + uint64(s1 >> uint32(32)) + uint64(lo >> uint32(32))
        top = uint64(uint64(hi & m32) >> uint32(8))
        s1 = uint64(s1 ^ s0)
        rot = uint64((s0 << uint32(24)) | (s0 >> uint32(40)))
        s0 = uint64(rot ^ s1 ^ uint64(s1 << uint32(16)))
        s1 = uint64((s1 << uint32(37)) | (s1 >> uint32(27)))
        u = F(top) * scale
        m = inv if u < keep else zero
        mask[i] = m
        out[i] = x[i] * m
    states[t, 0] = s0
    states[t, 1] = s1


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    for F in (float32, float64):
        A = arrays(F)[0]
        out.setdefault("dropout_forward", []).append((A, A, F, A, A))
        S2 = arrays(uint64)[1]
        out.setdefault("dropout_forward_rng", []).append((A, S2, F, A, A))
        out.setdefault("mul", []).append((A, A, A))
        out.setdefault("add_scaled", []).append((A, A, F, A))
    return out


PTX_SIGNATURES = _sigs()
