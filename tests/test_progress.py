"""Progress of long runs: a rich bar with an ETA on a terminal, plain log lines elsewhere (CI),
for ``numbanet claims``, ``numbanet figures`` and sweeps."""

from __future__ import annotations

import io
import json
import re

import pytest

from numbanet._progress import Progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_log_lines_when_not_a_terminal(monkeypatch):
    # start, then (item, advance) per figure
    clock = iter([0.0, 0.0, 2.0, 5.0, 9.0, 9.0, 20.0])
    monkeypatch.setattr("numbanet._progress.time.perf_counter", lambda: next(clock))
    out = io.StringIO()
    with Progress("figures", 3, stream=out) as bar:
        bar.item("softmax")
        bar.advance("ok")
        bar.item("noise-ball")
        bar.advance("ok")
        bar.item("rbm")
        bar.advance("error")
    lines = out.getvalue().splitlines()
    assert lines == [
        "numbanet figures: 3 to do",
        "numbanet figures [1/3] softmax: ok (2.0 s); 0:00:02 elapsed, about 0:00:04 left",
        "numbanet figures [2/3] noise-ball: ok (4.0 s); 0:00:09 elapsed, about 0:00:04 left",
        "numbanet figures [3/3] rbm: error (11.0 s); 0:00:20 elapsed",
    ]
    assert "\x1b" not in out.getvalue()  # no terminal control codes in a log


def test_log_lines_are_throttled_but_the_last_is_always_written(monkeypatch):
    t = [0.0]
    monkeypatch.setattr("numbanet._progress.time.perf_counter", lambda: t[0])
    out = io.StringIO()
    bar = Progress("sweep toy", 50, stream=out, log_every=10.0)
    for _ in range(50):
        t[0] += 1.0
        bar.advance("acc 0.9")
    bar.close()
    lines = out.getvalue().splitlines()[1:]
    assert len(lines) == 6  # steps 1, 11, 21, 31, 41 and the last
    assert lines[0].startswith("numbanet sweep toy [1/50] acc 0.9;")
    assert lines[-1] == "numbanet sweep toy [50/50] acc 0.9; 0:00:50 elapsed"


def test_a_bar_with_time_left_on_a_terminal():
    out = _Terminal()
    with Progress("claims", 2, stream=out) as bar:
        bar.item("claim 1")
        bar.advance("holds")
        bar.item("claim 2")
        bar.advance("holds")
    text = out.getvalue()
    assert "claims" in text and "2/2" in text and "left" in text and "holds" in text
    assert "numbanet claims [" not in text  # the bar, not log lines


def test_disabled_or_empty_reports_nothing():
    out = io.StringIO()
    for bar in (Progress("x", 5, enabled=False, stream=out), Progress("x", 0, stream=out)):
        bar.item("a")
        bar.advance("b")
        bar.close()
    assert out.getvalue() == ""


def test_claims_command_reports_on_stderr_and_keeps_json_clean():
    from typer.testing import CliRunner

    from numbanet.cli import app

    res = CliRunner().invoke(app, ["claims", "--fast", "2", "4"])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.stderr.splitlines() if x.startswith("numbanet claims")]
    assert lines[0] == "numbanet claims: 2 to do"
    assert re.match(r"numbanet claims \[1/2\] claim 2: (holds|approx|differs)", lines[1])
    assert lines[2].startswith("numbanet claims [2/2] claim 4:") and "left" not in lines[2]
    assert "numbanet claims" not in res.stdout
    # --json: no progress unless asked for, and stdout stays JSON either way
    quiet = CliRunner().invoke(app, ["claims", "--json", "--fast", "4"])
    assert "numbanet claims" not in quiet.stderr
    loud = CliRunner().invoke(app, ["claims", "--json", "--progress", "--fast", "4"])
    assert "numbanet claims [1/1] claim 4" in loud.stderr
    assert [r["id"] for r in json.loads(loud.stdout)] == [4]


def test_figures_report_each_figure(tmp_path, capsys):
    from numbanet import plots

    plots.render_figures(
        ids=["softmax", "activations"], outdir=tmp_path, budget="tiny", progress=True
    )
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "numbanet figures: 2 to do"
    assert err[1].startswith("numbanet figures [1/2] softmax: ok (")
    assert err[2].startswith("numbanet figures [2/2] activations: ok (")


def test_sweeps_report_their_trials(tmp_path, capsys):
    pytest.importorskip("numbanet.sweep")
    from numbanet.sweep import run
    from tests.test_sweep import toy_spec

    s = toy_spec(space={"lr": [0.05, 0.3]})
    res = run(s, scheduler="serial", results=tmp_path / "r.jsonl", progress=True, plot=False)
    assert len(res.rows) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("numbanet sweep")]
    assert err[0] == "numbanet sweep toy: 2 to do"
    assert err[-1].startswith("numbanet sweep toy [2/2]")
