"""numbanet.theory.regions: exact formulas, exact counting along segments and in 2-D boxes, and
activation patterns on samples (Numba kernel against the NumPy oracle)."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numbanet.errors import DTypeError, ValidationError
from numbanet.theory import regions as R
from numbanet.theory.regions import network, sampled

# ============================================================================ helpers


def rnet(seed, widths, bias_scale=0.5, act="relu"):
    """A random plain-list network: He weights, N(0, bias_scale^2) biases, identity output."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        last = i == len(widths) - 2
        W = rng.standard_normal((b, a)) * np.sqrt(2.0 / a)
        layers.append((W, rng.standard_normal(b) * bias_scale, None if last else act))
    return layers


NET1 = dict(h=[(0, -1), (0, 1), (-0.67, 1)], o=(1, -2, -3, 9.3))
NET2 = dict(h=[(-0.6, -1), (0.2, 1), (-0.5, 1)], o=(0.5, -1, -1.5, 2))


def udl_stack(*nets):
    """The slides' 1-3-1 nets composed by stacking their layers (first net first)."""
    layers = []
    for n in nets:
        W1 = np.array([[s] for _, s in n["h"]], dtype=float)
        b1 = np.array([b for b, _ in n["h"]], dtype=float)
        layers.append((W1, b1, "relu"))
        layers.append((np.array([n["o"][1:]], dtype=float), np.array([n["o"][0]]), None))
    return layers


def udl_sequential(*nets):
    from numbanet.nn import Dense, ReLU, Sequential

    layers = []
    for _ in nets:
        layers += [Dense(1, 3), ReLU(), Dense(3, 1)]
    net = Sequential(layers, backend="reference", dtype=np.float64, seed=0)
    for i, n in enumerate(nets):
        d1, d2 = net.layers[3 * i], net.layers[3 * i + 2]
        d1.W.value = np.array([[s] for _, s in n["h"]], dtype=float)
        d1.b.value = np.array([b for b, _ in n["h"]], dtype=float)
        d2.W.value = np.array([n["o"][1:]], dtype=float)
        d2.b.value = np.array([n["o"][0]], dtype=float)
    return net


def sampled_runs(net, a, b, n=200_000):
    """Brute force along a segment: runs of equal patterns on a fine sample (cell midpoints, so
    that no sample sits exactly on a breakpoint such as x = 0)."""
    t = (np.arange(n) + 0.5) / n
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    bits = R.pattern_bits(net, a + t[:, None] * (b - a))
    return 1 + int(np.any(bits[1:] != bits[:-1], axis=1).sum()), bits


def grid_points(box, n):
    x0, x1, y0, y1 = box
    xs = np.linspace(x0, x1, n + 2)[1:-1]
    ys = np.linspace(y0, y1, n + 2)[1:-1]
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


# ============================================================================ exact formulas


def test_slide_numbers():
    assert R.parameter_count([1] + [10] * 5 + [1]) == 471
    assert R.deep_1d_max(10, 5) == 161_051 == 11**5
    assert R.parameter_count([10] + [50] * 5 + [1]) == 10_801
    n = R.udl_max_regions(10, 50, 5)
    assert isinstance(n, int) and n == 6**40 * 13_432_735_556
    assert math.isclose(float(n), 1.7956e41, rel_tol=1e-4) and n > 10**40
    assert R.zaslavsky(2, 3) == 7
    assert R.zaslavsky(10, 50) == 13_432_735_556


def test_udl_fig_20_2_parameter_counts():
    counts = [R.parameter_count([40] + h + [10]) for h in ([298], [100] * 2, [75] * 3, [63] * 4)]
    # the slides (and the brief) print 15,139 for the 4-layer net: two digits swapped; the
    # layers hold 40*63+63 + 3*(63*63+63) + 63*10+10 = 15,319 parameters
    assert counts == [15_208, 15_210, 15_235, 15_319]
    assert 40 * 63 + 63 + 3 * (63 * 63 + 63) + 63 * 10 + 10 == 15_319


def test_parameter_count_formula_for_one_input():
    for D in range(1, 12):
        for K in range(1, 6):
            assert R.parameter_count([1] + [D] * K + [1]) == 3 * D + 1 + (K - 1) * (D * D + D)


