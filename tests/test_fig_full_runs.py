"""Full-budget figure runs (issue 19, item 1): a full figure's results are cached by its
settings so a second rendering (the Spanish set, another format) draws them without training
again; ``--jobs`` renders in worker processes with the same records and files as one process;
the Spanish files and ``--list`` speak Spanish."""

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from numbanet import plots
from numbanet.cli import app
from numbanet.errors import ValidationError
from numbanet.experiments import cache
from numbanet.plots import _jobs, render
from numbanet.plots._stored import decode, encode


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """``noise-ball``'s compute replaced by a counted stand-in, the cache in ``tmp_path``."""
    monkeypatch.setenv("NUMBANET_CACHE", str(tmp_path / "cache"))
    calls = []

    def compute(seed=0, backend="cpu", budget="reduced"):
        calls.append((seed, budget))
        rng = np.random.default_rng(seed)
        return {"curve": rng.normal(size=5), "alphas": (0.1, 0.2), "note": {"n": 3}}

    info = render._info("noise-ball")
    real = render._functions

    def functions(i):
        return (compute, real(i)[1]) if i.id == info.id else real(i)

    monkeypatch.setattr(render, "_functions", functions)
    return calls


def test_a_full_figure_is_computed_once_per_settings(counted):
    a = render.figure_data("noise-ball", seed=1, budget="full")
    b = render.figure_data("noise-ball", seed=1, budget="full")
    assert len(counted) == 1  # the second call read the stored results
    np.testing.assert_array_equal(a["curve"], b["curve"])
    assert a["alphas"] == b["alphas"] == (0.1, 0.2)  # stored exactly: still a tuple
    assert a["note"] == {"n": 3}
    render.figure_data("noise-ball", seed=2, budget="full")  # another seed: another entry
    assert len(counted) == 2
    render.figure_data("noise-ball", seed=1, budget="reduced")  # reduced runs are not cached
    render.figure_data("noise-ball", seed=1, budget="reduced")
    assert len(counted) == 4
    with cache.recompute():  # --fresh
        render.figure_data("noise-ball", seed=1, budget="full")
    assert len(counted) == 5


