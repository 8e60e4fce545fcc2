"""Autoencoders (undercomplete and denoising) and the three ways the slides use them.

An autoencoder is a network whose target is its own input (DL deck): an encoder
:math:`u = f(x) = \\sigma(W_e x + b_e)` with fewer units than inputs (undercomplete, so ``u`` has to
keep the information that matters), and a decoder :math:`\\hat x = g(u) = \\sigma(W_d u + b_d)`,
trained to minimise the reconstruction cost

.. math:: J_{ae} = \\frac{1}{n\\,d}\\sum_i \\sum_k -\\big[x_{ik}\\log \\hat x_{ik}
          + (1 - x_{ik}) \\log(1 - \\hat x_{ik})\\big].

A *denoising* autoencoder feeds a corrupted :math:`\\tilde x` (masking noise: each input zeroed
with probability ``noise``) and still asks for the clean ``x``.

For classification the slides give three uses (compared on MNIST by
``numbanet.experiments.vanishing.compare_autoencoder_uses``):

1. **features**: train the autoencoder, then a classifier on the codes ``u``;
2. **reconstructions**: use :math:`\\hat x` as a cleaned-up input (preprocessing) for a classifier;
3. **joint**: one encoder feeding both a classifier head and the decoder, trained on
   :math:`J = \\beta J_{clas} + (1 - \\beta) J_{ae}` (the reconstruction as a regulariser).

Everything is built from ``nb.Sequential`` and ``nb.Dense`` layers on any backend.
"""

from __future__ import annotations

import numpy as np

from .. import losses as L
from .. import optim as O
from .._validate import as_float_array, positive_float, positive_int, probability
from ..errors import ValidationError
from ..nn import Dense, Sequential, Sigmoid
from ..nn.activations import Identity, ReLU, Tanh
from ._common import check_seed, forward_np

__all__ = ["Autoencoder", "JointAutoencoder", "corrupt"]

_ACTS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "identity": Identity, "linear": Identity}


def _act(name):
    if name not in _ACTS:
        raise ValidationError(f"activation must be one of {', '.join(_ACTS)}; got {name!r}")
    return _ACTS[name]()


def corrupt(X, noise, rng):
    """Masking noise: each entry of ``X`` set to 0 with probability ``noise`` (a new array)."""
    if noise <= 0:
        return X
    keep = rng.random(X.shape) >= noise
    return (X * keep).astype(X.dtype, copy=False)


def _optimizer(name, params, lr):
    if isinstance(name, O.Optimizer):
        return name
    return O.get(name, params, lr)


