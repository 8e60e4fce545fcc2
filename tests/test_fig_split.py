"""The figures split from two crowded ones (issue 19, the reviewer's list): ``rnn-lstm`` into
``rnn-lstm``, ``rnn-orthogonal`` and ``birnn-labelling``; ``autoencoder`` into ``autoencoder``,
``denoising-autoencoder`` and ``autoencoder-uses``.

What motivated the split, checked on the tiny budget: each figure's panels concern one
experiment (the gradient beside the noisy recall comes from the noisy task; the gradient beside
the orthogonal-init recall from the blank task, whose data both of its panels use), each figure
has a one-line title and no more panels than it needs, and each computes only what it draws.
"""

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from numbanet import plots  # noqa: E402
from numbanet.experiments import training as T  # noqa: E402
from numbanet.experiments import vanishing as V  # noqa: E402
from numbanet.plots import recurrent, unsupervised  # noqa: E402
from numbanet.plots._style import localise, style  # noqa: E402
from numbanet.plots.catalog import BY_ID, CATALOG  # noqa: E402

#: figure id -> the most panels (axes holding data; a twin axis shares its panel) it may draw
PANELS = {
    "rnn-lstm": 2,
    "rnn-orthogonal": 2,
    "birnn-labelling": 1,
    "autoencoder": 2,
    "denoising-autoencoder": 2,
    "autoencoder-uses": 1,
}
MNIST = {"autoencoder", "denoising-autoencoder", "autoencoder-uses"}


def _mnist_or_skip(fig_id):
    if fig_id in MNIST:
        root = os.environ.get("NUMBANET_DATA", "")
        if not os.path.isdir(os.path.join(root, "mnist")):
            pytest.skip("MNIST not found (set NUMBANET_DATA)")


def _recorded_recall_tasks(monkeypatch):
    """Record (T, noise) of every ``recall_first_symbol`` call: which task a compute used."""
    calls = []
    real = T.recall_first_symbol

    def spy(n, T=T.T_RECALL, k=T.K_SYMBOLS, noise=T.NOISE, seed=0):
        calls.append((T, noise))
        return real(n, T=T, k=k, noise=noise, seed=seed)

    monkeypatch.setattr(T, "recall_first_symbol", spy)
    return calls


@pytest.fixture(scope="module")
def computed():
    """Each figure's tiny data, computed once for the module (on demand)."""
    cache = {}

    def get(fig_id):
        _mnist_or_skip(fig_id)
        if fig_id not in cache:
            cache[fig_id] = plots.compute(fig_id, budget="tiny")
        return cache[fig_id]

    return get


def _draw(fig_id, data, lang):
    module = recurrent if BY_ID[fig_id].module == "recurrent" else unsupervised
    with style():
        fig = getattr(module, "draw_" + fig_id.replace("-", "_"))(data, lang)
        return localise(fig, lang)


def _has_data(ax):
    return bool(ax.get_lines() or ax.get_images() or ax.collections or ax.patches)


def _panels(fig):
    """The number of panels holding data: axes at distinct positions (twins share one)."""
    return len({tuple(np.round(ax.get_position().bounds, 3)) for ax in fig.axes if _has_data(ax)})


def _curves(ax):
    return [np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines()]


# ============================================================================ every figure
def test_the_split_figures_follow_the_ones_they_come_from_in_the_catalogue():
    ids = [f.id for f in CATALOG]
    for first, rest in (
        ("rnn-lstm", ["rnn-orthogonal", "birnn-labelling"]),
        ("autoencoder", ["denoising-autoencoder", "autoencoder-uses"]),
    ):
        i = ids.index(first)
        assert ids[i + 1 : i + 1 + len(rest)] == rest
        for fid in rest:
            f, g = BY_ID[fid], BY_ID[first]
            assert (f.module, f.slide, f.needs, f.slide_es) == (
                g.module,
                g.slide,
                g.needs,
                g.slide_es,
            )
            assert f.description_es and f.description_es != f.description


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("fig_id", list(PANELS))
def test_each_split_figure_draws_one_title_and_only_its_panels(fig_id, lang, computed):
    data = computed(fig_id)
    fig = _draw(fig_id, data, lang)
    try:
        title = fig.get_suptitle()
        assert title and "\n" not in title, title
        n = _panels(fig)
        assert 1 <= n <= PANELS[fig_id], (fig_id, n)
        assert all(_has_data(ax) for ax in fig.axes)  # no empty axes left over
    finally:
        plt.close(fig)


def test_the_panel_counter_sees_an_extra_panel():
    fig, axes = plt.subplots(1, 3)
    for ax in axes[:2]:
        ax.plot([0, 1])
    twin = axes[0].twinx()
    twin.plot([1, 0])
    assert _panels(fig) == 2
    axes[2].imshow(np.zeros((2, 2)))
    assert _panels(fig) == 3
    plt.close(fig)


# ============================================================================ recurrent
def test_rnn_lstm_draws_the_noisy_task_only(monkeypatch):
    calls = _recorded_recall_tasks(monkeypatch)
    d = recurrent.compute_rnn_lstm(budget="tiny")
    assert calls and set(calls) == {(T.T_RECALL, T.NOISE)}  # every sequence: the noisy task
    assert T.NOISE > 0 and "grads_blank" not in d and "init_curves" not in d
    assert set(d["grads"]) == {"lstm", "rnn (orthogonal)", "rnn (random)"}
    rnn, lstm = d["grads"]["rnn (orthogonal)"], d["grads"]["lstm"]
    assert rnn[0] < 1e-2 * rnn[-1] and lstm[0] > 100 * rnn[0]  # vanishes; the cell carries it
    for lang in ("en", "es"):
        fig = _draw("rnn-lstm", d, lang)
        drawn = _curves(fig.axes[1])
        assert len(drawn) == len(d["grads"])  # the gradient panel: three noisy-task curves
        for g in d["grads"].values():
            assert any(np.array_equal(y, np.maximum(g, 1e-30)) for y in drawn)
        assert all(len(y) == d["T"] for y in drawn)
        plt.close(fig)


