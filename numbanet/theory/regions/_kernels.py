"""Numba kernels behind ``numbanet.theory.regions`` (private).

* ``pattern_hashes``: the activation pattern of every sample point, hashed to one uint64, fused
  over all layers (no intermediate arrays); ``prange`` over blocks of points, each block owns the
  hashes it writes and its own scratch rows, so there are no races.
* ``cut_layer``: split every convex polygon by the lines of a layer's units (Sutherland-Hodgman
  against both half-planes at once), unit after unit; serial, in two passes per unit (count,
  then fill).
* ``polygon_areas`` and ``merge_pieces`` (union-find of edge-adjacent polygons whose output
  gradients agree), serial.

The hash mixes the pattern's 64-bit words with a multiply-xorshift step and finishes with the
splitmix64 finaliser; ``regions.sampled._hash_words_numpy`` is the same function in NumPy (the
oracle).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

HASH_SEED = np.uint64(0x9E3779B97F4A7C15)
HASH_MUL = np.uint64(0xFF51AFD7ED558CCD)
FIN_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
FIN_MUL2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, inline="always")
def _mix(h, w):
    h = h ^ w
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(32))
    return h


@njit(cache=True, inline="always")
def _finalise(h):
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    h = h ^ (h >> np.uint64(31))
    return h


@njit(cache=True, parallel=True, fastmath={"contract", "arcp", "nsz"})
def pattern_hashes(X, W, woff, b, boff, slope, dims, has_act, n_words, block):
    """Hash of the activation pattern (bits z > 0 of every unit with a nonlinearity) per point.

    Parameters
    ----------
    X : float64 (n, d0)
    W : float64 flat; layer l's weights (out, in) row-major from ``woff[l]``
    b, slope : float64 flat per unit from ``boff[l]``; ``slope`` is the negative-side slope
    dims : int64 (L + 1,) layer widths; has_act : bool (L,)
    n_words : number of 64-bit words of the full pattern; block : points per prange task

    Thread mapping: one task per block of ``block`` points. The block's activations are stored
    unit-major, ``h[unit, point]``, so the innermost loop runs over the block's points with the
    weights held in registers (contiguous, vectorised; four inputs per sweep). Unit j's output
    row is finished (pre-activation, bit, activation) before the next unit starts, into a second
    buffer swapped with the first after each layer. Scratch arrays belong to the task;
    ``out[i]`` is written once, by the task owning point ``i``.
    """
    n = X.shape[0]
    L = dims.shape[0] - 1
    wmax = 0
    for l in range(L + 1):
        if dims[l] > wmax:
            wmax = dims[l]
    out = np.empty(n, dtype=np.uint64)
    n_blocks = (n + block - 1) // block
    for blk in prange(n_blocks):
        lo = blk * block
        hi = min(n, lo + block)
        m = hi - lo
        h = np.empty((wmax, block))
        hn = np.empty((wmax, block))
        words = np.zeros((n_words, block), dtype=np.uint64)
        d0 = dims[0]
        for k in range(d0):
            for p in range(m):
                h[k, p] = X[lo + p, k]
        bit = 0
        for l in range(L):
            din = dims[l]
            dout = dims[l + 1]
            wo = woff[l]
            bo = boff[l]
            act = has_act[l]
            for j in range(dout):
                zj = hn[j]
                bj = b[bo + j]
                for p in range(m):
                    zj[p] = bj
                # four inputs per sweep over the block: one load and store of z per 4 FMAs
                k = 0
                while k + 4 <= din:
                    base = wo + j * din + k
                    w0 = W[base]
                    w1 = W[base + 1]
                    w2 = W[base + 2]
                    w3 = W[base + 3]
                    h0 = h[k]
                    h1 = h[k + 1]
                    h2 = h[k + 2]
                    h3 = h[k + 3]
                    for p in range(m):
                        zj[p] += w0 * h0[p] + w1 * h1[p] + w2 * h2[p] + w3 * h3[p]
                    k += 4
                while k < din:
                    wk = W[wo + j * din + k]
                    hk = h[k]
                    for p in range(m):
                        zj[p] += wk * hk[p]
                    k += 1
                if act:
                    sj = slope[bo + j]
                    q = bit + j
                    wq = words[q >> 6]
                    sh = np.uint64(q & 63)
                    for p in range(m):
                        v = zj[p]
                        on = v > 0.0
                        zj[p] = v if on else sj * v
                        wq[p] |= np.uint64(on) << sh
            if act:
                bit += dout
            tmp = h
            h = hn
            hn = tmp
        for p in range(m):
            hh = np.uint64(0x9E3779B97F4A7C15)
            for w in range(n_words):
                hh = _mix(hh, words[w, p])
            out[lo + p] = _finalise(hh)
    return out


@njit(cache=True, inline="always")
def _sign(v, tol):
    if v > tol:
        return 1
    if v < -tol:
        return -1
    return 0


@njit(cache=True)
def _line(G, Ga, o, j, rtol, sx, sy):
    """Unit j's line on polygon o and its tolerance coefficients.

    The tolerance at (x, y) is ``ta |x| + tb |y| + tc``: the round-off scale of the value
    (``rtol`` times the sums of absolute values ``Ga``) plus the value's change under a round-off
    move of the vertex itself (``rtol`` times the gradient scale times the box size ``sx, sy``),
    so that vertices computed as intersections count as on the line they should lie on.
    """
    ta = rtol * Ga[o, j, 0]
    tb = rtol * Ga[o, j, 1]
    tc = rtol * Ga[o, j, 2] + ta * sx + tb * sy
    return G[o, j, 0], G[o, j, 1], G[o, j, 2], ta, tb, tc


@njit(cache=True)
def _cut_once(vx, vy, starts, owner, G, Ga, j, rtol, sx, sy):
    """Split polygon k by unit j's line ``G[owner[k], j] . (x, y, 1) = 0``.

    A vertex is on the line when ``|value|`` is within the tolerance of ``_line``; a polygon is split only if some vertex is strictly on each
    side, so round-off makes no sliver. Returns the new polygons (vx, vy, starts), ``parent``
    (input index) and ``side`` (+1: positive side, -1: negative, 0: the value vanishes on it).
    Two passes: count (and prefix-sum) the output sizes, then fill.
    """
    m = starts.shape[0] - 1
    nout = np.empty(m, dtype=np.int64)
    nv_pos = np.zeros(m, dtype=np.int64)
    nv_neg = np.zeros(m, dtype=np.int64)
    st1 = np.zeros(m, dtype=np.int8)
    total_p = 0
    total_v = 0
    for k in range(m):
        a, bb, c, ta, tb, tc = _line(G, Ga, owner[k], j, rtol, sx, sy)
        s0 = starts[k]
        nv = starts[k + 1] - s0
        npos = 0
        nneg = 0
        nz = 0
        ncross = 0
        x = vx[s0 + nv - 1]
        y = vy[s0 + nv - 1]
        sprev = _sign(a * x + bb * y + c, ta * abs(x) + tb * abs(y) + tc)
        for i in range(nv):
            x = vx[s0 + i]
            y = vy[s0 + i]
            si = _sign(a * x + bb * y + c, ta * abs(x) + tb * abs(y) + tc)
            if si > 0:
                npos += 1
            elif si < 0:
                nneg += 1
            else:
                nz += 1
            if si * sprev < 0:
                ncross += 1
            sprev = si
        if npos > 0 and nneg > 0:
            nout[k] = 2
            nv_pos[k] = npos + nz + ncross
            nv_neg[k] = nneg + nz + ncross
        else:
            nout[k] = 1
            nv_pos[k] = nv
            st1[k] = 1 if npos > 0 else (-1 if nneg > 0 else 0)
        total_p += nout[k]
        total_v += nv_pos[k] + nv_neg[k]
    ox = np.empty(total_v)
    oy = np.empty(total_v)
    ostarts = np.empty(total_p + 1, dtype=np.int64)
    parent = np.empty(total_p, dtype=np.int64)
    side = np.empty(total_p, dtype=np.int8)
    p = 0
    v = 0
    for k in range(m):
        s0 = starts[k]
        nv = starts[k + 1] - s0
        if nout[k] == 1:
            for i in range(nv):
                ox[v + i] = vx[s0 + i]
                oy[v + i] = vy[s0 + i]
            ostarts[p] = v
            parent[p] = k
            side[p] = st1[k]
            p += 1
            v += nv
            continue
        a, bb, c, ta, tb, tc = _line(G, Ga, owner[k], j, rtol, sx, sy)
        vp = v
        vn = v + nv_pos[k]
        ostarts[p] = vp
        ostarts[p + 1] = vn
        parent[p] = k
        parent[p + 1] = k
        side[p] = 1
        side[p + 1] = -1
        for i in range(nv):
            x = vx[s0 + i]
            y = vy[s0 + i]
            fi = a * x + bb * y + c
            si = _sign(fi, ta * abs(x) + tb * abs(y) + tc)
            i2 = i + 1 if i + 1 < nv else 0
            x2 = vx[s0 + i2]
            y2 = vy[s0 + i2]
            fj = a * x2 + bb * y2 + c
            sj = _sign(fj, ta * abs(x2) + tb * abs(y2) + tc)
            if si >= 0:
                ox[vp] = x
                oy[vp] = y
                vp += 1
            if si <= 0:
                ox[vn] = x
                oy[vn] = y
                vn += 1
            if si * sj < 0:
                # one intersection shared by both parts: their common edge has equal end points
                r = fi / (fi - fj)
                cx = x + r * (x2 - x)
                cy = y + r * (y2 - y)
                ox[vp] = cx
                oy[vp] = cy
                vp += 1
                ox[vn] = cx
                oy[vn] = cy
                vn += 1
        p += 2
        v += nv_pos[k] + nv_neg[k]
    ostarts[total_p] = total_v
    return ox, oy, ostarts, parent, side


@njit(cache=True)
def cut_layer(vx, vy, starts, G, Ga, rtol, sx, sy):
    """Cut every polygon by the lines of all units of one layer, unit after unit.

    ``G[k, j] = (gx, gy, g0)``: unit j's pre-activation on input polygon k is
    ``gx x + gy y + g0``; ``Ga`` holds the same sums taken with absolute values (round-off
    scale); ``sx, sy`` are the box's largest |x| and |y|. Returns the polygons, ``owner``
    (input polygon of each output polygon) and ``side`` (m_out, n_units) in {+1, -1, 0}. Serial: the work per call is small and a serial loop is
    robust to a busy machine.
    """
    m0 = starts.shape[0] - 1
    n = G.shape[1]
    owner = np.arange(m0)
    side = np.zeros((m0, n), dtype=np.int8)
    for j in range(n):
        vx, vy, starts, parent, s = _cut_once(vx, vy, starts, owner, G, Ga, j, rtol, sx, sy)
        m = parent.shape[0]
        new_owner = np.empty(m, dtype=np.int64)
        new_side = np.empty((m, n), dtype=np.int8)
        for k in range(m):
            new_owner[k] = owner[parent[k]]
            for u in range(j):
                new_side[k, u] = side[parent[k], u]
            new_side[k, j] = s[k]
        owner = new_owner
        side = new_side
    return vx, vy, starts, owner, side


@njit(cache=True)
def polygon_areas(vx, vy, starts):
    """Shoelace areas (absolute) of the polygons."""
    m = starts.shape[0] - 1
    out = np.empty(m)
    for k in range(m):
        s0 = starts[k]
        s1 = starts[k + 1]
        a = 0.0
        nv = s1 - s0
        for i in range(nv):
            i2 = i + 1 if i + 1 < nv else 0
            a += vx[s0 + i] * vy[s0 + i2] - vx[s0 + i2] * vy[s0 + i]
        out[k] = abs(a) * 0.5
    return out


@njit(cache=True)
def _find(par, i):
    while par[i] != i:
        par[i] = par[par[i]]
        i = par[i]
    return i


@njit(cache=True)
def _share_edge(vx, vy, s0, s1, t0, t1, tol):
    """Whether polygons [s0, s1) and [t0, t1) share a boundary segment longer than ``tol``."""
    na = s1 - s0
    nb = t1 - t0
    for i in range(na):
        i2 = i + 1 if i + 1 < na else 0
        px = vx[s0 + i]
        py = vy[s0 + i]
        dx = vx[s0 + i2] - px
        dy = vy[s0 + i2] - py
        ln = np.sqrt(dx * dx + dy * dy)
        if ln <= tol:
            continue
        ux = dx / ln
        uy = dy / ln
        for j in range(nb):
            j2 = j + 1 if j + 1 < nb else 0
            qx0 = vx[t0 + j] - px
            qy0 = vy[t0 + j] - py
            qx1 = vx[t0 + j2] - px
            qy1 = vy[t0 + j2] - py
            if abs(ux * qy0 - uy * qx0) > tol or abs(ux * qy1 - uy * qx1) > tol:
                continue
            a0 = ux * qx0 + uy * qy0
            a1 = ux * qx1 + uy * qy1
            lo = min(a0, a1)
            hi = max(a0, a1)
            if min(ln, hi) - max(0.0, lo) > tol:
                return True
    return False


@njit(cache=True)
def merge_pieces(vx, vy, starts, grad, grad_scale, rtol, len_tol):
    """Label connected components of edge-adjacent polygons with equal output gradients.

    ``grad`` (m, q): the output map's gradient entries per polygon; two are equal when every
    entry differs by at most ``rtol * (grad_scale_i + grad_scale_j)`` (round-off scales).
    Candidate pairs come from a sweep over bounding boxes sorted by their left edge.
    """
    m = starts.shape[0] - 1
    q = grad.shape[1]
    xmin = np.empty(m)
    xmax = np.empty(m)
    ymin = np.empty(m)
    ymax = np.empty(m)
    for k in range(m):
        s0 = starts[k]
        s1 = starts[k + 1]
        xmin[k] = vx[s0]
        xmax[k] = vx[s0]
        ymin[k] = vy[s0]
        ymax[k] = vy[s0]
        for i in range(s0 + 1, s1):
            xmin[k] = min(xmin[k], vx[i])
            xmax[k] = max(xmax[k], vx[i])
            ymin[k] = min(ymin[k], vy[i])
            ymax[k] = max(ymax[k], vy[i])
    order = np.argsort(xmin)
    par = np.arange(m)
    for a in range(m):
        i = order[a]
        for c in range(a + 1, m):
            j = order[c]
            if xmin[j] > xmax[i] + len_tol:
                break
            if ymin[j] > ymax[i] + len_tol or ymin[i] > ymax[j] + len_tol:
                continue
            same = True
            for r in range(q):
                if abs(grad[i, r] - grad[j, r]) > rtol * (grad_scale[i, r] + grad_scale[j, r]):
                    same = False
                    break
            if not same:
                continue
            ri = _find(par, i)
            rj = _find(par, j)
            if ri == rj:
                continue
            if _share_edge(vx, vy, starts[i], starts[i + 1], starts[j], starts[j + 1], len_tol):
                par[ri] = rj
    labels = np.empty(m, dtype=np.int64)
    for k in range(m):
        labels[k] = _find(par, k)
    return labels
