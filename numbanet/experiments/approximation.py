"""How many hidden units an approximation needs (decks 000, 002 and 003), computed.

* **Depth efficiency** (deck 000, "eficiencia de profundidad"): the k-fold sawtooth
  :math:`T^k` (``T(x) = 2 min(x, 1 - x)`` composed k times, :math:`2^k` linear pieces on
  [0, 1]) is computed exactly by a deep ReLU net of k layers of 2 units (``sawtooth_net``), while
  a shallow net needs a number of units exponential in k (``depth_efficiency``).
* **Universal approximation, constructively** (deck 002, Nielsen ch. 4): steep sigmoids are steps,
  two steps make a bump, a sum of bumps approximates f (``bump_net``); in 2-D, two bumps and a
  second sigmoid layer make a tower (``tower_net``). The max error falls with the number of
  bumps (``bump_errors``).
* **Only non-polynomial activations approximate** (deck 003, Leshno et al. 1993): a 1-H-1 net
  with :math:`g(z) = z^p` lies in the polynomials of degree p whatever H is, so its error on
  sin plateaus at the best degree-p fit while ReLU and sigmoid keep improving
  (``activation_errors``).
* **Width grows with the input dimension** (deck 003): the hidden units a shallow ReLU net needs
  to reach a given error on :math:`\\prod_i \\sin(\\pi x_i)` for d = 1, 2, 3, ...
  (``width_by_dimension``).

Every network here is an engine ``Sequential``: hidden layers are set by a construction or
drawn at random, their features computed by the engine's forward pass, and the output layer is
the least-squares fit on those features (the best output layer for the given hidden layer), so
the curves show what the hidden layer can represent, free of training noise.
"""

from __future__ import annotations

import numpy as np

from ..errors import ValidationError
from ._common import seq, through


# ============================================================================ shared helpers
def _one_thread():
    """BLAS on one thread inside the block: the least-squares problems here are small, and a
    threaded BLAS on a busy machine makes them tens of times slower (restored on exit)."""
    from .._threads import threadpoolctl

    threadpool_limits = threadpoolctl().threadpool_limits

    return threadpool_limits(1)


