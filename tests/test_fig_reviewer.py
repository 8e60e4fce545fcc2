"""Items of the reviewer's list (issue 19), each checked by the property its fix established."""

import re

import numpy as np
import pytest

from numbanet import plots
from numbanet.plots import descent, perceptron, regularization


@pytest.fixture(autouse=True)
def _agg():
    import matplotlib

    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_perceptron_training_curves_are_drawn_at_their_true_values(lang):
    d = perceptron.compute_perceptron_training(budget="tiny")
    fig = perceptron.draw_perceptron_training(d, lang)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    for name in d["names"]:
        y = np.asarray(lines[name].get_ydata(), dtype=np.float64)
        np.testing.assert_array_equal(y, np.asarray(d["errors"][name], dtype=np.float64))
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert all(float(t).is_integer() for t in ticks), ticks  # no 4.12 or -0.12 on the axis


@pytest.mark.parametrize("lang", ["en", "es"])
def test_lr_decay_draws_held_rates_as_steps(lang):
    d = descent.compute_lr_decay(budget="tiny")
    fig = descent.draw_lr_decay(d, lang)
    lines = fig.axes[0].get_lines()
    assert len(lines) == len(d["rates"])
    held = 0
    for ln, r in zip(lines, d["rates"].values()):
        r = np.asarray(r)
        if len(np.unique(r)) < len(r) / 2:  # piecewise constant, step decay
            assert ln.get_drawstyle() == "steps-post", ln.get_label()
            held += 1
        np.testing.assert_allclose(ln.get_ydata(), r)
    assert held >= 2  # the piecewise-constant schedule and the step decay


def test_error_axes_fit_the_errors():
    top = regularization._err_top
    assert top(np.array([3.0, 45.0]), np.array([10.0])) == 55.0  # not 100
    assert top(np.array([95.0])) == 100.0  # never past 100 %
    assert top(np.array([0.5])) == 5.0
    for errs in ([1.0, 17.3], [30.0, 44.9], [2.0, 80.0]):
        t = top(np.array(errs))
        assert max(errs) < t <= min(100.0, 1.15 * max(errs) + 7.0)


@pytest.mark.slow
def test_regularization_axes_are_not_0_to_100_for_small_errors(shared_data):
    fig = plots.plot("regularization", budget="tiny")
    d = fig.numbanet_data
    a, b, _, dd = fig.axes[:4]
    for ax, keys in (
        (a, ("l2_train_err", "l2_val_err", "l2_test_err")),
        (b, ("drop_plain_train", "drop_plain_test", "drop_dropout_test")),
        (dd, ("noise_train_err", "noise_test_err")),
    ):
        m = max(float(np.max(d[k])) for k in keys)
        lo, hi = ax.get_ylim()
        assert m < hi and (hi < 100.0 or m * 1.25 + 2 > 95.0), (keys, m, hi)


# ---------------------------------------------------------------- universal-approximation
def test_least_squares_output_layer_is_the_optimum_given_the_hidden_features():
    import numbanet as nb
    from numbanet.experiments._common import seq, through
    from numbanet.experiments.feedforward import fit_output_layer

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (50, 1))
    t = np.sin(2 * np.pi * x)
    net = seq([nb.Dense(1, 6), nb.Sigmoid(), nb.Dense(6, 1)], "cpu", 0)
    before = float(np.mean((net.predict(x) - t) ** 2))
    mse = fit_output_layer(net, x, t)
    assert mse < before
    assert mse == pytest.approx(float(np.mean((net.predict(x) - t) ** 2)), rel=1e-3)
    # the net now holds the least-squares output layer: any other (W, b) on the same hidden
    # features does worse on the training data
    Phi = np.hstack([through(net, x, 2), np.ones((50, 1))])
    coef = np.concatenate([net.layers[2].W.value.ravel(), net.layers[2].b.value.ravel()])

    def cost(c):
        return float(np.mean((Phi @ c - t[:, 0]) ** 2))

    assert cost(coef) == pytest.approx(mse, rel=1e-9)
    for _ in range(20):
        assert cost(coef + 1e-3 * rng.standard_normal(coef.shape)) > cost(coef)


