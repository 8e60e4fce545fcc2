"""XOR from learned gates (issue 20, item 4; MLP deck 001, "Múltiples capas"):
X1 xor X2 = (X1 or X2) and not(X1 and X2)."""

from __future__ import annotations

import numpy as np
import pytest

from numbanet.claims import check
from numbanet.errors import ValidationError
from numbanet.unsupervised.perceptron import (
    LOGIC_GATES,
    Perceptron,
    step_network,
    xor_from_gates,
)


@pytest.mark.parametrize("seed", [None, 0, 7])
def test_learned_gates_wired_compute_xor(seed):
    res = xor_from_gates(seed=seed)
    X = res["X"]
    for name, p in res["gates"].items():
        np.testing.assert_array_equal(p.predict(X), LOGIC_GATES[name][1], err_msg=name)
    np.testing.assert_array_equal(res["hidden"][:, 0], LOGIC_GATES["OR"][1])
    np.testing.assert_array_equal(res["hidden"][:, 1], LOGIC_GATES["NAND"][1])
    np.testing.assert_array_equal(res["output"], [0, 1, 1, 0])
    # the network is a numbanet Sequential: its forward gives the same bits
    np.testing.assert_array_equal(res["net"].forward(X)[:, 0], [0, 1, 1, 0])


def test_the_wiring_matters():
    """OR into AND with AND (not NAND) beside it computes AND, not XOR: the NOT in the slide's
    formula is what the NAND unit supplies."""
    gates = xor_from_gates()["gates"]
    X = LOGIC_GATES["XOR"][0]
    wrong = step_network([gates["OR"], gates["AND"]], gates["AND"])
    np.testing.assert_array_equal(wrong.predict(X)[:, 0], LOGIC_GATES["AND"][1])


def test_step_network_refuses_mismatched_perceptrons():
    with pytest.raises(ValidationError, match="needs 2 inputs; it has 3"):
        step_network([Perceptron(2), Perceptron(2)], Perceptron(3))
    with pytest.raises(ValidationError, match="same inputs"):
        step_network([Perceptron(2), Perceptron(3)], Perceptron(2))
    with pytest.raises(ValidationError, match="list of hidden Perceptrons"):
        step_network([], Perceptron(1))


def test_claim_32_holds():
    r = check(32)
    assert r.verdict == "holds" and not r.failed, r.explanation
    assert r.computed["step network on (0,0), (0,1), (1,0), (1,1)"] == [0, 1, 1, 0]
    assert r.computed["one perceptron on XOR: mistakes in its 100th epoch"] > 0