def test_zaslavsky_small_cases():
    assert [R.zaslavsky(1, D) for D in range(1, 6)] == [2, 3, 4, 5, 6]
    assert R.zaslavsky(2, 1) == 2 and R.zaslavsky(5, 3) == 8  # all 2^3 patterns when D <= D_i
    assert R.zaslavsky(3, 4) == 15


def brute_serra(d_in, hidden):
    """Theorem 1 of Serra et al. (2018) by enumerating J literally."""
    total = 0
    for j in itertools.product(*[range(n + 1) for n in hidden]):
        ok = True
        for l, jl in enumerate(j):
            bound = min([d_in] + [hidden[i] - j[i] for i in range(l)] + [hidden[l]])
            if jl > bound:
                ok = False
                break
        if ok:
            total += math.prod(math.comb(n, jl) for n, jl in zip(hidden, j))
    return total


@settings(max_examples=60, deadline=None)
@given(
    d_in=st.integers(1, 4),
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=4),
)
def test_serra_upper_dp_equals_the_theorem_enumerated(d_in, hidden):
    assert R.serra_upper(d_in, hidden) == brute_serra(d_in, hidden)


@settings(max_examples=60, deadline=None)
@given(D=st.integers(2, 40), K=st.integers(1, 8))
def test_serra_upper_is_d_plus_one_to_the_k_for_one_input(D, K):
    assert R.serra_upper(1, [D] * K) == (D + 1) ** K == R.deep_1d_max(D, K)


def test_serra_upper_one_input_width_one_is_smaller():
    # one ReLU leaves a half-line dead: a 1-1-1 net has at most 3 regions, not (1 + 1)^2 = 4
    assert R.serra_upper(1, [1, 1]) == 3


@settings(max_examples=60, deadline=None)
@given(d_in=st.integers(1, 12), D=st.integers(1, 60))
def test_serra_upper_one_layer_is_zaslavsky(d_in, D):
    assert R.serra_upper(d_in, [D]) == R.zaslavsky(d_in, D)


@settings(max_examples=60, deadline=None)
@given(d_in=st.integers(1, 4), q=st.integers(3, 6), K=st.integers(1, 5))
def test_bounds_are_ordered(d_in, q, K):
    D = q * d_in  # divisible, >= 3 d_in: every bound applies
    hidden = [D] * K
    lo_m = R.montufar_lower(d_in, hidden)
    lo_s = R.serra_lower(d_in, hidden)
    up = R.serra_upper(d_in, hidden)
    assert lo_m <= lo_s <= up
    assert lo_s == R.udl_max_regions(d_in, D, K)


def test_udl_non_integer_ratio_is_an_exact_fraction():
    v = R.udl_max_regions(3, 10, 3)
    assert isinstance(v, Fraction) and v.denominator > 1
    assert v == (Fraction(10, 3) + 1) ** 6 * sum(math.comb(10, j) for j in range(4))


