"""numbanet.diagnose: deck 003's avoidable bias (train - Bayes) and generalization gap
(validation - train), and which to attack."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.diagnose import BIAS_ADVICE, VARIANCE_ADVICE, Diagnosis
from numbanet.errors import ValidationError


def _h(acc, vacc, loss=None, vloss=None):
    n = len(acc)
    return {
        "epoch": list(range(1, n + 1)),
        "accuracy": acc,
        "val_accuracy": vacc,
        "loss": loss or [1.0] * n,
        "val_loss": vloss or [1.0] * n,
    }


def test_the_slides_definitions_and_the_focus():
    # train error 8%, validation 10%, Bayes 1%: bias 7% > gap 2% -> attack the bias
    d = nb.diagnose(_h([0.5, 0.92], [0.5, 0.90]), bayes_error=0.01)
    assert isinstance(d, Diagnosis) and d.metric == "error" and d.epoch == 1
    assert d.train_error == pytest.approx(0.08) and d.val_error == pytest.approx(0.10)
    assert d.avoidable_bias == pytest.approx(0.07)
    assert d.generalization_gap == pytest.approx(0.02)
    assert d.focus == "bias"
    assert d.advice[: len(BIAS_ADVICE)] == list(BIAS_ADVICE)
    assert d.advice[len(BIAS_ADVICE) :] == list(VARIANCE_ADVICE)  # the gap is above tol too
    # train error 2%, validation 12%: the gap dominates
    d = nb.diagnose(_h([0.98], [0.88]), bayes_error=0.015)
    assert d.focus == "variance" and d.advice == list(VARIANCE_ADVICE)
    assert d.avoidable_bias == pytest.approx(0.005) and d.generalization_gap == pytest.approx(0.10)
    # both small
    d = nb.diagnose(_h([0.985], [0.98]), bayes_error=0.01)
    assert d.focus == "neither" and d.advice == []
    # equal and large
    d = nb.diagnose(_h([0.9], [0.8]), bayes_error=0.0)
    assert d.focus == "both"
    text = str(d)
    assert "avoidable bias" in text and "generalization gap" in text and "+0.1000" in text


def test_epoch_choice_and_loss_metric():
    h = _h([0.6, 0.9, 0.99], [0.6, 0.88, 0.80])
    assert nb.diagnose(h, epoch="best").epoch == 1
    assert nb.diagnose(h, epoch=0).val_error == pytest.approx(0.4)
    assert nb.diagnose(h, epoch=-1).epoch == 2
    d = nb.diagnose(_h([0.5], [0.5], loss=[0.3], vloss=[0.7]), metric="loss", bayes_error=0.1)
    assert d.avoidable_bias == pytest.approx(0.2) and d.generalization_gap == pytest.approx(0.4)
    # a regression run (no accuracies) is diagnosed on the loss
    d = nb.diagnose({"loss": [0.5, 0.2], "val_loss": [0.6, 0.5]})
    assert d.metric == "loss" and d.generalization_gap == pytest.approx(0.3)


def test_notes_for_impossible_looking_numbers():
    d = nb.diagnose(_h([0.999], [0.95]), bayes_error=0.05)
    assert d.avoidable_bias < 0 and any("below the Bayes error" in n for n in d.notes)
    d = nb.diagnose(_h([0.8], [0.9]))
    assert d.generalization_gap < 0 and any("validation error is below" in n for n in d.notes)


def test_on_a_real_run_matches_evaluate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4))
    y = (x[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
    xv, yv = x[80:], y[80:]
    net = nb.Sequential([nb.Dense(4, 16), nb.ReLU(), nb.Dense(16, 2)], backend="cpu", seed=0)
    hist = net.fit(
        x[:80],
        y[:80],
        loss="cross_entropy",
        epochs=5,
        batch_size=16,
        lr=0.1,
        validation=(xv, yv),
        train_metrics="exact",
        progress=False,
        seed=0,
    )
    d = nb.diagnose(hist, bayes_error=0.05)
    assert d.train_error == pytest.approx(1 - net.evaluate(x[:80], y[:80])["accuracy"])
    assert d.val_error == pytest.approx(1 - net.evaluate(xv, yv)["accuracy"])
    assert d.avoidable_bias == pytest.approx(d.train_error - 0.05)
    assert d.focus in ("bias", "variance", "both", "neither")


def test_module_and_function_are_both_callable():
    import numbanet.diagnose as mod

    assert callable(mod)
    d = mod(_h([0.9], [0.8]))
    assert d.avoidable_bias == pytest.approx(0.1)
    assert nb.diagnose(_h([0.9], [0.8])).focus == "both"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(history=[1, 2]), "History"),
        (dict(history={"loss": [1.0]}), "val_loss"),
        (dict(history={"loss": [1.0], "val_loss": [1.0]}, metric="error"), "val_accuracy"),
        (dict(history=_h([0.9], [0.8]), bayes_error=1.5), "bayes_error"),
        (dict(history=_h([0.9], [0.8]), bayes_error="x"), "bayes_error"),
        (dict(history=_h([0.9], [0.8]), epoch=3), "epoch"),
        (dict(history=_h([0.9], [0.8]), metric="f1"), "metric"),
        (dict(history=_h([0.9], [0.8]), tol=-1), "tol"),
        (dict(history=_h([None], [0.8]), metric="error"), "no finite"),
        (dict(history={"accuracy": [0.9, 0.8], "val_accuracy": [0.9]}), "records"),
    ],
)
def test_bad_inputs(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        nb.diagnose(**kwargs)
