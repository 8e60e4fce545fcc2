"""Same seed, same bits: within a process, across processes, and (in deterministic mode) across
BLAS and Numba thread counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import numbanet as nb

SCRIPT = """
import hashlib, json, sys, numpy as np
import numbanet as nb
from threadpoolctl import threadpool_info


def blas_threads():
    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})


rng = np.random.default_rng(0)
x = rng.standard_normal((600, 40)).astype(np.float32)
y = rng.integers(0, 5, 600)
fused = sys.argv[1] == "1"
out = {"outside": blas_threads()}
for mode in sys.argv[2].split(","):
    net = nb.Sequential([nb.Dense(40, 200), nb.ReLU(), nb.Dense(200, 100), nb.Tanh(),
                         nb.Dense(100, 5)], backend="cpu", seed=1)
    kw = dict(loss="cross_entropy", lr=0.05, epochs=2, batch_size=100, seed=2, fused=fused,
              progress=False)
    if mode == "deterministic":
        with nb.deterministic():
            out["inside"] = blas_threads()
            net.fit(x, y, **kw)
    else:
        net.fit(x, y, **kw)
    out[mode] = hashlib.sha256(net.get_flat().tobytes()).hexdigest()
out["after"] = blas_threads()
print(json.dumps(out))
"""

_THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMBANET_TEST_BLAS_THREADS",
    "NUMBA_ENABLE_CUDASIM",
)


def _run(fused, modes=("free",), threads=1):
    """A child process training the same net (one fresh net per mode: ``free`` or
    ``deterministic``) with BLAS and Numba on ``threads`` threads, set explicitly in its
    environment (tests/conftest.py's OPENBLAS_NUM_THREADS=1 is not inherited). Returns the
    child's report: hashes per mode and the BLAS thread counts threadpoolctl saw outside, inside
    and after deterministic()."""
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARS}
    env["OPENBLAS_NUM_THREADS"] = env["NUMBA_NUM_THREADS"] = str(threads)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(int(fused)), ",".join(modes)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("backend", ["reference", "cpu", "cuda"])
def test_bit_identical_within_a_process(backend):
    rng = np.random.default_rng(3)
    n = 6 if backend == "cuda" else 13  # the CUDA simulator is slow: two minibatches suffice
    x = rng.standard_normal((n, 6))
    y = rng.integers(0, 3, n)

    def run():
        net = nb.Sequential([nb.Dense(6, 7), nb.GELU(), nb.Dense(7, 3)], backend=backend, seed=4)
        net.fit(x, y, loss="cross_entropy", lr=0.1, epochs=2, batch_size=4, seed=9)
        return net.get_flat()

    np.testing.assert_array_equal(run(), run())


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "layers"])
def test_bit_identical_across_processes(fused):
    assert _run(fused)["free"] == _run(fused)["free"]


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "layers"])
def test_deterministic_mode_is_thread_count_independent(fused):
    """Children whose BLAS really runs on 1 and on 2 threads (checked inside each child with
    threadpoolctl): without deterministic() their results may differ (BLAS splits its work by
    thread); with it they are bit-identical and equal to the 1-thread result, BLAS is on one
    thread inside the context and back to the child's own count after it."""
    modes = ("free", "deterministic")
    one, two = _run(fused, modes, threads=1), _run(fused, modes, threads=2)
    if two["outside"] != [2]:
        pytest.skip(f"BLAS cannot run on 2 threads here (threadpoolctl sees {two['outside']})")
    assert one["outside"] == [1] and one["after"] == [1], one
    assert two["after"] == [2], two  # numbanet leaves the host's thread pools as it found them
    assert one["inside"] == two["inside"] == [1], (one, two)
    assert two["deterministic"] == one["deterministic"] == one["free"], (
        f"deterministic() results depend on the BLAS thread count (free runs: 1 thread "
        f"{one['free'][:12]}, 2 threads {two['free'][:12]})"
    )
