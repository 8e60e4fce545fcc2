"""The gradient-descent figures: the numbers they show, recomputed (reduced budget)."""

import numpy as np
import pytest

from numbanet.plots import fig_descent as F


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
    x, _ = F._linear_data()
    X1 = np.hstack([x, np.ones_like(x)])
    assert np.isclose(lam, np.linalg.eigvalsh(X1.T @ X1 / len(x)).max())
    # too small: monotone creep, same sign along u_max, still far from the minimum after 60 steps
    assert np.all(np.diff(along[small]) * np.sign(along[small][0]) < 0) and _sign_flips(along[small]) == 0
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
