"""numbanet on CPU against the best NumPy and PyTorch, as a user runs them (issue 16).

Six workloads (``benchmarks/workloads/``), each with four kinds of contender:

* ``numbanet fit``: ``net.fit(...)`` with its defaults, only the workload's epochs, batch size,
  loss, optimizer and learning rate given;
* ``numbanet loop``: the manual loop through the public API (``net.forward``,
  ``loss.forward``, ``loss.backward``, ``net.zero_grad``, ``net.backward``, ``opt.step``);
* ``NumPy``: the best plain NumPy we could write, with ``--threads`` BLAS threads and with one
  (the faster is "NumPy best");
* ``PyTorch``: eager PyTorch with its own best practice (``torch.set_num_threads``,
  ``torch.inference_mode`` for evaluation, the fused ``nn.LSTM``), with ``--threads`` threads and
  with one (the faster is "PyTorch best"). Without torch its rows read '-'.

Every contender runs in its own fresh process started from the environment this script was
launched with (see ``_common.py``: the snapshot is taken before anything is imported; this
script never imports numbanet), with the same thread variables; contenders alternate
A B C ... A B C for ``--rounds`` rounds; times are medians and ratios the medians of per-round
ratios time(other) / time(numbanet). Each contender also reports a correctness number
(validation accuracy and loss, or the final loss) from the same initial weights, so that a time
that is too good to be true shows. Results go to ``benchmarks/results/<workload>.json``;
``python benchmarks/report.py`` turns them into the README tables.

Usage::

    python benchmarks/bench_cpu.py                         # all six, 3 rounds (~12 min)
    python benchmarks/bench_cpu.py --only lstm --rounds 5
    python benchmarks/bench_cpu.py --quick                 # 1 round, no 1-thread variants
    python benchmarks/bench_cpu.py --only tiny --no-torch --no-save
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import _common as C  # noqa: E402  (before any third-party import: the launch snapshot)

WORKLOADS = ("nielsen", "tiny", "lenet", "lstm", "mlp", "resmlp")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def contenders(args):
    """(key, family, label, module function, threads, spec overrides) of every contender, in
    running order."""
    t = args.threads
    out = [
        ("numbanet_fit", "numbanet", "numbanet fit (defaults)", "run_numbanet_fit", t, {}),
        ("numbanet_loop", "numbanet", "numbanet manual loop", "run_numbanet_loop", t, {}),
    ]
    variants = [t] + ([1] if t > 1 and not args.no_one_thread else [])
    if not args.no_numpy:
        for k in variants:
            key = "numpy" if k == t else f"numpy_{k}t"
            label = f"NumPy ({k} BLAS thread{'s' * (k > 1)})"
            out.append((key, "numpy", label, "run_numpy", k, {}))
    if not args.no_torch:
        for impl in args.torch_impls:
            for k in variants:
                key = ("torch" if k == t else f"torch_{k}t") + (
                    "" if impl == "default" else f"_{impl}"
                )
                label = f"PyTorch ({k} thread{'s' * (k > 1)}" + (
                    ")" if impl == "default" else f", {impl} optimizer)"
                )
                out.append((key, "torch", label, "run_torch", k, {"torch_impl": impl}))
    return out


def bench_workload(name, args, machine):
    folder = tempfile.mkdtemp(prefix=f"bench-{name}-")
    spec = {"folder": folder, "data": args.data, "scale": args.scale}
    res = {
        "workload": name,
        "scale": args.scale,
        "threads": args.threads,
        "rounds": args.rounds,
        "quick": args.quick,
        "machine": machine,
        "launch_env_threads": C.thread_env(C.LAUNCH_ENV),
        "numbanet_loaded_in_parent": "numbanet" in sys.modules,
        "numbanet_loaded_at_snapshot": C.NUMBANET_LOADED_AT_SNAPSHOT,
    }
    try:
        t0 = time.perf_counter()
        # the workload module is imported by the children only (this process stays free of
        # numpy, numba and numbanet); prepare writes the data and initial weights, and says
        # what the workload is
        prep = C.run_child(f"workloads.{name}:prepare", spec, args.threads)
        res["prepare"] = prep
        res["title"], res["targets"] = prep["title"], prep["targets"]
        res["work"] = prep.get("work", {})
        log(f"\n== {name}: {res['title']}")
        res["child_probe"] = C.run_child("_child:probe", {}, args.threads)
        res["load_start"] = C.loadavg()
        entries = contenders(args)
        cont = {
            key: {
                "family": fam,
                "label": label,
                "threads": k,
                "options": opts,
                "runs": [],
                "times": [],
            }
            for key, fam, label, _f, k, opts in entries
        }
        for r in range(args.rounds):
            for key, _fam, _label, func, k, opts in entries:
                c = cont[key]
                if c.get("unavailable") or c.get("error"):
                    c["times"].append(None)
                    continue
                try:
                    run = C.run_child(
                        f"workloads.{name}:{func}", dict(spec, **opts), k, timeout=args.timeout
                    )
                except C.ChildError as exc:
                    if key.startswith("numbanet"):
                        raise
                    c["error"] = str(exc)[-2000:]
                    c["times"].append(None)
                    log(f"  {key}: FAILED\n{str(exc)[-800:]}")
                    continue
                if "unavailable" in run:
                    c["unavailable"] = run["unavailable"]
                    c["times"].append(None)
                    log(f"  {key}: unavailable ({run['unavailable']})")
                    continue
                c["runs"].append(run)
                c["times"].append(run["seconds"])
                log(
                    f"  round {r + 1}/{args.rounds} {key:14s} {C.fmt_time(run['seconds']):>9s}"
                    f"  {_check_text(run['check'])}  load {run['load_before'][0]}"
                )
        res["load_end"] = C.loadavg()
        res["wall_s"] = time.perf_counter() - t0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for c in cont.values():
        runs = c["runs"]
        c["median_s"] = C.median(c["times"])
        if runs:
            c["samples"] = runs[-1]["samples"]
            c["steps"] = runs[-1]["steps"]
            c["samples_per_s"] = c["samples"] / c["median_s"]
            c["check"] = runs[-1]["check"]
            c["check_same_every_round"] = all(r["check"] == runs[0]["check"] for r in runs)
    res["contenders"] = cont
    res["best"] = {}
    for fam in ("numpy", "torch"):
        keys = [k for k, c in cont.items() if c["family"] == fam and c["median_s"] is not None]
        res["best"][fam] = min(keys, key=lambda k: cont[k]["median_s"]) if keys else None
    res["ratios"] = {}
    for ours in ("numbanet_fit", "numbanet_loop"):
        res["ratios"][ours] = {}
        for fam, best in res["best"].items():
            if best is None:
                res["ratios"][ours][fam] = None
                continue
            per = C.round_ratios(cont[best]["times"], cont[ours]["times"])
            res["ratios"][ours][fam] = {"against": best, "per_round": per, "median": C.median(per)}
    res["target_met"] = {}
    for fam, target in res["targets"].items():
        meds = [
            (res["ratios"][ours].get(fam) or {}).get("median")
            for ours in ("numbanet_fit", "numbanet_loop")
        ]
        res["target_met"][fam] = None if None in meds else all(m >= target for m in meds)
    if res["work"].get("flops_per_sample"):
        _gflops(res)
    _print(res)
    return res


def _gflops(res):
    """Training GFLOP/s of every contender against the FP32 FMA peak of the threads it used."""
    fps = res["work"]["flops_per_sample"]
    res["fma_peak"] = {}
    for c in res["contenders"].values():
        if c["median_s"] is None:
            continue
        c["gflops"] = fps * c["samples_per_s"] / 1e9
        cores = min(c["threads"], res["machine"]["cores"] or c["threads"])
        peak, how = C.fma_peak(cores, res["machine"])
        c["fma_peak_gflops"] = None if peak is None else peak / 1e9
        c["fraction_of_peak"] = None if peak is None else c["gflops"] * 1e9 / peak
        res["fma_peak"][str(cores)] = {"gflops": c["fma_peak_gflops"], "how": how}
    res.setdefault("notes", []).append(
        f"FLOPs per sample {fps:,} ({res['work'].get('flops_formula', '')}); peaks: "
        + "; ".join(
            f"{v['gflops']:.1f} GFLOP/s = {v['how']}"
            for v in res["fma_peak"].values()
            if v["gflops"]
        )
    )
    for c in res["contenders"].values():
        if c.get("gflops") is not None:
            frac = c["fraction_of_peak"]
            res["notes"].append(
                f"  {c['label']}: {c['gflops']:.1f} GFLOP/s"
                + ("" if frac is None else f" ({100 * frac:.0f} % of peak)")
            )


def _check_text(check):
    parts = []
    for k in ("val_accuracy", "val_loss", "final_loss", "train_loss"):
        if check.get(k) is not None:
            parts.append(f"{k} {check[k]:.4f}" if "accuracy" in k else f"{k} {check[k]:.4g}")
    return ", ".join(parts)


def _print(res):
    rows = []
    for c in res["contenders"].values():
        rows.append(
            (
                c["label"],
                C.fmt_time(c["median_s"]),
                "-" if c["median_s"] is None else f"{c['samples_per_s']:,.0f}",
                " ".join(C.fmt_time(t) for t in c["times"]),
                c.get("unavailable") and "unavailable" or _check_text(c.get("check", {})),
            )
        )
    print(
        f"\n{res['title']} ({res['threads']} threads, median of {res['rounds']} rounds, load "
        f"{res['load_start'][0]} -> {res['load_end'][0]})"
    )
    print(C.table(rows, ("contender", "median", "samples/s", "rounds", "check")))
    for ours, fams in res["ratios"].items():
        for fam, r in fams.items():
            if r is None:
                continue
            target = res["targets"].get(fam)
            print(
                f"{ours} vs {r['against']}: {C.fmt_ratio(r['median'])} "
                f"(per round {', '.join(f'{v:.2f}' for v in r['per_round'])})"
                + (f"  target {target}x" if target else "")
            )
    for line in res.get("notes", []):
        print(line)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    ap.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="threads of every contender (2)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="1 round and no 1-thread variants: proves the scripts run",
    )
    ap.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of each workload's samples or steps (smoke runs; default 1)",
    )
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch contenders")
    ap.add_argument("--no-numpy", action="store_true", help="skip the NumPy contenders")
    ap.add_argument(
        "--no-one-thread",
        action="store_true",
        help="do not also run NumPy and PyTorch on one thread",
    )
    ap.add_argument(
        "--torch-impls",
        nargs="+",
        default=None,
        choices=("default", "foreach", "fused"),
        help="PyTorch optimizer implementations to try (default: default fused; --quick: default)",
    )
    ap.add_argument("--data", default=None, help="folder holding mnist/*.gz")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per child process")
    ap.add_argument("--out", default=str(C.RESULTS), help="folder of the JSON results")
    ap.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.quick:
        args.no_one_thread = True
    if args.torch_impls is None:
        args.torch_impls = ["default"] if args.quick else ["default", "fused"]
    if args.rounds < 1 or args.threads < 1:
        ap.error("--rounds and --threads must be at least 1")
    if not 0 < args.scale <= 1:
        ap.error("--scale must be in (0, 1]")
    machine = C.machine_info()
    log(
        f"{machine['cpu']}, {machine['cores']} cores, load {machine['load_average']}, "
        f"{args.threads} threads, {args.rounds} rounds"
    )
    failed = []
    for name in args.only:
        try:
            res = bench_workload(name, args, machine | {"load_average": C.loadavg()})
        except C.ChildError as exc:  # a numbanet contender or prepare failed: nothing to save
            log(f"{name}: FAILED, nothing saved\n{exc}")
            failed.append(name)
            continue
        if not args.no_save:
            path = Path(args.out) / f"{name}.json"
            C.write_json_atomic(path, res)
            log(f"saved {path}")
    if not args.no_save:
        log("tables: python benchmarks/report.py")
    if failed:
        log(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
