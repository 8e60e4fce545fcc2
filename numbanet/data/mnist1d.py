"""MNIST-1D: a tiny, procedurally generated stand-in for MNIST (Greydanus, 2020).

*Scaling down deep learning* (S. Greydanus, 2020) builds a data set that is as small as possible
while still separating model families the way MNIST does not (a linear model reaches ~32 %, an MLP
~68 %, a CNN ~94 %). Each example starts from one of ten hand-drawn 12-point 1-D "digits" and is
made hard to classify by the same random transformations, in this order:

1. **pad** with 36-60 zeros at the end, then stretch the padded signal to 72 points;
2. **scale** the amplitude by a factor in [1 - 0.2, 1 + 0.2] (``scale_coeff`` 0.4);
3. **translate**: roll right by 0-47 positions (circularly);
4. **correlated noise** where the signal is zero: white noise of scale 0.25 smoothed by a Gaussian
   of standard deviation 2 samples;
5. **iid noise** of scale 0.02 everywhere;
6. **shear**: add a linear ramp of random slope in [-0.375, 0.375];
7. **interpolate** down to the final 40 samples.

The data set is then standardised (zero mean, unit standard deviation over all values) and split
4,000 / 1,000. This module is numbanet's own vectorised implementation of that published recipe:
all 5,000 examples are transformed at once with NumPy, in a few milliseconds, from
``np.random.default_rng(seed)``. The random streams differ from the reference implementation, so
the examples are not bit-identical to Greydanus's pickle, but they follow the same distribution.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from .._validate import positive_float, positive_int, probability
from ..errors import ValidationError

# The ten digit templates: 12 points each, a 1-D cartoon of how the digit's outline moves.
_TEMPLATE_POINTS = np.array(
    [
        [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],  # 0
        [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],  # 1
        [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],  # 2
        [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],  # 3
        [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],  # 4
        [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],  # 5
        [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],  # 6
        [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],  # 7
        [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],  # 8
        [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],  # 9
    ],
    dtype=np.float64,
)

_DEFAULTS = {
    "n_samples": 5000,
    "train_split": 0.8,
    "seed": 42,
    "padding": (36, 60),
    "scale_coeff": 0.4,
    "max_translation": 48,
    "corr_noise_scale": 0.25,
    "corr_noise_sigma": 2.0,
    "iid_noise_scale": 0.02,
    "shear_scale": 0.75,
    "final_seq_length": 40,
    "shuffle_seq": False,
}

# Added to the templates before padding so that the digit is never exactly zero: "zero" then
# means "padding", which is where correlated noise goes.
_EPS = 1e-8


def mnist1d_params() -> dict:
    """The default MNIST-1D parameters (Greydanus 2020), as a new dict.

    Returns
    -------
    dict
        ``n_samples`` 5000, ``train_split`` 0.8, ``seed`` 42, ``padding`` (36, 60),
        ``scale_coeff`` 0.4, ``max_translation`` 48, ``corr_noise_scale`` 0.25,
        ``corr_noise_sigma`` 2.0, ``iid_noise_scale`` 0.02, ``shear_scale`` 0.75,
        ``final_seq_length`` 40, ``shuffle_seq`` False. ``load_mnist1d(**mnist1d_params())``
        equals ``load_mnist1d()``.
    """
    return dict(_DEFAULTS)


def mnist1d_templates() -> tuple[np.ndarray, np.ndarray]:
    """The ten normalised digit templates and their sample positions.

    Each template is standardised (zero mean, unit standard deviation), shifted so that it starts
    (and ends) at 0, and divided by 6.

    Returns
    -------
    templates : ndarray of shape (10, 12)
        Row ``k`` is digit ``k``.
    t : ndarray of shape (12,)
        Sample positions, evenly spaced on [-5/6, 5/6].
    """
    x = _TEMPLATE_POINTS - _TEMPLATE_POINTS.mean(axis=1, keepdims=True)
    x /= x.std(axis=1, keepdims=True)
    x -= x[:, :1]
    return x / 6.0, np.linspace(-5, 5, x.shape[1]) / 6.0


@dataclass(repr=False)
class MNIST1D:
    """A generated MNIST-1D data set.

    Attributes
    ----------
    x_train : ndarray of shape (n_train, final_seq_length), float32
        Training signals (4,000 x 40 by default), standardised over the whole data set.
    y_train : ndarray of shape (n_train,), int64
        Digit labels 0-9.
    x_test : ndarray of shape (n_test, final_seq_length), float32
        Test signals (1,000 x 40 by default).
    y_test : ndarray of shape (n_test,), int64
        Test labels.
    t : ndarray of shape (final_seq_length,), float64
        Position of each sample, for plotting a signal as a curve (x against ``t``), scaled by the
        same factor as the signals.
    templates : ndarray of shape (10, 12), float64
        The normalised digit templates the examples were made from (:func:`mnist1d_templates`).
    params : dict
        The parameters used (see :func:`mnist1d_params`).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    t: np.ndarray
    templates: np.ndarray
    params: dict = field(default_factory=dict)

    def __repr__(self):
        return (
            f"MNIST1D(x_train={self.x_train.shape}, x_test={self.x_test.shape}, "
            f"seed={self.params.get('seed')})"
        )


