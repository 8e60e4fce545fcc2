r"""Exact integer formulas for the number of linear regions of ReLU networks.

Python integers throughout (no float overflow: UDL eq. 4.17 for D = 50, K = 5 has 42 digits).

* ``parameter_count(widths)``: weights and biases of a fully connected net.
* ``zaslavsky(d_in, width)``: the maximum number of regions of a shallow net (Zaslavsky 1975).
* ``deep_1d_max(width, depth)``: (D + 1)^K, the maximum for one input (Serra et al. 2018, Thm 5).
* ``udl_max_regions(d_in, width, depth)``: *Understanding Deep Learning* eq. 4.17 (corrected).
* ``montufar_lower``, ``serra_upper``, ``serra_lower``: the bounds of Montufar et al. (2014) and
  Serra, Tjandraatmadja and Ramalingam (2018).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

from ..._validate import positive_int
from ...errors import ValidationError


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


__all__ = [
    "parameter_count",
    "zaslavsky",
    "deep_1d_max",
    "udl_max_regions",
    "montufar_lower",
    "serra_upper",
    "serra_lower",
]
