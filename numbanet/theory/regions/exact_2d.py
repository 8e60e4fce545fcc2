r"""Exact counting in 2-D: the polygonal partition of a box by a network with two inputs.

``count_2d(net, box)`` cuts convex polygons by every unit's line, layer after layer
(Sutherland-Hodgman in the Numba kernels of ``._kernels``), and merges edge-adjacent polygons with
equal output gradients into linear pieces (``Partition2D``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ...errors import ValidationError
from .network import _affine_stack


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
    from . import _kernels as K

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


__all__ = ["count_2d", "Partition2D"]
