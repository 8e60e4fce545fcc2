"""Backpropagation written out layer by layer: deck 001's worked example, for any dense net.

Deck 001 ("Ejemplo: propagación hacia adelante", "Ejemplo: retropropagación (1)-(3)") numbers the
layers from the input: ``a^{1} = x``, ``z^{l+1} = W^{l} a^{l}`` and ``a^{l+1} = phi(z^{l+1})``, so
the weights *into* layer ``l`` are ``W^{l-1}`` (Nielsen writes them ``w^l``; numbanet's ``Dense``
holds them as ``W`` of shape (out, in)). The deck's example has no biases; numbanet's Dense has one,
written ``b^{l}`` here. The four backpropagation equations, in that numbering
(:math:`\\odot` the elementwise product, :math:`C` the loss the engine minimises, i.e. the mean
over the batch):

.. math::
    \\delta^{L} = \\nabla_{a^{L}} C \\odot \\phi'(z^{L})                     \\quad\\text{(BP1)}\\\\
    \\delta^{l} = ((W^{l})^\\top \\delta^{l+1}) \\odot \\phi'(z^{l})          \\quad\\text{(BP2)}\\\\
    \\partial C / \\partial b^{l} = \\delta^{l}                              \\quad\\text{(BP3)}\\\\
    \\partial C / \\partial W^{l-1} = \\delta^{l} (a^{l-1})^\\top             \\quad\\text{(BP4)}

(over a batch, BP3 and BP4 sum over the examples). :func:`trace` evaluates these equations in
plain NumPy float64 from the net's weights, and checks every quantity twice: against the engine's
own backward pass (the layers' ``backward`` on the reference backend in float64) and against
central finite differences of the loss (perturbing each ``z^{l}`` for the deltas, each weight and
bias for the gradients). A Softmax output uses its full Jacobian in BP1; with a cross-entropy loss
the net's final Softmax is absorbed into the loss, as ``fit`` does, and BP1 reads
``delta^{L} = (a^{L} - y) / n``.

Only plain dense stacks are traced (Dense layers, each optionally followed by one activation
layer); convolutional, recurrent or normalisation layers are refused with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ValidationError

__all__ = ["LayerTrace", "BackpropTrace", "trace", "dense_net"]


@dataclass
class LayerTrace:
    """One computing layer ``l`` (2..L in the deck's numbering).

    z, a, delta : ndarray of shape (n, d_l)
    dW : ndarray of shape (d_l, d_{l-1}) -- dC/dW^{l-1} by BP4
    db : ndarray of shape (d_l,) or None -- dC/db^{l} by BP3 (None without a bias)
    activation : str -- the activation's name ("identity" when a Dense is not followed by one)
    """

    index: int
    z: np.ndarray
    a: np.ndarray
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray | None
    activation: str


@dataclass
class BackpropTrace:
    """Result of :func:`trace`: the input, the layers, the loss and the checks.

    ``checks`` maps a name (``"BP1 vs engine"``, ``"BP4 vs finite differences"``, ...) to the
    largest absolute difference found; ``ok`` is True when every one is below ``tol``.
    """

    x: np.ndarray
    y: np.ndarray
    loss_name: str
    loss_value: float
    layers: list[LayerTrace]
    checks: dict[str, float] = field(default_factory=dict)
    tol: float = 1e-6

    @property
    def ok(self) -> bool:
        return all(v <= self.tol for v in self.checks.values())

    def report(self, precision: int = 5) -> str:
        """A printable account: the forward pass, the deltas and gradients, then the checks."""

        def fmt(arr):
            return np.array2string(
                np.asarray(arr), precision=precision, suppress_small=True, max_line_width=96
            ).replace("\n", "\n" + " " * 14)

        out = [f"input a^{{1}} = x: {fmt(self.x)}", f"target y:         {fmt(self.y)}"]
        out.append("forward")
        for lt in self.layers:
            out.append(f"  z^{{{lt.index}}}     = {fmt(lt.z)}")
            out.append(f"  a^{{{lt.index}}}     = {fmt(lt.a)}   ({lt.activation})")
        out.append(f"loss {self.loss_name} C = {self.loss_value:.{precision + 3}g}")
        out.append("backward")
        for lt in reversed(self.layers):
            eq = "BP1" if lt is self.layers[-1] else "BP2"
            out.append(f"  delta^{{{lt.index}}} = {fmt(lt.delta)}   ({eq})")
            out.append(f"  dC/dW^{{{lt.index - 1}}} = {fmt(lt.dW)}   (BP4)")
            if lt.db is not None:
                out.append(f"  dC/db^{{{lt.index}}} = {fmt(lt.db)}   (BP3)")
        out.append(f"checks (largest absolute difference, tolerance {self.tol:g})")
        w = max(len(k) for k in self.checks)
        for k, v in self.checks.items():
            out.append(f"  {k.ljust(w)}  {v:.3e}  {'ok' if v <= self.tol else 'FAILED'}")
        out.append("all four equations hold" if self.ok else "SOME CHECKS FAILED")
        return "\n".join(out)

    def __str__(self):
        return self.report()


# ---------------------------------------------------------------- activations in plain NumPy
def _act_numpy(layer):
    """(name, f, f') of an activation layer, written independently of the engine's kernels."""
    from ..nn import activations as A

    t = type(layer)
    alpha = float(getattr(layer, "alpha", 0.0))

    def sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    table = {
        A.Identity: ("identity", lambda z: z, lambda z: np.ones_like(z)),
        A.Sigmoid: ("sigmoid", sig, lambda z: sig(z) * (1.0 - sig(z))),
        A.Tanh: ("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
        A.ReLU: ("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
        A.LeakyReLU: (
            f"leaky_relu({alpha:g})",
            lambda z: np.where(z > 0, z, alpha * z),
            lambda z: np.where(z > 0, 1.0, alpha),
        ),
        A.ELU: (
            f"elu({alpha:g})",
            lambda z: np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))),
            lambda z: np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))),
        ),
        A.Softplus: ("softplus", lambda z: np.logaddexp(0.0, z), sig),
        A.SiLU: ("silu", lambda z: z * sig(z), lambda z: sig(z) * (1.0 + z * (1.0 - sig(z)))),
    }
    if t in table:
        return table[t]
    raise ValidationError(
        f"backprop.trace follows Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus and SiLU "
        f"activations (and a final Softmax); got {t.__name__}"
    )


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _stages(layers):
    """Group the layers into (Dense, activation layer or None) pairs, refusing anything else."""
    from ..nn import Dense, Softmax
    from ..nn.activations import Activation

    stages, i = [], 0
    while i < len(layers):
        d = layers[i]
        if type(d) is not Dense:
            raise ValidationError(
                f"backprop.trace needs a dense stack (Dense layers, each optionally followed by an "
                f"activation); layer {i} is {type(d).__name__}"
            )
        act = None
        if i + 1 < len(layers) and type(layers[i + 1]) is not Dense:
            act = layers[i + 1]
            if isinstance(act, Softmax):
                if i + 2 != len(layers):
                    raise ValidationError("backprop.trace accepts Softmax only as the last layer")
            elif not isinstance(act, Activation):
                raise ValidationError(
                    f"backprop.trace needs a dense stack; layer {i + 1} is {type(act).__name__}"
                )
            i += 1
        stages.append((d, act))
        i += 1
    if not stages:
        raise ValidationError("backprop.trace needs at least one Dense layer")
    return stages


class _Plain:
    """The net's dense stack as NumPy float64 arrays: forward from any layer, the loss, BP1-BP4."""

    def __init__(self, stages, loss):
        from ..nn import Softmax

        self.W = [np.array(d.W.value, dtype=np.float64) for d, _ in stages]
        self.b = [np.array(d.b.value, dtype=np.float64) if d.use_bias else None for d, _ in stages]
        self.acts = []
        for _, act in stages:
            if act is None:
                self.acts.append(_act_numpy_identity())
            elif isinstance(act, Softmax):
                self.acts.append(("softmax", _softmax, None))
            else:
                self.acts.append(_act_numpy(act))
        self.loss = loss

    def forward(self, x, start=0, z_start=None):
        """z's and a's of every stage; with ``z_start`` the pre-activation of stage ``start``
        replaced (to differentiate C with respect to it)."""
        zs, As = [], []
        a = x
        for k in range(len(self.W)):
            if k < start:
                zs.append(None)
                As.append(None)
                continue
            if k == start and z_start is not None:
                z = z_start
            else:
                z = a @ self.W[k].T + (self.b[k] if self.b[k] is not None else 0.0)
            a = self.acts[k][1](z)
            zs.append(z)
            As.append(a)
        return zs, As

    def cost(self, a_out, y):
        return self.loss.forward(a_out, y)

    def cost_grad(self, a_out, y):
        self.loss.forward(a_out, y)
        return np.asarray(self.loss.backward(), dtype=np.float64)

    def backprop(self, x, y):
        zs, As = self.forward(x)
        L = len(self.W)
        g = self.cost_grad(As[-1], y)
        deltas = [None] * L
        name, _, dphi = self.acts[-1]
        if name == "softmax":  # BP1 with the softmax Jacobian: J^T g = a (g - <g, a>)
            a = As[-1]
            deltas[-1] = a * (g - (g * a).sum(axis=1, keepdims=True))
        else:
            deltas[-1] = g * dphi(zs[-1])  # BP1
        for k in range(L - 2, -1, -1):
            deltas[k] = (deltas[k + 1] @ self.W[k + 1]) * self.acts[k][2](zs[k])  # BP2
        a_prev = [x] + As[:-1]
        dW = [deltas[k].T @ a_prev[k] for k in range(L)]  # BP4
        db = [deltas[k].sum(axis=0) if self.b[k] is not None else None for k in range(L)]  # BP3
        return zs, As, deltas, dW, db


def _act_numpy_identity():
    return ("identity", lambda z: z, lambda z: np.ones_like(z))


def _engine_pass(net, layers, loss, x, y, stages):
    """The engine's own deltas and gradients: the layers' forward/backward on the reference
    backend in float64, the delta of each stage being the gradient leaving its activation."""
    ref = net.clone(backend="reference", dtype=np.float64)
    idx = {id(layer): i for i, layer in enumerate(net.layers)}
    rl = [ref.layers[idx[id(layer)]] for layer in layers]
    h = x
    for layer in rl:
        h = layer.forward(h, training=False)
    t = loss.prepare_target(y, h.shape[1], np.float64, n_rows=h.shape[0])
    _, g = loss.compute(ref.backend, h, t)
    ref.zero_grad()
    stage_of = {id(d): j for j, (d, _) in enumerate(stages)}
    deltas = [None] * len(stages)
    for i in range(len(rl) - 1, -1, -1):
        if id(layers[i]) in stage_of:  # the gradient arriving at a Dense is dC/dz of its stage
            deltas[stage_of[id(layers[i])]] = np.array(g, dtype=np.float64)
        g = rl[i].backward(g, need_dx=True)
    dW, db = [], []
    for d, _ in stages:
        r = ref.layers[idx[id(d)]]
        dW.append(np.array(r.W.grad, dtype=np.float64))
        db.append(np.array(r.b.grad, dtype=np.float64) if r.use_bias else None)
    return deltas, dW, db


def trace(net, x, y, loss="mse", eps=1e-6, tol=1e-6, max_fd=2000):
    """Backpropagation layer by layer, checked against the engine and finite differences.

    Parameters
    ----------
    net : numbanet.Sequential
        A dense stack: Dense layers, each optionally followed by an activation (a Softmax only
        last). Any backend and dtype; the trace runs in float64 on a copy.
    x : array_like of shape (n, d_in) or (d_in,)
        One example (the deck's ``x^{(i)}``) or a small batch.
    y : array_like
        Targets as ``fit`` takes them (rows, or class labels).
    loss : str or numbanet.losses.Loss
        The loss, as in ``fit`` (``"mse"`` is the deck's ``1/2 (y - y_hat)^2``; the engine divides
        by the batch size, so for a batch C is the mean, the deck's sum over ``N``).
    eps : float
        Step of the central differences.
    tol : float
        Largest absolute difference accepted by ``ok``.
    max_fd : int
        Finite differences are taken on at most this many entries per quantity (a regular
        subsample beyond that), to keep large nets quick.

    Returns
    -------
    BackpropTrace
        ``layers[k]`` holds z, a, delta, dW, db of layer ``k + 2``; ``checks`` the differences:
        BP1/BP2 deltas against the engine and against d C / d z by finite differences, BP3/BP4
        gradients against the engine's parameter gradients and finite differences.

    .. math:: \\delta^{l} = \\partial C / \\partial z^{l}
    """
    from .. import losses as _losses
    from ..nn import Sequential

    if not isinstance(net, Sequential):
        raise ValidationError(
            f"backprop.trace needs a numbanet.Sequential; got {type(net).__name__}"
        )
    loss_obj = _losses.get(loss)
    layers, loss_obj = net._split_for_loss(loss_obj)
    stages = _stages(list(layers))
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    d_in = stages[0][0].in_features
    if x.ndim != 2 or x.shape[1] != d_in or x.shape[0] < 1:
        raise ValidationError(
            f"x must have shape (n, {d_in}) or ({d_in},) for this net; got {np.shape(x)}"
        )
    if not np.all(np.isfinite(x)):
        raise ValidationError("x must be finite")
    y_arr = np.asarray(y)
    if y_arr.dtype.kind == "f" and y_arr.ndim == 1 and x.shape[0] == 1:
        y_arr = y_arr.reshape(1, -1)
    plain = _Plain(stages, loss_obj)
    # the loss validates y (shape, range) with its own message
    y_t = loss_obj.prepare_target(
        y_arr, stages[-1][0].out_features, np.float64, n_rows=x.shape[0], name="y"
    )
    if y_t.ndim == 1:  # labels: one-hot rows for the NumPy side
        onehot = np.zeros((y_t.shape[0], stages[-1][0].out_features))
        onehot[np.arange(y_t.shape[0]), y_t] = 1.0
        y_rows = onehot
    else:
        y_rows = np.asarray(y_t, dtype=np.float64)

    zs, As, deltas, dW, db = plain.backprop(x, y_rows)
    e_deltas, e_dW, e_db = _engine_pass(net, list(layers), loss_obj, x, y_arr, stages)

    def maxdiff(a, b):
        return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if np.size(a) else 0.0

    def fd_indices(size):
        return np.arange(size) if size <= max_fd else np.linspace(0, size - 1, max_fd).astype(int)

    # finite differences of C with respect to each z^l (the deltas)
    fd_delta = []
    for k in range(len(stages)):
        z0 = zs[k]
        num = np.zeros_like(z0)
        flat = num.reshape(-1)
        for j in fd_indices(z0.size):
            zp = z0.copy().reshape(-1)
            zp[j] += eps
            cp = plain.cost(plain.forward(x, k, zp.reshape(z0.shape))[1][-1], y_rows)
            zp[j] -= 2 * eps
            cm = plain.cost(plain.forward(x, k, zp.reshape(z0.shape))[1][-1], y_rows)
            flat[j] = (cp - cm) / (2 * eps)
        fd_delta.append((num, fd_indices(z0.size)))

    def fd_param(arr):
        num = np.zeros_like(arr)
        flat, src = num.reshape(-1), arr.reshape(-1)
        idx = fd_indices(arr.size)
        for j in idx:
            old = src[j]
            src[j] = old + eps
            cp = plain.cost(plain.forward(x)[1][-1], y_rows)
            src[j] = old - eps
            cm = plain.cost(plain.forward(x)[1][-1], y_rows)
            src[j] = old
            flat[j] = (cp - cm) / (2 * eps)
        return num, idx

    fd_W = [fd_param(w) for w in plain.W]
    fd_b = [fd_param(b) if b is not None else None for b in plain.b]

    def sub(a, idx):
        return np.asarray(a).reshape(-1)[idx]

    L = len(stages)
    checks = {
        "BP1 vs engine": maxdiff(deltas[-1], e_deltas[-1]),
        "BP1 vs finite differences": maxdiff(
            sub(deltas[-1], fd_delta[-1][1]), sub(fd_delta[-1][0], fd_delta[-1][1])
        ),
    }
    if L > 1:
        checks["BP2 vs engine"] = max(maxdiff(deltas[k], e_deltas[k]) for k in range(L - 1))
        checks["BP2 vs finite differences"] = max(
            maxdiff(sub(deltas[k], fd_delta[k][1]), sub(fd_delta[k][0], fd_delta[k][1]))
            for k in range(L - 1)
        )
    with_b = [k for k in range(L) if db[k] is not None]
    if with_b:
        checks["BP3 vs engine"] = max(maxdiff(db[k], e_db[k]) for k in with_b)
        checks["BP3 vs finite differences"] = max(
            maxdiff(sub(db[k], fd_b[k][1]), sub(fd_b[k][0], fd_b[k][1])) for k in with_b
        )
    checks["BP4 vs engine"] = max(maxdiff(dW[k], e_dW[k]) for k in range(L))
    checks["BP4 vs finite differences"] = max(
        maxdiff(sub(dW[k], fd_W[k][1]), sub(fd_W[k][0], fd_W[k][1])) for k in range(L)
    )
    layer_traces = [
        LayerTrace(k + 2, zs[k], As[k], deltas[k], dW[k], db[k], plain.acts[k][0]) for k in range(L)
    ]
    name = getattr(loss_obj, "name", type(loss_obj).__name__)
    if len(layers) < len(net.layers):
        name += " (final softmax/sigmoid absorbed: delta^L from the logits)"
    return BackpropTrace(
        x=x,
        y=y_rows,
        loss_name=name,
        loss_value=float(plain.cost(As[-1], y_rows)),
        layers=layer_traces,
        checks=checks,
        tol=tol,
    )


def dense_net(widths, activation="sigmoid", output="identity", seed=0, init="nielsen"):
    """A small dense ``Sequential`` from widths like ``[2, 3, 2]`` (the CLI's ``2-3-2``): every
    hidden layer followed by ``activation``, the last by ``output`` (``"identity"``: none), float64
    on the reference backend."""
    from ..nn import Dense, Sequential
    from ..nn import activations as A

    names = {
        "identity": None,
        "linear": None,
        "sigmoid": A.Sigmoid,
        "tanh": A.Tanh,
        "relu": A.ReLU,
        "leaky_relu": A.LeakyReLU,
        "elu": A.ELU,
        "softplus": A.Softplus,
        "silu": A.SiLU,
    }
    from ..nn import Softmax

    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValidationError(f"widths need an input and an output, each >= 1; got {widths}")
    for n in (activation, output):
        if n not in names and not (n == "softmax" and n is output):
            raise ValidationError(f"unknown activation {n!r}; choose one of {', '.join(names)}")
    layers = []
    for i in range(len(widths) - 1):
        layers.append(Dense(widths[i], widths[i + 1], init=init))
        last = i == len(widths) - 2
        name = output if last else activation
        if name == "softmax":
            layers.append(Softmax())
        elif names[name] is not None:
            layers.append(names[name]())
    return Sequential(layers, backend="reference", seed=seed, dtype=np.float64)
