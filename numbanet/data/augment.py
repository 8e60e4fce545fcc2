r"""Data augmentation: new training examples made from the ones we have.

NN deck 003, "Data augmentation": "Generar nuevas muestras inyectándole ruido a las que tenemos
(noise injection a la entrada). Normalmente se incrementa la cantidad de muestras (no se
reemplazan unas por otras). Muy poderoso cuando se usa información adicional sobre como pueden
variar las muestras." The information used here is how digits vary: a digit shifted by a pixel
or two, turned by a few degrees or drawn with a slightly shaky hand is the same digit, and an
MNIST-1D signal is the same digit shifted in time or scaled in amplitude (the very
transformations its generator applies).

* Images (``(n, H*W)`` flat, ``(n, H, W)`` or ``(n, 1, H, W)``): ``warp_images`` moves every
  image by a random shift, a random rotation about its centre and, optionally, an elastic
  distortion (Simard, Steinkraus and Platt 2003: a random displacement field smoothed by a
  Gaussian of width sigma and scaled by alpha), all in one bilinear resampling.
* Signals (``(n, L)``, MNIST-1D): ``shift_signals`` rolls each signal by a random number of
  steps (circularly, as MNIST-1D's own translation does) and ``scale_signals`` multiplies it by
  a random factor.

``Augment.images(...)`` and ``Augment.signals(...)`` bundle a transformation for ``fit``:
``net.fit(x, y, augment=Augment.images(shift=2, rotate=10))`` trains every epoch on the original
examples *plus* ``copies`` freshly transformed copies of each (the slide's "se incrementa la
cantidad de muestras"), drawn from a generator seeded by the fit's seed: the same seed gives the
same augmented epochs. Every function returns a new array of the input's shape and dtype and
never changes its input.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import positive_int
from ..errors import ValidationError

__all__ = ["Augment", "scale_signals", "shift_signals", "warp_images"]


def _rng(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise ValidationError(f"rng must be a numpy Generator, an int seed or None; got {rng!r}")


def _nonneg(v, name, integer=False):
    try:
        f = float(v)
    except (TypeError, ValueError):
        f = float("nan")
    if not math.isfinite(f) or f < 0 or (integer and f != int(f)):
        kind = "integer" if integer else "number"
        raise ValidationError(f"{name} must be a finite {kind} >= 0; got {v!r}")
    return int(f) if integer else f


def _as_images(x, image_shape):
    """(images (n, H, W) float64, a function putting results back into x's layout)."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise ValidationError(f"images must be a numeric array; got dtype {x.dtype}")
    shape = x.shape
    if x.ndim == 2:
        if image_shape is None:
            side = math.isqrt(shape[1])
            if side * side != shape[1]:
                raise ValidationError(
                    f"flat images of {shape[1]} pixels are not square; give image_shape=(H, W)"
                )
            image_shape = (side, side)
        h, w = (int(s) for s in image_shape)
        if h * w != shape[1]:
            raise ValidationError(
                f"image_shape {tuple(image_shape)} has {h * w} pixels; the rows have {shape[1]}"
            )
    elif x.ndim == 3:
        h, w = shape[1:]
    elif x.ndim == 4 and shape[1] == 1:
        h, w = shape[2:]
    else:
        raise ValidationError(
            f"images must be (n, H*W), (n, H, W) or (n, 1, H, W); got shape {shape}"
        )
    imgs = x.reshape(shape[0], h, w).astype(np.float64)

    def back(out):
        return out.reshape(shape).astype(x.dtype, copy=False)

    return imgs, back


def warp_images(
    x, rng=None, shift=2, rotate=10.0, elastic_alpha=0.0, elastic_sigma=4.0, image_shape=None
):
    r"""Shift, rotate and (optionally) elastically distort every image, at random.

    Output pixel p of an image reads the input at

    .. math:: R(-\theta)\,(p - c - s) + c + \alpha\, (G_\sigma * u)(p)

    (bilinear interpolation, zero outside the image), with c the image's centre, the shift s
    uniform in {-shift, ..., shift}^2 pixels, the angle theta uniform in [-rotate, rotate]
    degrees, and u a field of independent uniform [-1, 1] displacements smoothed by a Gaussian
    of standard deviation ``elastic_sigma`` pixels and scaled by ``elastic_alpha`` (Simard et
    al. 2003 used alpha = 34, sigma = 4 on MNIST; 0 turns it off). One draw per image.

    Parameters
    ----------
    x : ndarray (n, H*W), (n, H, W) or (n, 1, H, W)
    rng : numpy Generator, int or None
    shift : int
        Largest shift in pixels, each axis.
    rotate : float
        Largest rotation in degrees, either way.
    elastic_alpha, elastic_sigma : float
        Strength and smoothness of the elastic distortion.
    image_shape : (H, W), optional
        For flat rows that are not square.

    Returns
    -------
    ndarray of x's shape and dtype
    """
    from scipy import ndimage

    rng = _rng(rng)
    shift = _nonneg(shift, "shift", integer=True)
    rotate = _nonneg(rotate, "rotate")
    alpha = _nonneg(elastic_alpha, "elastic_alpha")
    sigma = _nonneg(elastic_sigma, "elastic_sigma")
    imgs, back = _as_images(x, image_shape)
    n, h, w = imgs.shape
    if n == 0:
        return back(imgs)
    s = rng.integers(-shift, shift + 1, size=(n, 2)).astype(np.float64)
    th = np.deg2rad(rng.uniform(-rotate, rotate, size=n))
    ci, cj = (h - 1) / 2.0, (w - 1) / 2.0
    ii, jj = np.meshgrid(
        np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij"
    )
    di = ii[None] - ci - s[:, 0, None, None]
    dj = jj[None] - cj - s[:, 1, None, None]
    cos, sin = np.cos(th)[:, None, None], np.sin(th)[:, None, None]
    src_i = cos * di + sin * dj + ci  # R(-theta) applied to (di, dj)
    src_j = -sin * di + cos * dj + cj
    if alpha > 0:
        u = rng.uniform(-1.0, 1.0, size=(2, n, h, w))
        smooth = (0, 0, sigma, sigma)
        u = ndimage.gaussian_filter(u, smooth, mode="constant") if sigma > 0 else u
        src_i = src_i + alpha * u[0]
        src_j = src_j + alpha * u[1]
    k = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], (n, h, w))
    out = ndimage.map_coordinates(imgs, [k, src_i, src_j], order=1, mode="constant", cval=0.0)
    return back(out)


