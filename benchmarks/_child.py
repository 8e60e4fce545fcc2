"""The process one contender runs in: ``python _child.py MODULE:FUNCTION SPEC.json``.

Started by ``_common.run_child`` with the launch snapshot's environment. It records the
thread-related environment variables before importing anything, runs ``FUNCTION(spec)`` from
``MODULE`` (a module under benchmarks/, e.g. ``workloads.nielsen:torch``), then records the
variables again, which libraries were loaded and the thread counts they report, and prints one
line ``@@bench-result@@ {json}`` on stdout.

``_child:probe`` runs nothing: it reports what a contender's process sees (tests use it).
"""

import os
import sys

_PREFIXES = ("OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "NUMBA_")
_ENV_START = {k: os.environ[k] for k in sorted(os.environ) if k.startswith(_PREFIXES)}

import importlib  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

RESULT_MARK = "@@bench-result@@ "


def probe(spec):
    """Nothing to run: the caller only wants the environment record."""
    return {}


def _threads_seen():
    """Thread counts as the libraries loaded in this process report them."""
    seen = {}
    if "numba" in sys.modules:
        try:
            seen["numba"] = sys.modules["numba"].get_num_threads()
        except Exception as exc:  # noqa: BLE001 - record, never fail the run
            seen["numba"] = f"error: {exc}"
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        seen["torch"] = torch.get_num_threads()
        seen["torch_interop"] = torch.get_num_interop_threads()
    if "numpy" in sys.modules:
        try:
            from threadpoolctl import threadpool_info

            seen["threadpools"] = [
                {
                    "user_api": p.get("user_api"),
                    "internal_api": p.get("internal_api"),
                    "num_threads": p.get("num_threads"),
                    "version": p.get("version"),
                    "library": os.path.basename(p.get("filepath", "")),
                }
                for p in threadpool_info()
            ]
        except Exception as exc:  # noqa: BLE001 - threadpoolctl is optional here
            seen["threadpools"] = f"unavailable: {exc}"
    return seen


def main(argv):
    target, spec_path = argv[1], argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    module_name, _, func_name = target.partition(":")
    t0 = time.perf_counter()
    module = (
        sys.modules[__name__] if module_name == "_child" else importlib.import_module(module_name)
    )
    result = getattr(module, func_name)(spec) or {}
    result["process_s"] = time.perf_counter() - t0
    result["env_start"] = _ENV_START
    result["env_end"] = {k: os.environ[k] for k in sorted(os.environ) if k.startswith(_PREFIXES)}
    result["threads_seen"] = _threads_seen()
    result["loaded"] = {m: m in sys.modules for m in ("numbanet", "numba", "torch", "numpy")}
    result["versions"] = {
        m: getattr(sys.modules[m], "__version__", None)
        for m in ("numbanet", "numba", "torch", "numpy")
        if m in sys.modules
    }
    result["executable"] = sys.executable
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
