"""Helpers shared by the unsupervised models: seed validation and batched NumPy forward passes."""

from __future__ import annotations

import numpy as np

from .._validate import seed_value


def check_seed(seed, name="seed"):
    """``seed`` if it is a non-negative integer or None; a ``ValidationError`` naming ``name``
    else."""
    return seed_value(seed, name)


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
