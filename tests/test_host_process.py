"""numbanet never changes its host process.

Importing numbanet and training with it must leave alone what other libraries in the same
process (or its children) read: environment variables, signal handlers, BLAS/OpenMP thread
counts, Numba's thread count, NumPy's error and print settings, the interpreter's switch interval
and recursion limit, the warning filters. Two fresh processes start from the same environment;
one imports numbanet and trains three models (the fused dense epoch, the layer-by-layer path with
a threaded Adam update, a convolution), the other imports only numbanet's dependencies (NumPy,
Numba, SciPy) and runs a threaded Numba loop; what they report afterwards must agree.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, signal, sys, warnings
import numpy as np
import numba
from numba import njit, prange

mode = sys.argv[1]
before_env = dict(os.environ)
if mode == "numbanet":
    import numbanet as nb
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 64)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    net = nb.Sequential([nb.Dense(64, 32), nb.Sigmoid(), nb.Dense(32, 10)], backend="cpu", seed=0)
    net.fit(x, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, batch_size=16,
            progress=False)
    net = nb.Sequential([nb.Dense(64, 128), nb.ReLU(), nb.Dense(128, 10)], backend="cpu", seed=0)
    net.fit(x, y, loss="cross_entropy", optimizer="adam", lr=1e-3, epochs=2, batch_size=64,
            progress=False)
    xi = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    conv = nb.Sequential([nb.Conv2D(1, 2, 3), nb.ReLU(), nb.Flatten(), nb.Dense(72, 10)],
                         backend="cpu", seed=0)
    conv.fit(xi, y[:8], loss="cross_entropy", epochs=1, batch_size=4, progress=False)
else:
    import scipy.special  # a dependency whose import adds a warnings filter of its own
    @njit(parallel=True)
    def work(a):
        s = 0.0
        for i in prange(a.shape[0]):
            s += a[i]
        return s
    work(np.ones(1 << 16))

env_now = dict(os.environ)  # before this report imports threadpoolctl (its import sets a KMP_ variable)
from threadpoolctl import threadpool_info

sigs = {}
for s in signal.Signals:
    try:
        h = signal.getsignal(s)
    except (ValueError, OSError):
        continue
    sigs[s.name] = h if isinstance(h, int) else repr(h)
print(json.dumps({
    "env": env_now,
    "env_changed_since_start": {k: v for k, v in env_now.items() if before_env.get(k) != v},
    "env_removed_since_start": sorted(set(before_env) - set(env_now)),
    "signals": sigs,
    "threadpools": {f'{i["internal_api"]}:{os.path.basename(i["filepath"])}': i["num_threads"]
                    for i in threadpool_info()},
    "numba_threads": numba.get_num_threads(),
    "np_err": np.geterr(),
    "np_print": {k: str(v) for k, v in np.get_printoptions().items()},
    "switch": sys.getswitchinterval(),
    "recursion": sys.getrecursionlimit(),
    "warn_filters": len(warnings.filters),
}))
"""


def _run(mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOMP_")}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def reports():
    return _run("numbanet"), _run("control")


def test_environment_untouched(reports):
    ours, control = reports
    assert ours["env_changed_since_start"] == {} and ours["env_removed_since_start"] == []
    assert ours["env"] == control["env"]
    assert not any(
        k.startswith(("GOMP_", "OMP_", "KMP_", "MALLOC_"))
        for k in ours["env"]
        if k not in control["env"]
    )


def test_signals_threads_and_interpreter_settings_untouched(reports):
    ours, control = reports
    assert ours["signals"] == control["signals"]
    assert ours["numba_threads"] == control["numba_threads"]
    common = set(ours["threadpools"]) & set(control["threadpools"])
    assert common, "no thread pool seen in both processes"
    for lib in common:
        assert ours["threadpools"][lib] == control["threadpools"][lib], lib
    for key in ("np_err", "np_print", "switch", "recursion", "warn_filters"):
        assert ours[key] == control[key], key


def test_no_process_wide_setters_in_the_source():
    """The calls that would change the host process appear nowhere in numbanet (the runtime test
    above cannot observe glibc's allocator settings, so this one guards them)."""
    setters = re.compile(
        r"os\.environ\[[^\]]+\]\s*=|os\.environ\.(setdefault|update|pop)\(|os\.putenv|"
        r"mallopt|signal\.signal\(|np\.seterr\(|sys\.setswitchinterval|sys\.setrecursionlimit|"
        r"del os\.environ"
    )
    found, restores = [], []
    for path in (ROOT / "numbanet").rglob("*.py"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if setters.search(line):
                where = f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
                # the one allowed line takes back what importing threadpoolctl added
                ok = path.name == "_threads.py" and "host-process: restore" in line
                (restores if ok else found).append(where)
    assert found == []
    assert len(restores) == 1, restores


def test_importing_threadpoolctl_through_numbanet_leaves_the_environment_alone():
    """threadpoolctl sets KMP_DUPLICATE_LIB_OK=True when imported (which Intel's OpenMP, e.g.
    PyTorch's, and child processes read); numbanet's import of it takes that back, and keeps a
    value the user set."""
    code = (
        "import os, json, numbanet._threads as T; T.threadpoolctl(); import threadpoolctl; "
        "print(json.dumps(os.environ.get('KMP_DUPLICATE_LIB_OK')))"
    )
    env = {k: v for k, v in os.environ.items() if k != "KMP_DUPLICATE_LIB_OK"}
    for given, expected in ((None, None), ("FALSE", "FALSE")):
        e = dict(env) if given is None else {**env, "KMP_DUPLICATE_LIB_OK": given}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=e, cwd=str(ROOT)
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout.strip().splitlines()[-1]) == expected
    # the control: threadpoolctl imported directly does set it (so the test above can fail)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, threadpoolctl; print(os.environ.get('KMP_DUPLICATE_LIB_OK'))",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
    )
    assert out.stdout.strip() == "True"
