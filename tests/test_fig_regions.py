"""The linear-region figures: every number they print, recomputed and checked."""

import numpy as np
import pytest

from numbanet.experiments import udl
from numbanet.plots import capacity as CAP
from numbanet.plots import composition as C
from numbanet.plots import regions as RG
from numbanet.plots._style import hidden_layers
from numbanet.theory import regions as R


def test_compose_1d_counts_3_4_12():
    d = C.compute_compose_1d()
    assert (d["net1"]["pieces"], d["net2"]["pieces"], d["net2(net1)"]["pieces"]) == (3, 4, 12)
    assert len(d["net2(net1)"]["breaks"]) == 11
    assert d["net1"]["x"].shape == d["net1"]["y"].shape == (801,)


def test_folding_counts_9_and_36_and_three_folds_cover_the_range():
    d = C.compute_folding()
    assert d["net1(net1)"]["pieces"] == 9 and d["net2(net1(net1))"]["pieces"] == 36
    assert len(d["folds"]) == 3 and d["net2_pieces"] == 4
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = C.draw_folding(d, "en")
    assert "3 x 3 = 9, 9 x 4 = 36" in fig.get_suptitle()  # the products, from the counts
    assert [_title_pieces(ax) for ax in fig.axes[1:]] == [[9], [36]]
    plt.close(fig)
    for _, _, y0, y1 in d["folds"]:  # each fold runs (about) over the whole of [-1, 1]
        assert min(y0, y1) <= -0.99 and max(y0, y1) >= 0.99


def test_compose_vs_shallow_respects_d_plus_1():
    d = C.compute_compose_vs_shallow(budget="reduced")
    assert d["deep"]["pieces"] == 12
    assert d["bound"] == 7 and 1 <= d["shallow"]["pieces"] <= 7
    assert np.isfinite(d["mse"]) and d["mse"] > 1e-4  # 7 pieces cannot fit 12


