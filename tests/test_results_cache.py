"""The results cache of long experiments (issue 19, item 5): a hit for the same settings, a miss
when any setting (or numbanet's version) changes, ``--fresh`` recomputes, damaged entries are
recomputed, nothing is pickled; claim 9 and the full depth-accuracy figure share one entry."""

import json
import zipfile

import numpy as np
import pytest

import numbanet
from numbanet.errors import ValidationError
from numbanet.experiments import cache


class _Counted:
    """An experiment that records how often it really ran."""

    def __init__(self):
        self.calls = []

    def __call__(self, seeds, epochs, note=None):
        self.calls.append((tuple(seeds), epochs))
        rng = np.random.default_rng(sum(seeds) + epochs)
        return {
            "acc": rng.uniform(90, 100, (len(seeds), 4)),
            "curves": rng.uniform(0, 1, (len(seeds), 4, epochs)).astype(np.float32),
            "depths": [1, 2, 3, 4],
            "epochs": epochs,
            "label": "sweep",
            "extra": {"best": 0.5, "per_seed": np.arange(len(seeds))},
        }


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], dict):
            _same(a[k], b[k])
        elif isinstance(a[k], np.ndarray):
            assert a[k].dtype == b[k].dtype
            np.testing.assert_array_equal(a[k], b[k])
        else:
            assert a[k] == b[k], k


def test_same_settings_hit_other_settings_miss(tmp_path):
    run = _Counted()
    s1 = dict(seeds=(0, 1), epochs=3)
    first = cache.cached("demo", s1, run, where=tmp_path)
    again = cache.cached("demo", dict(seeds=[0, 1], epochs=3), run, where=tmp_path)  # list = tuple
    assert run.calls == [((0, 1), 3)]  # the second call was a hit
    _same(first, again)
    assert first["curves"].dtype == np.float32 and first["extra"]["per_seed"].dtype.kind == "i"
    # any changed setting is another entry: computed, and the first one is kept
    cache.cached("demo", dict(seeds=(0, 1), epochs=4), run, where=tmp_path)
    cache.cached("demo", dict(seeds=(0, 1, 2), epochs=3), run, where=tmp_path)
    assert run.calls[1:] == [((0, 1), 4), ((0, 1, 2), 3)]
    assert len(list(tmp_path.glob("demo.*.npz"))) == 3
    cache.cached("demo", s1, run, where=tmp_path)
    assert len(run.calls) == 3


def test_a_new_numbanet_version_invalidates(tmp_path, monkeypatch):
    run = _Counted()
    s = dict(seeds=(0,), epochs=2)
    cache.cached("demo", s, run, where=tmp_path)
    monkeypatch.setattr(numbanet, "__version__", numbanet.__version__ + ".post1")
    assert not cache.is_cached("demo", s, where=tmp_path)
    cache.cached("demo", s, run, where=tmp_path)
    assert len(run.calls) == 2


def test_fresh_recomputes_and_overwrites(tmp_path):
    run = _Counted()
    s = dict(seeds=(0,), epochs=2)
    cache.cached("demo", s, run, where=tmp_path)
    cache.cached("demo", s, run, fresh=True, where=tmp_path)
    with cache.recompute():
        cache.cached("demo", s, run, where=tmp_path)
    assert len(run.calls) == 3
    cache.cached("demo", s, run, where=tmp_path)  # the context is over: a hit again
    assert len(run.calls) == 3
    assert len(list(tmp_path.glob("demo.*.npz"))) == 1


def test_damaged_or_foreign_entries_are_recomputed(tmp_path):
    run = _Counted()
    s = dict(seeds=(0,), epochs=2)
    cache.cached("demo", s, run, where=tmp_path)
    f = cache.path("demo", s, where=tmp_path)
    f.write_bytes(b"not a zip file")
    cache.cached("demo", s, run, where=tmp_path)
    assert len(run.calls) == 2 and cache.is_cached("demo", s, where=tmp_path)
    # another experiment's entry copied under this name is not read as this one
    other = cache.path("demo", dict(seeds=(5,), epochs=2), where=tmp_path)
    cache.cached("demo", dict(seeds=(5,), epochs=2), run, where=tmp_path)
    f.write_bytes(other.read_bytes())
    assert not cache.is_cached("demo", s, where=tmp_path)


