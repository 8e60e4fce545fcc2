"""translation-invariance and feature-hierarchy (decks 003 and 004): shifting digits, LeNet
against an MLP under shifts, pooled features against pixels, and the patches that excite
LeNet's filters."""

import numpy as np
import pytest

from numbanet.experiments import invariance as E


def test_shift_images_moves_and_zero_fills():
    x = np.arange(16, dtype=float).reshape(1, 1, 4, 4) + 1
    s = E.shift_images(x, 1, 2)  # one down, two right
    np.testing.assert_array_equal(s[0, 0, 1:, 2:], x[0, 0, :3, :2])
    assert np.all(s[0, 0, 0] == 0) and np.all(s[0, 0, :, :2] == 0)
    back = E.shift_images(s, -1, -2)
    np.testing.assert_array_equal(back[0, 0, :3, :2], x[0, 0, :3, :2])
    np.testing.assert_array_equal(E.shift_images(x, 0, 0), x)


def test_top_patches_read_the_receptive_field_of_the_best_position():
    rng = np.random.default_rng(0)
    images = rng.random((5, 1, 28, 28))
    maps = rng.standard_normal((5, 2, 11, 11))
    maps[3, 1, 4, 7] = 100.0  # image 3 holds channel 1's largest response, at (4, 7)
    p, v, lab = E.top_patches(maps, images, np.arange(5), field=8, step=2, k=2)
    assert p.shape == (2, 2, 8, 8) and v[1, 0] == 100.0 and lab[1, 0] == 3
    np.testing.assert_array_equal(p[1, 0], images[3, 0, 8:16, 14:22])
    assert np.all(np.diff(v, axis=1) <= 0)  # best first
    assert E.class_purity(np.array([[1, 1, 2, 3], [4, 4, 4, 4]])).tolist() == [0.5, 1.0]


@pytest.fixture(scope="module")
def invariance():
    import os

    from numbanet.plots import invariance as F

    from .conftest import SHARED_DATA

    if not os.path.isdir(os.path.join(SHARED_DATA, "mnist")):
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NUMBANET_DATA", SHARED_DATA)
        return F.compute_translation_invariance(budget="tiny")


def test_pooled_features_change_less_than_pixels_and_lenet_holds_up_better(invariance):
    d = invariance
    ch, acc = d["change"], d["accuracy"]
    assert ch["pixels"][0] == 0 and ch["pool 2"][0] == 0  # no shift, no change
    # under a one-pixel shift the pixels change by most of their norm; after two poolings the
    # features move much less
    assert ch["pool 2"][1] < 0.75 * ch["pixels"][1]
    assert ch["pool 1"][1] < ch["conv 1"][1]  # the pooling itself smooths the shift away
    # accuracy falls with the shift, for the MLP more than for LeNet (at 2 and 3 pixels)
    assert acc["mlp"][0] > acc["mlp"][2] > acc["mlp"][4]
    for k in (2, 3):
        assert acc["mlp"][0] - acc["mlp"][k] > acc["lenet"][0] - acc["lenet"][k]
    assert acc["lenet"][0] > 0.5 and acc["mlp"][0] > 0.5


@pytest.mark.parametrize("lang", ["en", "es"])
def test_translation_invariance_draws(invariance, lang):
    import matplotlib.pyplot as plt

    from numbanet.plots import invariance as F

    plt.close(F.draw_translation_invariance(invariance, lang))


def test_feature_hierarchy_patches_and_purity(shared_data):
    import matplotlib.pyplot as plt

    from numbanet.plots import invariance as F

    d = F.compute_feature_hierarchy(budget="tiny")
    assert d["patches1"].shape[:2] == (6, d["k"]) and d["patches1"].shape[2:] == (3, 3)
    assert d["patches2"].shape[:2] == (16, d["k"]) and d["patches2"].shape[2:] == (8, 8)
    assert d["maps1"].shape == (6, 26, 26) and d["maps2"].shape == (16, 11, 11)
    # the best patch of each conv-1 filter gives back its top value: filter . patch + bias
    W, b = d["filters1"], d["bias1"]
    np.testing.assert_allclose(
        np.sum(W * d["patches1"][:, 0], axis=(1, 2)) + b, d["values1"][:, 0], rtol=1e-4, atol=1e-5
    )
    # the hierarchy: deeper filters respond to parts of particular digits (a larger share of
    # their top digits carry the same label)
    assert np.mean(d["purity2"]) > np.mean(d["purity1"])
    for lang in ("en", "es"):
        plt.close(F.draw_feature_hierarchy(d, lang))
