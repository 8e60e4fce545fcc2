r"""Recurrent layers: ``RNN``, ``LSTM``, the ``Bidirectional`` wrapper and ``TimeDistributed``.

Sequences are batch-major, ``(n, T, features)`` (Keras's ``batch_first`` convention). A recurrent
layer reads the whole sequence and returns either every hidden state ``(n, T, H)``
(``return_sequences=True``: many-to-many) or only the last one ``(n, H)`` (many-to-one), which a
following ``Dense`` turns into the slides' output :math:`y_t = W_{hy} h_t + b_y`. For an output
at every step wrap the ``Dense`` in ``TimeDistributed``, which applies it to each step with
shared weights.

Time runs serially (h_t needs h_{t-1}); inside a step the examples of the batch and the hidden
units are independent, which is where the backends find their parallelism. Backpropagation
through time is explicit: the backend walks the steps backwards, carrying the gradient that
reaches h_{t-1} (and, for the LSTM, c_{t-1}) from step t.

Initialisation follows the slides' advice: the recurrent matrix W_hh (each of the LSTM's four
U blocks) starts orthogonal, :math:`W^\top W = I`, so that at the start
:math:`\|W h\| = \|h\|` and a gradient pushed back through many steps neither vanishes nor
explodes because of W alone. The input weights start Glorot-uniform, the biases at zero except
the LSTM's forget gate, whose bias starts at 1 (Gers et al. 2000; Jozefowicz et al. 2015): the
cell then keeps about 73 % of its content per step at the start, and the gradient of a long
dependency survives early training.
"""

from __future__ import annotations

import numpy as np

from .. import init as _init
from .._validate import positive_int
from ..codes import Act
from ..errors import ValidationError
from ._wrapper import _config_of, _layer_from_config, _Wrapper
from .layers import Layer

__all__ = ["LSTM", "RNN", "Bidirectional", "TimeDistributed"]


def _blockwise(init, blocks):
    """An initialiser that fills each of ``blocks`` row blocks of a (blocks*H, H) matrix on its
    own (so each LSTM gate's U block is orthogonal, not only the stacked matrix)."""

    def fill(rng, shape, fan_in, fan_out, dtype=np.float32):
        rows = shape[0] // blocks
        parts = [init(rng, (rows,) + tuple(shape[1:]), fan_in, rows, dtype) for _ in range(blocks)]
        return np.concatenate(parts, axis=0).astype(dtype)

    fill.__name__ = f"{getattr(init, '__name__', 'init')}_per_gate"
    return fill