def test_rnn_orthogonal_both_panels_come_from_the_blank_task(monkeypatch):
    calls = _recorded_recall_tasks(monkeypatch)
    d = recurrent.compute_rnn_orthogonal(budget="tiny")
    T_init = d["T_init"]
    assert T_init != T.T_RECALL  # so a noisy-task curve would show by its length
    assert calls and set(calls) == {(T_init, 0.0)}  # training, validation and gradient batches
    assert set(d["grads_blank"]) == {"rnn (orthogonal)", "rnn (random)"} and "grads" not in d
    orth, rand = d["grads_blank"]["rnn (orthogonal)"], d["grads_blank"]["rnn (random)"]
    # on blank steps the orthogonal W_hh carries the gradient back; the random one loses more
    assert orth[0] / orth[-1] > rand[0] / rand[-1] and orth[0] > 0.1 * orth[-1]
    for lang in ("en", "es"):
        fig = _draw("rnn-orthogonal", d, lang)
        acc, grad = _curves(fig.axes[0]), _curves(fig.axes[1])
        for c in d["init_curves"].values():  # seeds x epochs: the mean and every seed
            assert c.ndim == 2 and c.shape[0] >= 2
            assert any(np.array_equal(y, c.mean(axis=0)) for y in acc)
            for row in c:
                assert any(np.array_equal(y, row) for y in acc)
        assert len(grad) == 2 and all(len(y) == T_init for y in grad)
        for g in d["grads_blank"].values():
            assert any(np.array_equal(y, np.maximum(g, 1e-30)) for y in grad)
        plt.close(fig)


def test_birnn_labelling_draws_both_taggers_on_one_signal(computed):
    d = computed("birnn-labelling")
    assert set(d["tagging"]) == {"causal", "bidirectional"}
    assert "curves" not in d and "init_curves" not in d  # no recall experiment computed
    fig = _draw("birnn-labelling", d, "es")
    probs = [y for ax in fig.axes for y in _curves(ax) if np.all((y >= 0) & (y <= 1))]
    for res in d["tagging"].values():
        assert any(np.array_equal(y, res["prob"]) for y in probs)
    labels = " ".join(fig.axes[-1].get_legend_handles_labels()[1])
    assert "bidireccional" in labels and "inicios" in labels
    plt.close(fig)


# ============================================================================ autoencoders
def test_autoencoder_draws_the_code_and_trains_no_classifier(monkeypatch, computed):
    _mnist_or_skip("autoencoder")

    def forbidden(*a, **k):
        raise AssertionError("the autoencoder figure does not compare the uses")

    monkeypatch.setattr(V, "compare_autoencoder_uses", forbidden)
    d = unsupervised.compute_autoencoder(budget="tiny")
    assert "uses" not in d and np.asarray(d["codes"]).shape == (len(d["labels"]), 2)
    fig = _draw("autoencoder", d, "en")
    assert len(fig.axes[0].collections) == 10  # one scatter per digit
    assert fig.axes[1].get_images()[0].get_array().shape == (9 * 29 + 1, 9 * 29 + 1)
    plt.close(fig)


def test_the_two_autoencoder_uses_figures_share_settings_and_train_only_what_they_draw(computed):
    den, uses = computed("denoising-autoencoder"), computed("autoencoder-uses")
    assert set(den["accuracy"]) == {"joint"}  # no baseline / features / reconstruction nets
    assert set(uses["accuracy"]) == set(V.AUTOENCODER_USES)
    same = {k: v for k, v in den["settings"].items() if k != "uses"}
    assert same == {k: v for k, v in uses["settings"].items() if k != "uses"}
    # the autoencoder is seeded on its own: the same cost curve whichever uses are trained
    np.testing.assert_allclose(den["ae_loss"], uses["ae_loss"])
    np.testing.assert_allclose(den["examples"]["denoised"], uses["examples"]["denoised"])


def test_denoising_autoencoder_draws_examples_and_both_cost_curves(computed):
    d = computed("denoising-autoencoder")
    fig = _draw("denoising-autoencoder", d, "es")
    assert len(fig.axes[0].get_images()) == 1
    drawn = _curves(fig.axes[1])
    assert any(np.allclose(y, d["ae_loss"]) for y in drawn)
    assert any(np.allclose(y, [h["ae"] for h in d["joint_history"]]) for y in drawn)
    plt.close(fig)


def test_autoencoder_uses_draws_one_bar_per_use(computed):
    d = computed("autoencoder-uses")
    fig = _draw("autoencoder-uses", d, "en")
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == pytest.approx([d["accuracy"][k] for k in V.AUTOENCODER_USES])
    plt.close(fig)


def test_compare_autoencoder_uses_rejects_an_unknown_use():
    from numbanet.errors import ValidationError

    with pytest.raises(ValidationError, match="uses must be"):
        V.compare_autoencoder_uses(x_train=np.zeros((4, 4)), uses=("pixels",))
