"""numbanet.theory.noise_ball: the slide's bound, exact stationary values, Monte Carlo."""

import math

import numpy as np
import pytest

from numbanet.errors import ValidationError
from numbanet.theory import noise_ball as NB

QUAD = NB.Quadratic(H=[1.0, 2.0, 4.0], Sigma=np.eye(3), w_star=[0.5, -1.0, 2.0])


def least_squares(n=200, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ np.arange(1.0, d + 1) + 0.5 * rng.standard_normal(n)
    return NB.LeastSquares(X, y)


# ============================================================================ the bound


def test_bound_formula():
    assert NB.bound(0.1, 3.0, 0.5, 1.0, 4) == pytest.approx(0.1 * (3.0 / 4 + 0.5) / 2.0)
    assert NB.bound(0.01, 1.0, 0.0, 2.0) == pytest.approx(0.01 / 4.0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(alpha=0.6, sigma2=1, mu2=0, c=1), "alpha must be < 1/\\(2c\\)"),
        (dict(alpha=-0.1, sigma2=1, mu2=0, c=1), "alpha"),
        (dict(alpha=0.1, sigma2=-1, mu2=0, c=1), "sigma2"),
        (dict(alpha=0.1, sigma2=1, mu2=0, c=0), "c must be"),
        (dict(alpha=0.1, sigma2=1, mu2=0, c=1, batch_size=0), "batch_size"),
    ],
)
def test_bound_errors(kwargs, words):
    with pytest.raises(ValidationError, match=words):
        NB.bound(**kwargs)


# ============================================================================ exact values


@pytest.mark.parametrize("h, alpha, B, s2", [(2.0, 0.1, 1, 1.0), (0.5, 0.3, 4, 2.5)])
def test_one_dimensional_closed_form(h, alpha, B, s2):
    st = NB.stationary(NB.Quadratic([h], [s2]), alpha, B)
    assert st.value == pytest.approx(alpha * s2 / (B * h * (2 - alpha * h)), rel=1e-12)
    # isotropic: the slide's recursion is an equality, so the bound is attained
    assert st.bound == pytest.approx(st.value, rel=1e-12)


def test_lyapunov_equals_the_iterated_recursion():
    st = NB.stationary(QUAD, 0.05, 2)
    curve = NB.exact_curve(QUAD, 0.05, 2, steps=4000, w0=QUAD.w_star)
    assert curve[-1] == pytest.approx(st.value, rel=1e-10)
    assert np.all(np.diff(curve) >= -1e-15)  # from w*, the ball fills up monotonically
    P = st.P
    A = np.eye(3) - 0.05 * QUAD.H
    assert np.allclose(P, A @ P @ A.T + 0.05**2 * QUAD.Sigma / 2, atol=1e-15)


def test_exact_values_below_the_bound_and_scaling():
    for B in (1, 4, 16):
        for a in (0.01, 0.05, 0.2):
            st = NB.stationary(QUAD, a, B)
            assert st.value < st.bound  # anisotropic H: strict
            assert st.c == 1.0 and st.sigma2 == pytest.approx(3.0)
    # additive noise: exactly proportional to 1/B; about proportional to alpha for small alpha
    v = {B: NB.stationary(QUAD, 0.05, B).value for B in (1, 2, 8)}
    assert v[1] / v[2] == pytest.approx(2.0, rel=1e-12) and v[1] / v[8] == pytest.approx(8.0)
    small = [NB.stationary(QUAD, a, 1).value / a for a in (0.001, 0.002, 0.004)]
    assert max(small) / min(small) < 1.01


