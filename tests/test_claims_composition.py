"""Claims 30-31 (issue 20 items 1-2): a merged composition has a rank-1 psi; extra ReLU layers
computing the identity leave a shallow net's function unchanged."""

from __future__ import annotations

from numbanet import claims


def run(cid):
    r = claims.check(cid)
    assert r.verdict != "error", r.explanation
    assert not r.failed, (r.verdict, r.parts, r.explanation)
    return r


def test_merged_composition_has_rank_one_psi_and_equal_outputs():
    r = run(30)
    c = r.computed
    assert c["outputs equal (max |merged - net2(net1)|)"] < 1e-12
    assert c["rank of the merged psi"] == 1
    assert c["rank of the deep-as-clipping net's psi"] == 3
    assert c["max |psi - outer(theta'_1, phi)|"] < 1e-12
    merged, composed = c["pieces of merged / of composition"]
    assert merged == composed == 12
    assert r.verdict == "holds"


def test_deep_net_with_identity_layers_equals_the_shallow_one():
    r = run(31)
    c = r.computed
    assert c["max |deep - shallow| on the grid"] < 1e-12
    assert c["same exact pieces and breakpoints"] == "yes"
    assert c["nets x extra layers checked"] == 12
    assert all(s == d for s, d in c["pieces (shallow, deep), per check"])


def test_claim_30_fails_when_merge_loses_the_rank_one_structure(monkeypatch):
    import numpy as np

    from numbanet.theory import compose

    real = compose.merge

    def broken(net1, net2):
        m = real(net1, net2)
        m.layers[2].W.value = m.layers[2].W.value + np.eye(3)  # no longer theta' phi
        return m

    monkeypatch.setattr(compose, "merge", broken)
    assert claims.check(30).failed


def test_claim_31_fails_when_deepen_is_not_the_identity(monkeypatch):
    from numbanet.theory import compose

    real = compose.deepen

    def broken(net, extra_layers=1):
        d = real(net, extra_layers)
        d.layers[-1].W.value = 1.01 * d.layers[-1].W.value
        return d

    monkeypatch.setattr(compose, "deepen", broken)
    assert claims.check(31).failed
