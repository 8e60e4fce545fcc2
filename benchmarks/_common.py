"""Shared machinery of the benchmark scripts: the launch snapshot, fresh child processes, rounds.

Import this module FIRST in every benchmark script (before numpy, numba or numbanet)::

    import sys, pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import _common  # takes the snapshot of the launching environment

Rules every comparison here follows (issue 16):

* **The launch snapshot.** ``LAUNCH_ENV`` is a copy of ``os.environ`` taken when this module is
  imported, i.e. before any library could change it. Every contender runs in its own fresh
  ``python`` process (``sys.executable``) started from that snapshot, never from the parent's
  current environment, so nothing the parent (or a library it imported) set afterwards can reach
  a contender. The driver scripts do not import numbanet at all.
* **Same threads.** A child's environment is the snapshot plus ``OMP_NUM_THREADS``,
  ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set to the contender's
  thread count (identical for every contender run with ``--threads``); PyTorch children also call
  ``torch.set_num_threads``. Everything else (e.g. ``OPENBLAS_CORETYPE``) stays as the user had
  it. The JSON records each child's thread-related variables at its start and end and the thread
  counts the libraries report.
* **Alternating rounds.** Contenders run A B C A B C ... for ``rounds`` rounds, one fresh process
  per contender per round; a contender's time is the median of its rounds and a ratio is the
  median of the per-round ratios ``time(other) / time(numbanet)`` (so "20x" means numbanet is
  twenty times faster). The load average is recorded before and after every child.
"""

from __future__ import annotations

import os
import sys

# ------------------------------------------------------------------------------ the snapshot
#: The environment the user launched the benchmark with (copied before anything else runs).
LAUNCH_ENV: dict = dict(os.environ)
#: True if numbanet was already imported when the snapshot was taken (it should never be).
NUMBANET_LOADED_AT_SNAPSHOT: bool = "numbanet" in sys.modules

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CHILD = HERE / "_child.py"

