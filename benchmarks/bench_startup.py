"""Start-up costs of numbanet, each measured in fresh processes started from the launch snapshot.

* ``numbanet --help``: the CLI's wall time (it must not import numba or matplotlib);
* ``python -c pass``: the interpreter alone, for scale;
* ``import numbanet`` inside a fresh process;
* the first training step of a fresh process (784-30-10 sigmoid, 10 examples, ``fit``) with a
  cold JIT cache (an empty ``NUMBA_CACHE_DIR``) and with a warm one (the same folder, next
  process), and the whole warm process.

Targets (foundation issue): ``--help`` < 0.5 s, import < 1 s, warm first step < 2 s. Every
measurement is the median of ``--repeat`` fresh processes (the cold start: once). This script
never imports numbanet itself; its children get the launch environment with the thread
variables set to ``--threads`` (see ``_common.py``).

Usage::

    python benchmarks/bench_startup.py                 # saves benchmarks/results/startup.json
    python benchmarks/bench_startup.py --repeat 5 --no-save
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import _common as C  # noqa: E402  (before any third-party import: the launch snapshot)

TARGETS = {"help_s": 0.5, "import_s": 1.0, "warm_first_step_s": 2.0}

_FIRST_STEP = r"""
import json, time
t0 = time.perf_counter()
import numpy as np
import numbanet as nb
t1 = time.perf_counter()
rng = np.random.default_rng(0)
x = rng.random((10, 784), dtype=np.float32)
y = rng.integers(0, 10, 10)
net = nb.Sequential([nb.Dense(784, 30, init="nielsen"), nb.Sigmoid(),
                     nb.Dense(30, 10, init="nielsen"), nb.Sigmoid()], backend="cpu", seed=0)
net.fit(x, y, loss="mse", lr=3.0, batch_size=10, epochs=1, progress=False)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_step_s": t2 - t1}))
"""

_IMPORT = r"""
import json, time
t0 = time.perf_counter()
import numbanet
print(json.dumps({"import_s": time.perf_counter() - t0}))
"""


def fresh(argv, env, timeout=900):
    """(wall seconds, stdout) of one fresh process."""
    t0 = time.perf_counter()
    out = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise C.ChildError(f"{argv[:3]} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return wall, out.stdout


def last_json(stdout):
    for line in reversed(stdout.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    raise ValueError(f"no JSON line in {stdout[-300:]!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="fresh processes per measurement")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-cache first step")
    ap.add_argument("--out", default=str(C.RESULTS))
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    py = sys.executable
    env = C.child_env(args.threads)
    res = {
        "workload": "startup",
        "machine": C.machine_info(),
        "repeat": args.repeat,
        "threads": args.threads,
        "targets": TARGETS,
        "env_given": C.thread_env(env),
        "load_start": C.loadavg(),
    }
    exe = shutil.which("numbanet", path=os.path.dirname(py)) or shutil.which("numbanet")
    runs = {
        "help_s": [],
        "python_s": [],
        "import_s": [],
        "warm_first_step_s": [],
        "warm_process_s": [],
    }
    cache = tempfile.mkdtemp(prefix="numbanet-bench-jit-")
    try:
        cenv = dict(env, NUMBA_CACHE_DIR=cache)
        if args.no_cold:
            fresh([py, "-c", _FIRST_STEP], cenv)  # fills the cache, untimed
            res["cold_first_step_s"] = res["cold_process_s"] = None
        else:
            wall, out = fresh([py, "-c", _FIRST_STEP], cenv)
            res["cold_first_step_s"] = last_json(out)["first_step_s"]
            res["cold_process_s"] = wall
        for _ in range(args.repeat):  # alternate the measurements, round after round
            if exe:
                runs["help_s"].append(fresh([exe, "--help"], env)[0])
            runs["python_s"].append(fresh([py, "-c", "pass"], env)[0])
            runs["import_s"].append(last_json(fresh([py, "-c", _IMPORT], env)[1])["import_s"])
            wall, out = fresh([py, "-c", _FIRST_STEP], cenv)
            runs["warm_first_step_s"].append(last_json(out)["first_step_s"])
            runs["warm_process_s"].append(wall)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    res["load_end"] = C.loadavg()
    res["runs"] = runs
    for k, v in runs.items():
        res[k] = C.median(v)
    res["cli"] = exe
    res["target_met"] = {k: (None if res[k] is None else res[k] < t) for k, t in TARGETS.items()}
    rows = [
        ("numbanet --help (process wall)", C.fmt_time(res["help_s"]), "< 0.5 s"),
        ("python -c pass (for scale)", C.fmt_time(res["python_s"]), ""),
        ("import numbanet (fresh process)", C.fmt_time(res["import_s"]), "< 1 s"),
        ("first fit step, cold JIT cache", C.fmt_time(res["cold_first_step_s"]), ""),
        ("first fit step, warm JIT cache", C.fmt_time(res["warm_first_step_s"]), "< 2 s"),
        ("whole process, warm (import + step)", C.fmt_time(res["warm_process_s"]), ""),
    ]
    print(
        f"Start-up (median of {args.repeat} fresh processes; cold start once; load "
        f"{res['load_start'][0]} -> {res['load_end'][0]})"
    )
    print(C.table(rows, ("what", "time", "target")))
    if not args.no_save:
        path = Path(args.out) / "startup.json"
        C.write_json_atomic(path, res)
        print(f"saved {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
