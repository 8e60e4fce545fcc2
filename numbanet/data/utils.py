"""Two small helpers around data sets: one-hot targets and minibatch index iterators."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .._validate import as_labels, dtype_of, positive_int


def one_hot(y, n_classes: int, dtype=np.float32) -> np.ndarray:
    """Class labels as one-hot rows: ``out[i, y[i]] = 1``, every other entry 0.

    Parameters
    ----------
    y : array_like of shape (n,)
        Integer labels in [0, n_classes).
    n_classes : int
        Number of classes (columns).
    dtype : float32 (default) or float64

    Returns
    -------
    ndarray of shape (n, n_classes)

    Examples
    --------
    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    n_classes = positive_int(n_classes, "n_classes")
    labels = as_labels(y, "y", n_classes)
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype_of(dtype))
    out[np.arange(labels.shape[0]), labels] = 1
    return out


def batches(n: int, batch_size: int, rng=None, *, drop_last: bool = False) -> Iterator[np.ndarray]:
    """Indices of successive minibatches over ``n`` examples (one epoch).

    Parameters
    ----------
    n : int
        Number of examples.
    batch_size : int
        Examples per batch; the last batch is smaller when ``batch_size`` does not divide ``n``.
    rng : None, int or numpy Generator, optional
        None walks the examples in order; otherwise they are visited in a random order drawn
        from ``np.random.default_rng(rng)`` (pass the same Generator every epoch for a new
        order each time).
    drop_last : bool, default False
        Skip a final batch smaller than ``batch_size``.

    Yields
    ------
    ndarray of shape (b,), int64
        Row indices of one batch, e.g. ``x[idx], y[idx]``.
    """
    n = positive_int(n, "n")
    batch_size = positive_int(batch_size, "batch_size")
    order = np.arange(n) if rng is None else np.random.default_rng(rng).permutation(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]
