"""numba.cuda kernels, twins of ``kernels.cpu`` by file and function name.

Every kernel is declared with ``numbanet._cuda.kernel`` (``cuda.jit`` whose launches refuse host
arrays). Every module lists its kernels and the exact signatures the backends launch them with in
``PTX_SIGNATURES``: C-contiguous arrays (what ``device_array`` and its reshapes are), int64 for
Python ints, the array's float type for scalars, float32 and float64 both. The PTX lane of the
tests compiles each one for a real architecture and checks its float32 code for FP64
instructions; the simulator lane records every launch and checks it is one of these signatures.

Precision: kernels write constants in the array's type, ``F = x.dtype.type`` then ``F(0.5)``;
a bare ``0.5`` (or ``0``, or ``1 - beta`` with an int) would make float32 kernels compute in
float64 (see ``kernels/scalar.py``).
"""

from __future__ import annotations

from numba import types


def c_array(dtype, ndim):
    """The numba type of a C-contiguous device array (``F[:, ::1]`` for ``ndim`` 2)."""
    return types.Array(dtype, ndim, "C")


def arrays(dtype):
    """(1-D, 2-D, 3-D, 4-D) C-contiguous array types of ``dtype``."""
    return tuple(c_array(dtype, n) for n in (1, 2, 3, 4))
