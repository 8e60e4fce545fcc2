"""The best plain-NumPy minibatch SGD for dense nets we could write (Nielsen and tiny workloads).

float32, every buffer preallocated, ``np.matmul(..., out=)``, activations and updates in place,
the 1/m of the minibatch mean folded into the output delta. Weights in numbanet's (out, in)
layout, forward ``z = x W^T + b``.
"""

from __future__ import annotations

import numpy as np


class NumpySGD:
    """``act`` "sigmoid" (every layer, Nielsen) or "relu" (hidden layers, identity output);
    ``loss_scale`` is c of the gradient c (a - y) / m: 1 for 1/2||a - y||^2, 2/k for the mean
    squared error over k outputs."""

    def __init__(self, params, act, loss_scale, lr, bs):
        self.W = [np.array(w, np.float32) for w in params[0::2]]
        self.b = [np.array(b, np.float32) for b in params[1::2]]
        self.act, self.loss_scale = act, loss_scale
        self.lr = np.float32(lr)
        sizes = [self.W[0].shape[1]] + [w.shape[0] for w in self.W]
        self.bs = bs
        self.x = np.empty((bs, sizes[0]), np.float32)
        self.t = np.empty((bs, sizes[-1]), np.float32)
        self.a = [np.empty((bs, s), np.float32) for s in sizes[1:]]
        self.d = [np.empty((bs, s), np.float32) for s in sizes[1:]]
        self.tmp = [np.empty((bs, s), np.float32) for s in sizes[1:]]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]

    def _act(self, z, last):
        if self.act == "sigmoid":
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)
        elif not last:
            np.maximum(z, 0, out=z)

    def _dact(self, a, d, tmp, last):
        """d *= act'(z), from a = act(z)."""
        if self.act == "sigmoid":
            np.subtract(1, a, out=tmp)
            tmp *= a
            d *= tmp
        elif not last:
            np.greater(a, 0, out=tmp)
            d *= tmp

    def epoch(self, X, T, perm=None):
        """One pass over ``X`` in the order ``perm`` (None: in order, batches are views)."""
        with np.errstate(over="ignore"):  # exp(-z) = inf for z << 0 gives sigmoid 0, correctly
            self._epoch(X, T, perm)

    def _epoch(self, X, T, perm):
        n = X.shape[0] if perm is None else perm.shape[0]
        L = len(self.W)
        for s in range(0, n, self.bs):
            if perm is None:
                x, t = X[s : s + self.bs], T[s : s + self.bs]
                m = x.shape[0]
            else:
                idx = perm[s : s + self.bs]
                m = idx.shape[0]
                x = self.x[:m]
                np.take(X, idx, axis=0, out=x)
                t = self.t[:m]
                np.take(T, idx, axis=0, out=t)
            prev = x
            for l in range(L):
                a = self.a[l][:m]
                np.matmul(prev, self.W[l].T, out=a)
                a += self.b[l]
                self._act(a, l == L - 1)
                prev = a
            d = self.d[L - 1][:m]
            np.subtract(prev, t, out=d)
            d *= np.float32(self.loss_scale / m)
            self._dact(prev, d, self.tmp[L - 1][:m], True)
            for l in range(L - 1, -1, -1):
                inp = x if l == 0 else self.a[l - 1][:m]
                np.matmul(d.T, inp, out=self.gW[l])
                np.sum(d, axis=0, out=self.gb[l])
                if l > 0:
                    nd = self.d[l - 1][:m]
                    np.matmul(d, self.W[l], out=nd)
                    self._dact(inp, nd, self.tmp[l - 1][:m], False)
                self.gW[l] *= self.lr
                self.W[l] -= self.gW[l]
                self.gb[l] *= self.lr
                self.b[l] -= self.gb[l]
                if l > 0:
                    d = nd

    def predict(self, X):
        with np.errstate(over="ignore"):
            a = X
            for l in range(len(self.W)):
                a = a @ self.W[l].T + self.b[l]
                if self.act == "sigmoid":
                    a = 1 / (1 + np.exp(-a))
                elif l < len(self.W) - 1:
                    a = np.maximum(a, 0)
            return a
