"""Small synthetic data sets for the lectures' pictures: logic gates, 2-D classes, 1-D targets.

Every generator is deterministic for a given ``seed`` (anything ``np.random.default_rng``
accepts: an int, None, or a Generator), returns float64 inputs and int64 class labels, and
validates its arguments with a :class:`~numbanet.errors.ValidationError` that names the argument.

- :func:`logic_gate`: the truth tables of AND, OR, NAND, NOR, XOR, XNOR, NOT (the perceptron
  lecture: which ones a single line can separate).
- :func:`moons`, :func:`circles`, :func:`blobs`, :func:`spiral`: 2-D classification sets, from
  linearly separable (well-spread blobs) to hard for shallow nets (spirals).
- :func:`regression_1d`: a few 1-D targets on [-1, 1] for universal-approximation pictures.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validate import positive_float, positive_int
from ..errors import ValidationError

_TWO_INPUT = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xor": lambda a, b: a ^ b,
    "xnor": lambda a, b: 1 - (a ^ b),
}
GATES = (*_TWO_INPUT, "not")


def _name(name, arg: str, options) -> str:
    if not isinstance(name, str) or name.lower() not in options:
        raise ValidationError(f"{arg} must be one of {', '.join(map(repr, options))}; got {name!r}")
    return name.lower()


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValidationError(f"seed must be an integer, None or a numpy Generator; got {seed!r}")
    return np.random.default_rng(seed)


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a logic gate, as a tiny classification data set.

    Parameters
    ----------
    name : {'and', 'or', 'nand', 'nor', 'xor', 'xnor', 'not'}
        The gate (case-insensitive).

    Returns
    -------
    X : ndarray of shape (4, 2), float64
        The inputs (0, 0), (0, 1), (1, 0), (1, 1); for ``'not'`` shape (2, 1): (0,), (1,).
    y : ndarray of shape (4,) or (2,), int64
        The gate's output, 0 or 1, for each row of ``X``.

    Examples
    --------
    >>> X, y = logic_gate("xor")
    >>> y.tolist()
    [0, 1, 1, 0]
    """
    name = _name(name, "name", GATES)
    if name == "not":
        return np.array([[0.0], [1.0]]), np.array([1, 0], dtype=np.int64)
    a = np.array([0, 0, 1, 1], dtype=np.int64)
    b = np.array([0, 1, 0, 1], dtype=np.int64)
    X = np.stack([a, b], axis=1).astype(np.float64)
    return X, _TWO_INPUT[name](a, b).astype(np.int64)


def _shuffled(X, y, rng):
    order = rng.permutation(len(y))
    return np.ascontiguousarray(X[order]), y[order]


