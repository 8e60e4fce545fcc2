"""CUDA kernels for 2-D convolution (cross-correlation) and pooling, NCHW; twins of
``kernels/cpu/conv.py``.

Simple kernels, one thread per *output* element of each pass, so every thread owns what it writes
and no atomics are needed (each backward pass is written as a gather):

* ``conv2d_forward``: one thread per y[n, o, i, j], summing C x KH x KW products;
* ``conv2d_backward_dw``: one thread per dW[o, c, u, v], summing over the batch and the output
  plane; ``conv2d_backward_db``: one thread per output channel;
* ``conv2d_backward_dx``: one thread per dx[n, c, r, q], gathering the (o, u, v, i, j) whose
  window reads input (r, q): i = (r + ph - u) / sh must be a whole number inside [0, OH);
* ``pool2d_forward``: one thread per pooled output; ``pool2d_backward``: one thread per input
  element, gathering from the windows that cover it.

Padding is implicit: reads outside the image are skipped (they would be zeros). Indices are
decoded from the flat thread index ``cuda.grid(1)``; launch with ``config.THREADS_PER_BLOCK``.
"""

from __future__ import annotations

from numba import float32, float64, int32, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from . import arrays

cuda = _cuda_mod()


@kernel
def conv2d_forward(x, W, b, sh, sw, ph, pw, y):
    """y[n, o, i, j] = b[o] + sum_{c,u,v} W[o, c, u, v] x[n, c, i*sh + u - ph, j*sw + v - pw]."""
    idx = cuda.grid(1)
    N = y.shape[0]
    O = y.shape[1]
    OH = y.shape[2]
    OW = y.shape[3]
    if idx < N * O * OH * OW:
        j = idx % OW
        t = idx // OW
        i = t % OH
        t = t // OH
        o = t % O
        n = t // O
        C = x.shape[1]
        H = x.shape[2]
        Wd = x.shape[3]
        acc = x.dtype.type(0)
        for c in range(C):
            for u in range(W.shape[2]):
                r = i * sh + u - ph
                if r >= 0 and r < H:
                    for v in range(W.shape[3]):
                        q = j * sw + v - pw
                        if q >= 0 and q < Wd:
                            acc += W[o, c, u, v] * x[n, c, r, q]
        y[n, o, i, j] = acc + b[o]


@kernel
def conv2d_backward_dw(x, dy, sh, sw, ph, pw, dW):
    """dW[o, c, u, v] += sum_{n,i,j} dy[n, o, i, j] x[n, c, i*sh + u - ph, j*sw + v - pw]."""
    idx = cuda.grid(1)
    O = dW.shape[0]
    C = dW.shape[1]
    KH = dW.shape[2]
    KW = dW.shape[3]
    if idx < O * C * KH * KW:
        v = idx % KW
        t = idx // KW
        u = t % KH
        t = t // KH
        c = t % C
        o = t // C
        H = x.shape[2]
        Wd = x.shape[3]
        acc = x.dtype.type(0)
        for n in range(x.shape[0]):
            for i in range(dy.shape[2]):
                r = i * sh + u - ph
                if r >= 0 and r < H:
                    for j in range(dy.shape[3]):
                        q = j * sw + v - pw
                        if q >= 0 and q < Wd:
                            acc += dy[n, o, i, j] * x[n, c, r, q]
        dW[o, c, u, v] += acc


@kernel
def conv2d_backward_db(dy, db):
    """db[o] += sum_{n,i,j} dy[n, o, i, j]; one thread per output channel."""
    o = cuda.grid(1)
    if o < dy.shape[1]:
        acc = dy.dtype.type(0)
        for n in range(dy.shape[0]):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    acc += dy[n, o, i, j]
        db[o] += acc


@kernel
def conv2d_backward_dx(dy, W, sh, sw, ph, pw, dx):
    """dx[n, c, r, q] = sum of W[o, c, u, v] dy[n, o, i, j] over i*sh + u - ph = r and
    j*sw + v - pw = q (a gather: one thread per input element)."""
    idx = cuda.grid(1)
    N = dx.shape[0]
    C = dx.shape[1]
    H = dx.shape[2]
    Wd = dx.shape[3]
    if idx < N * C * H * Wd:
        q = idx % Wd
        t = idx // Wd
        r = t % H
        t = t // H
        c = t % C
        n = t // C
        OH = dy.shape[2]
        OW = dy.shape[3]
        acc = dy.dtype.type(0)
        for o in range(W.shape[0]):
            for u in range(W.shape[2]):
                a = r + ph - u
                if a >= 0 and a % sh == 0:
                    i = a // sh
                    if i < OH:
                        for v in range(W.shape[3]):
                            e = q + pw - v
                            if e >= 0 and e % sw == 0:
                                j = e // sw
                                if j < OW:
                                    acc += W[o, c, u, v] * dy[n, o, i, j]
        dx[n, c, r, q] = acc


