"""The benchmark harness: report.py renders exactly the saved values, and contenders start from
the launch snapshot (no timing is asserted anywhere)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import report  # noqa: E402


def _contender(label, family, threads, times, median, check):
    return {
        "family": family,
        "label": label,
        "threads": threads,
        "times": times,
        "median_s": median,
        "samples": 1000,
        "steps": 100,
        "samples_per_s": 1000 / median,
        "check": check,
        "runs": [
            {
                "seconds": t,
                "check": check,
                "loaded": {"numbanet": family == "numbanet"},
                "env_start": {"OMP_NUM_THREADS": str(threads)},
                "env_end": {"OMP_NUM_THREADS": str(threads)},
            }
            for t in times
        ],
    }


def _ratio(against, per_round, median):
    return {"against": against, "per_round": per_round, "median": median}


def synthetic():
    check = {"val_accuracy": 0.9447, "val_loss": 0.04667}
    return {
        "workload": "nielsen",
        "title": "Synthetic Nielsen workload",
        "threads": 2,
        "rounds": 3,
        "quick": False,
        "scale": 1.0,
        "machine": {"date_utc": "2026-01-02 03:04 UTC", "cpu": "Test CPU", "cores": 2},
        "load_start": [0.5, 0.4, 0.3],
        "load_end": [0.75, 0.5, 0.4],
        "launch_env_threads": {"OPENBLAS_CORETYPE": "Haswell"},
        "child_probe": {"env_start": {"OMP_NUM_THREADS": "2", "OPENBLAS_CORETYPE": "Haswell"}},
        "targets": {"torch": 15.0, "numpy": 2.0},
        "target_met": {"torch": False, "numpy": True},
        "contenders": {
            "numbanet_fit": _contender(
                "numbanet fit (defaults)", "numbanet", 2, [0.125, 0.12, 0.13], 0.125, check
            ),
            "numbanet_loop": _contender(
                "numbanet manual loop", "numbanet", 2, [0.25, 0.25, 0.25], 0.25, check
            ),
            "numpy": _contender("NumPy (2 BLAS threads)", "numpy", 2, [0.5, 0.5, 0.5], 0.5, check),
            "numpy_1t": _contender("NumPy (1 BLAS thread)", "numpy", 1, [0.75] * 3, 0.75, check),
            "torch": _contender("PyTorch (2 threads)", "torch", 2, [2.5] * 3, 2.5, check),
            "torch_1t": _contender("PyTorch (1 thread)", "torch", 1, [1.5] * 3, 1.5, check),
        },
        "best": {"numpy": "numpy", "torch": "torch_1t"},
        "ratios": {
            "numbanet_fit": {
                "numpy": _ratio("numpy", [4.0, 3.5, 4.5], 4.0),
                "torch": _ratio("torch_1t", [12.0, 11.0, 13.0], 12.0),
            },
            "numbanet_loop": {
                "numpy": _ratio("numpy", [2.0, 2.0, 2.0], 2.0),
                "torch": _ratio("torch_1t", [6.0, 6.0, 6.0], 6.0),
            },
        },
    }


def _rows(text, first_cell):
    return [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| " + first_cell + " |")
    ]


@pytest.fixture
def files(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "nielsen.json").write_text(json.dumps(synthetic()))
    bench_readme = tmp_path / "bench.md"
    readme = tmp_path / "README.md"
    bench_readme.write_text(
        "# prose before\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n"
    )
    readme.write_text(
        "## Benchmarks\n\n<!-- bench:begin -->\nBENCH_TABLE_PLACEHOLDER\n"
        "<!-- bench:end -->\n\n## Next section\n"
    )
    argv = ["--results", str(results), "--bench-readme", str(bench_readme), "--readme", str(readme)]
    return argv, bench_readme, readme


def test_report_tables_hold_exactly_the_json_values(files, capsys):
    argv, bench_readme, readme = files
    assert report.main(argv) == 0
    expected = [
        "Synthetic Nielsen workload",
        "125 ms",
        "250 ms",
        "500 ms (2 thr)",
        "1.50 s (1 thr)",
        "4.00x",
        "12.00x",
        "2.00x",
        "6.00x",
        "PyTorch >= 15x: fit not met, loop not met; NumPy >= 2x: fit met, loop met",
        "2026-01-02 03:04 UTC; Test CPU, 2 cores; 2 threads; 3 rounds; load 0.50-0.75",
    ]
    for path in (bench_readme, readme):
        text = path.read_text()
        assert _rows(text, "Synthetic Nielsen workload") == [expected]
        assert "BENCH_TABLE_PLACEHOLDER" not in text and "\nold\n" not in text
    # the text around the markers is kept
    assert bench_readme.read_text().startswith("# prose before\n\n<!-- bench:begin -->\n")
    assert bench_readme.read_text().endswith("<!-- bench:end -->\nafter\n")
    assert readme.read_text().endswith("<!-- bench:end -->\n\n## Next section\n")
    # the detailed table: every contender with its own values
    detail = bench_readme.read_text()
    assert _rows(detail, "PyTorch (1 thread)") == [
        [
            "PyTorch (1 thread)",
            "1",
            "1.50 s",
            "667",
            "1.50 s / 1.50 s / 1.50 s",
            "val acc 0.9447, val loss 0.04667",
            "yes",
            "no",
        ]
    ]
    assert _rows(detail, "numbanet fit (defaults)")[0][2:5] == [
        "125 ms",
        "8,000",
        "125 ms / 120 ms / 130 ms",
    ]
    assert "**12.00x** (rounds: 12.00, 11.00, 13.00; target 15x)" in detail
    assert "OPENBLAS_CORETYPE=Haswell" in detail
    # a second run changes nothing; --check agrees
    assert report.main(argv + ["--check"]) == 0
    capsys.readouterr()


def test_report_changes_with_the_json_and_check_notices(files, tmp_path):
    argv, bench_readme, _ = files
    report.main(argv)
    res = synthetic()
    res["contenders"]["numbanet_fit"]["median_s"] = 0.0625
    (tmp_path / "results" / "nielsen.json").write_text(json.dumps(res))
    assert report.main(argv + ["--check"]) == 1  # stale
    report.main(argv)
    assert _rows(bench_readme.read_text(), "Synthetic Nielsen workload")[0][1] == "62.5 ms"


def test_a_smoke_run_is_marked_and_not_held_to_the_targets(files, tmp_path):
    argv, bench_readme, _ = files
    res = synthetic()
    res.update(rounds=1, scale=0.1, quick=True)
    (tmp_path / "results" / "nielsen.json").write_text(json.dumps(res))
    report.main(argv)
    row = _rows(bench_readme.read_text(), "Synthetic Nielsen workload")[0]
    assert row[-2] == "not judged (smoke run)"
    assert row[-1].endswith("; 1 round; load 0.50-0.75; smoke run (scale 0.1)")


def test_report_refuses_a_file_without_markers(files):
    argv, _, readme = files
    readme.write_text("## Benchmarks\n\nno markers here\n")
    with pytest.raises(SystemExit, match="bench:begin"):
        report.main(argv)


def test_contenders_start_from_the_launch_snapshot(tmp_path):
    """A child started by the harness sees the environment the script was launched with: a
    variable set in the parent after the snapshot (as numbanet's import once set
    GOMP_SPINCOUNT) does not reach it; the thread variables are the contender's; the user's
    other variables are kept."""
    code = (
        f"import sys; sys.path.insert(0, {str(BENCH)!r})\n"
        "import _common as C\n"
        "import json, os\n"
        "os.environ['GOMP_SPINCOUNT'] = '0'\n"
        "os.environ['OMP_NUM_THREADS'] = '7'\n"
        "print(json.dumps(C.run_child('_child:probe', {}, 3)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOMP_", "OMP_", "KMP_"))}
    env["OPENBLAS_CORETYPE"] = "Haswell"  # a user's setting: kept as is
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    child = json.loads(out.stdout.strip().splitlines()[-1])
    seen = child["env_start"]
    assert "GOMP_SPINCOUNT" not in seen
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        assert seen[var] == "3"
    assert seen["OPENBLAS_CORETYPE"] == "Haswell"
    assert child["env_given"] == seen
    assert child["loaded"]["numbanet"] is False
    assert child["executable"] == sys.executable


def test_child_env_is_built_from_the_snapshot_not_the_current_environment(monkeypatch):
    import _common as C

    monkeypatch.setenv("GOMP_SPINCOUNT", "0")
    monkeypatch.setattr(C, "LAUNCH_ENV", {"PATH": "/bin", "OPENBLAS_L2_SIZE": "512"})
    env = C.child_env(2)
    assert env == {
        "PATH": "/bin",
        "OPENBLAS_L2_SIZE": "512",
        "OMP_NUM_THREADS": "2",
        "OPENBLAS_NUM_THREADS": "2",
        "MKL_NUM_THREADS": "2",
        "NUMBA_NUM_THREADS": "2",
    }
    assert C.thread_env(env) == {k: v for k, v in env.items() if k != "PATH"}


def test_the_driver_imports_neither_numbanet_nor_numpy():
    code = (
        f"import sys; sys.path.insert(0, {str(BENCH)!r})\n"
        "import bench_cpu, report\n"
        "print(sorted(m for m in ('numbanet', 'numpy', 'numba', 'torch') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
