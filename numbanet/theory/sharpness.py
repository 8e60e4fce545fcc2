r"""Sharpness of a minimum: the top eigenvalue of the loss's Hessian, from gradients only.

Keskar et al. (2017), cited in deck 001 beside the minibatch, found that large minibatches end
in *sharp* minima (a large top Hessian eigenvalue :math:`\lambda_{max}`) that generalise worse
than the *flat* minima of small minibatches. Measuring :math:`\lambda_{max}` needs no Hessian:

* a **Hessian-vector product** is a directional derivative of the gradient, computed here by
  central differences of two of the engine's own full-batch gradients,

  .. math:: H v \approx \frac{\nabla L(\theta + \varepsilon v) - \nabla L(\theta - \varepsilon v)}
            {2 \varepsilon}

  (error :math:`O(\varepsilon^2)`; exact for a quadratic loss up to rounding);
* **power iteration** :math:`v \leftarrow Hv / \|Hv\|` converges to the eigenvector of the
  eigenvalue of largest magnitude, and the Rayleigh quotient :math:`v^T H v` to that eigenvalue.
  At a minimum the Hessian is positive semi-definite, so this is :math:`\lambda_{max}`.

The computation runs on a float64 copy of the network (``net.clone(dtype=float64)``): finite
differences in float32 lose most of their digits. The network passed in is never changed.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import positive_float, positive_int
from ..errors import ValidationError
from .gradient_speed import full_batch_gradients

__all__ = ["SharpnessResult", "flat_gradient", "hessian_vector_product", "top_hessian_eigenvalue"]


def _float64(net):
    return net if net.dtype == np.float64 else net.clone(dtype=np.float64)


def flat_gradient(net, x, y, loss):
    """The full-batch gradient of ``loss`` (a mean over the examples) with respect to every
    parameter, as one NumPy vector in the order of ``net.get_flat()``; and the loss value."""
    value = full_batch_gradients(net, x, y, loss, training=False)
    return np.array(net.backend.to_numpy(net._flat_grad), dtype=np.float64), float(value)


def _hvp(net, theta, x, y, loss, v, eps):
    net.set_flat(theta + eps * v)
    g_plus, _ = flat_gradient(net, x, y, loss)
    net.set_flat(theta - eps * v)
    g_minus, _ = flat_gradient(net, x, y, loss)
    net.set_flat(theta)
    return (g_plus - g_minus) / (2.0 * eps)


def _step(theta, v, rel_eps):
    """Finite-difference step: ``rel_eps`` times the scale of the parameters, per unit of v."""
    return rel_eps * (1.0 + np.linalg.norm(theta)) / max(np.linalg.norm(v), 1e-300)


def hessian_vector_product(net, x, y, loss, v, rel_eps=1e-5):
    """:math:`H v`, the Hessian of the mean ``loss`` on ``(x, y)`` at the current parameters
    times ``v`` (a vector of ``net.n_params()`` values), by central differences of gradients.

    The step is ``rel_eps * (1 + ||theta||) / ||v||``; the work runs on a float64 copy of ``net``.
    """
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.shape[0] != net.n_params():
        raise ValidationError(
            f"v must have one value per parameter ({net.n_params()}); got {v.shape[0]}"
        )
    if not np.all(np.isfinite(v)):
        raise ValidationError("v must be finite")
    positive_float(rel_eps, "rel_eps")
    work = _float64(net)
    theta = work.get_flat().astype(np.float64)
    return _hvp(work, theta, x, y, loss, v, _step(theta, v, rel_eps))


@dataclasses.dataclass
class SharpnessResult:
    """``eigenvalue``: the Rayleigh quotient of the last iterate (the top eigenvalue);
    ``vector``: its unit eigenvector (flat, like ``net.get_flat()``); ``iterations`` done;
    ``history``: the estimate after each iteration; ``converged``: the relative change fell
    below ``tol``; ``loss``: the loss at the parameters."""

    eigenvalue: float
    vector: np.ndarray
    iterations: int
    history: np.ndarray
    converged: bool
    loss: float


def top_hessian_eigenvalue(
    net, x, y, loss="cross_entropy", iters=100, tol=1e-4, seed=0, rel_eps=1e-5
):
    """The sharpness :math:`\\lambda_{max}` of the mean ``loss`` on ``(x, y)`` at ``net``'s
    current parameters, by power iteration on finite-difference Hessian-vector products.

    Parameters
    ----------
    net : Sequential
        Any trained or untrained model (left unchanged; a float64 copy does the work).
    x, y : arrays
        The data the loss is averaged over (e.g. a fixed subset of the training set).
    loss : str or Loss
    iters : int
        At most this many Hessian-vector products (two gradients each).
    tol : float
        Stop when the estimate changes by less than ``tol`` times its size.
    seed : int
        Seed of the random starting vector.
    rel_eps : float
        Relative finite-difference step (see ``hessian_vector_product``).

    Returns
    -------
    SharpnessResult
        The eigenvalue of largest magnitude (:math:`\\lambda_{max}` at a minimum, where the
        Hessian is positive semi-definite) and its eigenvector.
    """
    iters = positive_int(iters, "iters")
    positive_float(tol, "tol")
    positive_float(rel_eps, "rel_eps")
    work = _float64(net)
    theta = work.get_flat().astype(np.float64)
    _, value = flat_gradient(work, x, y, loss)
    v = np.random.default_rng(seed).standard_normal(theta.shape[0])
    v /= np.linalg.norm(v)
    eps = _step(theta, v, rel_eps)
    history, lam, converged = [], 0.0, False
    for _ in range(iters):
        hv = _hvp(work, theta, x, y, loss, v, eps)
        new = float(v @ hv)  # Rayleigh quotient (v has unit length)
        history.append(new)
        norm = np.linalg.norm(hv)
        if norm == 0.0:  # v in the null space: H v = 0 (a zero Hessian, e.g. a dead network)
            lam, converged = 0.0, True
            break
        v = hv / norm
        if len(history) > 1 and abs(new - lam) <= tol * max(abs(new), 1e-12):
            lam, converged = new, True
            break
        lam = new
    return SharpnessResult(
        eigenvalue=float(lam),
        vector=v,
        iterations=len(history),
        history=np.array(history),
        converged=converged,
        loss=value,
    )
