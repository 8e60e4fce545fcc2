r"""Backend ops of the convolution and pooling layers (NCHW), mixed into the three backends.

``ReferenceConvOps`` goes into ``ReferenceBackend``; ``CPUConvOps`` and ``CUDAConvOps`` come
before it in the CPU and CUDA backends so that their overrides win.

Notation: input ``x`` (N, C, H, W), filters ``W`` (O, C, KH, KW), bias ``b`` (O,), output
``y`` (N, O, OH, OW), strides ``(sh, sw)``, zero padding ``(ph, pw)`` on both sides. As in the
slides (and every deep-learning library), the "convolution" is a cross-correlation:

.. math:: y_{n,o,i,j} = b_o + \sum_{c,u,v} W_{o,c,u,v}\; x_{n,c,\,i s_h + u - p_h,\,j s_w + v - p_w},
          \qquad OH = \left\lfloor \frac{H + 2 p_h - KH}{s_h} \right\rfloor + 1.

Its gradients are correlations too: :math:`\partial C/\partial W` correlates the input with the
output gradient, and :math:`\partial C/\partial x` is the "full" convolution of the output
gradient with the filters (each input pixel collects every output that read it).

Pooling ops take ``kind`` 0 (max) or 1 (average), windows ``(kh, kw)`` and strides, no padding
(windows that would run past the edge are dropped, as the floor in the size formula says). Max
pooling returns, besides ``y``, ``arg``: for every output the flat index ``r * W + q`` of its
window's (first) maximum in the input plane, which the backward pass routes the gradient to.
"""

from __future__ import annotations

import numpy as np

from .. import config
from ..codes import Act

POOL_MAX, POOL_AVG = 0, 1

#: The 3x3 backward works through the batch in chunks whose tall output gradient and input
#: (``(O + C) * Q`` floats per example) hold about this many floats, so that each chunk is
#: built and used while it sits in the core's L2 cache.
CHUNK_FLOATS = 1 << 15


def conv_out_size(n, k, s, p):
    """floor((n + 2p - k) / s) + 1, the slides' output size."""
    return (n + 2 * p - k) // s + 1


def act_needs_z(code, alpha=0.0):
    """True when act'(z) cannot be read from a = act(z) alone: softplus, GELU, SiLU, and a leaky
    ReLU with a negative slope. (ReLU: a > 0 exactly when z > 0; sigmoid, tanh: a function of a;
    ELU and leaky ReLU with alpha >= 0: a has the sign of z.)"""
    code = int(code)
    if code in (int(Act.SOFTPLUS), int(Act.GELU), int(Act.SILU)):
        return True
    return code == int(Act.LEAKY_RELU) and alpha < 0


def _windows(xp, kh, kw, sh, sw, oh, ow):
    """Strided view (N, C, OH, OW, kh, kw) of every window of ``xp`` (no copy)."""
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    return win[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]


