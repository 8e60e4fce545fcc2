"""``Model``: a network written as a class with its own ``forward``, as in PyTorch.

``Sequential`` runs a list of layers in order. Some networks read better as code: the slides'
PyTorch ``MultilayerPerceptron`` declares its layers as attributes and writes ``forward`` by hand,
returning the logits *and* the log-probabilities. ``nb.Model`` lets you write exactly that::

    import numbanet as nb
    import numbanet.nn.functional as F

    class MultilayerPerceptron(nb.Model):
        def __init__(self, num_features, num_classes, seed=None):
            super().__init__(seed=seed)
            self.linear_1 = nb.Dense(num_features, 128)
            self.linear_2 = nb.Dense(128, 256)
            self.linear_out = nb.Dense(256, num_classes)

        def forward(self, x):
            out = F.relu(self.linear_1(x))
            out = F.relu(self.linear_2(out))
            logits = self.linear_out(out)
            probas = F.log_softmax(logits, dim=1)
            return logits, probas

    model = MultilayerPerceptron(784, 10, seed=0)
    logits, probas = model(x)                  # NumPy in, NumPy out
    model.fit(x, y, loss="cross_entropy")      # trains on the first output, the logits

What is explicit, and what is not
---------------------------------
There is no autograd. While ``forward`` runs, every layer call (``self.linear_1(x)``,
``F.relu(out)``, a layer of a ``Sequential`` attribute) is written down in order on a *record*:
which layer, which array went in, which came out. ``backward`` walks that record in reverse and
calls each layer's own ``backward`` (the chain rule of that one op, as in ``Sequential``); where
an array fed several calls (the logits above feed the return value and the log-softmax), the
gradients arriving at it are added. That is all: ~60 lines below, in ``_Record``.

So ``forward`` may only combine arrays through layer calls. An array made any other way (a NumPy
expression such as ``out * 2`` or ``out.reshape(...)``) has no backward, and using it as a
layer's input or returning it is an error at once, not a silently wrong gradient: write that
step as a layer (``nb.Flatten()``, an activation, ...).

Rules
-----
* Layers are declared as attributes in ``__init__`` (a layer, a list of layers, or an
  ``nb.Sequential``, whose layers join the model). When ``__init__`` returns, the model allocates
  every parameter in one buffer and initialises them from its ``seed``, in the order the layers
  were assigned (a ``Sequential``'s layers in its order), whatever the ``Sequential``'s own seed.
* Call the model, not ``forward``: ``model(x)`` converts the input, records, and returns NumPy
  arrays; inside ``forward`` arrays are the backend's (NumPy on CPU, device arrays on CUDA).
* A layer called twice in one ``forward`` runs as a copy that shares its parameters (so an
  ``nb.ReLU()`` attribute can be reused, and a reused ``Dense`` shares its weights, whose
  gradients add up).
* ``fit``, ``evaluate``, ``predict`` and ``predict_classes`` use the first array ``forward``
  returns. With ``loss="cross_entropy"`` it should be logits (or log-probabilities: a softmax
  ignores a shift of its row); a first output made by ``Softmax``/``Sigmoid`` is absorbed into
  the loss as in ``Sequential``.
* ``backward(g1, g2, ...)`` takes one gradient per returned array (``None`` or fewer for none).
"""

from __future__ import annotations

import copy
import functools
import threading

import numpy as np

from .. import config
from .._validate import as_float_array, dtype_of
from ..backends import get_backend
from ..errors import ValidationError
from .activations import Sigmoid
from .layers import Layer
from .sequential import _FUSABLE, Sequential

_state = threading.local()


def _active_record():
    """The record of the ``forward`` running in this thread, or None."""
    return getattr(_state, "record", None)