def test_montufar_lower_slide_form():
    assert R.montufar_lower(1, [10] * 5) == 10**4 * 11
    assert R.montufar_lower(2, [4, 4, 3]) == (2**2) * (2**2) * 7


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: R.parameter_count([10]), "widths"),
        (lambda: R.parameter_count([1, 0, 1]), "widths[1]"),
        (lambda: R.parameter_count("1-2-1"), "widths"),
        (lambda: R.zaslavsky(0, 3), "d_in"),
        (lambda: R.zaslavsky(2, 2.5), "width"),
        (lambda: R.deep_1d_max(True, 3), "width"),
        (lambda: R.udl_max_regions(1, 10, 0), "depth"),
        (lambda: R.montufar_lower(3, [5, 2]), "hidden[1]"),
        (lambda: R.serra_lower(2, [6, 5]), "hidden[1]"),
        (lambda: R.serra_upper(2, []), "hidden"),
    ],
)
def test_formula_errors_name_the_argument(call, words):
    with pytest.raises(ValidationError, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()


# ============================================================================ count_1d


@pytest.mark.parametrize(
    "nets, pieces",
    [((NET1,), 3), ((NET2,), 4), ((NET1, NET2), 12), ((NET1, NET1), 9), ((NET1, NET1, NET2), 36)],
)
def test_udl_compositions_plain_lists(nets, pieces):
    net = udl_stack(*nets)
    r = R.count_1d(net, -1.0, 1.0)
    assert r.pieces == pieces and r.regions == pieces
    assert len(r.t) == pieces - 1 and np.all(np.diff(r.t) > 0)
    t = np.linspace(0, 1, 20001)
    assert np.abs(r.evaluate(t) - R.forward(net, r.points(t))).max() < 1e-10
    runs, _ = sampled_runs(net, -1.0, 1.0)
    assert runs == r.regions


@pytest.mark.parametrize(
    "nets, pieces",
    [((NET1,), 3), ((NET2,), 4), ((NET1, NET2), 12), ((NET1, NET1), 9), ((NET1, NET1, NET2), 36)],
)
def test_udl_compositions_engine_sequential(nets, pieces):
    net = udl_sequential(*nets)
    r = R.count_1d(net, -1.0, 1.0)
    assert r.pieces == pieces
    x = r.points(np.linspace(0, 1, 1001))
    assert np.abs(net.forward(x) - r.evaluate(np.linspace(0, 1, 1001))).max() < 1e-10


def test_folded_composition_is_one_dense_too():
    # fold net1's output layer into net2's hidden layer: the same function, the same count
    W_o, b_o = np.array([NET1["o"][1:]], float), np.array([NET1["o"][0]], float)
    W_h = np.array([[s] for _, s in NET2["h"]], float)
    b_h = np.array([b for b, _ in NET2["h"]], float)
    layers = udl_stack(NET1)[:1] + [(W_h @ W_o, W_h @ b_o + b_h, "relu")] + udl_stack(NET2)[1:]
    assert R.count_1d(layers, -1.0, 1.0).pieces == 12


def test_linear_hidden_layers_give_one_piece():
    net = rnet(2, [1, 8, 8, 1], act="identity")
    r = R.count_1d(net, -5.0, 5.0)
    assert (r.regions, r.pieces) == (1, 1) and r.t.size == 0


def test_breakpoint_at_the_segment_ends_and_duplicates():
    # units breaking at x = 0 (the segment's start), twice at x = 0.5, and once at x = 1 (its end)
    W = np.ones((4, 1))
    b = np.array([0.0, -0.5, -0.5, -1.0])
    net = [(W, b, "relu"), (np.array([[1.0, 1.0, -3.0, 2.0]]), np.zeros(1), None)]
    r = R.count_1d(net, 0.0, 1.0)
    assert r.regions == 2 and np.allclose(r.x.ravel(), [0.5])
    # reversed direction: the same breakpoint
    r2 = R.count_1d(net, 1.0, 0.0)
    assert r2.regions == 2 and np.allclose(r2.x.ravel(), [0.5])


def test_unit_identically_zero_makes_no_breakpoint():
    # unit 1 has zero weights and bias: exactly zero on the whole line; a later unit sees only it
    W1 = np.array([[0.0], [1.0]])
    b1 = np.array([0.0, 0.0])
    W2 = np.array([[1.0, 0.0], [0.0, 1.0]])  # unit 0 of layer 2 reads the dead unit only
    net = [(W1, b1, "relu"), (W2, np.zeros(2), "relu"), (np.ones((1, 2)), np.zeros(1), None)]
    r = R.count_1d(net, -1.0, 1.0)
    assert r.regions == 2 and r.pieces == 2
    assert not r.patterns[:, [0, 2]].any()  # the dead units count as inactive everywhere


def test_regions_merge_into_pieces_when_the_output_ignores_a_unit():
    W = np.array([[1.0], [1.0]])
    b = np.array([0.0, -0.5])
    net = [(W, b, "relu"), (np.array([[1.0, 0.0]]), np.zeros(1), None)]
    r = R.count_1d(net, -1.0, 1.0)
    assert (r.regions, r.pieces) == (3, 2)
    assert np.allclose(r.piece_x.ravel(), [0.0])


def test_leaky_relu_and_tuple_spec():
    W = np.array([[1.0], [-1.0]])
    net_a = [(W, np.array([0.0, 0.3]), "leaky_relu:0.1"), (np.ones((1, 2)), np.zeros(1), None)]
    net_b = [(W, np.array([0.0, 0.3]), ("leaky_relu", 0.1)), (np.ones((1, 2)), np.zeros(1), None)]
    ra, rb = R.count_1d(net_a, -1, 1), R.count_1d(net_b, -1, 1)
    assert ra.regions == rb.regions == 3 and ra.pieces == 3
    t = np.linspace(0, 1, 101)
    assert np.allclose(ra.evaluate(t), R.forward(net_a, ra.points(t)))


@pytest.mark.parametrize("seed", range(12))
def test_count_1d_random_nets_match_dense_sampling(seed):
    rng = np.random.default_rng(100 + seed)
    d_in = int(rng.integers(1, 4))
    widths = [d_in] + [int(w) for w in rng.integers(2, 9, size=int(rng.integers(1, 4)))] + [2]
    net = rnet(seed, widths)
    a, b = rng.standard_normal(d_in) * 2, rng.standard_normal(d_in) * 2
    r = R.count_1d(net, a, b)
    runs, bits = sampled_runs(net, a, b)
    # sampling can only miss regions (shorter than its step): never finds more
    msg = f"exact {r.regions}, sampled {runs}"
    assert runs <= r.regions, msg
    if np.diff(np.concatenate([[0.0], r.t, [1.0]])).min() > 5e-5:
        assert runs == r.regions, msg
    assert r.pieces <= r.regions <= R.serra_upper(d_in, widths[1:-1]) or d_in > 1
    t = np.linspace(0, 1, 5001)
    assert np.abs(r.evaluate(t) - R.forward(net, r.points(t))).max() < 1e-9
    # every cell's pattern is the pattern of the network at the cell's midpoint
    mid = R.pattern_bits(net, r.points(0.5 * (r.t0 + r.t1)))
    assert np.array_equal(mid, r.patterns)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    hidden=st.lists(st.integers(1, 7), min_size=1, max_size=4),
    act=st.sampled_from(["relu", "leaky_relu:0.2"]),
)
def test_count_1d_property(seed, hidden, act):
    net = rnet(seed, [1] + hidden + [1], act=act)
    r = R.count_1d(net, -3.0, 3.0)
    assert 1 <= r.pieces <= r.regions <= R.serra_upper(1, hidden)
    t = np.linspace(0, 1, 2001)
    assert np.abs(r.evaluate(t) - R.forward(net, r.points(t))).max() < 1e-9
    runs, _ = sampled_runs(net, -3.0, 3.0, n=50_000)
    assert runs <= r.regions
    if np.diff(np.concatenate([[0.0], r.t, [1.0]])).min() > 1e-4:
        assert runs == r.regions


