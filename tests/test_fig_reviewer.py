"""Items of the reviewer's list (issue 19), each checked by the property its fix established."""

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