@kernel
def pool2d_forward(kind, x, kh, kw, sh, sw, y, arg):
    """Max (kind 0; ``arg`` gets the flat index r * W + q of the first maximum) or average
    (kind 1) over kh x kw windows with strides (sh, sw); one thread per output element."""
    idx = cuda.grid(1)
    N = y.shape[0]
    C = y.shape[1]
    OH = y.shape[2]
    OW = y.shape[3]
    if idx < N * C * OH * OW:
        j = idx % OW
        t = idx // OW
        i = t % OH
        t = t // OH
        c = t % C
        n = t // C
        Wd = x.shape[3]
        r0 = i * sh
        q0 = j * sw
        if kind == 0:
            best = x[n, c, r0, q0]
            bi = r0 * Wd + q0
            for u in range(kh):
                for v in range(kw):
                    val = x[n, c, r0 + u, q0 + v]
                    if val > best:
                        best = val
                        bi = (r0 + u) * Wd + q0 + v
            y[n, c, i, j] = best
            arg[n, c, i, j] = bi
        else:
            F = x.dtype.type
            acc = F(0)
            for u in range(kh):
                for v in range(kw):
                    acc += x[n, c, r0 + u, q0 + v]
            y[n, c, i, j] = acc / F(kh * kw)


@kernel
def pool2d_backward(kind, dy, arg, kh, kw, sh, sw, dx):
    """dx[n, c, r, q] gathered from every window (i, j) that covers (r, q): max adds dy where
    the window's maximum is (r, q); average adds dy / (kh kw). One thread per input element."""
    idx = cuda.grid(1)
    N = dx.shape[0]
    C = dx.shape[1]
    H = dx.shape[2]
    Wd = dx.shape[3]
    if idx < N * C * H * Wd:
        q = idx % Wd
        t = idx // Wd
        r = t % H
        t = t // H
        c = t % C
        n = t // C
        OH = dy.shape[2]
        OW = dy.shape[3]
        # windows i with i*sh <= r <= i*sh + kh - 1
        ilo = 0
        if r - kh + 1 > 0:
            ilo = (r - kh + 1 + sh - 1) // sh
        ihi = r // sh + 1
        if ihi > OH:
            ihi = OH
        jlo = 0
        if q - kw + 1 > 0:
            jlo = (q - kw + 1 + sw - 1) // sw
        jhi = q // sw + 1
        if jhi > OW:
            jhi = OW
        me = r * Wd + q
        F = dy.dtype.type
        acc = F(0)
        for i in range(ilo, ihi):
            for j in range(jlo, jhi):
                if kind == 0:
                    if arg[n, c, i, j] == me:
                        acc += dy[n, c, i, j]
                else:
                    acc += dy[n, c, i, j]
        if kind != 0:
            acc = acc / F(kh * kw)
        dx[n, c, r, q] = acc


def _sigs():
    """The signatures the backends launch, for float32 and float64 (see the package docstring)."""
    out = {}
    I = int64  # noqa: E741 - strides, paddings, window sizes, pooling kind
    ARG = arrays(int32)[3]  # max-pooling argmax indices
    for F in (float32, float64):
        A1, _, _, A4 = arrays(F)
        out.setdefault("conv2d_forward", []).append((A4, A4, A1, I, I, I, I, A4))
        out.setdefault("conv2d_backward_dw", []).append((A4, A4, I, I, I, I, A4))
        out.setdefault("conv2d_backward_db", []).append((A4, A1))
        out.setdefault("conv2d_backward_dx", []).append((A4, A4, I, I, I, I, A4))
        out.setdefault("pool2d_forward", []).append((I, A4, I, I, I, I, A4, ARG))
        out.setdefault("pool2d_backward", []).append((I, A4, ARG, I, I, I, I, A4))
    return out


PTX_SIGNATURES = _sigs()
