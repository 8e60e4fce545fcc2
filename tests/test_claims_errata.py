"""Claims 22-29: the slides' inconsistencies, computed (issue 20 items 7 and 22)."""

from __future__ import annotations

import numpy as np
import pytest

from numbanet import claims


def run(cid):
    r = claims.check(cid)
    assert r.verdict != "error", r.explanation
    assert not r.failed, (r.verdict, r.parts, r.explanation)
    return r


@pytest.mark.parametrize("cid", [22, 23])
def test_gradient_is_the_mean_while_the_cost_is_a_sum(cid):
    r = run(cid)
    c = r.computed
    assert c["slide's gradient / derivative of its cost"] == pytest.approx(1 / 8, rel=1e-6)
    assert c["the same times N"] == pytest.approx(1.0, rel=1e-6)
    assert c["slide's gradient - engine's gradient of the mean loss"] < 1e-12
    assert r.parts["slide's gradient / derivative of its cost"] == "differs"


def test_stray_xj_in_the_categorical_cross_entropy():
    r = run(24)
    vals = r.computed["slide's ECC for j = 1, 2, 3"]
    assert len(set(vals)) == 3
    assert r.computed["ECC without x_j^(i)"] == pytest.approx(
        r.computed["N x numbanet's CrossEntropy"]
    )


def test_brace_is_w2_and_output_is_not_linear():
    r = run(25)
    assert r.computed["dz^{3}/da^{2}"] == "W^{2}" and r.computed["max |dz3/da2 - W^{2}|"] < 1e-8
    r = run(26)
    d_lin, d_sig = (
        r.computed["delta^{3}, linear output"],
        r.computed["delta^{3}, a^{3} = sigmoid(z^{3})"],
    )
    assert abs(d_lin - d_sig) > 1e-3 and r.computed["BP1-BP4 checks pass"]


def test_lenet_quiz_table_against_the_computed_summary():
    r = run(27)
    c = r.computed
    assert c["conv2d_17 output"] == [26, 26, 6] and c["conv2d_17 params"] == 60
    assert c["conv2d_18 output"] == [11, 11, 16] and c["conv2d_18 params"] == 880
    assert c["average_pooling2d_14 output"] == [13, 13, 6]
    assert c["dense_21 params"] == 48120 and c["dense_22 params"] == 10164
    assert r.parts["dense_23 params"] == "holds" and r.parts["flatten_7 output"] == "holds"


def test_adam_with_m_t_is_ten_times_too_small_at_the_first_step():
    r = run(28)
    eng = np.array(r.computed["first step / alpha, engine"])
    np.testing.assert_allclose(
        np.abs(eng), 1.0, rtol=1e-4
    )  # hat m_1 / sqrt(hat v_1 + eps) ~ sign(g)


def test_adam_claim_fails_when_adam_drops_the_bias_correction(monkeypatch):
    from numbanet import optim

    real = optim.Adam.__init__

    def no_correction(self, params, lr=1e-3, beta1=0.9, **kw):
        real(self, params, lr=lr * (1 - beta1), beta1=beta1, **kw)

    monkeypatch.setattr(optim.Adam, "__init__", no_correction)
    r = claims.check(28)
    assert r.failed


def test_lenet5_connections_against_the_slide_and_the_paper():
    r = run(29)
    assert r.computed == {"connections": 340908, "distinct weights": 60840}
    assert r.parts["connections (LeCun et al. 1998)"] == "holds"


def test_claims_fail_when_the_computation_is_wrong(monkeypatch):
    import numbanet.nn.sequential as S

    real = S._connections
    monkeypatch.setattr(S, "_connections", lambda *a: real(*a) + 1)
    assert claims.check(29).failed