def test_one_input_counts_never_exceed_the_bound():
    for seed in range(20):
        widths = [1, 6, 6, 6, 1]
        r = R.count_1d(rnet(seed, widths), -4.0, 4.0)
        assert r.regions <= R.serra_upper(1, widths[1:-1]) == 7**3


def test_count_along_lines_agrees_with_count_1d():
    net = rnet(7, [3, 6, 6, 1])
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((10, 3)), rng.standard_normal((10, 3))
    lc = R.count_along_lines(net, A, B)
    for i in range(10):
        r = R.count_1d(net, A[i], B[i])
        assert lc.regions[i] == r.regions and lc.pieces[i] == r.pieces
    assert np.allclose(lc.lengths, np.linalg.norm(B - A, axis=1))
    assert np.allclose(lc.breaks_per_length, (lc.regions - 1) / lc.lengths)


def test_count_1d_input_errors():
    net = rnet(0, [2, 3, 1])
    with pytest.raises(ValidationError, match="a must be a point with 2"):
        R.count_1d(net, 0.0, [1.0, 1.0])
    with pytest.raises(ValidationError, match="NaN"):
        R.count_1d(net, [np.nan, 0.0], [1.0, 1.0])
    with pytest.raises(DTypeError, match="b has dtype"):
        R.count_1d(net, [0.0, 0.0], ["x", "y"])
    with pytest.raises(ValidationError, match="layers\\[1\\]: W has 4 columns"):
        R.count_1d([(np.ones((3, 1)), np.zeros(3), "relu"), (np.ones((1, 4)), [0.0], None)], 0, 1)
    with pytest.raises(ValidationError, match="activation must be"):
        R.count_1d([(np.ones((3, 1)), np.zeros(3), "tanh")], 0, 1)
    with pytest.raises(ValidationError, match="net must be"):
        R.count_1d(42, 0, 1)


def test_sequential_with_smooth_activation_is_refused():
    from numbanet.nn import Dense, Sequential, Sigmoid

    net = Sequential([Dense(1, 3), Sigmoid(), Dense(3, 1)], backend="reference", seed=0)
    with pytest.raises(ValidationError, match="layer 1 \\(Sigmoid\\).*piecewise-linear"):
        R.count_1d(net, 0.0, 1.0)


