"""The CUDA backend: numba.cuda kernels; parameters, activations and gradients stay on the device.

Host <-> device copies happen only at the edges: data in (once per ``fit``, or per call of
``forward``), scalars and metrics out. Launch geometry comes from ``numbanet.config`` at each call
(tests shrink it so the simulator runs several small blocks).

Size: over 600 lines on purpose: the device-side bookkeeping that makes a training step cost no
allocation and no copy (counters, workspace arena, device loss, device data set, the one-launch
tiny-net plan, device selection) sits beside the backend that relies on it.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import numpy as np

from .. import _cuda, config
from .._cuda import cuda as _cuda_mod
from ..codes import FusedLoss
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
    set passed to ``fit``, or the minibatch of a manual loop, whose forward, loss, backward and
    update then run on the device with no further copy (``net.forward`` of a device array
    returns a device array). Integer arrays (labels) become int64. The array comes from the
    backend's workspace arena, so moving one minibatch per step allocates nothing after the
    first steps (a copy, never an allocation)."""
    if _is_device(x):
        if dtype is not None and x.dtype != np.dtype(dtype):
            raise TypeError(f"device array has dtype {x.dtype}, expected {np.dtype(dtype)}")
        return x
    a = np.asarray(x)
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    elif a.dtype.kind in "biu":
        a = a.astype(np.int64, copy=False)
    from . import get_backend  # noqa: PLC0415

    return get_backend("cuda").upload(a)


class DeviceDataset:
    """A data set kept on the device, cut into minibatches there.

    ``DeviceDataset(x, y, dtype)`` copies the inputs (as ``dtype``) and the targets (integer
    labels as int64, anything else as ``dtype``) to the device once. ``batches(batch_size)``
    then yields device minibatches ``(xb, yb)`` for a manual loop::

        data = DeviceDataset(x, y, np.float32)
        for epoch in range(epochs):
            for xb, yb in data.batches(32, seed=epoch):
                opt.zero_grad()
                out = net.forward(xb, training=True)  # device in, device out
                loss_value = loss.forward(out, yb)  # stays on the device until read
                net.backward(loss.backward())
                opt.step()

    With ``shuffle`` the epoch's permutation is drawn on the host and uploaded once (one copy
    per epoch); each minibatch is gathered on the device (one launch for x, one for y, no
    copy). Without it the minibatches are views of the data (no launch, no copy).
    """

    def __init__(self, x, y=None, dtype=np.float32):
        dt = np.dtype(dtype)
        if dt not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64; got {dt}")
        self.x = to_device(x, dt if not _is_device(x) else None)
        if _is_device(self.x) and self.x.dtype != dt:
            raise TypeError(f"x is a device array of {self.x.dtype}; expected {dt}")
        self.y = None
        if y is not None:
            self.y = to_device(y, None if np.asarray(y).dtype.kind in "biu" else dt)
            if self.y.shape[0] != self.x.shape[0]:
                raise ValueError(
                    f"y has {self.y.shape[0]} rows but x has {self.x.shape[0]} examples"
                )
        self.dtype = dt

    def __len__(self):
        return int(self.x.shape[0])

    def batches(self, batch_size, shuffle=True, seed=None):
        """Minibatches ``(xb, yb)`` (``yb`` None without targets) of at most ``batch_size``
        rows, in a random order drawn from ``seed`` when ``shuffle``."""
        from . import get_backend  # noqa: PLC0415

        be = get_backend("cuda")
        n = len(self)
        bs = int(batch_size)
        if bs < 1:
            raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
        perm = np.random.default_rng(seed).permutation(n) if shuffle else None
        for s in range(0, n, bs):
            e = min(n, s + bs)
            if perm is None:
                yield self.x[s:e], (None if self.y is None else self.y[s:e])
            else:
                idx = perm[s:e]  # a view of one permutation: uploaded once per epoch
                xb = be.take_rows(self.x, idx)
                yield xb, (None if self.y is None else be.take_rows(self.y, idx))


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


#: Dense nets with at most this many parameters train through ``fit`` with one kernel launch per
#: minibatch step (``kernels/cuda/mlp.py``: forward, loss, backward and update in one block).
#: 784-30-10 has 23,860; one SM's share of work stays below that of a few launches up to about here.
FUSED_MAX_PARAMS = 1 << 15


