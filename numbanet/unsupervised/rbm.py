"""The Bernoulli-Bernoulli restricted Boltzmann machine, trained with contrastive divergence (CD-k).

An RBM (DL deck) is an energy model over binary visible units :math:`x \\in \\{0,1\\}^V` and hidden
units :math:`h \\in \\{0,1\\}^H`, with no connections inside a layer:

.. math:: E(x, h) = -b^\\top x - c^\\top h - h^\\top W x,\\qquad
          P(x, h) = \\frac{e^{-E(x, h)}}{Z}.

Because the graph is bipartite, each layer is conditionally independent given the other:

.. math:: P(h_j = 1 \\mid x) = \\sigma(c_j + W_{j,:} x),\\qquad
          P(x_k = 1 \\mid h) = \\sigma(b_k + W_{:,k}^\\top h),

and summing out ``h`` gives the free energy :math:`F(x) = -b^\\top x - \\sum_j
\\operatorname{softplus}(c_j + W_{j,:} x)`, with :math:`P(x) = e^{-F(x)}/Z`.

The log-likelihood gradient is a data term minus a model term,
:math:`\\partial \\log P(x)/\\partial W = E[h x^\\top \\mid x] - E_{model}[h x^\\top]`. CD-k replaces
the model expectation by one sample from a Gibbs chain started at the data and run ``k`` steps
(x -> h -> x' -> h' ...). Following Hinton's practical guide, the hidden states that drive the
reconstruction are *sampled*, the final reconstruction and the statistics use *probabilities*
(less noise, same expectation for the data term).

The Gibbs half-steps, the CD update and the free energy are backend ops (``rbm_hidden``,
``rbm_visible``, ``rbm_cd_update``, ``rbm_free_energy``) with NumPy, Numba-CPU and CUDA versions;
the uniforms that make the samples are drawn here on the host, so every backend follows the same
chain from the same seed.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._validate import as_float_array, dtype_of, positive_float, positive_int
from ..backends import get_backend
from ..errors import ValidationError
from ._common import check_seed

__all__ = ["RBM"]

#: exact enumeration (log Z, exact log-likelihood) is allowed up to 2**MAX_ENUM_BITS states
MAX_ENUM_BITS = 20


class RBM:
    """Bernoulli-Bernoulli RBM with the slides' notation.

    Parameters
    ----------
    n_visible, n_hidden : int
        ``V`` and ``H``.
    backend : str or backend
        'reference', 'cpu', 'cuda' or 'auto'.
    seed : int or None
        Seeds the initial weights W ~ N(0, 0.01^2) (Hinton's guide); biases start at zero.
    dtype : float32 (default) or float64

    Attributes
    ----------
    W : ndarray of shape (n_hidden, n_visible)
    b : ndarray of shape (n_visible,)
        Visible bias.
    c : ndarray of shape (n_hidden,)
        Hidden bias.
    history_ : list of float
        Mean squared reconstruction error per epoch, over all ``fit`` calls.

    ``W``, ``b``, ``c`` read the backend arrays as NumPy copies; assigning to them writes through.
    """

    def __init__(self, n_visible, n_hidden, backend="auto", seed=None, dtype=np.float32):
        self.n_visible = positive_int(n_visible, "n_visible")
        self.n_hidden = positive_int(n_hidden, "n_hidden")
        self.backend = get_backend(backend)
        self.dtype = dtype_of(dtype)
        self.seed = check_seed(seed)
        rng = np.random.default_rng(seed)
        W = rng.normal(0.0, 0.01, size=(self.n_hidden, self.n_visible)).astype(self.dtype)
        be = self.backend
        self._W = be.asarray(W, self.dtype)
        self._b = be.zeros((self.n_visible,), self.dtype)
        self._c = be.zeros((self.n_hidden,), self.dtype)
        self._vW = be.zeros((self.n_hidden, self.n_visible), self.dtype)
        self._vb = be.zeros((self.n_visible,), self.dtype)
        self._vc = be.zeros((self.n_hidden,), self.dtype)
        self.history_ = []
        self._fitted = False

    # ------------------------------------------------------------------ parameters
    def _get(self, a):
        return np.array(self.backend.to_numpy(a), dtype=self.dtype, copy=True)

    def _set(self, name, value, shape):
        arr = as_float_array(value, name, self.dtype)
        if arr.shape != shape:
            raise ValidationError(f"{name} must have shape {shape}; got {arr.shape}")
        setattr(self, "_" + name, self.backend.asarray(arr.copy(), self.dtype))

    W = property(
        lambda self: self._get(self._W),
        lambda self, v: self._set("W", v, (self.n_hidden, self.n_visible)),
    )
    b = property(
        lambda self: self._get(self._b), lambda self, v: self._set("b", v, (self.n_visible,))
    )
    c = property(
        lambda self: self._get(self._c), lambda self, v: self._set("c", v, (self.n_hidden,))
    )

    def params(self):
        """``{'W': ..., 'b': ..., 'c': ...}`` as NumPy copies."""
        return {"W": self.W, "b": self.b, "c": self.c}

    # ------------------------------------------------------------------ checks
    def _check_x(self, X, name="X"):
        X = as_float_array(X, name, self.dtype)
        if X.ndim == 1 and X.shape[0] == self.n_visible:
            X = X[None, :]
        if X.ndim > 2:
            X = X.reshape(X.shape[0], -1)
        if X.ndim != 2 or X.shape[1] != self.n_visible:
            raise ValidationError(
                f"{name} must have shape (n, {self.n_visible}) for an RBM with {self.n_visible} "
                f"visible units; got shape {X.shape}"
            )
        if X.min() < 0 or X.max() > 1:
            raise ValidationError(
                f"{name} must hold values in [0, 1] (binary units or their probabilities); got "
                f"values in [{X.min():.3g}, {X.max():.3g}]; rescale the data (e.g. x / 255)"
            )
        return X

    # ------------------------------------------------------------------ conditionals
    def hidden_probs(self, X):
        """P(h = 1 | x) = sigma(x W^T + c), shape (n, n_hidden), NumPy."""
        X = self._check_x(X)
        p, _ = self.backend.rbm_hidden(self.backend.asarray(X, self.dtype), self._W, self._c)
        return self._get(p)

    transform = hidden_probs

    def visible_probs(self, H):
        """P(x = 1 | h) = sigma(h W + b), shape (n, n_visible), NumPy."""
        H = as_float_array(H, "H", self.dtype, ndim=2)
        if H.shape[1] != self.n_hidden:
            raise ValidationError(f"H must have shape (n, {self.n_hidden}); got {H.shape}")
        p, _ = self.backend.rbm_visible(self.backend.asarray(H, self.dtype), self._W, self._b)
        return self._get(p)

    def reconstruct(self, X):
        """Mean-field reconstruction sigma(W^T P(h|x) + b), shape (n, n_visible)."""
        X = self._check_x(X)
        be = self.backend
        ph, _ = be.rbm_hidden(be.asarray(X, self.dtype), self._W, self._c)
        pv, _ = be.rbm_visible(ph, self._W, self._b)
        return self._get(pv)

    def reconstruction_error(self, X):
        """Mean over examples of sum_k (x_k - x_hat_k)^2 with the mean-field reconstruction."""
        X = self._check_x(X)
        return float(np.mean(np.sum((X - self.reconstruct(X)) ** 2, axis=1, dtype=np.float64)))

    def free_energy(self, X):
        """F(x) = -b^T x - sum_j softplus(c_j + W_j x), shape (n,), float64."""
        X = self._check_x(X)
        be = self.backend
        return np.asarray(
            be.to_numpy(be.rbm_free_energy(be.asarray(X, self.dtype), self._W, self._b, self._c)),
            dtype=np.float64,
        )

    # ------------------------------------------------------------------ exact quantities
    def log_partition(self):
        """Exact log Z by enumerating the smaller layer (at most 2**20 states), float64.

        Summing out the larger layer analytically: with V <= H,
        :math:`\\log Z = \\operatorname{logsumexp}_x(-F(x))`; otherwise the same with the roles of
        x and h exchanged.
        """
        W = self.W.astype(np.float64)
        b = self.b.astype(np.float64)
        c = self.c.astype(np.float64)
        small = min(self.n_visible, self.n_hidden)
        if small > MAX_ENUM_BITS:
            raise ValidationError(
                f"exact log Z enumerates 2**{small} states; only RBMs with min(n_visible, "
                f"n_hidden) <= {MAX_ENUM_BITS} can be enumerated"
            )
        states = np.array(list(itertools.product((0.0, 1.0), repeat=small)))
        if self.n_visible <= self.n_hidden:
            neg_f = states @ b + np.logaddexp(0, states @ W.T + c).sum(axis=1)
        else:
            neg_f = states @ c + np.logaddexp(0, states @ W + b).sum(axis=1)
        m = neg_f.max()
        return float(m + math.log(np.exp(neg_f - m).sum()))

    def log_likelihood(self, X):
        """Exact mean log P(x) = -F(x) - log Z over the rows of binary ``X`` (tiny RBMs only)."""
        X = self._check_x(X).astype(np.float64)
        W = self.W.astype(np.float64)
        neg_f = X @ self.b.astype(np.float64) + np.logaddexp(0, X @ W.T + self.c).sum(axis=1)
        return float(np.mean(neg_f) - self.log_partition())

    # ------------------------------------------------------------------ sampling
    def gibbs(self, X, steps=1, seed=None):
        """Run ``steps`` full Gibbs steps x -> h -> x from ``X``; returns binary samples (n, V)."""
        X = self._check_x(X)
        steps = positive_int(steps, "steps")
        rng = np.random.default_rng(check_seed(seed))
        be = self.backend
        v = be.asarray(X, self.dtype)
        n = X.shape[0]
        for _ in range(steps):
            _, h = be.rbm_hidden(v, self._W, self._c, rng.random((n, self.n_hidden), self.dtype))
            _, v = be.rbm_visible(h, self._W, self._b, rng.random((n, self.n_visible), self.dtype))
        return self._get(v)

    # ------------------------------------------------------------------ training
    def cd_step(self, v0, rng, k=1, lr=0.1, momentum=0.0, weight_decay=0.0):
        """One CD-k update on a minibatch ``v0`` (backend array, (n, V)); returns x_hat (backend).

        x0 -> h0 ~ P(h|x0) -> [x_t ~ P(x|h_{t-1}) -> h_t ~ P(h|x_t)] ... -> x_k = P(x|h_{k-1})
        (probabilities), P_k = P(h|x_k); then the update of ``rbm_cd_update``.
        """
        be = self.backend
        n = v0.shape[0]
        H, V, dt = self.n_hidden, self.n_visible, self.dtype
        p0, h = be.rbm_hidden(v0, self._W, self._c, rng.random((n, H), dt))
        for t in range(k):
            last = t == k - 1
            pv, vs = be.rbm_visible(h, self._W, self._b, None if last else rng.random((n, V), dt))
            vk = pv if last else vs
            pk, h = be.rbm_hidden(vk, self._W, self._c, None if last else rng.random((n, H), dt))
        be.rbm_cd_update(
            self._W,
            self._b,
            self._c,
            self._vW,
            self._vb,
            self._vc,
            v0,
            p0,
            vk,
            pk,
            lr,
            momentum,
            weight_decay,
        )
        return vk

    def fit(
        self,
        X,
        epochs=10,
        k=1,
        lr=0.1,
        batch_size=100,
        seed=None,
        momentum=0.0,
        weight_decay=0.0,
        init_visible_bias=True,
        callback=None,
    ):
        """Train with CD-k and minibatch SGD; return the reconstruction error of each epoch.

        Parameters
        ----------
        X : array of shape (n, n_visible) with values in [0, 1]
        epochs : int
        k : int
            Gibbs steps per update (CD-k).
        lr : float
            Learning rate :math:`\\eta`.
        batch_size : int
        seed : int or None
            Seeds the shuffling and every Gibbs sample (same chain on every backend).
        momentum, weight_decay : float
            :math:`\\mu` and the L2 coefficient :math:`\\lambda` of the update.
        init_visible_bias : bool
            On the first ``fit``, set b_k = log(p_k / (1 - p_k)) from the data means p_k (clipped
            to [0.01, 0.99]), as Hinton's guide recommends.
        callback : callable(epoch, rbm, error) or None

        Returns
        -------
        errors : list of float
            Mean over examples of :math:`\\sum_k (x_k - \\hat x_k)^2`, where :math:`\\hat x` is the
            CD reconstruction made during the epoch (before each update).
        """
        X = self._check_x(X)
        epochs = positive_int(epochs, "epochs")
        k = positive_int(k, "k")
        lr = positive_float(lr, "lr")
        batch_size = positive_int(batch_size, "batch_size")
        momentum = positive_float(momentum, "momentum", allow_zero=True, maximum=0.999)
        weight_decay = positive_float(weight_decay, "weight_decay", allow_zero=True)
        rng = np.random.default_rng(check_seed(seed))
        be = self.backend
        if init_visible_bias and not self._fitted:
            p = np.clip(X.mean(axis=0, dtype=np.float64), 0.01, 0.99)
            self.b = np.log(p / (1 - p))
        self._fitted = True
        n = X.shape[0]
        Xd = be.asarray(X, self.dtype)
        errors = []
        for epoch in range(epochs):
            perm = rng.permutation(n)
            total = 0.0
            for s in range(0, n, batch_size):
                idx = perm[s : s + batch_size]
                v0 = be.take_rows(Xd, idx)
                vk = self.cd_step(v0, rng, k, lr, momentum, weight_decay)
                total += float(np.sum(be.to_numpy(be.sq_err_rows(v0, vk)), dtype=np.float64))
            err = total / n
            if not math.isfinite(err):
                raise ValidationError(
                    f"RBM training diverged at epoch {epoch + 1} (reconstruction error {err}); "
                    f"lower lr (now {lr})"
                )
            errors.append(err)
            self.history_.append(err)
            if callback is not None:
                callback(epoch, self, err)
        return errors

    def __repr__(self):
        return (
            f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}, "
            f"backend={self.backend.name!r}, dtype={self.dtype.name})"
        )
