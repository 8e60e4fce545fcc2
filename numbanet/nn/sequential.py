"""``Sequential``: a stack of layers with explicit forward and backward passes.

Data flow: data -> layers (which only call their backend) -> loss -> backward through the same
layers -> optimiser -> history. There is no autograd tape: ``backward`` walks the layers in
reverse, each applying the chain rule for its own op, exactly as the backpropagation equations of
the slides (BP1-BP4 in Nielsen's numbering) do. ``fit`` and ``evaluate`` live in
``numbanet.training``.

Size: over 600 lines on purpose: the model's whole public surface (shapes, parameters and their
flat buffer, forward and backward with their checks, the one-call dense-stack path, cloning,
inference and the summary) is one class, read in one place.
"""

from __future__ import annotations

import copy
import operator
from typing import NamedTuple

import numpy as np

from .. import config
from .._validate import as_float_array, dtype_of, positive_int, seed_value
from ..backends import get_backend
from ..codes import Act
from ..errors import ValidationError
from .activations import Activation, Sigmoid, Softmax
from .conv import Conv2D, resolve_activation
from .layers import Dense, Layer
from .parameter import Parameter

_FUSABLE = {"sigmoid": Sigmoid, "softmax": Softmax}


def _input_shape(shape):
    """``input_shape`` as a tuple of positive ints and ``None`` (a length left free), or None."""
    if shape is None:
        return None
    out = []
    for s in tuple(shape):
        if s is None:
            out.append(None)
            continue
        try:
            v = int(s)
        except (TypeError, ValueError):
            v = 0
        if v < 1 or v != s:
            raise ValidationError(
                f"input_shape entries must be positive integers or None (any length); got "
                f"{tuple(shape)!r}"
            )
        out.append(v)
    return tuple(out)


def _fits(shape, expected):
    """True when an example of ``shape`` matches ``expected`` (``None`` matches any length)."""
    shape = tuple(shape)
    if shape == expected:  # the common case, without the loop
        return True
    return len(shape) == len(expected) and all(
        e is None or int(s) == e for s, e in zip(shape, expected)
    )


_FROZEN = operator.attrgetter("frozen")


def _on_device(backend, a):
    """True for a device array (numba's, real or simulated) given to a device backend."""
    return getattr(backend, "is_device", False) and hasattr(a, "copy_to_host")


