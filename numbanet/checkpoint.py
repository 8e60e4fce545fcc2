"""Checkpoints: a model, its optimiser state, its history and its random generator in one ``.npz``.

File layout (``np.savez``; read back with ``allow_pickle=False``, nothing is ever unpickled):

=====================  ==========================================================================
entry                  content
=====================  ==========================================================================
``__meta__``           a JSON string: format name and version, the architecture (each layer's
                       class, constructor config, frozen flag and parameter shapes), dtype and
                       input shape, the optimiser's class and hyperparameters, the history's
                       keys and flags, the state of the fit random generator, and a SHA-256 of
                       every array below
``param/<name>``       each parameter (``0.W``, ``0.b``, ...)
``optim/<key>``        the optimiser's ``state_dict()`` (``t``, ``lr``, ``m.0``, ``v.0``, ...)
``history/<key>``      each history series as float64 (None -> NaN)
=====================  ==========================================================================

``save`` writes atomically (temporary file, fsync, rename: an interrupted save leaves the previous
file intact). ``load`` reads *everything*, checks the format, version and checksum, and checks the
architecture against the model and the state against the optimiser *before* assigning anything:
a truncated, corrupted or mismatched file raises ``CheckpointError`` and leaves the model and
optimiser untouched.

Resuming bit for bit (CPU)::

    h1 = net.fit(x, y, optimizer=opt, epochs=2, seed=0)
    nb.checkpoint.save("run.npz", net, opt, h1)           # also saves net's fit generator
    ck = nb.checkpoint.load("run.npz", backend="cpu")      # fresh model, optimiser, generator
    ck.model.fit(x, y, optimizer=ck.optimizer, epochs=2, seed=ck.rng)
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import zipfile
from dataclasses import dataclass, field

import numpy as np

from ._io import atomic_writer
from .errors import CheckpointError, ValidationError

FORMAT = "numbanet-checkpoint"
VERSION = 1

# constructor argument -> attribute name, where layers store them under another name
_ALIASES = {"init": "init_name", "bias": "use_bias"}


# ---------------------------------------------------------------------------- architecture
def _jsonable(v):
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return not (isinstance(v, float) and not math.isfinite(v))


def layer_config(layer):
    """The constructor arguments of ``layer`` as a JSON-able dict.

    Uses ``layer.get_config()`` when the layer defines it; otherwise reads, for every argument of
    its ``__init__``, the attribute of the same name (or ``init_name`` / ``use_bias`` for
    ``init`` / ``bias``). Arguments it cannot recover are left to their defaults (the parameters
    themselves are restored from the file anyway).
    """
    if hasattr(type(layer), "get_config"):
        return dict(layer.get_config())
    cfg = {}
    sig = inspect.signature(type(layer).__init__)
    for name, par in list(sig.parameters.items())[1:]:
        if par.kind in (par.VAR_POSITIONAL, par.VAR_KEYWORD):
            continue
        for attr in (name, _ALIASES.get(name)):
            if attr and attr in layer.__dict__ and _jsonable(layer.__dict__[attr]):
                v = layer.__dict__[attr]
                cfg[name] = list(v) if isinstance(v, tuple) else v
                break
    return cfg


def architecture(model):
    """A JSON-able description of ``model``: layers (class, module, config, frozen, parameter
    shapes), dtype and input shape."""
    layers = []
    for layer in model.layers:
        layers.append(
            {
                "class": type(layer).__name__,
                "module": type(layer).__module__,
                "config": layer_config(layer),
                "frozen": bool(layer.frozen),
                "params": {name: list(shape) for name, shape, *_ in layer._specs},
            }
        )
    return {
        "layers": layers,
        "dtype": np.dtype(model.dtype).name,
        "input_shape": None if model.input_shape is None else list(model.input_shape),
    }


def _layer_class(entry):
    mod, cls = entry.get("module", ""), entry.get("class", "")
    if not (mod == "numbanet" or mod.startswith("numbanet.")):
        raise CheckpointError(
            f"layer class {mod}.{cls} is not a numbanet layer; only numbanet's own layers can be "
            "rebuilt from a checkpoint (pass model= to load into a model you built)"
        )
    try:
        return getattr(importlib.import_module(mod), cls)
    except (ImportError, AttributeError) as exc:
        raise CheckpointError(
            f"the checkpoint needs layer {mod}.{cls}, which this numbanet does not have ({exc})"
        ) from None


def build_model(arch, backend="auto"):
    """A fresh ``Sequential`` from ``architecture()`` output (parameters freshly initialised)."""
    from .nn.sequential import Sequential

    layers = []
    for i, entry in enumerate(arch["layers"]):
        cls = _layer_class(entry)
        try:
            layer = cls(**entry.get("config", {}))
        except (TypeError, ValueError) as exc:
            raise CheckpointError(
                f"cannot rebuild layer {i} ({entry.get('class')}) from its config "
                f"{entry.get('config')}: {exc}"
            ) from None
        if entry.get("frozen"):
            layer.freeze()
        layers.append(layer)
    shape = arch.get("input_shape")
    return Sequential(
        layers,
        backend=backend,
        dtype=arch.get("dtype", "float32"),
        input_shape=None if shape is None else tuple(shape),
    )


def _check_architecture(model, arch, path):
    """Raise CheckpointError unless ``model`` has the layers and parameter shapes of ``arch``."""
    got = arch["layers"]
    if len(got) != len(model.layers):
        raise CheckpointError(
            f"{path}: the checkpoint has {len(got)} layers "
            f"({', '.join(e['class'] for e in got)}); the model has {len(model.layers)} "
            f"({', '.join(type(x).__name__ for x in model.layers)})"
        )
    for i, (entry, layer) in enumerate(zip(got, model.layers)):
        if entry["class"] != type(layer).__name__:
            raise CheckpointError(
                f"{path}: layer {i} is a {entry['class']} in the checkpoint but a "
                f"{type(layer).__name__} in the model"
            )
        mine = {name: list(shape) for name, shape, *_ in layer._specs}
        if mine != entry["params"]:
            raise CheckpointError(
                f"{path}: layer {i} ({entry['class']}) has parameters {entry['params']} in the "
                f"checkpoint but {mine} in the model"
            )


# ---------------------------------------------------------------------------- save
def _checksum(arrays):
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(key.encode())
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _rng_state(rng):
    if rng is None:
        return None
    if not isinstance(rng, np.random.Generator):
        raise ValidationError(f"rng must be a numpy Generator; got {type(rng).__name__}")
    return rng.bit_generator.state


def save(path, model, optimizer=None, history=None, rng=None):
    """Write ``model`` (and optionally its optimiser, history and random generator) to ``path``.

    Parameters
    ----------
    path : str or Path
        Written as given (add the ``.npz`` suffix yourself), atomically.
    model : Sequential
    optimizer : Optimizer, optional
    history : History, optional
    rng : numpy Generator, optional
        Default: the generator of the model's last ``fit`` (so training resumes with the same
        shuffling and dropout masks it would have had).
    """
    from .nn.sequential import Sequential

    if not isinstance(model, Sequential):
        raise ValidationError(f"model must be a Sequential; got {type(model).__name__}")
    arrays = {f"param/{p.name}": np.array(p.value, copy=True) for p in model.parameters()}
    meta = {"format": FORMAT, "version": VERSION, "architecture": architecture(model)}
    if optimizer is not None:
        state = optimizer.state_dict()
        for k, v in state.items():
            if k != "name":
                arrays[f"optim/{k}"] = np.asarray(v)
        meta["optimizer"] = {
            "class": type(optimizer).__name__,
            "name": optimizer.name,
            "hyperparameters": optimizer.hyperparameters(),
            "params": [p.name for p in optimizer.params],
        }
    else:
        meta["optimizer"] = None
    if history is not None:
        series = history.as_arrays()
        for k, v in series.items():
            arrays[f"history/{k}"] = np.asarray(v, dtype=np.float64)
        meta["history"] = {
            "keys": list(series),
            "best_epoch": history.best_epoch,
            "stopped_early": bool(history.stopped_early),
        }
    else:
        meta["history"] = None
    if rng is None:
        rng = getattr(model, "_fit_rng", None)
    meta["rng"] = _rng_state(rng)
    meta["checksum"] = _checksum(arrays)
    arrays["__meta__"] = np.array(json.dumps(meta))
    with atomic_writer(path, "wb") as fh:
        np.savez(fh, **arrays)


# ---------------------------------------------------------------------------- load
@dataclass
class Checkpoint:
    """What ``load`` returns: the model, the optimiser (rebuilt if none was given), the history,
    the fit generator (pass it as ``fit(seed=...)`` to resume) and the raw metadata."""

    model: object
    optimizer: object = None
    history: object = None
    rng: object = None
    meta: dict = field(default_factory=dict)


def _read(path):
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}  # reading each entry checks its CRC
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}: the file does not exist") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path} is not a readable numbanet checkpoint (truncated or corrupted?): {exc}"
        ) from None
    if "__meta__" not in arrays:
        raise CheckpointError(f"{path} is an .npz file but not a numbanet checkpoint (no __meta__)")
    try:
        meta = json.loads(str(arrays.pop("__meta__")))
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: the checkpoint's metadata is corrupted: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a numbanet checkpoint (format {meta!r:.60})")
    if meta.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {meta.get('version')}; this numbanet reads "
            f"version {VERSION}"
        )
    if meta.get("checksum") != _checksum(arrays):
        raise CheckpointError(f"{path}: checksum mismatch, the checkpoint's arrays are corrupted")
    return meta, arrays


def _rebuild_rng(state):
    if state is None:
        return None
    name = state.get("bit_generator")
    cls = getattr(np.random, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, np.random.BitGenerator)):
        raise CheckpointError(f"unknown random bit generator {name!r} in the checkpoint")
    bg = cls()
    try:
        bg.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"the checkpoint's random generator state is invalid: {exc}"
        ) from None
    return np.random.Generator(bg)


def _build_optimizer(info, model):
    from . import optim as O

    cls = O.OPTIMIZERS.get(info.get("name"))
    if cls is None or cls.__name__ != info.get("class"):
        raise CheckpointError(
            f"the checkpoint's optimiser {info.get('class')} ({info.get('name')!r}) is not one "
            f"numbanet knows; pass optimizer= to load its state into your own"
        )
    hp = dict(info.get("hyperparameters", {}))
    lr = hp.pop("lr")
    try:
        return cls(model.parameters(), lr, **hp)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"cannot rebuild the optimiser {info.get('class')}: {exc}") from None


def load(path, model=None, optimizer=None, backend="auto"):
    """Read a checkpoint; fill ``model`` and ``optimizer`` if given, else build them.

    Parameters
    ----------
    path : str or Path
    model : Sequential, optional
        Receives the parameters (its architecture must match). Default: a new model built from
        the checkpoint's architecture on ``backend``.
    optimizer : Optimizer, optional
        Receives the saved optimiser state (its class must match). Default: rebuilt from the
        saved class and hyperparameters over the model's parameters (None if none was saved).
    backend : str
        Backend of a model built here.

    Returns
    -------
    Checkpoint
        ``.model``, ``.optimizer``, ``.history``, ``.rng``, ``.meta``.

    Raises
    ------
    CheckpointError
        Missing, truncated, corrupted, other-version or mismatched file; nothing is modified.
    """
    meta, arrays = _read(path)
    arch = meta.get("architecture") or {}
    # ---- validate everything before touching anything
    built = model is None
    if built:
        model = build_model(arch, backend=backend)
    _check_architecture(model, arch, path)
    params = {}
    for p in model.parameters():
        key = f"param/{p.name}"
        if key not in arrays:
            raise CheckpointError(f"{path}: parameter {p.name} is missing from the checkpoint")
        a = arrays[key]
        if a.shape != p.shape or a.dtype.kind != "f" or not np.isfinite(a).all():
            raise CheckpointError(
                f"{path}: parameter {p.name} has shape {a.shape} and dtype {a.dtype} "
                f"(finite: {bool(np.isfinite(a).all()) if a.dtype.kind == 'f' else 'n/a'}); "
                f"the model needs a finite float array of shape {p.shape}"
            )
        params[p.name] = a
    opt_state = {k[len("optim/") :]: v for k, v in arrays.items() if k.startswith("optim/")}
    info = meta.get("optimizer")
    if optimizer is not None:
        if info is None:
            raise CheckpointError(f"{path} holds no optimiser state to load into {optimizer!r}")
        if info.get("name") != optimizer.name:
            raise CheckpointError(
                f"{path} holds the state of a {info.get('class')} ({info.get('name')!r}); the "
                f"optimiser given is a {type(optimizer).__name__} ({optimizer.name!r})"
            )
        target_opt = optimizer
    elif info is not None:
        target_opt = _build_optimizer(info, model)
    else:
        target_opt = None
    if target_opt is not None:
        opt_state["name"] = np.array(info.get("name"))
        try:
            target_opt._validate_state(opt_state)
        except ValidationError as exc:
            raise CheckpointError(f"{path}: {exc}") from None
    history = None
    if meta.get("history") is not None:
        from .nn.history import History

        history = History()
        for k in meta["history"]["keys"]:
            if f"history/{k}" not in arrays:
                raise CheckpointError(f"{path}: history series {k!r} is missing")
            history.history[k] = arrays[f"history/{k}"].tolist()
        history.best_epoch = meta["history"].get("best_epoch")
        history.stopped_early = bool(meta["history"].get("stopped_early"))
    rng = _rebuild_rng(meta.get("rng"))
    # ---- assign
    for p in model.parameters():
        p.value = params[p.name].astype(p.dtype, copy=False)
    if target_opt is not None:
        target_opt.load_state_dict(opt_state)
    return Checkpoint(model=model, optimizer=target_opt, history=history, rng=rng, meta=meta)


__all__ = [
    "FORMAT",
    "VERSION",
    "Checkpoint",
    "save",
    "load",
    "architecture",
    "layer_config",
    "build_model",
]
