r"""Convolutional layers: ``Conv2D`` on images (N, C, H, W) and ``Conv1D`` on sequences (N, C, L).

What the slides call a convolution is, as in every deep-learning library, a *cross-correlation*:
the filter slides over the input without being flipped, and each output is the dot product of
the filter with the window under it, plus the bias of its output channel:

.. math:: y_{n,o,i,j} = b_o + \sum_{c=1}^{C}\sum_{u,v} W_{o,c,u,v}\,
          x_{n,c,\,i s + u - p,\,j s + v - p},\qquad
          \dim(\text{out}) = \left\lfloor \frac{\dim(x) + 2p - \dim(w)}{s} \right\rfloor + 1.

Padding as on the slides: ``"valid"`` (p = 0), ``"same"`` (p = (k - 1) / 2, so stride 1 keeps the
size; odd kernels only), ``"full"`` (p = k - 1, every partial overlap), or an integer (or a pair
for rows and columns). Weights are ``(out_channels, in_channels, kh, kw)`` as in PyTorch; a filter
bank of ``O`` filters over ``C`` channels has ``O (C kh kw + 1)`` parameters (LeNet's first layer:
6 (1 * 3 * 3 + 1) = 60).

An optional ``activation`` (as in Keras' ``Conv2D(..., activation="relu")``) is applied to the
output inside the layer: ``Conv2D(1, 6, 3, activation="relu")`` computes what
``Conv2D(1, 6, 3), ReLU()`` does, and the CPU backend fuses it into the convolution's kernels
(the activation is applied as each output plane leaves the kernel, and its derivative as the
output gradient enters the backward kernel), which saves the activation layer's two passes over
the feature maps.

Left out: dilation and groups (the slides do not use them).
"""

from __future__ import annotations

from .. import init as _init
from .._validate import positive_int
from ..backends._conv_ops import conv_out_size
from ..errors import ValidationError
from .layers import Layer


def _out_len(n, k, s, p):
    """``conv_out_size``, or None for a free length (None): a sequence of any length gives a
    sequence of any length, which only a global pooling turns into a fixed size."""
    return None if n is None else conv_out_size(n, k, s, p)


