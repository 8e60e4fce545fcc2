"""numbanet.theory.init_variance: the slide's recursion, measured on sampled networks.

Statistical tolerance of the measured-vs-recursion checks: every layer's measured mean over 24
sampled networks lies within 5 standard errors (across those networks) of the recursion; for tanh
and sigmoid, whose recursion assumes Gaussian pre-activations (exact only as the width grows), a
bias allowance of 5% (forward) and 10% (backward) of the recursion's value is added.
"""

import math

import numpy as np
import pytest

from numbanet.errors import ValidationError
from numbanet.theory import init_variance as IV

Z = 5.0  # standard errors


def within(measured, sem, expected, rel=0.0):
    dev = np.maximum(np.abs(measured - expected) - rel * np.abs(expected), 0.0)
    return float((dev / sem).max())


# ============================================================================ recursion


def test_he_keeps_relu_variance_constant_and_lecun_halves_it():
    widths = [100] * 51
    he = IV.forward_variance("relu", widths, "he_normal", q0=1.0)
    lecun = IV.forward_variance("relu", widths, "lecun_normal", q0=1.0)
    assert he[0] == pytest.approx(2.0)  # the first layer sees the raw inputs: d v q0
    assert np.allclose(he, 2.0, rtol=1e-14)
    assert np.allclose(lecun[1:] / lecun[:-1], 0.5, rtol=1e-14)
    assert lecun[-1] == pytest.approx(0.5**49)
    # uniform schemes have the same variance, hence the same recursion
    assert np.array_equal(he, IV.forward_variance("relu", widths, "he_uniform"))


def test_slide_formula_for_relu_any_widths():
    widths = [7, 30, 11, 50, 3]
    r = IV.recursion("relu", widths, "glorot_uniform", q0=2.0)
    v = [IV.weight_variance("glorot_uniform", a, b) for a, b in zip(widths[:-1], widths[1:])]
    q = 7 * v[0] * 2.0
    expect = [q]
    for l in range(1, 4):
        q = widths[l] * v[l] / 2 * q  # E[(z^l)^2] = (d v / 2) E[(z^(l-1))^2]
        expect.append(q)
    assert np.allclose(r.forward, expect, rtol=1e-14)
    # backward: Var(delta^l) = d_(l+1) v_(l+1) E[f'^2] Var(delta^(l+1)), E[f'^2] = 1/2
    assert r.backward[-1] == pytest.approx(0.5)
    for l in range(3):
        assert r.backward[l] == pytest.approx(widths[l + 2] * v[l + 1] * 0.5 * r.backward[l + 1])


def test_weight_variances():
    assert IV.weight_variance("he_normal", 50, 10) == pytest.approx(2 / 50)
    assert IV.weight_variance("lecun_uniform", 50, 10) == pytest.approx(1 / 50)
    assert IV.weight_variance("glorot", 50, 10) == pytest.approx(2 / 60)
    assert IV.weight_variance("orthogonal", 50, 10) == pytest.approx(1 / 50)
    assert IV.weight_variance(0.3, 50, 10) == 0.3


def test_weight_variances_match_the_engine_initialisers():
    from numbanet import init as I

    rng = np.random.default_rng(0)
    for name in (
        "he_normal",
        "he_uniform",
        "lecun_normal",
        "lecun_uniform",
        "glorot_normal",
        "glorot_uniform",
    ):
        W = getattr(I, name)(rng, (400, 300), 300, 400, dtype=np.float64)
        v = IV.weight_variance(name, 300, 400)
        assert W.var() == pytest.approx(v, rel=0.02), name
        Wm = IV.sample_weights(name, 300, 400, rng)
        assert Wm.shape == (400, 300) and Wm.var() == pytest.approx(v, rel=0.02)
        if name.endswith("uniform"):
            assert np.abs(Wm).max() <= math.sqrt(3 * v)


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_gauss_hermite_against_monte_carlo(act):
    z = np.random.default_rng(1).standard_normal(2_000_000) * math.sqrt(2.5)
    f = np.tanh(z) if act == "tanh" else 1 / (1 + np.exp(-z))
    df = 1 - np.tanh(z) ** 2 if act == "tanh" else f * (1 - f)
    e_f2, e_df2 = IV.gauss_moments(act, 2.5)
    assert e_f2 == pytest.approx(np.mean(f**2), abs=5 * np.std(f**2) / math.sqrt(z.size))
    assert e_df2 == pytest.approx(np.mean(df**2), abs=5 * np.std(df**2) / math.sqrt(z.size))


def test_closed_forms():
    assert IV.gauss_moments("relu", 3.0) == (1.5, 0.5)
    assert IV.gauss_moments("leaky_relu:0.2", 2.0) == pytest.approx((1.04, 0.52))
    assert IV.gauss_moments("linear", 2.0) == (2.0, 1.0)
    assert IV.gauss_moments("tanh", 0.0) == (0.0, 1.0)


def test_tanh_converges_to_a_fixed_point_with_glorot():
    q = IV.forward_variance("tanh", [100] * 51, "glorot_normal")
    assert np.all(np.diff(q) < 0)  # tanh shrinks: E[tanh(z)^2] < E[z^2], v d = 1
    h = IV.forward_variance("tanh", [100] * 51, 2.0 / 100)  # gain 2: a positive fixed point
    assert abs(h[-1] - h[-2]) < 1e-6 * h[-1] and h[-1] > 0.1


