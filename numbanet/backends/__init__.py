"""Backends: ``reference`` (NumPy), ``cpu`` (Numba), ``cuda`` (numba.cuda).

``get_backend("auto")`` picks CUDA only on a real GPU (never the simulator), else the CPU.
"""

from __future__ import annotations

import contextlib

from ..errors import BackendUnavailableError, ValidationError

BACKENDS = ("reference", "cpu", "cuda")
_instances: dict = {}
_default = ["auto"]


def _resolve(name):
    if name is None:
        name = _default[0]
    if not isinstance(name, str):
        if hasattr(name, "dense_forward"):  # already a backend object
            return name
        raise ValidationError(
            f"backend must be one of 'auto', {', '.join(map(repr, BACKENDS))}; got {name!r}"
        )
    key = name.lower().strip()
    if key.startswith("cuda:") or key.startswith("gpu:"):
        num = key.split(":", 1)[1]
        if not num.isdigit():
            raise ValidationError(
                f"backend {name!r}: a CUDA device is named cuda:N with N a device number "
                "(cuda:0, cuda:1, ...)"
            )
        return f"cuda:{int(num)}"
    if key == "auto":
        from .. import _cuda

        return "cuda" if _cuda.has_real_gpu() else "cpu"
    if key == "gpu":
        key = "cuda"
    if key not in BACKENDS:
        raise ValidationError(
            f"unknown backend {name!r}: choose one of 'auto', {', '.join(map(repr, BACKENDS))}"
        )
    return key


def get_backend(name="auto"):
    """Return the backend object for ``name`` ('auto', 'reference', 'cpu', 'cuda', or
    'cuda:N' for the CUDA device number N)."""
    key = _resolve(name)
    if not isinstance(key, str):
        return key
    if key not in _instances:
        if key == "reference":
            from .reference import ReferenceBackend

            _instances[key] = ReferenceBackend()
        elif key == "cpu":
            from .cpu import CPUBackend

            _instances[key] = CPUBackend()
        else:
            from .. import _cuda

            if key.startswith("cuda:"):  # a chosen device: checked, then bound to it
                from .cuda import device_backend

                _instances[key] = device_backend(int(key[5:]))
                return _instances[key]
            if not _cuda.is_available():
                raise BackendUnavailableError(
                    "backend 'cuda' needs an NVIDIA GPU with a working driver, and none was found "
                    "(" + _cuda.status() + "); use backend='cpu', or install numbanet[cuda] on a "
                    "machine with a GPU"
                )
            from .cuda import CUDABackend

            _instances[key] = CUDABackend()
    return _instances[key]


def set_default_backend(name):
    """Set the backend used when a model is built with ``backend=None``."""
    _resolve(name)
    _default[0] = name


@contextlib.contextmanager
def use_backend(name):
    """Context manager: models built inside use backend ``name`` by default."""
    old = _default[0]
    set_default_backend(name)
    try:
        yield get_backend(name)
    finally:
        _default[0] = old


__all__ = ["BACKENDS", "get_backend", "set_default_backend", "use_backend"]
