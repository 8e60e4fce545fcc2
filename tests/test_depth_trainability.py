"""Figure ``depth-trainability`` and claim 21 (issue 21): the residual extension of the
initialisation recursion, the experiment's nets and bookkeeping, the gradient speeds through
residual blocks and batch norm, the figure on the tiny budget in both languages, and the claim's
verdict (which must fail when the measurement disagrees with the slide)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import numbanet as nb
from numbanet import claims, slides
from numbanet.errors import ValidationError
from numbanet.experiments import trainability as T
from numbanet.theory import init_variance as IV
from numbanet.theory.gradient_speed import layer_speeds


# ---------------------------------------------------------------------------- theory
@pytest.mark.parametrize("s", [0.0, 0.3, 1.0])
def test_residual_recursion_multiplies_by_one_plus_s_squared_for_relu_he(s):
    """ReLU with He's v = 2/d: each block multiplies E[x^2] (forward) and the gradient's
    variance (backward) by exactly 1 + s^2; s = 1 doubles it at every block."""
    L = 12
    p = IV.residual_recursion("relu", 16, L, "he_normal", branch_scale=s, q0=1.5, g0=0.5)
    k = 1.0 + s * s
    np.testing.assert_allclose(p.forward, 1.5 * k ** np.arange(1, L + 1), rtol=1e-13)
    np.testing.assert_allclose(p.backward, 0.5 * k ** np.arange(L, 0, -1), rtol=1e-13)
    # block l's weight gradient, s^2 Var(g^[l]) E[relu(x^[l-1])^2] = s^2 g0 k^(L-l) q0 k^(l-1) / 2,
    # is the same for every block
    np.testing.assert_allclose(p.weight_grad, s * s * 0.5 * 1.5 * k ** (L - 1) / 2, rtol=1e-13)


def test_a_scaled_branch_keeps_the_variance_bounded_at_any_depth():
    for L in (10, 49, 400):
        q = IV.residual_recursion("relu", 32, L, branch_scale=1 / math.sqrt(L)).forward[-1]
        assert (1 + 1 / L) ** L == pytest.approx(q) and q < math.e
    assert IV.residual_recursion("relu", 32, 49).forward[-1] == pytest.approx(2.0**49)


def test_residual_measure_agrees_with_the_recursion():
    """Per-block growth factor measured on sampled nets: 1 + s^2 within 5 standard errors, for
    the unscaled and the scaled branch (and the identity when s = 0)."""
    for s in (1.0, 1 / math.sqrt(20)):
        m = IV.residual_measure("relu", 64, 20, branch_scale=s, n_samples=128, n_nets=8, seed=1)
        z = np.abs(m.ratio - (1 + s * s)) / m.ratio_sem
        assert z.max() < 5, (s, z.max())
        rec = IV.residual_recursion("relu", 64, 20, branch_scale=s).forward
        assert np.all(np.abs(np.log(m.forward / rec)) < 0.5)  # the same curve, not a neighbour
    m0 = IV.residual_measure("relu", 8, 5, branch_scale=0.0, n_samples=64, n_nets=2)
    np.testing.assert_allclose(m0.ratio, 1.0)


@pytest.mark.parametrize("bad", [-0.5, float("nan"), "big", True])
def test_residual_recursion_refuses_a_bad_branch_scale(bad):
    with pytest.raises(ValidationError, match="branch_scale"):
        IV.residual_recursion("relu", 8, 3, branch_scale=bad)


# ---------------------------------------------------------------------------- the nets
@pytest.mark.parametrize("family", T.FAMILIES)
def test_every_family_has_depth_hidden_dense_layers(family):
    net = T.trainability_net(family, 4, width=6, d_in=5, d_out=3)
    dense = [layer for layer in _walk(net.layers) if isinstance(layer, nb.Dense)]
    assert len(dense) == 5  # 4 hidden + the output
    assert net.forward(np.ones((3, 5), np.float32), training=True).shape == (3, 3)
    assert net.dense_stack() is None or family == "plain"  # only the plain net may fuse
    if family == "residual":  # branch weights scaled by 1 / sqrt(depth - 1)
        w = np.concatenate([r.block[1].W.value.ravel() for r in net.layers[1:4]])
        assert np.std(w) < 0.8 * math.sqrt(2 / 6)


def _walk(layers):
    for layer in layers:
        yield layer
        yield from _walk(getattr(layer, "block", ()))


def test_an_unknown_family_is_refused():
    with pytest.raises(ValidationError, match="family"):
        T.trainability_net("dense", 3)
    with pytest.raises(ValidationError, match="families"):
        T.depth_trainability(families=("plain", "wide"))


# ---------------------------------------------------------------------------- speeds
def test_speeds_reach_into_residual_branches_and_see_batch_statistics():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 40)).astype(np.float32), rng.integers(0, 10, 64)
    res = T.trainability_net("residual", 6, width=8)
    assert layer_speeds(res, x, y, "cross_entropy", which="weight").shape == (6,)
    bn = T.trainability_net("batchnorm", 3, width=8)
    train = layer_speeds(bn, x, y, "cross_entropy", which="weight", training=True)
    evals = layer_speeds(bn, x, y, "cross_entropy", which="weight", training=False)
    assert train.shape == (3,) and np.abs(train - evals).max() > 1e-3 * train.max()
    # a bias right before a batch norm has exactly zero gradient with batch statistics
    b = layer_speeds(bn, x, y, "cross_entropy", which="bias", training=True)
    assert b.max() < 1e-5 * train.max()


# ---------------------------------------------------------------------------- the experiment
def test_the_experiment_records_every_run():
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((96, 40)).astype(np.float32), rng.integers(0, 10, 96))
    r = T.depth_trainability(
        depths=(2, 3),
        epochs=3,
        seeds=(0, 1),
        n_train=96,
        width=8,
        speed_examples=32,
        data=data,
        fit_loss=2.2,
    )
    assert r["settings"]["n_train"] == 96 and r["settings"]["trains_below"] == T.TRAINS_BELOW
    for f in T.FAMILIES:
        assert np.asarray(r["final_loss"][f]).shape == (2, 2)
        assert [len(c) for c in r["curves"][f][1]] == [3, 3]
        assert [s.shape for s in r["speeds"][f]] == [(2,), (3,)]
        for si, seed_curves in enumerate(r["curves"][f]):
            assert [c[-1] for c in seed_curves] == r["final_loss"][f][si]
            assert [T._epochs_to(c, 2.2) for c in seed_curves] == r["fit_epoch"][f][si]
        assert r["initial_loss"][f] == [float(c[0]) for c in r["curves"][f][0]]


def test_epochs_to_and_deepest_trained():
    assert T._epochs_to([2.4, 1.9, 1.4, 1.2], 1.5) == 3
    assert T._epochs_to([2.4, 2.3], 1.5) is None
    fake = {
        "depths": [2, 5, 10, 20, 30],
        "settings": {"trains_below": 2.0},
        "final_loss": {
            "a": [[1.2, 1.3, 1.5, 1.9, 2.2]],
            "b": [[1.2, 2.1, 1.5, 1.0, 1.0]],
            "c": [[2.2, 1.0, 1.0, 1.0, 1.0]],
            "d": [[1.0] * 5, [1.0, 1.0, 2.05, 1, 1]],
        },
    }
    assert T.deepest_trained(fake, "a") == (20, 30)
    assert T.deepest_trained(fake, "b") == (2, 5)  # trains again deeper: still stopped at 5
    assert T.deepest_trained(fake, "c") == (0, 2)
    assert T.deepest_trained(fake, "d") == (5, 10)  # every seed must train
    fake["final_loss"]["e"] = [[1.0] * 5]
    assert T.deepest_trained(fake, "e") == (30, None)


# ---------------------------------------------------------------------------- the figure
def test_the_figure_computes_and_draws_in_both_languages(tmp_path):
    from numbanet import plots

    d = plots.compute("depth-trainability", budget="tiny")
    assert list(d["depths"]) == [2, 4] and d["slide_depth"] == slides.EASY_TRAINING_DEPTH
    th = d["theory"]
    assert th["n_blocks"] == 3
    np.testing.assert_allclose(th["1"]["recursion"], 2.0 ** np.arange(1, 4))
    np.testing.assert_allclose(th["plain"], 2.0)
    for f in T.FAMILIES:
        assert len(d["speeds"][f][-1]) == 4
    for lang in ("en", "es"):
        fig = plots.plot("depth-trainability", lang=lang, data=d)
        titles = " ".join(ax.get_title() for ax in fig.axes)
        assert ("Speeds of learning" if lang == "en" else "Velocidades de aprendizaje") in titles
        fig.savefig(tmp_path / f"{lang}.png", dpi=30)
        assert (tmp_path / f"{lang}.png").stat().st_size > 1000
    res = plots.render_figures(
        ["depth-trainability"], outdir=tmp_path, budget="tiny", progress=False, dpi=20
    )
    assert res[0]["status"] == "ok", res


# ---------------------------------------------------------------------------- the claim
def _fake_result(plain, residual, norm=(1.0,) * 6):
    depths = [2, 5, 10, 20, 30, 50]
    return {
        "depths": depths,
        "families": list(T.FAMILIES),
        "seeds": [0],
        "settings": {
            "trains_below": 2.0,
            "width": 32,
            "n_train": 1000,
            "lr": 0.1,
            "epochs": 20,
            "chance": math.log(10),
        },
        "final_loss": {
            "plain": [list(plain)],
            "residual": [list(residual)],
            "batchnorm": [list(norm)],
            "layernorm": [list(norm)],
        },
    }


@pytest.mark.parametrize(
    "plain, residual, deepest, ok",
    [
        ((1.2, 1.1, 1.3, 1.6, 2.2, 2.3), (1.2,) * 6, 20, True),  # plain stops after 20: the slide
        ((1.2, 1.1, 1.3, 1.6, 1.8, 2.3), (1.2,) * 6, 30, True),  # after 30: the sweep's resolution
        ((1.2, 1.1, 2.2, 2.3, 2.3, 2.3), (1.2,) * 6, 5, False),  # after 5: not the slide's 20
        (
            (1.2, 1.1, 1.3, 1.6, 2.2, 2.3),
            (1.2, 1.2, 1.2, 1.2, 2.3, 2.3),
            20,
            False,
        ),  # residual fails
    ],
)
def test_the_claim_fails_when_the_measurement_disagrees(monkeypatch, plain, residual, deepest, ok):
    monkeypatch.setattr(T, "depth_trainability", lambda **kw: _fake_result(plain, residual))
    r = claims.check(21)
    assert r.verdict != "error", r.explanation
    assert r.failed is (not ok), (r.parts, r.explanation)
    assert r.computed["plain: deepest depth that trains"] == deepest


@pytest.mark.slow
def test_claim_21_on_the_real_experiment():
    r = claims.check(21)
    assert not r.failed, (r.parts, r.explanation)
    c = r.computed
    assert c["residual: deepest depth that trains"] == 50
    assert 10 <= c["plain: deepest depth that trains"] <= 30