def test_universal_approximation_error_decreases_with_hidden_units():
    d = plots.compute("universal-approximation", budget="tiny")
    rms = np.asarray(d["rms"])
    assert list(d["units"]) == [1, 2, 4, 8, 16, 32]
    assert np.all(np.diff(rms) < 0), rms  # the theorem's trend, H = 1 to 32
    assert rms[-1] < 0.1 * rms[0]


# ---------------------------------------------------------------- optimizers
def test_momentum_curves_differ_from_sgd_on_mnist1d(shared_data):
    d = descent.compute_optimizers(budget="tiny")
    curves, lrs = d["curves"], d["lr_curve"]
    # the EWMA momentum at SGD's alpha would only average the same steps (curves coincide):
    # its rate is SGD's divided by (1 - beta1), the classical heavy-ball step
    assert lrs["Momentum"] == pytest.approx(lrs["SGD"] / (1 - 0.9))
    assert lrs["Nesterov"] == lrs["Momentum"]
    for name in ("Momentum", "Nesterov"):
        assert not descent._coinciding(curves, ("SGD", name)), name
        assert curves[name][0][-1] < 0.9 * curves["SGD"][0][-1], name  # and they learn faster


# ---------------------------------------------------------------- rnn-lstm
def test_rnn_gradient_panels_measure_both_tasks_and_seeds_are_averaged():
    """The orthogonal RNN's gradient vanishes on rnn-lstm's noisy task and survives on
    rnn-orthogonal's blank one: each figure draws the gradient of its own task (the split's
    own checks are tests/test_fig_split.py)."""
    from numbanet.plots import recurrent

    d = plots.compute("rnn-lstm", budget="tiny")
    b = plots.compute("rnn-orthogonal", budget="tiny")
    noisy, blank = d["grads"]["rnn (orthogonal)"], b["grads_blank"]["rnn (orthogonal)"]
    assert blank.shape == (b["T_init"],) and noisy.shape == (d["T"],)
    # per step back, the orthogonal RNN loses far less gradient on blank steps than on noise:
    # why it vanishes in one figure and solves a longer recall in the other
    decay_noisy = (noisy[0] / noisy[-1]) ** (1 / (len(noisy) - 1))
    decay_blank = (blank[0] / blank[-1]) ** (1 / (len(blank) - 1))
    assert decay_blank > decay_noisy and decay_blank > 0.9
    for c in b["init_curves"].values():
        assert c.ndim == 2 and c.shape[0] >= 2  # seeds x epochs
    for lang in ("en", "es"):
        fig = recurrent.draw_rnn_lstm(d, lang)
        assert len(fig.axes[1].get_lines()) == len(d["grads"])
        fig = recurrent.draw_rnn_orthogonal(b, lang)
        assert len(fig.axes[1].get_lines()) == len(b["grads_blank"])
        drawn = [np.asarray(ln.get_ydata(), dtype=float) for ln in fig.axes[0].get_lines()]
        for c in b["init_curves"].values():  # the mean, and every seed at its true values
            assert any(np.array_equal(y, c.mean(axis=0)) for y in drawn)
            for row in c:
                assert any(np.array_equal(y, row) for y in drawn)


# ---------------------------------------------------------------- gd-vs-sgd
@pytest.mark.parametrize("lang", ["en", "es"])
def test_gd_vs_sgd_equal_steps_one_rate_separate_panels(lang):
    d = descent.compute_gd_vs_sgd(budget="tiny")
    lens = {len(p) for p in d["runs"].values()}
    assert lens == {d["steps"] + 1}  # the same number of updates for every method
    dist = {k: np.linalg.norm(p - d["optimum"], axis=1) for k, p in d["runs"].items()}
    gd, sgd = dist["GD"], dist["SGD (b = 1)"]
    # SGD's noise near w*: over the last quarter it stays further away than GD and never settles
    q = d["steps"] // 4
    assert np.median(sgd[-q:]) > 3 * np.median(gd[-q:])
    assert np.std(sgd[-q:]) > 10 * np.std(gd[-q:])
    fig = descent.draw_gd_vs_sgd(d, lang)
    path_axes = fig.axes[:3]
    for ax, pts in zip(path_axes, d["runs"].values()):
        drawn = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1]
        assert len(drawn) == 1  # one path per panel: nothing overplotted
        np.testing.assert_array_equal(drawn[0].get_xdata(), pts[:, 0])
    assert len(fig.axes[3].get_lines()) == 3
    assert len({(ax.get_xlim(), ax.get_ylim()) for ax in path_axes}) == 1  # one window for all