def _pair(v, name, minimum=1):
    """An int or a pair of ints -> a pair of ints >= ``minimum``."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValidationError(f"{name} must be an int or a pair of ints; got {v!r}")
        return (
            positive_int(v[0], name, minimum=minimum),
            positive_int(v[1], name, minimum=minimum),
        )
    v = positive_int(v, name, minimum=minimum)
    return (v, v)


_ACT_NAMES = {
    "identity": "IDENTITY",
    "linear": "IDENTITY",
    "sigmoid": "SIGMOID",
    "tanh": "TANH",
    "relu": "RELU",
    "leaky_relu": "LEAKY_RELU",
    "leakyrelu": "LEAKY_RELU",
    "elu": "ELU",
    "softplus": "SOFTPLUS",
    "gelu": "GELU",
    "silu": "SILU",
    "swish": "SILU",
}
_ACT_DEFAULT_ALPHA = {"LEAKY_RELU": 0.01, "ELU": 1.0}


def resolve_activation(spec):
    """An activation given to a convolution -> (code, alpha), or None for no activation.

    ``spec``: None, a name (``"relu"``, ``"tanh"``, ``"leaky_relu"`` ...; leaky ReLU's slope
    0.01 and ELU's alpha 1 as in their layers), a name and its alpha (``("leaky_relu", 0.2)``) or
    an activation layer (``nn.LeakyReLU(0.2)``). Step (no useful derivative) and PReLU (a trained
    slope) are refused: put them after the convolution as layers of their own."""
    from ..codes import Act
    from .activations import Activation

    if spec is None:
        return None
    if isinstance(spec, Activation):
        code, alpha = Act(spec.code), float(spec.alpha)
    else:
        alpha = None
        name = spec
        if isinstance(spec, (tuple, list)) and len(spec) == 2:
            name, alpha = spec
        key = _ACT_NAMES.get(name.lower().strip()) if isinstance(name, str) else None
        if key is None:
            if isinstance(name, str) and name.lower().strip() == "step":
                raise ValidationError(
                    "activation='step' has no useful derivative; put a Step "
                    "layer after the convolution instead"
                )
            if type(spec).__name__ == "PReLU":
                raise ValidationError(
                    "PReLU has a trained slope; put it after the convolution as a layer of its own"
                )
            raise ValidationError(
                f"activation must be None, one of {sorted(_ACT_NAMES)}, a (name, alpha) pair or "
                f"an activation layer; got {spec!r}"
            )
        code = Act[key]
        if alpha is None:
            alpha = _ACT_DEFAULT_ALPHA.get(key, 0.0)
        if (
            isinstance(alpha, bool)
            or not isinstance(alpha, (int, float))
            or alpha != alpha
            or abs(alpha) == float("inf")
        ):
            raise ValidationError(f"activation alpha must be a finite number; got {alpha!r}")
        alpha = float(alpha)
        if code == Act.ELU and alpha < 0:
            raise ValidationError(f"ELU alpha must be >= 0; got {alpha}")
    if code == Act.STEP:
        raise ValidationError(
            "a Step activation has no useful derivative; put a Step layer after "
            "the convolution instead"
        )
    if code == Act.IDENTITY:
        return None
    return int(code), alpha


def resolve_padding(padding, kernel):
    """The slides' padding names -> (ph, pw) for a kernel (kh, kw).

    ``valid`` -> 0, ``same`` -> (k - 1) / 2 (odd k), ``full`` -> k - 1, int or pair -> itself."""
    if isinstance(padding, str):
        key = padding.lower()
        if key == "valid":
            return (0, 0)
        if key == "full":
            return (kernel[0] - 1, kernel[1] - 1)
        if key == "same":
            if kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
                raise ValidationError(
                    f"padding='same' needs an odd kernel (p = (k - 1) / 2 must be whole); got "
                    f"kernel {kernel}. Give an integer padding instead, e.g. padding={kernel[0] // 2}"
                )
            return ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2)
        raise ValidationError(
            f"padding must be 'valid', 'same', 'full', an int or a pair of ints; got {padding!r}"
        )
    return _pair(padding, "padding", minimum=0)


class Conv2D(Layer):
    r"""2-D convolution (cross-correlation) over NCHW images.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int)
    padding : {"valid", "same", "full"}, int or (int, int)
    init : str or callable
        Weight initialisation (``numbanet.init``), with fan_in = C kh kw and fan_out = O kh kw;
        default ``"he_normal"`` (for ReLU).
    bias_init : str, float or callable
        Default zeros.
    bias : bool
    activation : None, str, (str, float) or activation layer
        Applied to the output (see :func:`resolve_activation`); default none.

    Notes
    -----
    Input ``x`` of shape (n, in_channels, H, W); output of shape (n, out_channels, OH, OW).
    Backward, with :math:`\delta = \partial C / \partial y`:

    .. math:: \frac{\partial C}{\partial W_{o,c,u,v}} = \sum_{n,i,j} \delta_{n,o,i,j}\,
              x_{n,c,\,is+u-p,\,js+v-p},\qquad
              \frac{\partial C}{\partial b_o} = \sum_{n,i,j}\delta_{n,o,i,j},

    and each input pixel receives :math:`W_{o,c,u,v}\,\delta_{n,o,i,j}` from every output
    (i, j) whose window read it through tap (u, v).
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding="valid",
        init="he_normal",
        bias_init="zeros",
        bias=True,
        activation=None,
    ):
        super().__init__()
        self._act = resolve_activation(activation)
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding_name = padding if isinstance(padding, str) else None
        self.padding = resolve_padding(padding, self.kernel_size)
        self.use_bias = bool(bias)
        kh, kw = self.kernel_size
        fan_in = self.in_channels * kh * kw
        fan_out = self.out_channels * kh * kw
        self.init_name = init if isinstance(init, str) else getattr(init, "__name__", "custom")
        self.add_param("W", self._w_shape(), "weight", _init.get(init, "weight"), fan_in, fan_out)
        if self.use_bias:
            self.add_param(
                "b", (self.out_channels,), "bias", _init.get(bias_init, "bias"), fan_in, fan_out
            )
        self._x = None
        self._z = self._a = None

    @property
    def activation(self):
        """The activation's name (``"relu"``, ...) or None."""
        if self._act is None:
            return None
        from ..codes import Act

        return Act(self._act[0]).label

    def _activation_config(self):
        if self._act is None:
            return None
        key = self.activation.upper()
        if self._act[1] == _ACT_DEFAULT_ALPHA.get(key, 0.0):
            return self.activation
        return [self.activation, self._act[1]]

    def get_config(self):
        """Constructor arguments (for checkpoints)."""
        cfg = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding_name or list(self.padding),
            "init": self.init_name,
            "bias": self.use_bias,
        }
        if self._act is not None:
            cfg["activation"] = self._activation_config()
        return cfg

    # ------------------------------------------------------------------ shapes
    def _w_shape(self):
        return (self.out_channels, self.in_channels) + self.kernel_size

    def _out_hw(self, h, w):
        """Output height and width; a length left free (None, see ``Sequential``'s
        ``input_shape``) stays free."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return _out_len(h, kh, sh, ph), _out_len(w, kw, sw, pw)

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) != 3 or s[0] != self.in_channels:
            raise ValidationError(
                f"{self!r} expects examples of shape ({self.in_channels}, H, W) (NCHW batches); "
                f"got examples of shape {s}"
            )
        oh, ow = self._out_hw(s[1], s[2])
        if (oh is not None and oh < 1) or (ow is not None and ow < 1):
            raise ValidationError(
                f"{self!r}: a {s[1]}x{s[2]} input is smaller than the {self.kernel_size} kernel "
                f"with padding {self.padding}; the output would be {oh}x{ow}"
            )
        return (self.out_channels, oh, ow)

    # ------------------------------------------------------------------ compute
    def _bias(self):
        if self.use_bias:
            return self._params["b"].data
        if getattr(self, "_zero_b", None) is None:
            self._zero_b = self.backend.zeros((self.out_channels,), self.dtype)
        return self._zero_b

    def _weights(self):
        return self._params["W"].data

    def _check_x(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValidationError(
                f"{self!r} expects input of shape (n, {self.in_channels}, H, W); got "
                f"{tuple(x.shape)}"
            )

    def forward(self, x, training=False):
        return self._forward_act(x, self._act)

    def backward(self, dy, need_dx=True):
        return self._backward_act(dy, need_dx, self._act)

    # The bodies, with the activation given: this layer's own (``activation=``), or, from a
    # ``Sequential``, the activation layer that follows it (``(code, alpha)``), which then runs
    # inside the convolution's kernels and not on its own (see ``Sequential._steps``).
    def _forward_act(self, x, act):
        self._check_x(x)
        Conv2D.output_shape(self, x.shape[1:])
        self._x = x
        if act is None:
            return self.backend.conv2d_forward(
                x, self._weights(), self._bias(), self.stride, self.padding
            )
        self._z, self._a = self.backend.conv2d_act_forward(
            x, self._weights(), self._bias(), self.stride, self.padding, *act
        )
        return self._a

    def _backward_act(self, dy, need_dx, act):
        if self.frozen and not need_dx:
            return None
        dW = None if self.frozen else self._grad_w()
        db = self._params["b"].grad_data if (self.use_bias and not self.frozen) else None
        if act is None:
            return self.backend.conv2d_backward(
                self._x, self._weights(), dy, dW, db, self.stride, self.padding, need_dx
            )
        code, alpha = act
        return self.backend.conv2d_act_backward(
            self._x,
            self._weights(),
            self._z,
            self._a,
            dy,
            dW,
            db,
            self.stride,
            self.padding,
            code,
            alpha,
            need_dx,
        )

    def _grad_w(self):
        return self._params["W"].grad_data

    def extra_repr(self):
        pad = repr(self.padding_name) if self.padding_name else self.padding
        ks = self.kernel_size
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={ks[0] if ks[0] == ks[1] else ks}, "
            f"stride={self.stride[0] if self.stride[0] == self.stride[1] else self.stride}, "
            f"padding={pad}{self._act_repr()}"
        )

    def _act_repr(self):
        return "" if self._act is None else f", activation={self._activation_config()!r}"


class Conv1D(Conv2D):
    r"""1-D convolution (cross-correlation) over sequences of shape (n, in_channels, L).

    The same layer as ``Conv2D`` with a 1 x k kernel (and the same backend kernels): weights
    ``(out_channels, in_channels, k)``, output (n, out_channels, L_out) with
    :math:`L_{out} = \lfloor (L + 2p - k)/s \rfloor + 1`. With ``in_channels=1`` a batch of plain
    sequences of shape (n, L), e.g. MNIST-1D's (n, 40), is read as one channel.

    .. math:: y_{n,o,t} = b_o + \sum_{c}\sum_{u} W_{o,c,u}\, x_{n,c,\,t s + u - p}.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding="valid",
        init="he_normal",
        bias_init="zeros",
        bias=True,
        activation=None,
    ):
        k = positive_int(kernel_size, "kernel_size")
        s = positive_int(stride, "stride")
        pad = resolve_padding(padding, (k, k))[0]
        super().__init__(
            in_channels,
            out_channels,
            (1, k),
            stride=(1, s),
            padding=(0, pad),
            init=init,
            bias_init=bias_init,
            bias=bias,
            activation=activation,
        )
        self.padding_name = padding if isinstance(padding, str) else None
        self._in_shape = None

    def get_config(self):
        cfg = super().get_config()
        cfg.update(
            kernel_size=self.kernel_size[1],
            stride=self.stride[1],
            padding=self.padding_name or self.padding[1],
        )
        return cfg

    def _w_shape(self):
        return (self.out_channels, self.in_channels, self.kernel_size[1])

    def _weights(self):
        W = self._params["W"].data
        return W.reshape(W.shape[0], W.shape[1], 1, W.shape[2])

    def _grad_w(self):
        g = self._params["W"].grad_data
        return g.reshape(g.shape[0], g.shape[1], 1, g.shape[2])

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) == 1 and self.in_channels == 1:
            s = (1,) + s
        if len(s) != 2 or s[0] != self.in_channels:
            raise ValidationError(
                f"{self!r} expects examples of shape ({self.in_channels}, L)"
                + (" or (L,)" if self.in_channels == 1 else "")
                + f"; got examples of shape {tuple(input_shape)}"
            )
        c, ow = super().output_shape((s[0], 1, s[1]))[0::2]
        return (c, ow)

    def forward(self, x, training=False):
        self.output_shape(x.shape[1:])
        self._in_shape = x.shape
        n, L = x.shape[0], x.shape[x.ndim - 1]
        y = super().forward(x.reshape(n, self.in_channels, 1, L), training)
        return y.reshape(n, y.shape[1], y.shape[3])

    def backward(self, dy, need_dx=True):
        dy4 = dy.reshape(dy.shape[0], dy.shape[1], 1, dy.shape[2])
        dx = super().backward(dy4, need_dx)
        return None if dx is None else dx.reshape(self._in_shape)

    def extra_repr(self):
        pad = repr(self.padding_name) if self.padding_name else self.padding[1]
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size[1]}, "
            f"stride={self.stride[1]}, padding={pad}{self._act_repr()}"
        )


__all__ = ["Conv1D", "Conv2D", "resolve_activation", "resolve_padding"]