class DenseStack(NamedTuple):
    """A plain dense net as the fused kernels see it (``Sequential.dense_stack``)."""

    sizes: list  # widths d_0, ..., d_L
    acts: list  # the Act after each Dense layer (IDENTITY when there is none)
    alphas: list  # that activation's slope parameter (leaky ReLU, ELU), else 0
    w_off: list  # offset of each layer's W (d_out, d_in) in ``flat``
    b_off: list  # offset of each layer's b in ``flat``
    offsets: list  # offset of every parameter, in ``parameters`` order
    parameters: list  # the Parameter objects, W then b, layer by layer
    flat: object  # the model's flat parameter buffer (backend array)


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
        A length may be ``None``, any length: ``(1, None)`` for 1-channel sequences of every
        length, which a convolutional block ending in global pooling accepts (each batch has
        one length; a ``Flatten`` or ``Dense`` would need it fixed).

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
        self.seed = seed_value(seed)
        if input_shape is None and isinstance(layers[0], Dense):
            input_shape = (layers[0].in_features,)
        self.input_shape = _input_shape(input_shape)
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
        self._runners = {}
        self._last_runner = None
        self._last_plan = None
        self._offsets = {}
        per_layer = [dict() for _ in self.layers]
        for (li, name, shape, kind, _), off in zip(specs, offsets):
            size = int(np.prod(shape))
            v = self._flat_value[off : off + size].reshape(shape)
            g = self._flat_grad[off : off + size].reshape(shape)
            home = (self._flat_value, self._flat_grad, off)
            p = Parameter(f"{li}.{name}", v, g, be, kind=kind, home=home)
            per_layer[li][name] = p
            self._offsets[id(p)] = off
        for li, layer in enumerate(self.layers):
            was_frozen = layer.frozen
            layer.bind(be, self.dtype, per_layer[li])
            if was_frozen:
                layer.freeze()

    def offset_of(self, p):
        """Where parameter ``p`` starts in the model's flat parameter buffer."""
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
        if self.input_shape is not None and not _fits(x.shape[1:], self.input_shape):
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
        layers = self.layers if layers is None else layers
        runner, steps = self._plan(layers)
        if runner is not None and not runner.accepts(x.shape[0]):
            runner = None  # layers too large for one compiled call: BLAS layer by layer
        self._last_runner = runner
        if runner is not None:
            return runner.forward(x)
        for layer, act in steps:
            # the input is checked: the layers' own guards would repeat it
            if act is None:
                x = layer._forward_unchecked(x, training)
            else:
                x = layer._forward_act(x, (int(act.code), float(act.alpha)))
        return x

    def _backward(self, g, layers=None):
        layers = self.layers if layers is None else layers
        runner, steps = self._plan(layers)
        if runner is not None and runner is self._last_runner:
            return runner.backward(g, self._want_input_grad)
        # the first layer needs no input gradient unless the caller asks (need_dx False saves a
        # matrix product per step)
        for i in range(len(steps) - 1, -1, -1):
            layer, act = steps[i]
            need_dx = (i > 0) or self._want_input_grad
            if act is None:
                g = layer._backward_unchecked(g, need_dx)
            else:
                g = layer._backward_act(g, need_dx, (int(act.code), float(act.alpha)))
        return g

    @staticmethod
    def _steps(layers):
        """``layers`` as (layer, activation) steps: a ``Conv2D`` without an activation of its own
        and the activation layer after it (ReLU, tanh, ...; not Step, whose derivative is
        useless, nor PReLU, which trains its slope) make one step, the activation run inside the
        convolution's kernels as each output plane leaves them and its derivative as the
        gradient enters them: two passes over the feature maps and two calls fewer. The slides'
        LeNet at batch 64 (its ReLUs are layers of their own): an epoch in 0.33 s against 0.34 s
        layer by layer, faster in 11 of 18 alternated epochs. The numbers are those of the layers
        run one by one (bit for bit on the CPU backend, within float32 rounding on the reference
        one; tested). The activation layer's own forward/backward do not run (as for the dense
        stacks' one-call runner): call the model, not its layers, between a forward and its
        backward."""
        key = tuple(layers)
        steps, i = [], 0
        while i < len(key):
            layer = key[i]
            nxt = key[i + 1] if i + 1 < len(key) else None
            if type(layer) is Conv2D and layer._act is None and _fusable_activation(nxt):
                steps.append((layer, nxt))
                i += 2
            else:
                steps.append((layer, None))
                i += 1
        return tuple(steps)

    _last_runner = None
    _last_plan = None

    @staticmethod
    def _runner_key(layers):
        # the layers themselves (hashed and compared by identity) and their frozen flags, built
        # by C-level calls: this runs twice per training step of a manual loop
        return tuple(layers), tuple(map(_FROZEN, layers))

    def _plan(self, layers):
        """(runner, steps) for ``layers``, kept for the last list of layers and their frozen
        flags: the backend's one-call forward/backward when they are a plain dense stack
        (``dense_stack``; runners cached per list, else None) and the (layer, activation)
        steps of the layer-by-layer way (``_steps``). With a runner each layer's own
        forward/backward does not run, so call the model (not its layers) between a forward and
        its backward."""
        key = self._runner_key(layers)
        last = self._last_plan
        if last is not None and last[0] == key:  # the same layers as the last call
            return last[1]
        if key not in self._runners:
            self._runners[key] = self.backend.dense_stack_runner(self.dense_stack(layers))
        plan = (self._runners[key], self._steps(layers))
        self._last_plan = (key, plan)
        return plan

    _want_input_grad = True

    def forward(self, x, training=False):
        """Output of the model for ``x`` (NumPy in, NumPy out). Keeps what ``backward`` needs.

        On the cuda backend a device array in (``numbanet.backends.cuda.to_device`` or
        ``DeviceDataset``) gives a device array out, and ``backward`` of a device gradient
        returns a device array: a manual loop then copies nothing between host and device."""
        if _on_device(self.backend, x):
            xb = self._check_device_input(x)
            out = self._forward(xb, training=training)
            self._out_shape = tuple(out.shape)
            return out
        xb = self.backend.asarray(self._check_input(x), self.dtype)
        out = self._forward(xb, training=training)
        self._out_shape = tuple(out.shape)
        return self.backend.to_numpy(out)

    __call__ = forward

    def backward(self, grad_out):
        """Backpropagate d(loss)/d(output) through the last ``forward``; accumulates every
        parameter's ``.grad`` and returns d(loss)/d(input) as a NumPy array (a device array
        for a device ``grad_out``)."""
        if _on_device(self.backend, grad_out):
            want = getattr(self, "_out_shape", None)  # of the last forward
            if grad_out.dtype != self.dtype or tuple(grad_out.shape) != want:
                raise ValidationError(
                    f"grad_out is a device array {grad_out.dtype} {tuple(grad_out.shape)}; the "
                    f"last forward returned {self.dtype} {want}"
                )
            return self._backward(grad_out)
        g = as_float_array(grad_out, "grad_out", self.dtype, min_ndim=1)
        want = getattr(self, "_out_shape", None)  # of the last forward
        if want is None:
            raise ValidationError("call forward(x, training=True) before backward(grad_out)")
        if g.shape != want:
            if g.ndim == 1 and want == (g.shape[0], 1):
                g = g.reshape(want)
            else:
                raise ValidationError(
                    f"grad_out has shape {g.shape} but the last forward returned {want}; give "
                    "d(loss)/d(output) of the same shape as the output (loss.backward() does)"
                )
        gb = self.backend.asarray(g, self.dtype)
        return self.backend.to_numpy(self._backward(gb))

    def _check_device_input(self, x):
        """``x``, a device array, checked like ``_check_input`` checks NumPy arrays (its
        values stay on the device: only the type and the shape are checked)."""
        shape = tuple(x.shape)
        if x.dtype != self.dtype:
            raise ValidationError(
                f"x is a device array of {x.dtype} but the model computes in {self.dtype}; move "
                f"the data with to_device(x, dtype=np.{self.dtype})"
            )
        if len(shape) < 2 or (
            self.input_shape is not None and not _fits(shape[1:], self.input_shape)
        ):
            raise ValidationError(
                f"x has shape {shape} but the model expects (n, "
                f"{', '.join(map(str, self.input_shape or ('...',)))})"
            )
        if self.input_shape is None:
            self.input_shape = shape[1:]
            self._shapes = self._infer_shapes(self.input_shape)
        return x

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

    def predict_classes(self, x, batch_size=4096, loss=None):
        """Class labels for ``x``: the largest output, or for a single output unit the output
        thresholded where its loss puts the boundary (0.5 on a probability, 0 on a logit).

        ``loss`` defaults to the loss of the last ``fit``; a single-output model never trained
        with ``fit`` needs it unless it ends in a ``Sigmoid`` (then 0.5)."""
        from .. import losses as L

        out = self.predict(x, batch_size)
        decider = L.get(loss) if loss is not None else self._class_decider(self.layers)
        return decider.labels_from(out)

    def evaluate(self, x, y, loss=None, batch_size=4096):
        """{"loss": ..., "accuracy": ...} on (x, y). Accuracy is None for non-class targets."""
        from .. import losses as L
        from ..training import evaluate_checked

        x = self._check_input(x)
        loss_obj = L.get(loss) if loss is not None else None
        bs = positive_int(batch_size, "batch_size")
        return evaluate_checked(self, x, y, loss_obj, bs)

    def _class_decider(self, layers):
        """The loss that decides how the outputs of ``layers`` become classes, when none is
        given: the loss of the last ``fit`` (its logits version when the final Sigmoid/Softmax
        is not among ``layers``), else a ``Sigmoid``-ended model's 0.5 rule."""
        from .. import losses as L

        trained = getattr(self, "loss", None)
        if trained is not None:
            if layers is not self.layers:
                return self._split_for_loss(trained)[1]
            return trained
        if self._n_out() == 1 and not isinstance(layers[-1], Sigmoid):
            raise ValidationError(
                "this model has one output and was not trained with fit, so it is not known "
                "whether the output is a probability (class 1 above 0.5) or a logit (above 0): "
                "pass loss=, e.g. predict_classes(x, loss='bce_logits')"
            )
        return L.MSE()  # argmax for several outputs; 0.5 on a sigmoid's output

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
        lr=None,
        shuffle=True,
        callbacks=(),
        progress=None,
        fused=True,
        check_finite=True,
        train_metrics=True,
        augment=None,
    ):
        """Train with minibatch gradient descent and return a ``History``.

        Parameters
        ----------
        x : ndarray of shape (n, ...)
        y : ndarray of shape (n,) (class labels) or (n, outputs)
        loss : str or Loss
        optimizer : str or Optimizer
            A name ('sgd', ...) uses ``lr`` (default 0.01); an ``Optimizer`` object keeps its
            own learning rate, and giving ``lr`` with one is an error.
        epochs, batch_size : int
        validation : (x_val, y_val), optional
            Evaluated after each epoch (``val_loss``, ``val_accuracy``).
        seed : int, optional
            Seed of the shuffling (and of any randomness in layers); default: the model's seed.
        shuffle : bool
            Shuffle the examples every epoch. A minibatch that holds the whole training set is
            not shuffled: its gradient is the same sum in any order (only the rounding differs).
        callbacks : list of Callback
        progress : bool, optional
            Show a progress bar (default: when stderr is a terminal).
        fused : bool
            Allow the backend's fused dense-epoch path (CPU: a chunk of minibatches per compiled
            call) for plain dense nets trained with SGD or momentum.
        check_finite : bool
            Stop with ``DivergenceError`` (weights restored to the last good epoch) on a NaN or
            infinite loss.
        train_metrics : bool or "exact"
            True (default): record ``history["accuracy"]``, the running training accuracy of
            the epoch (each minibatch's examples classified by the forward pass that trained on
            them, before its update; free). "exact": the accuracy of the whole training set
            after the epoch (one more forward pass over ``x``). False: none.
        augment : numbanet.data.augment.Augment or callable, optional
            Data augmentation: every epoch trains on the examples and ``copies`` randomly
            transformed copies of each (``f(x, rng)`` for a plain function: one copy), made
            afresh each epoch from a generator seeded by ``seed``.
        """
        from ..training import fit

        return fit(
            self,
            x,
            y,
            loss=loss,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            validation=validation,
            seed=seed,
            lr=lr,
            shuffle=shuffle,
            callbacks=callbacks,
            progress=progress,
            fused=fused,
            check_finite=check_finite,
            train_metrics=train_metrics,
            augment=augment,
        )

    def dense_stack(self, layers=None):
        """``layers`` (default: all) as a :class:`DenseStack` when they form a plain dense net
        (``Dense`` layers with a bias, none frozen, each followed by at most one elementwise
        activation other than ``Step``; every parameter trainable), else None. Backends with
        a fused dense path (``backend.fused_dense_plan``) train such a stack in one call."""
        from .activations import Activation

        layers = self.layers if layers is None else layers
        params = [p for layer in layers for p in layer.parameters()]
        if not params or len(params) != len(self.parameters()):
            return None
        if any(not p.trainable for p in params):
            return None
        sizes, acts, alphas, w_off, b_off = [], [], [], [], []
        i = 0
        while i < len(layers):
            d = layers[i]
            if type(d) is not Dense or d.frozen or not d.use_bias or d.weight_noise:
                return None
            if sizes and sizes[-1] != d.in_features:
                return None
            if not sizes:
                sizes.append(d.in_features)
            sizes.append(d.out_features)
            w_off.append(self._offsets[id(d.W)])
            b_off.append(self._offsets[id(d.b)])
            code, alpha = Act.IDENTITY, 0.0
            if i + 1 < len(layers) and isinstance(layers[i + 1], Activation):
                a = layers[i + 1]
                if a.code == Act.STEP:
                    return None
                code, alpha = Act(a.code), a.alpha
                i += 1
            acts.append(code)
            alphas.append(alpha)
            i += 1
        offsets = [self._offsets[id(p)] for p in params]
        return DenseStack(sizes, acts, alphas, w_off, b_off, offsets, params, self._flat_value)

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
    def summary(self, input_shape=None, print_fn=print, connections=False):
        """Print (and return) a Keras-style table: layer, output shape, parameters, total.

        ``connections=True`` adds LeCun et al.'s count of connections per layer: for every
        output unit, the inputs it reads plus its bias (the multiply-adds of a forward pass,
        biases included; a pooling unit reads its window), and the total against the number of
        distinct weights (shared weights make a convolution's connections many times its
        parameters). Layers without a defined count (recurrent, normalisation) show "?"."""
        shape = input_shape or self.input_shape
        if shape is None:
            raise ValidationError("summary needs the input shape: summary(input_shape=(1, 28, 28))")
        shapes = self._infer_shapes(tuple(shape))
        head = ("Layer (type)", "Output shape", "Param #") + (
            ("Connections",) if connections else ()
        )
        rows = [head]
        n_conn, unknown = 0, False
        for i, (layer, s) in enumerate(zip(self.layers, shapes)):
            row = (f"{i}: {layer!r}", str((None,) + tuple(s)), f"{layer.n_params():,}")
            if connections:
                c = _connections(layer, tuple(shape) if i == 0 else shapes[i - 1], s)
                unknown |= c is None
                n_conn += c or 0
                row += ("?" if c is None else f"{c:,}",)
            rows.append(row)
        nc = len(head)
        w = [max(len(r[c]) for r in rows) + 2 for c in range(nc)]
        line = "-" * sum(w)
        out = [line, "".join(r.ljust(w[c]) for c, r in enumerate(rows[0])), "=" * sum(w)]
        out += ["".join(r.ljust(w[c]) for c, r in enumerate(row)) for row in rows[1:]]
        total = self.n_params()
        trainable = sum(p.size for p in self.parameters() if p.trainable)
        out += [
            "=" * sum(w),
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}",
        ]
        if connections:
            more = " (+ layers without a count)" if unknown else ""
            per = f", {n_conn / total:.1f} per distinct weight" if total else ""
            out.append(f"Connections: {n_conn:,}{more}{per}")
        out.append(line)
        text = "\n".join(out)
        if print_fn is not None:
            print_fn(text)
        return text

    def graph(self, loss=None, lang="en", ax=None):
        """Draw the model's computational graph, forward and backward, with matplotlib (no
        Graphviz): parameters, operations and values of the forward pass, and below them the
        deltas and parameter gradients that backpropagation computes from the cost C.

        ``loss``: the cost's name or ``Loss`` (default: the loss of the last ``fit``, else no
        cost node). Returns the matplotlib Figure (drawn on ``ax`` when given); the data come
        from ``numbanet.plots.graph.graph_of``."""
        from ..plots.graph import draw_graph, graph_of

        if loss is None and getattr(self, "loss", None) is not None:
            loss = self.loss
        name = getattr(loss, "name", loss)
        return draw_graph(graph_of(self, name), lang, ax)

    def layer_output_shapes(self, input_shape=None):
        """Output shape of each layer for one example (no batch axis)."""
        return self._infer_shapes(tuple(input_shape or self.input_shape))

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return (
            f"Sequential(backend={self.backend.name!r}, dtype={self.dtype.name}, [\n  {inner}\n])"
        )


