"""A piecewise-linear network as a stack of affine layers, the form every counter works on.

``_affine_stack(net)`` reads a ``numbanet.nn.Sequential`` of ``Dense`` and ``ReLU`` /
``LeakyReLU`` / ``PReLU`` / ``Identity`` / ``Flatten`` / ``Dropout`` layers (by class name:
nothing is imported from ``numbanet.nn``), or a plain list of ``(W, b, act)`` tuples, into float64
``_Affine`` layers; ``forward`` evaluates that stack, as the counters see the network.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...errors import DTypeError, ValidationError


@dataclasses.dataclass
class _Affine:
    """One affine layer z = W h + b followed by a piecewise-linear activation.

    ``slope`` is None for the identity, else the per-unit slope on the negative side
    (0 for ReLU, alpha for leaky ReLU / PReLU).
    """

    W: np.ndarray
    b: np.ndarray
    slope: np.ndarray | None


def _parse_act(act, n, where):
    """Negative-side slopes (n,) for an activation spec, or None for the identity."""
    if act is None:
        return None
    if isinstance(act, tuple) and len(act) == 2 and isinstance(act[0], str):
        name, alpha = act[0].lower(), act[1]
        if name not in ("leaky_relu", "leakyrelu", "prelu"):
            raise ValidationError(f"{where}: unknown activation {act!r}")
        return _alpha_vec(alpha, n, where)
    if isinstance(act, str):
        s = act.strip().lower()
        if s in ("identity", "linear", "none"):
            return None
        if s == "relu":
            return np.zeros(n)
        if s in ("leaky_relu", "leakyrelu"):
            return np.full(n, 0.01)
        if s.startswith(("leaky_relu:", "leakyrelu:")):
            try:
                alpha = float(s.split(":", 1)[1])
            except ValueError:
                raise ValidationError(
                    f"{where}: could not read the slope in {act!r}; write e.g. 'leaky_relu:0.1'"
                ) from None
            return _alpha_vec(alpha, n, where)
    raise ValidationError(
        f"{where}: activation must be 'relu', 'identity', 'leaky_relu:<alpha>' or "
        f"('leaky_relu', alpha); got {act!r}"
    )


def _alpha_vec(alpha, n, where):
    a = np.asarray(alpha, dtype=np.float64).reshape(-1)
    if a.size == 1:
        a = np.full(n, float(a[0]))
    if a.size != n or not np.isfinite(a).all():
        raise ValidationError(
            f"{where}: slope must be one finite number or one per unit ({n}); got {alpha!r}"
        )
    return a


def _as_matrix(x, name, ndim):
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - ragged input
        raise ValidationError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise DTypeError(f"{name} has dtype {arr.dtype}; expected real numbers")
    if arr.ndim != ndim:
        raise ValidationError(f"{name} must be {ndim}-D; got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValidationError(f"{name} contains NaN or infinity")
    return arr


_SKIP = {"Identity", "Flatten", "Dropout"}


def _from_sequential(net):
    stack = []
    pending = None  # the last affine layer still waiting for its activation
    d = None
    shape = getattr(net, "input_shape", None)
    if shape is not None and len(shape) == 1:
        d = int(shape[0])
    for i, layer in enumerate(net.layers):
        cls = type(layer).__name__
        where = f"layer {i} ({cls})"
        if cls == "Dense":
            W = _as_matrix(layer.W.value, f"{where}.W", 2)
            if d is not None and W.shape[1] != d:
                raise ValidationError(f"{where} expects {W.shape[1]} inputs but receives {d}")
            if getattr(layer, "use_bias", True):
                b = _as_matrix(layer.b.value, f"{where}.b", 1)
            else:
                b = np.zeros(W.shape[0])
            pending = _Affine(W, b, None)
            stack.append(pending)
            d = W.shape[0]
            continue
        if cls in _SKIP:
            continue
        if cls == "ReLU":
            slope = 0.0
        elif cls == "LeakyReLU":
            slope = float(layer.alpha)
        elif cls == "PReLU":
            slope = np.asarray(layer.alpha.value, dtype=np.float64).reshape(-1)
        else:
            hint = (
                f" (a final {cls} does not change the regions: count the logits, i.e. the "
                "network without it)"
                if cls in ("Softmax", "Sigmoid") and i == len(net.layers) - 1
                else ""
            )
            raise ValidationError(
                f"{where}: exact region counting needs piecewise-linear layers (Dense, ReLU, "
                f"LeakyReLU, PReLU, Identity, Flatten, Dropout); got {cls}{hint}"
            )
        if d is None:
            raise ValidationError(f"{where}: an activation before any Dense needs net.input_shape")
        if pending is None or pending.slope is not None:
            # an activation right after another one: insert an identity affine layer
            pending = _Affine(np.eye(d), np.zeros(d), None)
            stack.append(pending)
        pending.slope = _alpha_vec(slope, d, where)
    if not stack:
        raise ValidationError("the network has no Dense layer")
    return stack


def _from_list(layers):
    stack = []
    d = None
    for i, item in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise ValidationError(
                f"{where} must be a (W, b, act) tuple with W of shape (out, in); got "
                f"{type(item).__name__}"
            )
        W = _as_matrix(item[0], f"{where} W", 2)
        b = _as_matrix(item[1], f"{where} b", 1) if item[1] is not None else np.zeros(len(W))
        if b.shape[0] != W.shape[0]:
            raise ValidationError(
                f"{where}: b has {b.shape[0]} entries but W has {W.shape[0]} rows (units)"
            )
        if d is not None and W.shape[1] != d:
            raise ValidationError(
                f"{where}: W has {W.shape[1]} columns (inputs) but the previous layer has {d} units"
            )
        act = item[2] if len(item) == 3 else None
        stack.append(_Affine(W, b, _parse_act(act, W.shape[0], where)))
        d = W.shape[0]
    if not stack:
        raise ValidationError("layers is empty; give at least one (W, b, act) tuple")
    return stack


def _affine_stack(net_or_layers):
    """The network as a list of ``_Affine`` layers (float64 copies).

    Accepts a ``Sequential`` (duck-typed: an object with a ``layers`` list whose items are
    recognised by class name: ``Dense`` with ``.W.value`` of shape (out, in) and ``.b.value``;
    ``ReLU``, ``LeakyReLU`` (``.alpha``), ``PReLU`` (``.alpha.value``), ``Identity``, ``Flatten``
    and ``Dropout`` (evaluation mode: the identity)), or a list of ``(W, b, act)`` tuples with
    ``act`` in ``'relu'``, ``'identity'`` (or None), ``'leaky_relu:<alpha>'``,
    ``('leaky_relu', alpha)``. Nothing is imported from ``numbanet.nn``.
    """
    if isinstance(net_or_layers, (list, tuple)):
        if net_or_layers and all(isinstance(x, _Affine) for x in net_or_layers):
            return list(net_or_layers)
        return _from_list(net_or_layers)
    if hasattr(net_or_layers, "layers"):
        return _from_sequential(net_or_layers)
    raise ValidationError(
        "net must be a numbanet Sequential or a list of (W, b, act) tuples; got "
        f"{type(net_or_layers).__name__}"
    )


def _n_units(stack):
    return sum(layer.W.shape[0] for layer in stack if layer.slope is not None)


def forward(net, x):
    """Evaluate the piecewise-linear network on points (float64), as the counters see it.

    Parameters
    ----------
    net : Sequential or list of (W, b, act)
    x : ndarray of shape (n, d_in)

    Returns
    -------
    ndarray of shape (n, d_out)
    """
    stack = _affine_stack(net)
    h = _points(x, "x", stack[0].W.shape[1])
    for layer in stack:
        z = h @ layer.W.T + layer.b
        h = z if layer.slope is None else np.where(z > 0, z, layer.slope * z)
    return h


def _points(x, name, d_in):
    arr = _as_matrix(x, name, np.ndim(x))
    if arr.ndim == 1 and d_in == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != d_in:
        raise ValidationError(
            f"{name} must have shape (n, {d_in}) for a net with {d_in} inputs; got {arr.shape}"
        )
    return arr


__all__ = ["forward"]
