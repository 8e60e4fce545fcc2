"""wide-vs-deep's convolutional series (deck 004, Goodfellow et al. 2014, "11 vs. 3"): Conv1D
nets of 3 and 11 layers on MNIST-1D at matched parameter counts."""

import numpy as np
import pytest

from numbanet.experiments import udl


@pytest.mark.parametrize("depth,channels", [(3, 8), (3, 32), (11, 5), (11, 17)])
def test_conv_params_counts_the_nets_parameters(depth, channels):
    net = udl.conv_net(depth, channels, seed=0, backend="cpu")
    assert udl.conv_params(depth, channels) == net.n_params()
    assert net.output_shape == (10,)


def test_the_11_layer_nets_are_matched_to_the_3_layer_ones():
    for c in udl.CONV_SHALLOW_CHANNELS:
        target = udl.conv_params(3, c)
        c11 = udl.matched_channels(11, target)
        got = udl.conv_params(11, c11)
        # the nearest whole channel count: no other count comes closer
        assert all(
            abs(udl.conv_params(11, k) - target) >= abs(got - target) for k in (c11 - 1, c11 + 1)
        )
        assert abs(got - target) / target < 0.25
        assert c11 < c  # depth is paid for with narrower layers


def test_conv_series_trains_and_draws():
    import matplotlib.pyplot as plt

    from numbanet.plots import capacity as CAP

    conv = udl.conv_wide_vs_deep(epochs=3, seeds=1, channels=(8, 16), n_train=1000)
    for name, depth in (("conv3", 3), ("conv11", 11)):
        rows = conv["families"][name]
        assert [r["depth"] for r in rows] == [depth, depth]
        assert all(0.1 < a <= 1 for r in rows for a in r["test_accuracy"])  # above chance
    p3 = [r["params"] for r in conv["families"]["conv3"]]
    p11 = [r["params"] for r in conv["families"]["conv11"]]
    np.testing.assert_allclose(p11, p3, rtol=0.25)
    for lang, word in (("en", "of 2 sizes"), ("es", "de 2 tamaños")):
        assert word in CAP.conv_wide_vs_deep_note(conv, lang)
    fake = {
        "epochs": 1,
        "seeds": 1,
        "families": {
            "shallow": [
                {"hidden": [w], "params": p, "test_accuracy": [0.5]}
                for w, p in ((8, 100), (16, 1000))
            ],
            "deep": [{"hidden": [8, 8, 8], "params": 500, "test_accuracy": [0.6]}],
        },
        "conv": conv,
    }
    for lang in ("en", "es"):
        fig = CAP.draw_wide_vs_deep(fake, lang)
        assert len(fig.axes) == 2 and all(ax.has_data() for ax in fig.axes)
        plt.close(fig)