class FusedDenseStepPlan:
    """``fit``'s fused path on the cuda backend (the CPU backend's ``FusedDensePlan`` twin):
    a tiny plain dense net trained with one ``mlp_step`` launch per minibatch.

    Per ``run`` (an epoch, or a chunk of one): the permutation is uploaded once (the backend's
    index cache), the steps launch one kernel each, and the summed cost and the right answers,
    accumulated on the device, are read once (two copies). The targets and class labels are
    uploaded once per ``fit`` (kept while the same host arrays are passed), the offsets and
    activation codes once per plan; the workspaces are kept per batch size. Nothing is
    allocated in steady state."""

    def __init__(self, backend, stack, loss_code, cost_c, optimizer):
        from ..kernels.cuda import mlp

        self.K = mlp
        self.be = backend
        self.stack = stack
        self.optimizer = optimizer
        self.loss_code = int(loss_code)
        self.cost_c = float(cost_c)
        self.flat = stack.flat
        self.dtype = np.dtype(stack.flat.dtype)
        up = backend.upload
        i64 = np.int64
        self.sizes_h = np.asarray(stack.sizes, i64)
        self.meta = (
            up(np.asarray(stack.w_off, i64)),
            up(np.asarray(stack.b_off, i64)),
            up(self.sizes_h),
            up(np.asarray([int(a) for a in stack.acts], i64)),
            up(np.asarray(stack.alphas, self.dtype)),
        )
        self._no_T = backend.zeros((1, 1), self.dtype)
        self._no_labels = up(np.zeros(1, i64))
        self._acc = backend.zeros((2,), self.dtype)
        self._hits = up(np.zeros(1, i64))
        self._ws = {}
        self._host = {}

    def _device(self, key, host, dtype):
        """``host`` on the device, uploaded once while the same host array is passed."""
        kept = self._host.get(key)
        if kept is None or kept[0] is not host:
            kept = (host, self.be.upload(np.ascontiguousarray(host, dtype=dtype)))
            self._host[key] = kept
        return kept[1]

    def _workspaces(self, bs):
        ws = self._ws.get(bs)
        if ws is None:
            s = self.sizes_h
            e = self.be.empty
            ws = (e((bs * int(s[1:].sum()),), self.dtype), e((bs * int(s[1:].sum()),), self.dtype))
            ws += (e((2, bs * int(s.max())), self.dtype),)
            self._ws = {bs: ws}  # the last batch size's only
        return ws

    def threads(self):
        """Threads of the one block: the largest power of two <= 2 x config.THREADS_PER_BLOCK."""
        t = 1
        while 2 * t <= min(2 * int(config.THREADS_PER_BLOCK), self.K.MLP_MAX_THREADS):
            t *= 2
        return t

    def run(self, X, T, acc_labels, perm, start, stop, bs):
        """Train on ``perm[start:stop]`` in minibatches of ``bs`` (``X`` on the device, or on
        the host: then uploaded once while the same array is passed; ``T`` the prepared host
        target, ``acc_labels`` host class labels or None). Returns (summed
        cost, examples classified right before their minibatch's update)."""
        from ..optim import _FLAT  # the optimiser's whole flat state (its own key)

        opt = self.optimizer
        rule = opt.fused_rule()
        F = self.dtype.type
        code = self.loss_code
        if not _is_device(X):  # a caller keeping its data on the host (the Nielsen compat)
            X = self._device("X", X, self.dtype)
        T = np.asarray(T)
        if T.ndim == 1:
            labels, Td = self._device("labels", T, np.int64), self._no_T
        else:
            labels, Td = self._no_labels, self._device("T", T, self.dtype)
            if code == FusedLoss.SOFTMAX_XENT_LABELS:
                code = FusedLoss.SOFTMAX_XENT_PROBS
        count = acc_labels is not None
        accl = self._device("acc", acc_labels, np.int64) if count else self._no_labels
        dperm = self.be._device_index(np.ascontiguousarray(perm, dtype=np.int64))
        zws, aws, dws = self._workspaces(bs)
        if rule.momentum:
            mflat, beta, damp = opt.buffer(_FLAT, "m"), F(rule.beta), F(rule.damp)
        else:
            mflat, beta, damp = self.flat, F(0), F(1)  # never read without momentum
        lr, decay = F(rule.lr), F(opt.decay_factor(self.stack.parameters[0]))
        w_off, b_off, sizes, acts, alphas = self.meta
        kern = self.K.mlp_step[1, self.threads()]
        steps = 0
        for s in range(start, stop, bs):
            m = min(bs, stop - s)
            kern(
                X, Td, labels, dperm, s, m, self.flat, mflat, w_off, b_off, sizes, acts, alphas,
                int(code), F(self.cost_c), F(self.cost_c / m), lr, decay, beta, damp,
                int(rule.momentum), zws, aws, dws, accl, int(count), int(steps == 0),
                self._acc, self._hits,
            )  # fmt: skip
            steps += 1
        opt.t += steps  # the steps taken, as the layer path counts them
        if not steps:
            return 0.0, 0
        total = self.be.read_accumulator(self._acc)
        return total, (self.be.read_count(self._hits) if count else 0)


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

    # ------------------------------------------------------------------ fused tiny nets
    def fused_dense_plan(self, stack, loss, optimizer):
        """A :class:`FusedDenseStepPlan` (one launch per minibatch step) for a plain dense net
        of at most ``FUSED_MAX_PARAMS`` parameters trained by SGD or momentum (the CPU fused
        path's rules) over the model's whole flat buffer; else None (layer by layer)."""
        if stack is None or loss is None or optimizer.fused_rule() is None:
            return None
        mp = stack.parameters
        if len(optimizer.params) != len(mp) or any(
            a is not b for a, b in zip(optimizer.params, mp)
        ):
            return None
        seg = optimizer._flat_segment()  # the velocities must be laid out like ``flat``
        flat = stack.flat
        if seg is None or seg.home[2] != 0 or seg.size != flat.size or flat.size > FUSED_MAX_PARAMS:
            return None
        if flat.dtype != mp[0].dtype or len(stack.sizes) < 2:
            return None
        return FusedDenseStepPlan(self, stack, loss[0], loss[1], optimizer)

    # ------------------------------------------------------------------ arrays
    def asarray(self, x, dtype):
        if _is_device(x):
            if x.dtype != np.dtype(dtype):
                raise TypeError(f"device array has dtype {x.dtype}, expected {np.dtype(dtype)}")
            return x
        return self.upload(np.ascontiguousarray(x, dtype=dtype))

    def upload(self, host):
        """A device copy of the host array ``host``: one copy into an array from the workspace
        arena (no allocation once an idle array of that shape and type exists)."""
        host = np.ascontiguousarray(host)
        a = self.arena.empty(host.shape, host.dtype)
        if a.size:
            _cuda.copy_to_device(a, host)
        return a

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
        if dz.size:
            grid, block = self.K.col_sum_launch(dz.shape[1], config.TILE)
            self.K.col_sum_tree[grid, block](dz, db)
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