class _Record:
    """The calls of one ``forward``: (layer, input, output), in order."""

    def __init__(self, model, x, training):
        self.model = model
        self.training = training
        self.x = x
        self.calls = []  # (layer, x, y); holding the arrays keeps their ids unique
        self._made = {id(x)}  # arrays a gradient can flow back from
        self._seen = set()  # layers called so far (by id)

    def call(self, layer, x, where):
        if id(x) not in self._made:
            raise ValidationError(
                f"{where}: its input was not made by a layer call of this forward (nor is it the "
                "model's input), so backward could not pass through what made it; write that "
                "step as a layer (nb.Flatten(), an activation, ...) instead of a NumPy expression"
            )
        if id(layer) in self._seen:  # a second call: its own saved state, the same parameters
            layer = copy.copy(layer)
        else:
            self._seen.add(id(layer))
        y = layer.forward(x, training=self.training)
        self.calls.append((layer, x, y))
        self._made.add(id(y))
        return y

    def check_output(self, y, i):
        if id(y) not in self._made:
            raise ValidationError(
                f"forward's output {i} was not made by a layer call of this forward, so backward "
                "could not reach the layers; return what a layer call returned"
            )

    def backward(self, grads, want_input_grad):
        """Walk the calls in reverse. ``grads`` maps id(array) -> d(loss)/d(array); gradients
        meeting at one array are added. Returns d(loss)/d(input) (None if not asked for)."""
        be = self.model.backend
        for layer, x, y in reversed(self.calls):
            g = grads.pop(id(y), None)
            if g is None:  # nothing downstream of this call reached the loss
                continue
            need_dx = want_input_grad or x is not self.x
            dx = layer.backward(g, need_dx=need_dx)
            if need_dx:
                prev = grads.get(id(x))
                grads[id(x)] = dx if prev is None else be.add_arrays(prev, dx)
        return grads.get(id(self.x))


class _Call:
    """What ``model.<attribute>`` gives for a layer: calling it inside ``forward`` records the
    call; every other attribute is the layer's (``model.linear_1.W``, ``.layer`` for itself)."""

    __slots__ = ("layer", "_name")

    def __init__(self, layer, name):
        object.__setattr__(self, "layer", layer)
        object.__setattr__(self, "_name", name)

    def __call__(self, x):
        rec = _active_record()
        if rec is None:
            raise ValidationError(
                f"{self._name} ({self.layer!r}) runs inside the model's forward: call the model, "
                "model(x), rather than one of its layers"
            )
        return rec.call(self.layer, x, f"{self._name} ({self.layer!r})")

    def __getattr__(self, item):
        return getattr(self.layer, item)

    def __setattr__(self, item, value):
        setattr(self.layer, item, value)

    def __repr__(self):
        return repr(self.layer)


class _Block:
    """A ``Sequential`` (or a list of layers) assigned to a ``Model`` attribute: calling it runs
    its layers in order, each call recorded; indexing and iterating give the layers' calls."""

    def __init__(self, name, layers, chain):
        self._name = name
        self.layers = list(layers)
        self._calls = [_Call(layer, f"{name}[{i}]") for i, layer in enumerate(self.layers)]
        self._chain = chain

    def __call__(self, x):
        if not self._chain:
            raise ValidationError(
                f"{self._name} is a list of layers: call its items ({self._name}[0](x), or "
                f"for layer in {self._name}: x = layer(x)); wrap them in nb.Sequential([...]) "
                "to call them as one"
            )
        for c in self._calls:
            x = c(x)
        return x

    def __getitem__(self, i):
        return self._calls[i]

    def __iter__(self):
        return iter(self._calls)

    def __len__(self):
        return len(self._calls)

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{'Sequential' if self._chain else 'list'}([{inner}])"


#: ``Model._forward``'s ``layers`` argument when the loss absorbed the output activation: return
#: that activation's input (the logits) instead of its output.
_LOGITS = ("logits",)