def test_sequential_layer_kinds():
    from numbanet.nn import Dense, Identity, LeakyReLU, PReLU, ReLU, Sequential

    net = Sequential(
        [
            Dense(2, 6),
            LeakyReLU(0.2),
            Dense(6, 6, bias=False),
            ReLU(),
            ReLU(),
            Identity(),
            Dense(6, 3),
            PReLU(3),
        ],
        backend="reference",
        dtype=np.float64,
        seed=4,
    )
    x = np.random.default_rng(1).standard_normal((500, 2)) * 3
    assert np.abs(net.forward(x) - R.forward(net, x)).max() < 1e-12
    r = R.count_1d(net, [-3.0, -2.0], [3.0, 2.5])
    t = np.linspace(0, 1, 3001)
    assert np.abs(r.evaluate(t) - net.forward(r.points(t))).max() < 1e-10


def test_cpu_backend_float32_net():
    from numbanet.nn import Dense, ReLU, Sequential

    net = Sequential([Dense(1, 8, bias_init=0.1), ReLU(), Dense(8, 1)], backend="cpu", seed=3)
    r = R.count_1d(net, -5.0, 5.0)
    assert 1 <= r.regions <= 9


# ============================================================================ count_2d


def min_width(poly):
    """Minimum width of a convex polygon (over its edges' normal directions)."""
    best = np.inf
    for i in range(len(poly)):
        e = poly[(i + 1) % len(poly)] - poly[i]
        ln = np.hypot(*e)
        if ln > 0:
            d = np.abs(e[0] * (poly[:, 1] - poly[i, 1]) - e[1] * (poly[:, 0] - poly[i, 0])) / ln
            best = min(best, d.max())
    return best


def refined_grid_count(net, box, start=128, stop=1024):
    """Brute force: distinct patterns on grids refined until the count stops changing."""
    prev, n = -1, start
    while n <= stop:
        c = R.count_patterns(net, grid_points(box, n))
        if c == prev:
            return c, n
        prev, n = c, 2 * n
    return prev, n // 2


@pytest.mark.parametrize("seed", range(16))
def test_count_2d_matches_a_refined_grid(seed):
    rng = np.random.default_rng(seed)
    widths = [2] + [int(w) for w in rng.integers(2, 6, size=int(rng.integers(1, 4)))] + [1]
    net = rnet(seed, widths)
    box = (-2.0, 2.0, -1.5, 2.5)
    p = R.count_2d(net, box)
    assert p.dropped == 0 and p.n_patterns == p.regions
    assert p.regions <= R.serra_upper(2, widths[1:-1])
    assert 1 <= p.pieces <= p.regions
    assert math.isclose(p.areas.sum(), 4.0 * 4.0, rel_tol=1e-9)
    # each polygon's stored pattern and map are the network's at a point inside it
    c = p.centroids()
    assert np.array_equal(R.pattern_bits(net, c), p.patterns)
    y = np.einsum("kij,kj->ki", p.grad, c) + p.offset
    assert np.abs(y - R.forward(net, c)).max() < 1e-9
    n_grid, n = refined_grid_count(net, box)
    h = 4.0 / (n + 1)  # grid spacing
    assert n_grid <= p.regions
    # every pattern the grid meets is one of the exact polygons' patterns ...
    grid_hashes = np.unique(R.pattern_hashes(net, grid_points(box, n)))
    exact_hashes = sampled._hash_words_numpy(p.patterns)
    assert np.isin(grid_hashes, exact_hashes).all()
    # ... and every polygon it misses is a sliver thinner than a few grid steps (a convex set of
    # lattice width above 1 + 2/sqrt(3) holds a lattice point: Hurkens 1990)
    missed = ~np.isin(exact_hashes, grid_hashes)
    assert n_grid == p.regions - missed.sum()
    assert all(min_width(p.polygons[k]) < 4 * h for k in np.flatnonzero(missed))


