"""numbanet.experiments.approximation and its figures (issue 20 items 3, 8, 11, 12): depth
efficiency on the sawtooth, the constructive universal approximation, polynomial activations and
width against dimension. Each test asserts the property the figure shows."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from numbanet.errors import ValidationError  # noqa: E402
from numbanet.experiments import approximation as A  # noqa: E402
from numbanet.plots import approximation as P  # noqa: E402
from numbanet.theory import regions as R  # noqa: E402


def _draw_both(draw, data, tmp_path, name):
    import matplotlib.pyplot as plt

    for lang in ("en", "es"):
        fig = draw(data, lang=lang)
        path = tmp_path / f"{name}-{lang}.png"
        fig.savefig(path, dpi=30)
        plt.close(fig)
        assert path.stat().st_size > 1000
        assert fig.numbanet_details  # settings go to the index, not onto the figure


# ------------------------------------------------------------------------ depth efficiency
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_sawtooth_net_is_exact_with_2k_units_and_2_to_the_k_pieces(k):
    net = A.sawtooth_net(k)
    x = np.linspace(0.0, 1.0, 1025)
    np.testing.assert_allclose(net.predict(x[:, None]).ravel(), A.sawtooth(x, k), atol=1e-12)
    assert R.count_1d(net, 0.0, 1.0).pieces == 2**k
    assert sum(layer.W.shape[0] for layer in net.layers[:-1:2]) == 2 * k


def test_shallow_fit_exact_at_2_to_the_k_knots_and_never_below_half_with_fewer_than_a_knot_per_tooth():
    k = 4
    _, err, pieces = A.shallow_sawtooth_fit(k, 2**k)
    assert err < 1e-9 and pieces == 2**k
    for h in range(1, 2 ** (k - 1)):  # fewer knots than teeth: some tooth is fitted by a line
        _, err, pieces = A.shallow_sawtooth_fit(k, h)
        assert err >= 0.5 - 1e-9, (h, err)
        assert pieces <= h + 1


def test_depth_efficiency_figure(tmp_path):
    d = P.compute_depth_efficiency(budget="tiny", backend="reference")
    np.testing.assert_array_equal(d["deep_pieces"], 2 ** d["k"])
    np.testing.assert_array_equal(d["deep_units"], 2 * d["k"])
    for e in d["eps"]:
        m = d["measured"][float(e)]
        assert np.all(m >= d["lower_bound"])  # no fit beats the one-knot-per-tooth bound
        assert np.all(np.diff(m) > 0) and m[-1] > d["deep_units"][-1]
    _draw_both(P.draw_depth_efficiency, d, tmp_path, "depth-efficiency")


# ------------------------------------------------------------------- universal approximation
def test_steps_bumps_and_towers():
    x = np.linspace(0.0, 1.0, 1001)[:, None]
    step = A.step_net(1e4, 0.4).predict(x).ravel()
    assert np.all(step[x[:, 0] < 0.39] < 1e-6) and np.all(step[x[:, 0] > 0.41] > 1 - 1e-6)
    bump = A.pair_bump_net(0.3, 0.6, 0.8, 1e4).predict(x).ravel()
    inside = (x[:, 0] > 0.31) & (x[:, 0] < 0.59)
    outside = (x[:, 0] < 0.29) | (x[:, 0] > 0.61)
    np.testing.assert_allclose(bump[inside], 0.8, atol=1e-6)
    np.testing.assert_allclose(bump[outside], 0.0, atol=1e-6)
    with pytest.raises(ValidationError):
        A.pair_bump_net(0.6, 0.3, 1.0, 10.0)
    t = A.tower_net(lambda a, b: (np.isclose(a, 0.5) & np.isclose(b, 0.5)).astype(float), 5)
    pts = np.array([[0.5, 0.5], [0.1, 0.5], [0.5, 0.9], [0.9, 0.1]])
    v = t.predict(pts).ravel()
    assert v[0] > 0.99 and np.all(np.abs(v[1:]) < 0.01)


def test_ua_construction_error_falls_with_bumps(tmp_path):
    d = P.compute_ua_construction(budget="tiny", backend="reference")
    e = d["max_error"]
    assert np.all(np.diff(e) < 0), e  # it must fall
    assert e[-1] < 0.5 * e[0]
    # the towers approximate the 2-D target on average (their corners fail: all four towers
    # meeting there see a sum below the threshold)
    assert d["towers_mean_error"] < 0.15
    _draw_both(P.draw_ua_construction, d, tmp_path, "ua-construction")


def test_bump_error_keeps_falling_to_fine_resolution():
    e = A.bump_errors(P._nielsen_f, (8, 32, 128))
    assert e[0] > e[1] > e[2] and e[2] < 0.03  # about 3.4 / n


# ------------------------------------------------------------------ polynomial activations
def test_polynomial_activation_plateaus_at_the_best_polynomial(tmp_path):
    d = P.compute_polynomial_activation(budget="tiny", backend="reference")
    for act, deg in (("square", 2), ("cube", 3)):
        e = d["error"][act].mean(axis=0)
        # from H = deg units on (plus the output bias), the net is the best polynomial of degree
        # <= deg (least squares on the training points), whatever H is: a plateau
        tail = e[d["widths"] >= deg]
        np.testing.assert_allclose(tail, d["poly_error"][act], rtol=1e-6)
    assert d["poly_error"]["cube"] < 0.5 * d["poly_error"]["square"]  # a higher degree helps
    relu = d["error"]["relu"].mean(axis=0)
    sig = d["error"]["sigmoid"].mean(axis=0)
    assert relu[-1] < 0.25 * d["poly_error"]["cube"] and relu[-1] < relu[0]
    assert sig[-1] < 0.25 * d["poly_error"]["cube"] and sig[-1] < sig[0]
    _draw_both(P.draw_polynomial_activation, d, tmp_path, "polynomial-activation")


def test_polynomial_hidden_features_span_degree_p_polynomials():
    rng = np.random.default_rng(0)
    net = A.random_hidden_net(1, 20, "square", rng)
    x = np.linspace(-1, 1, 50)[:, None]
    h = A.hidden_features(net, x, "square")
    assert np.linalg.matrix_rank(h, tol=1e-8) == 3  # span{1, x, x^2}, whatever the width
    with pytest.raises(ValidationError):
        A.random_hidden_net(1, 3, "cosine", rng)


# ------------------------------------------------------------------- width against dimension
def test_width_grows_with_dimension(tmp_path):
    d = P.compute_width_vs_dimension(budget="tiny", backend="reference")
    e1, e2 = d["error"][1].mean(axis=0), d["error"][2].mean(axis=0)
    assert np.all(e2 > e1)  # at every width, the 2-D problem is fitted worse
    assert np.isfinite(d["needed"][0])
    assert not np.isfinite(d["needed"][1]) or d["needed"][1] > d["needed"][0]
    _draw_both(P.draw_width_vs_dimension, d, tmp_path, "width-vs-dimension")


def test_crossing_interpolates_in_log_log():
    assert A.crossing([1, 4], [1.0, 0.25], 0.5) == pytest.approx(2.0)
    assert np.isnan(A.crossing([1, 2], [1.0, 0.9], 0.5))
    assert A.crossing([3, 6], [0.1, 0.05], 0.5) == 3.0
