"""The figure catalogue as ``numbanet figures`` runs it, and the data of the figures no other
test computes.

* ``render_figures`` and ``write_index`` on their success path: files written, ``index.json`` and
  ``README.md`` listing them, earlier records kept (a few cheap figures, default lane);
* the whole catalogue rendered on the test-only ``tiny`` budget into a temporary folder, every id
  in ``index.json`` with a file that exists (slow lane: drawing 41 figures and compiling their
  kernels takes longer than a default-lane test should);
* one property of the computed data of each of the twelve figures otherwise computed by no test
  (noise-ball, minibatch-noise, momentum-bias-correction, optimizers, lr-decay,
  convex-vs-nonconvex, rnn-lstm, birnn-labelling, rbm, autoencoder, autoencoder-uses,
  layerwise-pretraining).
"""

import json

import numpy as np
import pytest

from numbanet import plots
from numbanet.errors import ValidationError
from numbanet.plots.catalog import CATALOG


def _index(outdir):
    return json.loads((outdir / "index.json").read_text())


# ============================================================================ render and index
def test_render_figures_writes_files_and_the_index(tmp_path):
    ids = ["lr-decay", "momentum-bias-correction"]
    res = plots.render_figures(ids, outdir=tmp_path, budget="tiny", progress=False, dpi=20)
    assert [r["id"] for r in res] == ids
    assert all(r["status"] == "ok" for r in res), res
    index = _index(tmp_path)
    order = [f.id for f in CATALOG]
    assert [r["id"] for r in index] == sorted(ids, key=order.index)  # catalogue order
    for r in index:
        assert (tmp_path / r["path"]).stat().st_size > 500 and r["budget"] == "tiny"
    readme = (tmp_path / "README.md").read_text()
    assert all(f"![{i}]({i}.png)" in readme for i in ids)
    # a later run of one figure keeps the other's record, and an unknown budget is refused
    plots.render_figures(["noise-ball"], outdir=tmp_path, budget="tiny", progress=False, dpi=20)
    assert [r["id"] for r in _index(tmp_path)] == sorted(ids + ["noise-ball"], key=order.index)
    with pytest.raises(ValidationError, match="budget"):
        plots.render_figures(["lr-decay"], outdir=tmp_path, budget="huge", progress=False)


@pytest.mark.slow
def test_the_whole_catalogue_renders_on_the_tiny_budget(tmp_path, shared_data):
    res = plots.render_figures(outdir=tmp_path, budget="tiny", progress=False, dpi=20)
    bad = [(r["id"], r["message"]) for r in res if r["status"] != "ok"]
    assert not bad, bad
    index = _index(tmp_path)
    assert [r["id"] for r in index] == [f.id for f in CATALOG]
    for r in index:
        assert r["status"] == "ok" and (tmp_path / r["path"]).is_file(), r
        assert (tmp_path / r["path"]).stat().st_size > 500
        # slide-ready titles: one line, no budget, command or code names (those are in the index)
        assert r["title"] and "\n" not in r["title"], r
        assert not any(b in r["title"].lower() for b in ("--full", "reduced budget", "count_2d")), r
        assert r["command"].startswith(f"numbanet figures {r['id']}"), r


def test_budget_names_are_checked():
    with pytest.raises(ValidationError, match="budget"):
        plots.compute("lr-decay", budget="big")


