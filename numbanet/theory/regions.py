r"""Linear regions of ReLU networks: the formulas of the slides and exact counts of real nets.

A ReLU network computes a continuous piecewise-linear function. Fixing which units are active (the
*activation pattern*) fixes an affine map, so the input space splits into *activation regions*
(connected sets of inputs sharing one pattern), and the function into *linear pieces* (maximal
connected sets where it is one affine map; adjacent activation regions may share a map, e.g. when
the unit that switches feeds only dead units, so pieces <= regions).

What is here
------------
Exact integer formulas (Python integers, no float overflow):

* ``parameter_count(widths)``: weights and biases of a fully connected net.
* ``zaslavsky(d_in, width)``: the maximum number of regions of a shallow net (Zaslavsky 1975).
* ``deep_1d_max(width, depth)``: (D + 1)^K, the maximum for one input (Serra et al. 2018, Thm 5).
* ``udl_max_regions(d_in, width, depth)``: *Understanding Deep Learning* eq. 4.17 (corrected).
* ``montufar_lower``, ``serra_upper``, ``serra_lower``: the bounds of Montufar et al. (2014) and
  Serra, Tjandraatmadja and Ramalingam (2018).

Exact counting on a real network (a ``numbanet.nn.Sequential`` of ``Dense`` and ``ReLU`` /
``LeakyReLU`` / ``PReLU`` / ``Identity`` layers, or a plain list of ``(W, b, act)`` tuples):

* ``count_1d(net, a, b)``: breakpoints along the segment from a to b, traced layer by layer.
* ``count_2d(net, box)``: the exact polygonal partition of a 2-D box.
* ``count_patterns(net, points)`` and ``count_along_lines``: Hanin and Rolnick (2019) style
  estimates for any input dimension (distinct patterns on samples; exact counts along lines).

What is left out: maxout and other multi-argument activations; smooth activations (they have no
linear regions); counting in 3-D or higher exactly (use ``count_along_lines`` or
``count_patterns``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from fractions import Fraction

import numpy as np

from .._validate import positive_int
from ..errors import DTypeError, ValidationError

# ============================================================================ exact formulas


def _int_list(v, name, *, minimum=1, min_len=1):
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise ValidationError(f"{name} must be a list of integers; got {type(v).__name__} {v!r}")
    out = list(v)
    if len(out) < min_len:
        raise ValidationError(f"{name} must hold at least {min_len} integers; got {out!r}")
    for i, w in enumerate(out):
        if isinstance(w, bool) or not isinstance(w, numbers.Integral):
            raise ValidationError(
                f"{name}[{i}] must be an integer >= {minimum}; got {type(w).__name__} {w!r}"
            )
        if w < minimum:
            raise ValidationError(f"{name}[{i}] must be >= {minimum}; got {w} in {out!r}")
    return [int(w) for w in out]


def parameter_count(widths):
    r"""Number of weights and biases of a fully connected network.

    Parameters
    ----------
    widths : list of int
        ``[D_i, D_1, ..., D_K, D_o]``: inputs, hidden widths, outputs.

    Returns
    -------
    int

    Notes
    -----
    Each layer from width :math:`a` to width :math:`b` holds :math:`(a + 1) b` parameters:

    .. math:: N = \sum_{l=0}^{K} (D_l + 1) D_{l+1}.

    With one input and output and K layers of D units (UDL sec. 4.5) this is
    :math:`3D + 1 + (K - 1)(D^2 + D)`: 471 for K = 5, D = 10.

    Examples
    --------
    >>> parameter_count([1, 10, 10, 10, 10, 10, 1])
    471
    >>> parameter_count([40, 298, 10])
    15208
    """
    w = _int_list(widths, "widths", min_len=2)
    return sum((a + 1) * b for a, b in zip(w[:-1], w[1:]))


def zaslavsky(d_in, width):
    r"""Maximum number of regions of a shallow ReLU net: Zaslavsky's bound.

    Parameters
    ----------
    d_in : int
        Input dimension :math:`D_i`.
    width : int
        Number of hidden units :math:`D` (hyperplanes).

    Returns
    -------
    int

    Notes
    -----
    Zaslavsky (1975): :math:`D` hyperplanes in general position cut
    :math:`\mathbb{R}^{D_i}` into

    .. math:: N = \sum_{j=0}^{D_i} \binom{D}{j}

    regions (terms with :math:`j > D` vanish), as UDL eq. 3.1 writes it.

    Examples
    --------
    >>> zaslavsky(2, 3), zaslavsky(10, 50)
    (7, 13432735556)
    """
    d_in = positive_int(d_in, "d_in")
    width = positive_int(width, "width")
    return sum(math.comb(width, j) for j in range(min(d_in, width) + 1))


def deep_1d_max(width, depth):
    r"""Maximum number of linear regions of a deep net with one input: :math:`(D + 1)^K`.

    Parameters
    ----------
    width : int
        Units per hidden layer :math:`D`.
    depth : int
        Number of hidden layers :math:`K`.

    Returns
    -------
    int

    Notes
    -----
    Serra, Tjandraatmadja and Ramalingam (2018), Theorem 5: with one input and
    :math:`D_l \ge 3` units per layer the maximum is exactly :math:`\prod_l (D_l + 1)`:

    .. math:: N = (D + 1)^K.

    The slides print "161501" for D = 10, K = 5; the value is 161,051.

    Examples
    --------
    >>> deep_1d_max(10, 5)
    161051
    """
    width = positive_int(width, "width")
    depth = positive_int(depth, "depth")
    return (width + 1) ** depth


def udl_max_regions(d_in, width, depth):
    r"""UDL eq. 4.17 (as corrected): regions of a deep net with K layers of D units.

    Parameters
    ----------
    d_in : int
        Inputs :math:`D_i`.
    width : int
        Units per hidden layer :math:`D`.
    depth : int
        Hidden layers :math:`K`.

    Returns
    -------
    int or fractions.Fraction
        An exact ``int`` when :math:`D_i` divides :math:`D`; otherwise an exact ``Fraction``
        (the formula then has a non-integer base and is no longer a count of regions: it only
        interpolates; convert with ``float()``).

    Notes
    -----
    Prince, *Understanding Deep Learning*, eq. 4.17 in its corrected form:

    .. math:: N = \left(\frac{D}{D_i} + 1\right)^{D_i (K - 1)} \sum_{j=0}^{D_i} \binom{D}{j}.

    It is the lower bound of Serra et al. (2018, Theorem 6) for equal widths: the first K - 1
    layers each fold every input direction into :math:`D / D_i + 1` copies, and the last layer
    is a shallow net (Zaslavsky's count). D = 50, D_i = 10, K = 5:
    :math:`6^{40} \cdot 13{,}432{,}735{,}556 \approx 1.7956 \times 10^{41}`.

    Examples
    --------
    >>> udl_max_regions(10, 50, 5) == 6**40 * 13432735556
    True
    >>> udl_max_regions(1, 10, 5)
    161051
    """
    d_in = positive_int(d_in, "d_in")
    width = positive_int(width, "width")
    depth = positive_int(depth, "depth")
    shallow = sum(math.comb(width, j) for j in range(d_in + 1))
    base = Fraction(width, d_in) + 1
    value = base ** (d_in * (depth - 1)) * shallow
    return int(value) if value.denominator == 1 else value


def _hidden(d_in, hidden):
    d_in = positive_int(d_in, "d_in")
    h = _int_list(hidden, "hidden", min_len=1)
    return d_in, h


def montufar_lower(d_in, hidden):
    r"""Lower bound on the maximal number of regions: Montufar et al. (2014).

    Parameters
    ----------
    d_in : int
        Inputs :math:`n_0`.
    hidden : list of int
        Hidden widths :math:`[D_1, \dots, D_K]`, each at least ``d_in``.

    Returns
    -------
    int

    Raises
    ------
    ValidationError
        If some :math:`D_l < n_0` (the theorem's hypothesis).

    Notes
    -----
    Montufar, Pascanu, Cho and Bengio, *On the number of linear regions of deep neural
    networks*, NIPS 2014, Theorem 4 (rectifier networks, :math:`D_l \ge n_0`):

    .. math:: N \ge \left(\prod_{l=1}^{K-1} \left\lfloor \frac{D_l}{n_0} \right\rfloor^{n_0}
              \right) \sum_{j=0}^{n_0} \binom{D_K}{j}.
    """
    d_in, h = _hidden(d_in, hidden)
    small = [i for i, w in enumerate(h) if w < d_in]
    if small:
        raise ValidationError(
            f"montufar_lower needs every hidden width >= d_in = {d_in}; hidden[{small[0]}] = "
            f"{h[small[0]]} in {h!r}"
        )
    prod = 1
    for w in h[:-1]:
        prod *= (w // d_in) ** d_in
    return prod * sum(math.comb(h[-1], j) for j in range(d_in + 1))


def serra_upper(d_in, hidden):
    r"""Upper bound on the number of regions: Serra, Tjandraatmadja, Ramalingam (2018), Thm 1.

    Parameters
    ----------
    d_in : int
        Inputs :math:`n_0`.
    hidden : list of int
        Hidden widths :math:`[n_1, \dots, n_L]`.

    Returns
    -------
    int

    Notes
    -----
    *Bounding and counting linear regions of deep neural networks*, ICML 2018, Theorem 1:

    .. math:: N \le \sum_{(j_1, \dots, j_L) \in J} \prod_{l=1}^{L} \binom{n_l}{j_l},
       \qquad J = \{ j \in \mathbb{Z}^L : 0 \le j_l \le
       \min\{n_0, n_1 - j_1, \dots, n_{l-1} - j_{l-1}, n_l\}\ \forall l \}.

    Computed exactly by dynamic programming over the running bound
    :math:`d_l = \min\{n_0, n_1 - j_1, \dots, n_l - j_l\}` (the largest dimension a region can
    keep, Lemma 4), so the cost is :math:`O(L\, n_0 \max n_l)` instead of enumerating J.
    It equals Zaslavsky's count for one layer, and :math:`\prod_l (n_l + 1)` for one input when
    every :math:`n_l \ge 2` (Theorem 5's exact maximum). With a layer of width 1 and one input
    it is smaller than :math:`(D+1)^K`, correctly: a single unit can leave a whole half-line dead.

    Examples
    --------
    >>> serra_upper(1, [10] * 5)
    161051
    >>> serra_upper(2, [3])
    7
    """
    d_in, h = _hidden(d_in, hidden)
    # counts[d] = sum of products over prefixes whose running bound is d
    counts = {d_in: 1}
    for n in h:
        nxt = {}
        for d, c in counts.items():
            for j in range(min(d, n) + 1):
                nd = min(d, n - j)
                nxt[nd] = nxt.get(nd, 0) + c * math.comb(n, j)
        counts = nxt
    return sum(counts.values())


def serra_lower(d_in, hidden):
    r"""Lower bound on the maximal number of regions: Serra et al. (2018), Theorem 6.

    Parameters
    ----------
    d_in : int
        Inputs :math:`n_0`.
    hidden : list of int
        Hidden widths :math:`[n_1, \dots, n_L]`, each at least :math:`3 n_0`.

    Returns
    -------
    int

    Raises
    ------
    ValidationError
        If some :math:`n_l < 3 n_0` (the theorem's hypothesis).

    Notes
    -----
    *Bounding and counting linear regions of deep neural networks*, ICML 2018, Theorem 6 (the
    improvement of Montufar et al.'s Theorem 4: :math:`\lfloor n_l/n_0 \rfloor` becomes
    :math:`\lfloor n_l/n_0 \rfloor + 1` under the stronger hypothesis :math:`n_l \ge 3 n_0`):

    .. math:: N \ge \left(\prod_{l=1}^{L-1} \left(\left\lfloor \frac{n_l}{n_0}
              \right\rfloor + 1\right)^{n_0}\right) \sum_{j=0}^{n_0} \binom{n_L}{j}.

    For equal widths divisible by :math:`n_0` it is UDL eq. 4.17.
    """
    d_in, h = _hidden(d_in, hidden)
    small = [i for i, w in enumerate(h) if w < 3 * d_in]
    if small:
        raise ValidationError(
            f"serra_lower needs every hidden width >= 3 * d_in = {3 * d_in}; hidden[{small[0]}] "
            f"= {h[small[0]]} in {h!r}"
        )
    prod = 1
    for w in h[:-1]:
        prod *= (w // d_in + 1) ** d_in
    return prod * sum(math.comb(h[-1], j) for j in range(d_in + 1))


# ============================================================================ network -> affine stack


@dataclasses.dataclass
class _Affine:
    """One affine layer z = W h + b followed by a piecewise-linear activation.

    ``slope`` is None for the identity, else the per-unit slope on the negative side
    (0 for ReLU, alpha for leaky ReLU / PReLU).
    """

    W: np.ndarray
    b: np.ndarray
    slope: np.ndarray | None


def _parse_act(act, n, where):
    """Negative-side slopes (n,) for an activation spec, or None for the identity."""
    if act is None:
        return None
    if isinstance(act, tuple) and len(act) == 2 and isinstance(act[0], str):
        name, alpha = act[0].lower(), act[1]
        if name not in ("leaky_relu", "leakyrelu", "prelu"):
            raise ValidationError(f"{where}: unknown activation {act!r}")
        return _alpha_vec(alpha, n, where)
    if isinstance(act, str):
        s = act.strip().lower()
        if s in ("identity", "linear", "none"):
            return None
        if s == "relu":
            return np.zeros(n)
        if s in ("leaky_relu", "leakyrelu"):
            return np.full(n, 0.01)
        if s.startswith(("leaky_relu:", "leakyrelu:")):
            try:
                alpha = float(s.split(":", 1)[1])
            except ValueError:
                raise ValidationError(
                    f"{where}: could not read the slope in {act!r}; write e.g. 'leaky_relu:0.1'"
                ) from None
            return _alpha_vec(alpha, n, where)
    raise ValidationError(
        f"{where}: activation must be 'relu', 'identity', 'leaky_relu:<alpha>' or "
        f"('leaky_relu', alpha); got {act!r}"
    )


def _alpha_vec(alpha, n, where):
    a = np.asarray(alpha, dtype=np.float64).reshape(-1)
    if a.size == 1:
        a = np.full(n, float(a[0]))
    if a.size != n or not np.isfinite(a).all():
        raise ValidationError(
            f"{where}: slope must be one finite number or one per unit ({n}); got {alpha!r}"
        )
    return a


def _as_matrix(x, name, ndim):
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - ragged input
        raise ValidationError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise DTypeError(f"{name} has dtype {arr.dtype}; expected real numbers")
    if arr.ndim != ndim:
        raise ValidationError(f"{name} must be {ndim}-D; got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValidationError(f"{name} contains NaN or infinity")
    return arr


_SKIP = {"Identity", "Flatten", "Dropout"}


def _from_sequential(net):
    stack = []
    pending = None  # the last affine layer still waiting for its activation
    d = None
    shape = getattr(net, "input_shape", None)
    if shape is not None and len(shape) == 1:
        d = int(shape[0])
    for i, layer in enumerate(net.layers):
        cls = type(layer).__name__
        where = f"layer {i} ({cls})"
        if cls == "Dense":
            W = _as_matrix(layer.W.value, f"{where}.W", 2)
            if d is not None and W.shape[1] != d:
                raise ValidationError(f"{where} expects {W.shape[1]} inputs but receives {d}")
            if getattr(layer, "use_bias", True):
                b = _as_matrix(layer.b.value, f"{where}.b", 1)
            else:
                b = np.zeros(W.shape[0])
            pending = _Affine(W, b, None)
            stack.append(pending)
            d = W.shape[0]
            continue
        if cls in _SKIP:
            continue
        if cls == "ReLU":
            slope = 0.0
        elif cls == "LeakyReLU":
            slope = float(layer.alpha)
        elif cls == "PReLU":
            slope = np.asarray(layer.alpha.value, dtype=np.float64).reshape(-1)
        else:
            hint = (
                f" (a final {cls} does not change the regions: count the logits, i.e. the "
                "network without it)"
                if cls in ("Softmax", "Sigmoid") and i == len(net.layers) - 1
                else ""
            )
            raise ValidationError(
                f"{where}: exact region counting needs piecewise-linear layers (Dense, ReLU, "
                f"LeakyReLU, PReLU, Identity, Flatten, Dropout); got {cls}{hint}"
            )
        if d is None:
            raise ValidationError(f"{where}: an activation before any Dense needs net.input_shape")
        if pending is None or pending.slope is not None:
            # an activation right after another one: insert an identity affine layer
            pending = _Affine(np.eye(d), np.zeros(d), None)
            stack.append(pending)
        pending.slope = _alpha_vec(slope, d, where)
    if not stack:
        raise ValidationError("the network has no Dense layer")
    return stack


def _from_list(layers):
    stack = []
    d = None
    for i, item in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise ValidationError(
                f"{where} must be a (W, b, act) tuple with W of shape (out, in); got "
                f"{type(item).__name__}"
            )
        W = _as_matrix(item[0], f"{where} W", 2)
        b = _as_matrix(item[1], f"{where} b", 1) if item[1] is not None else np.zeros(len(W))
        if b.shape[0] != W.shape[0]:
            raise ValidationError(
                f"{where}: b has {b.shape[0]} entries but W has {W.shape[0]} rows (units)"
            )
        if d is not None and W.shape[1] != d:
            raise ValidationError(
                f"{where}: W has {W.shape[1]} columns (inputs) but the previous layer has {d} units"
            )
        act = item[2] if len(item) == 3 else None
        stack.append(_Affine(W, b, _parse_act(act, W.shape[0], where)))
        d = W.shape[0]
    if not stack:
        raise ValidationError("layers is empty; give at least one (W, b, act) tuple")
    return stack


def _affine_stack(net_or_layers):
    """The network as a list of ``_Affine`` layers (float64 copies).

    Accepts a ``Sequential`` (duck-typed: an object with a ``layers`` list whose items are
    recognised by class name: ``Dense`` with ``.W.value`` of shape (out, in) and ``.b.value``;
    ``ReLU``, ``LeakyReLU`` (``.alpha``), ``PReLU`` (``.alpha.value``), ``Identity``, ``Flatten``
    and ``Dropout`` (evaluation mode: the identity)), or a list of ``(W, b, act)`` tuples with
    ``act`` in ``'relu'``, ``'identity'`` (or None), ``'leaky_relu:<alpha>'``,
    ``('leaky_relu', alpha)``. Nothing is imported from ``numbanet.nn``.
    """
    if isinstance(net_or_layers, (list, tuple)):
        if net_or_layers and all(isinstance(x, _Affine) for x in net_or_layers):
            return list(net_or_layers)
        return _from_list(net_or_layers)
    if hasattr(net_or_layers, "layers"):
        return _from_sequential(net_or_layers)
    raise ValidationError(
        "net must be a numbanet Sequential or a list of (W, b, act) tuples; got "
        f"{type(net_or_layers).__name__}"
    )


def _n_units(stack):
    return sum(layer.W.shape[0] for layer in stack if layer.slope is not None)


def forward(net, x):
    """Evaluate the piecewise-linear network on points (float64), as the counters see it.

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
    x : ndarray of shape (n, d_in)

    Returns
    -------
    ndarray of shape (n, d_out)
    """
    stack = _affine_stack(net)
    h = _points(x, "x", stack[0].W.shape[1])
    for layer in stack:
        z = h @ layer.W.T + layer.b
        h = z if layer.slope is None else np.where(z > 0, z, layer.slope * z)
    return h


def _points(x, name, d_in):
    arr = _as_matrix(x, name, np.ndim(x))
    if arr.ndim == 1 and d_in == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != d_in:
        raise ValidationError(
            f"{name} must have shape (n, {d_in}) for a net with {d_in} inputs; got {arr.shape}"
        )
    return arr


# ============================================================================ 1-D: along segments


@dataclasses.dataclass
class Segment1D:
    r"""Exact linear structure of a network along the segment :math:`x(t) = a + t (b - a)`.

    Attributes
    ----------
    regions : int
        Activation regions: maximal runs of equal activation patterns along the segment.
    pieces : int
        Linear pieces: maximal runs of cells whose output is one affine function of t
        (adjacent cells merged when their slopes agree within round-off).
    t : ndarray of shape (regions - 1,)
        Interior activation breakpoints in (0, 1), sorted.
    piece_t : ndarray of shape (pieces - 1,)
        Interior breakpoints where the linear piece changes (a subset of ``t``).
    x, piece_x : ndarray of shape (k, d_in)
        The same breakpoints in input space.
    t0, t1 : ndarray of shape (n_cells,)
        Cells (one per activation region) as intervals of t.
    patterns : ndarray of bool, shape (n_cells, n_units)
        Activation pattern of each cell (units with a nonlinearity, layer by layer).
    offset, slope : ndarray of shape (n_cells, d_out)
        The output on cell k is ``offset[k] + slope[k] * t``.
    a, b : ndarray of shape (d_in,)
    """

    regions: int
    pieces: int
    t: np.ndarray
    piece_t: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    patterns: np.ndarray
    offset: np.ndarray
    slope: np.ndarray
    a: np.ndarray
    b: np.ndarray

    @property
    def x(self):
        return self.a + self.t[:, None] * (self.b - self.a)

    @property
    def piece_x(self):
        return self.a + self.piece_t[:, None] * (self.b - self.a)

    def points(self, t):
        """Input-space points ``a + t (b - a)``: ndarray of shape (len(t), d_in)."""
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        return self.a + t[:, None] * (self.b - self.a)

    def evaluate(self, t):
        """The network's output at parameters ``t`` in [0, 1] from the exact cell maps.

        Returns ndarray of shape (len(t), d_out).
        """
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        if t.size and (t.min() < 0 or t.max() > 1):
            raise ValidationError("t must lie in [0, 1] (0 is a, 1 is b)")
        k = np.clip(np.searchsorted(self.t1, t, side="left"), 0, len(self.t1) - 1)
        return self.offset[k] + self.slope[k] * t[:, None]


def _trace(stack, A, B, rtol, t_eps):
    """Trace cells along S segments at once. Returns per-cell arrays sorted by (segment, t)."""
    S = A.shape[0]
    seg = np.arange(S)
    t0 = np.zeros(S)
    t1 = np.ones(S)
    P = A.copy()
    Q = B - A
    Pa = np.abs(P)  # round-off scales: the same sums with absolute values
    Qa = np.abs(Q)
    pats = []
    for layer in stack:
        W, b, slope = layer.W, layer.b, layer.slope
        Wa = np.abs(W)
        C = P @ W.T + b
        Sl = Q @ W.T
        Ca = Pa @ Wa.T + np.abs(b)
        Sa = Qa @ Wa.T
        if slope is None:
            P, Q, Pa, Qa = C, Sl, Ca, Sa
            continue
        tol = rtol * (Ca + Sa)  # bound on the round-off of z(t), t in [0, 1]
        V0 = C + Sl * t0[:, None]
        V1 = C + Sl * t1[:, None]
        cross = ((V0 > tol) & (V1 < -tol)) | ((V0 < -tol) & (V1 > tol))
        pi, ui = np.nonzero(cross)
        m = len(t0)
        if pi.size:
            v0 = V0[pi, ui]
            v1 = V1[pi, ui]
            r = t0[pi] + (t1[pi] - t0[pi]) * (v0 / (v0 - v1))
            o = np.lexsort((r, pi))
            pi, r = pi[o], r[o]
            keep = (r - t0[pi] > t_eps) & (t1[pi] - r > t_eps)
            pi, r = pi[keep], r[keep]
            if r.size:  # several units crossing at one point make one breakpoint
                dup = np.zeros(r.size, dtype=bool)
                dup[1:] = (pi[1:] == pi[:-1]) & (r[1:] - r[:-1] <= t_eps)
                pi, r = pi[~dup], r[~dup]
            starts_p = np.concatenate([np.arange(m), pi])
            starts_t = np.concatenate([t0, r])
            ends_p = np.concatenate([pi, np.arange(m)])
            ends_t = np.concatenate([r, t1])
            o1 = np.lexsort((starts_t, starts_p))
            o2 = np.lexsort((ends_t, ends_p))
            parent = starts_p[o1]
            t0 = starts_t[o1]
            t1 = ends_t[o2]
        else:
            parent = np.arange(m)
        C, Sl, Ca, Sa, tol = C[parent], Sl[parent], Ca[parent], Sa[parent], tol[parent]
        mid = 0.5 * (t0 + t1)
        active = (C + Sl * mid[:, None]) > tol
        mult = np.where(active, 1.0, slope[None, :])
        P, Q = C * mult, Sl * mult
        Pa, Qa = Ca * np.abs(mult), Sa * np.abs(mult)
        pats = [p[parent] for p in pats] + [active]
        seg = seg[parent]
    pat = np.concatenate(pats, axis=1) if pats else np.zeros((len(t0), 0), dtype=bool)
    return seg, t0, t1, pat, P, Q, Qa


def _boundaries(seg, pat, Q, Qa, merge_rtol):
    """Masks over consecutive cell pairs: new activation region / new linear piece."""
    same_seg = seg[1:] == seg[:-1]
    new_region = same_seg & np.any(pat[1:] != pat[:-1], axis=1)
    dq = np.abs(Q[1:] - Q[:-1]) > merge_rtol * (Qa[1:] + Qa[:-1])
    new_piece = same_seg & np.any(dq, axis=1)
    return new_region, new_piece


def count_1d(net, a, b, *, rtol=1e-10, merge_rtol=1e-8, t_eps=1e-12):
    r"""Exact activation regions and linear pieces of a network along a segment.

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
        A piecewise-linear network (see ``_affine_stack`` for what is accepted).
    a, b : float or array_like of shape (d_in,)
        End points of the segment (scalars for a one-input net).
    rtol : float
        Relative tolerance on pre-activations, against the round-off scale
        :math:`\sum |w||h| + |b|`: a unit within it of zero over a whole cell makes no
        breakpoint and counts as inactive.
    merge_rtol : float
        Adjacent cells whose output slopes agree within this (relative to their round-off
        scale) belong to one linear piece.
    t_eps : float
        Breakpoints closer than this (in t) are one breakpoint; breakpoints within it of the
        segment's ends are dropped.

    Returns
    -------
    Segment1D

    Notes
    -----
    Along the segment every layer's input is piecewise affine in t: on cell k,
    :math:`h(t) = P_k + t Q_k`. The next layer's pre-activation
    :math:`z(t) = (W P_k + b) + t\, W Q_k` is affine on the cell, so each unit crosses zero at
    most once there, at :math:`t^* = t_0 + (t_1 - t_0)\, z(t_0) / (z(t_0) - z(t_1))`. Splitting
    the cells at these roots and applying the activation on each sub-cell (its sign at the
    midpoint) gives the next layer's affine pieces: nothing is sampled.

    Examples
    --------
    >>> net = [([[1.0], [1.0]], [0.0, -0.5], "relu"), ([[1.0, -2.0]], [0.0], None)]
    >>> r = count_1d(net, -1.0, 1.0)
    >>> r.regions, r.pieces, r.x.ravel().tolist()
    (3, 3, [0.0, 0.5])
    """
    stack = _affine_stack(net)
    d_in = stack[0].W.shape[1]
    A = _endpoint(a, "a", d_in)
    B = _endpoint(b, "b", d_in)
    seg, t0, t1, pat, P, Q, Qa = _trace(stack, A[None], B[None], float(rtol), float(t_eps))
    new_region, new_piece = _boundaries(seg, pat, Q, Qa, float(merge_rtol))
    # cells are activation regions (a pattern changes at every breakpoint, up to tolerance);
    # merge any equal neighbours so that cells and regions coincide
    keep = np.concatenate([[True], new_region])
    starts = np.flatnonzero(keep)
    t0c = t0[starts]
    t1c = np.concatenate([t0[starts[1:]], [t1[-1]]])
    piece_change = np.concatenate([[False], new_piece])
    piece_t = t0[piece_change]
    return Segment1D(
        regions=int(keep.sum()),
        pieces=int(1 + new_piece.sum()),
        t=t0c[1:].copy(),
        piece_t=piece_t,
        t0=t0c,
        t1=t1c,
        patterns=pat[starts],
        offset=P[starts],
        slope=Q[starts],
        a=A,
        b=B,
    )


def _endpoint(v, name, d_in):
    arr = _as_matrix(v, name, np.ndim(v)).reshape(-1)
    if arr.shape[0] != d_in:
        raise ValidationError(
            f"{name} must be a point with {d_in} coordinates (the net's inputs); got {arr.shape[0]}"
        )
    return arr


@dataclasses.dataclass
class LineCounts:
    """Exact counts along many segments (``count_along_lines``).

    Attributes
    ----------
    regions, pieces : ndarray of int, shape (S,)
    lengths : ndarray of shape (S,)
        Euclidean length of each segment.
    breaks_per_length : ndarray of shape (S,)
        (regions - 1) / length: the density of region boundaries crossed along each line,
        the quantity Hanin and Rolnick (2019) bound by (number of units) x const.
    """

    regions: np.ndarray
    pieces: np.ndarray
    lengths: np.ndarray
    breaks_per_length: np.ndarray


def count_along_lines(net, points_a, points_b, *, rtol=1e-10, merge_rtol=1e-8, t_eps=1e-12):
    r"""Exact region and piece counts along many segments at once (any input dimension).

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
    points_a, points_b : array_like of shape (S, d_in)
        Segment end points (shape (S,) for a one-input net).
    rtol, merge_rtol, t_eps : float
        As in ``count_1d``.

    Returns
    -------
    LineCounts

    Notes
    -----
    Hanin and Rolnick (*Complexity of linear regions in deep networks*, ICML 2019) estimate the
    density of regions through the number of boundaries a random line crosses per unit length,
    which stays of order (number of units) at initialisation rather than exponential in depth.
    All segments are traced together by the algorithm of ``count_1d``.
    """
    stack = _affine_stack(net)
    d_in = stack[0].W.shape[1]
    A = _points(points_a, "points_a", d_in)
    B = _points(points_b, "points_b", d_in)
    if A.shape != B.shape:
        raise ValidationError(
            f"points_a and points_b must have the same shape; got {A.shape} and {B.shape}"
        )
    S = A.shape[0]
    seg, t0, t1, pat, P, Q, Qa = _trace(stack, A, B, float(rtol), float(t_eps))
    new_region, new_piece = _boundaries(seg, pat, Q, Qa, float(merge_rtol))
    regions = 1 + np.bincount(seg[1:][new_region], minlength=S)
    pieces = 1 + np.bincount(seg[1:][new_piece], minlength=S)
    lengths = np.linalg.norm(B - A, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = np.where(lengths > 0, (regions - 1) / np.where(lengths > 0, lengths, 1), 0.0)
    return LineCounts(regions=regions, pieces=pieces, lengths=lengths, breaks_per_length=dens)


# ============================================================================ 2-D: polygons


@dataclasses.dataclass
class Partition2D:
    """Exact partition of a 2-D box by a network.

    Attributes
    ----------
    regions : int
        Activation regions (convex polygons, one per activation pattern met in the box).
    pieces : int
        Linear pieces: connected components of polygons sharing an edge (of positive length)
        and an equal output gradient.
    vertices : ndarray of shape (V, 2); starts : ndarray of int, shape (regions + 1,)
        Polygon k is ``vertices[starts[k]:starts[k + 1]]`` (counter-clockwise or clockwise,
        convex).
    patterns : ndarray of bool, shape (regions, n_units)
    piece_labels : ndarray of int, shape (regions,)
        Piece index (0 .. pieces - 1) of every polygon.
    grad : ndarray of shape (regions, d_out, 2); offset : ndarray of shape (regions, d_out)
        The output on polygon k is ``grad[k] @ [x, y] + offset[k]``.
    areas : ndarray of shape (regions,)
    box : tuple (x0, x1, y0, y1)
    n_patterns : int
        Distinct patterns among the polygons (equals ``regions``: a pattern's region is convex).
    dropped : int
        Polygons dropped as numerically degenerate (area at most ``min_area``); normally 0.
    """

    regions: int
    pieces: int
    vertices: np.ndarray
    starts: np.ndarray
    patterns: np.ndarray
    piece_labels: np.ndarray
    grad: np.ndarray
    offset: np.ndarray
    areas: np.ndarray
    box: tuple
    n_patterns: int
    dropped: int

    @property
    def polygons(self):
        """List of (k, 2) vertex arrays, one per region (for drawing)."""
        return [self.vertices[s:e] for s, e in zip(self.starts[:-1], self.starts[1:])]

    def centroids(self):
        """A point inside each polygon (the vertex mean): ndarray of shape (regions, 2)."""
        counts = np.diff(self.starts)
        idx = np.repeat(np.arange(len(counts)), counts)
        sums = np.zeros((len(counts), 2))
        np.add.at(sums, idx, self.vertices)
        return sums / counts[:, None]


def _box(box):
    try:
        vals = [float(v) for v in box]
    except Exception:
        raise ValidationError(f"box must be (x0, x1, y0, y1); got {box!r}") from None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        raise ValidationError(f"box must be four finite numbers (x0, x1, y0, y1); got {box!r}")
    x0, x1, y0, y1 = vals
    if not (x0 < x1 and y0 < y1):
        raise ValidationError(f"box must have x0 < x1 and y0 < y1; got {box!r}")
    return x0, x1, y0, y1


def count_2d(net, box, *, rtol=1e-12, merge_rtol=1e-8, min_area=0.0):
    r"""Exact activation regions and linear pieces of a 2-input network in a box.

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
        A piecewise-linear network with two inputs.
    box : tuple (x0, x1, y0, y1)
    rtol : float
        Relative tolerance on pre-activations at polygon vertices: a vertex is on a unit's line
        when the value there is within ``rtol`` times its round-off scale, the sum of absolute
        values (:math:`\sum |w||h| + |b|`, kept per polygon) plus the value's change under a
        move of the vertex by the box's size (vertices are computed intersections). A polygon
        is cut only if vertices lie strictly on both sides, so round-off makes no sliver; a
        polygon thinner than the tolerance keeps the sign of its vertices beyond it.
    merge_rtol : float
        Output gradients equal within this (relative) tolerance count as one affine map.
    min_area : float
        Polygons of area at most ``min_area`` times the box's area are dropped as degenerate
        (counted in ``dropped``). The default 0 drops only polygons of zero area: the vertex
        tolerance already keeps round-off from cutting slivers, and genuinely tiny regions
        (e.g. near a point where many lines almost meet) are real and kept.

    Returns
    -------
    Partition2D

    Notes
    -----
    Each cell is a convex polygon carrying the affine map of the current layer's input,
    :math:`h(x) = A_k x + c_k`. Unit j of the next layer has pre-activation
    :math:`z_j(x) = (W A_k)_j x + (W c_k + b)_j` on the cell, a line; the cell is clipped
    against both half-planes (Sutherland-Hodgman on a convex polygon), unit after unit. The
    activation then multiplies each row by 1 or the negative-side slope. Pieces merge polygons
    that share an edge of positive length and whose output gradients agree (by continuity the
    maps are then equal); polygons touching at a single point are not merged.
    """
    from . import _regions_kernels as K

    stack = _affine_stack(net)
    if stack[0].W.shape[1] != 2:
        raise ValidationError(
            f"count_2d needs a network with 2 inputs; this one has {stack[0].W.shape[1]}"
        )
    x0, x1, y0, y1 = _box(box)
    sx, sy = max(abs(x0), abs(x1)), max(abs(y0), abs(y1))
    vx = np.array([x0, x1, x1, x0])
    vy = np.array([y0, y0, y1, y1])
    starts = np.array([0, 4], dtype=np.int64)
    # per polygon: input map to the current layer, (m, n, 3) = [d/dx, d/dy, constant]
    H = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    Ha = np.abs(H)
    pats = []
    box_area = (x1 - x0) * (y1 - y0)
    dropped = 0
    for layer in stack:
        W, b, slope = layer.W, layer.b, layer.slope
        G = np.einsum("ij,mjc->mic", W, H)
        G[:, :, 2] += b
        Ga = np.einsum("ij,mjc->mic", np.abs(W), Ha)
        Ga[:, :, 2] += np.abs(b)
        if slope is None:
            H, Ha = G, Ga
            continue
        vx, vy, starts, owner, side = K.cut_layer(vx, vy, starts, G, Ga, float(rtol), sx, sy)
        areas = K.polygon_areas(vx, vy, starts)
        ok = areas > min_area * box_area
        if not ok.all():
            dropped += int((~ok).sum())
            vx, vy, starts = _select_polygons(vx, vy, starts, ok)
            owner, side = owner[ok], side[ok]
        active = side > 0
        mult = np.where(active, 1.0, slope[None, :])
        H = G[owner] * mult[:, :, None]
        Ha = Ga[owner] * np.abs(mult)[:, :, None]
        # earlier layers' patterns are indexed by the polygons before this layer's cuts
        pats = [p[owner] for p in pats] + [active]
    m = len(starts) - 1
    if H.shape[0] != m:  # no nonlinearity at all: one polygon, broadcast the map
        H = np.broadcast_to(H, (m,) + H.shape[1:]).copy()
        Ha = np.broadcast_to(Ha, (m,) + Ha.shape[1:]).copy()
    pat = np.concatenate(pats, axis=1) if pats else np.zeros((m, 0), dtype=bool)
    grad = np.ascontiguousarray(H[:, :, :2].reshape(m, -1))
    grad_scale = np.ascontiguousarray(Ha[:, :, :2].reshape(m, -1))
    diag = math.hypot(x1 - x0, y1 - y0)
    labels = K.merge_pieces(vx, vy, starts, grad, grad_scale, float(merge_rtol), 1e-9 * diag)
    _, piece_labels = np.unique(labels, return_inverse=True)
    n_patterns = len(np.unique(np.packbits(pat, axis=1), axis=0)) if pat.shape[1] else 1
    return Partition2D(
        regions=int(m),
        pieces=int(piece_labels.max() + 1),
        vertices=np.stack([vx, vy], axis=1),
        starts=starts,
        patterns=pat,
        piece_labels=piece_labels.astype(np.int64),
        grad=H[:, :, :2].copy(),
        offset=H[:, :, 2].copy(),
        areas=K.polygon_areas(vx, vy, starts),
        box=(x0, x1, y0, y1),
        n_patterns=int(n_patterns),
        dropped=dropped,
    )


def _select_polygons(vx, vy, starts, keep):
    counts = np.diff(starts)
    idx = np.repeat(keep, counts)
    new_counts = counts[keep]
    new_starts = np.zeros(len(new_counts) + 1, dtype=np.int64)
    np.cumsum(new_counts, out=new_starts[1:])
    return vx[idx], vy[idx], new_starts


# ============================================================================ patterns on samples


def _flat_net(stack):
    dims = np.array([stack[0].W.shape[1]] + [layer.W.shape[0] for layer in stack], np.int64)
    Wf = np.concatenate([np.ascontiguousarray(layer.W).ravel() for layer in stack])
    woff = np.zeros(len(stack), np.int64)
    np.cumsum([layer.W.size for layer in stack[:-1]], out=woff[1:])
    b = np.concatenate([layer.b for layer in stack])
    boff = np.zeros(len(stack), np.int64)
    np.cumsum([layer.W.shape[0] for layer in stack[:-1]], out=boff[1:])
    slope = np.concatenate(
        [layer.slope if layer.slope is not None else np.ones(layer.W.shape[0]) for layer in stack]
    )
    has_act = np.array([layer.slope is not None for layer in stack])
    return Wf, woff, b, boff, slope, dims, has_act


def pattern_bits(net, points):
    """Activation patterns on sample points (NumPy reference).

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
    points : array_like of shape (n, d_in)

    Returns
    -------
    ndarray of bool, shape (n, n_units)
        Bit ``z > 0`` of every unit with a nonlinearity, layer by layer.
    """
    stack = _affine_stack(net)
    h = _points(points, "points", stack[0].W.shape[1])
    bits = []
    for layer in stack:
        z = h @ layer.W.T + layer.b
        if layer.slope is None:
            h = z
            continue
        on = z > 0
        bits.append(on)
        h = np.where(on, z, layer.slope * z)
    if not bits:
        return np.zeros((h.shape[0], 0), dtype=bool)
    return np.concatenate(bits, axis=1)


def _hash_words_numpy(bits):
    """Hash each row of a bool matrix exactly as the Numba kernel does (uint64 per row)."""
    from ._regions_kernels import FIN_MUL1, FIN_MUL2, HASH_MUL, HASH_SEED

    n, k = bits.shape
    n_words = max(1, -(-k // 64))
    padded = np.zeros((n, n_words * 64), dtype=bool)
    padded[:, :k] = bits
    words = np.packbits(padded, axis=1, bitorder="little").view("<u8")
    h = np.full(n, HASH_SEED, dtype=np.uint64)
    for w in range(n_words):
        h ^= words[:, w]
        h *= HASH_MUL
        h ^= h >> np.uint64(32)
    h ^= h >> np.uint64(30)
    h *= FIN_MUL1
    h ^= h >> np.uint64(27)
    h *= FIN_MUL2
    h ^= h >> np.uint64(31)
    return h


def pattern_hashes(net, points, *, method="numba", block=128):
    """64-bit hashes of the activation patterns of sample points.

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
    points : array_like of shape (n, d_in)
    method : {"numba", "numpy"}
        ``"numba"``: one fused parallel kernel; ``"numpy"``: ``pattern_bits`` then a vectorised
        hash (the reference; both give identical hashes).
    block : int
        Points per parallel task (numba only).

    Returns
    -------
    ndarray of uint64, shape (n,)
    """
    stack = _affine_stack(net)
    X = _points(points, "points", stack[0].W.shape[1])
    if method == "numpy":
        return _hash_words_numpy(pattern_bits(stack, X))
    if method != "numba":
        raise ValidationError(f"method must be 'numba' or 'numpy'; got {method!r}")
    from . import _regions_kernels as K

    WT, woff, b, boff, slope, dims, has_act = _flat_net(stack)
    n_words = max(1, -(-_n_units(stack) // 64))
    block = positive_int(block, "block")
    return K.pattern_hashes(X, WT, woff, b, boff, slope, dims, has_act, n_words, block)


def count_patterns(net, points, *, method="numba"):
    r"""Number of distinct activation patterns met by sample points (any input dimension).

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
    points : array_like of shape (n, d_in)
    method : {"numba", "numpy"}
        ``"numpy"`` counts distinct rows of the bit matrix exactly (the oracle); ``"numba"``
        counts distinct 64-bit hashes (a collision, probability about n^2 / 2^65, could only
        lower the count).

    Returns
    -------
    int

    Notes
    -----
    A lower bound on the number of activation regions meeting the sampled set, tight as the
    sample fills every region (Hanin and Rolnick 2019 count regions this way in 2-D slices).
    """
    if method == "numpy":
        bits = pattern_bits(net, points)
        if bits.shape[1] == 0:
            return 1
        return int(len(np.unique(np.packbits(bits, axis=1), axis=0)))
    return int(len(np.unique(pattern_hashes(net, points, method=method))))


__all__ = [
    "parameter_count", "zaslavsky", "deep_1d_max", "udl_max_regions", "montufar_lower",
    "serra_upper", "serra_lower", "count_1d", "count_2d", "count_along_lines",
    "count_patterns", "pattern_bits", "pattern_hashes", "forward", "Segment1D", "Partition2D",
    "LineCounts",
]  # fmt: skip
