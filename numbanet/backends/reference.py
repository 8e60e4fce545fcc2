"""The reference backend: every op in plain NumPy, the executable form of the slides' equations.

This class is also the *base* of the other backends (the thinc pattern): an accelerated backend
overrides only the ops it speeds up and inherits the rest. It is the oracle of every test: CPU and
CUDA results are compared with it, and it is compared with central finite differences.

Conventions shared by all backends
----------------------------------
* Dense layers follow the slides: ``W`` has shape ``(out, in)``, ``Z = X W^T + b``.
* Gradients *accumulate* into ``dW``/``db`` (as in PyTorch); optimisers' ``zero_grad`` clears them.
* Loss ops return ``(sum_of_losses, grad)`` where ``grad = scale * d(loss)/d(pred)``; the loss object
  chooses ``scale`` (e.g. ``1/n`` for a mean over the batch) and divides the sum the same way.
* Activations and losses take 2-D views ``(n, k)``; layers with more axes pass reshaped views.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _special

from ..codes import Act, UnitLoss
from ._conv_ops import ReferenceConvOps
from ._fused_ops import ReferenceFusedOps
from ._norm_ops import ReferenceNormOps
from ._optim_ops import ReferenceOptimOps
from ._rbm_ops import ReferenceRBMOps
from ._rnn_ops import ReferenceRNNOps


def _np_act(code, z, alpha):
    if code == Act.IDENTITY:
        return z.copy()
    if code == Act.SIGMOID:
        return _special.expit(z).astype(z.dtype, copy=False)
    if code == Act.TANH:
        return np.tanh(z)
    if code == Act.RELU:
        return np.maximum(z, 0).astype(z.dtype, copy=False)
    if code == Act.LEAKY_RELU:
        return np.where(z > 0, z, alpha * z).astype(z.dtype, copy=False)
    if code == Act.ELU:
        return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0))).astype(z.dtype, copy=False)
    if code == Act.SOFTPLUS:
        return (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))).astype(z.dtype, copy=False)
    if code == Act.GELU:
        return (0.5 * z * (1.0 + _special.erf(z / np.sqrt(2.0)))).astype(z.dtype, copy=False)
    if code == Act.SILU:
        return (z * _special.expit(z)).astype(z.dtype, copy=False)
    if code == Act.STEP:
        return (z >= 0).astype(z.dtype)
    raise ValueError(f"unknown activation code {code}")


def _np_act_deriv(code, z, a, alpha):
    if code == Act.IDENTITY:
        return np.ones_like(z)
    if code == Act.SIGMOID:
        return a * (1 - a)
    if code == Act.TANH:
        return 1 - a * a
    if code == Act.RELU:
        return (z > 0).astype(z.dtype)
    if code == Act.LEAKY_RELU:
        return np.where(z > 0, 1.0, alpha).astype(z.dtype)
    if code == Act.ELU:
        return np.where(z > 0, 1.0, a + alpha).astype(z.dtype)
    if code == Act.SOFTPLUS:
        return _special.expit(z).astype(z.dtype)
    if code == Act.GELU:
        phi = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        return (0.5 * (1 + _special.erf(z / np.sqrt(2.0))) + z * phi).astype(z.dtype)
    if code == Act.SILU:
        s = _special.expit(z)
        return (s * (1 + z * (1 - s))).astype(z.dtype)
    if code == Act.STEP:
        return np.zeros_like(z)
    raise ValueError(f"unknown activation code {code}")


class ReferenceBackend(
    ReferenceFusedOps,
    ReferenceConvOps,
    ReferenceRNNOps,
    ReferenceRBMOps,
    ReferenceOptimOps,
    ReferenceNormOps,
):
    """Plain NumPy. Readable, float64-exact, slow."""

    name = "reference"
    is_device = False

    # ------------------------------------------------------------------ arrays
    def asarray(self, x, dtype):
        """A contiguous backend array of ``dtype`` holding ``x`` (a copy only if needed)."""
        return np.ascontiguousarray(x, dtype=dtype)

    def to_numpy(self, a):
        """A NumPy view/copy of a backend array."""
        return np.asarray(a)

    def empty(self, shape, dtype):
        return np.empty(shape, dtype=dtype)

    def zeros(self, shape, dtype):
        return np.zeros(shape, dtype=dtype)

    def copy_into(self, dst, src):
        """dst[...] = src (src a NumPy array of the same shape)."""
        dst[...] = src

    def fill(self, a, value):
        a[...] = value

    def synchronize(self):
        """Wait for queued device work (no-op on the host)."""

    def all_finite(self, a) -> bool:
        return bool(np.isfinite(a).all())

    def take_rows(self, a, idx):
        """a[idx] for an index array (minibatch gather)."""
        return np.ascontiguousarray(a[idx])

    # ------------------------------------------------------------------ dense
    def dense_forward(self, x, W, b):
        """Z = X W^T + b."""
        return x @ W.T + b

    def dense_backward(self, x, W, dz, dW, db, need_dx=True):
        """dW += dZ^T X;  db += sum_i dZ_i;  returns dX = dZ W (or None)."""
        dW += dz.T @ x
        db += dz.sum(axis=0)
        return dz @ W if need_dx else None

    # ------------------------------------------------------------------ activations
    def act_forward(self, code, z, alpha=0.0):
        """A = f(Z) elementwise."""
        return _np_act(code, z, alpha)

    def act_backward(self, code, z, a, da, alpha=0.0):
        """dZ = dA * f'(Z) (elementwise product, the slides' Hadamard product)."""
        return (da * _np_act_deriv(code, z, a, alpha)).astype(z.dtype, copy=False)

    def prelu_forward(self, z, alpha):
        """PReLU on (n, c, k) with alpha of length 1 or c."""
        al = alpha.reshape(1, -1, 1)
        return np.where(z > 0, z, al * z).astype(z.dtype, copy=False)

    def prelu_backward(self, z, da, alpha, dalpha):
        """Returns dZ; accumulates dalpha += sum of da * z over the non-positive entries."""
        al = alpha.reshape(1, -1, 1)
        dz = np.where(z > 0, da, al * da).astype(z.dtype, copy=False)
        contrib = np.where(z > 0, 0.0, da * z)
        if alpha.shape[0] == 1:
            dalpha += contrib.sum()
        else:
            dalpha += contrib.sum(axis=(0, 2))
        return dz

    def softmax_forward(self, z):
        """Row-wise softmax exp(z - max) / sum exp(z - max)."""
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(z.dtype, copy=False)

    def softmax_backward(self, p, dp):
        """dZ = P * (dP - <dP, P>) row-wise."""
        return (p * (dp - (dp * p).sum(axis=1, keepdims=True))).astype(p.dtype, copy=False)

    def log_softmax_forward(self, z):
        """Row-wise log-softmax (z - max) - log(sum exp(z - max)): finite for any finite z."""
        s = z - z.max(axis=1, keepdims=True)
        return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).astype(z.dtype, copy=False)

    def log_softmax_backward(self, y, dy):
        """dZ = dY - softmax(Z) * rowsum(dY), with softmax(Z) = exp(Y) from the forward output."""
        return (dy - np.exp(y) * dy.sum(axis=1, keepdims=True)).astype(y.dtype, copy=False)

    # ------------------------------------------------------------------ losses
    def xent_labels(self, z, labels, scale):
        """Softmax cross-entropy from logits and integer labels: (sum of row losses, grad)."""
        z64 = z.astype(np.float64)
        lse = _special.logsumexp(z64, axis=1)
        n = z.shape[0]
        loss = float((lse - z64[np.arange(n), labels]).sum())
        grad = np.exp(z64 - lse[:, None])
        grad[np.arange(n), labels] -= 1.0
        return loss, (scale * grad).astype(z.dtype)

    def xent_onehot(self, z, t, scale):
        """Softmax cross-entropy from logits and probability targets."""
        z64 = z.astype(np.float64)
        lse = _special.logsumexp(z64, axis=1, keepdims=True)
        loss = float((t * (lse - z64)).sum())
        grad = np.exp(z64 - lse) * t.sum(axis=1, keepdims=True) - t
        return loss, (scale * grad).astype(z.dtype)

    def checked_loss(self, kind, p, y, scale, eps=0.0):
        """A manual loop's loss in one pass that also checks its inputs: ``(sum, grad)`` like
        ``elementwise_loss`` (``kind`` a ``UnitLoss``) or, for ``kind`` None, ``xent_labels``
        (``y`` integer labels); None when an input fails a check or the backend has no such
        pass (here), and the caller checks and computes step by step."""
        return None

    def elementwise_loss(self, kind, p, y, scale, eps=1e-7):
        """kind 0: 1/2 (p-y)^2;  1: BCE on probabilities (clipped to [eps, 1-eps]);
        2: BCE on logits, softplus(z) - y z.  Returns (sum, scale * d/dp)."""
        p64 = p.astype(np.float64)
        y64 = y.astype(np.float64)
        if kind == UnitLoss.SQUARED:
            d = p64 - y64
            return float(0.5 * (d * d).sum()), (scale * d).astype(p.dtype)
        if kind == UnitLoss.BCE_PROB:
            q = np.clip(p64, eps, 1 - eps)
            loss = -(y64 * np.log(q) + (1 - y64) * np.log1p(-q)).sum()
            return float(loss), (scale * (q - y64) / (q * (1 - q))).astype(p.dtype)
        if kind == UnitLoss.BCE_LOGITS:
            sp = np.logaddexp(0.0, p64)
            loss = (sp - y64 * p64).sum()
            return float(loss), (scale * (_special.expit(p64) - y64)).astype(p.dtype)
        raise ValueError(f"unknown loss kind {kind}")

    # ------------------------------------------------------------------ optimisers
    def sgd_update(self, p, g, lr, decay=1.0):
        """p <- decay * p - lr * g, in place (decay = 1 - lr lambda / n in Nielsen's L2 form)."""
        p *= p.dtype.type(decay)
        p -= p.dtype.type(lr) * g

    # ------------------------------------------------------------------ reductions
    def argmax_rows(self, a):
        return np.asarray(a).argmax(axis=1)

    def __repr__(self):
        return f"<numbanet backend {self.name!r}>"
