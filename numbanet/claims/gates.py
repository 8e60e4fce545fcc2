"""Claim 32: XOR from learned gates (MLP deck 001, "Múltiples capas"): X1 xor X2 = (X1 or X2)
and not(X1 and X2), computed by a step network of three perceptrons that each learned one gate."""

from __future__ import annotations

from .. import slides
from ._core import claim
from .verdict import verdict


@claim(
    32,
    f"MLP deck: X1 xor X2 = {slides.XOR_FROM_GATES}: perceptrons trained on OR, NAND and AND, "
    "wired as OR and NAND into AND, compute XOR's truth table, which no single perceptron learns",
    {"step network on (0,0), (0,1), (1,0), (1,1)": list(slides.XOR_TRUTH_TABLE)},
    figure="logic-gates",
)
def _c32():
    import numpy as np

    from ..unsupervised.perceptron import LOGIC_GATES, Perceptron, xor_from_gates

    res = xor_from_gates()
    out = res["output"].tolist()
    X = res["X"]
    # the slide's formula evaluated literally on the four inputs, and the slide's table
    x1, x2 = X[:, 0].astype(bool), X[:, 1].astype(bool)
    formula = ((x1 | x2) & ~(x1 & x2)).astype(int).tolist()
    alone = Perceptron(2)
    alone.fit(*LOGIC_GATES["XOR"], epochs=100)
    computed = {
        "step network on (0,0), (0,1), (1,0), (1,1)": out,
        "hidden units (OR, NAND) on the four inputs": res["hidden"].tolist(),
        "the slide's formula on the four inputs": formula,
        "epochs to learn OR, NAND, AND": [res["epochs"][k] for k in ("OR", "NAND", "AND")],
        "weights (w1, w2, b) of OR, NAND, AND": [
            [float(v) for v in np.append(res["gates"][k].weights, res["gates"][k].b)]
            for k in ("OR", "NAND", "AND")
        ],
        "one perceptron on XOR: mistakes in its 100th epoch": alone.errors_[-1],
    }
    cmp = verdict(computed, _slide_value()) & verdict(
        formula, list(slides.XOR_TRUTH_TABLE), name="the slide's formula on the four inputs"
    )
    method = (
        "unsupervised.perceptron.xor_from_gates: Perceptron(2, lr=1) from zero weights learns "
        "OR, NAND and AND with the perceptron rule; step_network wires OR and NAND as the hidden "
        "layer of a Sequential (Dense - Step - Dense - Step) whose output unit is AND; "
        "Sequential.predict on the four inputs"
    )
    return computed, cmp, method


def _slide_value():
    from ._core import _REGISTRY

    return _REGISTRY[32]["slide_value"]
