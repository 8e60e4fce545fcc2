"""semeion-autoencoder and pretraining-few-labels (deck 004): a 256-2-256 autoencoder's code
separates SEMEION digits it never saw labelled, and greedy pre-training on unlabelled MNIST
against random initialisation with few labels."""

import numpy as np

from numbanet.experiments.autoencoders import knn_accuracy


def test_knn_accuracy_on_separated_and_on_mixed_codes():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 20)
    centres = rng.standard_normal((10, 2)) * 50
    assert knn_accuracy(centres[y] + rng.standard_normal((200, 2)), y) == 1.0
    assert knn_accuracy(rng.standard_normal((200, 2)), y) < 0.3  # no structure: near chance


def test_semeion_autoencoder_code_separates_digits(shared_data):
    import matplotlib.pyplot as plt

    from numbanet.plots import autoencoding as F

    d = F.compute_semeion_autoencoder(budget="tiny")
    assert d["codes"].shape == (1593, 2) and d["reconstructions"].shape == (8, 16, 16)
    assert np.all((d["reconstructions"] > 0) & (d["reconstructions"] < 1))  # sigmoid output
    # even after a few epochs, the 2-D code learned without labels puts digits of a class near
    # each other far more often than chance (10 %), and reconstructs better than the mean image
    assert d["knn"] > 0.2
    assert d["mse"] < d["mse_mean"]
    assert d["loss"][-1] < d["loss"][0]
    for lang in ("en", "es"):
        plt.close(F.draw_semeion_autoencoder(d, lang))


def test_pretraining_few_labels_same_steps_and_a_gain_at_100_labels(shared_data):
    import matplotlib.pyplot as plt

    from numbanet.plots import autoencoding as F

    d = F.compute_pretraining_few_labels(budget="tiny")
    assert d["label_counts"] == [100]
    # 20 + 60 steps in epochs of 4 steps (100 labels, minibatch 32), the baseline the same
    assert d["supervised_steps"] == [(5 + 15) * 4]
    # the pre-training learned: each layer's reconstruction cost fell
    assert all(lo[-1] < lo[0] for lo in d["pretrain_loss"])
    # the deck's claim on a deep (two hidden layers) sigmoid net with 100 labels
    gain = d["pretrained"].mean(1)[0] - d["random"].mean(1)[0]
    assert gain > 0.03, d
    for lang in ("en", "es"):
        plt.close(F.draw_pretraining_few_labels(d, lang))
