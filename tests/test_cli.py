"""The command line: start-up cost, errors as one readable line, and the foundation must-shows."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from numbanet.cli import app
from numbanet.errors import CheckpointError, ValidationError

runner = CliRunner()


def test_help_does_not_import_numba_or_matplotlib():
    code = "import sys\nfrom numbanet.cli import app\nprint(sorted(m for m in ('numba', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0 and "figures" in res.output and "claims" in res.output


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("numbanet ")


def test_info_reports_backends_and_cuda():
    res = runner.invoke(app, ["info"])
    assert res.exit_code == 0, res.output
    assert "backends: reference (NumPy), cpu (Numba)" in res.output
    assert "cuda:" in res.output and "mnist" in res.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "--layers", "784-x-10"], "--layers must look like 784-30-10"),
        (["train", "--layers", "100-30-10"], "starts with 100 inputs but mnist has 784"),
        (["train", "--data", "cifar"], "unknown data set 'cifar'"),
        (["train", "--lr", "-1"], "lr must be a finite number > 0"),
        (["train", "--batch-size", "0"], "batch_size must be >= 1"),
        (["train", "--backend", "tpu"], "unknown backend 'tpu'"),
        (["figures", "--format", "gif"], "--format must be png, pdf or svg"),
        (["figures", "--lang", "fr"], "--lang must be en or es"),
        (["regions", "1-a-1"], "architecture must look like"),
    ],
)
def test_errors_are_one_line_without_traceback(args, message, shared_data):
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert message in res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.strip().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1


def test_cli_errors_in_a_real_process(shared_data):
    env = dict(os.environ, NUMBANET_DATA=shared_data)
    out = subprocess.run(
        [sys.executable, "-m", "numbanet", "train", "--layers", "784-30"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error: --layers ends with 30 outputs")
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_nielsen_mse_one_epoch_reaches_90_percent(shared_data):
    """Must-show: Nielsen's network.py set-up, one epoch, >= 90 % validation accuracy."""
    res = runner.invoke(
        app,
        [
            "train",
            "--data",
            "mnist",
            "--layers",
            "784-30-10",
            "--activation",
            "sigmoid",
            "--loss",
            "mse",
            "--optimizer",
            "sgd",
            "--lr",
            "3.0",
            "--batch-size",
            "10",
            "--epochs",
            "1",
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    acc = float(res.output.split("val_accuracy")[1].split("%")[0])
    assert acc >= 90.0, res.output


def test_nielsen_network2_one_epoch_reaches_93_percent(shared_data, tmp_path):
    """Must-show: network2 semantics (per-unit cross-entropy, eta 0.5), one epoch, >= 93 %."""
    res = runner.invoke(
        app,
        [
            "train",
            "--data",
            "mnist",
            "--layers",
            "784-30-10",
            "--loss",
            "sigmoid_cross_entropy",
            "--lr",
            "0.5",
            "--batch-size",
            "10",
            "--epochs",
            "1",
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    acc = float(res.output.split("val_accuracy")[1].split("%")[0])
    assert acc >= 93.0, res.output


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("internal slip"),
        TypeError("internal slip"),
        ZeroDivisionError("internal slip"),
        KeyError("internal slip"),
    ],
)
def test_an_internal_error_shows_its_traceback_and_asks_to_be_reported(monkeypatch, exc):
    """A plain Python error inside a command is a bug: its traceback is shown with a request to
    report it (naming the version), never disguised as a one-line user error."""
    import numbanet
    import numbanet.cli as cli

    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cli, "_regions", broken)
    res = runner.invoke(app, ["regions", "1-10-1"])
    assert res.exit_code == 70, res.output
    assert "Traceback (most recent call last)" in res.output
    assert f"{type(exc).__name__}: " in res.output and "internal slip" in res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith(f"numbanet {numbanet.__version__} hit an internal error") and (
        "please report it" in last
    ), last
    assert not any(ln.startswith("error:") for ln in res.output.splitlines())


@pytest.mark.parametrize(
    "exc",
    [
        ValidationError("bad width"),
        CheckpointError("bad file"),
        PermissionError(13, "Permission denied"),
    ],
    ids=["ValidationError", "CheckpointError", "PermissionError"],
)
def test_numbanet_and_os_errors_stay_one_line(monkeypatch, exc):
    import numbanet.cli as cli

    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cli, "_regions", broken)
    res = runner.invoke(app, ["regions", "1-10-1"])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [f"error: {exc}"]


def test_an_internal_error_in_a_real_process():
    code = (
        "import sys, numbanet.cli as c\n"
        "def broken(a): raise RuntimeError('internal slip')\n"
        "c._regions = broken\n"
        "sys.argv = ['numbanet', 'regions', '1-10-1']\n"
        "c.main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 70, out.stderr
    err = out.stderr.strip().splitlines()
    assert err[0] == "Traceback (most recent call last):" and "RuntimeError: internal slip" in err
    assert "hit an internal error" in err[-1] and "please report it" in err[-1]
