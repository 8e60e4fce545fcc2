"""Regenerate the benchmark tables from the saved JSON results (no number is typed by hand).

Reads ``benchmarks/results/*.json`` (written by ``bench_cpu.py``, ``bench_startup.py``,
``bench_theory.py --save`` and ``bench_sweep.py --save``) and rewrites, between the marker
comments ``<!-- bench:begin -->`` and ``<!-- bench:end -->``:

* ``benchmarks/README.md``: the summary table, one detailed table per workload (every
  contender, its rounds, its check, its threads and environment) and the other scripts' results;
* ``README.md`` (section "Benchmarks"): the summary table.

Every row names the date, machine, threads, rounds and load average of its measurement. Files
are written atomically (temporary file, fsync, rename).

Usage::

    python benchmarks/report.py
    python benchmarks/report.py --results DIR --bench-readme PATH --readme PATH
    python benchmarks/report.py --check     # exit 1 if a README is not up to date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_ratio, fmt_time, write_text_atomic  # noqa: E402

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
ORDER = ("nielsen", "tiny", "lenet", "lstm", "mlp", "resmlp")
FAMILY_NAME = {"numpy": "NumPy", "torch": "PyTorch"}


# ------------------------------------------------------------------------------ loading
def load_results(folder):
    """{name: result} of every ``*.json`` in ``folder`` (the file stem is the name)."""
    out = {}
    for path in sorted(Path(folder).glob("*.json")):
        with open(path) as f:
            out[path.stem] = json.load(f)
    return out


def workloads(results):
    """The bench_cpu results (they have contenders), in the issue's order, then the rest."""
    names = [n for n in results if "contenders" in results[n]]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


# ------------------------------------------------------------------------------ formatting
def fmt_load(res):
    a, b = res.get("load_start"), res.get("load_end")
    if not a or not b or a[0] is None or b[0] is None:
        return "load ?"
    return f"load {a[0]:.2f}-{b[0]:.2f}"


def measured(res, rounds=True):
    """Date, machine, threads, rounds and load of one result: the provenance of its row."""
    m = res.get("machine", {})
    parts = [m.get("date_utc", "date ?"), f"{m.get('cpu') or 'cpu ?'}, {m.get('cores')} cores"]
    if res.get("threads") is not None:
        parts.append(f"{res['threads']} threads")
    if rounds and res.get("rounds") is not None:
        parts.append(f"{res['rounds']} round{'s' * (res['rounds'] != 1)}")
    parts.append(fmt_load(res))
    if "contenders" in res and not judged(res):
        parts.append(f"smoke run (scale {res.get('scale') or 1.0:g})")
    return "; ".join(parts)


def fmt_check(check):
    if not check:
        return "-"
    parts = []
    if check.get("val_accuracy") is not None:
        parts.append(f"val acc {check['val_accuracy']:.4f}")
    if check.get("val_loss") is not None:
        parts.append(f"val loss {check['val_loss']:.4g}")
    if check.get("final_loss") is not None:
        parts.append(f"final loss {check['final_loss']:.4g}")
    return ", ".join(parts) or "-"


def fmt_env(env):
    return ", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "(none)"


def _ratio_cell(res, ours, fam):
    r = (res.get("ratios", {}).get(ours) or {}).get(fam)
    return fmt_ratio(None if not r else r["median"])


def _best_cell(res, fam):
    key = res.get("best", {}).get(fam)
    if key is None:
        return "-"
    c = res["contenders"][key]
    return f"{fmt_time(c['median_s'])} ({c['threads']} thr)"


def judged(res):
    """Only a full measurement (the whole workload, at least 3 rounds) is held to the targets."""
    return res.get("rounds", 0) >= 3 and (res.get("scale") or 1.0) == 1.0 and not res.get("quick")


def _target_cell(res):
    if not judged(res):
        return "not judged (smoke run)"
    parts = []
    ratios = res.get("ratios", {})
    for fam, target in res.get("targets", {}).items():
        # the target holds for a family only when fit *and* the manual loop reach it; say which
        ways = []
        for way, label in (("numbanet_fit", "fit"), ("numbanet_loop", "loop")):
            r = ratios.get(way, {}).get(fam, {}).get("median")
            if r is not None:
                ways.append(f"{label} {'met' if r >= target else 'not met'}")
        if not ways:
            met = res.get("target_met", {}).get(fam)
            ways = [{True: "met", False: "not met", None: "-"}[met]]
        parts.append(f"{FAMILY_NAME.get(fam, fam)} >= {target:g}x: {', '.join(ways)}")
    return "; ".join(parts) or "-"


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ tables
SUMMARY_HEADER = (
    "workload",
    "numbanet fit",
    "numbanet loop",
    "NumPy best",
    "PyTorch best",
    "fit vs NumPy",
    "fit vs PyTorch",
    "loop vs NumPy",
    "loop vs PyTorch",
    "target (fit and loop)",
    "measured",
)