# ============================================================================ measured


@pytest.mark.parametrize(
    "act, init, rel_f, rel_b",
    [
        ("relu", "he_normal", 0, 0),
        ("relu", "lecun_uniform", 0, 0),
        ("relu", "glorot_uniform", 0, 0),
        ("leaky_relu:0.1", "he_uniform", 0, 0),
        ("linear", "lecun_normal", 0, 0),
        ("tanh", "lecun_normal", 0.05, 0.10),
        ("tanh", "glorot_uniform", 0.05, 0.10),
        ("sigmoid", "glorot_normal", 0.05, 0.10),
        ("tanh", "orthogonal", 0.05, 0.10),
    ],
)
def test_measured_agrees_with_recursion(act, init, rel_f, rel_b):
    widths = [100] * 11
    r = IV.recursion(act, widths, init)
    m = IV.measure(act, widths, init, n_samples=128, n_nets=24, seed=11)
    assert within(m.forward, m.forward_sem, r.forward, rel_f) < Z
    assert within(m.backward, m.backward_sem, r.backward, rel_b) < Z
    assert within(m.weight_grad, m.weight_grad_sem, r.weight_grad, rel_b) < Z


@pytest.mark.parametrize("init, factor", [("he_normal", 1.0), ("lecun_normal", 0.5)])
def test_fifty_layers_measured_one_step_factor(init, factor):
    # through 50 layers the per-net E[z^2] is a product of 50 random factors (heavy tails), so
    # the slide's one-step factor d v / 2 is what is compared layer by layer
    m = IV.measure("relu", [100] * 51, init, n_samples=96, n_nets=24, seed=3)
    assert m.ratio.shape == (49,)
    assert float((np.abs(m.ratio - factor) / m.ratio_sem).max()) < Z
    assert np.exp(np.mean(np.log(m.ratio))) == pytest.approx(factor, rel=0.05)


def test_measure_is_seeded():
    a = IV.measure("tanh", [20] * 6, "glorot_uniform", n_samples=32, n_nets=3, seed=9)
    b = IV.measure("tanh", [20] * 6, "glorot_uniform", n_samples=32, n_nets=3, seed=9)
    assert np.array_equal(a.forward, b.forward) and np.array_equal(a.backward, b.backward)


def test_sweep_for_the_figure():
    out = IV.sweep(
        ("relu", "tanh"), ("he_normal", "glorot_uniform"), depth=8, width=16, n_samples=16, n_nets=2
    )
    assert set(out) == {(a, i) for a in ("relu", "tanh") for i in ("he_normal", "glorot_uniform")}
    assert out[("relu", "he_normal")]["recursion"].forward.shape == (8,)
    assert out[("tanh", "glorot_uniform")]["measured"].backward.shape == (8,)


# ============================================================================ orthogonal


def test_orthogonal_matrix_preserves_norms():
    rng = np.random.default_rng(0)
    W = IV.orthogonal(64, 64, rng)
    assert np.allclose(W.T @ W, np.eye(64), atol=1e-12)
    h = rng.standard_normal((1000, 64))
    assert np.abs(IV.norm_ratio(W, h) - 1).max() < 1e-12
    # semi-orthogonal with orthonormal columns: ||W h|| = ||h|| too
    Wt = IV.orthogonal(80, 30, rng)
    assert np.abs(IV.norm_ratio(Wt, rng.standard_normal((50, 30))) - 1).max() < 1e-12
    # a Gaussian matrix does not
    G = rng.standard_normal((64, 64)) / 8.0
    assert np.abs(IV.norm_ratio(G, h) - 1).max() > 0.05


def test_orthogonal_keeps_linear_signals_exactly():
    m = IV.measure("linear", [32] * 21, "orthogonal", n_samples=64, n_nets=2, seed=0)
    r = IV.recursion("linear", [32] * 21, "orthogonal")
    assert np.allclose(r.forward, 1.0)
    # the sample's mean square is preserved exactly through every layer of every net
    assert np.allclose(m.forward, m.forward[0], rtol=1e-10)


# ============================================================================ errors and claim


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: IV.recursion("softsign", [3, 3]), "activation must be one of"),
        (lambda: IV.recursion("relu", [3]), "widths needs"),
        (lambda: IV.recursion("relu", [3, 0]), "widths\\[1\\]"),
        (lambda: IV.recursion("relu", [3, 3], "kaiming_fancy"), "init must be one of"),
        (lambda: IV.recursion("relu", [3, 3, 3], ["he_normal"]), "one scheme per layer"),
        (lambda: IV.recursion("relu", [3, 3], q0=-1.0), "q0"),
        (lambda: IV.measure("relu", [3, 3], n_nets=1), "n_nets"),
        (lambda: IV.norm_ratio(np.eye(3), np.ones((2, 4))), "h must have 3 columns"),
    ],
)
def test_errors(call, words):
    with pytest.raises(ValidationError, match=words):
        call()


def test_claim_check():
    computed, verdict, explanation, _ = IV.claim_check(depth=10, width=64, n_samples=64, n_nets=8)
    assert verdict == "approx", explanation
    assert computed["recursion: He factor per layer"] == 1.0
    assert computed["recursion: LeCun factor per layer"] == 0.5
