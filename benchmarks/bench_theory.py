"""The theory issue's speed targets: exact 2-D region counting and activation-pattern hashing.

1. ``count2d``: ``numbanet.theory.regions.count_2d`` on a 2-input ReLU net with ``--depth``
   hidden layers of ``--width`` units (default 5 x 20) over the box [-B, B]^2: the exact polygon
   partition (regions and merged linear pieces). Target: a few seconds at most on a CPU.
2. ``patterns``: the activation pattern (one bit per hidden unit) of ``--points`` points
   (default 1,000,000) of the same net, hashed to one uint64 per point, by the fused parallel
   Numba kernel (``pattern_hashes(method="numba")``) and by the NumPy reference
   (``method="numpy"``: matrix products, boolean masks, ``packbits``, vectorised hash); the two
   must give identical hashes. Target: Numba >= 5x faster than NumPy. The kernel also runs on
   one thread (``numba.set_num_threads(1)``), which separates the fused kernel's gain from the
   thread count (on a busy shared machine the parallel run suffers most). The distinct-pattern
   count (``np.unique`` of the hashes) is timed separately: it is the same for both.

The net: weights N(0, 2/fan_in) (He), biases N(0, 0.5^2), identity output, seeded (``--seed``).
Timing follows ``_common.py``: warm (kernels compiled first), ``--repeat`` runs, minimum
reported (median in the JSON); ratio = time(NumPy) / time(Numba).

Usage::

    python benchmarks/bench_theory.py
    python benchmarks/bench_theory.py --json > theory.json
    python benchmarks/bench_theory.py --points 200000 --repeat 5 --blas-threads 1
    python benchmarks/bench_theory.py --save     # also benchmarks/results/theory.json

This script compares numbanet's Numba kernel with numbanet's own NumPy reference, in one process
(no other library is a contender), so unlike ``bench_cpu.py`` it imports numbanet itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import argparse  # noqa: E402

import _common as C  # noqa: E402  (before any third-party import: the launch snapshot)
import numpy as np  # noqa: E402
from _common import best_of, emit, fmt_ratio, fmt_time, machine_info, ratio, table  # noqa: E402


def make_net(depth, width, seed, d_in=2):
    rng = np.random.default_rng(seed)
    widths = [d_in] + [width] * depth + [1]
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        W = rng.standard_normal((b, a)) * np.sqrt(2.0 / a)
        act = None if i == len(widths) - 2 else "relu"
        layers.append((W, 0.5 * rng.standard_normal(b), act))
    return layers


def bench_count2d(net, box, repeat):
    from numbanet.theory import regions as R

    R.count_2d(make_net(1, 3, 0), (-1, 1, -1, 1))  # compile / load the kernels
    res = best_of(lambda: R.count_2d(net, box), repeat)
    p = res["value"]
    return {
        "box": list(box),
        "regions": p.regions,
        "pieces": p.pieces,
        "dropped": p.dropped,
        "seconds_min": res["min"],
        "seconds_median": res["median"],
    }


def bench_patterns(net, box, n_points, repeat, seed):
    from numbanet.theory import regions as R

    rng = np.random.default_rng(seed + 1)
    X = np.column_stack(
        [rng.uniform(box[0], box[1], n_points), rng.uniform(box[2], box[3], n_points)]
    )
    R.pattern_hashes(net, X[:1000])  # compile / load the kernel
    import numba

    nb = best_of(lambda: R.pattern_hashes(net, X, method="numba"), repeat)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        nb1 = best_of(lambda: R.pattern_hashes(net, X, method="numba"), repeat)
    finally:
        numba.set_num_threads(threads)
    ref = best_of(lambda: R.pattern_hashes(net, X, method="numpy"), repeat)
    same = bool(np.array_equal(nb["value"], ref["value"]))
    uniq = best_of(lambda: len(np.unique(nb["value"])), repeat)
    return {
        "points": n_points,
        "numba_seconds_min": nb["min"],
        "numba_seconds_median": nb["median"],
        "numba_threads": threads,
        "numba_1thread_seconds_min": nb1["min"],
        "numba_1thread_seconds_median": nb1["median"],
        "ratio_numpy_over_numba_1thread": ratio(ref["min"], nb1["min"]),
        "numpy_seconds_min": ref["min"],
        "numpy_seconds_median": ref["median"],
        "ratio_numpy_over_numba": ratio(ref["min"], nb["min"]),
        "identical_hashes": same,
        "distinct_patterns": uniq["value"],
        "unique_seconds_min": uniq["min"],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--depth", type=int, default=5, help="hidden layers (default 5)")
    ap.add_argument("--width", type=int, default=20, help="units per hidden layer (default 20)")
    ap.add_argument("--box", type=float, default=2.0, help="half-width B of the box [-B, B]^2")
    ap.add_argument("--points", type=int, default=1_000_000, help="points for pattern hashing")
    ap.add_argument("--repeat", type=int, default=3, help="runs per contender (minimum kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--only", nargs="+", choices=("count2d", "patterns"), default=("count2d", "patterns")
    )
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit BLAS threads (NumPy reference) with threadpoolctl; default: BLAS's own",
    )
    ap.add_argument("--json", action="store_true", help="one JSON document on stdout")
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/theory.json")
    args = ap.parse_args(argv)

    out = sys.stderr if args.json else sys.stdout
    net = make_net(args.depth, args.width, args.seed)
    box = (-args.box, args.box, -args.box, args.box)
    result = {
        "workload": "theory",
        "machine": machine_info(),
        "load_start": C.loadavg(),
        "repeat": args.repeat,
        "points": args.points,
        "net": f"2-{'-'.join([str(args.width)] * args.depth)}-1",
    }

    limiter = None
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(args.blas_threads)
    try:
        if "count2d" in args.only:
            r = bench_count2d(net, box, args.repeat)
            result["count2d"] = r
            print(f"count_2d on {result['net']} over [-{args.box}, {args.box}]^2", file=out)
            row = (
                r["regions"],
                r["pieces"],
                fmt_time(r["seconds_min"]),
                fmt_time(r["seconds_median"]),
            )
            print(table([row], ("regions", "pieces", "time (min)", "time (median)")), file=out)
        if "patterns" in args.only:
            r = bench_patterns(net, box, args.points, args.repeat, args.seed)
            result["patterns"] = r
            print(f"\nactivation-pattern hashes of {r['points']:,} points", file=out)
            rows = [
                (
                    f"numba (fused, {r['numba_threads']} threads)",
                    r["numba_seconds_min"],
                    r["numba_seconds_median"],
                    fmt_ratio(r["ratio_numpy_over_numba"]),
                ),
                (
                    "numba (fused, 1 thread)",
                    r["numba_1thread_seconds_min"],
                    r["numba_1thread_seconds_median"],
                    fmt_ratio(r["ratio_numpy_over_numba_1thread"]),
                ),
                ("numpy reference", r["numpy_seconds_min"], r["numpy_seconds_median"], "1.0x"),
            ]
            rows = [(a, fmt_time(b), fmt_time(c), d) for a, b, c, d in rows]
            header = ("contender", "time (min)", "time (median)", "numpy / this")
            print(table(rows, header), file=out)
            print(
                f"identical hashes: {r['identical_hashes']}; distinct patterns: "
                f"{r['distinct_patterns']:,} (np.unique {fmt_time(r['unique_seconds_min'])})",
                file=out,
            )
    finally:
        if limiter is not None:
            limiter.unregister()
    result["load_end"] = C.loadavg()
    result["env_threads"] = C.thread_env()
    emit(result, args.json)
    if args.save:
        C.write_json_atomic(C.RESULTS / "theory.json", result)
    return result


if __name__ == "__main__":
    main()
