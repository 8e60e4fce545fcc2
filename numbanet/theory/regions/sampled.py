r"""Activation patterns on sample points, for any input dimension.

* ``pattern_bits(net, points)``: the bit z > 0 of every unit with a nonlinearity (NumPy).
* ``pattern_hashes(net, points)``: one 64-bit hash per point, by a fused parallel Numba kernel
  (``._kernels.pattern_hashes``) or by ``_hash_words_numpy`` (the same hash in NumPy, the oracle).
* ``count_patterns(net, points)``: distinct patterns met by the points, a lower bound on the
  regions meeting the sampled set (Hanin and Rolnick 2019 count regions this way).
"""

from __future__ import annotations

import numpy as np

from ..._validate import positive_int
from ...errors import ValidationError
from .network import _affine_stack, _n_units, _points


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
    from ._kernels import FIN_MUL1, FIN_MUL2, HASH_MUL, HASH_SEED

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
    from . import _kernels as K

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


__all__ = ["pattern_bits", "pattern_hashes", "count_patterns"]