class Autoencoder:
    """An undercomplete (optionally denoising) autoencoder on ``nb.Sequential``.

    Parameters
    ----------
    n_inputs : int
        ``d``.
    n_code : int
        Size of the code ``u``.
    hidden : sequence of int
        Sizes of encoder layers between the input and the code (the decoder mirrors them).
    activation : str
        Activation of hidden and code units ('sigmoid', 'tanh', 'relu').
    code_activation : str, optional
        Activation of the code layer; default ``activation`` ('identity' gives a linear code).
    noise : float in [0, 1)
        Masking-noise level of a denoising autoencoder (0: plain autoencoder).
    init : str
        Weight initialisation of the Dense layers.
    backend, seed, dtype
        As for ``nb.Sequential``.

    Attributes
    ----------
    net : Sequential
        Encoder layers followed by decoder layers, the output a ``Sigmoid`` (inputs in [0, 1]).
    n_encoder_layers : int
        ``net.layers[:n_encoder_layers]`` is the encoder.
    """

    def __init__(
        self,
        n_inputs,
        n_code,
        hidden=(),
        activation="sigmoid",
        code_activation=None,
        noise=0.0,
        init="glorot_uniform",
        backend="auto",
        seed=None,
        dtype=None,
    ):
        self.n_inputs = positive_int(n_inputs, "n_inputs")
        self.n_code = positive_int(n_code, "n_code")
        self.hidden = tuple(positive_int(h, "hidden") for h in hidden)
        self.noise = probability(noise, "noise")
        self.seed = check_seed(seed)
        sizes = (self.n_inputs, *self.hidden, self.n_code)
        enc = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            enc += [
                Dense(a, b, init=init),
                _act(code_activation or activation if last else activation),
            ]
        dec = []
        rsizes = sizes[::-1]
        for i, (a, b) in enumerate(zip(rsizes[:-1], rsizes[1:])):
            last = i == len(rsizes) - 2
            dec += [Dense(a, b, init=init), Sigmoid() if last else _act(activation)]
        self.n_encoder_layers = len(enc)
        self.net = Sequential(enc + dec, backend=backend, seed=seed, dtype=dtype)
        self.backend = self.net.backend
        self.dtype = self.net.dtype
        self.history_ = []
        self._opt = None
        self._fitted = False

    @property
    def encoder_layers(self):
        return self.net.layers[: self.n_encoder_layers]

    @property
    def decoder_layers(self):
        return self.net.layers[self.n_encoder_layers :]

    def _check_x(self, X, name="X"):
        X = as_float_array(X, name, self.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValidationError(
                f"{name} must have shape (n, {self.n_inputs}); got shape {X.shape}"
            )
        if X.min() < 0 or X.max() > 1:
            raise ValidationError(
                f"{name} must hold values in [0, 1] (the decoder ends in a sigmoid and the cost is "
                f"a binary cross-entropy); got values in [{X.min():.3g}, {X.max():.3g}]"
            )
        return X

    def _init_output_bias(self, X):
        """b_d = logit(mean pixel), clipped to [0.01, 0.99]: the decoder starts at the mean image.

        Without it the first thing a sigmoid autoencoder learns is the mean image, by making the
        decoder weights negative, and the encoder's gradient :math:`W_d^\\top(\\hat x - x)` then
        pushes every code unit to saturate at 1: a flat, useless code (observed on MNIST).
        """
        p = np.clip(X.mean(axis=0, dtype=np.float64), 0.01, 0.99)
        self.decoder_layers[-2].b.value = np.log(p / (1 - p))

    def fit(
        self,
        X,
        epochs=10,
        lr=1e-2,
        batch_size=64,
        optimizer="adam",
        seed=None,
        loss="bce",
        init_output_bias=True,
    ):
        """Train to reconstruct ``X`` (from a corrupted copy when ``noise > 0``).

        ``init_output_bias`` (first call only): start the decoder's output bias at the logit of the
        mean input, so training does not begin by learning the mean image.

        Returns
        -------
        losses : list of float
            Reconstruction cost of each epoch (on the corrupted inputs for a denoising model).
        """
        X = self._check_x(X)
        epochs = positive_int(epochs, "epochs")
        lr = positive_float(lr, "lr")
        rng = np.random.default_rng(check_seed(seed if seed is not None else self.seed))
        if self._opt is None or not isinstance(optimizer, str) or self._opt_name != optimizer:
            self._opt = _optimizer(optimizer, self.net.parameters(), lr)
            self._opt_name = optimizer
        self._opt.lr = lr
        if not self._fitted and init_output_bias:
            self._init_output_bias(X)
        self._fitted = True
        out = []
        for _ in range(epochs):
            xin = corrupt(X, self.noise, rng)
            h = self.net.fit(
                xin,
                X,
                loss=loss,
                optimizer=self._opt,
                epochs=1,
                batch_size=batch_size,
                seed=int(rng.integers(2**31)),
                progress=False,
                train_metrics=False,
            )
            out.append(float(h["loss"][-1]))
        self.history_ += out
        return out

    def encode(self, X):
        """Codes u = f(x), shape (n, n_code)."""
        return forward_np(self.net, self.encoder_layers, self._check_x(X))

    transform = encode

    def decode(self, U):
        """x_hat = g(u), shape (n, n_inputs)."""
        U = as_float_array(U, "U", self.dtype, ndim=2)
        if U.shape[1] != self.n_code:
            raise ValidationError(f"U must have shape (n, {self.n_code}); got {U.shape}")
        return forward_np(self.net, self.decoder_layers, U)

    def reconstruct(self, X):
        """x_hat = g(f(x)), shape (n, n_inputs)."""
        return forward_np(self.net, self.net.layers, self._check_x(X))

    def reconstruction_error(self, X):
        """Mean over examples of sum_k (x_k - x_hat_k)^2."""
        X = self._check_x(X)
        return float(np.mean(np.sum((X - self.reconstruct(X)) ** 2, axis=1, dtype=np.float64)))

    def encoder_weights(self):
        """[(W, b), ...] of the encoder's Dense layers, NumPy copies (W of shape (out, in))."""
        return [
            (layer.W.value.copy(), layer.b.value.copy())
            for layer in self.encoder_layers
            if isinstance(layer, Dense)
        ]

    def __repr__(self):
        return (
            f"Autoencoder({self.n_inputs}, {self.n_code}, hidden={self.hidden}, "
            f"noise={self.noise}, backend={self.backend.name!r})"
        )


class JointAutoencoder:
    """One encoder, two heads: a softmax classifier on ``u`` and a decoder, trained on

    .. math:: J = \\beta\\,J_{clas}(\\mathrm{softmax}(V u + a), y)
              + (1 - \\beta)\\,J_{ae}(\\sigma(W_d u + b_d), x).

    The gradient reaching the encoder is the weighted sum of the two heads' input gradients:
    :math:`\\partial J/\\partial u = \\beta\\,\\partial J_{clas}/\\partial u + (1-\\beta)\\,
    \\partial J_{ae}/\\partial u` (the two paths meet at ``u``).

    Parameters
    ----------
    n_inputs, n_code, n_classes : int
    beta : float in [0, 1]
        1 is a plain classifier, 0 a plain autoencoder (whose head is never trained).
    activation : str
        Code activation.
    noise : float
        Masking noise on the encoder's input (the decoder target stays clean).
    """

    def __init__(
        self,
        n_inputs,
        n_code,
        n_classes,
        beta=0.5,
        activation="sigmoid",
        noise=0.0,
        init="glorot_uniform",
        backend="auto",
        seed=None,
        dtype=None,
    ):
        self.n_inputs = positive_int(n_inputs, "n_inputs")
        self.n_code = positive_int(n_code, "n_code")
        self.n_classes = positive_int(n_classes, "n_classes", minimum=2)
        self.beta = probability(beta, "beta", closed_right=True)
        self.noise = probability(noise, "noise")
        self.seed = check_seed(seed)
        ss = np.random.SeedSequence(seed)
        s_enc, s_dec, s_head = (int(s.generate_state(1)[0]) for s in ss.spawn(3))
        kw = dict(backend=backend, dtype=dtype)
        self.encoder = Sequential(
            [Dense(n_inputs, n_code, init=init), _act(activation)], seed=s_enc, **kw
        )
        self.decoder = Sequential([Dense(n_code, n_inputs, init=init)], seed=s_dec, **kw)
        self.head = Sequential([Dense(n_code, n_classes, init=init)], seed=s_head, **kw)
        self.backend = self.encoder.backend
        self.dtype = self.encoder.dtype
        self.ae_loss = L.BCEWithLogits()  # J_ae on the decoder's logits, mean over pixels
        self.clas_loss = L.CrossEntropy()  # J_clas on the head's logits, mean over examples
        self.history_ = []

    def parameters(self):
        return self.encoder.parameters() + self.decoder.parameters() + self.head.parameters()

    def _check_x(self, X, name="X"):
        X = as_float_array(X, name, self.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValidationError(f"{name} must have shape (n, {self.n_inputs}); got {X.shape}")
        if X.min() < 0 or X.max() > 1:
            raise ValidationError(f"{name} must hold values in [0, 1]")
        return X

    def loss_and_grads(self, x_in, x_target, labels):
        """J and its gradients (accumulated into every parameter's ``.grad``) on one minibatch.

        ``x_in`` (n, d) is the encoder input (possibly corrupted), ``x_target`` (n, d) the clean
        reconstruction target, ``labels`` (n,) integer classes; NumPy or backend arrays.
        Returns (J, J_clas, J_ae) as floats.
        """
        be = self.backend
        xb = be.asarray(x_in, self.dtype)
        tb = be.asarray(x_target, self.dtype)
        lb = (
            be.asarray(np.asarray(labels, dtype=np.int64), np.int64)
            if not hasattr(labels, "copy_to_host")
            else labels
        )
        u = self.encoder._forward(xb, training=True)
        z_ae = self.decoder._forward(u, training=True)
        z_cl = self.head._forward(u, training=True)
        j_ae, g_ae = self.ae_loss.compute(be, z_ae, tb)
        j_cl, g_cl = self.clas_loss.compute(be, z_cl, lb)
        b = self.beta
        du_ae = self.decoder._backward(_scaled(be, g_ae, 1.0 - b, self.dtype))
        du_cl = self.head._backward(_scaled(be, g_cl, b, self.dtype))
        du = be.asarray(np.asarray(be.to_numpy(du_ae)) + np.asarray(be.to_numpy(du_cl)), self.dtype)
        self.encoder._want_input_grad = False
        try:
            self.encoder._backward(du)
        finally:
            self.encoder._want_input_grad = True
        return b * j_cl + (1 - b) * j_ae, j_cl, j_ae

    def fit(self, X, y, epochs=10, lr=1e-3, batch_size=64, optimizer="adam", seed=None):
        """Minibatch training of J; returns a list of per-epoch dicts {loss, clas, ae}."""
        X = self._check_x(X)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValidationError(f"y must be {X.shape[0]} integer labels; got shape {y.shape}")
        y = L.CrossEntropy().prepare_target(y, self.n_classes, self.dtype, n_rows=X.shape[0])
        epochs = positive_int(epochs, "epochs")
        bs = positive_int(batch_size, "batch_size")
        rng = np.random.default_rng(check_seed(seed if seed is not None else self.seed))
        opt = _optimizer(optimizer, self.parameters(), positive_float(lr, "lr"))
        if not self.history_:  # decoder starts at the mean image (see Autoencoder)
            p = np.clip(X.mean(axis=0, dtype=np.float64), 0.01, 0.99)
            self.decoder.layers[0].b.value = np.log(p / (1 - p))
        n = X.shape[0]
        out = []
        for _ in range(epochs):
            perm = rng.permutation(n)
            xin_all = corrupt(X, self.noise, rng)
            tot = np.zeros(3)
            for s in range(0, n, bs):
                idx = perm[s : s + bs]
                opt.zero_grad()
                vals = self.loss_and_grads(xin_all[idx], X[idx], y[idx])
                opt.step()
                tot += np.array(vals) * len(idx)
            tot /= n
            if not np.isfinite(tot).all():
                raise ValidationError(f"joint training diverged (loss {tot[0]}); lower lr ({lr})")
            out.append({"loss": tot[0], "clas": tot[1], "ae": tot[2]})
        self.history_ += out
        return out

    def encode(self, X):
        return forward_np(self.encoder, self.encoder.layers, self._check_x(X))

    def reconstruct(self, X):
        u = self.encode(X)
        z = forward_np(self.decoder, self.decoder.layers, u)
        return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))

    def predict_classes(self, X):
        u = self.encode(X)
        return forward_np(self.head, self.head.layers, u).argmax(axis=1)

    def score(self, X, y):
        return float(np.mean(self.predict_classes(X) == np.asarray(y)))


def _scaled(be, g, factor, dtype):
    """factor * g for a backend array (host round trip on device backends; small arrays)."""
    if factor == 1.0:
        return g
    return be.asarray(np.asarray(be.to_numpy(g)) * dtype.type(factor), dtype)