def summary_row(res):
    c = res["contenders"]
    return (
        res["title"],
        fmt_time(c["numbanet_fit"]["median_s"]),
        fmt_time(c["numbanet_loop"]["median_s"]),
        _best_cell(res, "numpy"),
        _best_cell(res, "torch"),
        _ratio_cell(res, "numbanet_fit", "numpy"),
        _ratio_cell(res, "numbanet_fit", "torch"),
        _ratio_cell(res, "numbanet_loop", "numpy"),
        _ratio_cell(res, "numbanet_loop", "torch"),
        _target_cell(res),
        measured(res),
    )


def summary(results):
    names = workloads(results)
    if not names:
        return "No bench_cpu.py results saved yet (run `python benchmarks/bench_cpu.py`)."
    text = md_table(SUMMARY_HEADER, [summary_row(results[n]) for n in names])
    return text + (
        "\n\nTimes are medians over alternating rounds, each contender in its own fresh process "
        "with the same threads; a ratio is the median of the per-round ratios time(other) / "
        "time(numbanet) (above 1: numbanet faster), against the faster thread setting of NumPy "
        "and of PyTorch. Generated by `benchmarks/report.py` from `benchmarks/results/*.json`."
    )


DETAIL_HEADER = (
    "contender",
    "threads",
    "median",
    "samples/s",
    "rounds",
    "check",
    "thread env unchanged",
    "numbanet loaded",
)


def _env_unchanged(c):
    runs = c.get("runs") or []
    if not runs:
        return "-"
    return "yes" if all(r.get("env_start") == r.get("env_end") for r in runs) else "NO"


def detail(res):
    out = [f"### {res['title']}", "", f"Measured: {measured(res)}.", ""]
    rows = []
    for c in res["contenders"].values():
        if c.get("unavailable") or c.get("error"):
            why = "unavailable" if c.get("unavailable") else "failed"
            rows.append((c["label"], c["threads"], "-", "-", "-", why, "-", "-"))
            continue
        runs = c.get("runs") or []
        loaded = runs[-1].get("loaded", {}).get("numbanet") if runs else None
        sps = c.get("samples_per_s")
        rows.append(
            (
                c["label"],
                c["threads"],
                fmt_time(c["median_s"]),
                "-" if sps is None else f"{sps:,.0f}",
                " / ".join(fmt_time(t) for t in c["times"]),
                fmt_check(c.get("check")),
                _env_unchanged(c),
                {True: "yes", False: "no", None: "-"}[loaded],
            )
        )
    out.append(md_table(DETAIL_HEADER, rows))
    out.append("")
    for ours in ("numbanet_fit", "numbanet_loop"):
        for fam, r in (res.get("ratios", {}).get(ours) or {}).items():
            if not r:
                continue
            per = ", ".join(f"{v:.2f}" for v in r["per_round"])
            name = res["contenders"][ours]["label"]
            other = res["contenders"][r["against"]]["label"]
            target = res.get("targets", {}).get(fam)
            goal = "" if target is None else f"; target {target:g}x"
            out.append(
                f"* {name} against {other}: **{fmt_ratio(r['median'])}** (rounds: {per}{goal})"
            )
    if any(c.get("gflops") is not None for c in res["contenders"].values()):
        out.append("")
        out.append(_gflops_text(res))
    env = (res.get("child_probe") or {}).get("env_start") or {}
    out.append("")
    out.append(
        f"Thread variables of the launch environment: "
        f"{fmt_env(res.get('launch_env_threads', {}))}; "
        f"of a contender's process ({res.get('threads')} threads): {fmt_env(env)}."
    )
    return "\n".join(out)


def _gflops_text(res):
    parts = []
    for c in res["contenders"].values():
        if c.get("gflops") is None:
            continue
        frac = c.get("fraction_of_peak")
        parts.append(
            f"{c['label']} {c['gflops']:.1f} GFLOP/s"
            + ("" if frac is None else f" ({100 * frac:.1f} % of peak)")
        )
    peaks = "; ".join(
        f"{v['gflops']:.1f} GFLOP/s on {k} core{'s' * (k != '1')} ({v['how']})"
        for k, v in (res.get("fma_peak") or {}).items()
        if v.get("gflops")
    )
    work = res.get("work", {})
    return (
        f"Training FLOP rate ({work.get('flops_per_sample', 0):,} FLOP per sample: "
        f"{work.get('flops_formula', '')}): " + "; ".join(parts) + f". FP32 FMA peak: {peaks}."
    )


