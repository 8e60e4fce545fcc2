"""Speed-up of a numbanet sweep with 2 Dask workers against 1, on CPU-bound trials.

Each trial trains a dense ReLU network on MNIST-1D on one Numba thread (several seconds each);
the same trials run on a LocalCluster of 1 worker and then of 2 workers (one thread each, warmed
up first, so start-up and JIT-cache loading are not timed). On a 2-core machine the ideal is 2x;
what is lost is scheduling overhead, the last-trial tail (an odd number of trials leaves one core
idle at the end), and anything else running on the machine (the load average is reported).

Usage::

    python benchmarks/bench_sweep.py            # 8 trials
    python benchmarks/bench_sweep.py --trials 6 --epochs 10 --json
    python benchmarks/bench_sweep.py --save     # also benchmarks/results/sweep.json
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import _common as C  # noqa: E402  (before any third-party import: the launch snapshot)


def make_spec(trials, epochs, width):
    lrs = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 0.03, 0.07, 0.15, 0.4]
    if trials > len(lrs):
        raise SystemExit(f"--trials at most {len(lrs)}")
    return {
        "name": "bench",
        "data": {"name": "mnist1d"},
        "model": {"depth": 2, "width": width, "epochs": epochs, "batch_size": 32, "lr": 0.1},
        "search": {"method": "grid", "space": {"lr": lrs[:trials]}, "seeds": [0]},
        "metrics": {"record": ["best_val_accuracy", "final_loss", "train_time"]},
    }


def _warm():
    """Import numbanet and load the cached kernels on a worker (not timed)."""
    from numbanet.sweep import expand, load_spec, run_trial

    spec = make_spec(1, 1, 8)
    run_trial(expand(load_spec(spec))[0], 1)
    return os.getpid()


def timed(spec, n_workers, folder):
    from distributed import Client, LocalCluster

    from numbanet.sweep import run

    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm)
        t0 = time.perf_counter()
        res = run(
            spec,
            scheduler=client,
            results=os.path.join(folder, f"w{n_workers}.jsonl"),
            progress=False,
            plot=False,
        )
        wall = time.perf_counter() - t0
    assert len(res.ok) == len(res.rows), res.failures_text()
    return wall, res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/sweep.json")
    args = ap.parse_args(argv)
    machine = C.machine_info()
    spec = make_spec(args.trials, args.epochs, args.width)
    with tempfile.TemporaryDirectory() as folder:
        load0 = os.getloadavg()[0]
        t1, r1 = timed(spec, 1, folder)
        t2, r2 = timed(spec, 2, folder)
        load1 = os.getloadavg()[0]
    same = [[r[k] for k in ("best_val_accuracy", "final_loss")] for r in r1.rows] == [
        [r[k] for k in ("best_val_accuracy", "final_loss")] for r in r2.rows
    ]
    trial_times = [r["duration"] for r in r1.rows]
    # CPU seconds / wall seconds of the trials: 1.0 when each trial had a core to itself
    share1 = sum(r["cpu_time"] for r in r1.rows) / sum(r["duration"] for r in r1.rows)
    share2 = sum(r["cpu_time"] for r in r2.rows) / sum(r["duration"] for r in r2.rows)
    out = {
        "trials": args.trials,
        "epochs": args.epochs,
        "width": args.width,
        "mean_trial_seconds_1_worker": sum(trial_times) / len(trial_times),
        "wall_1_worker": t1,
        "wall_2_workers": t2,
        "speedup_2_vs_1": t1 / t2,
        "cpu_share_per_trial_1_worker": share1,
        "cpu_share_per_trial_2_workers": share2,
        "same_results": same,
        "cpu_count": os.cpu_count(),
        "load_average_before_after": [load0, load1],
        "workload": "sweep",
        "machine": machine,
    }
    if args.save:
        C.write_json_atomic(C.RESULTS / "sweep.json", out)
    if args.json:
        print(json.dumps(out))
    else:
        print(
            f"{args.trials} trials of ~{out['mean_trial_seconds_1_worker']:.1f} s (numba threads 1)"
        )
        print(f"1 worker : {t1:7.1f} s")
        print(
            f"2 workers: {t2:7.1f} s   speed-up {t1 / t2:.2f}x (ideal 2.00x on {os.cpu_count()} cores)"
        )
        print(f"identical results on 1 and 2 workers: {same}")
        print(
            f"CPU seconds per wall second of a trial: {share1:.2f} (1 worker), {share2:.2f} "
            "(2 workers); below 1.0 the cores were shared with other processes"
        )
        print(f"load average before/after: {load0:.1f} / {load1:.1f}")


if __name__ == "__main__":
    main()