# ---------------------------------------------------------------- noise-ball
@pytest.mark.parametrize("lang", ["en", "es"])
def test_noise_ball_states_c_sigma2_and_a_nonzero_mu2(lang):
    d = descent.compute_noise_ball(budget="tiny")
    assert d["c"] == pytest.approx(1.0) and d["sigma2"] == pytest.approx(3.0)
    for a in d["alphas"]:
        mu2 = d["mu2"][a]
        assert mu2 > 0  # the mu^2 half of the bound is exercised
        assert d["bound"][a] == pytest.approx(a * (d["sigma2"] + mu2) / (2 * d["c"]))
        assert d["exact"][a] <= d["bound"][a] * (1 + 1e-12)
    fig = descent.draw_noise_ball(d, lang)
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "c = 1" in text and "σ² = 3" in text and "μ²" in text
    labels = " ".join(fig.axes[0].get_legend_handles_labels()[1])
    assert labels.count("μ² =") == len(d["alphas"])


# ---------------------------------------------------------------- xor-mlp
@pytest.mark.parametrize("lang", ["en", "es"])
def test_xor_mlp_says_when_it_found_another_decomposition_than_the_slide(lang):
    from numbanet.plots import hidden

    assert hidden.slide_decomposition(["NAND", "OR"]) and hidden.slide_decomposition(["OR", "NAND"])
    assert not hidden.slide_decomposition(["x₂ AND NOT x₁", "x₁ AND NOT x₂"])
    d = hidden.compute_xor_mlp(budget="tiny")
    slide_note = {"en": "the slide: OR, NAND", "es": "la diapositiva: OR, NAND"}[lang]
    for gates, noted in ((["x₂ AND NOT x₁", "x₁ AND NOT x₂"], True), (["OR", "NAND"], False)):
        fig = hidden.draw_xor_mlp(dict(d, unit_gates=gates), lang)
        assert (slide_note in fig.axes[1].get_title()) is noted


# ---------------------------------------------------------------- autoencoder
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "es"])
def test_autoencoder_has_a_one_line_title_tying_its_panels(lang, shared_data):
    fig = plots.plot("autoencoder", budget="tiny", lang=lang)
    title = fig.get_suptitle()
    assert title and "\n" not in title
    assert ("autoencoder" if lang == "en" else "autocodificador") in title.lower()


