r"""Pooling layers: max and average over windows, and global pooling.

Pooling summarises each window of a feature map by one number, channel by channel; it has no
parameters. With windows of ``size`` k and stride s (default s = k, non-overlapping) the output
size follows the convolution formula with no padding, :math:`\lfloor (n - k)/s \rfloor + 1`
(a 26x26 map pooled by 2 gives 13x13, an 11x11 map gives 5x5: the last row and column are
dropped, as in Keras).

.. math:: \text{max: } y_{n,c,i,j} = \max_{u,v} x_{n,c,\,is+u,\,js+v},\qquad
          \text{average: } y_{n,c,i,j} = \frac{1}{k^2}\sum_{u,v} x_{n,c,\,is+u,\,js+v}.

Backward, max pooling passes each gradient to the position of its window's maximum (the first
one on ties) and zero elsewhere; average pooling spreads it evenly, :math:`\delta / k^2`.
Global pooling is one window over the whole map: (n, c, H, W) -> (n, c).
"""

from __future__ import annotations

from .._validate import positive_int
from ..backends._conv_ops import POOL_AVG, POOL_MAX, conv_out_size
from ..errors import ValidationError
from .conv import _pair
from .layers import Layer


class _Pool2D(Layer):
    kind = POOL_MAX

    def __init__(self, size=2, stride=None):
        super().__init__()
        self.size = _pair(size, "size")
        self.stride = self.size if stride is None else _pair(stride, "stride")

    def get_config(self):
        return {"size": list(self.size), "stride": list(self.stride)}

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) != 3:
            raise ValidationError(
                f"{self!r} expects examples of shape (C, H, W) (NCHW batches); got {s}"
            )
        # a free length (None) stays free
        oh = None if s[1] is None else conv_out_size(s[1], self.size[0], self.stride[0], 0)
        ow = None if s[2] is None else conv_out_size(s[2], self.size[1], self.stride[1], 0)
        if (oh is not None and oh < 1) or (ow is not None and ow < 1):
            raise ValidationError(f"{self!r}: a {s[1]}x{s[2]} map is smaller than the window")
        return (s[0], oh, ow)

    def _check(self, x):
        if x.ndim != 4:
            raise ValidationError(
                f"{self!r} expects input of shape (n, C, H, W); got {tuple(x.shape)}"
            )
        _Pool2D.output_shape(self, x.shape[1:])

    def forward(self, x, training=False):
        self._check(x)
        self._shape = tuple(x.shape)
        y, self._arg = self.backend.pool2d_forward(self.kind, x, self.size, self.stride)
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        return self.backend.pool2d_backward(
            self.kind, self._shape, dy, self._arg, self.size, self.stride
        )

    def extra_repr(self):
        size = self.size[0] if self.size[0] == self.size[1] else self.size
        if self.stride == self.size:
            return f"{size}"
        st = self.stride[0] if self.stride[0] == self.stride[1] else self.stride
        return f"{size}, stride={st}"


class MaxPool2D(_Pool2D):
    """Max over ``size`` windows moved by ``stride`` (default: ``size``) on (n, C, H, W)."""

    kind = POOL_MAX


class AvgPool2D(_Pool2D):
    """Mean over ``size`` windows moved by ``stride`` (default: ``size``) on (n, C, H, W)."""

    kind = POOL_AVG


class _Pool1D(_Pool2D):
    """A 1-D pool on (n, C, L): the 2-D pool with 1 x k windows."""

    def __init__(self, size=2, stride=None):
        k = positive_int(size, "size")
        s = k if stride is None else positive_int(stride, "stride")
        super().__init__((1, k), (1, s))

    def get_config(self):
        return {"size": self.size[1], "stride": self.stride[1]}

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) != 2:
            raise ValidationError(f"{self!r} expects examples of shape (C, L); got {s}")
        c, _, ow = super().output_shape((s[0], 1, s[1]))
        return (c, ow)

    def forward(self, x, training=False):
        if x.ndim != 3:
            raise ValidationError(
                f"{self!r} expects input of shape (n, C, L); got {tuple(x.shape)}"
            )
        y = super().forward(x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]), training)
        return y.reshape(y.shape[0], y.shape[1], y.shape[3])

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = super().backward(dy.reshape(dy.shape[0], dy.shape[1], 1, dy.shape[2]), True)
        n, c, _, L = self._shape
        return dx.reshape(n, c, L)

    def extra_repr(self):
        k, s = self.size[1], self.stride[1]
        return f"{k}" if k == s else f"{k}, stride={s}"


class MaxPool1D(_Pool1D):
    """Max over windows of ``size`` steps moved by ``stride`` on (n, C, L)."""

    kind = POOL_MAX


class AvgPool1D(_Pool1D):
    """Mean over windows of ``size`` steps moved by ``stride`` on (n, C, L)."""

    kind = POOL_AVG


class _GlobalPool(Layer):
    """One window over every spatial position: (n, C, H, W) or (n, C, L) -> (n, C)."""

    kind = POOL_MAX

    def get_config(self):
        return {}

    def output_shape(self, input_shape):
        s = tuple(input_shape)
        if len(s) not in (2, 3):
            raise ValidationError(
                f"{self!r} expects examples of shape (C, H, W) or (C, L); got {s}"
            )
        # C numbers whatever the length: lengths may be free (None), as the slides note ("el
        # pooling nos permite que las muestras tengan diferentes largos")
        return (s[0],)

    def forward(self, x, training=False):
        if x.ndim not in (3, 4):
            raise ValidationError(
                f"{self!r} expects input of shape (n, C, H, W) or (n, C, L); got {tuple(x.shape)}"
            )
        self._in_shape = tuple(x.shape)
        n, c = x.shape[0], x.shape[1]
        s = int(x.size // (n * c)) if n * c else 0
        self._size = (1, s)
        y, self._arg = self.backend.pool2d_forward(
            self.kind, x.reshape(n, c, 1, s), self._size, self._size
        )
        return y.reshape(n, c)

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        n, c = self._in_shape[:2]
        s = self._size[1]
        dx = self.backend.pool2d_backward(
            self.kind, (n, c, 1, s), dy.reshape(n, c, 1, 1), self._arg, self._size, self._size
        )
        return dx.reshape(self._in_shape)


class GlobalMaxPool2D(_GlobalPool):
    """Maximum of each channel over the whole map: (n, C, H, W) -> (n, C)."""

    kind = POOL_MAX


class GlobalAvgPool2D(_GlobalPool):
    """Mean of each channel over the whole map: (n, C, H, W) -> (n, C)."""

    kind = POOL_AVG


class GlobalMaxPool1D(_GlobalPool):
    """Maximum of each channel over the sequence: (n, C, L) -> (n, C)."""

    kind = POOL_MAX


class GlobalAvgPool1D(_GlobalPool):
    """Mean of each channel over the sequence: (n, C, L) -> (n, C)."""

    kind = POOL_AVG


__all__ = [
    "AvgPool1D",
    "AvgPool2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "MaxPool1D",
    "MaxPool2D",
]
