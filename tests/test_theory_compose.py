"""numbanet.theory.compose: a composition merged into one net (deck 000, psi = theta phi) and
deep nets equal to shallow ones (extra layers computing the identity)."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet import slides
from numbanet.errors import ValidationError
from numbanet.experiments import udl
from numbanet.theory import compose as C
from numbanet.theory import regions as R

GRID = np.linspace(-1.0, 1.0, 2001)[:, None]


@pytest.fixture(scope="module")
def nets():
    return udl.udl_nets()


def test_merge_of_the_decks_nets_is_a_1_3_3_1_net_with_psi_theta_phi(nets):
    n1, n2 = nets["net1"], nets["net2"]
    m = C.merge(n1, n2)
    assert [type(layer).__name__ for layer in m.layers] == [
        "Dense",
        "ReLU",
        "Dense",
        "ReLU",
        "Dense",
    ]
    assert [layer.W.shape for layer in m.layers[::2]] == [(3, 1), (3, 3), (1, 3)]
    # the deck's renaming: psi_ij = theta'_i1 phi_j, psi_i0 = theta'_i0 + theta'_i1 phi_0
    theta2 = np.array(slides.NET2["hidden"], dtype=float)  # rows (theta'_i0, theta'_i1)
    phi = np.array(slides.NET1["output"], dtype=float)  # (phi_0, phi_1, phi_2, phi_3)
    np.testing.assert_allclose(m.layers[2].W.value, np.outer(theta2[:, 1], phi[1:]), atol=1e-15)
    np.testing.assert_allclose(
        m.layers[2].b.value, theta2[:, 0] + theta2[:, 1] * phi[0], atol=1e-15
    )
    # net1's hidden layer and net2's output layer are kept
    np.testing.assert_array_equal(m.layers[0].W.value, n1.layers[0].W.value)
    np.testing.assert_array_equal(m.layers[4].W.value, n2.layers[2].W.value)
    # same function: on a grid, and the same exact linear pieces
    np.testing.assert_allclose(m.predict(GRID), n2.predict(n1.predict(GRID)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.predict(GRID), nets["net2(net1)"].predict(GRID), atol=1e-12)
    seg_m, seg_c = R.count_1d(m, -1.0, 1.0), R.count_1d(nets["net2(net1)"], -1.0, 1.0)
    assert seg_m.pieces == seg_c.pieces
    np.testing.assert_allclose(seg_m.piece_x, seg_c.piece_x, atol=1e-12)


def test_merged_psi_has_rank_one_against_the_general_nets_full_rank(nets):
    m = C.merge(nets["net1"], nets["net2"])
    assert C.hidden_matrix_rank(m) == 1
    W2 = udl.clipping_layers()[1][0]  # the deck's general 1-3-3-1 net ("deep-as-clipping")
    clip = nb.Sequential(
        [nb.Dense(1, 3), nb.ReLU(), nb.Dense(3, 3), nb.ReLU(), nb.Dense(3, 1)],
        backend="reference",
        seed=0,
        dtype=np.float64,
    )
    clip.layers[2].W.value = W2
    assert C.hidden_matrix_rank(clip) == 3
    # a random 1-3-3-1 net is full rank too; a composition through a 2-wide bottleneck has rank 2
    rnd = nb.Sequential(
        [nb.Dense(1, 3), nb.ReLU(), nb.Dense(3, 3), nb.ReLU(), nb.Dense(3, 1)], seed=4
    )
    assert C.hidden_matrix_rank(rnd) == 3
    a = nb.Sequential([nb.Dense(2, 5), nb.Tanh(), nb.Dense(5, 2)], seed=1, dtype=np.float64)
    b = nb.Sequential([nb.Dense(2, 4), nb.Sigmoid(), nb.Dense(4, 3)], seed=2, dtype=np.float64)
    ab = C.merge(a, b)
    assert C.hidden_matrix_rank(ab) == 2 and ab.layers[2].W.shape == (4, 5)
    x = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_allclose(ab.predict(x), b.predict(a.predict(x)), atol=1e-12)


def test_merge_refuses_what_it_cannot_merge(nets):
    n1 = nets["net1"]
    with_act = nb.Sequential([nb.Dense(1, 3), nb.ReLU(), nb.Dense(3, 1), nb.Sigmoid()], seed=0)
    with pytest.raises(ValidationError, match="end in a Dense"):
        C.merge(with_act, n1)
    with pytest.raises(ValidationError, match="start with a Dense"):
        C.merge(n1, nb.Sequential([nb.ReLU(), nb.Dense(1, 1)], seed=0, input_shape=(1,)))
    with pytest.raises(ValidationError, match="outputs but net2 takes"):
        C.merge(n1, nb.Sequential([nb.Dense(2, 1)], seed=0))
    with pytest.raises(ValidationError, match="Sequential"):
        C.merge([1, 2], n1)


@pytest.mark.parametrize("extra", [1, 2, 4])
def test_deepen_equals_the_shallow_net_exactly(nets, extra):
    shallow = nets["net1"]
    deep = C.deepen(shallow, extra)
    n_hidden = sum(type(layer).__name__ == "ReLU" for layer in deep.layers)
    assert n_hidden == 1 + extra
    # relu(y) - relu(-y) = y: bit-identical on the grid
    np.testing.assert_array_equal(deep.predict(GRID), shallow.predict(GRID))
    # the same exact linear pieces at the same breakpoints
    sd, ss = R.count_1d(deep, -1.0, 1.0), R.count_1d(shallow, -1.0, 1.0)
    assert sd.pieces == ss.pieces == 3
    np.testing.assert_allclose(sd.piece_x, ss.piece_x, atol=1e-12)
    # the deep net gains activation regions where y changes sign (relu(y) / relu(-y) switch),
    # but no linear pieces
    assert sd.regions >= ss.regions


def test_deepen_a_wider_net_on_cpu():
    shallow = nb.Sequential(
        [nb.Dense(2, 6), nb.ReLU(), nb.Dense(6, 3)], backend="cpu", seed=5, dtype=np.float64
    )
    deep = C.deepen(shallow, 3)
    assert deep.backend.name == "cpu" and deep.layers[-1].W.shape == (3, 6)
    x = np.random.default_rng(1).uniform(-2, 2, size=(300, 2))
    np.testing.assert_allclose(deep.predict(x), shallow.predict(x), rtol=0, atol=1e-13)
    # changing a weight of the shallow net afterwards does not touch the deep one (copies)
    shallow.layers[2].W.value = np.zeros((3, 6))
    assert np.abs(deep.predict(x)).max() > 0


def test_deepen_bad_inputs(nets):
    with pytest.raises(ValidationError, match="extra_layers"):
        C.deepen(nets["net1"], 0)
    with pytest.raises(ValidationError, match="extra_layers"):
        C.deepen(nets["net1"], 1.5)
    with pytest.raises(ValidationError, match="end in a Dense"):
        C.deepen(nb.Sequential([nb.Dense(1, 2), nb.ReLU()], seed=0), 1)