def _split(n: int, k: int) -> np.ndarray:
    """Sizes of ``k`` groups adding up to ``n``, as equal as possible (the first ones larger)."""
    return np.full(k, n // k) + (np.arange(k) < n % k)


def moons(n: int = 200, noise: float = 0.1, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: not linearly separable, easy for a small MLP.

    Class 0 is the upper half of the unit circle centred at (0, 0); class 1 the lower half
    centred at (1, 0.5), shifted so the two interlock. Points are evenly spaced along each arc,
    then Gaussian noise of standard deviation ``noise`` is added and the rows are shuffled.

    Parameters
    ----------
    n : int, default 200
        Number of points (class 0 gets the extra one when ``n`` is odd).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate (>= 0).
    seed : int, None or Generator, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64
        0 or 1.
    """
    n = positive_int(n, "n")
    noise = positive_float(noise, "noise", allow_zero=True)
    rng = _rng(seed)
    n0, n1 = _split(n, 2)
    a0 = np.linspace(0, np.pi, n0)
    a1 = np.linspace(0, np.pi, n1)
    outer = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    inner = np.stack([1 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffled(X, y, rng)


def circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, seed=0
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a larger one: separable by radius, not by any line.

    Parameters
    ----------
    n : int, default 200
        Number of points (the outer circle gets the extra one when ``n`` is odd).
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to each coordinate (>= 0).
    factor : float, default 0.5
        Radius of the inner circle relative to the outer one (radius 1), in (0, 1).
    seed : int, None or Generator, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64
        0 for the outer circle, 1 for the inner one.
    """
    n = positive_int(n, "n")
    noise = positive_float(noise, "noise", allow_zero=True)
    factor = positive_float(factor, "factor")
    if factor >= 1:
        raise ValidationError(
            f"factor must be in (0, 1) (inner radius / outer radius); got {factor}"
        )
    rng = _rng(seed)
    n0, n1 = _split(n, 2)
    a0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    a1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate(
        [
            np.stack([np.cos(a0), np.sin(a0)], axis=1),
            factor * np.stack([np.cos(a1), np.sin(a1)], axis=1),
        ]
    )
    X += noise * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffled(X, y, rng)


def blobs(n: int = 200, centers=3, std: float = 1.0, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters in 2-D, one class per cluster.

    Parameters
    ----------
    n : int, default 200
        Number of points, shared among the clusters as equally as possible.
    centers : int or array_like of shape (k, 2), default 3
        The number of clusters (their centres drawn uniformly in [-10, 10]^2) or the centres.
    std : float, default 1.0
        Standard deviation of every cluster (>= 0).
    seed : int, None or Generator, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64
        The cluster of each point, 0 .. k-1.
    """
    n = positive_int(n, "n")
    std = positive_float(std, "std", allow_zero=True)
    rng = _rng(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = positive_int(centers, "centers")
        c = rng.uniform(-10.0, 10.0, size=(k, 2))
    else:
        try:
            c = np.asarray(centers, dtype=np.float64)
        except (TypeError, ValueError):
            c = None
        if (
            c is None
            or c.ndim != 2
            or c.shape[0] < 1
            or c.shape[1] != 2
            or not np.isfinite(c).all()
        ):
            raise ValidationError(
                f"centers must be a number of clusters >= 1 or finite points of shape (k, 2); "
                f"got {centers!r}"
            )
    k = c.shape[0]
    y = np.repeat(np.arange(k, dtype=np.int64), _split(n, k))
    X = c[y] + std * rng.standard_normal((n, 2))
    return _shuffled(X, y, rng)


def spiral(
    n: int = 300, classes: int = 3, noise: float = 0.2, seed=0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class per arm (the CS231n picture): hard for shallow nets.

    Arm ``c`` has points at radius ``r`` in [0, 1] and angle ``4 r + 2 pi c / classes`` (plus
    Gaussian angle noise of standard deviation ``noise`` radians), so each arm turns about 230
    degrees and the arms are evenly rotated copies of each other.

    Parameters
    ----------
    n : int, default 300
        Total number of points, shared among the arms as equally as possible.
    classes : int, default 3
        Number of arms (>= 1).
    noise : float, default 0.2
        Standard deviation of the angle noise, in radians (>= 0).
    seed : int, None or Generator, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float64
        Inside the unit disc.
    y : ndarray of shape (n,), int64
        The arm of each point, 0 .. classes-1.
    """
    n = positive_int(n, "n")
    classes = positive_int(classes, "classes")
    noise = positive_float(noise, "noise", allow_zero=True)
    rng = _rng(seed)
    sizes = _split(n, classes)
    y = np.repeat(np.arange(classes, dtype=np.int64), sizes)
    r = np.concatenate([np.linspace(0.0, 1.0, s) if s > 1 else np.ones(s) for s in sizes])
    angle = 4.0 * r + 2 * np.pi * y / classes + noise * rng.standard_normal(n)
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return _shuffled(X, y, rng)


_TARGETS = {
    "sin": lambda x: np.sin(2 * np.pi * x),  # two full periods on [-1, 1]
    "abs": np.abs,  # one kink: two ReLUs fit it exactly
    "step": lambda x: (x >= 0).astype(np.float64),  # a jump: needs steep units
    "poly": lambda x: 4 * x**3 - 3 * x,  # Chebyshev T3: three monotone pieces, range [-1, 1]
}
REGRESSION_TARGETS = tuple(_TARGETS)


def regression_1d(
    name: str = "sin", n: int = 100, seed=0, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of a 1-D function on [-1, 1], for pictures of a network fitting a curve.

    Parameters
    ----------
    name : {'sin', 'abs', 'step', 'poly'}, default 'sin'
        ``sin``: sin(2 pi x); ``abs``: |x|; ``step``: 1 for x >= 0 else 0; ``poly``: 4x^3 - 3x.
    n : int, default 100
        Number of samples.
    seed : int, None or Generator, default 0
        The x positions are drawn uniformly on [-1, 1] and sorted.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to the targets (>= 0).

    Returns
    -------
    x : ndarray of shape (n, 1), float64
        Sorted inputs (a column, ready for a 1-input network).
    y : ndarray of shape (n, 1), float64
        Targets.
    """
    name = _name(name, "name", REGRESSION_TARGETS)
    n = positive_int(n, "n")
    noise = positive_float(noise, "noise", allow_zero=True)
    rng = _rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    y = _TARGETS[name](x) + (noise * rng.standard_normal(n) if noise > 0 else 0.0)
    return x[:, None], np.asarray(y, dtype=np.float64)[:, None]
