"""numbanet.experiments.landscape and its figures (issue 20 items 9 and 13): critical points and
Hessian spectra of a small MLP, Auer's single neuron, and exploding gradients."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from numbanet.errors import ValidationError  # noqa: E402
from numbanet.experiments import landscape as L  # noqa: E402
from numbanet.plots import landscape as P  # noqa: E402


def _draw_both(draw, data, tmp_path, name):
    import matplotlib.pyplot as plt

    for lang in ("en", "es"):
        fig = draw(data, lang=lang)
        path = tmp_path / f"{name}-{lang}.png"
        fig.savefig(path, dpi=30)
        plt.close(fig)
        assert path.stat().st_size > 1000


# --------------------------------------------------------------------------- Hessians
def test_engine_gradient_and_hessian_match_finite_differences():
    net, x, y = L.saddle_problem(hidden=2, n=8, seed=1)
    theta = net.get_flat()
    loss, g = L.loss_and_gradient(net, x, y, theta)
    h = 1e-6
    fd = np.array(
        [
            (
                L.loss_and_gradient(net, x, y, theta + h * e)[0]
                - L.loss_and_gradient(net, x, y, theta - h * e)[0]
            )
            / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(g, fd, atol=1e-8)
    H = L.hessian(net, x, y, theta)
    np.testing.assert_allclose(H, H.T)
    # the Hessian's action matches the change of the gradient along a random direction
    v = np.random.default_rng(0).standard_normal(theta.size)
    dg = (
        L.loss_and_gradient(net, x, y, theta + 1e-5 * v)[1]
        - L.loss_and_gradient(net, x, y, theta - 1e-5 * v)[1]
    ) / 2e-5
    np.testing.assert_allclose(H @ v, dg, atol=1e-6)


def test_critical_points_include_saddles_and_minima():
    d = L.critical_points(hidden=3, starts=3, seed=0)  # one free, one 2-tied, one all-tied start
    assert np.all(d["grad_norm"] < 1e-9)
    assert np.any(d["index"] > 0), d["index"]  # a saddle: some negative curvature
    assert np.any(d["index"] == 0)  # and a minimum
    # the free start ends at a minimum; tying all units gives a saddle above it
    free, tied = d["tied"] == 1, d["tied"] == 3
    assert np.all(d["index"][free] == 0) and np.all(d["index"][tied] > 0)
    assert d["loss"][tied].min() > d["loss"][free].min()
    for ev, idx in zip(d["eigenvalues"], d["index"]):  # each index counts negative eigenvalues
        assert int(np.sum(ev < -1e-6 * np.max(np.abs(ev)))) == idx


def test_tied_start_ties_the_first_units():
    th = L.tied_start(3, 2, np.random.default_rng(0))
    w1, b1, w2 = th[:3], th[3:6], th[6:9]
    assert w1[0] == w1[1] != w1[2] and b1[0] == b1[1] and w2[0] == w2[1]


# ------------------------------------------------------------------------ Auer's neuron
def test_auer_neuron_has_two_to_the_d_minima():
    for d in (1, 2, 3):
        minima, converged = L.auer_minima(d, starts=128, seed=0)
        assert len(minima) == 2**d, (d, minima)
        assert converged > 0
        # each coordinate of a minimum sits at one of the two 1-D minima (about -2.2 and 0)
        near = np.minimum(np.abs(minima + 2.197), np.abs(minima + 0.025))
        assert np.all(near < 0.01), minima
    with pytest.raises(ValidationError):
        L.auer_data(0)


def test_auer_gradient_is_the_engines():
    import numbanet as nb

    X, y = L.auer_data(2)
    w = np.array([0.3, -0.7])
    net = nb.Sequential(
        [nb.Dense(2, 1, bias=False), nb.Sigmoid()], backend="reference", dtype=np.float64, seed=0
    )
    net.layers[0].W.value = w[None, :]
    net.zero_grad()
    p = net.forward(X, training=True)
    net.backward(p - y[:, None])
    _, g = L.auer_loss_and_gradient(w[None, :], X, y)
    np.testing.assert_allclose(np.asarray(net.layers[0].W.grad).ravel(), g[0], atol=1e-14)


def test_saddle_points_figure(tmp_path):
    d = P.compute_saddle_points(budget="tiny", backend="reference")
    assert np.any(d["index"] > 0)
    np.testing.assert_array_equal(d["auer_minima"], 2 ** d["dims"])
    _draw_both(P.draw_saddle_points, d, tmp_path, "saddle-points")


# ------------------------------------------------------------------- exploding gradients
def test_variance_recursion_explodes_above_he():
    v = L.variance_growth(factors=(1.0, 2.0), depth=10, width=32, measure_nets=0)
    layers = np.arange(1, 11)
    # E[(z^1)^2] = d v E[x^2] = 2c (the input is not rectified), then x c per layer: 2 c^l
    np.testing.assert_allclose(v["forward_1.0"], 2.0)  # He: constant
    np.testing.assert_allclose(v["forward_2.0"], 2.0 * 2.0**layers)


def test_nielsen_chain_multiplies_by_w_over_4():
    ch = L.sigmoid_chain(depth=5, w=100.0)
    np.testing.assert_allclose(ch["grad_b"], ch["formula"], rtol=1e-12)
    np.testing.assert_allclose(ch["grad_b"][:-1] / ch["grad_b"][1:], 25.0, rtol=1e-12)


def test_chain_rule_of_deck_004_is_the_engines_gradient():
    cr = L.chain_rule_check(n_chains=40, seed=3)
    assert cr["max_rel_diff"] < 1e-8  # equal, up to rounding, wherever no unit saturates
    np.testing.assert_allclose(cr["engine"], cr["formula"], rtol=1e-3)
    assert np.all(cr["s_prime_product"] <= 0.25**3)


def test_exploding_gradients_figure_clipping_trains_where_plain_sgd_diverges(tmp_path):
    d = P.compute_exploding_gradients(budget="tiny", backend="reference")
    cl = d["clipping"]
    assert np.all(np.isfinite(cl["clipped_loss"]))
    assert cl["clipped_loss"][-1] < cl["clipped_initial_loss"]  # clipping trains
    plain = cl["plain_loss"]
    # without clipping the first steps blow the loss up (or it diverges to NaN)
    assert np.isnan(plain).any() or np.nanmax(plain) > 10 * cl["plain_initial_loss"]
    _draw_both(P.draw_exploding_gradients, d, tmp_path, "exploding-gradients")