def _lstm_bias(forget_bias):
    """Zeros, except ``forget_bias`` on the forget gate's block (the first quarter)."""

    def fill(rng, shape, fan_in, fan_out, dtype=np.float32):
        b = np.zeros(shape, dtype=dtype)
        b[: shape[0] // 4] = forget_bias
        return b

    fill.__name__ = f"lstm_bias({forget_bias})"
    return fill


def _name_of(init):
    return init if isinstance(init, str) else getattr(init, "__name__", "custom")


class _Recurrent(Layer):
    """Shared plumbing of ``RNN`` and ``LSTM``: shapes, validation, dispatch to the backend."""

    _gates = 1  # rows of W/U per hidden unit
    _op = ""  # backend op prefix

    def __init__(
        self,
        input_size,
        hidden_size,
        return_sequences=False,
        init="glorot_uniform",
        recurrent_init="orthogonal",
        reverse=False,
    ):
        super().__init__()
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.return_sequences = bool(return_sequences)
        self.reverse = bool(reverse)
        self.init = _name_of(init)
        self.recurrent_init = _name_of(recurrent_init)
        G, H, d = self._gates, self.hidden_size, self.input_size
        w_init = _init.get(init, "weight")
        u_init = _init.get(recurrent_init, "weight")
        if G > 1:
            w_init, u_init = _blockwise(w_init, G), _blockwise(u_init, G)
        self.add_param("W", (G * H, d), "weight", w_init, d, H)
        self.add_param("U", (G * H, H), "weight", u_init, H, H)
        self.add_param("b", (G * H,), "bias", self._bias_init(), d, H)
        self._cache = None

    def _bias_init(self):
        return _init.zeros

    def get_config(self):
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "return_sequences": self.return_sequences,
            "init": self.init,
            "recurrent_init": self.recurrent_init,
            "reverse": self.reverse,
        }

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) != 2 or s[1] != self.input_size:
            raise ValidationError(
                f"{type(self).__name__}({self.input_size}, {self.hidden_size}) expects sequences "
                f"of shape (n, T, {self.input_size}) (batch, time, features); got examples of "
                f"shape {s}"
            )
        return (s[0], self.hidden_size) if self.return_sequences else (self.hidden_size,)

    def forward(self, x, training=False):
        if x.ndim != 3 or x.shape[2] != self.input_size or x.shape[1] < 1:
            raise ValidationError(
                f"{type(self).__name__} expects x of shape (n, T, {self.input_size}) with T >= 1; "
                f"got shape {tuple(x.shape)}"
            )
        p = self._params
        be = self.backend
        # the CPU backend has an evaluation-mode variant that keeps nothing per step when the
        # batch is large (predict, evaluate); its cache still serves a backward pass
        op = (not training and getattr(be, self._op + "_forward_eval", None)) or getattr(
            be, self._op + "_forward"
        )
        self._cache = None  # drop the last pass's buffers first, so the backend can reuse them
        out, self._cache = op(
            x,
            p["W"].data,
            p["U"].data,
            p["b"].data,
            self.reverse,
            self.return_sequences,
            *self._op_args(),
        )
        return out

    def _op_args(self):
        """Extra arguments of the backend's forward op (the RNN's activation)."""
        return ()

    def backward(self, dy, need_dx=True):
        if self._cache is None:
            raise ValidationError(f"{type(self).__name__}.backward called before forward")
        p = self._params
        be = self.backend
        if self.frozen:
            grads = [be.zeros(p[k].shape, self.dtype) for k in ("W", "U", "b")]
        else:
            grads = [p[k].grad_data for k in ("W", "U", "b")]
        return getattr(be, self._op + "_backward")(self._cache, dy, *grads, need_dx)

    def _twin(self, reverse):
        """A fresh layer with this one's configuration and the given direction."""
        cfg = self.get_config()
        cfg["reverse"] = reverse
        return type(self)(**cfg)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.return_sequences:
            s += ", return_sequences=True"
        if self.reverse:
            s += ", reverse=True"
        return s


class RNN(_Recurrent):
    r"""A simple (Elman) recurrent layer, the slides' model.

    .. math:: h_t = \sigma(W_{xh} x_t + W_{hh} h_{t-1} + b_h),\qquad h_{-1} = 0

    with :math:`\sigma = \tanh` by default. The slides do not rule out popular activations such
    as ReLU, "but the standard is tanh, since a bounded range of values is needed to avoid
    explosions, with the capacity to represent positive and negative values": a ReLU state is
    bounded below only, and grows without limit when W_hh amplifies it (see the tests).

    Parameters
    ----------
    input_size : int
        Features per time step, d.
    hidden_size : int
        Hidden units, H.
    return_sequences : bool
        False (default): output the last state ``(n, H)`` (many-to-one). True: every state
        ``(n, T, H)`` (many-to-many).
    init : str or callable
        Initialisation of W_xh ``(H, d)``; default Glorot uniform.
    recurrent_init : str or callable
        Initialisation of W_hh ``(H, H)``; default orthogonal.
    reverse : bool
        Run time backwards (the anti-causal direction); outputs stay indexed by t, and the
        "last" state is the one of step 0.
    activation : str or activation layer
        sigma: ``"tanh"`` (default), ``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"sigmoid"`` or
        ``"identity"`` (``"linear"``), or one of those layers (``nb.LeakyReLU(0.2)``, whose
        ``alpha`` is then used). Backpropagation through time keeps only the states h_t, so the
        activation's derivative must follow from its output; GELU, SiLU, softplus and the step
        do not qualify.
    alpha : float, optional
        Leaky ReLU's slope or ELU's scale (default: the activation layer's, 0.01 and 1.0);
        >= 0, so that h_t > 0 exactly where the pre-activation is positive.

    Notes
    -----
    Parameters: ``W`` = W_xh ``(H, d)``, ``U`` = W_hh ``(H, H)``, ``b`` = b_h ``(H,)``;
    H (d + H + 1) numbers.

    Examples
    --------
    >>> import numbanet as nb
    >>> net = nb.Sequential([nb.RNN(8, 32), nb.Dense(32, 10)], input_shape=(50, 8), seed=0)
    >>> relu = nb.RNN(8, 32, activation="relu")
    """

    _gates = 1
    _op = "rnn"

    def __init__(
        self,
        input_size,
        hidden_size,
        return_sequences=False,
        init="glorot_uniform",
        recurrent_init="orthogonal",
        reverse=False,
        activation="tanh",
        alpha=None,
    ):
        self.activation, self.alpha, self._act_code = _rnn_activation(activation, alpha)
        super().__init__(input_size, hidden_size, return_sequences, init, recurrent_init, reverse)

    def _op_args(self):
        return (self._act_code, self.alpha)

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = self.activation
        if self._act_code in (Act.LEAKY_RELU, Act.ELU):
            cfg["alpha"] = self.alpha
        return cfg

    def extra_repr(self):
        s = super().extra_repr()
        if self.activation != "tanh":
            s += f", activation={self.activation!r}"
            if self._act_code in (Act.LEAKY_RELU, Act.ELU):
                s += f", alpha={self.alpha}"
        return s


