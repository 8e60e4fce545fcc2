"""Data augmentation (issue 20, item 18): ``numbanet.data.augment`` and ``fit(augment=...)``."""

from __future__ import annotations

import numpy as np
import pytest

import numbanet as nb
from numbanet.data.augment import Augment, scale_signals, shift_signals, warp_images
from numbanet.errors import ValidationError


def _digit_like(n=5, seed=0):
    """Images with a bright blob away from the centre (so moves are visible)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.float32)
    for k in range(n):
        i, j = rng.integers(6, 22, size=2)
        x[k, i - 2 : i + 3, j - 2 : j + 3] = 1.0
    return x


def _shifted(img, a, b):
    out = np.zeros_like(img)
    h, w = img.shape
    out[max(a, 0) : h + min(a, 0), max(b, 0) : w + min(b, 0)] = img[
        max(-a, 0) : h + min(-a, 0), max(-b, 0) : w + min(-b, 0)
    ]
    return out


def test_no_move_is_the_identity_and_the_input_is_untouched():
    x = _digit_like()
    keep = x.copy()
    out = warp_images(x, 0, shift=0, rotate=0.0)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, x, atol=1e-6)
    np.testing.assert_array_equal(x, keep)


def test_shifts_are_whole_pixel_moves_within_the_range():
    x = _digit_like(8)
    out = warp_images(x, 3, shift=2, rotate=0.0)
    moves = set()
    for k in range(len(x)):
        found = [
            (a, b)
            for a in range(-2, 3)
            for b in range(-2, 3)
            if np.allclose(out[k], _shifted(x[k], a, b), atol=1e-6)
        ]
        assert len(found) == 1, k
        moves.add(found[0])
    assert len(moves) > 1  # not the same move for every image


def test_rotation_turns_about_the_centre_by_at_most_the_angle():
    x = np.zeros((20, 28, 28))
    x[:, 4:7, 12:16] = 1.0  # a bar above the centre
    out = warp_images(x, 1, shift=0, rotate=15.0)
    c = 13.5
    ii, jj = np.mgrid[0:28, 0:28]

    def polar(img):
        m = img.sum()
        ci, cj = (img * ii).sum() / m - c, (img * jj).sum() / m - c
        return np.hypot(ci, cj), np.degrees(np.arctan2(cj, -ci))

    r0, a0 = polar(x[0])
    angles = []
    for k in range(len(x)):
        r, a = polar(out[k])
        assert abs(r - r0) < 0.3
        assert abs(a - a0) <= 15.0 + 0.5
        angles.append(a - a0)
    assert np.ptp(angles) > 10  # the angles vary


def test_elastic_distortion_moves_pixels_smoothly_and_is_reproducible():
    x = _digit_like(4)
    a = warp_images(x, 7, shift=0, rotate=0.0, elastic_alpha=8.0, elastic_sigma=3.0)
    b = warp_images(x, 7, shift=0, rotate=0.0, elastic_alpha=8.0, elastic_sigma=3.0)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - x).max() > 0.2
    # mass roughly kept (a smooth warp, not noise)
    np.testing.assert_allclose(a.sum(axis=(1, 2)), x.sum(axis=(1, 2)), rtol=0.35)


def test_every_image_layout_gives_the_same_pictures():
    x = _digit_like(3)
    base = warp_images(x, 5, shift=2, rotate=10.0, elastic_alpha=4.0)
    flat = warp_images(x.reshape(3, 784), 5, shift=2, rotate=10.0, elastic_alpha=4.0)
    nchw = warp_images(x[:, None], 5, shift=2, rotate=10.0, elastic_alpha=4.0)
    assert flat.shape == (3, 784) and nchw.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(flat.reshape(3, 28, 28), base)
    np.testing.assert_allclose(nchw[:, 0], base)


def test_signals_shift_circularly_and_scale_per_row():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 40)).astype(np.float32)
    s = shift_signals(x, 2, max_shift=4)
    for k in range(6):
        assert any(np.array_equal(s[k], np.roll(x[k], m)) for m in range(-4, 5))
    c = scale_signals(x, 2, scale=0.2)
    ratio = c / x
    assert np.allclose(ratio, ratio[:, :1], rtol=1e-5)
    assert np.all((ratio[:, 0] >= 0.8) & (ratio[:, 0] <= 1.2)) and np.ptp(ratio[:, 0]) > 0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: warp_images(np.zeros((2, 30))), "not square"),
        (lambda: warp_images(np.zeros((2, 30)), image_shape=(5, 5)), "has 25 pixels"),
        (lambda: warp_images(np.zeros((2, 3, 4, 4))), r"\(n, 1, H, W\)"),
        (lambda: warp_images(np.zeros((2, 4, 4)), shift=-1), "shift must be a finite integer"),
        (lambda: shift_signals(np.zeros((2, 3, 4))), r"shape \(n, L\)"),
        (lambda: scale_signals(np.zeros((2, 4)), scale=float("nan")), "scale must be"),
        (lambda: Augment("shift"), "transform must be a function"),
        (lambda: Augment.signals(copies=0), "copies"),
        (lambda: warp_images(np.zeros((1, 4, 4)), rng="x"), "rng must be"),
    ],
)
def test_bad_arguments_are_clear_errors(call, match):
    with pytest.raises(ValidationError, match=match):
        call()


# ---------------------------------------------------------------------------- fit
def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 12)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) > 0).astype(np.int64)
    return x, y


def _net(seed=0):
    return nb.Sequential([nb.Dense(12, 8), nb.ReLU(), nb.Dense(8, 2)], backend="cpu", seed=seed)


@pytest.mark.parametrize("fused", [True, False])
def test_fit_trains_on_originals_plus_fresh_copies_each_epoch(fused):
    x, y = _data()
    seen = []

    def record(xb, rng):
        seen.append(xb.copy())
        return xb + rng.normal(0, 0.1, size=xb.shape).astype(xb.dtype)

    aug = Augment(record, copies=2)
    h = _net().fit(x, y, epochs=3, batch_size=16, seed=5, augment=aug, fused=fused)
    assert len(seen) == 3 * 2  # two copies per epoch, made afresh each epoch
    assert all(np.array_equal(s, x) for s in seen)  # transformed from the originals
    assert len(h["loss"]) == 3 and 0 <= h["accuracy"][-1] <= 1


def test_fit_with_augmentation_is_reproducible_and_keeps_the_shuffles():
    x, y = _data()
    aug = Augment.signals(shift=2, scale=0.1)
    a, b = _net(), _net()
    a.fit(x, y, epochs=2, seed=3, augment=aug)
    b.fit(x, y, epochs=2, seed=3, augment=aug)
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())
    c = _net()
    c.fit(x, y, epochs=2, seed=4, augment=aug)
    assert not np.array_equal(a.get_flat(), c.get_flat())
    # without augmentation, fit is what it was: the same weights as a fit without the argument
    d, e = _net(), _net()
    d.fit(x, y, epochs=2, seed=3)
    e.fit(x, y, epochs=2, seed=3, augment=None)
    np.testing.assert_array_equal(d.get_flat(), e.get_flat())


def test_replacing_instead_of_adding_and_a_plain_function():
    x, y = _data()
    calls = []

    def flip(xb, rng):
        calls.append(xb.shape)
        return -xb

    net = _net()
    net.fit(x, y, epochs=2, seed=0, augment=Augment(flip, keep_original=False))
    assert calls == [x.shape, x.shape]
    net.fit(x, y, epochs=1, seed=0, augment=flip)  # a plain function: one copy, originals kept
    assert len(calls) == 3


def test_fit_refuses_an_augmentation_of_the_wrong_shape():
    x, y = _data()
    with pytest.raises(ValidationError, match="returned shape"):
        _net().fit(x, y, epochs=1, augment=lambda xb, rng: xb[:, :5])
    with pytest.raises(ValidationError, match="augment must be"):
        _net().fit(x, y, epochs=1, augment=3)
