"""``Sequential``: a stack of layers with explicit forward and backward passes, and ``fit``.

Data flow: data -> layers (which only call their backend) -> loss -> backward through the same
layers -> optimiser -> history. There is no autograd tape: ``backward`` walks the layers in
reverse, each applying the chain rule for its own op, exactly as the backpropagation equations of
the slides (BP1-BP4 in Nielsen's numbering) do.
"""

from __future__ import annotations

import copy
import math
import sys
import time

import numpy as np

from .. import config
from .._validate import as_float_array, dtype_of, positive_int
from ..backends import get_backend
from ..errors import DivergenceError, ValidationError
from .activations import Sigmoid, Softmax
from .history import Callback, History
from .layers import Dense, Layer
from .parameter import Parameter

_FUSABLE = {"sigmoid": Sigmoid, "softmax": Softmax}


class Sequential:
    """A feed-forward model: layers applied in order.

    Parameters
    ----------
    layers : list of Layer
    backend : {"auto", "reference", "cpu", "cuda"} or backend object
        Where the computation runs. "auto" picks CUDA only on a real GPU.
    seed : int, optional
        Seed of the parameter initialisation (NumPy ``default_rng``).
    dtype : float32 (default) or float64
    input_shape : tuple, optional
        Shape of one example (without the batch axis); inferred from a first ``Dense`` layer.

    Examples
    --------
    >>> import numbanet as nb
    >>> net = nb.Sequential([nb.Dense(784, 30), nb.Sigmoid(), nb.Dense(30, 10)],
    ...                     backend="cpu", seed=0)
    """

    def __init__(self, layers, backend="auto", seed=None, dtype=None, input_shape=None):
        layers = list(layers)
        if not layers:
            raise ValidationError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValidationError(
                    f"layer {i} is a {type(layer).__name__}, not a numbanet layer "
                    "(e.g. nb.Dense, nb.ReLU)"
                )
        if len({id(x) for x in layers}) != len(layers):
            raise ValidationError("the same layer object appears twice; create separate layers")
        self.layers = layers
        self.backend = get_backend(backend)
        self.dtype = dtype_of(config.DEFAULT_DTYPE if dtype is None else dtype)
        self.seed = seed
        if input_shape is None and isinstance(layers[0], Dense):
            input_shape = (layers[0].in_features,)
        self.input_shape = None if input_shape is None else tuple(int(s) for s in input_shape)
        self._allocate(np.random.default_rng(seed))
        if self.input_shape is not None:
            self._shapes = self._infer_shapes(self.input_shape)

    # ------------------------------------------------------------------ parameters
    def _allocate(self, rng, values=None):
        """One flat buffer for all parameters (and one for gradients); layers get views."""
        specs = []
        for li, layer in enumerate(self.layers):
            init = layer.initial_values(rng, self.dtype) if values is None else values[li]
            for name, shape, kind, *_ in layer._specs:
                specs.append((li, name, shape, kind, init[name]))
        total = sum(int(np.prod(s[2])) for s in specs)
        host = np.empty(total, dtype=self.dtype)
        offsets, o = [], 0
        for _li, _name, shape, _kind, val in specs:
            size = int(np.prod(shape))
            host[o : o + size] = np.asarray(val, dtype=self.dtype).reshape(-1)
            offsets.append(o)
            o += size
        be = self.backend
        self._flat_value = be.asarray(host, self.dtype)
        self._flat_grad = be.zeros((total,), self.dtype)
        self._offsets = {}
        per_layer = [dict() for _ in self.layers]
        for (li, name, shape, kind, _), off in zip(specs, offsets):
            size = int(np.prod(shape))
            v = self._flat_value[off : off + size].reshape(shape)
            g = self._flat_grad[off : off + size].reshape(shape)
            p = Parameter(f"{li}.{name}", v, g, be, kind=kind)
            per_layer[li][name] = p
            self._offsets[id(p)] = off
        for li, layer in enumerate(self.layers):
            was_frozen = layer.frozen
            layer.bind(be, self.dtype, per_layer[li])
            if was_frozen:
                layer.freeze()
        weights = [p for p in self.parameters() if p.kind == "weight"]
        self._weight_probe = weights[0] if weights else None

    def _offset_of(self, p):
        return self._offsets[id(p)]

    def parameters(self):
        """All parameters in layer order (Dense: W then b)."""
        return [p for layer in self.layers for p in layer.parameters()]

    def n_params(self):
        return sum(p.size for p in self.parameters())

    def get_flat(self):
        """Every parameter in one NumPy vector (a copy)."""
        return np.array(self.backend.to_numpy(self._flat_value), copy=True)

    def set_flat(self, vec):
        vec = np.asarray(vec, dtype=self.dtype).reshape(-1)
        if vec.shape[0] != self._flat_value.shape[0]:
            raise ValidationError(
                f"expected {self._flat_value.shape[0]} parameter values; got {vec.shape[0]}"
            )
        self.backend.copy_into(self._flat_value, vec)

    def state_dict(self):
        """{parameter name: NumPy array} (copies)."""
        return {p.name: np.array(p.value, copy=True) for p in self.parameters()}

    def load_state_dict(self, state):
        """Set parameters from ``state_dict()`` output; checks every name and shape first."""
        params = self.parameters()
        names = {p.name for p in params}
        if set(state) != names:
            missing = sorted(names - set(state))
            extra = sorted(set(state) - names)
            raise ValidationError(
                f"state does not match the model: missing {missing}, extra {extra}"
            )
        for p in params:
            if tuple(np.shape(state[p.name])) != p.shape:
                raise ValidationError(
                    f"parameter {p.name} has shape {p.shape}; state has {np.shape(state[p.name])}"
                )
        for p in params:
            p.value = state[p.name]

    def clone(self, backend=None, dtype=None):
        """A copy of this model (same weights) on another backend or dtype."""
        new = copy.copy(self)
        new.layers = [copy.copy(layer) for layer in self.layers]
        for layer in new.layers:
            layer._params = {}
            layer.__dict__.pop("_zero_b", None)
        new.backend = get_backend(backend if backend is not None else self.backend)
        new.dtype = dtype_of(dtype if dtype is not None else self.dtype)
        vals = []
        for layer in self.layers:
            vals.append({name: p.value for name, p in layer._params.items()})
        new._allocate(None, values=vals)
        return new

    # ------------------------------------------------------------------ shapes
    def _infer_shapes(self, input_shape):
        shapes = []
        s = tuple(input_shape)
        for layer in self.layers:
            s = tuple(layer.output_shape(s))
            shapes.append(s)
        return shapes

    def _check_input(self, x, name="x"):
        x = as_float_array(x, name, self.dtype, min_ndim=2)
        if self.input_shape is not None and tuple(x.shape[1:]) != self.input_shape:
            raise ValidationError(
                f"{name} has examples of shape {tuple(x.shape[1:])} but the model expects "
                f"{self.input_shape} (the array should be (n, {', '.join(map(str, self.input_shape))}))"
            )
        if self.input_shape is None:
            self.input_shape = tuple(x.shape[1:])
            self._shapes = self._infer_shapes(self.input_shape)
        return x

    @property
    def output_shape(self):
        return self._shapes[-1] if self.input_shape is not None else None

    # ------------------------------------------------------------------ forward / backward
    def _forward(self, x, training=False, layers=None):
        for layer in self.layers if layers is None else layers:
            x = layer.forward(x, training=training)
        return x

    def _backward(self, g, layers=None):
        layers = self.layers if layers is None else layers
        # the first layer needs no input gradient unless the caller asks (need_dx False saves a
        # matrix product per step)
        for i in range(len(layers) - 1, -1, -1):
            g = layers[i].backward(g, need_dx=(i > 0) or self._want_input_grad)
        return g

    _want_input_grad = True

    def forward(self, x, training=False):
        """Output of the model for ``x`` (NumPy in, NumPy out). Keeps what ``backward`` needs."""
        xb = self.backend.asarray(self._check_input(x), self.dtype)
        return self.backend.to_numpy(self._forward(xb, training=training))

    __call__ = forward

    def backward(self, grad_out):
        """Backpropagate d(loss)/d(output) through the last ``forward``; accumulates every
        parameter's ``.grad`` and returns d(loss)/d(input) as a NumPy array."""
        g = as_float_array(grad_out, "grad_out", self.dtype, min_ndim=1)
        last = self.layers[-1]
        if (
            getattr(last, "_x", None) is None
            and getattr(last, "_z", None) is None
            and not hasattr(last, "_p")
        ):
            pass
        gb = self.backend.asarray(g, self.dtype)
        return self.backend.to_numpy(self._backward(gb))

    def zero_grad(self):
        self.backend.fill(self._flat_grad, 0)

    # ------------------------------------------------------------------ inference
    def predict(self, x, batch_size=4096):
        """Outputs for ``x`` in batches (evaluation mode)."""
        x = self._check_input(x)
        bs = positive_int(batch_size, "batch_size")
        outs = []
        for s in range(0, x.shape[0], bs):
            xb = self.backend.asarray(x[s : s + bs], self.dtype)
            outs.append(self.backend.to_numpy(self._forward(xb, training=False)))
        return np.concatenate(outs, axis=0)

    def predict_classes(self, x, batch_size=4096):
        out = self.predict(x, batch_size)
        out2 = out.reshape(out.shape[0], -1)
        if out2.shape[1] == 1:
            return (out2[:, 0] > 0.5).astype(np.int64)
        return out2.argmax(axis=1)

    def evaluate(self, x, y, loss=None, batch_size=4096):
        """{"loss": ..., "accuracy": ...} on (x, y). Accuracy is None for non-class targets."""
        from .. import losses as L

        x = self._check_input(x)
        loss_obj = L.get(loss) if loss is not None else None
        bs = positive_int(batch_size, "batch_size")
        return self._evaluate_checked(x, y, loss_obj, bs)

    def _evaluate_checked(self, x, y, loss_obj, bs=4096):
        """``evaluate`` on an ``x`` already validated by ``_check_input`` (``fit`` checks its
        data once, not again after every epoch)."""
        layers, eff = self._split_for_loss(loss_obj) if loss_obj else (self.layers, None)
        n_out = self._n_out()
        target = eff.prepare_target(y, n_out, self.dtype, n_rows=x.shape[0]) if eff else None
        labels = _labels_of(y, n_out, x.shape[0])
        total, correct = 0.0, 0
        for s in range(0, x.shape[0], bs):
            xb = self.backend.asarray(x[s : s + bs], self.dtype)
            out = self._forward(xb, training=False, layers=layers)
            out2 = out if out.ndim == 2 else out.reshape(out.shape[0], -1)
            if eff is not None:
                tb = self.backend.asarray(target[s : s + bs], target.dtype)
                val, _ = eff.compute(self.backend, out2, tb)
                total += val * out2.shape[0]
            if labels is not None:
                o = self.backend.to_numpy(out2)
                pred = (
                    (o[:, 0] > self._binary_threshold(layers)).astype(np.int64)
                    if o.shape[1] == 1
                    else o.argmax(axis=1)
                )
                correct += int((pred == labels[s : s + bs]).sum())
        res = {"loss": total / x.shape[0] if eff is not None else None}
        res["accuracy"] = correct / x.shape[0] if labels is not None else None
        return res

    def _binary_threshold(self, layers):
        return 0.5 if layers is self.layers else 0.0  # logits when a Sigmoid was absorbed

    def _n_out(self):
        if self.output_shape is not None:
            return int(np.prod(self.output_shape))
        for layer in reversed(self.layers):
            if isinstance(layer, Dense):
                return layer.out_features
        raise ValidationError("cannot tell the number of outputs; pass input_shape= to Sequential")

    def _split_for_loss(self, loss):
        """Layers to run and the loss to apply (absorbing a final Sigmoid/Softmax if possible)."""
        last = self.layers[-1]
        fuse = _FUSABLE.get(loss.fuses_with)
        if fuse is not None and type(last) is fuse and len(self.layers) > 1:
            return self.layers[:-1], loss.logits_version()
        return self.layers, loss

    # ------------------------------------------------------------------ training
    def fit(
        self,
        x,
        y,
        loss="cross_entropy",
        optimizer="sgd",
        epochs=1,
        batch_size=32,
        validation=None,
        seed=None,
        lr=0.01,
        shuffle=True,
        callbacks=(),
        progress=None,
        fused=True,
        check_finite=True,
        train_metrics=True,
    ):
        """Train with minibatch gradient descent and return a ``History``.

        Parameters
        ----------
        x : ndarray of shape (n, ...)
        y : ndarray of shape (n,) (class labels) or (n, outputs)
        loss : str or Loss
        optimizer : str or Optimizer
            A name ('sgd', ...) uses ``lr``; an ``Optimizer`` object keeps its own.
        epochs, batch_size : int
        validation : (x_val, y_val), optional
            Evaluated after each epoch (``val_loss``, ``val_accuracy``).
        seed : int, optional
            Seed of the shuffling (and of any randomness in layers); default: the model's seed.
        callbacks : list of Callback
        progress : bool, optional
            Show a progress bar (default: when stderr is a terminal).
        fused : bool
            Allow the one-call-per-epoch CPU kernel for plain dense nets with SGD.
        check_finite : bool
            Stop with ``DivergenceError`` (weights restored to the last good epoch) on a NaN or
            infinite loss.
        train_metrics : bool
            Record the training-set accuracy after every epoch (one extra forward pass over
            ``x``, about a third of an epoch's products); False skips it (``history["accuracy"]``
            is then absent) when only throughput matters.
        """
        from .. import losses as L
        from .. import optim as O

        x = self._check_input(x)
        n = x.shape[0]
        epochs = positive_int(epochs, "epochs")
        bs = positive_int(batch_size, "batch_size")
        loss_obj = L.get(loss)
        if isinstance(optimizer, O.Optimizer):
            opt = optimizer
        else:
            opt = O.get(optimizer, self.parameters(), lr)
        opt.set_train_size(n)
        callbacks = list(callbacks or ())
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise ValidationError(
                    f"callbacks must be Callback objects; got {type(cb).__name__}"
                )
        layers, eff = self._split_for_loss(loss_obj)
        n_out = self._n_out()
        target = eff.prepare_target(y, n_out, self.dtype, n_rows=n)
        labels = _labels_of(y, n_out, n)
        if validation is not None:
            if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
                raise ValidationError("validation must be a pair (x_val, y_val)")
            xv = self._check_input(validation[0], "validation x")
            eff.prepare_target(
                validation[1], n_out, self.dtype, n_rows=xv.shape[0], name="validation y"
            )
        rng = np.random.default_rng(self.seed if seed is None else seed)
        self._fit_rng = rng
        for layer in self.layers:  # noise layers (Dropout, ...) draw from the fit generator
            if hasattr(layer, "set_fit_rng"):
                layer.set_fit_rng(rng)
        be = self.backend
        plan = None
        fusable = getattr(opt, "fusable", True)  # False with clipping or an L2 penalty
        if fused and fusable and not any(cb.wants_batches for cb in callbacks):
            from . import _fused

            plan = _fused.plan(self, layers, eff, opt)
            if plan is not None and target.ndim == 2 and plan.loss_kind == 1:
                plan.loss_kind = 3
        X = be.asarray(x, self.dtype)
        T = be.asarray(target, target.dtype)
        history = History()
        if progress is None:
            progress = sys.stderr.isatty()
        bar = _Progress(epochs, n, progress)
        for cb in callbacks:
            cb.on_train_begin(self, opt)
        good = self.get_flat() if check_finite else None
        try:
            for epoch in range(1, epochs + 1):
                for cb in callbacks:
                    cb.on_epoch_begin(self, opt, epoch)
                t0 = time.perf_counter()
                perm = rng.permutation(n) if shuffle else np.arange(n)
                lr_epoch = opt.lr
                if plan is not None:
                    total = self._epoch_fused(plan, X, target, perm, bs, bar)
                else:
                    total = self._epoch_layers(layers, eff, opt, X, T, perm, bs, bar, callbacks)
                train_loss = total / n
                if check_finite and not math.isfinite(train_loss):
                    self.set_flat(good)
                    err = DivergenceError(
                        f"training diverged at epoch {epoch}: the loss became {train_loss}; the "
                        f"weights of epoch {epoch - 1} were restored. Lower the learning rate "
                        f"(now {opt.lr}) or check the data"
                    )
                    err.history = history
                    raise err
                logs = {"epoch": epoch, "loss": train_loss, "lr": lr_epoch}
                if labels is not None and train_metrics:
                    logs["accuracy"] = self._evaluate_checked(x, labels, None)["accuracy"]
                if validation is not None:
                    ev = self._evaluate_checked(xv, validation[1], loss_obj)
                    logs["val_loss"] = ev["loss"]
                    logs["val_accuracy"] = ev["accuracy"]
                logs["time"] = time.perf_counter() - t0
                stop = False
                for cb in callbacks:  # callbacks may add entries to logs before it is recorded
                    stop = bool(cb.on_epoch_end(self, opt, epoch, logs)) or stop
                history.append(**logs)
                bar.epoch_done(epoch, logs)
                if check_finite:
                    good = self.get_flat()
                if stop:
                    history.stopped_early = True
                    break
        finally:
            bar.close()
        for cb in callbacks:
            cb.on_train_end(self, opt, history)
        return history

    def _epoch_fused(self, plan, X, target, perm, bs, bar):
        if target.ndim == 1:
            T = np.zeros((1, 1), self.dtype)
            lab = target
        else:
            T = target
            lab = np.zeros(1, np.int64)
        n = perm.shape[0]
        n_batches = (n + bs - 1) // bs
        chunks = min(n_batches, 50) if bar.enabled else 1
        per = ((n_batches + chunks - 1) // chunks) * bs
        total = 0.0
        for s in range(0, n, per):
            e = min(n, s + per)
            total += plan.run(X, T, lab, perm, s, e, bs)
            bar.advance(e - s)
        return total

    def _epoch_layers(self, layers, loss, opt, X, T, perm, bs, bar, callbacks):
        be = self.backend
        total = 0.0
        n = perm.shape[0]
        for bi, s in enumerate(range(0, n, bs)):
            idx = perm[s : s + bs]
            xb = be.take_rows(X, idx)
            tb = be.take_rows(T, idx)
            opt.zero_grad()
            out = self._forward(xb, training=True, layers=layers)
            out2 = out if out.ndim == 2 else out.reshape(out.shape[0], -1)
            val, grad = loss.compute(be, out2, tb)
            val += opt.penalty()  # the optimiser's L2 penalty (0.0 without one)
            self._want_input_grad = False
            try:
                self._backward(grad.reshape(out.shape) if out.ndim != 2 else grad, layers)
            finally:
                self._want_input_grad = True
            opt.step()
            total += val * len(idx)
            for cb in callbacks:
                cb.on_batch_end(self, opt, bi, val)
            bar.advance(len(idx))
        return total

    # ------------------------------------------------------------------ checkpoints
    def save(self, path, optimizer=None, history=None):
        """Save a checkpoint (see ``numbanet.checkpoint.save``)."""
        from .. import checkpoint

        checkpoint.save(path, self, optimizer=optimizer, history=history)

    @classmethod
    def load(cls, path, backend="auto"):
        """A model rebuilt from a checkpoint's architecture and parameters."""
        from .. import checkpoint

        return checkpoint.load(path, backend=backend).model

    # ------------------------------------------------------------------ display
    def summary(self, input_shape=None, print_fn=print):
        """Print (and return) a Keras-style table: layer, output shape, parameters, total."""
        shape = input_shape or self.input_shape
        if shape is None:
            raise ValidationError("summary needs the input shape: summary(input_shape=(1, 28, 28))")
        shapes = self._infer_shapes(tuple(shape))
        rows = [("Layer (type)", "Output shape", "Param #")]
        for i, (layer, s) in enumerate(zip(self.layers, shapes)):
            rows.append((f"{i}: {layer!r}", str((None,) + tuple(s)), f"{layer.n_params():,}"))
        w = [max(len(r[c]) for r in rows) + 2 for c in range(3)]
        line = "-" * sum(w)
        out = [line, "".join(r.ljust(w[c]) for c, r in enumerate(rows[0])), "=" * sum(w)]
        out += ["".join(r.ljust(w[c]) for c, r in enumerate(row)) for row in rows[1:]]
        total = self.n_params()
        trainable = sum(p.size for p in self.parameters() if p.trainable)
        out += ["=" * sum(w), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                f"Non-trainable params: {total - trainable:,}", line]  # fmt: skip
        text = "\n".join(out)
        if print_fn is not None:
            print_fn(text)
        return text

    def layer_output_shapes(self, input_shape=None):
        """Output shape of each layer for one example (no batch axis)."""
        return self._infer_shapes(tuple(input_shape or self.input_shape))

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return (
            f"Sequential(backend={self.backend.name!r}, dtype={self.dtype.name}, [\n  {inner}\n])"
        )


def _labels_of(y, n_out, n):
    """Integer class labels for accuracy, or None when ``y`` is not a classification target."""
    arr = np.asarray(y)
    if arr.dtype.kind in "biu" and arr.ndim == 1:
        return arr.astype(np.int64) if n_out > 1 or set(np.unique(arr)) <= {0, 1} else None
    if arr.ndim == 2 and arr.shape[1] == n_out and n_out > 1:
        rows = arr.sum(axis=1)
        if np.all((arr == 0) | (arr == 1)) and np.all(rows == 1):
            return arr.argmax(axis=1)
    if arr.ndim == 2 and arr.shape[1] == 1 and n_out == 1 and np.all((arr == 0) | (arr == 1)):
        return arr[:, 0].astype(np.int64)
    return None


class _Progress:
    """A rich progress bar over the examples of all epochs (or nothing)."""

    def __init__(self, epochs, n, enabled):
        self.enabled = bool(enabled)
        self._p = None
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._p = Progress(
                TextColumn("[bold]epoch {task.fields[epoch]}/{task.fields[epochs]}"),
                BarColumn(),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
                transient=False,
            )
            self._p.start()
            self._task = self._p.add_task("fit", total=epochs * n, epoch=1, epochs=epochs, info="")

    def advance(self, k):
        if self._p is not None:
            self._p.advance(self._task, k)

    def epoch_done(self, epoch, logs):
        if self._p is not None:
            info = f"loss {logs['loss']:.4f}"
            if logs.get("val_accuracy") is not None:
                info += f"  val acc {logs['val_accuracy']:.4f}"
            self._p.update(
                self._task, epoch=min(epoch + 1, self._p.tasks[0].fields["epochs"]), info=info
            )

    def close(self):
        if self._p is not None:
            self._p.stop()
