"""The slides' experiments (``numbanet.experiments``): their results asserted on small budgets.

The figures and claims that use them are tested in ``test_fig_*.py``, ``test_figures_b.py``
and ``test_claims.py``; here each experiment is run directly.
"""

import numpy as np
import pytest

from numbanet.errors import ValidationError
from numbanet.experiments import vanishing


# --------------------------------------------------------------------------- deck 004 (DL)
def test_compare_autoencoder_uses_small(shared_data):
    res = vanishing.compare_autoencoder_uses(
        n_train=1500, n_test=500, n_code=16, ae_epochs=8, clf_epochs=5, backend="cpu", seed=0
    )
    acc = res["accuracy"]
    assert set(acc) == {"raw", "features", "reconstructions", "joint"}
    # every use learns well above chance (0.1 for 10 classes) on 1,500 digits
    assert all(a > 0.3 for a in acc.values()), acc
    assert acc["raw"] > 0.6 and acc["joint"] > 0.6, acc
    assert len(res["ae_loss"]) == 8 and res["ae_loss"][-1] < res["ae_loss"][0]
    assert len(res["joint_history"]) == 5


def test_compare_pretraining_validates_its_arguments():
    with pytest.raises(ValidationError, match="methods"):
        vanishing.compare_pretraining(methods=("bogus",), data=(np.zeros((2, 4)),) * 4)
    with pytest.raises(ValidationError, match="seeds"):
        vanishing.compare_pretraining(seeds=(), data=(np.zeros((2, 4)),) * 4)


def test_compare_pretraining_small(shared_data):
    from numbanet.data import mnist_split

    d = mnist_split()
    data = (d.x_train[:1500], d.y_train[:1500], d.x_val[:500], d.y_val[:500])
    res = vanishing.compare_pretraining(
        seeds=(0, 1), sizes=(784, 64, 64, 64, 10), pretrain_epochs=2, finetune_epochs=1,
        speed_examples=300, backend="cpu", data=data,
    )  # fmt: skip
    s = res["summary"]
    assert set(s) == {"random", "autoencoder", "rbm"}
    for m in s:
        r = res["results"][m]
        assert len(r["val_accuracy"]) == 2 and len(r["speeds"][0]) == 3
        assert all(ratio >= 1 for ratio in r["speed_ratio"])
    # the claim, at a tiny budget: pre-trained nets are ahead after the first fine-tuning epoch
    # and their layers learn at more even speeds
    for m in ("autoencoder", "rbm"):
        assert s[m]["first_epoch_accuracy"][0] > s["random"]["first_epoch_accuracy"][0] + 0.1, s
        assert s[m]["speed_ratio"][0] < s["random"]["speed_ratio"][0], s