#: The activations a simple RNN accepts: name -> code (the ``kernels.scalar.FROM_OUTPUT`` set).
RNN_ACTIVATIONS = {
    "tanh": Act.TANH,
    "relu": Act.RELU,
    "leaky_relu": Act.LEAKY_RELU,
    "elu": Act.ELU,
    "sigmoid": Act.SIGMOID,
    "identity": Act.IDENTITY,
    "linear": Act.IDENTITY,
}


def _rnn_activation(activation, alpha):
    """(name, alpha, code) of an RNN's ``activation`` argument, or a ValidationError saying which
    activations are accepted and why."""
    from . import activations as A

    choices = ", ".join(repr(k) for k in RNN_ACTIVATIONS)
    if isinstance(activation, A.Activation):
        code = Act(type(activation).code)
        names = [k for k, v in RNN_ACTIVATIONS.items() if v == code]
        if not names:
            raise ValidationError(
                f"RNN activation {type(activation).__name__} is not supported: backpropagation "
                f"through time keeps only the states h_t, so the activation's derivative must "
                f"follow from its output; choose one of {choices}"
            )
        name = names[0]
        if alpha is None and code in (Act.LEAKY_RELU, Act.ELU):
            alpha = activation.alpha
    elif isinstance(activation, str):
        name = activation.lower().replace("-", "_")
        if name not in RNN_ACTIVATIONS:
            hint = (
                " (its derivative does not follow from its output, and backpropagation through "
                "time keeps only the states h_t)"
                if name in A.ACTIVATIONS
                else ""
            )
            raise ValidationError(
                f"RNN activation {activation!r} is not supported{hint}; choose one of {choices}"
            )
        code = RNN_ACTIVATIONS[name]
    else:
        raise ValidationError(
            f"RNN activation must be a name such as 'tanh' or 'relu' or an activation layer; "
            f"got {type(activation).__name__}"
        )
    if code == Act.IDENTITY:
        name = "identity"
    if code in (Act.LEAKY_RELU, Act.ELU):
        default = 0.01 if code == Act.LEAKY_RELU else 1.0
        given = default if alpha is None else alpha
        try:
            alpha = float(given)
        except (TypeError, ValueError):
            alpha = float("nan")
        if not np.isfinite(alpha) or alpha < 0:
            raise ValidationError(
                f"RNN {name} alpha must be a finite number >= 0 (the sign of h_t must tell "
                f"whether the pre-activation was positive); got {given!r}"
            )
    elif alpha is not None:
        raise ValidationError(
            f"RNN alpha applies to 'leaky_relu' and 'elu' only; got alpha={alpha!r} with "
            f"activation {name!r}"
        )
    return name, (alpha if alpha is not None else 0.0), code


class LSTM(_Recurrent):
    r"""Long short-term memory layer, the slides' six equations.

    .. math::
        f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) \\
        i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i) \\
        \tilde c_t &= \tanh(W_c x_t + U_c h_{t-1} + b_c) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
        o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) \\
        h_t &= o_t \odot \tanh(c_t)

    Parameters
    ----------
    input_size, hidden_size, return_sequences, init, recurrent_init, reverse
        As for ``RNN``; ``recurrent_init`` is applied to each gate's U block separately.
    forget_bias : float
        Initial value of b_f (default 1; the other biases start at 0).

    Notes
    -----
    The four gates are stacked in the slides' order f, i, c~, o: ``W`` ``(4H, d)``, ``U``
    ``(4H, H)``, ``b`` ``(4H,)``; 4 H (d + H + 1) numbers. (PyTorch stacks i, f, g, o.)
    """

    _gates = 4
    _op = "lstm"

    def __init__(
        self,
        input_size,
        hidden_size,
        return_sequences=False,
        init="glorot_uniform",
        recurrent_init="orthogonal",
        reverse=False,
        forget_bias=1.0,
    ):
        self.forget_bias = float(forget_bias)
        super().__init__(input_size, hidden_size, return_sequences, init, recurrent_init, reverse)

    def _bias_init(self):
        return _lstm_bias(self.forget_bias)

    def get_config(self):
        cfg = super().get_config()
        cfg["forget_bias"] = self.forget_bias
        return cfg


