r"""Exact counting along segments: the breakpoints of a network on a line, traced layer by layer.

* ``count_1d(net, a, b)``: the activation regions and linear pieces along the segment from a to b
  (``Segment1D``: breakpoints, patterns and the exact affine map of every cell).
* ``count_along_lines(net, points_a, points_b)``: the same counts along many segments at once, in
  any input dimension (Hanin and Rolnick 2019's density of region boundaries along lines).

Nothing is sampled: every layer's input is affine in t on a cell, so each unit's zero crossing is
one root, found exactly (see ``count_1d``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...errors import ValidationError
from .network import _affine_stack, _as_matrix, _points


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
        A piecewise-linear network (see ``network._affine_stack`` for what is accepted).
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


__all__ = ["count_1d", "count_along_lines", "Segment1D", "LineCounts"]
