"""The computational graph (issue 20, item 10; FF deck 002, "Grafo computacional"):
``net.graph()`` and the figure ``computational-graph``."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

import numbanet as nb  # noqa: E402
from numbanet.plots import graph as G  # noqa: E402


def _reach(edges, start, kinds):
    out = {start}
    todo = [start]
    while todo:
        u = todo.pop()
        for s, d, k in edges:
            if s == u and k in kinds and d not in out:
                out.add(d)
                todo.append(d)
    return out


def test_graph_of_the_decks_mlp():
    d = G.compute_computational_graph(budget="tiny")
    kinds = [n["kind"] for n in d["nodes"]]
    assert kinds.count("param") == 6 and kinds.count("pgrad") == 6  # W, b of three layers
    assert kinds.count("op") == 6  # five layers and the loss
    labels = {n["id"]: n["label"] for n in d["nodes"]}
    values = [labels[n["id"]] for n in d["nodes"] if n["kind"] == "value"]
    assert values == ["$z^{1}$", "$a^{1}$", "$z^{2}$", "$a^{2}$", "$z^{3}$"]
    deltas = [n["label"] for n in d["nodes"] if n["kind"] == "grad"]
    # delta^3 comes straight from the cost node, spelled out there
    assert {"$\\delta^{1}$", "$\\delta^{2}$", "$\\delta^{3} = \\partial C/\\partial z^{3}$"} <= set(
        deltas
    )
    assert "$\\partial C/\\partial a^{1}$" in deltas
    # the forward graph reaches the cost from the input; backpropagation reaches every
    # parameter's gradient from the cost, and only through backward edges
    assert "C" in _reach(d["edges"], "a0", {"forward"})
    back = _reach(d["edges"], "C", {"backward"})
    pgrads = {n["id"] for n in d["nodes"] if n["kind"] == "pgrad"}
    assert pgrads <= back
    assert not any(n in back for n in labels if n.startswith("v") or n.startswith("p"))
    # every backward op of a layer with parameters reads them and the layer's input
    saved = {(s, t) for s, t, k in d["edges"] if k == "saved"}
    assert ("p0_W", "b0") in saved and ("a0", "b0") in saved and ("v1", "b2") in saved
    # shapes come from the model's shape inference
    shapes = {n["id"]: n["shape"] for n in d["nodes"] if n["shape"]}
    assert shapes["a0"] == "(n, 784)" and shapes["v2"] == "(n, 256)"


def test_net_graph_draws_any_sequential_without_graphviz(tmp_path):
    net = nb.Sequential(
        [nb.Conv1D(1, 4, 3), nb.ReLU(), nb.GlobalMaxPool1D(), nb.Dense(4, 3)],
        backend="reference",
        input_shape=(None,),
    )
    fig = net.graph(loss="cross_entropy", lang="es")
    fig.savefig(tmp_path / "g.png", dpi=30)
    assert (tmp_path / "g.png").stat().st_size > 1000
    data = G.graph_of(net, None)
    assert not any(n["id"] == "C" for n in data["nodes"])
    assert [n["shape"] for n in data["nodes"] if n["kind"] == "value"][0] == "(n, 4, ?)"
    with pytest.raises(nb.errors.ValidationError, match="input shape"):
        G.graph_of(nb.Sequential([nb.ReLU()], backend="reference"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_computational_graph_figure(lang, tmp_path):
    d = G.compute_computational_graph(budget="tiny")
    fig = G.draw_computational_graph(d, lang)
    assert "\n" not in fig._suptitle.get_text()
    fig.savefig(tmp_path / f"cg-{lang}.png", dpi=30)
    assert (tmp_path / f"cg-{lang}.png").stat().st_size > 1000