def startup_text(res):
    rows = []
    names = (
        ("help_s", "`numbanet --help` (process wall)"),
        ("python_s", "`python -c pass`"),
        ("import_s", "`import numbanet` in a fresh process"),
        ("cold_first_step_s", "first `fit` step, cold JIT cache (once)"),
        ("warm_first_step_s", "first `fit` step, warm JIT cache"),
        ("warm_process_s", "whole warm process (import + step)"),
    )
    for key, label in names:
        target = res.get("targets", {}).get(key)
        met = res.get("target_met", {}).get(key)
        rows.append(
            (
                label,
                fmt_time(res.get(key)),
                "" if target is None else f"< {target:g} s",
                {True: "met", False: "not met", None: ""}[met],
            )
        )
    return "\n".join(
        [
            "### Start-up (`bench_startup.py`)",
            "",
            f"Medians of {res.get('repeat')} fresh processes. Measured: {measured(res, False)}.",
            "",
            md_table(("what", "time", "target", ""), rows),
        ]
    )


def theory_text(res):
    out = [
        "### Region counting and activation patterns (`bench_theory.py`)",
        "",
        f"Net {res.get('net')}. Measured: {measured(res, False)}.",
        "",
    ]
    c = res.get("count2d")
    if c:
        out.append(
            f"* exact 2-D region count over {c['box']}: {c['regions']:,} regions, "
            f"{c['pieces']:,} linear pieces in {fmt_time(c['seconds_min'])} "
            f"(minimum of {res.get('repeat')})"
        )
    p = res.get("patterns")
    if p:
        out.append(
            f"* activation-pattern hashes of {p['points']:,} points: Numba "
            f"{fmt_time(p['numba_seconds_min'])} on {p['numba_threads']} threads, "
            f"{fmt_time(p['numba_1thread_seconds_min'])} on 1; NumPy reference "
            f"{fmt_time(p['numpy_seconds_min'])}: {fmt_ratio(p['ratio_numpy_over_numba'])} "
            f"({fmt_ratio(p['ratio_numpy_over_numba_1thread'])} on one thread); identical "
            f"hashes: {'yes' if p['identical_hashes'] else 'NO'}"
        )
    return "\n".join(out)


def sweep_text(res):
    before_after = res.get("load_average_before_after") or [None, None]
    m = dict(res, load_start=[before_after[0]], load_end=[before_after[1]])
    return "\n".join(
        [
            "### Dask sweep workers (`bench_sweep.py`)",
            "",
            f"{res['trials']} CPU-bound MNIST-1D trials ({res['epochs']} epochs, width "
            f"{res['width']}), one thread per worker: 1 worker {fmt_time(res['wall_1_worker'])}, "
            f"2 workers {fmt_time(res['wall_2_workers'])}, speed-up "
            f"{fmt_ratio(res['speedup_2_vs_1'])} (ideal 2x on 2 cores); identical results: "
            f"{'yes' if res['same_results'] else 'NO'}. Measured: {measured(m, False)}.",
        ]
    )


def bench_readme_section(results):
    out = ["## Results", "", summary(results)]
    for n in workloads(results):
        out += ["", detail(results[n])]
    for name, fn in (("startup", startup_text), ("theory", theory_text), ("sweep", sweep_text)):
        if name in results:
            out += ["", fn(results[name])]
    return "\n".join(out)


def readme_section(results):
    return "\n".join(
        [
            summary(results),
            "",
            "Details (every contender and round, checks, environments, GFLOP/s): "
            "[benchmarks/README.md](benchmarks/README.md).",
        ]
    )


# ------------------------------------------------------------------------------ files
def replace_between_markers(text, body, path):
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise SystemExit(f"{path}: needs exactly one {BEGIN} followed by one {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{body}\n{END}{tail}"


def update(path, body, check=False):
    """Put ``body`` between the markers of ``path``; True if the file changed (or would)."""
    path = Path(path)
    old = path.read_text()
    new = replace_between_markers(old, body, path)
    if new != old and not check:
        write_text_atomic(path, new)
    return new != old


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--bench-readme", default=str(HERE / "README.md"))
    ap.add_argument("--readme", default=str(HERE.parent / "README.md"))
    ap.add_argument("--check", action="store_true", help="only report whether files are stale")
    args = ap.parse_args(argv)
    results = load_results(args.results)
    stale = []
    for path, body in (
        (args.bench_readme, bench_readme_section(results)),
        (args.readme, readme_section(results)),
    ):
        if update(path, body, args.check):
            stale.append(path)
    verb = "out of date" if args.check else "updated"
    print(f"{verb}: {', '.join(stale)}" if stale else "up to date")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