class ReferenceConvOps:
    """The equations in NumPy: windows as strided views, products with ``einsum``."""

    def conv2d_forward(self, x, W, b, stride, padding):
        """y = x (cross-correlated with) W + b; see the module docstring."""
        (sh, sw), (ph, pw) = stride, padding
        kh, kw = W.shape[2], W.shape[3]
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        oh = conv_out_size(x.shape[2], kh, sh, ph)
        ow = conv_out_size(x.shape[3], kw, sw, pw)
        win = _windows(xp, kh, kw, sh, sw, oh, ow)
        y = np.einsum("ncijuv,ocuv->noij", win, W, optimize=True)
        return (y + b[None, :, None, None]).astype(x.dtype, copy=False)

    def conv2d_backward(self, x, W, dy, dW, db, stride, padding, need_dx=True):
        """dW += sum_n dy (correlated with) x;  db += sum of dy over (n, i, j);  returns dx.

        ``dW`` / ``db`` may be None (frozen layer, or no bias): those gradients are skipped."""
        (sh, sw), (ph, pw) = stride, padding
        kh, kw = W.shape[2], W.shape[3]
        oh, ow = dy.shape[2], dy.shape[3]
        if dW is not None:
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            win = _windows(xp, kh, kw, sh, sw, oh, ow)
            dW += np.einsum("noij,ncijuv->ocuv", dy, win, optimize=True).astype(dW.dtype)
        if db is not None:
            db += dy.sum(axis=(0, 2, 3)).astype(db.dtype)
        if not need_dx:
            return None
        n, c, h, w = x.shape
        dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        for u in range(kh):  # tap (u, v) of every window sent its input dy * W[:, :, u, v]
            for v in range(kw):
                dxp[:, :, u : u + (oh - 1) * sh + 1 : sh, v : v + (ow - 1) * sw + 1 : sw] += (
                    np.einsum("noij,oc->ncij", dy, W[:, :, u, v])
                )
        return np.ascontiguousarray(dxp[:, :, ph : ph + h, pw : pw + w])

    def conv2d_act_forward(self, x, W, b, stride, padding, code, alpha=0.0):
        """(z, a): the convolution z = x (cross-correlated with) W + b and its activation
        a = act(z) (``code`` from ``numbanet.codes.Act``). Here the two ops one after the other;
        a backend may fuse them and return z = None when act'(z) can be read from a (see
        :func:`act_needs_z`)."""
        z = self.conv2d_forward(x, W, b, stride, padding)
        a = self.act_forward(code, z.reshape(z.shape[0], -1), alpha)
        return z, a.reshape(z.shape)

    def conv2d_act_backward(
        self, x, W, z, a, da, dW, db, stride, padding, code, alpha=0.0, need_dx=True
    ):
        """dx of a = act(conv(x)): dz = da * act'(z), then ``conv2d_backward`` (which accumulates
        dW, db). ``z`` may be None when ``conv2d_act_forward`` returned None (then a stands in
        for it, which gives the same derivative for those activations)."""
        n = da.shape[0]
        zz = a if z is None else z
        dz = self.act_backward(code, zz.reshape(n, -1), a.reshape(n, -1), da.reshape(n, -1), alpha)
        return self.conv2d_backward(x, W, dz.reshape(da.shape), dW, db, stride, padding, need_dx)

    def pool2d_forward(self, kind, x, size, stride):
        """(y, arg): max (kind 0) or mean (kind 1) of every window; ``arg`` None for the mean."""
        (kh, kw), (sh, sw) = size, stride
        n, c, h, w = x.shape
        oh, ow = conv_out_size(h, kh, sh, 0), conv_out_size(w, kw, sw, 0)
        win = _windows(x, kh, kw, sh, sw, oh, ow)
        if kind == POOL_AVG:
            return win.mean(axis=(4, 5)).astype(x.dtype, copy=False), None
        flat = win.reshape(n, c, oh, ow, kh * kw)
        k = flat.argmax(axis=4)  # first maximum in (u, v) row-major order
        rows = np.arange(oh)[:, None] * sh + k // kw
        cols = np.arange(ow)[None, :] * sw + k % kw
        arg = (rows * w + cols).astype(np.int32)
        return np.take_along_axis(flat, k[..., None], axis=4)[..., 0].copy(), arg

    def pool2d_backward(self, kind, x_shape, dy, arg, size, stride):
        """dx: max sends each dy to its window's maximum, the mean spreads dy / (kh kw)."""
        (kh, kw), (sh, sw) = size, stride
        n, c, h, w = x_shape
        oh, ow = dy.shape[2], dy.shape[3]
        if kind == POOL_MAX:
            dx = np.zeros((n, c, h * w), dtype=dy.dtype)
            ni, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
            np.add.at(
                dx, (ni[..., None], ci[..., None], arg.reshape(n, c, -1)), dy.reshape(n, c, -1)
            )
            return dx.reshape(n, c, h, w)
        dx = np.zeros((n, c, h, w), dtype=dy.dtype)
        g = dy / (kh * kw)
        for u in range(kh):
            for v in range(kw):
                dx[:, :, u : u + (oh - 1) * sh + 1 : sh, v : v + (ow - 1) * sw + 1 : sw] += g
        return dx


def _out_shape(x, W, stride, padding):
    (sh, sw), (ph, pw) = stride, padding
    return (
        x.shape[0],
        W.shape[0],
        conv_out_size(x.shape[2], W.shape[2], sh, ph),
        conv_out_size(x.shape[3], W.shape[3], sw, pw),
    )