def _fusable_activation(layer):
    """True for an activation layer a convolution can run inside its kernels (see
    ``Sequential._steps``)."""
    if not isinstance(layer, Activation) or layer.n_params():
        return False
    try:
        return resolve_activation(layer) is not None
    except ValidationError:  # Step
        return False


def _connections(layer, in_shape, out_shape):
    """Connections of ``layer`` for one example (LeCun et al. 1998's count: each output unit's
    inputs plus its bias), or None when no count is defined for the layer."""
    from .activations import Activation
    from .conv import Conv2D
    from .dropout import _NoiseLayer
    from .layers import Flatten
    from .pooling import _GlobalPool, _Pool2D

    if hasattr(layer, "connections"):
        return int(layer.connections(in_shape))
    n_out = int(np.prod(out_shape))
    if isinstance(layer, Dense):
        return (layer.in_features + int(layer.use_bias)) * layer.out_features
    if isinstance(layer, Conv2D):
        kh, kw = layer.kernel_size
        return n_out * (layer.in_channels * kh * kw + int(layer.use_bias))
    if isinstance(layer, _Pool2D):
        return n_out * int(layer.size[0] * layer.size[1])
    if isinstance(layer, _GlobalPool):
        return int(np.prod(in_shape))
    if isinstance(layer, (Activation, Flatten, _NoiseLayer)) or type(layer).__name__ in (
        "Softmax",
        "LogSoftmax",
        "Identity",
    ):
        return 0
    return None
