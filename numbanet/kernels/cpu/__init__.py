"""Numba CPU kernels (``njit``, ``prange``), one module per topic."""