# ---------------------------------------------------------------- depth-accuracy
@pytest.mark.parametrize("lang", ["en", "es"])
def test_depth_accuracy_uses_a_linear_axis_with_a_zoom_on_the_last_epochs(lang):
    from numbanet import slides
    from numbanet.plots import depth

    rng = np.random.default_rng(0)
    epochs, seeds = 8, 5
    rise = 100 - 40 * np.exp(-np.arange(1, epochs + 1))  # deep nets start slowly
    curves = np.minimum(99.0, rise[None, None, :] - rng.uniform(0, 4, (seeds, 4, 1)))
    acc = curves[:, :, -1]
    data = dict(
        acc=acc,
        mean=acc.mean(axis=0),
        std=acc.std(axis=0, ddof=1),
        curves=curves,
        depths=np.array([1, 2, 3, 4]),
        seeds=np.arange(seeds),
        epochs=epochs,
        slide=np.array(slides.DEPTH_ACCURACY),
        slide_epochs=30,
        budget="full",
    )
    fig = depth.draw_depth_accuracy(data, lang)
    a1 = fig.axes[0]
    assert a1.get_yscale() == "linear"
    lo, hi = a1.get_ylim()
    assert lo <= curves.min() and hi == 100.0  # nothing cut, the true scale
    (ins,) = a1.child_axes
    zlo, zhi = ins.get_ylim()
    tail = curves[:, :, epochs // 2 - 1 :]
    assert zlo < tail.min() and tail.max() < zhi and (zhi - zlo) < 0.5 * (hi - lo)


# ---------------------------------------------------------------- layerwise-pretraining
def test_pretraining_steps_count_every_minibatch_of_both_phases():
    from numbanet.plots.unsupervised import pretraining_steps

    s = dict(
        n_train=4000,
        sizes=[784, 256, 256, 256, 10],
        pretrain_epochs=2,
        top_epochs=1,
        pretrain_batch_size=20,
        finetune_epochs=3,
        batch_size=32,
    )
    # 3 hidden layers x 2 epochs of 200 minibatches of 20, 1 top epoch of 125 minibatches of
    # 32; 3 x 125 fine-tuning steps
    assert pretraining_steps(s) == (1200 + 125, 375)
    assert pretraining_steps(dict(s, n_train=4001)) == (6 * 201 + 126, 3 * 126)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_layerwise_pretraining_compares_at_the_same_total_steps(lang, shared_data):
    from numbanet.plots import unsupervised

    d = unsupervised.compute_layerwise_pretraining(budget="tiny")
    s, res = d["settings"], d["results"]
    pre, fine = unsupervised.pretraining_steps(s)
    assert s["match_steps"] and s["pretrain_steps"] == pre > 0
    # every method ends at the same total number of gradient steps; random init starts at 0,
    # the pre-trained nets after their pre-training steps
    ends = {m: r["steps"][0][-1] for m, r in res.items()}
    assert set(ends.values()) == {pre + fine}
    assert res["random"]["steps"][0][0] == 0 and res["autoencoder"]["steps"][0][0] == pre
    assert len(res["random"]["val_accuracy"][0]) == s["random_epochs"] > s["finetune_epochs"]
    fig = unsupervised.draw_layerwise_pretraining(d, lang)
    curve = fig.axes[0].get_lines()[0]  # the first seed's random-init curve
    assert curve.get_xdata()[-1] == pre + fine
    note = fig.get_supxlabel()
    assert ("same total" if lang == "en" else "mismos pasos") in note
    assert str(pre) in note.replace(",", "").replace(" ", "")


def test_layerwise_pretraining_reduced_budget_is_small():
    from numbanet.plots.unsupervised import LAYERWISE_BUDGETS as B

    # the reduced budget renders in seconds (7.9 CPU seconds measured): small net, 1,000 digits
    assert B["reduced"]["n_train"] <= 1000 and max(B["reduced"]["sizes"][1:-1]) <= 128
    assert B["full"]["n_seeds"] >= 5


@pytest.mark.parametrize("lang", ["en", "es"])
def test_rbm_has_a_one_line_title(lang, shared_data):
    fig = plots.plot("rbm", budget="tiny", lang=lang)
    title = fig.get_suptitle()
    assert title and "\n" not in title and "MNIST" in title


@pytest.mark.parametrize("lang", ["en", "es"])
def test_compose_vs_shallow_has_no_zoom_panel_and_states_a_too_short_piece(lang):
    """Both panels show the whole of [-1, 1] (no third of the width spent zooming on a
    0.0002-wide piece); a piece shorter than ZOOM_GAP is ringed and its width stated in one line."""
    from numbanet.plots import composition as C

    d = C.compute_compose_vs_shallow(budget="tiny")
    for close, stated in (((0.17453, 0.17475), True), ((-0.5, 0.25), False)):
        fig = C.draw_compose_vs_shallow({**d, "closest": close}, lang)
        assert len(fig.axes) == 2
        for ax in fig.axes:
            assert ax.get_xlim() == (-1.0, 1.0)
        legend = fig.axes[1].get_legend().get_title().get_text()
        rings = [ln for ln in fig.axes[1].lines if ln.get_markersize() >= 10]
        assert ("0.0002" in legend) == stated, legend
        assert len(rings) == int(stated)
        if stated:
            assert rings[0].get_xdata()[0] == close[0]
            assert "\n" not in legend  # one line


def _points_under_legends(fig):
    """The plotted data points (line vertices and scatter offsets, in display pixels, inside
    their own axes) that lie inside some legend's box, as (legend's axes index, label, x, y)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [(i, ax.get_legend()) for i, ax in enumerate(fig.axes) if ax.get_legend()]
    legends += [(-1, lg) for lg in fig.legends]
    hidden = []
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        artists = [(ln.get_label(), ln.get_transform(), ln.get_xydata()) for ln in ax.get_lines()]
        artists += [
            (c.get_label(), c.get_offset_transform(), c.get_offsets()) for c in ax.collections
        ]
        for label, transform, xy in artists:
            xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
            xy = xy[np.isfinite(xy).all(axis=1)]
            if not len(xy):
                continue
            for px, py in transform.transform(xy):
                if not box.contains(px, py):  # clipped away: not drawn
                    continue
                for i, lg in legends:
                    if lg.get_window_extent(renderer).contains(px, py):
                        hidden.append((i, label, float(px), float(py)))
    return hidden


#: the reduced run's L2 sweep (figures/regularization.png before the fix): the training error at
#: lambda = 100 (37 %) sat under the legend in the upper-right corner
_L2_REDUCED = dict(
    l2_lambda=np.array([0.0, 3.0, 10.0, 30.0, 100.0]),
    l2_train_err=np.array([1.5, 3.0, 9.9, 22.4, 37.0]),
    l2_val_err=np.array([21.7, 20.3, 19.4, 16.8, 28.3]),
    l2_test_err=np.array([25.6, 24.3, 21.7, 19.4, 30.3]),
    l2_weight_norm=np.array([33.0, 29.0, 20.0, 8.0, 2.5]),
    l2_pick=3,
)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_regularization_legends_hide_no_data_point(lang, shared_data):
    """No legend box of the figure covers a plotted point (the L2 legend hid the training error
    at the largest lambda): checked with the renderer's window extents, on the tiny run and on
    the reduced run's L2 numbers."""
    from numbanet.plots._style import style

    d = regularization.compute_regularization(budget="tiny")
    for data in (d, {**d, **_L2_REDUCED}):
        with style():
            fig = regularization.draw_regularization(data, lang)
            assert _points_under_legends(fig) == []


# ------------------------------------------------------------------ the claims' table (item 5)
def _table_rows(readme, head):
    """The rows (lists of cells) of the Markdown table that follows heading ``head``."""
    text = readme.split(head + "\n", 1)[1]
    rows = [ln for ln in text.split("\n## ", 1)[0].splitlines() if ln.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


def test_claim_values_are_shortened_from_the_json_values():
    from numbanet.plots.render import claim_value

    assert claim_value(list(range(4, 64, 3))) == "[4, 7, 10, …, 61 (20 values)]"
    assert claim_value({"a": 1.23456789, "b|c": "<= 1e-12"}) == "a: 1.235<br>b\\|c: &lt;= 1e-12"
    assert claim_value([96.48, 96.9]) == "[96.48, 96.9]"
    assert claim_value(list(range(30)), "es").endswith("(30 valores)]")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_index_tabulates_the_claims_json_beside_it(tmp_path, lang):
    """write_index adds the claims' table, row for row from claims.json (for the Spanish set,
    the one a folder up), with the verdict each claim must reach and the one it reached."""
    import json

    from numbanet.plots import render

    claims = [
        dict(
            id=1,
            statement="a " * 80,
            slide_value={"regions": 7},
            computed={"regions": 7},
            verdict="holds",
            failed=False,
            expected={"regions": ["holds", "approx"]},
        ),
        dict(
            id=2,
            statement="x | y",
            slide_value=[1.5, 2.0],
            computed={"x": 1.25, "y": 2.0},
            verdict="differs",
            failed=False,
            expected={"x": ["differs"], "y": ["holds", "approx"]},
        ),
    ]
    (tmp_path / "claims.json").write_text(json.dumps(claims))
    outdir = tmp_path / "es" if lang == "es" else tmp_path
    outdir.mkdir(exist_ok=True)
    render.write_index(outdir, [], lang=lang)
    readme = (outdir / "README.md").read_text(encoding="utf-8")
    head = render._CLAIMS_TEXT[lang]["head"]
    rows = _table_rows(readme, head)
    assert rows == render.claims_rows(claims, lang)
    assert [r[0] for r in rows] == ["1", "2"]
    assert len(rows[0][1]) <= render.CLAIM_STATEMENT + 2 and rows[0][1].endswith("…")
    assert rows[1][1] == "x \\| y"
    assert rows[1][2] == "[1.5, 2]" and rows[1][3] == "x: 1.25<br>y: 2"
    if lang == "en":
        assert rows[0][4:] == ["holds or approx", "holds"]
        assert rows[1][4:] == ["differs on x", "differs"]
        assert "(claims.json)" in readme and "2 claims (1 hold, 1 differ)" in readme
    else:
        assert rows[0][4:] == ["se cumple o aprox.", "se cumple"]
        assert rows[1][4:] == ["difiere en x", "difiere"]
        assert (
            "(../claims.json)" in readme and "2 afirmaciones (1 se cumplen, 1 difieren)" in readme
        )
    (tmp_path / "claims.json").unlink()
    render.write_index(outdir, [], lang=lang)
    assert head not in (outdir / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("folder, lang", [("figures", "en"), ("figures/es", "es")])
def test_committed_index_tables_the_committed_claims(folder, lang):
    """figures/README.md (and the Spanish one) hold one row per claim of figures/claims.json, each
    with its id, statement, values and the verdicts required and reached, as the JSON says."""
    import json
    from pathlib import Path

    from numbanet.plots import render

    root = Path(__file__).resolve().parents[1]
    claims = json.loads((root / "figures" / "claims.json").read_text(encoding="utf-8"))
    readme = (root / folder / "README.md").read_text(encoding="utf-8")
    rows = _table_rows(readme, render._CLAIMS_TEXT[lang]["head"])
    assert rows == render.claims_rows(claims, lang)
    assert [int(r[0]) for r in rows] == [c["id"] for c in claims]
    verdicts = {c["id"]: c["verdict"] for c in claims}
    for r in rows:
        reached = r[5] if lang == "en" else {v: k for k, v in render._VERDICT_ES.items()}[r[5]]
        assert reached == verdicts[int(r[0])]


def test_claim_results_carry_the_verdicts_their_parts_must_reach():
    from numbanet import claims as C

    r = C.check(2)  # the slide's region count has a digit swap: expected to differ
    assert r.to_dict()["expected"]["regions"] == ["differs"]
    assert set(r.expected) == set(r.parts)
    assert all(v == ["holds", "approx"] for k, v in r.expected.items() if k != "regions")


# ---------------------------------------------------------------------------------- semeion-2d
@pytest.mark.parametrize("lang", ["en", "es"])
def test_semeion_2d_is_the_code_panel_with_the_accuracy_in_one_line(lang, shared_data):
    """One panel, the 2-D code of every digit (no accuracy-curve panel); the accuracy the run
    reached and its gain over the last quarter of the epochs in the panel title's second line."""
    from numbanet.plots import hidden

    d = hidden.compute_semeion_2d(budget="tiny")
    fig = hidden.draw_semeion_2d(d, lang)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections) == d["n"] == len(d["U"])
    second = ax.get_title().split("\n")[1]
    assert f"{100 * d['accuracy']:.1f} %" in second and str(d["epochs"]) in second


# ------------------------------------------------------------ Spanish texts inside the figure
def _texts_outside(fig, tol=1.0):
    """Every visible, non-empty text of ``fig`` whose box (renderer's window extent) leaves the
    figure's box by more than ``tol`` pixels, as (text, box). Tick labels are checked through
    their axis's tight box, which holds only the ticks drawn (matplotlib keeps stale label
    objects for ticks outside the view)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox

    def outside(b):
        return (
            b.x0 < page.x0 - tol
            or b.y0 < page.y0 - tol
            or b.x1 > page.x1 + tol
            or b.y1 > page.y1 + tol
        )

    ticks, out = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((id(tick.label1), id(tick.label2)))
            b = axis.get_tightbbox(renderer)
            if b is not None and outside(b):
                out.append((f"{axis.axis_name} axis of {ax.get_title()!r}", tuple(b.extents)))
    for t in fig.findobj(Text):
        if id(t) in ticks or not t.get_visible() or not t.get_text().strip():
            continue
        if not t.get_in_layout():
            continue
        b = t.get_window_extent(renderer)
        if outside(b):
            out.append((t.get_text(), tuple(round(v) for v in b.extents)))
    return out


@pytest.mark.parametrize(
    "fig_id", ["autoencoder", "layerwise-pretraining", "semeion-2d", "universal-approximation"]
)
def test_spanish_texts_stay_inside_the_figure(fig_id, shared_data):
    """Drawn in Spanish (longer words), no title, label or note runs past the figure's edge
    (autoencoder's and layer-wise pre-training's panel titles did)."""
    fig = plots.plot(fig_id, budget="tiny", lang="es")
    assert _texts_outside(fig) == []


# ------------------------------------------------- the Spanish index (issue 19 item 2)
#: English words that Spanish text never needs; a Spanish catalogue text holding one was not
#: translated
_ENGLISH_WORDS = {"the", "and", "with", "against", "of", "for", "from", "each", "its", "that"}


def _ordinary_words(text):
    """The lowercase words of four letters or more in ``text`` (not names, abbreviations or
    references such as "UDL fig. 20.2", "Montufar et al. 2014", "LeNet")."""
    return re.findall(r"\b[a-z]{4,}\b", text)


def test_every_catalogue_entry_has_its_slide_and_description_in_spanish():
    from numbanet.plots.catalog import CATALOG

    for info in CATALOG:
        for en, es in [(info.slide, info.slide_es), (info.description, info.description_es)]:
            assert es.strip(), f"{info.id}: no Spanish text for {en!r}"
            if _ordinary_words(en):
                assert es != en, f"{info.id}: {es!r} is the English text"
            words = set(re.findall(r"\b[a-z]+\b", es))
            assert not words & _ENGLISH_WORDS, f"{info.id}: English words in {es!r}"


def test_the_title_of_a_drawing_without_one_is_the_description_in_its_language():
    from numbanet.plots.catalog import BY_ID
    from numbanet.plots.render import catalog_text, index_title

    info = BY_ID["wide-vs-deep"]
    assert index_title("", info, "es") == info.description_es != info.description
    assert index_title("", info, "en") == info.description
    assert index_title("Anchas frente a profundas", info, "es") == "Anchas frente a profundas"
    assert catalog_text(info, "es") == (info.slide_es, info.description_es)
    assert catalog_text(info, "en") == (info.slide, info.description)


def test_a_spanish_file_without_a_drawn_title_carries_the_spanish_description(tmp_path):
    """save_figure on a drawing with no one-line title (an empty figure, nothing computed): the
    record's title and the PNG's metadata description are the catalogue's Spanish text."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from numbanet.plots.catalog import BY_ID
    from numbanet.plots.render import save_figure

    info = BY_ID["convex-vs-nonconvex"]
    rec = save_figure(plt.figure(figsize=(1, 1)), info.id, tmp_path, lang="es", dpi=20)
    assert rec["title"] == info.description_es
    meta = Image.open(tmp_path / f"{info.id}.png").text
    assert meta["Title"] == info.description_es
    assert meta["Description"].startswith(info.description_es)
    assert info.description not in meta["Description"]


def test_rewriting_the_spanish_index_turns_english_fallback_titles_into_spanish(tmp_path):
    """A kept record whose title is the English description (drawn before the catalogue had
    Spanish text) gets the Spanish one when the Spanish index is rewritten from its records;
    the English index keeps it, and a drawn title stays as it was."""
    import json

    from numbanet.plots import render
    from numbanet.plots.catalog import BY_ID

    old, drawn = BY_ID["sigmoid-vs-relu"], BY_ID["softmax"]
    records = [
        dict(id=old.id, path=None, seconds=1.5, status="ok", title=old.description),
        dict(id=drawn.id, path=None, seconds=0.5, status="ok", title="Probabilidades softmax"),
    ]
    for lang in ("en", "es"):
        outdir = tmp_path / lang
        outdir.mkdir()
        (outdir / "index.json").write_text(json.dumps(records))
        render.write_index(outdir, [], lang=lang)
        index = json.loads((outdir / "index.json").read_text(encoding="utf-8"))
        readme = (outdir / "README.md").read_text(encoding="utf-8")
        want = old.description_es if lang == "es" else old.description
        assert {r["id"]: r["title"] for r in index} == {
            old.id: want,
            drawn.id: "Probabilidades softmax",
        }
        slide = old.slide_es if lang == "es" else old.slide
        assert f"| {slide} | {want} | " in readme and f"*{slide}* (" in readme
        if lang == "es":
            assert old.description not in readme and old.slide not in readme


def test_the_committed_spanish_index_has_no_english_catalogue_text():
    import json
    from pathlib import Path

    from numbanet.plots.catalog import CATALOG

    folder = Path(__file__).resolve().parents[1] / "figures" / "es"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    titles = {r["id"]: r["title"] for r in json.loads((folder / "index.json").read_text())}
    for info in CATALOG:
        assert info.description not in readme, info.id
        assert titles.get(info.id) != info.description, info.id
        if info.slide != info.slide_es:
            assert f"| {info.slide} |" not in readme and f"*{info.slide}*" not in readme, info.id
        assert f"*{info.slide_es}* (" in readme or info.id not in titles, info.id
