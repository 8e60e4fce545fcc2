"""Files numbanet writes (figures, indexes, checkpoints) get the user's umask, not the private
0o600 of the temporary file they are written through; ``--dpi`` sets the raster resolution."""

import contextlib
import json
import os
import struct
import sys

import pytest

from numbanet import _io, plots

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@contextlib.contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path):
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_atomic_writes_get_the_umask_mode(tmp_path, mask):
    with umask(mask):
        assert _io._umask() == mask
        _io.atomic_write_bytes(tmp_path / "a.bin", b"x")
        _io.atomic_write_text(tmp_path / "b.json", json.dumps({"a": 1}))
        with _io.atomic_writer(tmp_path / "c.txt", "w") as fh:
            fh.write("c")
    for name in ("a.bin", "b.json", "c.txt"):
        assert _mode(tmp_path / name) == 0o666 & ~mask, (name, oct(_mode(tmp_path / name)))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_rewrite_replaces_a_private_file_with_the_umask_mode(tmp_path):
    p = tmp_path / "old.json"
    p.write_text("{}")
    p.chmod(0o600)
    with umask(0o022):
        _io.atomic_write_text(p, "[]")
    assert _mode(p) == 0o644 and p.read_text() == "[]"


def test_checkpoints_get_the_umask_mode(tmp_path):
    import numbanet as nb
    from numbanet import checkpoint

    net = nb.Sequential([nb.Dense(3, 2)], seed=0)
    with umask(0o022):
        checkpoint.save(tmp_path / "m.npz", net)
    saved = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert saved and all(_mode(p) == 0o644 for p in saved)


def _png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    return struct.unpack(">II", head[16:24])


def test_figures_and_index_get_the_umask_mode_and_the_dpi(tmp_path):
    with umask(0o022):
        plots.render_figures(
            ["lr-decay"], outdir=tmp_path / "a", budget="tiny", progress=False, dpi=40
        )
        plots.render_figures(
            ["lr-decay"], outdir=tmp_path / "b", budget="tiny", progress=False, dpi=80
        )
    for name in ("lr-decay.png", "index.json", "README.md"):
        assert _mode(tmp_path / "a" / name) == 0o644, name
    (wa, ha), (wb, hb) = (
        _png_size(tmp_path / "a" / "lr-decay.png"),
        _png_size(tmp_path / "b" / "lr-decay.png"),
    )
    assert abs(wb / wa - 2) < 0.1 and abs(hb / ha - 2) < 0.1, (wa, ha, wb, hb)
    assert json.loads((tmp_path / "b" / "index.json").read_text())[0]["dpi"] == 80


def test_cli_dpi_option(tmp_path):
    from typer.testing import CliRunner

    from numbanet.cli import app

    runner = CliRunner()
    sizes = []
    for dpi in (40, 80):
        out = tmp_path / str(dpi)
        res = runner.invoke(
            app, ["figures", "lr-decay", "--outdir", str(out), "--no-progress", "--dpi", str(dpi)]
        )
        assert res.exit_code == 0, res.output
        sizes.append(_png_size(out / "lr-decay.png"))
    assert abs(sizes[1][0] / sizes[0][0] - 2) < 0.1
    res = runner.invoke(app, ["figures", "lr-decay", "--outdir", str(tmp_path), "--dpi", "5"])
    assert res.exit_code != 0 and "--dpi must be between 10 and 1200" in res.output
    with pytest.raises(plots_error()):
        plots.render_figures(["lr-decay"], outdir=tmp_path, dpi="high", progress=False)


def plots_error():
    from numbanet.errors import ValidationError

    return ValidationError


def test_default_dpi_is_150():
    import inspect

    assert inspect.signature(plots.render_figures).parameters["dpi"].default == 150


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_settings_and_command_go_into_the_metadata_and_the_index(tmp_path, fmt):
    res = plots.render_figures(
        ["momentum-bias-correction"],
        outdir=tmp_path,
        fmt=fmt,
        budget="tiny",
        progress=False,
        dpi=30,
        lang="es",
    )
    assert res[0]["status"] == "ok", res
    cmd = "numbanet figures momentum-bias-correction --lang es"
    assert res[0]["command"] == cmd
    raw = (tmp_path / f"momentum-bias-correction.{fmt}").read_bytes()
    if fmt == "png":
        from PIL import Image

        info = Image.open(tmp_path / "momentum-bias-correction.png").text
        assert info["Source"] == cmd and "Presupuesto: mínimo." in info["Description"]
        assert info["Title"] == res[0]["title"] and info["Software"] == "numbanet"
    elif fmt == "pdf":
        assert b"numbanet figures momentum-bias-correction" in raw and b"/Title" in raw
    else:
        text = raw.decode("utf-8")
        assert "<dc:title>" in text and cmd in text
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert index[0]["command"] == cmd and index[0]["title"] == res[0]["title"]
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert f"`{cmd}`" in readme and "Las figuras de las clases" in readme