def _as_signals(x):
    x = np.asarray(x)
    if x.ndim != 2 or x.dtype.kind not in "fiu":
        raise ValidationError(
            f"signals must be a numeric array of shape (n, L); got {x.dtype} {x.shape}"
        )
    return x


def shift_signals(x, rng=None, max_shift=4):
    """Roll each signal (row of ``x``, shape (n, L)) by a random number of steps, uniform in
    [-max_shift, max_shift], circularly (as MNIST-1D's generator translates its digits)."""
    rng = _rng(rng)
    x = _as_signals(x)
    k = _nonneg(max_shift, "max_shift", integer=True)
    n, L = x.shape
    steps = rng.integers(-k, k + 1, size=n)
    idx = (np.arange(L)[None, :] - steps[:, None]) % L
    return x[np.arange(n)[:, None], idx]


def scale_signals(x, rng=None, scale=0.2):
    """Multiply each signal by a random factor, uniform in [1 - scale, 1 + scale] (MNIST-1D's
    generator scales its digits by such factors, ``scale_coeff`` 0.4 giving +-0.2)."""
    rng = _rng(rng)
    x = _as_signals(x)
    s = _nonneg(scale, "scale")
    f = rng.uniform(1.0 - s, 1.0 + s, size=(x.shape[0], 1))
    return (x * f).astype(x.dtype, copy=False)


class Augment:
    """A random transformation for ``fit(..., augment=...)``.

    ``fit`` trains every epoch on the original examples (``keep_original``) and ``copies``
    transformed copies of each, transformed afresh every epoch with a generator seeded from the
    fit's seed. Call it as ``aug(x, rng)`` to transform a batch yourself.

    Parameters
    ----------
    transform : callable ``f(x, rng) -> array of x's shape``
    copies : int
        Transformed copies of each example per epoch.
    keep_original : bool
        Train on the originals too (the slide's advice: the samples are increased, not
        replaced).
    name : str, optional
    """

    def __init__(self, transform, copies=1, keep_original=True, name=None):
        if not callable(transform):
            raise ValidationError(
                f"transform must be a function f(x, rng) -> x'; got {type(transform).__name__}"
            )
        self.transform = transform
        self.copies = positive_int(copies, "copies")
        self.keep_original = bool(keep_original)
        self.name = name or getattr(transform, "__name__", "augment")

    def __call__(self, x, rng=None):
        return self.transform(x, _rng(rng))

    @classmethod
    def images(
        cls,
        shift=2,
        rotate=10.0,
        elastic_alpha=0.0,
        elastic_sigma=4.0,
        image_shape=None,
        copies=1,
        keep_original=True,
    ):
        """Random shifts (pixels), rotations (degrees) and elastic distortions of images
        (``warp_images``)."""
        shift = _nonneg(shift, "shift", integer=True)
        rotate = _nonneg(rotate, "rotate")
        alpha = _nonneg(elastic_alpha, "elastic_alpha")
        sigma = _nonneg(elastic_sigma, "elastic_sigma")

        def images(x, rng):
            return warp_images(x, rng, shift, rotate, alpha, sigma, image_shape)

        return cls(images, copies, keep_original, f"images(shift={shift}, rotate={rotate})")

    @classmethod
    def signals(cls, shift=4, scale=0.2, copies=1, keep_original=True):
        """Random circular shifts (steps) and amplitude scalings of 1-D signals."""
        shift = _nonneg(shift, "shift", integer=True)
        scale = _nonneg(scale, "scale")

        def signals(x, rng):
            return scale_signals(shift_signals(x, rng, shift), rng, scale)

        return cls(signals, copies, keep_original, f"signals(shift={shift}, scale={scale})")

    def __repr__(self):
        return f"Augment({self.name}, copies={self.copies}, keep_original={self.keep_original})"
