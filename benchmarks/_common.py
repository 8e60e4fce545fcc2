"""Shared helpers of the benchmark scripts: timing, machine description, fresh processes, output.

Every benchmark script in this folder is a plain argparse program that prints a table and, with
``--json``, one JSON document on stdout. Import these helpers with::

    import sys, pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    from _common import best_of, machine_info, emit

Timing rules used everywhere:

* wall-clock time (``time.perf_counter``) of the complete operation, warm (compiled, cached,
  data in memory) unless the benchmark says it measures start-up;
* every contender runs ``repeat`` times and the **minimum** is reported (the least disturbed
  run; on a shared 2-core machine other processes only ever add time), with the median beside;
* ratios are ``time(other) / time(numbanet)``, so "20x" means numbanet is twenty times faster.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone


def best_of(fn, repeat=3, setup=None):
    """Run ``fn()`` ``repeat`` times (``setup()`` before each, untimed).

    Returns
    -------
    dict with ``min``, ``median`` (seconds), ``times`` (all runs) and ``value`` (the return value
    of the last run).
    """
    times, value = [], None
    for _ in range(max(1, int(repeat))):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return {"min": min(times), "median": statistics.median(times), "times": times, "value": value}


def ratio(other, ours):
    """How many times faster ``ours`` is than ``other`` (None when either is missing)."""
    if other is None or ours is None or ours <= 0:
        return None
    return other / ours


def machine_info():
    """A short description of where the numbers were measured."""
    info = {
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu": _cpu_name(),
    }
    for mod in ("numpy", "numba", "torch"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional packages
            info[mod] = None
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        info["load_average"] = None
    return info


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def torch_or_none(threads=2):
    """The ``torch`` module with ``threads`` intra-op threads, or None when not importable."""
    try:
        import torch
    except Exception:  # noqa: BLE001 - optional comparison
        return None
    torch.set_num_threads(threads)
    return torch


def run_fresh(code, env=None, timeout=600):
    """Run ``python -c code`` in a new process; return (wall seconds, stdout).

    ``env`` entries are added to (not substituted for) the current environment.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"fresh process failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return wall, out.stdout


def last_json_line(stdout):
    """The last line of ``stdout`` that parses as JSON (child processes report that way)."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    raise ValueError(f"no JSON line in the child's output: {stdout[-500:]!r}")


def fmt_time(seconds):
    """1.23 s, 45.6 ms or 789 us."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.1f}x"


def table(rows, header):
    """A plain-text table (list of tuples of strings)."""
    rows = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    w = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(lines)


def emit(result, as_json):
    """Print ``result`` as JSON (``--json``) or nothing (the script printed its tables)."""
    if as_json:
        json.dump(result, sys.stdout, indent=2, default=_jsonable)
        sys.stdout.write("\n")


def _jsonable(obj):
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)