class Bidirectional(_Wrapper):
    r"""Run a recurrent layer causally and anti-causally and concatenate the two outputs.

    .. math:: \overrightarrow{h}_t = \mathrm{RNN}_\rightarrow(x_1, \dots, x_t),\quad
              \overleftarrow{h}_t = \mathrm{RNN}_\leftarrow(x_T, \dots, x_t),\quad
              h_t = [\overrightarrow{h}_t;\ \overleftarrow{h}_t]

    For offline tasks the whole signal is available (the slides' example: labelling every beat
    of an ECG), so each step may use its future as well as its past.

    Parameters
    ----------
    layer : RNN or LSTM
        The causal layer; the anti-causal copy has the same configuration (fresh weights).

    Notes
    -----
    Output ``(n, T, 2H)`` with ``return_sequences=True``; otherwise ``(n, 2H)``: the causal
    layer's state after step T-1 beside the anti-causal layer's state after step 0, each having
    read the whole sequence. Parameters are named ``fwd_W, fwd_U, fwd_b, bwd_W, ...``.
    """

    def __init__(self, layer):
        super().__init__()
        layer = _layer_from_config(layer)
        if not isinstance(layer, _Recurrent):
            raise ValidationError(
                f"Bidirectional wraps an RNN or LSTM layer; got {type(layer).__name__}"
            )
        if layer.reverse:
            raise ValidationError(
                "Bidirectional needs the causal layer (reverse=False); it builds the reversed copy"
            )
        self.forward_layer = layer
        self.backward_layer = layer._twin(reverse=True)
        self._adopt([("fwd_", self.forward_layer), ("bwd_", self.backward_layer)])
        self.name = "bidirectional"

    @property
    def hidden_size(self):
        return self.forward_layer.hidden_size

    def get_config(self):
        return {"layer": _config_of(self.forward_layer)}

    def output_shape(self, input_shape):
        s = self.forward_layer.output_shape(input_shape)
        return s[:-1] + (2 * s[-1],)

    def forward(self, x, training=False):
        a = self.forward_layer.forward(x, training)
        b = self.backward_layer.forward(x, training)
        return self.backend.concat_last(a, b)

    def backward(self, dy, need_dx=True):
        da, db = self.backend.split_last(dy, self.hidden_size)
        dxa = self.forward_layer.backward(da, need_dx)
        dxb = self.backward_layer.backward(db, need_dx)
        if not need_dx:
            return None
        return self.backend.add_arrays(dxa, dxb)

    def extra_repr(self):
        return repr(self.forward_layer)


class TimeDistributed(_Wrapper):
    r"""Apply a layer to every time step with the same weights: (n, T, ...) -> (n, T, ...).

    With a ``Dense`` this is the slides' output :math:`y_t = W_{hy} h_t + b_y` at every step of
    a many-to-many network. The steps are folded into the batch axis, so one matrix product
    serves all of them.

    Parameters
    ----------
    layer : Layer
        A layer for one step's features (e.g. ``nb.Dense(H, k)``).
    """

    def __init__(self, layer):
        super().__init__()
        layer = _layer_from_config(layer)
        self.layer = layer
        self._adopt([("", layer)])
        self.name = "timedistributed"

    def get_config(self):
        return {"layer": _config_of(self.layer)}

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) < 2:
            raise ValidationError(
                f"TimeDistributed expects sequences (n, T, ...); got examples of shape {s}"
            )
        return (s[0],) + tuple(self.layer.output_shape(s[1:]))

    def forward(self, x, training=False):
        n, T = x.shape[0], x.shape[1]
        y = self.layer.forward(x.reshape((n * T,) + tuple(x.shape[2:])), training)
        return y.reshape((n, T) + tuple(y.shape[1:]))

    def backward(self, dy, need_dx=True):
        n, T = dy.shape[0], dy.shape[1]
        dx = self.layer.backward(dy.reshape((n * T,) + tuple(dy.shape[2:])), need_dx)
        if dx is None:
            return None
        return dx.reshape((n, T) + tuple(dx.shape[1:]))

    def extra_repr(self):
        return repr(self.layer)
