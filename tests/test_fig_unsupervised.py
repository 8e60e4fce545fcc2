"""The unsupervised pre-training figures (``rbm``, ``layerwise-pretraining``, ``autoencoder``):
drawn from hand-made data (their computed data are asserted in ``test_figure_catalogue.py`` and,
for the experiments behind them, ``test_experiments.py``)."""

import numpy as np
import pytest


def _fake_pretraining_data():
    g = np.random.default_rng(0)
    methods = ["random", "autoencoder", "rbm"]
    # 100 digits in minibatches of 32: 4 steps an epoch; 3 layers x 1 + 1 top epoch = 16
    # pre-training steps, which random init spends as 4 more fine-tuning epochs
    epochs = {"random": 7, "autoencoder": 3, "rbm": 3}
    res = {
        m: {
            "val_accuracy": g.random((2, epochs[m])).tolist(),
            "start_accuracy": g.random(2).tolist(),
            "speeds": (g.random((2, 3)) + 0.1).tolist(),
            "speed_ratio": [2.0, 3.0],
            "steps": [[(0 if m == "random" else 16) + 4 * e for e in range(epochs[m] + 1)]] * 2,
        }
        for m in methods
    }
    settings = dict(
        methods=methods,
        seeds=[0, 1],
        sizes=[784, 8, 8, 8, 10],
        lr=0.1,
        finetune_epochs=3,
        n_train=100,
        n_val=50,
        pretrain_epochs=1,
        top_epochs=1,
        batch_size=32,
        pretrain_batch_size=32,
        match_steps=True,
        pretrain_steps=16,
        random_epochs=7,
        reduced=True,
    )
    return {"results": res, "settings": settings}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_unsupervised_figures_draw(lang):
    import matplotlib.pyplot as plt

    from numbanet.plots import unsupervised as F

    g = np.random.default_rng(0)
    rbm = {
        "errors": [3.0, 2.0, 1.5],
        "test_error": 1.2,
        "filters": g.random((100, 784)).tolist(),
        "originals": g.random((4, 784)).tolist(),
        "reconstructions": g.random((4, 784)).tolist(),
        "settings": {"n_train": 10, "k": 1, "reduced": True},
    }
    ae = {
        "codes": g.normal(size=(30, 2)).tolist(),
        "labels": (np.arange(30) % 10).tolist(),
        "manifold": g.random((81, 784)).tolist(),
        "code_losses": [1.0],
        "settings": {"reduced": False},
    }
    uses = {
        "accuracy": {"raw": 0.9, "features": 0.8, "reconstructions": 0.85, "joint": 0.91},
        "ae_loss": [0.3, 0.2],
        "joint_history": [{"loss": 1.0, "clas": 1.0, "ae": 0.3}],
        "examples": {k: g.random((3, 784)).tolist() for k in ("x", "noisy", "denoised")},
        "settings": {
            "n_code": 8,
            "noise": 0.2,
            "beta": 0.5,
            "n_train": 10,
            "n_test": 5,
            "clf_epochs": 1,
        },
    }
    # each figure with the number of panels it draws
    for fig, n in (
        (F.draw_rbm(rbm, lang), 3),
        (F.draw_autoencoder(ae, lang), 2),
        (F.draw_denoising_autoencoder(uses, lang), 2),
        (F.draw_autoencoder_uses(uses, lang), 1),
        (F.draw_layerwise_pretraining(_fake_pretraining_data(), lang), 3),
    ):
        assert len(fig.axes) == n
        plt.close(fig)


def test_unsupervised_figures_in_catalog():
    from numbanet.plots.catalog import CATALOG

    mods = {f.id: f.module for f in CATALOG}
    for fid in ("rbm", "autoencoder", "denoising-autoencoder", "autoencoder-uses"):
        assert mods[fid] == "unsupervised", fid
    assert mods["layerwise-pretraining"] == "unsupervised"


def test_denoise_tiles_keep_each_triplet_together():
    from numbanet.plots import unsupervised as F

    n = 5
    ex = {
        k: [np.full(784, 10 * i + j) for i in range(n)]
        for j, k in enumerate(("x", "noisy", "denoised"))
    }
    tiles, rows = F._denoise_tiles(ex)
    assert rows == 3 and len(tiles) == rows * 6
    for r in range(rows):
        for g, i in enumerate((r, r + rows)):
            got = [tiles[6 * r + 3 * g + j][0] for j in range(3)]
            assert got == ([10 * i, 10 * i + 1, 10 * i + 2] if i < n else [0, 0, 0])