def test_least_squares_stationary_and_constants():
    ls = least_squares()
    for B in (1, 8):
        st = NB.stationary(ls, 0.05, B)
        curve = NB.exact_curve(ls, 0.05, B, steps=3000)
        assert curve[-1] == pytest.approx(st.value, rel=1e-8)
        assert 0 < st.value < st.bound
        k = NB.constants(ls, 0.05, B)
        assert k["bound"] == pytest.approx(st.bound) and k["mu2"] > 0
    # without replacement the minibatch noise is smaller by (n - B) / (n - 1)
    assert NB.stationary(ls, 0.05, 8, replace=False).value < NB.stationary(ls, 0.05, 8).value
    full = NB.stationary(ls, 0.05, ls.n, replace=False)
    assert full.value == pytest.approx(0.0, abs=1e-20)  # full batch: no noise at all


def test_divergent_alpha_is_reported():
    with pytest.raises(ValidationError, match="too large.*spectral radius"):
        NB.stationary(QUAD, 0.6, 1)  # 1 - 0.6 * 4 < -1
    with pytest.raises(ValidationError, match="too large"):
        NB.stationary(least_squares(), 1.5, 1)


# ============================================================================ Monte Carlo


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_monte_carlo_agrees_with_exact_on_a_quadratic(optimizer):
    st = NB.stationary(QUAD, 0.05, 4, optimizer=optimizer)
    sim = NB.simulate(
        QUAD,
        0.05,
        4,
        2000,
        n_runs=2000,
        optimizer=optimizer,
        w0=QUAD.w_star,
        record_every=10,
        burn_in=600,
        seed=1,
    )
    m, se = sim.stationary()
    assert abs(m - st.value) < 4 * se
    if optimizer == "sgd":
        assert m + 4 * se < st.bound


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_monte_carlo_agrees_with_exact_on_least_squares(optimizer):
    ls = least_squares()
    st = NB.stationary(ls, 0.05, 2, optimizer=optimizer)
    sim = NB.simulate(
        ls, 0.05, 2, 2000, n_runs=1500, optimizer=optimizer, record_every=10, burn_in=800, seed=2
    )
    m, se = sim.stationary()
    assert abs(m - st.value) < 4 * se


def test_monte_carlo_curve_follows_the_exact_curve_under_a_schedule():
    sched = lambda t: 0.2 / (1.0 + 0.01 * t)  # noqa: E731
    steps = 600
    exact = NB.exact_curve(QUAD, sched, 1, steps)
    sim = NB.simulate(QUAD, sched, 1, steps, n_runs=3000, record_every=50, seed=3)
    z = np.abs(sim.mean - exact[sim.t]) / np.maximum(sim.sem, 1e-300)
    assert z[1:].max() < 4.5 and sim.t[0] == 0 and sim.mean[0] == pytest.approx(3.0)
    # an array schedule is the same schedule
    arr = np.array([sched(t) for t in range(steps)])
    sim2 = NB.simulate(QUAD, arr, 1, steps, n_runs=3000, record_every=50, seed=3)
    assert np.array_equal(sim.mean, sim2.mean)
    assert np.allclose(NB.exact_curve(QUAD, arr, 1, steps), exact)


def test_ball_scales_like_alpha_and_one_over_b():
    def mc(a, B):
        sim = NB.simulate(
            QUAD, a, B, 3000, n_runs=1500, w0=QUAD.w_star, record_every=10, burn_in=1000, seed=4
        )
        return sim.stationary()

    (m1, s1), (m2, s2) = mc(0.01, 1), mc(0.02, 1)
    ratio, err = m2 / m1, (m2 / m1) * math.hypot(s1 / m1, s2 / m2)
    exact_ratio = NB.stationary(QUAD, 0.02, 1).value / NB.stationary(QUAD, 0.01, 1).value
    assert abs(ratio - exact_ratio) < 4 * err and abs(exact_ratio - 2.0) < 0.05
    (m8, s8) = mc(0.01, 8)
    ratio_b, err_b = m1 / m8, (m1 / m8) * math.hypot(s1 / m1, s8 / m8)
    assert abs(ratio_b - 8.0) < 4 * err_b


