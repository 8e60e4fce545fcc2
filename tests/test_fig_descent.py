"""The gradient-descent figures: the numbers they show, recomputed (reduced budget)."""

import numpy as np
import pytest

from numbanet.experiments import backprop, training
from numbanet.plots import descent as F


@pytest.fixture(scope="module")
def lr_sens():
    return F.compute_lr_sensitivity()


def _sign_flips(z):
    s = np.sign(z)
    return np.mean(s[1:] != s[:-1])


def test_lr_sensitivity_each_curve_does_what_its_label_says(lr_sens):
    d = lr_sens
    lam = d["lam_max"]
    excess = {f: d["curves"][f] - d["loss_min"] for f in d["factors"]}
    along = d["along"]
    small, good, large, div = d["factors"]
    # the labels' ranges, measured against the problem's own curvature
    assert small < 1 < large < 2 < div and good == 1.0
    x, _ = backprop.linear_data()
    X1 = np.hstack([x, np.ones_like(x)])
    assert np.isclose(lam, np.linalg.eigvalsh(X1.T @ X1 / len(x)).max())
    # too small: monotone creep, same sign along u_max, still far from the minimum after 60 steps
    assert (
        np.all(np.diff(along[small]) * np.sign(along[small][0]) < 0)
        and _sign_flips(along[small]) == 0
    )
    assert excess[small][-1] > 0.05 * excess[small][0]
    # good: the steep direction is solved in one step, the loss falls fastest
    assert np.all(np.abs(along[good][1:]) < 1e-9 * abs(along[good][0]))
    assert excess[good][-1] < 1e-5 * excess[good][0]
    assert excess[good][-1] < min(excess[small][-1], excess[large][-1])
    # too large: the weights oscillate (every successive difference changes sign) and converge
    z = along[large]
    dz = np.diff(z)
    assert _sign_flips(z) == 1 and np.all(np.sign(dz[1:]) != np.sign(dz[:-1]))
    assert abs(z[-1]) < 0.2 * abs(z[0])
    assert np.all(np.diff(excess[large]) < 0)  # ... while the loss still falls at every step
    # divergent: oscillates and grows by |1 - alpha lambda_max| per step, the loss explodes
    z = along[div]
    assert _sign_flips(z) == 1
    assert np.allclose(np.abs(z[1:] / z[:-1])[10:], div - 1, rtol=1e-3)
    assert np.all(np.diff(excess[div]) > 0) and excess[div][-1] > 1e4 * excess[div][0]


def test_gd_vs_sgd_paths_share_the_start_and_approach_the_minimum():
    d = F.compute_gd_vs_sgd(backend="reference")
    starts = [pts[0] for pts in d["runs"].values()]
    assert all(np.allclose(s, starts[0]) for s in starts)
    for name, pts in d["runs"].items():
        dist = np.linalg.norm(pts - d["optimum"], axis=1)
        assert dist[-1] < (0.05 if name == "GD" else 0.25) * dist[0], name
    # full-batch GD on a convex quadratic never moves away from the minimum; b = 1 SGD does
    gd = np.linalg.norm(d["runs"]["GD"] - d["optimum"], axis=1)
    sgd = np.linalg.norm(d["runs"]["SGD (b = 1)"] - d["optimum"], axis=1)
    assert np.all(np.diff(gd) <= 1e-12) and np.any(np.diff(sgd) > 0)


def test_optimizer_paths_on_the_ill_conditioned_quadratic():
    paths, lrs, w_star = training.quadratic_paths()
    assert set(paths) == set(F.OPT_STYLE)
    dist = {k: np.linalg.norm(p - w_star, axis=1) for k, p in paths.items()}
    for k, dk in dist.items():
        assert np.allclose(paths[k][0], [-4.0, 2.5]) and dk[-1] < dk[0], k
    # SGD never overshoots in the steep w2 (1 - 0.045 * 20 = 0.1 > 0); momentum swings past w2 = 1
    assert np.all(paths["SGD"][:, 1] >= 1.0 - 1e-12)
    assert paths["Momentum"][:, 1].min() < 0.5 and paths["Nesterov"][:, 1].min() < 1.0
    # momentum's build-up beats plain SGD at the same alpha in 60 steps; Nesterov damps it further
    assert dist["Nesterov"][-1] < dist["Momentum"][-1] < dist["SGD"][-1]
    # without bias correction RMSProp's first steps are larger (v_0 = 0 divides by a small sqrt)
    assert np.linalg.norm(paths["RMSProp"][1] - paths["RMSProp"][0]) > 2 * np.linalg.norm(
        paths["RMSProp (bias-corrected)"][1] - paths["RMSProp (bias-corrected)"][0]
    )


def test_coinciding_curves_note_is_derived_from_the_curves():
    a = (np.array([2.0, 1.0, 0.5]), None)
    b = (np.array([2.02, 1.01, 0.505]), None)
    c = (np.array([2.0, 0.5, 0.2]), None)
    assert F._coinciding({"a": a, "b": b}, ("a", "b"))
    assert not F._coinciding({"a": a, "c": c}, ("a", "c"))
