"""Composition and depth, as weight arithmetic on real ``Sequential`` models (deck 000, UDL ch. 4).

``merge(net1, net2)``
    "Componer dos redes (shallow) en una": net2 applied to net1's output is one net whose
    hidden-to-hidden matrix is the product of net2's first and net1's last weights. For the
    deck's two 1-3-1 nets (a scalar y between them), the 1-3-3-1 result has

    .. math:: \\psi_{ij} = \\theta'_{i1} \\phi_j,\\qquad
              \\psi_{i0} = \\theta'_{i0} + \\theta'_{i1} \\phi_0

    ("Restricciones sobre los pesos ... psi = theta phi"): Psi is an outer product, of rank 1,
    while a general 1-3-3-1 net (the deck's "deep-as-clipping" example) has a full-rank Psi.
``deepen(net, extra_layers)``
    "para redes profundas se puede hacer que el resto de capas calculen la función identidad":
    a deeper ReLU net computing exactly the same function, the extra layers passing each output
    y through as relu(y) - relu(-y).
"""

from __future__ import annotations

import copy

import numpy as np

from ..errors import ValidationError

__all__ = ["merge", "deepen", "hidden_matrix_rank"]


def _check_seq(net, name):
    from ..nn import Sequential

    if not isinstance(net, Sequential):
        raise ValidationError(f"{name} must be a numbanet.Sequential; got {type(net).__name__}")


def _assemble(parts, like):
    """A Sequential from ``parts``: (layer, {name: value}) pairs, each layer a fresh copy of the
    given one, on ``like``'s backend and dtype, with the given parameter values."""
    from ..nn import Sequential

    layers = []
    for layer, _ in parts:
        c = copy.copy(layer)
        c._params = {}
        c.__dict__.pop("_zero_b", None)
        c.frozen = False
        layers.append(c)
    net = Sequential(layers, backend=like.backend, seed=0, dtype=like.dtype)
    for layer, (_, values) in zip(net.layers, parts):
        for k, v in values.items():
            getattr(layer, k).value = np.asarray(v, dtype=net.dtype)
    return net


def _values(layer):
    return {name: np.array(p.value, dtype=np.float64) for name, p in layer._params.items()}


def _dense(d_in, d_out, W, b):
    from ..nn import Dense

    return Dense(d_in, d_out), {"W": W, "b": b}


def merge(net1, net2):
    """The single net equal to ``net2(net1(x))``.

    Parameters
    ----------
    net1 : Sequential
        Ending in a ``Dense`` layer (a linear output, as the deck's y).
    net2 : Sequential
        Starting with a ``Dense`` layer taking net1's outputs.

    Returns
    -------
    Sequential
        net1's layers but its last Dense, one Dense with

        .. math:: \\Psi = W_{2,\\text{first}} W_{1,\\text{last}},\\quad
                  \\psi_0 = W_{2,\\text{first}} b_{1,\\text{last}} + b_{2,\\text{first}},

        then net2's remaining layers: on the backend and dtype of net1. Psi has rank at most the
        width of net1's output (1 for the deck's 1-3-1 nets). A 1-3-1 with a 1-3-1 gives the
        deck's 1-3-3-1 net.
    """
    from ..nn import Dense

    _check_seq(net1, "net1")
    _check_seq(net2, "net2")
    last, first = net1.layers[-1], net2.layers[0]
    if type(last) is not Dense:
        raise ValidationError(
            f"merge needs net1 to end in a Dense layer (a linear output); it ends in "
            f"{type(last).__name__}"
        )
    if type(first) is not Dense:
        raise ValidationError(
            f"merge needs net2 to start with a Dense layer; it starts with {type(first).__name__}"
        )
    if first.in_features != last.out_features:
        raise ValidationError(
            f"net1 has {last.out_features} outputs but net2 takes {first.in_features} inputs"
        )
    v1, v2 = _values(last), _values(first)
    b1 = v1.get("b", np.zeros(last.out_features))
    b2 = v2.get("b", np.zeros(first.out_features))
    Psi = v2["W"] @ v1["W"]
    psi0 = v2["W"] @ b1 + b2
    parts = [(layer, _values(layer)) for layer in net1.layers[:-1]]
    parts.append(_dense(last.in_features, first.out_features, Psi, psi0))
    parts += [(layer, _values(layer)) for layer in net2.layers[1:]]
    return _assemble(parts, net1)


def deepen(net, extra_layers=1):
    """A deeper ReLU net equal to ``net`` everywhere: its output passed through ``extra_layers``
    hidden ReLU layers that compute the identity.

    Each output :math:`y_k` is carried as the pair :math:`(\\mathrm{relu}(y_k),
    \\mathrm{relu}(-y_k))` (2 * outputs units per extra layer) and read back as their
    difference, :math:`y = \\mathrm{relu}(y) - \\mathrm{relu}(-y)`:

    * net's last Dense (W, b) becomes Dense with weights [W; -W] and biases [b; -b], then ReLU;
    * each further extra layer: Dense with [[I, -I], [-I, I]], no bias, then ReLU;
    * a final Dense [I, -I] returns y.

    Parameters
    ----------
    net : Sequential
        Ending in a ``Dense`` layer (a linear output).
    extra_layers : int >= 1
        Hidden layers added.

    Returns
    -------
    Sequential
        On net's backend and dtype; ``len(net.layers) + 2 * extra_layers`` layers.
    """
    from ..nn import Dense, ReLU

    _check_seq(net, "net")
    if (
        isinstance(extra_layers, bool)
        or not isinstance(extra_layers, (int, np.integer))
        or (extra_layers < 1)
    ):
        raise ValidationError(f"extra_layers must be an integer >= 1; got {extra_layers!r}")
    last = net.layers[-1]
    if type(last) is not Dense:
        raise ValidationError(
            f"deepen needs net to end in a Dense layer (a linear output); it ends in "
            f"{type(last).__name__}"
        )
    v = _values(last)
    o = last.out_features
    W, b = v["W"], v.get("b", np.zeros(o))
    eye = np.eye(o)
    parts = [(layer, _values(layer)) for layer in net.layers[:-1]]
    parts.append(_dense(last.in_features, 2 * o, np.vstack([W, -W]), np.concatenate([b, -b])))
    parts.append((ReLU(), {}))
    for _ in range(int(extra_layers) - 1):
        parts.append((Dense(2 * o, 2 * o, bias=False), {"W": np.block([[eye, -eye], [-eye, eye]])}))
        parts.append((ReLU(), {}))
    parts.append((Dense(2 * o, o, bias=False), {"W": np.hstack([eye, -eye])}))
    return _assemble(parts, net)


def hidden_matrix_rank(net, index=1, rtol=1e-10):
    """Numerical rank of the weight matrix of the ``index``-th Dense layer (0-based) of ``net``
    (``index=1``: the hidden-to-hidden matrix Psi of a net with two hidden layers); singular
    values below ``rtol`` times the largest count as zero."""
    from ..nn import Dense

    _check_seq(net, "net")
    dense = [layer for layer in net.layers if type(layer) is Dense]
    if not 0 <= index < len(dense):
        raise ValidationError(f"net has {len(dense)} Dense layers; index {index} is out of range")
    s = np.linalg.svd(np.asarray(dense[index].W.value, dtype=np.float64), compute_uv=False)
    return int(np.sum(s > rtol * s[0])) if s.size and s[0] > 0 else 0
