"""The only module that imports ``numba.cuda``.

numba's built-in CUDA target is deprecated in favour of the ``numba-cuda`` package; both expose
``numba.cuda``. Importing it only here makes a later move a one-file change.
"""

from __future__ import annotations

import functools
import os


def _cuda_module():
    from numba import cuda  # noqa: PLC0415  (deliberately lazy)

    return cuda


def cuda():
    """The ``numba.cuda`` module (imported on first use)."""
    return _cuda_module()


def is_simulator() -> bool:
    """True when Numba runs CUDA kernels in its Python simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    from numba.core import config

    return bool(config.ENABLE_CUDASIM)


@functools.lru_cache(maxsize=1)
def _real_gpu() -> bool:
    if is_simulator():
        return False
    try:
        return bool(_cuda_module().is_available())
    except Exception:  # no driver, no toolkit, broken install: no GPU
        return False


def is_available() -> bool:
    """True when a CUDA backend can run: a real GPU, or the simulator."""
    return is_simulator() or _real_gpu()


def has_real_gpu() -> bool:
    """True only for a real, usable NVIDIA GPU (never for the simulator)."""
    return _real_gpu()


def status() -> str:
    """One line describing the CUDA situation, for ``numbanet info``."""
    if is_simulator():
        return "simulator (NUMBA_ENABLE_CUDASIM=1): kernels run in Python, for testing only"
    if _real_gpu():
        try:
            dev = _cuda_module().get_current_device()
            name = dev.name.decode() if isinstance(dev.name, bytes) else dev.name
            return f"GPU: {name} (compute capability {dev.compute_capability})"
        except Exception as exc:  # pragma: no cover - only on real GPUs
            return f"GPU present but not usable: {exc}"
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    hint = " (CUDA_VISIBLE_DEVICES is empty)" if env == "" else ""
    return f"not available: no CUDA GPU or driver found{hint}"