class DeviceBackend:
    """The cuda backend bound to CUDA device ``index`` (``backend="cuda:1"``).

    Every op of the wrapped :class:`CUDABackend` runs with that device's context current
    (numba's ``cuda.gpus[index]`` context manager, entered and left around the call), so its
    arrays are allocated and its kernels run on that GPU, and the caller's current device is
    the same after the call as before. Attributes that are not methods are the wrapped
    backend's."""

    def __init__(self, index):
        self.index = int(index)
        self.name = f"cuda:{self.index}"
        self._inner = CUDABackend()

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name.startswith("__") or not callable(attr) or isinstance(attr, type):
            return attr
        gpu = _cuda_mod().gpus[self.index]

        def on_device(*args, **kwargs):
            with gpu:
                return attr(*args, **kwargs)

        on_device.__name__ = name
        on_device.__doc__ = attr.__doc__
        return on_device

    def __repr__(self):
        return f"<numbanet cuda backend on device {self.index}>"


def device_backend(index):
    """The backend for ``backend="cuda:N"``: a :class:`DeviceBackend` on device ``index``, after
    checking that the device exists (``BackendUnavailableError`` naming the devices there are)."""
    from ..errors import BackendUnavailableError  # noqa: PLC0415

    count = _cuda.device_count()
    if index >= count:
        there = (
            "none (" + _cuda.status() + ")"
            if count == 0
            else ", ".join(f"cuda:{i}" for i in range(count))
        )
        raise BackendUnavailableError(
            f"backend 'cuda:{index}': there is no CUDA device {index}; the devices here are "
            f"{there}. Pick one of them, or backend='cuda' for the current device"
        )
    return DeviceBackend(index)
