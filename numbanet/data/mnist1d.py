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
4,000 / 1,000.

This module is numbanet's own implementation of that recipe, and it gives **the same examples** as
the reference implementation (the ``mnist1d`` package's ``make_dataset(get_dataset_args())``, the
data set used in the paper and in *Understanding Deep Learning*): it draws from the same random
stream in the same order (NumPy's legacy Mersenne Twister, ``np.random.RandomState(seed)``; per
example: padding, scale, translation, 72 correlated-noise normals, 72 iid normals, shear; then the
shuffle of the examples), interpolates with ``np.interp``'s arithmetic and smooths with
``scipy.ndimage``. In float64 (``dtype="float64"``) every value is bit-identical to the reference;
the default float32 arrays are the reference's values rounded to float32. The random draws are
made one example at a time (they interleave), the transformations for all examples at once, so
the 5,000 examples take a few tens of milliseconds. Unlike the reference, numbanet never touches
the global NumPy or ``random`` state.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from .._validate import positive_float, positive_int, probability
from ..errors import DTypeError, ValidationError

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
    x_train : ndarray of shape (n_train, final_seq_length), float32 (or float64 on request)
        Training signals (4,000 x 40 by default), standardised over the whole data set.
    y_train : ndarray of shape (n_train,), int64
        Digit labels 0-9.
    x_test : ndarray of shape (n_test, final_seq_length), float32 (or float64 on request)
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


def _interp_rows(x: np.ndarray, src_len: np.ndarray, n_out: int) -> np.ndarray:
    """Linear interpolation of each row's first ``src_len`` points onto ``n_out`` even points.

    Row ``r`` is read as samples at ``np.linspace(0, 1, L)`` with ``L = src_len[r]`` and evaluated
    at ``np.linspace(0, 1, n_out)``: the result equals, bit for bit,
    ``np.interp(np.linspace(0, 1, n_out), np.linspace(0, 1, L), x[r, :L])`` for every row, but
    rows of the same length are done together. Inside an interval ``[u_j, u_{j+1})`` the value is
    ``slope_j * (u - u_j) + x_j`` with ``slope_j = (x_{j+1} - x_j) / (u_{j+1} - u_j)``; an output
    position that falls exactly on a source position (both ends included) copies that sample.

    Parameters
    ----------
    x : ndarray of shape (n, m)
        Signals, ``m >= max(src_len)``.
    src_len : ndarray of shape (n,) of int
        Number of meaningful points per row (at least 2).
    n_out : int
        Length of the output rows.

    Returns
    -------
    ndarray of shape (n, n_out)
    """
    n = x.shape[0]
    u = np.linspace(0.0, 1.0, n_out)
    out = np.empty((n, n_out))
    src_len = np.asarray(src_len)
    for length in np.unique(src_len):
        rows = np.flatnonzero(src_len == length)
        L = int(length)
        xp = np.linspace(0.0, 1.0, L)
        fp = x[rows, :L]
        j = np.searchsorted(xp, u, side="right") - 1  # xp[j] <= u < xp[j + 1]
        on_sample = (j == L - 1) | (xp[j] == u)
        jl = np.minimum(j, L - 2)  # left end of the interval (clamped for the last point)
        slope = (fp[:, jl + 1] - fp[:, jl]) / (xp[jl + 1] - xp[jl])
        inside = slope * (u - xp[jl]) + fp[:, jl]
        out[rows] = np.where(on_sample, fp[:, j], inside)
    return out


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth each row with a normalised Gaussian of standard deviation ``sigma`` samples.

    Mirror-symmetric edges (``d c b a | a b c d | d c b a``) and a kernel cut at 4 standard
    deviations: ``scipy.ndimage.gaussian_filter1d(x, sigma, axis=1)``, which is what the
    reference's ``gaussian_filter`` does to each 1-D example. ``sigma = 0`` leaves ``x`` as is.
    """
    if sigma == 0:
        return x.copy()
    return ndimage.gaussian_filter1d(x, sigma, axis=1)


def _class_sizes(n: int, n_classes: int) -> np.ndarray:
    """Examples per class: ``n // n_classes`` each, the first ``n % n_classes`` classes one more."""
    return n // n_classes + (np.arange(n_classes) < n % n_classes)


