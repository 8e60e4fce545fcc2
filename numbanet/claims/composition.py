"""Claims 30-31: merging a composition into one net, and deep nets computing a shallow one
(UDL deck 000, issue 20 items 1-2), through ``numbanet.theory.compose``."""

from __future__ import annotations

import numpy as np

from ._core import claim
from .verdict import verdict

#: inputs of the grid checks: [-1, 1], the range of the deck's composition figures
_GRID = np.linspace(-1.0, 1.0, 4001)[:, None]


def _clipping_net():
    """The deck's general 1-3-3-1 net ("deep-as-clipping") as a Sequential."""
    from ..experiments import udl
    from ..nn import Dense, ReLU, Sequential

    net = Sequential(
        [Dense(1, 3), ReLU(), Dense(3, 3), ReLU(), Dense(3, 1)],
        backend="reference",
        seed=0,
        dtype=np.float64,
    )
    for layer, (W, b, _) in zip(net.layers[::2], udl.clipping_layers()):
        layer.W.value, layer.b.value = np.asarray(W, float), np.asarray(b, float)
    return net


@claim(
    30,
    "Composing two shallow nets is a net with two hidden layers whose second-layer weights are "
    "constrained, psi = theta' phi: psi_ij = theta'_i1 phi_j, a rank-1 matrix, while a general "
    "1-3-3-1 net is more flexible",
    {
        "outputs equal (max |merged - net2(net1)|)": "<= 1e-12",
        "rank of the merged psi": 1,
        "rank of the deep-as-clipping net's psi": 3,
    },
    figure="compose-1d",
)
def _c30():
    from ..experiments import udl
    from ..theory import compose as C
    from ..theory import regions as R

    nets = udl.udl_nets()
    n1, n2 = nets["net1"], nets["net2"]
    merged = C.merge(n1, n2)
    gap = float(np.max(np.abs(merged.predict(_GRID) - n2.predict(n1.predict(_GRID)))))
    Psi = np.asarray(merged.layers[2].W.value, dtype=np.float64)
    theta_1 = np.asarray(n2.layers[0].W.value, dtype=np.float64)[:, 0]  # theta'_i1
    phi = np.asarray(n1.layers[2].W.value, dtype=np.float64)[0]  # phi_1..phi_3
    outer_gap = float(np.max(np.abs(Psi - np.outer(theta_1, phi))))
    pieces = (
        R.count_1d(merged, -1.0, 1.0).pieces,
        R.count_1d(nets["net2(net1)"], -1.0, 1.0).pieces,
    )
    computed = {
        "outputs equal (max |merged - net2(net1)|)": gap,
        "rank of the merged psi": C.hidden_matrix_rank(merged),
        "rank of the deep-as-clipping net's psi": C.hidden_matrix_rank(_clipping_net()),
        "max |psi - outer(theta'_1, phi)|": outer_gap,
        "pieces of merged / of composition": list(pieces),
    }
    cmp = (
        verdict(
            gap,
            1e-12,
            relation="<=",
            name="outputs equal (max |merged - net2(net1)|)",
            ref="(equal up to rounding), on 4001 points of [-1, 1]",
        )
        & verdict(computed["rank of the merged psi"], 1, name="rank of the merged psi")
        & verdict(
            computed["rank of the deep-as-clipping net's psi"],
            3,
            name="rank of the deep-as-clipping net's psi",
            ref="(full rank)",
        )
        & verdict(
            outer_gap,
            1e-12,
            relation="<=",
            name="psi_ij = theta'_i1 phi_j",
            ref="(the deck's renaming)",
        )
        & verdict(
            pieces[0],
            pieces[1],
            name="exact pieces, merged vs composition",
            ref="count_1d of the composition",
        )
    )
    return (
        computed,
        cmp,
        "theory.compose.merge on the deck's net1 and net2; hidden_matrix_rank (SVD); "
        "theory.regions.count_1d",
    )


@claim(
    31,
    "One hidden layer is enough, and in a deep net the remaining layers can compute the "
    "identity: a deep ReLU net equal to a shallow one (relu(y) - relu(-y) = y)",
    {
        "max |deep - shallow| on the grid": "<= 1e-12",
        "same exact pieces and breakpoints": "yes",
    },
    figure="compose-vs-shallow",
)
def _c31(extra=(1, 2, 3)):
    from ..experiments import udl
    from ..nn import Dense, ReLU, Sequential
    from ..theory import compose as C
    from ..theory import regions as R

    shallow = [udl.udl_nets()["net1"]]
    rng = np.random.default_rng(0)
    for s in range(3):  # and random shallow nets of 6 units, kinks spread over [-1, 1]
        net = Sequential(
            [Dense(1, 6), ReLU(), Dense(6, 1)], backend="reference", seed=s, dtype=np.float64
        )
        net.layers[0].b.value = rng.uniform(-1.0, 1.0, 6) * np.abs(net.layers[0].W.value[:, 0])
        shallow.append(net)
    gaps, same, pieces = [], True, []
    for net in shallow:
        ref = R.count_1d(net, -1.0, 1.0)
        for k in extra:
            deep = C.deepen(net, k)
            gaps.append(float(np.max(np.abs(deep.predict(_GRID) - net.predict(_GRID)))))
            seg = R.count_1d(deep, -1.0, 1.0)
            pieces.append((ref.pieces, seg.pieces))
            same &= seg.pieces == ref.pieces and np.allclose(seg.piece_t, ref.piece_t, atol=1e-12)
    computed = {
        "max |deep - shallow| on the grid": max(gaps),
        "same exact pieces and breakpoints": "yes" if same else "no",
        "nets x extra layers checked": len(gaps),
        "pieces (shallow, deep), per check": [list(p) for p in pieces],
    }
    cmp = verdict(
        computed["max |deep - shallow| on the grid"],
        1e-12,
        relation="<=",
        name="max |deep - shallow| on the grid",
        ref="(up to rounding: the identity layers change nothing), on 4001 points of [-1, 1]",
    ) & verdict(
        computed["same exact pieces and breakpoints"],
        "yes",
        name="same exact pieces and breakpoints",
        ref="by count_1d",
    )
    return (
        computed,
        cmp,
        f"theory.compose.deepen with {list(extra)} extra layers on the deck's net1 and 3 random "
        "1-6-1 nets; theory.regions.count_1d and a 4001-point grid",
    )