def test_data_the_cache_cannot_store_is_computed_each_time(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBANET_CACHE", str(tmp_path))
    calls = []

    def compute(seed=0, backend="cpu", budget="reduced"):
        calls.append(1)
        return {"net": object(), "by_alpha": {0.1: np.ones(3)}}  # an object: not storable

    real = render._functions
    monkeypatch.setattr(
        render, "_functions", lambda i: (compute, real(i)[1]) if i.id == "lr-decay" else real(i)
    )
    for _ in range(2):
        d = render.figure_data("lr-decay", budget="full")
        assert list(d["by_alpha"]) == [0.1]
    assert len(calls) == 2
    assert not list(tmp_path.rglob("*.npz"))


def test_stored_figure_data_comes_back_exactly():
    data = {
        "curves": {0.05: np.arange(3.0), (2, "depth"): [np.ones(2, np.float32), np.int64(7)]},
        "alphas": (0.02, 0.05),
        "grid": [np.zeros((2, 2)), (1, None, True)],
        "best": float("nan"),
        "worst": -float("inf"),
        "mask": np.array([True, False]),
        "name": "sgd",
    }
    back = decode(*encode(data))
    assert back.keys() == data.keys() and back["alphas"] == (0.02, 0.05)
    assert set(back["curves"]) == {0.05, (2, "depth")}
    np.testing.assert_array_equal(back["curves"][0.05], np.arange(3.0))
    one, seven = back["curves"][(2, "depth")]
    assert one.dtype == np.float32 and isinstance(seven, np.int64) and seven == 7
    assert back["grid"][1] == (1, None, True) and isinstance(back["grid"][1], tuple)
    assert np.isnan(back["best"]) and back["worst"] == -np.inf
    assert back["mask"].dtype == bool and back["name"] == "sgd"
    with pytest.raises(ValidationError, match="not stored"):
        encode({"labels": np.array(["a", "b"])})


def test_a_real_figure_draws_the_same_from_its_stored_results(tmp_path):
    """noise-ball's data (dicts keyed by step sizes, tuples): the PNG drawn from the stored form
    is the PNG drawn from the computed data."""
    data = plots.compute("noise-ball", budget="tiny")
    pngs = []
    for d in (data, decode(*encode(data))):
        fig = plots.plot("noise-ball", data=d)
        out = tmp_path / f"{len(pngs)}.png"
        fig.savefig(out, dpi=30)
        pngs.append(np.asarray(Image.open(out)))
    np.testing.assert_array_equal(pngs[0], pngs[1])


def test_jobs_render_the_same_records_and_files(tmp_path):
    ids = ["lr-decay", "momentum-bias-correction", "noise-ball"]
    one = plots.render_figures(ids, outdir=tmp_path / "one", budget="tiny", progress=False, dpi=20)
    two = plots.render_figures(
        ids, outdir=tmp_path / "two", budget="tiny", progress=False, dpi=20, jobs=2
    )
    assert [r["id"] for r in two] == ids  # the order asked for, whatever finished first
    for a, b in zip(one, two, strict=True):
        assert b["status"] == "ok", b
        assert {k: v for k, v in a.items() if k not in ("seconds", "path")} == {
            k: v for k, v in b.items() if k not in ("seconds", "path")
        }
        pa, pb = np.asarray(Image.open(a["path"])), np.asarray(Image.open(b["path"]))
        np.testing.assert_array_equal(pa, pb)  # seeded: the same pixels
    index = json.loads((tmp_path / "two" / "index.json").read_text())
    assert [r["id"] for r in index] == sorted(ids, key=[f.id for f in plots.CATALOG].index)
    with pytest.raises(ValidationError, match="jobs"):
        plots.render_figures(ids, outdir=tmp_path, budget="tiny", progress=False, jobs=0)


def test_a_skipped_figure_in_a_worker_is_recorded_and_the_rest_render(tmp_path, monkeypatch):
    # MNIST nowhere (neither the data folder nor the cache) and its download failing (a mirror
    # on 127.0.0.1 that refuses connections): lenet is skipped with a message
    monkeypatch.setenv("NUMBANET_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("NUMBANET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NUMBANET_MNIST_MIRRORS", "http://127.0.0.1:9/")
    res = plots.render_figures(
        ["lr-decay", "lenet"], outdir=tmp_path, budget="tiny", progress=False, dpi=20, jobs=2
    )
    by = {r["id"]: r for r in res}
    assert by["lr-decay"]["status"] == "ok"
    assert by["lenet"]["status"] in ("skipped", "error")
    assert by["lenet"]["message"]


def test_spanish_files_label_their_metadata_in_spanish(tmp_path):
    plots.render_figures(
        ["lr-decay"], outdir=tmp_path, budget="tiny", progress=False, dpi=20, lang="es"
    )
    about = Image.open(tmp_path / "lr-decay.png").info["Description"]
    assert "Presupuesto: mínimo." in about and "Orden: numbanet figures lr-decay" in about
    assert "Budget:" not in about and "Command:" not in about


def test_the_figure_list_in_spanish():
    es = CliRunner().invoke(app, ["figures", "--list", "--lang", "es"])
    en = CliRunner().invoke(app, ["figures", "--list"])
    assert es.exit_code == 0 and en.exit_code == 0
    info = plots.CATALOG[0]
    assert info.description_es and info.description_es in es.stdout
    assert info.description in en.stdout and info.description not in es.stdout
    bad = CliRunner().invoke(app, ["figures", "--jobs", "0", "lr-decay"])
    assert bad.exit_code != 0 and "--jobs" in bad.output


def test_workers_start_with_the_figures_an_earlier_run_found_longest(tmp_path):
    (tmp_path / "index.json").write_text(
        json.dumps(
            [
                {"id": "noise-ball", "seconds": 3.0, "budget": "full", "status": "ok"},
                {"id": "optimizers", "seconds": 90.0, "budget": "full", "status": "ok"},
                {"id": "lr-decay", "seconds": 500.0, "budget": "reduced", "status": "ok"},
            ]
        )
    )
    assert _jobs._expected_seconds(tmp_path, "full") == {"noise-ball": 3.0, "optimizers": 90.0}
    assert _jobs._expected_seconds(tmp_path / "none", "full") == {}
    (tmp_path / "index.json").write_text("{broken")
    assert _jobs._expected_seconds(tmp_path, "full") == {}