def _single_threaded(fn):
    """Run ``fn`` inside ``_one_thread()``."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _one_thread():
            return fn(*args, **kwargs)

    return wrapper


def _check_int(v, name, lo=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValidationError(f"{name} must be an integer >= {lo}; got {v!r}")
    return int(v)


def _set(layer, W, b):
    layer.W.value = np.asarray(W, dtype=np.float64)
    layer.b.value = np.asarray(b, dtype=np.float64)


def least_squares_output(net, x, y, hidden_layers):
    """Set the last Dense layer of ``net`` to the least-squares fit of ``y`` on the features of
    its first ``hidden_layers`` layers (computed by the engine's forward pass, plus a constant
    for the bias). Returns ``net``."""
    h = through(net, x, hidden_layers)
    A = np.column_stack([h, np.ones(len(h))])
    coef, *_ = np.linalg.lstsq(A, np.asarray(y, dtype=np.float64).reshape(len(h), -1), rcond=None)
    _set(net.layers[-1], coef[:-1].T, coef[-1])
    return net


# ============================================================ depth efficiency (deck 000)
def tent(x):
    """The tent map T(x) = 2 min(x, 1 - x) on [0, 1] (= 2 relu(x) - 4 relu(x - 1/2) there)."""
    x = np.asarray(x, dtype=np.float64)
    return 2.0 * np.minimum(x, 1.0 - x)


def sawtooth(x, k):
    """The k-fold sawtooth T^k(x): 2^(k-1) teeth of height 1 on [0, 1], 2^k linear pieces."""
    k = _check_int(k, "k")
    y = np.asarray(x, dtype=np.float64)
    for _ in range(k):
        y = tent(y)
    return y


def sawtooth_net(k, backend="reference"):
    """A deep ReLU net of k hidden layers of 2 units computing T^k exactly on [0, 1].

    Each layer computes relu(u) and relu(u - 1/2) of the previous tent's value u; the next
    layer's weights (2, -4) add them into T(u) = 2 relu(u) - 4 relu(u - 1/2) before splitting
    again, so 2k hidden units give 2^k pieces (the folding of deck 000)."""
    from ..nn import Dense, ReLU

    k = _check_int(k, "k")
    layers = [Dense(1, 2), ReLU()]
    for _ in range(k - 1):
        layers += [Dense(2, 2), ReLU()]
    layers.append(Dense(2, 1))
    net = seq(layers, backend, 0)
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    _set(dense[0], [[1.0], [1.0]], [0.0, -0.5])
    for d in dense[1:-1]:
        _set(d, [[2.0, -4.0], [2.0, -4.0]], [0.0, -0.5])
    _set(dense[-1], [[2.0, -4.0]], [0.0])
    return net


def shallow_knot_net(knots, backend="reference"):
    """A 1-H-1 ReLU net with hidden units relu(x - t_j), one per knot (output layer zero)."""
    from ..nn import Dense, ReLU

    knots = np.asarray(knots, dtype=np.float64).ravel()
    net = seq([Dense(1, len(knots)), ReLU(), Dense(len(knots), 1)], backend, 0)
    _set(net.layers[0], np.ones((len(knots), 1)), -knots)
    _set(net.layers[2], np.zeros((1, len(knots))), [0.0])
    return net


def sup_error_1d(net, f, a=0.0, b=1.0, extra_breaks=()):
    """The exact max |net(x) - f(x)| on [a, b] for a piecewise-linear ``f`` whose breakpoints are
    ``extra_breaks``: the difference is linear between the union of both breakpoint sets (the
    net's from ``theory.regions.count_1d``), so its max is at one of them."""
    from ..theory import regions as R

    seg = R.count_1d(net, a, b)
    pts = np.unique(np.concatenate([[a, b], a + (b - a) * seg.piece_t, np.ravel(extra_breaks)]))
    pts = pts[(pts >= a) & (pts <= b)]
    return float(np.max(np.abs(net.predict(pts[:, None]).ravel() - f(pts)))), int(seg.pieces)


def shallow_sawtooth_fit(k, hidden, backend="reference"):
    """The 1-``hidden``-1 ReLU net with equispaced knots t_j = j / hidden (j = 0..hidden-1) and
    the least-squares output layer for T^k; returns ``(net, exact sup error, pieces)``."""
    k, hidden = _check_int(k, "k"), _check_int(hidden, "hidden")
    net = shallow_knot_net(np.arange(hidden) / hidden, backend)
    x = np.linspace(0.0, 1.0, 8 * max(2**k, hidden) + 1)
    least_squares_output(net, x[:, None], sawtooth(x, k), 2)
    breaks = np.arange(1, 2**k) / 2**k
    err, pieces = sup_error_1d(net, lambda t: sawtooth(t, k), extra_breaks=breaks)
    return net, err, pieces


def depth_efficiency(ks=range(1, 7), eps=(0.25, 0.1), backend="reference"):
    """Units a shallow and a deep ReLU net need for the k-fold sawtooth.

    * deep: ``sawtooth_net(k)``, 2k units, exact (its pieces counted by ``count_1d``: 2^k);
    * shallow, exact: a 1-H-1 net has at most H + 1 pieces, so it needs H >= 2^k - 1 kinks
      inside [0, 1]; their slope jumps are the +-2^(k+1) of T^k, and the slope 2^k on the first
      piece (the sum of the jumps of the units pointing left) is no sum of them, so one more
      unit is needed: exactly 2^k (equispaced knots j / 2^k reach it);
    * shallow, error eps < 1/2, any knots: a line on a whole tooth (0 -> 1 -> 0) misses it by
      at least 1/2, so every one of the 2^(k-1) teeth needs a breakpoint inside: H >= 2^(k-1);
    * shallow, measured: the smallest H whose equispaced-knot net with the least-squares output
      layer has exact max error <= eps (``shallow_sawtooth_fit``, scanning H from the bound
      2^(k-1) up).

    Returns a dict of arrays over ``ks``: ``deep_units``, ``deep_pieces``, ``exact_units``,
    ``lower_bound``, ``measured`` ({eps: units}), ``measured_pieces`` ({eps: pieces of that net}),
    and ``curve_k``/``curve_h``/``curve_err`` (error against H for the largest k).
    """
    from ..theory import regions as R

    ks = [_check_int(k, "k") for k in ks]
    eps = tuple(float(e) for e in eps)
    if not eps or any(not 0 < e < 0.5 for e in eps):
        raise ValidationError(f"every eps must lie in (0, 0.5); got {eps}")
    out = {
        "k": np.array(ks),
        "eps": np.array(eps),
        "deep_units": np.array([2 * k for k in ks]),
        "deep_pieces": np.array(
            [R.count_1d(sawtooth_net(k, backend), 0.0, 1.0).pieces for k in ks]
        ),
        "exact_units": np.array([2**k for k in ks]),
        "lower_bound": np.array([2 ** (k - 1) for k in ks]),
        "measured": {},
        "measured_pieces": {},
    }
    kmax = ks[-1]
    with _one_thread():
        # k -> (H, errors, pieces) for H from the lower bound (below it no net reaches 1/2; the
        # whole curve for the largest k) to the first exact fit, 2^k (two more for the curve)
        curves = {}
        for k in ks:
            hs = np.arange(1 if k == kmax else 2 ** (k - 1), 2**k + (3 if k == kmax else 1))
            fits = [shallow_sawtooth_fit(k, int(h), backend)[1:] for h in hs]
            curves[k] = (hs, np.array([f[0] for f in fits]), np.array([f[1] for f in fits]))
    for e in eps:
        first = {k: int(np.flatnonzero(curves[k][1] <= e)[0]) for k in ks}
        out["measured"][e] = np.array([curves[k][0][first[k]] for k in ks])
        out["measured_pieces"][e] = np.array([curves[k][2][first[k]] for k in ks])
    out["curve_k"] = kmax
    out["curve_h"] = curves[kmax][0]
    out["curve_err"] = curves[kmax][1]
    return out


# ================================================= universal approximation (deck 002)
def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def step_net(steepness, at, backend="reference"):
    """One sigmoid unit sigma(w (x - s)): a step at s as w grows (``Dense(1, 1)``, ``Sigmoid``)."""
    from ..nn import Dense, Sigmoid

    net = seq([Dense(1, 1), Sigmoid()], backend, 0)
    _set(net.layers[0], [[float(steepness)]], [-float(steepness) * float(at)])
    return net


def pair_bump_net(left, right, height, steepness, backend="reference"):
    """Two steps at ``left`` < ``right`` with output weights +h and -h: a bump of height h on
    [left, right] (a 1-2-1 sigmoid net)."""
    from ..nn import Dense, Sigmoid

    if not left < right:
        raise ValidationError(f"a bump needs left < right; got {left!r}, {right!r}")
    w = float(steepness)
    net = seq([Dense(1, 2), Sigmoid(), Dense(2, 1)], backend, 0)
    _set(net.layers[0], [[w], [w]], [-w * left, -w * right])
    _set(net.layers[2], [[height, -height]], [0.0])
    return net


def bump_net(f, n_bumps, steepness=None, backend="reference"):
    """A 1-2n-1 sigmoid net approximating f on [0, 1] with n bumps (Nielsen's construction).

    [0, 1] is cut into n intervals [s_j, s_{j+1}]; hidden unit pair j is the steps
    sigma(w (x - s_j)) and sigma(w (x - s_{j+1})) (a steep sigmoid is a step at s = -b/w); the
    output weights (h_j, -h_j) turn each pair into a bump of height h_j = f(midpoint) on its
    interval. The outer steps are moved to -1 and 2 so the first and last bumps cover the ends.
    ``steepness`` w defaults to 10 n^2 (the steps sharpen faster than the intervals shrink)."""
    from ..nn import Dense, Sigmoid

    n = _check_int(n_bumps, "n_bumps")
    w = 10.0 * n * n if steepness is None else float(steepness)
    s = np.linspace(0.0, 1.0, n + 1)
    mid = 0.5 * (s[:-1] + s[1:])
    s_out = s.copy()
    s_out[0], s_out[-1] = -1.0, 2.0
    left, right = s_out[:-1], s_out[1:]
    steps = np.concatenate([left, right])  # unit j: left step of bump j; unit n + j: its right
    h = np.asarray(f(mid), dtype=np.float64)
    net = seq([Dense(1, 2 * n), Sigmoid(), Dense(2 * n, 1)], backend, 0)
    _set(net.layers[0], np.full((2 * n, 1), w), -w * steps)
    _set(net.layers[2], np.concatenate([h, -h])[None, :], [0.0])
    return net


@_single_threaded
def bump_errors(f, n_bumps=(2, 4, 8, 16, 32, 64), n_grid=4001, backend="reference"):
    """Max |bump_net(f, n)(x) - f(x)| on a grid of [0, 1] for each n."""
    x = np.linspace(0.0, 1.0, n_grid)
    fx = f(x)
    return np.array(
        [
            np.max(np.abs(bump_net(f, n, backend=backend).predict(x[:, None]).ravel() - fx))
            for n in n_bumps
        ]
    )


def tower_net(f2, n, steepness=None, backend="reference"):
    """A 2-2(n+1)-n^2-1 sigmoid net approximating f2(x, y) on [0, 1]^2 by n x n towers.

    Layer 1: steps sigma(w (x - s_i)) and sigma(w (y - s_j)) at the n + 1 cut points of each
    axis. Layer 2: tower (i, j) adds the x-bump i (step i minus step i + 1) and the y-bump j with
    weight W and bias -1.5 W, so it fires only where both bumps are up (1 + 1 > 1.5 > 1 + 0):
    sigma(W (bump_x + bump_y - 1.5)). Output: tower (i, j) times f2 at its centre."""
    from ..nn import Dense, Sigmoid

    n = _check_int(n, "n")
    w = 10.0 * n * n if steepness is None else float(steepness)
    W2 = 4.0 * w / n  # the tower's sigmoid: steep on the scale of the bumps' 0..2 sum
    s = np.linspace(0.0, 1.0, n + 1)
    s[0], s[-1] = -1.0, 2.0
    m = n + 1
    net = seq(
        [Dense(2, 2 * m), Sigmoid(), Dense(2 * m, n * n), Sigmoid(), Dense(n * n, 1)], backend, 0
    )
    W1 = np.zeros((2 * m, 2))
    W1[:m, 0] = w
    W1[m:, 1] = w
    _set(net.layers[0], W1, -w * np.concatenate([s, s]))
    Wt = np.zeros((n * n, 2 * m))
    for i in range(n):
        for j in range(n):
            r = i * n + j
            Wt[r, i], Wt[r, i + 1] = W2, -W2
            Wt[r, m + j], Wt[r, m + j + 1] = W2, -W2
    _set(net.layers[2], Wt, np.full(n * n, -1.5 * W2))
    c = (np.arange(n) + 0.5) / n
    cx, cy = np.meshgrid(c, c, indexing="ij")
    _set(net.layers[4], np.asarray(f2(cx.ravel(), cy.ravel()), dtype=np.float64)[None, :], [0.0])
    return net


# ================================================== polynomial activations (deck 003)
ACTIVATIONS = ("relu", "sigmoid", "square", "cube")


def random_hidden_net(d_in, hidden, activation, rng, backend="reference", bias_range=1.0):
    """A d_in-hidden-1 net with random hidden weights (directions on the unit sphere, biases
    uniform in +-``bias_range``) and the given activation; output layer zero.

    ``"relu"``, ``"sigmoid"`` (of 4 (u.x + b), steep enough to bend within [-1, 1]) use the engine's
    layers; ``"square"`` and ``"cube"`` (g(z) = z^2, z^3) are not activation layers of numbanet,
    so their features are the engine's pre-activations raised to the power (``hidden_features``).
    """
    from ..nn import Dense, ReLU, Sigmoid

    if activation not in ACTIVATIONS:
        raise ValidationError(
            f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}"
        )
    U = rng.standard_normal((hidden, d_in))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    b = rng.uniform(-bias_range, bias_range, hidden)
    scale = 4.0 if activation == "sigmoid" else 1.0
    act = {"relu": [ReLU()], "sigmoid": [Sigmoid()]}.get(activation, [])
    net = seq([Dense(d_in, hidden), *act, Dense(hidden, 1)], backend, 0)
    _set(net.layers[0], scale * U, scale * b)
    _set(net.layers[-1], np.zeros((1, hidden)), [0.0])
    return net


