"""The only module that imports ``numba.cuda``.

numba's built-in CUDA target is deprecated in favour of the ``numba-cuda`` package; both expose
``numba.cuda`` (once ``numba-cuda`` is installed, as ``pip install "numbanet[cuda]"`` does, its
import hook serves ``numba.cuda`` from that package). Importing it only here makes a later move a
one-file change.

Every numbanet kernel is declared with :func:`kernel` rather than ``cuda.jit``: the launch then
refuses host (NumPy) arrays. Given one, numba would copy it to the GPU before the launch and back
after it, silently, at every step; numbanet's backends keep their arrays on the device, so a
host array reaching a kernel is a bug worth an error.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading

import numpy as np


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


def device_count() -> int:
    """How many CUDA devices numbanet can use: the GPUs the driver lists (0 without a driver),
    1 in the simulator (its one simulated device)."""
    if is_simulator():
        return 1
    if not _real_gpu():
        return 0
    return len(_cuda_module().gpus)


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


# ---------------------------------------------------------------------------- counters
# What numbanet itself asks of the device: kernel launches (per kernel), device allocations and
# host<->device copies with their bytes. Counted at numbanet's own boundaries (the launch wrapper
# below and the helpers ``device_array``/``to_device``/``copy_to_host``/``copy_to_device``), so
# the counts are the same in the simulator and on hardware. Read with
# ``numbanet.backends.cuda.stats()``.
_lock = threading.Lock()
_launches: dict = {}
_counts = {
    "allocations": 0,
    "allocated_bytes": 0,
    "h2d": 0,
    "h2d_bytes": 0,
    "d2h": 0,
    "d2h_bytes": 0,
}


def stats() -> dict:
    """A snapshot of the counters: ``launches`` (total), ``launches_by_kernel`` (name -> count),
    ``allocations``/``allocated_bytes`` (fresh device arrays), ``h2d``/``h2d_bytes`` and
    ``d2h``/``d2h_bytes`` (copies host to device and device to host)."""
    with _lock:
        out = dict(_counts)
        out["launches_by_kernel"] = dict(_launches)
        out["launches"] = sum(_launches.values())
    return out


def reset_stats() -> None:
    """Set every counter to zero."""
    with _lock:
        _launches.clear()
        for k in _counts:
            _counts[k] = 0


def _count(kind, nbytes):
    with _lock:
        _counts[kind] += 1
        _counts[kind + "_bytes" if kind != "allocations" else "allocated_bytes"] += int(nbytes)


def device_array(shape, dtype):
    """A fresh (uninitialised) device array, counted as one allocation."""
    a = _cuda_module().device_array(shape, dtype=dtype)
    _count("allocations", a.nbytes)
    return a


def to_device(host):
    """A new device array holding a copy of ``host``: one allocation and one copy."""
    a = _cuda_module().to_device(host)
    _count("allocations", a.nbytes)
    _count("h2d", a.nbytes)
    return a


def copy_to_device(dst, host):
    """Copy ``host`` into the existing device array ``dst`` (one copy, no allocation)."""
    dst.copy_to_device(host)
    _count("h2d", dst.nbytes)


def copy_to_host(dev, out=None):
    """The contents of device array ``dev`` on the host (one copy)."""
    h = dev.copy_to_host() if out is None else dev.copy_to_host(out)
    _count("d2h", dev.nbytes)
    return h


class Kernel:
    """A ``cuda.jit`` kernel whose launches accept device arrays only.

    ``kernel[grid, block](*args)`` launches as numba's dispatcher does, after checking that no
    argument is a NumPy array (:class:`numbanet.errors.DTypeError` names the kernel and the
    parameter). Everything else (``py_func``, ``specialize``, ...) is the dispatcher's.
    """

    def __init__(self, dispatcher, py_func):
        self.dispatcher = dispatcher
        self.py_func = py_func
        self.__name__ = py_func.__name__
        self.__doc__ = py_func.__doc__
        self._params = tuple(inspect.signature(py_func).parameters)

    def __getitem__(self, config):
        return _Launch(self, self.dispatcher[config])

    def __getattr__(self, name):
        return getattr(self.dispatcher, name)

    def __repr__(self):
        return f"<numbanet CUDA kernel {self.py_func.__module__}.{self.__name__}>"

    def check_args(self, args):
        """Raise :class:`~numbanet.errors.DTypeError` if an argument is a host array."""
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                from .errors import DTypeError  # noqa: PLC0415

                name = self._params[i] if i < len(self._params) else f"#{i}"
                raise DTypeError(
                    f"CUDA kernel {self.__name__}: argument {name!r} is a host (NumPy) array of "
                    f"shape {a.shape}; kernels take device arrays (numba would copy it to the GPU "
                    "and back at every launch). Move it once with backend.asarray(...)."
                )


class _Launch:
    """A kernel with its launch configuration, ready to be called."""

    __slots__ = ("kernel", "configured")

    def __init__(self, kernel, configured):
        self.kernel = kernel
        self.configured = configured

    def __call__(self, *args):
        k = self.kernel
        k.check_args(args)
        with _lock:
            _launches[k.__name__] = _launches.get(k.__name__, 0) + 1
        return self.configured(*args)


def kernel(fn=None, **options):
    """``cuda.jit`` for numbanet kernels: returns a :class:`Kernel` (host arrays refused).

    Use as ``@kernel`` or ``kernel(fn, **jit_options)``; ``options`` go to ``cuda.jit``.
    """
    if fn is None:
        return lambda f: kernel(f, **options)
    return Kernel(_cuda_module().jit(fn, **options), fn)