# ============================================================================ the ten computes
def test_noise_ball_curves_settle_below_the_bound():
    d = plots.compute("noise-ball", budget="reduced")
    assert d["alphas"] == (0.02, 0.05, 0.1)
    exact = [d["exact"][a] for a in d["alphas"]]
    assert all(d["exact"][a] <= d["bound"][a] for a in d["alphas"])
    assert exact[0] < exact[1] < exact[2]  # a larger step, a larger ball
    for a in d["alphas"]:
        t, mean, sem = d["curves"][a]
        assert mean[0] == pytest.approx(12.0)  # ||w0 - w*||^2: 2 on each of 3 coordinates
        # the Monte-Carlo mean settles at the exact stationary value (last quarter of the run)
        tail = slice(3 * len(t) // 4, None)
        assert abs(mean[tail].mean() - d["exact"][a]) < 5 * sem[tail].mean() + 0.1 * d["exact"][a]


def test_minibatch_noise_shrinks_like_one_over_b():
    d = plots.compute("minibatch-noise", budget="reduced")
    B, exact, bound, mc = d["B"], d["exact"], d["bound"], d["mc"]
    assert np.all(np.diff(exact) < 0) and np.all(exact <= bound)
    # about 1/B: from B = 1 to 64 the ball shrinks by more than 10
    assert exact[0] / exact[-1] > 10
    assert np.all(np.abs(mc[:, 0] - exact) < 5 * mc[:, 1] + 0.05 * exact), (mc, exact)
    assert list(B) == [1, 2, 4, 8, 16, 32, 64]


def test_momentum_bias_correction_for_a_constant_gradient():
    d = plots.compute("momentum-bias-correction", budget="tiny")
    t = d["t"]
    np.testing.assert_allclose(d["plain"]["m"], 1 - 0.9**t, rtol=1e-12)  # m_t = (1 - b^t) g
    np.testing.assert_allclose(d["corrected"]["m"] / (1 - 0.9**t), 1.0, rtol=1e-12)
    np.testing.assert_allclose(d["plain"]["eff_lr"], 0.1 * (1 - 0.9), rtol=1e-12)
    np.testing.assert_allclose(d["corrected"]["eff_lr"], 0.1 * (1 - 0.9) / (1 - 0.9**t), rtol=1e-12)


def test_optimizers_paths_and_curves(shared_data):
    d = plots.compute("optimizers", budget="tiny")
    labels = {
        "SGD",
        "Momentum",
        "Nesterov",
        "Adagrad",
        "RMSProp",
        "RMSProp (bias-corrected)",
        "Adam",
    }
    assert set(d["paths"]) == set(d["curves"]) == labels
    for name, p in d["paths"].items():
        dist = np.linalg.norm(p - d["w_star"], axis=1)
        assert np.allclose(p[0], [-4.0, 2.5]) and dist[-1] < 0.5 * dist[0], name
    for name, (loss, acc) in d["curves"].items():
        assert len(loss) == len(acc) == d["epochs"] == 2, name
        assert np.all(np.isfinite(loss)) and loss[-1] < loss[0], name  # every optimiser learns
        assert np.all((acc >= 0) & (acc <= 1)), name


def test_lr_decay_schedules_start_at_alpha0_and_decay():
    d = plots.compute("lr-decay")
    e, rates = d["e"], d["rates"]
    assert len(rates) == 5
    for name, r in rates.items():
        assert r[0] == pytest.approx(0.1) and np.all(np.diff(r) <= 1e-15), name
    np.testing.assert_allclose(rates["α₀ / √e"], 0.1 / np.sqrt(e))
    np.testing.assert_allclose(rates["α₀ γ^(e−1), γ = 0.95"], 0.1 * 0.95 ** (e - 1))
    np.testing.assert_allclose(rates["α₀ (1 + δ)/(1 + δ e), δ = 0.1"], 0.1 * 1.1 / (1 + 0.1 * e))


def test_convex_vs_nonconvex():
    d = plots.compute("convex-vs-nonconvex", budget="reduced")
    # a logistic neuron's loss along a line is convex: second differences are non-negative
    assert np.all(np.diff(d["convex"], 2) >= -1e-12)
    # the MLP's two permuted minima have the same loss, and a barrier lies between them
    s, loss = d["s"], d["nonconvex"]
    at = {v: loss[np.argmin(np.abs(s - v))] for v in (0.0, 1.0)}
    assert at[0.0] == pytest.approx(at[1.0], rel=1e-9)
    between = loss[(s > 0) & (s < 1)]
    assert between.max() > 1.5 * at[0.0]


def test_rnn_lstm_gradients_through_time():
    d = plots.compute("rnn-lstm", budget="tiny")
    for name, g in d["grads"].items():
        assert g.shape == (d["T"],) and np.all(g > 0), name
    rnn, lstm = d["grads"]["rnn (orthogonal)"], d["grads"]["lstm"]
    assert rnn[0] < 1e-2 * rnn[-1]  # vanishes through 49 tanh steps
    assert lstm[0] > 100 * rnn[0]  # the LSTM's cell carries it
    for kind in ("rnn", "lstm"):
        assert len(d["curves"][kind]) == 1 and 0 <= d["curves"][kind][0] <= 1


def test_birnn_labelling_tags_every_step():
    d = plots.compute("birnn-labelling", budget="tiny")
    for tag in d["tagging"].values():
        assert 0 <= tag["onset"] <= 1 and np.all((tag["prob"] > 0) & (tag["prob"] < 1))
        assert len(tag["prob"]) == len(d["example"]["x"])


def test_rbm_reconstructs_better_than_the_mean_image(shared_data):
    from numbanet.data import load_mnist

    d = plots.compute("rbm", budget="tiny")
    assert np.asarray(d["filters"]).shape == (100, 784)
    rec = np.asarray(d["reconstructions"])
    assert rec.shape == np.asarray(d["originals"]).shape == (10, 784)
    assert np.all((rec >= 0) & (rec <= 1))
    x = load_mnist().x_test[:2000].astype(np.float64)
    baseline = np.mean(np.sum((x - x.mean(0)) ** 2, axis=1))
    assert d["test_error"] < baseline, (d["test_error"], baseline)


def test_autoencoder_code_and_uses(shared_data):
    d = plots.compute("autoencoder", budget="tiny")
    codes = np.asarray(d["codes"])
    assert codes.shape == (len(d["labels"]), 2) and np.all(np.isfinite(codes))
    assert np.asarray(d["manifold"]).shape == (81, 784)
    assert d["code_losses"][-1] < d["code_losses"][0]
    acc = plots.compute("autoencoder-uses", budget="tiny")["accuracy"]
    assert set(acc) == {"raw", "features", "reconstructions", "joint"}
    assert all(0 <= a <= 1 for a in acc.values())


def test_layerwise_pretraining_measures_every_method(shared_data):
    d = plots.compute("layerwise-pretraining", budget="tiny")
    s = d["settings"]
    for m in ("random", "autoencoder", "rbm"):
        r = d["results"][m]
        assert len(r["val_accuracy"]) == len(s["seeds"])
        epochs = s["random_epochs"] if m == "random" else s["finetune_epochs"]
        assert all(len(v) == epochs for v in r["val_accuracy"])
        assert all(len(sp) == len(s["sizes"]) - 2 for sp in r["speeds"])
        assert all(q >= 1 for q in r["speed_ratio"])
        layers = r["pretrain_loss"][0]
        assert len(layers) == (0 if m == "random" else len(s["sizes"]) - 2), m