def adversarial_net(seed):
    """Nets that stress the geometry: integer weights and biases (exact coincidences: lines
    through common points and polygon vertices), near-zero biases (all lines almost through the
    origin), leaky and plain ReLU, small and large boxes."""
    rng = np.random.default_rng(seed)
    widths = [2] + [int(x) for x in rng.integers(1, 9, size=int(rng.integers(1, 5)))]
    widths.append(int(rng.integers(1, 3)))
    bias_scale = [0.0, 1e-8, 1e-3, 3.0][seed % 4]
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        W = rng.standard_normal((b, a)) * np.sqrt(2 / a)
        bias = rng.standard_normal(b) * bias_scale
        if seed % 7 == 0:
            W, bias = np.round(W), np.round(rng.standard_normal(b))
        act = None if i == len(widths) - 2 else ["relu", "leaky_relu:0.1"][seed % 2]
        layers.append((W, bias, act))
    box = (-1.0, 1.0, -1.0, 1.0) if seed % 3 else (-50.0, 50.0, -50.0, 50.0)
    return layers, widths, box


@pytest.mark.parametrize("seed", range(0, 120, 3))
def test_count_2d_adversarial_geometry(seed):
    net, widths, box = adversarial_net(seed)
    p = R.count_2d(net, box)
    area = (box[1] - box[0]) * (box[3] - box[2])
    assert p.dropped == 0 and p.n_patterns == p.regions
    assert math.isclose(p.areas.sum(), area, rel_tol=1e-9)
    assert p.regions <= R.serra_upper(2, widths[1:-1])
    # each polygon's pattern is the network's at its centroid, except for units whose value
    # there is zero up to round-off (a unit that vanishes on a whole polygon counts as inactive)
    h, zs, scales = p.centroids(), [], []
    for layer in network._affine_stack(net):
        z = h @ layer.W.T + layer.b
        if layer.slope is not None:
            zs.append(z)
            scales.append(np.abs(h) @ np.abs(layer.W.T) + np.abs(layer.b))
        h = z if layer.slope is None else np.where(z > 0, z, layer.slope * z)
    Z, S = np.concatenate(zs, axis=1), np.concatenate(scales, axis=1)
    assert not (((Z > 0) != p.patterns) & (np.abs(Z) > 1e-9 * S)).any()


def test_count_2d_shallow_reaches_zaslavsky():
    # three lines in general position through the box: 7 regions = zaslavsky(2, 3)
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = np.array([0.0, 0.0, -0.5])
    net = [(W, b, "relu"), (np.array([[1.0, 2.0, 3.0]]), np.zeros(1), None)]
    p = R.count_2d(net, (-1, 1, -1, 1))
    assert p.regions == 7 == R.zaslavsky(2, 3) and p.pieces == 7


def test_count_2d_merges_pieces_across_an_ignored_unit():
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    net = [(W, np.zeros(2), "relu"), (np.array([[1.0, 0.0]]), np.zeros(1), None)]
    p = R.count_2d(net, (-1, 1, -1, 1))
    assert (p.regions, p.pieces) == (4, 2)
    # the two pieces are the half-planes x < 0 and x > 0
    left = p.centroids()[:, 0] < 0
    assert len(set(p.piece_labels[left])) == 1 and len(set(p.piece_labels[~left])) == 1