#: the degree of the polynomial activations
POWERS = {"square": 2, "cube": 3}


def hidden_features(net, x, activation):
    """The hidden layer's outputs of a ``random_hidden_net`` made with ``activation`` (powers
    of the engine's pre-activations for the polynomial ones)."""
    if activation in POWERS:
        return through(net, x, 1) ** POWERS[activation]
    return through(net, x, 2)


def fit_output(net, x, y, activation, rcond=1e-8):
    """Least-squares output weights (and bias) on ``hidden_features``; returns the fitted
    predictor as a function of x. Singular values below ``rcond`` times the largest are
    dropped (the minimum-norm solution): nearly parallel random features would otherwise get
    huge cancelling weights that wiggle between the training points."""
    h = hidden_features(net, x, activation)
    A = np.column_stack([h, np.ones(len(h))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=rcond)

    def predict(xq):
        hq = hidden_features(net, xq, activation)
        return hq @ coef[:-1] + coef[-1]

    return predict


@_single_threaded
def activation_errors(
    f=lambda x: np.sin(np.pi * x),
    widths=(1, 2, 4, 8, 16, 32, 64),
    activations=ACTIVATIONS,
    n_train=400,
    n_test=1001,
    n_seeds=3,
    seed=0,
    backend="reference",
):
    """Max error on [-1, 1] of 1-H-1 nets (random hidden layer, least-squares output) fitting f,
    per activation and width, averaged over seeds; and the error of the best polynomial of the
    activation's degree (the plateau: sum_i a_i (w_i x + b_i)^p is a polynomial of degree p).

    Returns ``{"widths", "error": {act: (n_seeds, len(widths))}, "poly_error": {act: float},
    "x", "fx", "fits": {act: prediction on x at the largest width, first seed}}``."""
    x = np.linspace(-1.0, 1.0, n_train)[:, None]
    xt = np.linspace(-1.0, 1.0, n_test)[:, None]
    y, ft = f(x[:, 0]), f(xt[:, 0])
    out = {
        "widths": np.array(widths),
        "error": {},
        "poly_error": {},
        "x": xt[:, 0],
        "fx": ft,
        "fits": {},
    }
    for act in activations:
        errs = np.zeros((n_seeds, len(widths)))
        for s in range(n_seeds):
            rng = np.random.default_rng([seed, s])
            for i, H in enumerate(widths):
                net = random_hidden_net(1, H, act, rng, backend)
                pred = fit_output(net, x, y, act)(xt)
                errs[s, i] = np.max(np.abs(pred - ft))
                if s == 0 and H == widths[-1]:
                    out["fits"][act] = pred
        out["error"][act] = errs
        deg = POWERS.get(act)
        if deg is not None:
            coef = np.polyfit(x[:, 0], y, deg)
            out["poly_error"][act] = float(np.max(np.abs(np.polyval(coef, xt[:, 0]) - ft)))
    return out


# ===================================================== width against dimension (deck 003)
def product_of_sines(x):
    """prod_i sin(pi x_i) on [-1, 1]^d: 2^d cells of alternating sign."""
    return np.prod(np.sin(np.pi * x), axis=1)


@_single_threaded
def width_by_dimension(
    dims=(1, 2, 3),
    widths=(2, 4, 8, 16, 32, 64, 128, 256, 512),
    eps=0.2,
    n_train=3000,
    n_test=2000,
    n_seeds=2,
    seed=0,
    backend="reference",
    target=product_of_sines,
):
    """Relative RMS test error ||net - f|| / ||f|| of shallow ReLU nets (random hidden layer,
    least-squares output) on ``target`` over [-1, 1]^d, per dimension and width, and the width
    where the error first falls below ``eps`` (log-interpolated between the widths tried; NaN
    when none reaches it).

    Returns ``{"dims", "widths", "error": {d: (n_seeds, len(widths))}, "needed": array, "eps"}``.
    """
    if not 0 < eps < 1:
        raise ValidationError(f"eps must lie in (0, 1); got {eps!r}")
    out = {"dims": np.array(dims), "widths": np.array(widths), "error": {}, "eps": float(eps)}
    needed = []
    for d in dims:
        d = _check_int(d, "dimension")
        errs = np.zeros((n_seeds, len(widths)))
        for s in range(n_seeds):
            rng = np.random.default_rng([seed, d, s])
            x = rng.uniform(-1.0, 1.0, (n_train, d))
            xt = rng.uniform(-1.0, 1.0, (n_test, d))
            y, ft = target(x), target(xt)
            for i, H in enumerate(widths):
                net = random_hidden_net(d, H, "relu", rng, backend, bias_range=1.0)
                pred = fit_output(net, x, y, "relu")(xt)
                errs[s, i] = np.linalg.norm(pred - ft) / np.linalg.norm(ft)
        out["error"][d] = errs
        needed.append(crossing(widths, errs.mean(axis=0), eps))
    out["needed"] = np.array(needed)
    return out


def crossing(widths, errors, eps):
    """The width where ``errors`` first falls to ``eps``, interpolating log(error) linearly in
    log(width) between the two widths around it; NaN if it never does."""
    w, e = np.log(np.asarray(widths, dtype=np.float64)), np.asarray(errors, dtype=np.float64)
    below = np.flatnonzero(e <= eps)
    if below.size == 0:
        return float("nan")
    i = below[0]
    if i == 0:
        return float(widths[0])
    t = (np.log(e[i - 1]) - np.log(eps)) / (np.log(e[i - 1]) - np.log(e[i]))
    return float(np.exp(w[i - 1] + t * (w[i] - w[i - 1])))
