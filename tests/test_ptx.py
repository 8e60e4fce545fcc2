"""The PTX lane: every CUDA kernel compiles to PTX for a real architecture (sm_80).

Runs without the simulator, in its own process:
    NUMBANET_PTX_LANE=1 pytest -m ptx tests/test_ptx.py
NVVM comes from the machine's CUDA toolkit (or numba-cuda's toolkit wheels); where it is missing
the test skips and says why.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

import pytest

pytestmark = pytest.mark.ptx

CC = (8, 0)


def _kernel_modules():
    import numbanet.kernels.cuda as pkg

    return [m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]


def _cuda():
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" or os.environ.get("NUMBANET_PTX_LANE") != "1":
        pytest.skip("PTX lane: run with NUMBANET_PTX_LANE=1 in a process without the simulator")
    from numbanet import _cuda

    cuda = _cuda.cuda()
    try:
        from numba import float32

        def probe(a):
            a[0] = 1

        cuda.compile_ptx(probe, (float32[:],), cc=CC)
    except Exception as exc:  # no NVVM
        pytest.skip(f"NVVM is not available to compile PTX: {exc}")
    return cuda


def _cases():
    cases = []
    for name in _kernel_modules():
        mod = importlib.import_module(f"numbanet.kernels.cuda.{name}")
        for kname, sigs in getattr(mod, "PTX_SIGNATURES", {}).items():
            for i, _sig in enumerate(sigs):
                cases.append(pytest.param(name, kname, i, id=f"{name}.{kname}[{i}]"))
        if hasattr(mod, "ptx_factories"):
            cases.append(pytest.param(name, "__factories__", 0, id=f"{name}.factories"))
    return cases


def test_every_module_declares_its_kernels():
    """Each kernel module lists every @cuda.jit kernel it defines in PTX_SIGNATURES."""
    if os.environ.get("NUMBANET_PTX_LANE") != "1":
        pytest.skip("PTX lane only")
    for name in _kernel_modules():
        mod = importlib.import_module(f"numbanet.kernels.cuda.{name}")
        declared = set(getattr(mod, "PTX_SIGNATURES", {}))
        kernels = {
            k
            for k, v in vars(mod).items()
            if type(v).__module__.startswith("numba.cuda")
            and getattr(getattr(v, "py_func", None), "__module__", None) == mod.__name__
        }
        assert kernels or name.startswith("_"), f"{name}: no kernels found"
        missing = kernels - declared
        assert not missing, f"{name}: kernels without PTX signatures: {sorted(missing)}"


@pytest.mark.parametrize("module,kernel,index", _cases())
def test_compiles_to_ptx(module, kernel, index):
    cuda = _cuda()
    mod = importlib.import_module(f"numbanet.kernels.cuda.{module}")
    if kernel == "__factories__":
        for label, fn, sig in mod.ptx_factories():
            ptx, _ = cuda.compile_ptx(fn, sig, cc=CC)
            assert ".entry" in ptx or ".visible" in ptx, label
        return
    fn = getattr(mod, kernel)
    sig = mod.PTX_SIGNATURES[kernel][index]
    ptx, _ = cuda.compile_ptx(fn.py_func, sig, cc=CC)
    assert f".target sm_{CC[0]}{CC[1]}" in ptx