def test_count_2d_degenerate_lines_through_vertices():
    # lines through the box's corners and through each other's intersection point
    W = np.array([[1.0, -1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    net = [(W, np.zeros(4), "relu"), (np.ones((1, 4)), np.zeros(1), None)]
    p = R.count_2d(net, (-1, 1, -1, 1))
    assert p.regions == 8 and p.dropped == 0 and p.n_patterns == 8


def test_count_2d_linear_net_is_one_polygon():
    net = rnet(1, [2, 5, 5, 2], act="identity")
    p = R.count_2d(net, (0, 1, 0, 1))
    assert (p.regions, p.pieces) == (1, 1) and p.patterns.shape == (1, 0)


def test_count_2d_five_layers_of_twenty():
    net = rnet(1, [2] + [20] * 5 + [1])
    p = R.count_2d(net, (-2, 2, -2, 2))
    assert p.regions > 500 and p.n_patterns == p.regions
    assert math.isclose(p.areas.sum(), 16.0, rel_tol=1e-9)
    c = p.centroids()
    assert np.array_equal(R.pattern_bits(net, c), p.patterns)


def test_count_2d_engine_sequential():
    from numbanet.nn import Dense, ReLU, Sequential

    net = Sequential(
        [Dense(2, 3, bias_init=0.3), ReLU(), Dense(3, 1)],
        backend="reference",
        dtype=np.float64,
        seed=0,
    )
    p = R.count_2d(net, (-20.0, 20.0, -20.0, 20.0))
    assert p.regions <= 7 and p.regions == R.count_patterns(net, grid_points(p.box, 512))


def test_count_2d_errors():
    with pytest.raises(ValidationError, match="2 inputs; this one has 3"):
        R.count_2d(rnet(0, [3, 2, 1]), (0, 1, 0, 1))
    with pytest.raises(ValidationError, match="x0 < x1"):
        R.count_2d(rnet(0, [2, 2, 1]), (1, 0, 0, 1))
    with pytest.raises(ValidationError, match="box must be"):
        R.count_2d(rnet(0, [2, 2, 1]), (0, 1, 0))


# ============================================================================ patterns


@pytest.mark.parametrize("widths", [[2, 5, 1], [3, 70, 7, 2], [4, 30, 30, 30, 1], [2, 1]])
def test_numba_hashes_equal_the_numpy_oracle(widths):
    net = rnet(5, widths)
    X = np.random.default_rng(0).standard_normal((3001, widths[0])) * 2
    h_nb = R.pattern_hashes(net, X, method="numba", block=64)
    h_np = R.pattern_hashes(net, X, method="numpy")
    assert h_nb.dtype == np.uint64 and np.array_equal(h_nb, h_np)
    assert R.count_patterns(net, X) == R.count_patterns(net, X, method="numpy")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    widths=st.lists(st.integers(1, 9), min_size=2, max_size=5),
    n=st.integers(1, 600),
)
def test_pattern_counts_property(seed, widths, n):
    net = rnet(seed, widths)
    X = np.random.default_rng(seed).standard_normal((n, widths[0]))
    bits = R.pattern_bits(net, X)
    n_distinct = len({row.tobytes() for row in bits})
    assert R.count_patterns(net, X, method="numpy") == n_distinct
    assert R.count_patterns(net, X) == n_distinct
    assert np.array_equal(R.pattern_hashes(net, X), R.pattern_hashes(net, X, method="numpy"))


def test_pattern_hash_separates_every_single_bit():
    # 130 units: patterns differing in any one bit (across word boundaries) hash differently
    bits = np.zeros((131, 130), dtype=bool)
    bits[np.arange(1, 131), np.arange(130)] = True
    h = sampled._hash_words_numpy(bits)
    assert len(np.unique(h)) == 131


def test_count_patterns_errors():
    net = rnet(0, [2, 3, 1])
    with pytest.raises(ValidationError, match="points must have shape \\(n, 2\\)"):
        R.count_patterns(net, np.zeros((5, 3)))
    with pytest.raises(ValidationError, match="method must be"):
        R.count_patterns(net, np.zeros((5, 2)), method="cuda")


# ============================================================================ package layout


def test_package_exports_every_public_name_from_its_submodule():
    """``regions.X`` and ``from numbanet.theory.regions import X`` reach the submodules' objects."""
    import importlib

    from numbanet.theory.regions import bounds, exact_1d, exact_2d

    homes = [bounds, exact_1d, exact_2d, network, sampled]
    for name in R.__all__:
        owners = [m for m in homes if name in m.__all__]
        assert len(owners) == 1, (name, owners)
        assert getattr(R, name) is getattr(owners[0], name)
    assert sorted(R.__all__) == sorted(n for m in homes for n in m.__all__)
    mod = importlib.import_module("numbanet.theory.regions")
    assert mod.count_1d is exact_1d.count_1d and mod.zaslavsky(2, 3) == 7


def test_formulas_and_count_1d_do_not_load_the_kernels():
    """The Numba kernels load with count_2d or pattern_hashes only, not with the formulas or
    count_1d (in a fresh process, since this one has loaded them already)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from numbanet.theory import regions as R\n"
        "assert R.udl_max_regions(10, 50, 5) > 10**41\n"
        "r = R.count_1d([([[1.0], [1.0]], [0.0, -0.5], 'relu'), ([[1.0, -2.0]], [0.0], None)],"
        " -1.0, 1.0)\n"
        "assert r.regions == 3\n"
        "assert 'numbanet.theory.regions._kernels' not in sys.modules\n"
        "R.count_patterns([([[1.0], [1.0]], [0.0, -0.5], 'relu')], [[0.1], [0.9]])\n"
        "assert 'numbanet.theory.regions._kernels' in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