def _title_pieces(ax):
    import re

    return [int(n) for n in re.findall(r"(\d+) (?:linear pieces|tramos lineales)", ax.get_title())]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_compose_vs_shallow_titles_are_the_counted_pieces(lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numbanet.plots._style import style

    d = C.compute_compose_vs_shallow(budget="reduced")
    for key in ("deep", "shallow"):  # exact count == slope changes on a fine grid == dots + 1
        c = d[key]
        assert c["pieces"] == c["grid_pieces"] == len(c["breaks"]) + 1, key
    with style():
        fig = C.draw_compose_vs_shallow(d, lang)
        axes = fig.axes
        assert _title_pieces(axes[0]) == [d["deep"]["pieces"]]
        assert _title_pieces(axes[1])[0] == d["shallow"]["pieces"]
        # every breakpoint is drawn as a dot; two panels, no zoom (tests/test_fig_reviewer.py)
        dots = [ln for ln in axes[1].lines if ln.get_marker() == "o" and ln.get_markersize() < 10]
        assert len(dots[0].get_xdata()) == len(d["shallow"]["breaks"])
        assert len(axes) == 2
        plt.close(fig)


def test_grid_pieces_agrees_with_count_1d_on_the_slide_nets():
    nets = C._nets()
    for key in ("net1", "net2", "net2(net1)", "net1(net1)"):
        assert C.grid_pieces(nets[key], -1.0, 1.0) == R.count_1d(nets[key], -1.0, 1.0).pieces, key


def test_compose_2d_counts_match_count_2d():
    d = C.compute_compose_2d(budget="reduced")
    s, c = d["shallow"], d["composed"]
    assert s["regions"] == 7 == R.zaslavsky(2, 3)  # three lines in general position in the box
    assert len(s["polygons"]) == s["regions"] and len(c["polygons"]) == c["regions"]
    assert c["regions"] > s["regions"] and c["pieces"] <= c["regions"]
    layers = udl.shallow_2d_layers() + udl.net2_layers()
    assert c["regions"] == R.count_2d(layers, (-1, 1, -1, 1)).regions
    assert c["regions"] <= R.serra_upper(2, [3, 3])


def test_compose_2d_splits_boundaries_into_piece_and_region_edges():
    d = C.compute_compose_2d(budget="reduced")
    s, c = d["shallow"], d["composed"]
    assert s["regions"] == s["pieces"] and not s["edges"]["region"]  # no two regions merge
    assert c["regions"] > c["pieces"] and c["edges"]["region"]  # net2's flat top merges some
    # every dashed edge lies inside the flat piece: the output's gradient is zero on both sides
    layers = udl.shallow_2d_layers() + udl.net2_layers()
    for seg in c["edges"]["region"]:
        mid = seg.mean(0)
        for off in ((1e-4, 0), (-1e-4, 0), (0, 1e-4), (0, -1e-4)):
            z = R.forward(
                layers, np.array([mid + off, mid + off + (1e-6, 0), mid + off + (0, 1e-6)])
            )
            assert np.allclose(z[1:] - z[0], 0, atol=1e-12)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for lang in ("en", "es"):
        fig = C.draw_compose_2d(d, lang)
        t = fig.axes[2].get_title()
        assert f"{c['regions']} " in t and f"{c['pieces']} " in t
        assert ("Linear piece:" if lang == "en" else "Tramo lineal:") in fig.get_supxlabel()
        plt.close(fig)


def test_deep_as_clipping_sums_to_the_output():
    d = C.compute_deep_as_clipping()
    assert d["check"] < 1e-12  # phi0 + sum of the weighted clipped units is the net's output
    assert d["z2"].shape == (1000, 3) and np.all(d["h2"] >= 0)
    assert d["pieces"] == R.count_1d(udl.clipping_layers(), 0.0, 1.0).pieces
    assert 1 < d["pieces"] <= R.serra_upper(1, [3, 3])
    assert all(1 <= p <= 4 for p in d["z2_pieces"])  # 3 layer-1 units: at most 4 pieces


def test_deep_as_clipping_weight_labels_sit_above_every_line():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numbanet.plots._style import style

    d = C.compute_deep_as_clipping()
    with style():
        fig = C.draw_deep_as_clipping(d, "en")
        labelled = [ax for ax in fig.axes if any("phi'_" in t.get_text() for t in ax.texts)]
        assert len(labelled) == 3
        for j, ax in enumerate(labelled):
            lo, hi = ax.get_ylim()
            top = max(d["weighted"][:, j].max(), 0.0)  # the curve and the zero line
            assert (hi - top) / (hi - lo) > 0.2, j  # the label's band (top 20 %) is empty
        plt.close(fig)


def test_regions_per_parameter_marks_the_slide_points():
    d = RG.compute_regions_per_parameter()
    assert d["points"][1] == (471, 161051.0)
    assert d["points"][10][0] == 10801 and d["points"][10][1] > 1e40
    for (d_in, K), (p, r) in d["curves"].items():
        assert all(np.diff(p) > 0) and all(np.diff(r) >= 0), (d_in, K)
    # at about 1,000 parameters with one input, 5 layers beat the shallow net by > 1e3
    p1, r1 = d["curves"][(1, 1)]
    p5, r5 = d["curves"][(1, 5)]
    assert np.interp(3, np.log10(p5), np.log10(r5)) - np.interp(3, np.log10(p1), np.log10(r1)) > 3


def _texts(fig):
    return [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_regions_per_parameter_writes_powers_of_ten_in_mathtext(lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numbanet.plots._style import style

    d = RG.compute_regions_per_parameter()
    e = int(np.floor(np.log10(d["points"][10][1])))
    with style():
        fig = RG.draw_regions_per_parameter(d, lang)
        texts = _texts(fig)
        assert not any("e+" in t for t in texts)
        assert any(rf"\times10^{{{e}}}" in t for t in texts), e
        plt.close(fig)
    assert RG._sci(1.796e41) == r"$1.8\times10^{41}$" and RG._sci(9.96e9) == r"$1.0\times10^{10}$"


def test_regions_depth_width_counts_respect_the_bounds(monkeypatch):
    d = RG.compute_regions_depth_width(budget="reduced")
    assert set(d["panels"]) == {(1, "depth"), (1, "width"), (2, "depth"), (2, "width")}
    for key, rows in d["panels"].items():
        for r in rows:
            assert len(r["random"]) == len(r["trained"]) == d["seeds"]
            assert max(r["random"] + r["trained"]) <= r["upper"], (key, r)
            if r["lower"] is not None:
                assert r["lower"] <= r["upper"]
    # random 1-D nets with random biases have more than the 2 regions of zero-bias He nets
    assert np.mean(d["panels"][(1, "depth")][-1]["random"]) > 2


def test_regions_depth_width_legend_sits_outside_the_panels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numbanet.plots._style import style

    d = RG.compute_regions_depth_width(budget="reduced")
    with style():
        fig = RG.draw_regions_depth_width(d, "en")
        assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
        fig.canvas.draw()
        box = fig.legends[0].get_window_extent()
        assert all(box.y1 <= ax.get_window_extent().y0 for ax in fig.axes)  # below every panel
        plt.close(fig)


def test_space_folding_multiplies_by_four_per_fold():
    d = RG.compute_space_folding_2d()
    counts = [p["regions"] for p in d["panels"]]
    assert counts[0] == 7
    assert counts == [7 * 4**f for f in range(4)], counts  # every fold copies all 7 regions
    for p in d["panels"]:
        assert len(p["polygons"]) == p["regions"] <= p["upper"]
        # mirror symmetry: the last layer's pattern takes the same few values in every fold
        assert len(set(p["colour"].tolist())) <= 7


def test_hidden_layer_counts_are_pluralised():
    assert (
        hidden_layers("en", 1) == "1 hidden layer" and hidden_layers("en", 3) == "3 hidden layers"
    )
    assert hidden_layers("es", 1) == "1 capa oculta" and hidden_layers("es", 2) == "2 capas ocultas"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = RG.compute_space_folding_2d()
    assert d["panels"][0]["depth"] == 1
    for lang, bad in (("en", "1 hidden layers"), ("es", "1 capas")):
        fig = RG.draw_space_folding_2d(d, lang)
        assert not any(bad in ax.get_title() for ax in fig.axes)
        plt.close(fig)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_region_figure_draws(lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numbanet.plots._style import style

    cheap = {
        "compose_1d": C.compute_compose_1d(),
        "folding": C.compute_folding(),
        "compose_2d": C.compute_compose_2d(budget="reduced"),
        "deep_as_clipping": C.compute_deep_as_clipping(),
        "regions_per_parameter": RG.compute_regions_per_parameter(),
        "space_folding_2d": RG.compute_space_folding_2d(),
    }
    with style():
        for name, data in cheap.items():
            mod = RG if name in ("regions_per_parameter", "space_folding_2d") else C
            fig = getattr(mod, f"draw_{name}")(data, lang=lang)
            assert fig.axes and all(
                ax.has_data() for ax in fig.axes if ax.get_label() != "<colorbar>"
            )
            plt.close(fig)


def test_wide_vs_deep_trains_every_net_above_chance():
    d = CAP.compute_wide_vs_deep(epochs=3, seeds=1)
    for name, rows in d["families"].items():
        params = [r["params"] for r in rows]
        assert params == sorted(params) and len(rows) == (7 if name == "shallow" else 6), name
        assert all(R.parameter_count([40, *r["hidden"], 10]) == r["params"] for r in rows)
        assert all(0.1 < a <= 1 for r in rows for a in r["test_accuracy"]), name
    # the shallow family spans the deep one, so every deep net is compared at equal parameters
    rows = udl.wide_vs_deep_comparison(d)
    assert [p for p, _ in rows] == [r["params"] for r in d["families"]["deep"]]
    for lang in ("en", "es"):
        note = CAP._wide_vs_deep_note(d, lang)
        assert f"{sum(g > 0 for _, g in rows)} {'of' if lang == 'en' else 'de'} {len(rows)}" in note


def _fake_wide_vs_deep(deep_acc):
    shallow = [
        {"hidden": [w], "params": p, "test_accuracy": [0.5]}
        for w, p in ((8, 100), (16, 1000), (32, 10000))
    ]
    deep = [
        {"hidden": [w] * 3, "params": p, "test_accuracy": [a]}
        for w, p, a in zip((8, 16, 32), (200, 2000, 9000), deep_acc)
    ]
    return {"families": {"shallow": shallow, "deep": deep}}


def test_wide_vs_deep_note_says_whether_the_claim_holds():
    assert "\nholds here." in CAP._wide_vs_deep_note(_fake_wide_vs_deep([0.6, 0.6, 0.6]), "en")
    assert "NOT hold" in CAP._wide_vs_deep_note(_fake_wide_vs_deep([0.4, 0.4, 0.4]), "en")
    assert "only from 2,000 parameters up" in CAP._wide_vs_deep_note(
        _fake_wide_vs_deep([0.4, 0.6, 0.6]), "en"
    )
    assert "some sizes" in CAP._wide_vs_deep_note(_fake_wide_vs_deep([0.6, 0.4, 0.6]), "en")
    assert "NO se cumple" in CAP._wide_vs_deep_note(_fake_wide_vs_deep([0.4, 0.4, 0.4]), "es")


def test_random_labels_nets_have_about_15k_parameters_and_deep_fits_first():
    # the reduced budget itself (500 random labels, plain GD at lr 0.04: about 8 s)
    d = CAP.compute_mnist1d_random_labels(budget="reduced")
    params = [r["params"] for r in d["nets"]]
    assert params == [15208, 15210, 15235, 15319]
    fits = []
    for r in d["nets"]:
        assert r["epochs"][:3].tolist() == [0, 10, 20]
        assert 80 < r["train_error"][0] <= 100  # random labels: about 90 % error at the start
        assert r["train_error"][-1] == 0 and r["fit_epoch"] == r["epochs"][-1]  # stops at fit
        assert np.diff(r["train_error"]).max() < 3  # smooth: no spikes of the unstable lr 0.5
        fits.append(r["fit_epoch"])
    # every deeper net memorises all the random labels in fewer epochs (UDL fig. 20.2)
    assert all(a > b for a, b in zip(fits, fits[1:])), fits
    assert udl.random_labels_ordered(d)


def test_random_labels_verdict_reports_a_failed_ordering():
    nets = [{"fit_epoch": f} for f in (900, 500, 300, 400)]
    assert not udl.random_labels_ordered({"nets": nets})
    nets = [{"fit_epoch": f} for f in (None, 500, 300, 200)]  # 1 layer never fits: still ordered
    assert udl.random_labels_ordered({"nets": nets})
    nets[2]["fit_epoch"] = None
    assert not udl.random_labels_ordered({"nets": nets})


@pytest.mark.parametrize("lang", ["en", "es"])
def test_training_region_figures_draw(lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numbanet.plots._style import style

    wide = CAP.compute_wide_vs_deep(epochs=1, seeds=1)
    rand = CAP.compute_mnist1d_random_labels(epochs=4, n_train=100, record_every=2)
    with style():
        for fig in (CAP.draw_wide_vs_deep(wide, lang), CAP.draw_mnist1d_random_labels(rand, lang)):
            assert fig.axes[0].has_data() and (fig.get_suptitle() or fig.axes[0].get_title())
            plt.close(fig)
