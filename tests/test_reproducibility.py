"""Same seed, same bits: within a process, across processes, and (in deterministic mode) across
thread counts."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import numbanet as nb

SCRIPT = """
import hashlib, sys, numpy as np
import numbanet as nb
rng = np.random.default_rng(0)
x = rng.standard_normal((600, 40)).astype(np.float32)
y = rng.integers(0, 5, 600)
net = nb.Sequential([nb.Dense(40, 200), nb.ReLU(), nb.Dense(200, 100), nb.Tanh(), nb.Dense(100, 5)],
                    backend="cpu", seed=1)
fused = sys.argv[1] == "1"
if sys.argv[2] == "1":
    with nb.deterministic():
        net.fit(x, y, loss="cross_entropy", lr=0.05, epochs=2, batch_size=100, seed=2, fused=fused)
else:
    net.fit(x, y, loss="cross_entropy", lr=0.05, epochs=2, batch_size=100, seed=2, fused=fused)
print(hashlib.sha256(net.get_flat().tobytes()).hexdigest())
"""


def _run(fused, det, threads=None):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(int(fused)), str(int(det))],
                         capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


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
    assert _run(fused, False) == _run(fused, False)


def test_deterministic_mode_is_thread_count_independent():
    assert _run(True, True, threads=1) == _run(True, True, threads=2)
    assert _run(False, True, threads=1) == _run(False, True, threads=2)
