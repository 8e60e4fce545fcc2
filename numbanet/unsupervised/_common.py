"""Helpers shared by the unsupervised models: seed validation and batched NumPy forward passes."""

from __future__ import annotations

import numpy as np

from ..errors import ValidationError


def check_seed(seed, name="seed"):
    """``seed`` unchanged if it is an integer or None; a ``ValidationError`` naming ``name`` else."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValidationError(f"{name} must be an integer or None; got {seed!r}")
    return seed


def forward_np(net, layers, X, batch=4096):
    """NumPy outputs of ``layers`` (a slice of ``net.layers``) for NumPy ``X``, in batches.

    Parameters
    ----------
    net : Sequential
        The model owning ``layers`` (its backend and dtype are used).
    layers : list of Layer
    X : ndarray of shape (n, d_in)
    batch : int
        Rows per forward pass (bounds the backend's temporaries on large inputs).

    Returns
    -------
    ndarray of shape (n, d_out)
    """
    be = net.backend
    outs = []
    for s in range(0, X.shape[0], batch):
        xb = be.asarray(X[s : s + batch], net.dtype)
        outs.append(np.asarray(be.to_numpy(net._forward(xb, training=False, layers=layers))))
    return np.concatenate(outs, axis=0)
