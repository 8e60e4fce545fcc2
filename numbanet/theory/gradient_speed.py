"""Gradient speed: how fast each layer learns, and why deep sigmoid nets learn slowly.

Nielsen (*Neural Networks and Deep Learning*, ch. 5) measures the *speed of learning* of hidden
layer l as the length of the gradient of the cost with respect to that layer's biases,

.. math:: s_l = \\Big\\| \\frac{1}{n} \\sum_x \\frac{\\partial C_x}{\\partial b^l} \\Big\\|_2 ,

and finds at initialisation that each layer learns several times more slowly than the next: the
*vanishing gradient*. Backpropagation explains it: :math:`\\delta^l = (W^{l+1})^T \\delta^{l+1}
\\odot \\sigma'(z^l)` multiplies by :math:`\\sigma' \\le 1/4` at every layer.

Everything here runs the engine's own forward and backward passes on a real ``Sequential``; the
speeds are read from the biases' ``.grad`` after one full-batch pass with a loss that is a mean
over the examples.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_int
from ..errors import ValidationError


def _walk(layers):
    """The layers in order, those inside a residual block's branch included (its skip-path
    projection is not a layer of the net's depth)."""
    for layer in layers:
        yield layer
        yield from _walk(getattr(layer, "block", ()))


def _dense_layers(net, need_bias=True):
    from ..nn.layers import Dense

    dense = [layer for layer in _walk(net.layers) if isinstance(layer, Dense)]
    if len(dense) < 2:
        raise ValidationError("gradient speeds need a network with at least one hidden Dense layer")
    for d in dense:
        if need_bias and not d.use_bias:
            raise ValidationError(
                "gradient speeds are measured on the biases; a Dense has bias=False"
            )
    return dense


def full_batch_gradients(net, x, y, loss, training=False):
    """Run one full-batch forward and backward pass; parameters' ``.grad`` then hold
    (1/n) sum_x dC_x/dtheta (the loss is a mean over examples). Returns the loss value.

    ``training=True`` runs the forward pass as a training step does (batch normalisation with
    the batch's statistics, which also moves its running estimates)."""
    from .. import losses as L

    loss = L.get(loss)
    x = net._check_input(x)
    layers, eff = net._split_for_loss(loss)
    target = eff.prepare_target(y, net._n_out(), net.dtype, n_rows=x.shape[0])
    be = net.backend
    xb = be.asarray(x, net.dtype)
    out = net._forward(xb, training=bool(training), layers=layers)
    value, grad = eff.compute(be, out, be.asarray(target, target.dtype))
    net.zero_grad()
    net._want_input_grad = False
    try:
        net._backward(grad, layers)
    finally:
        net._want_input_grad = True
    return value


def layer_speeds(net, x, y, loss="sigmoid_cross_entropy", which="bias", training=False):
    """Speed of learning of each hidden layer.

    Parameters
    ----------
    net : Sequential
        Dense layers with activations in between (any backend).
    x : ndarray of shape (n, d_in)
    y : ndarray of shape (n,) or (n, d_out)
    loss : str or Loss
        Default: Nielsen's per-unit sigmoid cross-entropy (network2).
    which : {"bias", "weight"}
        ``"bias"``: ||mean dC/db^l|| (Nielsen's definition); ``"weight"``: ||mean dC/dW^l||_F
        (the one to use before a batch normalisation, which makes dC/db^l exactly zero).
    training : bool
        Forward pass in training mode (see ``full_batch_gradients``).

    Returns
    -------
    ndarray of shape (n_hidden,)
        Speeds of hidden layers 1..K (the output layer is left out, as in the slides).
    """
    if which not in ("bias", "weight"):
        raise ValidationError(f"which must be 'bias' or 'weight'; got {which!r}")
    dense = _dense_layers(net, need_bias=which == "bias")
    full_batch_gradients(net, x, y, loss, training)
    name = "b" if which == "bias" else "W"
    return np.array([float(np.linalg.norm(d._params[name].grad)) for d in dense[:-1]])


def nielsen_network2(sizes, seed=0, backend="cpu", dtype=np.float64):
    """Nielsen's network2 set-up: sigmoid layers, weights N(0, 1/n_in), biases N(0, 1).

    ``numbanet.models.mlp(sizes, "sigmoid", output="sigmoid", init="nielsen")`` with his
    defaults (float64). Use with ``loss="sigmoid_cross_entropy"`` (his ``CrossEntropyCost``)."""
    from ..models import mlp

    return mlp(
        sizes, "sigmoid", output="sigmoid", init="nielsen", backend=backend, seed=seed, dtype=dtype
    )


def initial_speeds(sizes, x, y, seeds=(0, 1, 2, 3, 4), backend="cpu"):
    """Speeds at initialisation of ``nielsen_network2(sizes)`` for each seed.

    Returns an array of shape (len(seeds), n_hidden)."""
    rows = []
    for s in seeds:
        net = nielsen_network2(sizes, seed=s, backend=backend)
        rows.append(layer_speeds(net, x, y, "sigmoid_cross_entropy"))
    return np.array(rows)


def speed_curves(sizes, x, y, epochs=500, eta=0.1, lmbda=5.0, seed=0, backend="cpu"):
    """Speeds of every hidden layer during full-batch gradient descent (Nielsen's set-up:
    eta 0.1, L2 lambda 5.0 in the (1 - eta lambda / n) w form, one step per epoch).

    Returns
    -------
    ndarray of shape (epochs + 1, n_hidden)
        Row 0 is at initialisation, row e after e steps.
    """
    from ..optim import SGD

    epochs = positive_int(epochs, "epochs", minimum=0)
    net = nielsen_network2(sizes, seed=seed, backend=backend)
    x = net._check_input(x)
    opt = SGD(net.parameters(), lr=eta, l2=lmbda, n_train=x.shape[0])
    dense = _dense_layers(net)
    out = np.empty((epochs + 1, len(dense) - 1))
    for e in range(epochs + 1):
        full_batch_gradients(net, x, y, "sigmoid_cross_entropy")
        out[e] = [np.linalg.norm(d._params["b"].grad) for d in dense[:-1]]
        if e < epochs:
            opt.step()  # gradients of this full batch: one gradient-descent step
    return out
