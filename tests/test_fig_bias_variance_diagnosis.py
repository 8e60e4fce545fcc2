"""Figure ``bias-variance-diagnosis`` (issue 20, item 15) on the tiny budget: three real MNIST runs
through ``numbanet.diagnose``; the underfitting net's diagnosis is the bias, the overfitting
net's the variance; drawn in English and Spanish."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from numbanet.diagnose import BIAS_ADVICE, VARIANCE_ADVICE  # noqa: E402
from numbanet.errors import ValidationError  # noqa: E402
from numbanet.plots import regularization  # noqa: E402


def test_underfit_is_bias_overfit_is_variance_and_the_figure_draws(shared_data, tmp_path):
    import matplotlib.pyplot as plt

    d = regularization.compute_bias_variance_diagnosis(budget="tiny")
    runs = {m["name"]: m for m in d["models"]}
    assert list(runs) == ["underfit", "overfit", "balanced"]
    assert d["bayes_error"] == pytest.approx(0.002) and d["tol"] == pytest.approx(0.02)
    for m in runs.values():
        # the slide's two definitions, from the recorded errors of the last epoch
        assert m["train_error"] == pytest.approx(m["train_err"][-1])
        assert m["val_error"] == pytest.approx(m["val_err"][-1])
        assert m["avoidable_bias"] == pytest.approx(m["train_error"] - d["bayes_error"])
        assert m["generalization_gap"] == pytest.approx(m["val_error"] - m["train_error"])
    u, o = runs["underfit"], runs["overfit"]
    # two hidden units cannot fit the training images: the avoidable bias dominates
    assert u["focus"] == "bias" and u["avoidable_bias"] > u["generalization_gap"] + d["tol"]
    assert u["advice"][0] == BIAS_ADVICE[0]
    # a wide net on 100 images memorises them: the generalization gap dominates
    assert o["focus"] == "variance"
    assert o["train_error"] < 0.05 and o["generalization_gap"] > 0.1
    assert o["advice"][0] == VARIANCE_ADVICE[0]
    for lang, word in (("en", "bias"), ("es", "sesgo")):
        fig = regularization.draw_bias_variance_diagnosis(d, lang)
        title = fig._suptitle.get_text()
        assert "\n" not in title and word in title.lower()
        labels = [ax.get_xlabel() for ax in fig.axes]
        assert labels[1].startswith("try:" if lang == "en" else "probar:")
        if lang == "es":  # the advice translated, not left in English
            assert "datos de entrenamiento" in labels[1]
        path = tmp_path / f"bvd-{lang}.png"
        fig.savefig(path, dpi=30)
        plt.close(fig)
        assert path.stat().st_size > 1000


def test_unknown_budget_is_a_clear_error():
    with pytest.raises(ValidationError, match="budget"):
        regularization.compute_bias_variance_diagnosis(budget="huge")