def test_simulation_statistics_and_seed():
    a = NB.simulate(QUAD, 0.1, 2, 300, n_runs=500, seed=7, keep_runs=True, record_every=7)
    b = NB.simulate(QUAD, 0.1, 2, 300, n_runs=500, seed=7)
    # recording more often draws no extra random numbers: the same runs
    assert np.allclose(a.mean, b.mean[a.t], rtol=1e-14)
    assert a.t[-1] == 300 and np.all(np.diff(a.t) > 0)
    assert np.allclose(a.mean, a.sq_err.mean(axis=0))
    assert np.allclose(a.sem, a.sq_err.std(axis=0, ddof=1) / math.sqrt(500))
    assert a.quantiles.shape == (3, len(a.t)) and np.all(np.diff(a.quantiles, axis=0) >= 0)
    c = NB.simulate(QUAD, 0.1, 2, 300, n_runs=500, seed=7, keep_runs=True, record_every=7)
    assert np.array_equal(a.sq_err, c.sq_err)


def test_engine_optimizers_plug_in():
    from numbanet import optim

    base = NB.simulate(QUAD, 0.05, 2, 200, n_runs=200, optimizer="sgd", seed=5)
    eng = NB.simulate(QUAD, 0.05, 2, 200, n_runs=200, optimizer=NB.EngineOptimizer("sgd"), seed=5)
    assert np.allclose(base.mean, eng.mean, rtol=1e-12)
    mom = NB.simulate(QUAD, 0.05, 2, 200, n_runs=200, optimizer="momentum", beta=0.8, seed=5)
    eng_m = NB.simulate(
        QUAD,
        0.05,
        2,
        200,
        n_runs=200,
        seed=5,
        optimizer=NB.EngineOptimizer(optim.Momentum, beta1=0.8),
    )
    assert np.allclose(mom.mean, eng_m.mean, rtol=1e-12)
    adam = NB.simulate(QUAD, 0.01, 2, 400, n_runs=200, optimizer="adam", seed=5)
    assert adam.mean[-1] < adam.mean[0]


def test_custom_update_rule():
    class HalfStep(NB.UpdateRule):
        def update(self, w, g, lr, state):
            state["n"] = state.get("n", 0) + 1
            return w - 0.5 * lr * g

    rule = HalfStep()
    a = NB.simulate(QUAD, 0.1, 1, 100, n_runs=300, optimizer=rule, seed=0)
    b = NB.simulate(QUAD, 0.05, 1, 100, n_runs=300, optimizer="sgd", seed=0)
    assert np.allclose(a.mean, b.mean, rtol=1e-12)


def test_simulate_errors():
    with pytest.raises(ValidationError, match="problem must be"):
        NB.simulate("quadratic", 0.1)
    with pytest.raises(ValidationError, match="lr must give finite learning rates > 0"):
        NB.simulate(QUAD, lambda t: -1.0, steps=5)
    with pytest.raises(ValidationError, match="at least steps = 10"):
        NB.simulate(QUAD, np.ones(5) * 0.1, steps=10)
    with pytest.raises(ValidationError, match="optimizer must be"):
        NB.simulate(QUAD, 0.1, optimizer=3.0, steps=5)
    with pytest.raises(ValidationError, match="diverged"):
        NB.simulate(QUAD, 5.0, steps=2000, n_runs=4)
    with pytest.raises(ValidationError, match="exact moments"):
        NB.exact_curve(QUAD, 0.1, optimizer="adam")
    with pytest.raises(ValidationError, match="H must be positive definite"):
        NB.Quadratic(H=[1.0, -1.0])
    with pytest.raises(ValidationError, match="full column rank"):
        NB.LeastSquares(np.ones((10, 2)), np.ones(10))


def test_claim_check():
    computed, verdict, explanation, method = NB.claim_check(n_runs=800, steps=900)
    assert verdict == "approx", explanation
    for row in computed.values():
        assert row["exact"] < row["bound"]
