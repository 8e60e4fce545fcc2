"""Figures of part B (depth, regularisation, convolution and recurrence): each figure's computed
data asserted against the slides and the theory, then drawn into a temporary folder at low dpi.

The slow ones (training networks on MNIST) are marked ``slow``; the default lane keeps the cheap
ones.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from numbanet import slides  # noqa: E402
from numbanet.plots import convolution, depth, regularization  # noqa: E402

DPI = 30


def _save(fig, tmp_path, name):
    import matplotlib.pyplot as plt

    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    assert path.stat().st_size > 1000
    return path


# ----------------------------------------------------------------------------- depth
def test_gradient_speed_bars(shared_data, tmp_path):
    d = depth.compute_gradient_speed_bars(seed=0, backend="cpu", budget="reduced")
    for i, sizes in enumerate(depth.ARCHS):
        mean, ref = d[f"mean_{i}"], d[f"reference_{i}"]
        assert d[f"speeds_{i}"].shape == (10, len(sizes) - 2)
        np.testing.assert_array_equal(ref, slides.NIELSEN_SPEEDS[sizes])
        assert np.all(mean[1:] / mean[:-1] > 3.0), mean  # each layer several times slower
        assert np.all((mean / ref > 0.5) & (mean / ref < 2.0)), (mean, ref)
    _save(depth.draw_gradient_speed_bars(d, "en"), tmp_path, "gsb")
    _save(depth.draw_gradient_speed_bars(d, "es"), tmp_path, "gsb-es")


def test_speed_of_learning(shared_data, tmp_path):
    d = depth.compute_speed_of_learning(seed=0, backend="cpu", budget="reduced")
    for i, sizes in enumerate(depth.ARCHS):
        c = d[f"curves_{i}"]
        assert c.shape == (3, d["epochs"] + 1, len(sizes) - 2)
        assert np.all(np.isfinite(c)) and np.all(c > 0)
        # the ordering of the layers holds during training, and every speed falls from its start
        gm = np.exp(np.log(c).mean(axis=0))
        assert np.all(gm[:, 1:] > gm[:, :-1])
        assert np.all(gm[-1] < gm[0])
    # the reduced run is shorter than the slide's 500 epochs, and the figure is told so
    assert d["budget"] == "reduced" and d["epochs"] < d["slide_epochs"] == 500
    _save(depth.draw_speed_of_learning(d, "en"), tmp_path, "sol")
    _save(depth.draw_speed_of_learning(d, "es"), tmp_path, "sol-es")


@pytest.mark.slow
def test_depth_accuracy(shared_data, tmp_path):
    d = depth.compute_depth_accuracy(seed=0, backend="cpu", budget="reduced")
    assert d["acc"].shape == (2, 4) and d["curves"].shape == (2, 4, d["epochs"])
    assert np.all(d["acc"][:, :3] > 93.0), d["acc"]  # 1-3 layers learn fast
    assert np.all(d["acc"] > 80.0) and np.all(d["acc"] <= 100.0)
    np.testing.assert_allclose(d["mean"], d["acc"].mean(0))
    np.testing.assert_array_equal(d["slide"], [96.48, 96.90, 96.57, 96.53])
    # the figure knows which values are the slide's (30 epochs) and which are computed here
    assert d["slide_epochs"] == 30 and d["epochs"] < d["slide_epochs"]
    assert d["budget"] == "reduced" and len(d["seeds"]) == d["acc"].shape[0]
    _save(depth.draw_depth_accuracy(d, "en"), tmp_path, "depth-acc")
    _save(depth.draw_depth_accuracy(d, "es"), tmp_path, "depth-acc-es")


def test_init_variance(tmp_path):
    d = depth.compute_init_variance(seed=0, budget="reduced")
    for act in ("relu", "tanh"):
        for init in d["inits"]:
            for k in ("recursion", "measured"):
                for direction in ("forward", "backward"):
                    assert d[f"{act}/{init}/{k}/{direction}"].shape == (50,)
    he = d["relu/he_normal/recursion/forward"]
    lecun = d["relu/lecun_normal/recursion/forward"]
    np.testing.assert_allclose(he, he[0], rtol=1e-12)  # He keeps E[z^2]
    np.testing.assert_allclose(lecun[1:] / lecun[:-1], 0.5, rtol=1e-12)  # LeCun halves it
    # the measured values follow the recursion (ReLU is exact in expectation): first 5 layers,
    # within 5 standard errors across the sampled nets
    for init in ("he_normal", "he_uniform", "lecun_uniform"):
        m = d[f"relu/{init}/measured/forward"][:5]
        sem = d[f"relu/{init}/measured/forward_sem"][:5]
        r = d[f"relu/{init}/recursion/forward"][:5]
        assert np.all(np.abs(m - r) < 5 * sem + 0.02 * r), (init, m / r)
    # tanh with LeCun: the forward signal shrinks, He's stays of order one
    assert d["tanh/lecun_normal/recursion/forward"][-1] < 0.05
    assert 0.3 < d["tanh/he_normal/recursion/forward"][-1] < 1.0
    # equal widths: Glorot's recursion is LeCun's (the title says so; the figure draws Glorot
    # dashed over LeCun so both stay visible)
    for act in ("relu", "tanh"):
        for direction in ("forward", "backward"):
            np.testing.assert_allclose(
                d[f"{act}/glorot_normal/recursion/{direction}"],
                d[f"{act}/lecun_normal/recursion/{direction}"],
                rtol=1e-12,
            )
    _save(depth.draw_init_variance(d, "en"), tmp_path, "iv")
    _save(depth.draw_init_variance(d, "es"), tmp_path, "iv-es")


# ----------------------------------------------------------------------------- regularisation
@pytest.mark.slow
def test_regularization(shared_data, tmp_path):
    d = regularization.compute_regularization(seed=0, backend="cpu", budget="reduced")
    ep = d["epochs"]
    for key in ("drop_plain_train", "drop_plain_test", "drop_dropout_test", "es_val_loss"):
        assert d[key].shape == (ep,), key  # every panel shows the epochs the title names
    # the unregularised net overfits: it memorises the noisy labels and its test error rises
    # from its best epoch
    assert d["drop_plain_train"][-1] < 5.0
    assert d["drop_plain_test"][-1] > d["drop_plain_test"].min() + 3.0
    assert d["test_err_none"] == d["l2_test_err"][0] == d["noise_test_err"][0]
    # each regulariser lowers the test error of the unregularised net
    none = d["test_err_none"]
    for reg in ("l2", "dropout", "early_stopping", "noise"):
        assert d[f"test_err_{reg}"] < none - 1.0, (reg, d[f"test_err_{reg}"], none)
    np.testing.assert_allclose(d["test_err_dropout"], d["drop_dropout_test"][-1])
    # L2 shrinks the weights monotonically and, large enough, stops the net fitting its data;
    # lambda and the noise level are chosen on the validation set, not on the test set
    assert np.all(np.diff(d["l2_weight_norm"]) < 0)
    assert d["l2_train_err"][-1] > 20.0
    assert d["l2_pick"] == 1 + int(np.argmin(d["l2_val_err"][1:]))
    assert d["noise_pick"] == 1 + int(np.argmin(d["noise_val_err"][1:]))
    # dropout keeps the training error away from zero
    assert d["drop_dropout_train"][-1] > d["drop_plain_train"][-1] + 3.0
    # early stopping: the callback followed the same run and stopped `patience` after the best
    assert d["es_loss_prefix_equal"]
    assert d["es_stopped_epoch"] == d["es_best_epoch"] + d["es_patience"] <= ep
    best = int(np.argmin(d["es_val_loss"][: d["es_stopped_epoch"]])) + 1
    assert best == d["es_best_epoch"]
    # input noise raises the training error
    assert d["noise_train_err"][-1] > d["noise_train_err"][0]
    _save(regularization.draw_regularization(d, "en"), tmp_path, "reg")
    _save(regularization.draw_regularization(d, "es"), tmp_path, "reg-es")


@pytest.mark.slow
def test_bias_variance(shared_data, tmp_path):
    d = regularization.compute_bias_variance(seed=0, backend="cpu", budget="reduced")
    w, n = d["widths"], d["n_train"]
    assert d["test_err"].shape == (2, len(w))
    # training error reaches zero at the interpolation threshold and stays there
    assert np.all(d["train_err"][:, w >= n] == 0.0)
    assert np.all(d["train_err"][:, w < n // 4] > 5.0)
    # the test loss peaks at h = n and descends again beyond it
    mse = d["test_mse"].mean(0)
    peak = int(np.argmax(mse))
    assert w[peak] == n
    assert mse[-1] < mse[peak] / 10
    err = d["test_err"].mean(0)
    assert err[-1] < err[peak] - 20 and err[-1] < err[w < n].min()  # second descent goes lower
    _save(regularization.draw_bias_variance(d, "en"), tmp_path, "bv")
    _save(regularization.draw_bias_variance(d, "es"), tmp_path, "bv-es")


# ----------------------------------------------------------------------------- convolution
def test_conv_example(tmp_path):
    d = convolution.compute_conv_example(seed=0, backend="cpu")
    out = d["outputs"]
    np.testing.assert_array_equal(out["valid"], slides.CONV_VALID)
    assert out["same"].shape == (6, 6) and out["full"].shape == (8, 8)
    # the valid output sits inside the padded ones
    np.testing.assert_array_equal(out["same"][1:-1, 1:-1], slides.CONV_VALID)
    np.testing.assert_array_equal(out["full"][2:-2, 2:-2], slides.CONV_VALID)
    np.testing.assert_array_equal(out["valid, stride 2"], np.array(slides.CONV_VALID)[::2, ::2])
    np.testing.assert_array_equal(out["same, stride 2"], out["same"][::2, ::2])
    # the reference backend agrees
    r = convolution.compute_conv_example(seed=0, backend="reference")
    for k in out:
        np.testing.assert_array_equal(r["outputs"][k], out[k])
    _save(convolution.draw_conv_example(d, "en"), tmp_path, "conv")
    _save(convolution.draw_conv_example(d, "es"), tmp_path, "conv-es")