def test_entries_are_plain_npz_without_pickles(tmp_path):
    run = _Counted()
    s = dict(seeds=(0,), epochs=2)
    cache.cached("demo", s, run, where=tmp_path)
    f = cache.path("demo", s, where=tmp_path)
    with np.load(f, allow_pickle=False) as z:  # raises if anything needed unpickling
        meta = json.loads(str(z["__meta__"][()]))
        assert all(z[k].dtype != object for k in z.files)
    assert meta["settings"] == {"seeds": [0], "epochs": 2} and meta["experiment"] == "demo"
    assert zipfile.is_zipfile(f)
    with pytest.raises(ValidationError, match="dtype object"):
        cache.cached("bad", {}, lambda: {"x": np.array([None])}, where=tmp_path)
    with pytest.raises(ValidationError, match="cache key"):
        cache.key("demo", {"f": object()})


def test_the_cache_folder_follows_numbanets_cache_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBANET_CACHE", str(tmp_path / "c"))
    assert cache.folder() == tmp_path / "c" / "results"
    p = cache.path("vanishing.depth_accuracy", {"epochs": 30})
    assert p.parent == tmp_path / "c" / "results" and p.suffix == ".npz"


def test_claim_9_and_the_full_figure_share_one_cached_run(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from numbanet import claims
    from numbanet.claims import _core
    from numbanet.cli import app
    from numbanet.experiments import vanishing
    from numbanet.plots import depth

    monkeypatch.setenv("NUMBANET_CACHE", str(tmp_path))
    monkeypatch.setattr(_core, "_data_available", lambda name: True)
    calls = []

    def fake_depth_accuracy(seeds, epochs, depths, backend, n_train, n_val):
        # the slide's numbers plus a seed-dependent wobble: stands in for 20 MNIST trainings
        calls.append(tuple(seeds))
        acc = np.array([[96.48, 96.90, 96.57, 96.53]]) + 0.05 * np.arange(len(seeds))[:, None]
        return {
            "acc": acc,
            "mean": acc.mean(axis=0),
            "std": acc.std(axis=0, ddof=1),
            "curves": np.repeat(acc[:, :, None], epochs, axis=2),
            "depths": list(depths),
        }

    monkeypatch.setattr(vanishing, "depth_accuracy", fake_depth_accuracy)
    full = vanishing.DEPTH_ACCURACY_FULL
    assert full["epochs"] == 30 and len(full["seeds"]) >= 5
    fig = depth.compute_depth_accuracy(budget="full")  # numbanet figures --full computes ...
    assert calls == [tuple(full["seeds"])] and fig["acc"].shape == (len(full["seeds"]), 4)
    r = claims.check(9)  # ... and the claim reads it back
    assert calls == [tuple(full["seeds"])]
    assert r.verdict in ("holds", "approx") and "reused from the cache" in r.method
    assert r.computed["mean %"] == pytest.approx(np.round(fig["mean"], 2).tolist())
    # --fresh recomputes
    out = CliRunner().invoke(app, ["claims", "9", "--json", "--fresh"])
    assert out.exit_code == 0, out.output
    assert len(calls) == 2 and "computed and cached" in json.loads(out.output)[0]["method"]
    CliRunner().invoke(app, ["claims", "9", "--json"])
    assert len(calls) == 2
    assert cache.is_cached("vanishing.depth_accuracy", full)
    assert not cache.is_cached("vanishing.depth_accuracy", dict(full, epochs=29))


def test_an_unwritable_cache_folder_costs_the_reuse_not_the_result(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    exp = _Counted()
    with pytest.warns(UserWarning, match="not cached"):
        res = cache.cached("sweep", {"seeds": [1], "epochs": 2}, exp, where=blocker)
    assert res["epochs"] == 2 and exp.calls == [((1,), 2)]