def load_mnist1d(*, n_samples=5000, train_split=0.8, seed=42, dtype="float32", **params) -> MNIST1D:
    r"""Generate MNIST-1D (Greydanus 2020): the reference implementation's examples, sample for sample.

    Parameters
    ----------
    n_samples : int, default 5000
        Number of examples. They are made class by class (``n_samples // 10`` of digit 0, then of
        digit 1, ...; when ``n_samples`` is not a multiple of 10 the first ``n_samples % 10``
        classes get one more, where the reference would drop the remainder) and then shuffled.
    train_split : float, default 0.8
        Fraction of the (shuffled) examples used for training; the rest is the test set.
    seed : int or None, default 42
        Seed of the legacy Mersenne Twister ``np.random.RandomState(seed)``, the generator the
        reference seeds with ``np.random.seed``. The same seed gives the same data set; None
        draws fresh entropy.
    dtype : {"float32", "float64"}, default "float32"
        Type of ``x_train`` and ``x_test``. The computation is in float64 either way; float64
        returns it unrounded (bit-identical to the reference).
    **params
        Overrides of the transformation parameters (see :func:`mnist1d_params`): ``padding``,
        ``scale_coeff``, ``max_translation``, ``corr_noise_scale``, ``corr_noise_sigma``,
        ``iid_noise_scale``, ``shear_scale``, ``final_seq_length``, ``shuffle_seq`` (permute the
        time axis with one fixed permutation, which destroys locality but not information).

    Returns
    -------
    MNIST1D
        ``x_train`` (4000, 40), ``y_train`` (4000,) int64, ``x_test`` (1000, 40),
        ``y_test`` (1000,), ``t`` (40,), ``templates`` (10, 12), ``params``.

    Raises
    ------
    ValidationError
        An unknown parameter or an out-of-range value (the message names it).
    DTypeError
        ``dtype`` is not float32 or float64.

    Notes
    -----
    With ``M = 12 + padding[1]`` (72) and ``F = final_seq_length`` (40), each example is

    .. math::

        x = \mathrm{interp}_F\big(\mathrm{roll}_k(s \cdot \mathrm{interp}_M
            (\mathrm{pad}_p(\mathrm{template}_y))) \oplus \mathrm{corr.\ noise}
            + \epsilon_{iid} - c\,\ell\big)

    where ``p``, ``s``, ``k``, ``c`` are drawn per example, the correlated noise fills the zero
    (padding) positions and ``ell`` is a ramp from -1/2 to 1/2.

    Per example the random stream is read in this order: ``p = lo + int(U (hi - lo + 1))``,
    ``s = 1 + scale_coeff (U - 1/2)``, ``k`` uniform in ``0 .. max_translation - 1`` (no draw when
    ``max_translation`` is 0), ``M`` standard normals for the correlated noise, ``M`` for the iid
    noise, ``c = shear_scale (U - 1/2)``, where each ``U`` is one ``random_sample()``; after all
    examples, one permutation of the examples and (``shuffle_seq``) one of the time axis.
    """
    try:
        out_dtype = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"dtype must be float32 or float64; got {dtype!r}") from None
    if out_dtype not in (np.float32, np.float64):
        raise DTypeError(f"dtype must be float32 or float64; got {out_dtype}")
    p = mnist1d_params()
    p.update(params, n_samples=n_samples, train_split=train_split, seed=seed)
    p = _check_params(p)
    n = p["n_samples"]
    lo, hi = p["padding"]
    templates, t12 = mnist1d_templates()
    n_classes, n_points = templates.shape
    m = n_points + hi  # every example is stretched to this length after padding
    fin = p["final_seq_length"]
    max_shift = p["max_translation"]

    y = np.repeat(np.arange(n_classes, dtype=np.int64), _class_sizes(n, n_classes))

    # The random draws, one example after another, in the reference's order (they interleave, so
    # they cannot be drawn as whole arrays). A private generator: the global state is untouched.
    rs = np.random.RandomState(p["seed"])
    uniform, normal, below = rs.random_sample, rs.standard_normal, rs.randint
    u2 = np.empty((n, 2))  # padding and amplitude draws
    shift = np.zeros(n, dtype=np.int64)
    noise = np.empty((n, 2 * m))  # correlated then iid noise: one call gives the same numbers
    slope = np.empty(n)
    for i in range(n):
        u2[i] = uniform(2)
        if max_shift > 0:
            shift[i] = below(max_shift)
        noise[i] = normal(2 * m)
        slope[i] = uniform()
    order = rs.permutation(n)
    time_order = rs.permutation(fin) if p["shuffle_seq"] else None

    # The transformations, for all examples at once.
    # 1. pad: append pad_i zeros to the (never exactly zero) template, stretch 12 + pad_i -> m.
    x = np.zeros((n, m))
    x[:, :n_points] = templates[y] + _EPS
    pad = lo + (u2[:, 0] * (hi - lo + 1)).astype(np.int64)
    x = _interp_rows(x, n_points + pad, m)
    # 2. scale the amplitude
    x *= (1 + p["scale_coeff"] * (u2[:, 1] - 0.5))[:, None]
    # 3. translate: roll each row right by shift_i (out[j] = x[j - shift_i], circularly)
    cols = (np.arange(m)[None, :] - shift[:, None]) % m
    x = x[np.arange(n)[:, None], cols]
    # 4. correlated (smoothed) noise where the signal is exactly zero, i.e. in the padding
    smooth = _gaussian_smooth(p["corr_noise_scale"] * noise[:, :m], p["corr_noise_sigma"])
    x = np.where(x != 0, x, smooth)
    # 5. iid noise everywhere
    x = x + p["iid_noise_scale"] * noise[:, m:]
    # 6. shear: subtract a ramp of random slope
    x = x - (p["shear_scale"] * (slope - 0.5))[:, None] * np.linspace(-0.5, 0.5, m)[None, :]
    # 7. interpolate down to the final length
    x = _interp_rows(x, np.full(n, m), fin)
    # The sample positions go through the same two stretches as the signals.
    t = np.interp(
        np.linspace(0, 1, fin),
        np.linspace(0, 1, m),
        np.interp(np.linspace(0, 1, m), np.linspace(0, 1, n_points), t12),
    )

    x, y = x[order], y[order]
    if time_order is not None:
        x = x[:, time_order]

    # Standardise the whole data set (one mean and one std, as in the paper); t is scaled by the
    # same factor so signals plot against it as before.
    std = x.std()
    scale = std if std > 0 else 1.0
    t = t / scale
    x = (x - x.mean()) / scale

    cut = int(n * p["train_split"])
    return MNIST1D(
        x_train=x[:cut].astype(out_dtype),
        y_train=y[:cut].copy(),
        x_test=x[cut:].astype(out_dtype),
        y_test=y[cut:].copy(),
        t=t,
        templates=templates,
        params=p,
    )