class CPUConvOps:
    """Numba kernels of ``kernels/cpu/conv.py`` (direct loops, threaded over planes).

    Every array these ops create (outputs, input gradients, padded copies, the widened output
    gradient) comes from the backend's :class:`~numbanet.backends._workspace.Workspace`: the
    arrays of the previous training step are reused once nothing holds them any more, so a step
    allocates no fresh memory (and takes no page faults) while arrays that a caller keeps are
    never overwritten.
    """

    _kernels = None

    @classmethod
    def _KC(cls):
        """The kernel module, imported on first use (the reference backend never loads Numba)."""
        K = cls._kernels
        if K is None:
            from ..kernels.cpu import conv as K

            cls._kernels = K
        return K

    @property
    def workspace(self):
        """The backend's reusable arrays (created on first use)."""
        ws = self.__dict__.get("_workspace")
        if ws is None:
            from ._workspace import Workspace

            ws = self.__dict__["_workspace"] = Workspace()
        return ws

    def _padded_flat(self, K, x, padding, work):
        """x zero-padded (a workspace copy only when padding > 0), planes flattened:
        (x3 of shape (N, C, Hp*Wp), Hp, Wp)."""
        ph, pw = padding
        n, c, h, w = x.shape
        if ph or pw:
            hp, wp = h + 2 * ph, w + 2 * pw
            xp = self.workspace.empty((n, c, hp * wp), x.dtype)
            K.pick_by_work(K.pad_planes, work)(np.ascontiguousarray(x), ph, pw, xp)
            return xp, hp, wp
        x = np.ascontiguousarray(x)
        return x.reshape(n, c, h * w), h, w

    def conv2d_forward(self, x, W, b, stride, padding):
        K = self._KC()
        (sh, sw), (ph, pw) = stride, padding
        shape = _out_shape(x, W, stride, padding)
        y = self.workspace.empty(shape, x.dtype)
        work = y.size * W.shape[1] * W.shape[2] * W.shape[3]
        if (sh, sw) == (1, 1):  # the "wide" kernels: one long vector loop per plane
            x3, _, wp = self._padded_flat(K, x, padding, work)
            y3 = y.reshape(shape[0], shape[1], shape[2] * shape[3])
            if W.shape[2:] == (3, 3):
                W9 = np.ascontiguousarray(W).reshape(W.shape[0], W.shape[1], 9)
                K.pick_by_work(K.conv3x3_forward_s1, work)(
                    x3, W9, b, wp, shape[2], shape[3], 0, x.dtype.type(0), y3, y3, False
                )
            else:
                K.pick_by_work(K.conv2d_forward_s1, work)(x3, W, b, wp, shape[2], shape[3], y3)
        else:
            K.pick_by_work(K.conv2d_forward, work)(x, W, b, sh, sw, ph, pw, y)
        return y

    @staticmethod
    def _fusable(W, stride, dW=None):
        """True for the convolutions whose kernels apply an activation on the way: 3x3, stride 1
        (with a contiguous weight gradient, so that its (O, C, 9) view is not a copy)."""
        return (
            tuple(stride) == (1, 1)
            and W.shape[2:] == (3, 3)
            and (dW is None or dW.flags.c_contiguous)
        )

    def conv2d_act_forward(self, x, W, b, stride, padding, code, alpha=0.0):
        if not self._fusable(W, stride) or int(code) == int(Act.STEP):
            return super().conv2d_act_forward(x, W, b, stride, padding, code, alpha)
        K = self._KC()
        shape = _out_shape(x, W, stride, padding)
        ws = self.workspace
        a = ws.empty(shape, x.dtype)
        keep_z = act_needs_z(code, alpha)
        z = ws.empty(shape, x.dtype) if keep_z else None
        work = a.size * W.shape[1] * 9
        x3, _, wp = self._padded_flat(K, x, padding, work)
        a3 = a.reshape(shape[0], shape[1], shape[2] * shape[3])
        z3 = z.reshape(a3.shape) if keep_z else a3
        W9 = np.ascontiguousarray(W).reshape(W.shape[0], W.shape[1], 9)
        K.pick_by_work(K.conv3x3_forward_s1, work)(
            x3, W9, b, wp, shape[2], shape[3], int(code), x.dtype.type(alpha), a3, z3, keep_z
        )
        return z, a

    def conv2d_act_backward(
        self, x, W, z, a, da, dW, db, stride, padding, code, alpha=0.0, need_dx=True
    ):
        if not self._fusable(W, stride, dW):
            return super().conv2d_act_backward(
                x, W, z, a, da, dW, db, stride, padding, code, alpha, need_dx
            )
        K = self._KC()
        work = da.size * W.shape[1] * 9
        da = np.ascontiguousarray(da)
        return self._conv3x3_backward(
            K, x, W, da, dW, db, padding, need_dx, work, int(code), alpha, a if z is None else z, a
        )

    def _dx_planes(self, K, dxp, x_shape, hp, wp, padding, work):
        """The input gradient from the padded flat planes ``dxp``: a view when there is no
        padding, else the inside copied into a workspace array."""
        ph, pw = padding
        if ph or pw:
            dx = self.workspace.empty(x_shape, dxp.dtype)
            K.pick_by_work(K.crop_planes, work)(dxp, hp, wp, ph, pw, dx)
            return dx
        return dxp.reshape(x_shape)

    def _conv3x3_backward(
        self, K, x, W, dy, dW, db, padding, need_dx, work, code=0, alpha=0.0, za=None, a=None
    ):
        """The 3x3 stride-1 backward: one kernel, chunk by chunk of examples (see its
        docstring); with an activation ``code``, dy is the gradient of its output a and ``za``
        holds z (or a, when the derivative can be read from it)."""
        n, o, oh, ow = dy.shape
        ws = self.workspace
        x3, hp, wp = self._padded_flat(K, x, padding, work)
        dy3 = dy.reshape(n, o, oh * ow)
        if za is None:
            za3 = a3 = dy3
        else:
            za3 = np.ascontiguousarray(za).reshape(dy3.shape)
            a3 = np.ascontiguousarray(a).reshape(dy3.shape)
        c, q = x3.shape[1], hp * wp
        lead = 2 * wp + 2
        B = max(1, min(n, CHUNK_FLOATS // ((o + c) * q)))
        nch = (n + B - 1) // B
        kern = K.pick_by_work(K.conv3x3_backward_s1, work)
        S = nch if kern is K.conv3x3_backward_s1[1] else 1
        dt = x.dtype
        do_dw = dW is not None
        gt = ws.empty((S, o, lead + B * q), dt)
        xt = ws.empty((S, c, B * q) if do_dw else (1, 1, 1), dt)
        pw = ws.empty((S, o, c, 9) if do_dw else (1, 1, 1, 1), dt)
        pb = ws.empty((S, o), dt)
        dxp = ws.empty(x3.shape if need_dx else (1, 1, 1), dt)
        dW9 = dW.reshape(o, c, 9) if do_dw else pw[0]  # a view: dW is contiguous
        dbk = db if db is not None else pb[0]
        W9 = np.ascontiguousarray(W).reshape(o, c, 9)
        kern(
            x3,
            dy3,
            W9,
            wp,
            oh,
            ow,
            lead,
            B,
            code,
            dt.type(alpha),
            za3,
            a3,
            do_dw,
            db is not None,
            need_dx,
            gt,
            xt,
            pw,
            pb,
            dW9,
            dbk,
            dxp,
        )
        if not need_dx:
            return None
        return self._dx_planes(K, dxp, x.shape, hp, wp, padding, work)

    def _conv2d_backward_s1(self, K, x, W, dy, dW, db, padding, need_dx, work):
        if W.shape[2:] == (3, 3):
            return self._conv3x3_backward(K, x, W, dy, dW, db, padding, need_dx, work)
        n, o, oh, ow = dy.shape
        ws = self.workspace
        x3, hp, wp = self._padded_flat(K, x, padding, work)
        dy3 = dy.reshape(n, o, oh * ow)
        L = (oh - 1) * wp + ow
        dbk = db if db is not None else np.zeros(W.shape[0], dtype=W.dtype)
        dyw = ws.empty((n, o, oh * wp), dy.dtype)
        K.pick_by_work(K.widen, dy.size * 4)(dy3, oh, ow, wp, dyw)
        if dW is not None:
            K.pick_by_work(K.conv2d_backward_dw_s1, work)(x3, dyw, wp, L, dW, dbk, db is not None)
        elif db is not None:
            db += dy.sum(axis=(0, 2, 3)).astype(db.dtype)
        if not need_dx:
            return None
        dxp = ws.empty(x3.shape, x.dtype)
        K.pick_by_work(K.conv2d_backward_dx_s1, work)(dyw, W, wp, L, dxp)
        return self._dx_planes(K, dxp, x.shape, hp, wp, padding, work)

    def conv2d_backward(self, x, W, dy, dW, db, stride, padding, need_dx=True):
        K = self._KC()
        (sh, sw), (ph, pw) = stride, padding
        work = dy.size * W.shape[1] * W.shape[2] * W.shape[3]
        dy = np.ascontiguousarray(dy)
        if (sh, sw) == (1, 1) and (dW is None or dW.flags.c_contiguous):
            return self._conv2d_backward_s1(K, x, W, dy, dW, db, padding, need_dx, work)
        if dW is not None or db is not None:
            dWk = dW if dW is not None else np.zeros(W.shape, dtype=W.dtype)
            dbk = db if db is not None else np.zeros(W.shape[0], dtype=W.dtype)
            if dW is not None:
                K.pick_by_work(K.conv2d_backward_dw, work)(
                    x, dy, sh, sw, ph, pw, dWk, dbk, db is not None
                )
            else:
                dbk += dy.sum(axis=(0, 2, 3)).astype(dbk.dtype)
        if not need_dx:
            return None
        dx = self.workspace.empty(x.shape, x.dtype)
        K.pick_by_work(K.conv2d_backward_dx, work)(dy, W, sh, sw, ph, pw, dx)
        return dx

    def pool2d_forward(self, kind, x, size, stride):
        K = self._KC()
        (kh, kw), (sh, sw) = size, stride
        n, c, h, w = x.shape
        oh, ow = conv_out_size(h, kh, sh, 0), conv_out_size(w, kw, sw, 0)
        y = self.workspace.empty((n, c, oh, ow), x.dtype)
        if kind == POOL_MAX:
            arg = self.workspace.empty((n, c, oh, ow), np.int32)
        else:
            arg = np.zeros((1, 1, 1, 1), dtype=np.int32)
        x = np.ascontiguousarray(x)
        if (kh, kw, sh, sw) == (2, 2, 2, 2):
            K.pick_by_work(K.pool2x2_forward, y.size * 4)(kind, x, y, arg)
        else:
            K.pick_by_work(K.pool2d_forward, y.size * kh * kw)(kind, x, kh, kw, sh, sw, y, arg)
        return y, (arg if kind == POOL_MAX else None)

    def pool2d_backward(self, kind, x_shape, dy, arg, size, stride):
        K = self._KC()
        (kh, kw), (sh, sw) = size, stride
        dx = self.workspace.empty(tuple(x_shape), dy.dtype)
        if arg is None:
            arg = np.zeros((1, 1, 1, 1), dtype=np.int32)
        dy = np.ascontiguousarray(dy)
        if (kh, kw, sh, sw) == (2, 2, 2, 2):
            K.pick_by_work(K.pool2x2_backward, dx.size)(kind, dy, arg, dx)
        else:
            K.pick_by_work(K.pool2d_backward, dx.size)(kind, dy, arg, kh, kw, sh, sw, dx)
        return dx


def _grid1(n):
    tpb = int(config.THREADS_PER_BLOCK)
    return (max(1, (n + tpb - 1) // tpb), tpb)


def _tree_threads(K):
    """Threads of a tree-reduction block: the largest power of two <= THREADS_PER_BLOCK."""
    t = 1
    while 2 * t <= min(int(config.THREADS_PER_BLOCK), K.TREE_MAX):
        t *= 2
    return t


class CUDAConvOps:
    """numba.cuda kernels of ``kernels/cuda/conv.py``: convolutions as im2col + the backend's
    register-blocked GEMM (forward, dW, dx), the bias gradient as a block tree reduction;
    pooling with one thread per output element."""

    @staticmethod
    def _KG():
        from ..kernels.cuda import conv as K

        return K

    def _im2col(self, x, kh, kw, stride, padding, oh, ow):
        (sh, sw), (ph, pw) = stride, padding
        n, c = x.shape[0], x.shape[1]
        cols = self.cuda.device_array((n * oh * ow, c * kh * kw), dtype=x.dtype)
        if cols.size:
            self._KG().im2col[_grid1(cols.size)](x, kh, kw, sh, sw, ph, pw, oh, ow, cols)
        return cols

    def conv2d_forward(self, x, W, b, stride, padding):
        """y = im2col(x) W2^T (one GEMM, rows = output positions), back to NCHW planes + b."""
        K = self._KG()
        shape = _out_shape(x, W, stride, padding)
        n, O, oh, ow = shape
        y = self.cuda.device_array(shape, dtype=x.dtype)
        if y.size:
            cols = self._im2col(x, W.shape[2], W.shape[3], stride, padding, oh, ow)
            y2 = self.cuda.device_array((n * oh * ow, O), dtype=x.dtype)
            self._matmul(cols, W.reshape(O, W.size // O), y2, 0, 1, 0)
            y3 = y.reshape(n, O, oh * ow)
            K.rows_to_planes_bias[_grid1(y.size)](y2, b, y3)
        return y

    def conv2d_backward(self, x, W, dy, dW, db, stride, padding, need_dx=True):
        """dW2 += dy2^T im2col(x), db by a per-channel tree, dx = col2im(dy2 W2) (gathered)."""
        K = self._KG()
        (sh, sw), (ph, pw) = stride, padding
        n, O, oh, ow = dy.shape
        kh, kw = W.shape[2], W.shape[3]
        dy3 = dy.reshape(n, O, oh * ow)
        if db is not None and db.size:
            K.channel_sum_tree[O, _tree_threads(K)](dy3, db)
        if dy.size == 0 or (dW is None and not need_dx):
            return self.zeros(x.shape, x.dtype) if need_dx else None
        dy2 = self.cuda.device_array((n * oh * ow, O), dtype=dy.dtype)
        K.planes_to_rows[_grid1(dy2.size)](dy3, dy2)
        if dW is not None:
            cols = self._im2col(x, kh, kw, stride, padding, oh, ow)
            self._matmul(dy2, cols, dW.reshape(O, dW.size // O), 1, 0, 1)
        if not need_dx:
            return None
        dcols = self.cuda.device_array((n * oh * ow, W.size // O), dtype=dy.dtype)
        self._matmul(dy2, W.reshape(O, W.size // O), dcols, 0, 0, 0)
        dx = self.cuda.device_array(x.shape, dtype=x.dtype)
        if dx.size:
            K.col2im[_grid1(dx.size)](dcols, kh, kw, sh, sw, ph, pw, oh, ow, dx)
        return dx

    def pool2d_forward(self, kind, x, size, stride):
        K = self._KG()
        (kh, kw), (sh, sw) = size, stride
        n, c, h, w = x.shape
        oh, ow = conv_out_size(h, kh, sh, 0), conv_out_size(w, kw, sw, 0)
        y = self.cuda.device_array((n, c, oh, ow), dtype=x.dtype)
        shape = (n, c, oh, ow) if kind == POOL_MAX else (1, 1, 1, 1)
        arg = self.cuda.device_array(shape, dtype=np.int32)
        K.pool2d_forward[_grid1(y.size)](kind, x, kh, kw, sh, sw, y, arg)
        return y, (arg if kind == POOL_MAX else None)

    def pool2d_backward(self, kind, x_shape, dy, arg, size, stride):
        K = self._KG()
        (kh, kw), (sh, sw) = size, stride
        dx = self.cuda.device_array(tuple(x_shape), dtype=dy.dtype)
        if arg is None:
            arg = self.cuda.device_array((1, 1, 1, 1), dtype=np.int32)
        K.pool2d_backward[_grid1(dx.size)](kind, dy, arg, kh, kw, sh, sw, dx)
        return dx
