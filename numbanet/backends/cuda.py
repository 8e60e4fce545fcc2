"""The CUDA backend: numba.cuda kernels; parameters, activations and gradients stay on the device.

Host <-> device copies happen only at the edges: data in (once per ``fit``, or per call of
``forward``), scalars and metrics out. Launch geometry comes from ``numbanet.config`` at each call
(tests shrink it so the simulator runs several small blocks).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import numpy as np

from .. import _cuda, config
from .._cuda import cuda as _cuda_mod
from ._conv_ops import CUDAConvOps
from ._norm_ops import CUDANormOps
from ._optim_ops import CUDAOptimOps
from ._rbm_ops import CUDARBMOps
from ._rnn_ops import CUDARNNOps
from .reference import ReferenceBackend


def stats():
    """Counters of what numbanet asked of the device since the last :func:`reset_stats`:

    ``launches`` (total kernel launches) and ``launches_by_kernel`` (kernel name -> count),
    ``allocations``/``allocated_bytes`` (fresh device arrays; arrays handed out again by the
    backend's workspace arena are not allocations), ``h2d``/``h2d_bytes`` and ``d2h``/
    ``d2h_bytes`` (copies host to device and device to host). Counted at numbanet's own
    boundaries, so the simulator reports what a GPU would be asked to do."""
    return _cuda.stats()


def reset_stats():
    """Set the counters of :func:`stats` to zero."""
    _cuda.reset_stats()


def to_device(x, dtype=None):
    """``x`` as a device array (one copy now), for data that should stay on the GPU: a training
    set passed to ``fit`` or minibatches of a manual loop then cost no copy per step."""
    if _is_device(x):
        return x
    a = np.asarray(x)
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    elif a.dtype.kind in "biu":
        a = a.astype(np.int64, copy=False)
    return _cuda.to_device(np.ascontiguousarray(a))


# ---------------------------------------------------------------------------- workspace arena
#: Kept device arrays at most this large (bytes); larger ones are allocated afresh each time.
ARENA_MAX_ARRAY_BYTES = 256 << 20
#: Total device bytes the arena keeps at most.
ARENA_MAX_BYTES = 1 << 30


def _token(a):
    """What every view of device array ``a`` refers to: its memory (hardware) or its host
    buffer (simulator). Reshapes share it, so its reference count sees them."""
    ary = getattr(a, "_ary", None)  # the simulator's FakeCUDAArray
    return ary if ary is not None else a.gpu_data


def _refs(entries, i):
    a = entries[i]
    return sys.getrefcount(a), sys.getrefcount(_token(a)), getattr(_token(a), "refct", 1)


class DeviceArena:
    """Device arrays kept between calls, keyed by (shape, dtype), handed out only while idle.

    As the CPU backend's ``_workspace.Workspace``: an array is handed out again only when
    nothing outside the arena refers to it or to a view of it (CPython reference counts of the
    array and of its memory, plus numba's own count of owned views on hardware), so an output a
    caller keeps is never overwritten. In a training loop the arrays of step t - 1 are released
    by step t, so after the first steps no device allocation happens."""

    def __init__(self, max_bytes=ARENA_MAX_BYTES, max_array_bytes=ARENA_MAX_ARRAY_BYTES):
        self.max_bytes = int(max_bytes)
        self.max_array_bytes = int(max_array_bytes)
        self._arrays = OrderedDict()
        self._lock = threading.Lock()
        self.kept_bytes = 0
        self._idle = None

    def _calibrate(self):
        if sys.implementation.name != "cpython" or not hasattr(sys, "getrefcount"):
            return False
        probe = [_cuda.device_array((1,), np.uint8)]
        idle = _refs(probe, 0)
        held = probe[0].reshape(1)  # noqa: F841 - a view must be visible
        if _refs(probe, 0) == idle:
            return False
        del held
        return idle

    def empty(self, shape, dtype):
        dtype = np.dtype(dtype)
        shape = (int(shape),) if np.isscalar(shape) else tuple(int(s) for s in shape)
        key = (shape, dtype)
        with self._lock:
            if self._idle is None:
                self._idle = self._calibrate()
            arrays = self._arrays.get(key)
            if arrays is not None:
                self._arrays.move_to_end(key)
                for i in range(len(arrays)):
                    if _refs(arrays, i) == self._idle:
                        return arrays[i]
            a = _cuda.device_array(shape, dtype)
            nbytes = a.nbytes
            if not self._idle or nbytes > self.max_array_bytes or nbytes == 0:
                return a
            if self.kept_bytes + nbytes > self.max_bytes:
                self._evict(self.kept_bytes + nbytes - self.max_bytes)
            if self.kept_bytes + nbytes <= self.max_bytes:
                self._arrays.setdefault(key, []).append(a)
                self.kept_bytes += nbytes
            return a

    def _evict(self, need):
        for key in list(self._arrays):
            arrays = self._arrays[key]
            i = 0
            while i < len(arrays) and need > 0:
                if _refs(arrays, i) == self._idle:
                    need -= arrays[i].nbytes
                    self.kept_bytes -= arrays[i].nbytes
                    del arrays[i]
                else:
                    i += 1
            if not arrays:
                del self._arrays[key]
            if need <= 0:
                return

    def clear(self):
        with self._lock:
            self._arrays.clear()
            self.kept_bytes = 0


class _CountedCuda:
    """``numba.cuda`` as the backend and its op mixins see it (``self.cuda``): ``device_array``
    comes from the workspace arena, ``to_device`` is counted; the rest is numba's."""

    def __init__(self, module, arena):
        self._module = module
        self._arena = arena

    def device_array(self, shape, dtype):
        return self._arena.empty(shape, dtype)

    def to_device(self, host):
        return _cuda.to_device(host)

    def __getattr__(self, name):
        return getattr(self._module, name)


class DeviceLoss:
    """A minibatch loss still on the device: ``scale * sum(rows)`` of the per-row losses.

    What the cuda backend's loss ops return as the summed loss. Scaling by a number stays on the
    device (the loss's ``c * total / m``); ``float(loss)`` (or any arithmetic with it) reads it
    once: one copy of the rows, summed in float64 on the host. ``fit`` instead adds it into an
    epoch accumulator on the device with :meth:`add_to` and reads that once per epoch."""

    __slots__ = ("_backend", "_rows", "_scale", "_value")

    def __init__(self, backend, rows, scale=1.0):
        self._backend = backend
        self._rows = rows
        self._scale = float(scale)
        self._value = None

    def _scaled(self, k):
        if isinstance(k, (int, float, np.integer, np.floating)) and not isinstance(k, bool):
            return DeviceLoss(self._backend, self._rows, self._scale * float(k))
        return NotImplemented

    def __mul__(self, k):
        return self._scaled(k)

    __rmul__ = __mul__

    def __truediv__(self, k):
        if isinstance(k, (int, float, np.integer, np.floating)) and not isinstance(k, bool):
            return DeviceLoss(self._backend, self._rows, self._scale / float(k))
        return NotImplemented

    def __float__(self):
        if self._value is None:
            rows = self._backend.to_numpy(self._rows)
            self._value = float(rows.sum(dtype=np.float64)) * self._scale
        return self._value

    def __add__(self, o):
        return float(self) + o

    __radd__ = __add__

    def __sub__(self, o):
        return float(self) - o

    def __rsub__(self, o):
        return o - float(self)

    def __neg__(self):
        return -float(self)

    def __lt__(self, o):
        return float(self) < o

    def __le__(self, o):
        return float(self) <= o

    def __gt__(self, o):
        return float(self) > o

    def __ge__(self, o):
        return float(self) >= o

    def __eq__(self, o):
        return float(self) == o

    def __hash__(self):
        return hash(float(self))

    def __bool__(self):
        return bool(float(self))

    def __format__(self, spec):
        return format(float(self), spec)

    def __array__(self, dtype=None, copy=None):
        """NumPy sees the value (``np.array([loss, ...])`` is a float array, not objects)."""
        return np.asarray(float(self), dtype=np.float64 if dtype is None else dtype)

    def __repr__(self):
        return repr(float(self))

    def add_to(self, acc, weight=1.0):
        """Add ``weight * self`` into the device accumulator ``acc`` (a fresh one from the
        backend when None) with one launch and no copy; returns ``acc``. Read it with
        ``backend.read_accumulator(acc)``."""
        be = self._backend
        rows = self._rows
        if acc is None:
            acc = be.zeros((2,), rows.dtype)
        from ..kernels.cuda import dense as K  # noqa: PLC0415

        K.loss_accumulate[1, be._reduce_threads()](rows, rows.dtype.type(self._scale * weight), acc)
        return acc


def _is_device(a):
    """True for a numba device array (real or simulated)."""
    return hasattr(a, "copy_to_host")


def _grid1(n):
    tpb = int(config.THREADS_PER_BLOCK)
    return (max(1, (n + tpb - 1) // tpb), tpb)


class CUDABackend(CUDAConvOps, CUDARNNOps, CUDARBMOps, CUDAOptimOps, CUDANormOps, ReferenceBackend):
    """numba.cuda kernels on device arrays."""

    name = "cuda"
    is_device = True

    def __init__(self):
        from ..kernels.cuda import dense as K

        self.arena = DeviceArena()
        self.cuda = _CountedCuda(_cuda_mod(), self.arena)
        self.K = K

    # ------------------------------------------------------------------ arrays
    def asarray(self, x, dtype):
        if _is_device(x):
            if x.dtype != np.dtype(dtype):
                raise TypeError(f"device array has dtype {x.dtype}, expected {np.dtype(dtype)}")
            return x
        return _cuda.to_device(np.ascontiguousarray(x, dtype=dtype))

    def to_numpy(self, a):
        if _is_device(a):
            return _cuda.copy_to_host(a)
        return np.asarray(a)

    def empty(self, shape, dtype):
        return self.arena.empty(shape, dtype)

    def zeros(self, shape, dtype):
        a = self.arena.empty(shape, dtype)
        self.fill(a, 0)
        return a

    def copy_into(self, dst, src):
        _cuda.copy_to_device(dst, np.ascontiguousarray(src, dtype=dst.dtype).reshape(dst.shape))

    def fill(self, a, value):
        flat = a.reshape(a.size)
        if flat.size:
            self.K.fill[_grid1(flat.size)](flat, flat.dtype.type(value))

    def synchronize(self):
        self.cuda.synchronize()

    def all_finite(self, a):
        flat = a.reshape(a.size)
        out = self.cuda.to_device(np.zeros(1, np.int32))
        if flat.size:
            self.K.nonfinite_count[_grid1(flat.size)](flat, out)
        return int(_cuda.copy_to_host(out)[0]) == 0

    def _reduce_threads(self):
        threads = 1
        while 2 * threads <= min(int(config.THREADS_PER_BLOCK), self.K.LOSS_SUM_MAX):
            threads *= 2
        return threads

    def count_hits(self, out, labels, idx, threshold, acc=None):
        """Add to the device counter ``acc`` (a fresh one when None) how many rows of ``out``
        are classified as ``labels[idx]`` (argmax, or > ``threshold`` for one output), with one
        launch and no copy per call; read it with ``read_count(acc)``. ``labels`` (host, the
        whole training set's) is uploaded once and kept while the same array is passed."""
        cache = getattr(self, "_labels_cache", None)
        if cache is None or cache[0] is not labels:
            cache = (labels, _cuda.to_device(np.ascontiguousarray(labels, dtype=np.int64)))
            self._labels_cache = cache
        first = acc is None
        if first:
            acc = self.arena.empty((1,), np.int64)
        idx_d = self._device_index(np.asarray(idx, dtype=np.int64))
        self.K.count_hits[1, self._reduce_threads()](
            out, cache[1], idx_d, out.dtype.type(threshold), int(first), acc
        )
        return acc

    def read_count(self, acc):
        """The value of a counter made by :meth:`count_hits` (one copy)."""
        return int(self.to_numpy(acc)[0])

    def _device_index(self, idx):
        """``idx`` on the device. A slice of a permutation (fit's minibatches) is a view of one
        upload of the whole permutation, made when its values change (once per epoch), so a
        minibatch's gathers copy nothing; the values are checked against the host copy kept."""
        idx = np.asarray(idx)
        base = idx.base if isinstance(idx.base, np.ndarray) else idx
        if (
            idx.ndim == 1
            and base.ndim == 1
            and idx.dtype == np.int64
            and base.dtype == np.int64
            and idx.strides == (8,)
            and base.flags.c_contiguous
            and idx.size
        ):
            off = (idx.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // 8
            cache = getattr(self, "_idx_cache", None)
            n = idx.shape[0]
            if (
                cache is None
                or cache[0].shape != base.shape
                or not np.array_equal(cache[0][off : off + n], idx)
            ):
                host = base.copy()
                if cache is not None and cache[0].shape == base.shape:
                    dev = cache[1]
                    _cuda.copy_to_device(dev, host)
                else:
                    dev = _cuda.to_device(host)
                self._idx_cache = cache = (host, dev)
            return cache[1][off : off + n]
        return _cuda.to_device(np.ascontiguousarray(idx, dtype=np.int64))

    def take_rows(self, a, idx):
        idx_d = self._device_index(idx)
        a2 = a.reshape(a.shape[0], -1) if a.ndim != 2 else a
        out = self.cuda.device_array((len(idx), a2.shape[1]), dtype=a.dtype)
        if out.size:
            self.K.gather_rows[_grid1(out.size)](a2, idx_d, out)
        return out.reshape((len(idx),) + tuple(a.shape[1:])) if a.ndim != 2 else out

    # ------------------------------------------------------------------ dense
    def _matmul(self, A, B, C, ta, tb, accumulate):
        M, N = C.shape
        if M == 0 or N == 0:
            return
        kern, grid, block = self.K.gemm_launch(C.dtype, M, N, int(config.TILE))
        kern[grid, block](A, B, C, int(ta), int(tb), int(accumulate))

    def dense_forward(self, x, W, b):
        z = self.cuda.device_array((x.shape[0], W.shape[0]), dtype=x.dtype)
        self._matmul(x, W, z, 0, 1, 0)
        if z.size:
            self.K.add_bias[_grid1(z.size)](z, b)
        return z

    def dense_backward(self, x, W, dz, dW, db, need_dx=True):
        self._matmul(dz, x, dW, 1, 0, 1)
        self.K.col_sum_acc[_grid1(dz.shape[1])](dz, db)
        if not need_dx:
            return None
        dx = self.cuda.device_array(x.shape, dtype=x.dtype)
        self._matmul(dz, W, dx, 0, 0, 0)
        return dx

    # ------------------------------------------------------------------ activations
    def act_forward(self, code, z, alpha=0.0):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        if z.size:
            self.K.act_forward[_grid1(z.size)](int(code), z, z.dtype.type(alpha), out)
        return out

    def act_backward(self, code, z, a, da, alpha=0.0):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        if z.size:
            self.K.act_backward[_grid1(z.size)](int(code), z, a, da, z.dtype.type(alpha), out)
        return out

    def prelu_forward(self, z, alpha):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        if z.size:
            self.K.prelu_forward[_grid1(z.size)](z, alpha, out)
        return out

    def prelu_backward(self, z, da, alpha, dalpha):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        rows = self.cuda.to_device(np.zeros((z.shape[0], alpha.shape[0]), z.dtype))
        self.K.prelu_backward[_grid1(z.shape[0])](z, da, alpha, out, rows)
        total = _cuda.copy_to_host(rows).sum(axis=0, dtype=np.float64)
        self.copy_into(dalpha, self.to_numpy(dalpha) + total.astype(dalpha.dtype))
        return out

    def softmax_forward(self, z):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        self.K.softmax_forward[_grid1(z.shape[0])](z, out)
        return out

    def softmax_backward(self, p, dp):
        out = self.cuda.device_array(p.shape, dtype=p.dtype)
        self.K.softmax_backward[_grid1(p.shape[0])](p, dp, out)
        return out

    def log_softmax_forward(self, z):
        out = self.cuda.device_array(z.shape, dtype=z.dtype)
        self.K.log_softmax_forward[_grid1(z.shape[0])](z, out)
        return out

    def log_softmax_backward(self, y, dy):
        out = self.cuda.device_array(y.shape, dtype=y.dtype)
        self.K.log_softmax_backward[_grid1(y.shape[0])](y, dy, out)
        return out

    # ------------------------------------------------------------------ losses
    def _rows(self, n, dtype):
        """Per-row losses, in the kernel's float type (summed on the host in float64)."""
        return self.cuda.device_array(n, dtype=dtype)

    def _row_sum(self, rows):
        return DeviceLoss(self, rows)

    def read_accumulator(self, acc):
        """The value of a loss accumulator made by :meth:`DeviceLoss.add_to` (one copy)."""
        return float(self.to_numpy(acc)[0])

    def xent_labels(self, z, labels, scale):
        grad = self.cuda.device_array(z.shape, dtype=z.dtype)
        rows = self._rows(z.shape[0], z.dtype)
        labels = self.asarray(labels, np.int64)
        self.K.xent_labels[_grid1(z.shape[0])](z, labels, z.dtype.type(scale), grad, rows)
        return self._row_sum(rows), grad

    def xent_onehot(self, z, t, scale):
        grad = self.cuda.device_array(z.shape, dtype=z.dtype)
        rows = self._rows(z.shape[0], z.dtype)
        self.K.xent_onehot[_grid1(z.shape[0])](z, t, z.dtype.type(scale), grad, rows)
        return self._row_sum(rows), grad

    def elementwise_loss(self, kind, p, y, scale, eps=1e-7):
        grad = self.cuda.device_array(p.shape, dtype=p.dtype)
        rows = self._rows(p.shape[0], p.dtype)
        self.K.elementwise_loss[_grid1(p.shape[0])](
            int(kind), p, y, p.dtype.type(scale), p.dtype.type(eps), grad, rows
        )
        return self._row_sum(rows), grad

    # ------------------------------------------------------------------ optimisers
    def sgd_update(self, p, g, lr, decay=1.0):
        pf = p.reshape(p.size)
        gf = g.reshape(g.size)
        if pf.size:
            self.K.sgd_update[_grid1(pf.size)](pf, gf, pf.dtype.type(lr), pf.dtype.type(decay))

    def argmax_rows(self, a):
        return self.to_numpy(a).argmax(axis=1)