#: Prefixes of the environment variables that steer thread pools (recorded for every child).
THREAD_PREFIXES = ("OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "NUMBA_")
#: The variables a child is started with, all set to its thread count.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
#: Marker of the child's one result line on stdout.
RESULT_MARK = "@@bench-result@@ "


def thread_env(env=None):
    """The thread-related variables of ``env`` (default ``os.environ``), sorted."""
    env = os.environ if env is None else env
    return {k: env[k] for k in sorted(env) if k.startswith(THREAD_PREFIXES)}


def child_env(threads, snapshot=None, extra=None):
    """The environment of a contender's process: the launch snapshot (not the current
    environment), the thread variables set to ``threads``, then ``extra``."""
    env = dict(LAUNCH_ENV if snapshot is None else snapshot)
    for var in THREAD_VARS:
        env[var] = str(int(threads))
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


def loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux
        return None


class ChildError(RuntimeError):
    """A contender's process failed."""


def run_child(target, spec, threads, timeout=3600, snapshot=None, extra_env=None):
    """Run ``target`` ("module:function" under benchmarks/) in a fresh process.

    The child (``_child.py``) records its thread environment, imports the module, calls
    ``function(spec)`` and prints the returned dict. Returns that dict with ``wall_s`` (the
    whole process), ``load_before``/``load_after`` and ``env_given`` (the thread variables it
    was started with) added.
    """
    env = child_env(threads, snapshot, extra_env)
    spec = dict(spec, threads=int(threads))
    fd, spec_path = tempfile.mkstemp(prefix="bench-spec-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(spec, f)
    load_before = loadavg()
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, str(CHILD), target, spec_path],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        os.unlink(spec_path)
    wall = time.perf_counter() - t0
    load_after = loadavg()
    result = None
    for line in out.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
    if out.returncode != 0 or result is None:
        raise ChildError(
            f"{target} failed (exit {out.returncode}):\n{out.stderr[-3000:]}{out.stdout[-500:]}"
        )
    result.update(
        wall_s=wall, load_before=load_before, load_after=load_after, env_given=thread_env(env)
    )
    return result


# ------------------------------------------------------------------------------ statistics
def median(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def ratio(other, ours):
    """How many times faster ``ours`` is than ``other`` (None when either is missing)."""
    if other is None or ours is None or ours <= 0:
        return None
    return other / ours


def round_ratios(other_times, our_times):
    """Per-round ratios other/ours (rounds where either is missing are skipped)."""
    return [ratio(o, u) for o, u in zip(other_times, our_times) if ratio(o, u) is not None]


def best_of(fn, repeat=3, setup=None):
    """Run ``fn()`` ``repeat`` times (``setup()`` before each, untimed): in-process timing for
    the scripts that measure numbanet against itself (``bench_theory``).

    Returns ``min``, ``median`` (seconds), ``times`` and ``value`` (the last return value).
    """
    times, value = [], None
    for _ in range(max(1, int(repeat))):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return {"min": min(times), "median": statistics.median(times), "times": times, "value": value}


# ------------------------------------------------------------------------------ the machine
def _cpuinfo():
    info = {"model": None, "mhz": None}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key == "model name" and info["model"] is None:
                    info["model"] = val.strip()
                elif key == "cpu MHz" and info["mhz"] is None:
                    info["mhz"] = float(val)
    except (OSError, ValueError):
        pass
    return info


def _lscpu_max_mhz():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.stdout.splitlines():
        if line.startswith("CPU max MHz:"):
            try:
                return float(line.split(":", 1)[1])
            except ValueError:
                return None
    return None


def _dist_version(name):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_revision():
    try:
        out = subprocess.run(
            ["git", "-C", str(HERE), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info():
    """Where and when: date, CPU, cores, clock, Python and the installed versions (read from
    the package metadata: nothing is imported), numbanet's git revision, the load average."""
    cpu = _cpuinfo()
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu["model"] or platform.processor() or None,
        "cores": os.cpu_count(),
        "cpu_mhz": cpu["mhz"],
        "cpu_max_mhz": _lscpu_max_mhz(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            name: _dist_version(name)
            for name in ("numbanet", "numpy", "numba", "llvmlite", "scipy", "torch")
        },
        "git": _git_revision(),
        "load_average": loadavg(),
    }


FLOP_PER_CYCLE_FP32 = 32  # 2 FMA pipes x 8 float32 lanes (AVX2) x 2 FLOP per FMA


def fma_peak(cores, machine):
    """FP32 FMA peak in FLOP/s for ``cores`` cores: (value, how the clock was chosen)."""
    if machine.get("cpu_max_mhz"):
        mhz, source = machine["cpu_max_mhz"], "lscpu 'CPU max MHz'"
    elif machine.get("cpu_mhz"):
        mhz, source = machine["cpu_mhz"], "/proc/cpuinfo 'cpu MHz'"
    else:
        return None, "clock unknown"
    peak = cores * FLOP_PER_CYCLE_FP32 * mhz * 1e6
    how = f"{cores} cores x {FLOP_PER_CYCLE_FP32} FP32 FLOP/cycle x {mhz:.0f} MHz ({source})"
    return peak, how


# ------------------------------------------------------------------------------ output
def write_json_atomic(path, obj):
    """Write ``obj`` as JSON to ``path`` through a temporary file, fsync and rename."""
    write_text_atomic(path, json.dumps(obj, indent=1, default=_jsonable) + "\n")


def write_text_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder, fsync and rename
    (an interrupted write leaves the old file); an existing file keeps its permissions, a new
    one gets 0644 minus the umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o644 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _jsonable(obj):
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def emit(result, as_json):
    """Print ``result`` as one JSON document on stdout when ``as_json``."""
    if as_json:
        json.dump(result, sys.stdout, indent=2, default=_jsonable)
        sys.stdout.write("\n")


def fmt_time(seconds):
    """Three significant digits: 1.23 s, 45.6 ms, 789 us."""
    if seconds is None:
        return "-"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    ms = seconds * 1e3
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    if ms >= 1:
        return f"{ms:.2f} ms"
    return f"{seconds * 1e6:.0f} us"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def table(rows, header):
    """A plain-text table (list of tuples of strings)."""
    rows = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    w = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(lines)