def _check_params(p: dict) -> dict:
    unknown = sorted(set(p) - set(_DEFAULTS))
    if unknown:
        raise ValidationError(
            f"unknown MNIST-1D parameter(s) {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(sorted(_DEFAULTS))}"
        )
    q = dict(p)
    q["n_samples"] = positive_int(p["n_samples"], "n_samples")
    q["train_split"] = probability(p["train_split"], "train_split", closed_right=True)
    seed = p["seed"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValidationError(f"seed must be an integer or None; got {seed!r}")
    pad = p["padding"]
    try:
        lo, hi = (int(v) for v in pad)
        ok = all(isinstance(v, numbers.Integral) for v in pad)
    except (TypeError, ValueError):
        ok = False
    if not ok or not 0 <= lo <= hi:
        raise ValidationError(
            f"padding must be a pair of integers (low, high) with 0 <= low <= high; got {pad!r}"
        )
    q["padding"] = (lo, hi)
    q["scale_coeff"] = positive_float(p["scale_coeff"], "scale_coeff", allow_zero=True, maximum=2)
    q["max_translation"] = positive_int(p["max_translation"], "max_translation", minimum=0)
    for k in ("corr_noise_scale", "corr_noise_sigma", "iid_noise_scale", "shear_scale"):
        q[k] = positive_float(p[k], k, allow_zero=True)
    q["final_seq_length"] = positive_int(p["final_seq_length"], "final_seq_length", minimum=2)
    if not isinstance(p["shuffle_seq"], (bool, np.bool_)):
        raise ValidationError(f"shuffle_seq must be True or False; got {p['shuffle_seq']!r}")
    return q


def _resample(x: np.ndarray, src_len: np.ndarray | int, n_out: int) -> np.ndarray:
    """Linear interpolation of each row's first ``src_len`` points onto ``n_out`` even points.

    Row ``r`` is read as samples at positions 0, 1/(L-1), ..., 1 with ``L = src_len[r]``, and is
    evaluated at positions 0, 1/(n_out - 1), ..., 1 (both ends included), like
    ``np.interp(np.linspace(0, 1, n_out), np.linspace(0, 1, L), x[r, :L])`` for every row at once.

    Parameters
    ----------
    x : ndarray of shape (n, m)
        Signals, ``m >= max(src_len)``.
    src_len : int or ndarray of shape (n,)
        Number of meaningful points per row (at least 2).
    n_out : int
        Length of the output rows.

    Returns
    -------
    ndarray of shape (n, n_out)
    """
    n = x.shape[0]
    src_len = np.broadcast_to(np.asarray(src_len), (n,))
    u = np.linspace(0.0, 1.0, n_out)
    pos = u[None, :] * (src_len[:, None] - 1)  # fractional index into each row
    left = np.minimum(np.floor(pos).astype(np.int64), src_len[:, None] - 2)
    frac = pos - left
    rows = np.arange(n)[:, None]
    return (1.0 - frac) * x[rows, left] + frac * x[rows, left + 1]


def _gaussian_smooth(x: np.ndarray, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Smooth each row with a normalised Gaussian of standard deviation ``sigma`` samples.

    The edges are extended by mirror symmetry (``d c b a | a b c d | d c b a``), the kernel is cut
    at ``truncate`` standard deviations: the same conventions as
    ``scipy.ndimage.gaussian_filter1d(x, sigma, axis=1)``.
    """
    if sigma == 0:
        return x.copy()
    radius = int(truncate * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 * (k / sigma) ** 2)
    w /= w.sum()
    m = x.shape[1]
    padded = np.pad(x, ((0, 0), (radius, radius)), mode="symmetric")
    out = np.zeros_like(x)
    for j in range(2 * radius + 1):
        out += w[j] * padded[:, j : j + m]
    return out


def load_mnist1d(*, n_samples=5000, train_split=0.8, seed=42, **params) -> MNIST1D:
    r"""Generate MNIST-1D (Greydanus 2020) with numbanet's own vectorised implementation.

    Parameters
    ----------
    n_samples : int, default 5000
        Number of examples; labels cycle 0, 1, ..., 9 before shuffling, so every class has
        ``n_samples // 10`` or one more.
    train_split : float, default 0.8
        Fraction of the (shuffled) examples used for training; the rest is the test set.
    seed : int or None, default 42
        Seed of ``np.random.default_rng``. The same seed gives the same data set.
    **params
        Overrides of the transformation parameters (see :func:`mnist1d_params`): ``padding``,
        ``scale_coeff``, ``max_translation``, ``corr_noise_scale``, ``corr_noise_sigma``,
        ``iid_noise_scale``, ``shear_scale``, ``final_seq_length``, ``shuffle_seq`` (permute the
        time axis with one fixed permutation, which destroys locality but not information).

    Returns
    -------
    MNIST1D
        ``x_train`` (4000, 40) float32, ``y_train`` (4000,) int64, ``x_test`` (1000, 40),
        ``y_test`` (1000,), ``t`` (40,), ``templates`` (10, 12), ``params``.

    Raises
    ------
    ValidationError
        An unknown parameter or an out-of-range value (the message names it).

    Notes
    -----
    With ``M = 12 + padding[1]`` (72) and ``F = final_seq_length`` (40), each example is

    .. math::

        x = \mathrm{interp}_F\big(\mathrm{roll}_k(s \cdot \mathrm{interp}_M
            (\mathrm{pad}_p(\mathrm{template}_y))) \oplus \mathrm{corr.\ noise}
            + \epsilon_{iid} - c\,\ell\big)

    where ``p``, ``s``, ``k``, ``c`` are drawn per example, the correlated noise fills the zero
    (padding) positions and ``ell`` is a ramp from -1/2 to 1/2.
    """
    p = mnist1d_params()
    p.update(params, n_samples=n_samples, train_split=train_split, seed=seed)
    p = _check_params(p)
    rng = np.random.default_rng(p["seed"])
    n = p["n_samples"]
    lo, hi = p["padding"]
    templates, t12 = mnist1d_templates()
    n_points = templates.shape[1]
    m = n_points + hi  # every example is stretched to this length after padding
    fin = p["final_seq_length"]

    y = np.arange(n, dtype=np.int64) % len(templates)

    # 1. pad: append pad_i zeros (pad_i uniform in lo..hi), then stretch the 12 + pad_i points
    #    to m points. Rows are stored zero-filled to length m; _resample reads only 12 + pad_i.
    pad = rng.integers(lo, hi + 1, size=n)
    x = np.zeros((n, m))
    x[:, :n_points] = templates[y] + _EPS
    x = _resample(x, n_points + pad, m)
    # 2. scale the amplitude
    x *= 1.0 + p["scale_coeff"] * (rng.random(n) - 0.5)[:, None]
    # 3. translate: roll each row right by k_i in 0..max_translation-1 (gather form of np.roll)
    shift = rng.integers(0, max(p["max_translation"], 1), size=n)
    cols = (np.arange(m)[None, :] - shift[:, None]) % m
    x = x[np.arange(n)[:, None], cols]
    # 4. correlated (smoothed) noise where the signal is exactly zero, i.e. in the padding
    corr = _gaussian_smooth(
        p["corr_noise_scale"] * rng.standard_normal((n, m)), p["corr_noise_sigma"]
    )
    x = np.where(x != 0, x, corr)
    # 5. iid noise everywhere
    x += p["iid_noise_scale"] * rng.standard_normal((n, m))
    # 6. shear: subtract a ramp of random slope
    slope = p["shear_scale"] * (rng.random(n) - 0.5)
    x -= slope[:, None] * np.linspace(-0.5, 0.5, m)[None, :]
    # 7. interpolate down to the final length
    x = _resample(x, m, fin)

    order = rng.permutation(n)
    x, y = x[order], y[order]
    if p["shuffle_seq"]:
        x = x[:, rng.permutation(fin)]

    # Standardise the whole data set (one mean and one std, as in the paper); t is stretched to
    # the 40 sample positions and scaled by the same factor so signals plot against it as before.
    std = float(x.std())
    scale = std if std > 0 else 1.0
    t = np.linspace(t12[0], t12[-1], fin) / scale
    x = (x - x.mean()) / scale

    cut = int(n * p["train_split"])
    return MNIST1D(
        x_train=x[:cut].astype(np.float32),
        y_train=y[:cut].copy(),
        x_test=x[cut:].astype(np.float32),
        y_test=y[cut:].copy(),
        t=t,
        templates=templates,
        params=p,
    )
