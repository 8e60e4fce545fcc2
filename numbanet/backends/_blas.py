"""NumPy's own ``cblas_?gemm``, found once, for the kernels that call BLAS from inside a Numba
kernel (``kernels/cpu/blas.py``): the recurrent layers' blocks and the dense layers' products
spread over Numba's threads."""

from __future__ import annotations

import numpy as np

#: Call NumPy's own BLAS (the ``cblas_sgemm``/``cblas_dgemm`` of the OpenBLAS that NumPy's wheels
#: bundle) for the recurrent and dense products when it can be found, else Numba's ``np.dot`` (SciPy's
#: BLAS). At the products of an LSTM step (32 x 136 x 512 per thread) NumPy's OpenBLAS 0.3.31 took
#: 63 us against 93 us for SciPy's 0.3.30 on the 2-core test machine (111 against 139 us at 64
#: rows). The kernels call it with BLAS held to one thread, so no BLAS thread pool wakes.
USE_NUMPY_BLAS = True

_gemm_found = {}


def numpy_gemm(dtype):
    """(address, ilp64) of NumPy's ``cblas_?gemm`` for ``dtype``, or (0, False) (use np.dot)."""
    dt = np.dtype(dtype)
    if not USE_NUMPY_BLAS or dt not in (np.float32, np.float64):
        return 0, False
    if dt.char not in _gemm_found:
        try:
            _gemm_found[dt.char] = _find_numpy_gemm(dt)
        except Exception:  # any failure: the portable path
            _gemm_found[dt.char] = (0, False)
    return _gemm_found[dt.char]


def _find_numpy_gemm(dt):
    import ctypes
    import os

    from .._threads import threadpoolctl

    threadpool_info = threadpoolctl().threadpool_info

    blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    ilp_config = "USE64BITINT" in str(blas.get("openblas configuration", ""))
    npdir = os.path.dirname(os.path.realpath(np.__file__))
    letter = "s" if dt == np.float32 else "d"
    for info in threadpool_info():
        path = os.path.realpath(info.get("filepath", ""))
        if info.get("internal_api") != "openblas" or not path.startswith(npdir):
            continue  # only the library inside NumPy's own directory (numpy.libs)
        lib = ctypes.CDLL(path)
        # OpenBLAS names its 64-bit-integer interface with the suffix 64_
        for name, ilp in (
            (f"scipy_cblas_{letter}gemm64_", True),
            (f"cblas_{letter}gemm64_", True),
            (f"scipy_cblas_{letter}gemm", ilp_config),
            (f"cblas_{letter}gemm", ilp_config),
        ):
            fn = getattr(lib, name, None)
            if fn is None:
                continue
            addr = ctypes.cast(fn, ctypes.c_void_p).value or 0
            if addr and _gemm_works(addr, ilp, dt):
                return addr, ilp
    return 0, False


def _gemm_works(addr, ilp, dt):
    """The three product shapes the kernels use, through ``addr``, against NumPy's own."""
    from ..kernels.cpu import recurrent as K

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 7)).astype(dt), rng.standard_normal((3, 7)).astype(dt)
    cases = ((0, a, b, a @ b.T), (1, a, b.T.copy(), a @ b.T), (2, a.T.copy(), b.T.copy(), a @ b.T))
    for kind, x, y, want in cases:
        got = np.full(want.shape, np.nan, dtype=dt)
        K.matmul(addr, ilp, kind, x, y, got)
        if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
            return False
    return True
