"""The PTX lane: every CUDA kernel, compiled to PTX for a real architecture (sm_80) with exactly
the signatures the backends launch it with, and its float32 code checked for FP64 instructions.

Runs without the simulator, in its own process:
    NUMBANET_PTX_LANE=1 pytest -m ptx tests/test_ptx.py
NVVM comes from the ``numba-cuda[cu12]`` wheels that the ``[dev]`` extra installs (no GPU, no
system CUDA needed). In this lane a missing NVVM is a failure, not a skip: CI must prove the
kernels compile.

What the lane checks, per kernel and signature (``PTX_SIGNATURES`` of each kernel module, which
``tests/test_cuda_kernels.py`` proves to be the signatures the backends dispatch):

* the PTX targets sm_80 and has a kernel entry;
* compiled for float32 arrays, it has no FP64 instruction at all: no f64 arithmetic, compare,
  move, load/store, nor a conversion to or from f64 (Numba types a bare ``0.5`` as float64, and
  one such literal turns a float32 kernel's arithmetic into FP64, 1/64 of the FP32 rate on many
  GPUs). Exceptions would be listed in ``FP64_ALLOWED`` with their reason; there are none.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

import pytest

pytestmark = pytest.mark.ptx

CC = (8, 0)

#: kernel name -> why its float32 build may contain FP64 instructions. Empty: none may.
FP64_ALLOWED: dict[str, str] = {}


def _lane():
    return (
        os.environ.get("NUMBANET_PTX_LANE") == "1" and os.environ.get("NUMBA_ENABLE_CUDASIM") != "1"
    )


def _kernel_modules():
    import numbanet.kernels.cuda as pkg

    return [m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]


_CUDA = []


def _cuda():
    """numba.cuda, once NVVM has compiled a probe; in the lane, no NVVM is a failure."""
    if not _lane():
        pytest.skip("PTX lane: run with NUMBANET_PTX_LANE=1 in a process without the simulator")
    if _CUDA:
        return _CUDA[0]
    from numbanet import _cuda

    cuda = _cuda.cuda()
    try:
        from numba import float32

        def probe(a):
            a[0] = 1

        cuda.compile_ptx(probe, (float32[::1],), cc=CC)
    except Exception as exc:  # no NVVM: the lane cannot do its job
        pytest.fail(
            f"NVVM cannot compile PTX ({type(exc).__name__}: {exc}). Install the CUDA compiler "
            'wheels with pip install -e ".[dev]" (numba-cuda[cu12] brings NVVM from PyPI).'
        )
    _CUDA.append(cuda)
    return cuda


def fp64_instructions(ptx: str) -> list[str]:
    """The PTX instructions that touch FP64: an ``.f64`` type or an ``%fd`` (f64) register.

    Directives (``.reg .f64`` declarations and the like), labels and comments are not
    instructions."""
    out = []
    for line in ptx.splitlines():
        s = line.strip()
        if not s or s[0] in ".{}$" or s.startswith("//"):
            continue
        if ".f64" in s or "%fd" in s:
            out.append(s)
    return out


def _is_float32(sig):
    from numba import types

    return any(isinstance(t, types.Array) and t.dtype == types.float32 for t in sig)


def _cases():
    cases = []
    for name in _kernel_modules():
        mod = importlib.import_module(f"numbanet.kernels.cuda.{name}")
        for kname, sigs in getattr(mod, "PTX_SIGNATURES", {}).items():
            for i, sig in enumerate(sigs):
                dt = "f32" if _is_float32(sig) else "f64"
                cases.append(pytest.param(name, kname, i, id=f"{name}.{kname}[{i}:{dt}]"))
    return cases


def _compile(module, kernel, index):
    cuda = _cuda()
    mod = importlib.import_module(f"numbanet.kernels.cuda.{module}")
    sig = mod.PTX_SIGNATURES[kernel][index]
    factories = getattr(mod, "PTX_FACTORY_KERNELS", {})
    fn = factories[kernel](sig) if kernel in factories else getattr(mod, kernel)
    ptx, _ = cuda.compile_ptx(fn.py_func, sig, cc=CC)
    return ptx, sig


def test_every_module_declares_its_kernels():
    """Each kernel module lists every kernel it defines in PTX_SIGNATURES, for both dtypes."""
    if not _lane():
        pytest.skip("PTX lane only")
    from numba import types

    from numbanet._cuda import Kernel

    for name in _kernel_modules():
        mod = importlib.import_module(f"numbanet.kernels.cuda.{name}")
        declared = getattr(mod, "PTX_SIGNATURES", {})
        kernels = {
            k
            for k, v in vars(mod).items()
            if isinstance(v, Kernel) and v.py_func.__module__ == mod.__name__
        }
        assert kernels, f"{name}: no kernels found"
        missing = kernels - set(declared) - set(getattr(mod, "PTX_FACTORY_KERNELS", ()))
        assert not missing, f"{name}: kernels without PTX signatures: {sorted(missing)}"
        for kname, sigs in declared.items():
            dtypes = {t.dtype for sig in sigs for t in sig if isinstance(t, types.Array)} & {
                types.float32,
                types.float64,
            }
            assert dtypes == {types.float32, types.float64}, f"{name}.{kname}: {dtypes}"
            for sig in sigs:
                for t in sig:
                    assert not isinstance(t, types.Array) or t.layout == "C", (
                        f"{name}.{kname}: {t} is not C-contiguous; the backends launch C arrays"
                    )


@pytest.mark.parametrize("module,kernel,index", _cases())
def test_compiles_to_ptx_without_fp64_in_float32(module, kernel, index):
    ptx, sig = _compile(module, kernel, index)
    assert f".target sm_{CC[0]}{CC[1]}" in ptx
    assert ".entry" in ptx
    if _is_float32(sig) and kernel not in FP64_ALLOWED:
        bad = fp64_instructions(ptx)
        shown = "\n  ".join(bad[:12])
        assert not bad, f"{module}.{kernel} float32: {len(bad)} FP64 instructions, e.g.\n  {shown}"


def test_fp64_detector_sees_a_promoted_literal():
    """The check can fail: ``x * 0.1`` on float32 compiles to FP64, ``x * F(0.1)`` does not.

    (Not ``0.5``: LLVM narrows an f64 product by a power of two back to f32 by itself.)"""
    cuda = _cuda()
    from numba import float32

    def promoted(a):
        i = cuda.grid(1)
        if i < a.shape[0]:
            a[i] = a[i] * 0.1

    def typed(a):
        i = cuda.grid(1)
        if i < a.shape[0]:
            a[i] = a[i] * a.dtype.type(0.1)

    sig = (float32[::1],)
    bad = fp64_instructions(cuda.compile_ptx(promoted, sig, cc=CC)[0])
    assert any(s.startswith("cvt.f64.f32") for s in bad) and any("mul" in s for s in bad), bad
    assert fp64_instructions(cuda.compile_ptx(typed, sig, cc=CC)[0]) == []


def _instructions(ptx):
    return [
        s
        for s in (line.strip() for line in ptx.splitlines())
        if s and s[0] not in ".{}$" and not s.startswith("//")
    ]


def test_gemm_is_register_blocked():
    """The float32 GEMM reads at most one shared-memory value per 4 FMAs (static counts over the
    kernel's PTX: ``fma.rn.f32`` against ``ld.shared``), keeps its accumulators in registers (no
    local memory) and contracts every multiply-add into an FMA."""
    cuda = _cuda()
    from numba import float32

    from numbanet.kernels.cuda import dense as K

    for sig in K.PTX_SIGNATURES["gemm"]:
        if sig[2].dtype != float32:
            continue
        kern = K.PTX_FACTORY_KERNELS["gemm"](sig)
        ins = _instructions(cuda.compile_ptx(kern.py_func, sig, cc=CC)[0])
        fma = sum(s.startswith("fma.rn.f32") for s in ins)
        lds = sum(s.startswith("ld.shared") for s in ins)
        assert lds and fma / lds >= 4, f"{fma} FMAs for {lds} shared loads"
        assert fma == K.GEMM_TM * K.GEMM_TN, fma  # the inner tile, fused
        assert not [s for s in ins if ".local" in s], "accumulators spilled to local memory"
        assert not [s for s in ins if s.startswith(("mul.f32", "mul.rn.f32"))], "unfused products"
