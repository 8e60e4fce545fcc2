"""The fused full-batch gradient descent of UDL fig. 20.2 (``experiments.udl.full_batch_gd``)."""

import numpy as np
import pytest

import numbanet as nb
from numbanet.errors import ValidationError
from numbanet.experiments import udl


def _data(n=60, seed=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 40)).astype(np.float32), rng.integers(0, 10, size=n)


def test_full_batch_gd_takes_the_same_steps_as_fit_with_sgd():
    x, y = _data()
    fused = udl.relu_mlp(40, [12, 9], 10, 5, "cpu")
    engine = udl.relu_mlp(40, [12, 9], 10, 5, "cpu")
    run = udl.full_batch_gd(fused, x, y, lr=0.05, epochs=7, stop_at_zero=False)
    with nb.deterministic():
        engine.fit(
            x,
            y,
            loss=nb.losses.CrossEntropy(),
            optimizer=nb.optim.SGD(engine.parameters(), lr=0.05),
            epochs=7,
            batch_size=len(x),
            shuffle=False,
            progress=False,
            train_metrics=False,
        )
    assert run["done"] == 7
    for a, b in zip(fused.parameters(), engine.parameters()):
        np.testing.assert_allclose(a.value, b.value, rtol=1e-4, atol=1e-6)
    # the last record is the error of the trained weights, as the engine evaluates it
    acc = np.mean(engine.predict(x).argmax(1) == y)
    assert run["train_error"][-1] == pytest.approx(100 * (1 - acc))


def test_full_batch_gd_stops_at_the_exact_epoch_where_every_label_is_fitted():
    x, y = _data(n=20)
    net = udl.relu_mlp(40, [64], 10, 0, "cpu")
    run = udl.full_batch_gd(net, x, y, lr=0.2, epochs=2000, record_every=50)
    f = run["fit_epoch"]
    assert f is not None and run["done"] == f and run["train_error"][-1] == 0
    assert run["epochs"][-1] == f and np.all(run["train_error"][:-1] > 0)
    # one update fewer from the same start leaves at least one label wrong
    again = udl.relu_mlp(40, [64], 10, 0, "cpu")
    short = udl.full_batch_gd(again, x, y, lr=0.2, epochs=f - 1, stop_at_zero=False)
    assert short["train_error"][-1] > 0


def test_full_batch_gd_refuses_other_nets_and_bad_labels():
    x, y = _data(n=10)
    sig = nb.Sequential([nb.Dense(40, 5), nb.Sigmoid(), nb.Dense(5, 10)], seed=0)
    with pytest.raises(ValidationError, match="Dense, ReLU"):
        udl.full_batch_gd(sig, x, y, lr=0.1, epochs=2)
    net = udl.relu_mlp(40, [5], 10, 0, "cpu")
    with pytest.raises(ValidationError, match="labels must be in 0..9"):
        udl.full_batch_gd(net, x, y + 10, lr=0.1, epochs=2)


def test_random_labels_records_the_fit_and_caches_by_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBANET_CACHE", str(tmp_path))
    # record_every=1: curves of hundreds of points, stored as arrays
    kw = dict(n=40, lr=0.02, epochs=3000, record_every=1, nets=((32,), (16, 16)))
    d = udl.random_labels_cached(**kw)
    assert [r["params"] for r in d["nets"]] == [40 * 32 + 32 + 330, 40 * 16 + 16 + 272 + 170]
    for r in d["nets"]:
        assert r["fit_epoch"] is not None and r["train_error"][-1] == 0
    again = udl.random_labels_cached(**kw)  # a hit: the stored result, not a new run
    assert [r["seconds"] for r in again["nets"]] == [r["seconds"] for r in d["nets"]]
    for r, q in zip(d["nets"], again["nets"]):
        assert len(r["epochs"]) > 64
        np.testing.assert_array_equal(r["train_error"], q["train_error"])
    other = udl.random_labels_cached(**{**kw, "lr": 0.1})  # other settings: a new entry
    assert len(list((tmp_path / "results").glob("udl.random_labels.*.npz"))) == 2
    assert other["lr"] == 0.1


def test_full_budget_keeps_the_slides_examples_and_lr_times_epochs(monkeypatch):
    from numbanet import slides
    from numbanet.plots import capacity as CAP

    seen = {}

    def fake(**kw):
        seen.update(kw)
        return {"lr": kw["lr"], "n": kw["n"], "nets": []}

    monkeypatch.setattr(udl, "random_labels_cached", fake)
    d = CAP.compute_mnist1d_random_labels(budget="full")
    setup = slides.RANDOM_LABEL_SETUP
    assert seen["n"] == setup["n"] == 4000
    assert seen["lr"] * seen["epochs"] == pytest.approx(setup["lr"] * setup["epochs"])
    assert seen["lr"] * seen["epochs_1_layer"] == pytest.approx(
        setup["lr"] * setup["epochs_1_layer"]
    )
    assert d["epoch_scale"] * setup["lr"] == pytest.approx(seen["lr"])
    assert d["slide_lr"] == setup["lr"] and not d["reduced"]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_random_labels_drawn_against_the_slides_epochs(lang):
    import matplotlib.pyplot as plt

    from numbanet.plots import capacity as CAP

    d = CAP.compute_mnist1d_random_labels(epochs=4, n_train=100, record_every=2)
    d.update(epoch_scale=8, slide_lr=0.0025, reduced=False)
    fig = CAP.draw_mnist1d_random_labels(d, lang)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), np.asarray(d["nets"][0]["epochs"]) * 8)
    assert ("0.0025" if lang == "en" else "0,0025") in ax.get_xlabel()
    plt.close(fig)


def test_random_labels_ordered_lets_only_the_shallowest_nets_miss_the_cap():
    def ordered(*fits):
        return udl.random_labels_ordered({"nets": [{"fit_epoch": f} for f in fits]})

    # the full run: 1 and 2 layers short of zero error at their caps, 3 and 4 layers fitted
    assert ordered(None, None, 21886, 17118)
    assert ordered(900, 500, 300, 200) and ordered(None, 500, 300, 200)
    assert not ordered(None, 500, None, 200)  # a deeper net failing where a shallower fits
    assert not ordered(None, None, 17118, 21886)  # the fitted ones out of order
    assert not ordered(None, None, None, None)  # nothing fitted shows nothing
