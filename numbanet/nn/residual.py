r"""``Residual``: a skip connection around a block of layers, :math:`y = x + f(x)`.

He et al. (2016) made nets of a hundred layers and more trainable by letting each block learn a
*correction* to its input instead of a whole new representation. Backpropagation shows why it
helps: the gradient splits at the sum and adds back at the input,

.. math:: \frac{\partial C}{\partial x} = \frac{\partial C}{\partial y}
          + \Big(\frac{\partial f}{\partial x}\Big)^{\!\top} \frac{\partial C}{\partial y},

so the identity path carries :math:`\partial C/\partial y` to the input unchanged, however small
the block's own Jacobian is: a stack of residual blocks cannot make the gradient vanish the way
a product of many small Jacobians does (deck 004's vanishing gradient).

When the block changes the width, the skip path needs a map to the new width: pass
``projection`` (usually ``Dense(d_in, d_out, bias=False)``) and the layer computes
:math:`y = P x + f(x)`, with :math:`\partial C/\partial x = P^\top \delta + J_f^\top \delta`.
"""

from __future__ import annotations

from ..errors import ValidationError
from ._wrapper import _config_of, _layer_from_config, _Wrapper
from .layers import Dense, Layer

__all__ = ["Residual"]


def _width_in(layers):
    """d_in of a block when its first layer says it (a Dense), else None."""
    return layers[0].in_features if isinstance(layers[0], Dense) else None


def _width_out(layers):
    """d_out of a block when its last Dense is followed only by width-keeping layers."""
    from .activations import Activation
    from .dropout import Dropout, GaussianNoise
    from .norm import BatchNorm1D, LayerNorm

    keep = (Activation, Dropout, GaussianNoise, BatchNorm1D, LayerNorm)
    for layer in reversed(layers):
        if isinstance(layer, Dense):
            return layer.out_features
        if not isinstance(layer, keep):
            return None
    return None


class Residual(_Wrapper):
    r"""A residual block: ``y = x + f(x)``, f the layers of ``block`` applied in order.

    Parameters
    ----------
    block : Layer or list of Layer
        The residual branch f, e.g. ``[nb.Dense(64, 64), nb.ReLU(), nb.Dense(64, 64)]``.
    projection : Layer, optional
        Applied to x on the skip path when f changes the shape (``y = P(x) + f(x)``), e.g.
        ``nb.Dense(32, 64, bias=False)``. Default: the identity, which needs f to keep the shape.

    Notes
    -----
    The block's parameters belong to this layer, under prefixed names: ``0.W``, ``0.b`` for the
    first layer of the block, ``2.W`` for the third, ``proj.W`` for the projection; ``Sequential``
    allocates them in the model's flat parameter buffer like any other. Running statistics of
    normalisation layers inside the block are this layer's ``buffers()`` under the same prefixes.

    Examples
    --------
    >>> import numbanet as nb
    >>> net = nb.Sequential([nb.Dense(40, 64), nb.ReLU(),
    ...                      nb.Residual([nb.Dense(64, 64), nb.ReLU(), nb.Dense(64, 64)]),
    ...                      nb.ReLU(), nb.Dense(64, 10)], backend="cpu", seed=0)
    """

    def __init__(self, block, projection=None):
        super().__init__()
        layers = list(block) if isinstance(block, (list, tuple)) else [block]
        if not layers:
            raise ValidationError("Residual needs at least one layer in its block")
        layers = [_layer_from_config(x) for x in layers]
        proj = None if projection is None else _layer_from_config(projection)
        everything = layers + ([proj] if proj is not None else [])
        for i, layer in enumerate(everything):
            if not isinstance(layer, Layer):
                raise ValidationError(
                    f"Residual: block item {i} is a {type(layer).__name__}, not a numbanet layer"
                )
        if len({id(x) for x in everything}) != len(everything):
            raise ValidationError(
                "Residual: the same layer object appears twice; create separate layers"
            )
        d_in, d_out = _width_in(layers), _width_out(layers)
        if proj is None and d_in is not None and d_out is not None and d_in != d_out:
            raise ValidationError(
                f"Residual: the block maps width {d_in} to {d_out}, so x + f(x) is undefined; "
                f"pass projection=nb.Dense({d_in}, {d_out}, bias=False) for the skip path, or "
                "make the block keep the width"
            )
        self.block = layers
        self.projection = proj
        inner = [(f"{i}.", layer) for i, layer in enumerate(layers)]
        if proj is not None:
            inner.append(("proj.", proj))
        self._adopt(inner)
        self.name = "residual"

    def sublayers(self):
        """The block's layers, then the projection if there is one."""
        return [layer for _, layer in self._inner]

    def get_config(self):
        return {
            "block": [_config_of(layer) for layer in self.block],
            "projection": None if self.projection is None else _config_of(self.projection),
        }

    def buffers(self):
        """Running statistics of the layers inside, under their prefixes (``1.running_mean``)."""
        out = {}
        for prefix, layer in self._inner:
            if hasattr(layer, "buffers"):
                out.update({prefix + k: v for k, v in layer.buffers().items()})
        return out

    # ----------------------------------------------------------------- shapes
    def output_shape(self, input_shape):
        s = tuple(input_shape)
        f = s
        try:
            for layer in self.block:
                f = tuple(layer.output_shape(f))
            skip = s if self.projection is None else tuple(self.projection.output_shape(s))
        except ValidationError as exc:
            raise ValidationError(f"Residual block on examples of shape {s}: {exc}") from None
        if f != skip:
            hint = (
                "pass projection= (e.g. nb.Dense(d_in, d_out, bias=False)) to map x to it"
                if self.projection is None
                else "the projection must give the block's output shape"
            )
            raise ValidationError(
                f"Residual: the block turns examples of shape {s} into {f} but the skip path "
                f"gives {skip}; x + f(x) needs the same shape ({hint})"
            )
        return f

    # ----------------------------------------------------------------- compute
    def forward(self, x, training=False):
        h = x  # checked by this layer's guard or by the Sequential that holds it
        for layer in self.block:
            h = layer._forward_unchecked(h, training)
        skip = x if self.projection is None else self.projection._forward_unchecked(x, training)
        return self.backend.add_arrays(skip, h)

    def backward(self, dy, need_dx=True):
        # the gradient splits at the sum: the whole of dy goes down the branch and the skip path
        g = dy
        for i in range(len(self.block) - 1, -1, -1):
            g = self.block[i]._backward_unchecked(g, (i > 0) or need_dx)
        if self.projection is not None:
            gs = self.projection._backward_unchecked(dy, need_dx)
        else:
            gs = dy
        if not need_dx:
            return None
        return self.backend.add_arrays(gs, g)  # ... and adds back at the input

    def extra_repr(self):
        inner = ", ".join(repr(layer) for layer in self.block)
        proj = "" if self.projection is None else f", projection={self.projection!r}"
        return f"[{inner}]{proj}"

    def __copy__(self):
        new = super().__copy__()  # copies the inner layers (a clone must not re-bind ours)
        fresh = [layer for _, layer in new._inner]
        for layer in fresh:
            layer.__dict__.pop("_zero_b", None)
            layer.__dict__.pop("_zero_db", None)
        n = len(self.block)
        new.block = fresh[:n]
        new.projection = fresh[n] if self.projection is not None else None
        return new