class Model(Sequential):
    """Base class of a network with a hand-written ``forward`` (see the module docstring).

    Parameters
    ----------
    backend : {"auto", "reference", "cpu", "cuda"} or backend object
    seed : int, optional
        Seed of the parameter initialisation (NumPy ``default_rng``), in the order the layers
        were assigned.
    dtype : float32 (default) or float64
    input_shape : tuple, optional
        Shape of one example; otherwise learnt from the first input.

    Notes
    -----
    Subclasses call ``super().__init__(...)`` first, assign their layers as attributes, and
    define ``forward(self, x)``. The parameters are allocated when the subclass's ``__init__``
    returns. ``to(backend)`` moves the model (PyTorch's ``model.to(device)``).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_builds_model", False):
            return

        @functools.wraps(init)
        def __init__(self, *args, **kw):
            depth = self.__dict__.get("_init_depth", 0)
            object.__setattr__(self, "_init_depth", depth + 1)
            try:
                init(self, *args, **kw)
            finally:
                object.__setattr__(self, "_init_depth", depth)
            if depth == 0:  # the outermost __init__ is done: every layer has been declared
                self._build()

        __init__._builds_model = True
        cls.__init__ = __init__

    def __init__(self, backend="auto", seed=None, dtype=None, input_shape=None):
        d = self.__dict__
        d["_modules"] = {}
        d["_config"] = (backend, seed, dtype, input_shape)
        d["_built"] = False
        d["_record"] = None

    # ------------------------------------------------------------------ declaring layers
    def __setattr__(self, name, value):
        if name == "layers" or name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        entry = self._as_module(name, value)
        if entry is None:
            object.__setattr__(self, name, value)
            return
        modules = self.__dict__.get("_modules")
        if modules is None:
            raise ValidationError(
                f"{type(self).__name__}: call super().__init__() before assigning layers "
                f"(self.{name} = ...)"
            )
        if self.__dict__.get("_built"):
            raise ValidationError(
                f"{type(self).__name__}: layers are declared in __init__; the model is already "
                f"built, so self.{name} cannot be assigned a layer now"
            )
        self.__dict__.pop(name, None)
        modules[name] = entry

    @staticmethod
    def _as_module(name, value):
        if isinstance(value, Model):
            raise ValidationError(
                f"self.{name}: a Model inside a Model is not supported; give its layers to this "
                "model (or an nb.Sequential of them) and call them from this forward"
            )
        if isinstance(value, Layer):
            return _Call(value, name)
        if isinstance(value, Sequential):
            return _Block(name, value.layers, chain=True)
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
            return _Block(name, value, chain=False)
        if isinstance(value, (list, tuple)) and any(isinstance(v, Layer) for v in value):
            raise ValidationError(
                f"self.{name} mixes layers and other objects; a list attribute holds only layers"
            )
        return None

    def __getattr__(self, name):
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:
            return modules[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __delattr__(self, name):
        raise ValidationError(f"{type(self).__name__}: attributes cannot be deleted ({name})")

    def named_layers(self):
        """[(name, layer)] in declaration order (``linear_1``, ``my_network.0``, ...)."""
        out = []
        for name, entry in self._modules.items():
            if isinstance(entry, _Call):
                out.append((name, entry.layer))
            else:
                out += [(f"{name}.{i}", layer) for i, layer in enumerate(entry.layers)]
        return out

    def _build(self):
        backend, seed, dtype, input_shape = self._config
        layers = [layer for _, layer in self.named_layers()]
        if not layers:
            raise ValidationError(
                f"{type(self).__name__} declares no layers: assign them as attributes in "
                "__init__ (self.linear_1 = nb.Dense(...))"
            )
        if len({id(x) for x in layers}) != len(layers):
            raise ValidationError(
                f"{type(self).__name__}: the same layer object is assigned twice; create "
                "separate layers (a layer may be called twice in forward instead)"
            )
        if type(self).forward is Model.forward:
            raise ValidationError(f"{type(self).__name__} must define forward(self, x)")
        d = self.__dict__
        d["layers"] = layers
        d["backend"] = get_backend(backend)
        d["dtype"] = dtype_of(config.DEFAULT_DTYPE if dtype is None else dtype)
        d["seed"] = seed
        d["input_shape"] = None if input_shape is None else tuple(int(s) for s in input_shape)
        self._allocate(np.random.default_rng(seed))
        d["_built"] = True
        if self.input_shape is not None:
            self._shapes = self._infer_shapes(self.input_shape)

    # ------------------------------------------------------------------ forward / backward
    def forward(self, x):
        """Write this: the computation from ``x`` (a backend array) to the output(s)."""
        raise NotImplementedError

    def _run(self, x, training):
        """Run ``forward`` on the backend array ``x`` with a fresh record; returns the outputs
        as a tuple and whether ``forward`` returned one array."""
        if _active_record() is not None:
            raise ValidationError("a Model cannot be called inside another model's forward")
        rec = _Record(self, x, training)
        _state.record = rec
        try:
            out = self.forward(x)
        finally:
            _state.record = None
        single = not isinstance(out, (tuple, list))
        outs = (out,) if single else tuple(out)
        if not outs:
            raise ValidationError("forward returned no array")
        for i, y in enumerate(outs):
            rec.check_output(y, i)
        self._record = rec
        self._outputs = outs
        return outs, single

    def _forward(self, x, training=False, layers=None):
        outs, _ = self._run(x, training)
        y = outs[0]
        if layers is _LOGITS:  # the output activation is absorbed into the loss
            y = next(c[1] for c in reversed(self._record.calls) if c[2] is y)
        self._loss_out = y
        return y

    def _backward(self, g, layers=None):
        if self._record is None:
            raise ValidationError("backward before forward: call the model first")
        return self._record.backward({id(self._loss_out): g}, self._want_input_grad)

    def __call__(self, x, training=False):
        """The output(s) of ``forward`` for ``x`` (NumPy in, NumPy out); records the calls
        that ``backward`` walks back."""
        xb = self.backend.asarray(self._check_input(x), self.dtype)
        outs, single = self._run(xb, training)
        host = tuple(self.backend.to_numpy(y) for y in outs)
        return host[0] if single else host

    def backward(self, *grads):
        """Backpropagate through the last call: one gradient per output of ``forward`` (d loss /
        d output, NumPy), ``None`` for an output the loss does not use; accumulates every
        parameter's ``.grad`` and returns d(loss)/d(input) as a NumPy array."""
        rec = self._record
        if rec is None:
            raise ValidationError("backward before forward: call the model first")
        if not grads or len(grads) > len(self._outputs):
            raise ValidationError(
                f"backward takes one gradient per output of forward (it returned "
                f"{len(self._outputs)}); got {len(grads)}"
            )
        be = self.backend
        todo = {}
        for i, (g, y) in enumerate(zip(grads, self._outputs)):
            if g is None:
                continue
            g = as_float_array(g, f"gradient {i}", self.dtype, min_ndim=1)
            if tuple(g.shape) != tuple(y.shape):
                raise ValidationError(
                    f"gradient {i} has shape {tuple(g.shape)}; output {i} has {tuple(y.shape)}"
                )
            gb = be.asarray(g, self.dtype)
            prev = todo.get(id(y))
            todo[id(y)] = gb if prev is None else be.add_arrays(prev, gb)
        if not todo:
            raise ValidationError("backward needs at least one gradient that is not None")
        dx = rec.backward(todo, want_input_grad=True)
        return be.to_numpy(dx) if dx is not None else np.zeros(rec.x.shape, self.dtype)

    # ------------------------------------------------------------------ what Sequential asks
    def _infer_shapes(self, input_shape):
        """Run ``forward`` once on one zero example (evaluation mode) to learn the first
        output's shape and which layer made it."""
        keep = (self.__dict__.get("_record"), self.__dict__.get("_outputs"))
        try:
            x = self.backend.asarray(np.zeros((1,) + tuple(input_shape), self.dtype), self.dtype)
            outs, _ = self._run(x, False)
            maker = next((c[0] for c in reversed(self._record.calls) if c[2] is outs[0]), None)
        finally:
            self._record, self._outputs = keep
        self._output_maker = type(maker) if maker is not None else None
        return [tuple(outs[0].shape[1:])]

    def _split_for_loss(self, loss):
        fuse = _FUSABLE.get(loss.fuses_with)
        if fuse is not None and self.__dict__.get("_output_maker") is fuse:
            return _LOGITS, loss.logits_version()
        return self.layers, loss

    def _class_decider(self, layers):
        from .. import losses as L

        trained = getattr(self, "loss", None)
        if trained is not None:
            return self._split_for_loss(trained)[1] if layers is _LOGITS else trained
        if self._n_out() == 1 and self.__dict__.get("_output_maker") is not Sigmoid:
            raise ValidationError(
                "this model has one output and was not trained with fit, so it is not known "
                "whether the output is a probability (class 1 above 0.5) or a logit (above 0): "
                "pass loss=, e.g. predict_classes(x, loss='bce_logits')"
            )
        return L.MSE()

    def dense_stack(self, layers=None):
        """None: a Model's forward is its own code, so it runs call by call (no fused path)."""
        return None

    def named_parameters(self):
        """[(name, Parameter)] named after the attributes (``linear_1.W``, ``my_network.0.b``).
        The parameters' own ``.name`` stays the layer number (``0.W``), as in ``Sequential``,
        which is what checkpoints store."""
        return [
            (f"{name}.{pname}", p)
            for name, layer in self.named_layers()
            for pname, p in layer._params.items()
        ]

    # ------------------------------------------------------------------ copies and moves
    def _values(self):
        return [{name: p.value for name, p in layer._params.items()} for layer in self.layers]

    def to(self, backend=None, dtype=None):
        """Move this model (its parameters, same values) to another backend and/or dtype, in
        place; returns the model (PyTorch's ``model.to(device)``)."""
        vals = self._values()
        d = self.__dict__
        if backend is not None:
            d["backend"] = get_backend(backend)
        if dtype is not None:
            d["dtype"] = dtype_of(dtype)
        for layer in self.layers:
            layer.__dict__.pop("_zero_b", None)
            layer.__dict__.pop("_zero_db", None)
        self._allocate(None, values=vals)
        d["_record"] = None
        return self

    def clone(self, backend=None, dtype=None):
        """A copy of this model (same weights, separate parameters) on another backend or
        dtype."""
        new = copy.copy(self)
        d = new.__dict__
        fresh = {id(layer): copy.copy(layer) for layer in self.layers}
        for layer in fresh.values():
            layer._params = {}
            layer.__dict__.pop("_zero_b", None)
            layer.__dict__.pop("_zero_db", None)
        modules = {}
        for name, entry in self._modules.items():
            if isinstance(entry, _Call):
                modules[name] = _Call(fresh[id(entry.layer)], name)
            else:
                modules[name] = _Block(name, [fresh[id(x)] for x in entry.layers], entry._chain)
        d["_modules"] = modules
        d["layers"] = [fresh[id(layer)] for layer in self.layers]
        d["backend"] = get_backend(backend if backend is not None else self.backend)
        d["dtype"] = dtype_of(dtype if dtype is not None else self.dtype)
        d["_record"] = None
        new._allocate(None, values=self._values())
        return new

    @classmethod
    def load(cls, path, backend="auto"):
        raise ValidationError(
            f"{cls.__name__}.load cannot rebuild a Model from a file (its forward is code): "
            f"create the model, then nb.checkpoint.load(path, model={cls.__name__}(...))"
        )

    # ------------------------------------------------------------------ display
    def summary(self, input_shape=None, print_fn=print):
        """Print (and return) the recorded calls of one forward on a zero example: name,
        layer, output shape, parameters."""
        shape = input_shape or self.input_shape
        if shape is None:
            raise ValidationError("summary needs the input shape: summary(input_shape=(784,))")
        keep = (self.__dict__.get("_record"), self.__dict__.get("_outputs"))
        try:
            x = self.backend.asarray(np.zeros((1,) + tuple(shape), self.dtype), self.dtype)
            self._run(x, False)
            calls = self._record.calls
        finally:
            self._record, self._outputs = keep
        names = {id(layer): name for name, layer in self.named_layers()}
        rows = [("Call", "Layer", "Output shape", "Param #")]
        for layer, _x, y in calls:
            rows.append(
                (
                    names.get(id(layer), "(function)"),
                    repr(layer),
                    str((None,) + tuple(y.shape[1:])),
                    f"{layer.n_params():,}",
                )
            )
        w = [max(len(r[c]) for r in rows) + 2 for c in range(4)]
        line = "-" * sum(w)
        out = [line, "".join(r.ljust(w[c]) for c, r in enumerate(rows[0])), "=" * sum(w)]
        out += ["".join(r.ljust(w[c]) for c, r in enumerate(row)) for row in rows[1:]]
        out += ["=" * sum(w), f"Total params: {self.n_params():,}", line]
        text = "\n".join(out)
        if print_fn is not None:
            print_fn(text)
        return text

    def __repr__(self):
        if not self.__dict__.get("_built"):
            return f"{type(self).__name__}(not built)"
        inner = ",\n  ".join(f"{name}: {entry!r}" for name, entry in self._modules.items())
        return (
            f"{type(self).__name__}(backend={self.backend.name!r}, dtype={self.dtype.name}, "
            f"[\n  {inner}\n])"
        )


__all__ = ["Model"]
