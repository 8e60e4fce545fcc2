"""``Loss.forward`` computes the common case (a 2-D float32/float64 prediction with float
targets of its shape, or integer labels for a cross-entropy from logits) in one compiled pass
that checks the values as it reads them (``backend.checked_loss``). It must give the values and
gradients of the step-by-step path, and every bad input must still get that path's error."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import losses as L
from numbanet.backends import get_backend

UNIT_LOSSES = [
    ("mse", lambda: L.MSE(), "any"),
    ("mse_mean", lambda: L.MSE("mean"), "any"),
    ("bce", lambda: L.BCE(), "prob"),
    ("bce_logits", lambda: L.BCEWithLogits(), "any"),
    ("multilabel", lambda: L.MultiLabelBCE(), "any"),
    ("multilabel_prob", lambda: L.MultiLabelBCE(from_logits=False), "prob"),
    ("nielsen", lambda: L.SigmoidCrossEntropy(), "any"),
]


def _both(loss, pred, target):
    """(value, grad) of the checked pass and of the step-by-step path, and whether the
    checked pass answered."""
    cpu = get_backend("cpu")
    answered = cpu.checked_loss.__self__ is cpu and loss._forward_checked(cpu, pred, target)
    fast = (loss.forward(pred, target), loss.backward().copy())
    loss._forward_checked = lambda *a: None  # the instance now takes the checking path
    slow = (loss.forward(pred, target), loss.backward().copy())
    return fast, slow, answered is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("tdtype", [np.float32, np.float64], ids=["t32", "t64"])
@pytest.mark.parametrize("name,make,domain", UNIT_LOSSES, ids=[u[0] for u in UNIT_LOSSES])
def test_unit_losses_match_the_checking_path(name, make, domain, dtype, tdtype):
    rng = np.random.default_rng(0)
    pred = rng.standard_normal((9, 4)) * 3
    if domain == "prob":
        pred = 1 / (1 + np.exp(-pred))
        pred[0, 0], pred[1, 1] = 0.0, 1.0  # clipped at eps
    pred = pred.astype(dtype)
    target = (rng.random((9, 4)) < 0.5).astype(tdtype)
    (v1, g1), (v2, g2), answered = _both(make(), pred, target)
    assert answered
    assert g1.dtype == pred.dtype and g1.shape == pred.shape
    np.testing.assert_allclose(v1, v2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("ldtype", [np.int64, np.int32, np.uint8])
def test_cross_entropy_labels_match_the_checking_path(dtype, ldtype):
    rng = np.random.default_rng(1)
    z = (rng.standard_normal((11, 5)) * 30).astype(dtype)  # large logits: the stable form
    y = rng.integers(0, 5, 11).astype(ldtype)
    (v1, g1), (v2, g2), answered = _both(L.CrossEntropy(), z, y)
    assert answered and np.isfinite(v1)
    np.testing.assert_allclose(v1, v2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-12)


BAD = [
    ("nan in pred", L.MSE(), "pred", (0, 1), np.nan, "pred contains NaN at index \\(0, 1\\)"),
    ("inf in target", L.MSE(), "target", (2, 0), np.inf, "target contains infinity"),
    ("target above 1", L.BCEWithLogits(), "target", (1, 1), 2.0, "must lie in \\[0, 1\\]"),
    ("probability above 1", L.BCE(), "pred", (1, 1), 1.5, "must be probabilities"),
    ("negative probability", L.BCE(), "pred", (0, 0), -0.1, "must be probabilities"),
]


@pytest.mark.parametrize("what,loss,arg,pos,val,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_values_get_the_checking_paths_error(what, loss, arg, pos, val, msg):
    pred = np.full((3, 2), 0.5, np.float32)
    target = np.zeros((3, 2), np.float32)
    (pred if arg == "pred" else target)[pos] = val
    with pytest.raises(nb.ValidationError, match=msg):
        loss.forward(pred, target)


def test_bad_labels_and_logits_get_the_checking_paths_error():
    z = np.zeros((3, 4), np.float32)
    with pytest.raises(nb.ValidationError, match="label 4, outside the range"):
        L.CrossEntropy().forward(z, np.array([0, 4, 1]))
    with pytest.raises(nb.ValidationError, match="label -1"):
        L.CrossEntropy().forward(z, np.array([0, -1, 1]))
    z[2, 3] = np.nan
    with pytest.raises(nb.ValidationError, match="pred contains NaN at index \\(2, 3\\)"):
        L.CrossEntropy().forward(z, np.array([0, 1, 1]))


def test_other_inputs_take_the_checking_path():
    """1-D predictions, lists, non-contiguous arrays, integer targets, one-hot targets of a
    cross-entropy: the checked pass declines and the step-by-step path computes them."""
    cpu = get_backend("cpu")
    z = np.linspace(-1, 1, 12).reshape(4, 3)
    mse = L.MSE()
    for pred, target in [
        (z[:, 0], np.zeros(4)),
        (z.tolist(), np.zeros((4, 3))),
        (z[:, ::2], np.zeros((4, 2))),
        (z, np.zeros((4, 3), np.int64)),
    ]:
        assert mse._forward_checked(cpu, pred, target) is None
        assert np.isfinite(mse.forward(pred, target))
    onehot = np.eye(3)[[0, 1, 2, 0]]
    ce = L.CrossEntropy()
    assert ce._forward_checked(cpu, z, onehot) is None
    assert ce.forward(z, onehot) == pytest.approx(
        L.CrossEntropy().forward(z, np.array([0, 1, 2, 0]))
    )
    assert get_backend("reference").checked_loss(0, z, z, 1.0) is None
