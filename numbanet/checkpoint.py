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
``buffer/<name>``      each layer buffer: state that is saved but not trained (batch norm's
                       ``1.running_mean``, ``1.running_var``)
``optim/<key>``        the optimiser's ``state_dict()`` (``t``, ``lr``, ``m.0``, ``v.0``, ...)
``history/<key>``      each history series as float64 (None -> NaN)
=====================  ==========================================================================

``save`` writes atomically (temporary file, fsync, rename: an interrupted save leaves the previous
file intact). ``load`` reads *everything*, checks the format, version and checksum, and checks the
architecture against the model and the state against the optimiser *before* assigning anything:
a truncated, corrupted or mismatched file raises ``CheckpointError`` and leaves the model and
optimiser untouched.

``load`` never trusts a size it has not checked. It reads the zip directory and ``__meta__`` first;
the metadata declares every other member (parameter shapes from the architecture, optimiser state
from the optimiser's parameters, history shapes). Before a member's array is allocated, its zip
entry (compression, declared and stored sizes) and its ``.npy`` header (read with
``numpy.lib.format``'s header readers, capped, never unpickled: shape, dtype, memory order) must
agree with that declaration; a member the metadata does not declare is refused unread. So a file
whose header claims a (100000, 100000) weight, a truncated member, or a small entry that inflates
to gigabytes (a zip bomb) is refused with a ``CheckpointError`` naming the member, without
allocating what it claims.

Resuming bit for bit (CPU)::

    h1 = net.fit(x, y, optimizer=opt, epochs=2, seed=0)
    nb.checkpoint.save("run.npz", net, opt, h1)           # also saves net's fit generator
    ck = nb.checkpoint.load("run.npz", backend="cpu")      # fresh model, optimiser, generator
    ck.model.fit(x, y, optimizer=ck.optimizer, epochs=2, seed=ck.rng)

Size: over 600 lines on purpose: the file format, atomic writing, and the member-by-member
validation that refuses a crafted or truncated file before allocating anything belong together.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from ._io import atomic_writer
from .errors import CheckpointError, ValidationError

FORMAT = "numbanet-checkpoint"
VERSION = 1

# constructor argument -> attribute name, where layers store them under another name
_ALIASES = {"init": "init_name", "bias": "use_bias"}

# ---- limits of what ``load`` reads (safety bounds, not tuning: no measurement chose them)
#: numpy writes .npy headers of 128 bytes for these arrays and its own reader refuses headers of
#: more than 10000 characters; the magic string, version and length field add 12 bytes.
_HEADER_MAX_BYTES = 10_000 + 12
#: ``__meta__`` is a JSON string of a few kilobytes (4 bytes a character in the .npy).
_META_MAX_BYTES = 16 * 2**20
#: A history series whose shape the metadata does not declare (files written before shapes were
#: recorded): at most this many bytes (8 million epochs of float64).
_UNDECLARED_HISTORY_MAX_BYTES = 64 * 2**20
#: Deflate cannot compress better than about 1032 : 1, so an entry declaring more is lying.
_DEFLATE_MAX_RATIO = 1032
#: Members are copied into their array in chunks of this many bytes.
_CHUNK = 2**20


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


def _buffers(layer):
    """{name: backend array} of a layer's buffers (running statistics); {} for most layers."""
    return layer.buffers() if hasattr(layer, "buffers") else {}


def _buffer_shapes(layer):
    return {name: list(a.shape) for name, a in _buffers(layer).items()}


def architecture(model):
    """A JSON-able description of ``model``: layers (class, module, config, frozen, parameter
    shapes and, for layers that have them, buffer shapes), dtype and input shape."""
    layers = []
    for layer in model.layers:
        entry = {
            "class": type(layer).__name__,
            "module": type(layer).__module__,
            "config": layer_config(layer),
            "frozen": bool(layer.frozen),
            "params": {name: list(shape) for name, shape, *_ in layer._specs},
        }
        buffers = _buffer_shapes(layer)
        if buffers:
            entry["buffers"] = buffers
        layers.append(entry)
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
        # layers declare their parameters in __init__ and allocate nothing: compare with the
        # architecture's shapes before Sequential allocates what the config asks for
        mine = {name: list(shape) for name, shape, *_ in layer._specs}
        if "params" in entry and mine != entry["params"]:
            raise CheckpointError(
                f"layer {i} ({entry.get('class')}) rebuilt from its config {entry.get('config')} "
                f"has parameters {mine}; the architecture declares {entry['params']}"
            )
        if entry.get("frozen"):
            layer.freeze()
        layers.append(layer)
    shape = arch.get("input_shape")
    try:
        return Sequential(
            layers,
            backend=backend,
            dtype=arch.get("dtype", "float32"),
            input_shape=None if shape is None else tuple(shape),
        )
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"cannot rebuild the model from its architecture: {exc}") from None


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
        if _buffer_shapes(layer) != entry.get("buffers", {}):
            raise CheckpointError(
                f"{path}: layer {i} ({entry['class']}) has buffers {entry.get('buffers', {})} in "
                f"the checkpoint but {_buffer_shapes(layer)} in the model"
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
    for li, layer in enumerate(model.layers):
        for name, a in _buffers(layer).items():
            arrays[f"buffer/{li}.{name}"] = np.array(model.backend.to_numpy(a), copy=True)
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
            "shapes": {k: list(np.shape(v)) for k, v in series.items()},
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


@dataclass(frozen=True)
class _Member:
    """What the metadata says a member must hold: a shape (None: any, up to ``max_bytes``), the
    dtypes allowed (in either byte order) and whether it must be present."""

    what: str
    shape: tuple | None
    dtypes: tuple
    required: bool = True
    max_bytes: int = 0

    def allows(self, dtype):
        return any(dtype in (d, d.newbyteorder()) for d in self.dtypes)

    def data_bytes(self):
        """The most data bytes the member may hold."""
        if self.shape is None:
            return self.max_bytes
        return math.prod(self.shape) * max(d.itemsize for d in self.dtypes)


_INTS = tuple(np.dtype(t) for t in ("int64", "int32", "uint64", "uint32"))
_F64 = (np.dtype(np.float64),)


def _bad_meta(path, what):
    return CheckpointError(f"{path}: the checkpoint's metadata is malformed: {what}")


def _is_shape(v):
    return isinstance(v, list) and all(type(d) is int and d >= 0 for d in v)


def _declared_params(arch, path):
    """{parameter name: shape} from an architecture; raises CheckpointError if malformed."""
    if not isinstance(arch, dict) or not isinstance(arch.get("layers"), list):
        raise _bad_meta(path, "no list of layers in the architecture")
    out = {}
    for li, entry in enumerate(arch["layers"]):
        params = entry.get("params") if isinstance(entry, dict) else None
        if not isinstance(params, dict):
            raise _bad_meta(path, f"layer {li} has no parameter table")
        for name, shape in params.items():
            if not _is_shape(shape):
                raise _bad_meta(path, f"layer {li} parameter {name!r} has shape {shape!r}")
            out[f"{li}.{name}"] = tuple(shape)
    return out


def _optimizer_state_names(info, optimizer, path):
    """The state names the optimiser that will receive the file's state keeps (``m``, ``v``...)."""
    from . import optim as O

    if optimizer is not None:
        if info is None:
            raise CheckpointError(f"{path} holds no optimiser state to load into {optimizer!r}")
        if info.get("name") != optimizer.name:
            raise CheckpointError(
                f"{path} holds the state of a {info.get('class')} ({info.get('name')!r}); the "
                f"optimiser given is a {type(optimizer).__name__} ({optimizer.name!r})"
            )
        return tuple(type(optimizer).state_names)
    if info is None:
        return ()
    cls = O.OPTIMIZERS.get(info.get("name"))
    if cls is None or cls.__name__ != info.get("class"):
        raise CheckpointError(
            f"the checkpoint's optimiser {info.get('class')} ({info.get('name')!r}) is not one "
            f"numbanet knows; pass optimizer= to load its state into your own"
        )
    return tuple(cls.state_names)


def _expected_members(meta, optimizer, path):
    """{array key: _Member} for every array the metadata declares."""
    arch = meta.get("architecture")
    shapes = _declared_params(arch, path)
    try:
        dtype = np.dtype(arch.get("dtype", "float32"))
    except TypeError:
        raise _bad_meta(path, f"dtype {arch.get('dtype')!r}") from None
    if dtype not in (np.float32, np.float64):
        raise _bad_meta(path, f"dtype {dtype} (numbanet models are float32 or float64)")
    out = {
        f"param/{name}": _Member(f"parameter {name}", shape, (dtype,))
        for name, shape in shapes.items()
    }
    for li, entry in enumerate(arch["layers"]):
        buffers = entry.get("buffers", {})
        if not isinstance(buffers, dict):
            raise _bad_meta(path, f"layer {li} has a malformed buffer table")
        for name, shape in buffers.items():
            if not _is_shape(shape):
                raise _bad_meta(path, f"layer {li} buffer {name!r} has shape {shape!r}")
            out[f"buffer/{li}.{name}"] = _Member(f"buffer {li}.{name}", tuple(shape), (dtype,))
    info = meta.get("optimizer")
    if info is not None and not isinstance(info, dict):
        raise _bad_meta(path, "the optimiser entry is not a table")
    names = _optimizer_state_names(info, optimizer, path)
    if info is not None:
        covered = info.get("params")
        if not isinstance(covered, list) or any(c not in shapes for c in covered):
            raise _bad_meta(
                path, f"the optimiser's parameters {covered!r} are not the model's {list(shapes)}"
            )
        out["optim/t"] = _Member("the optimiser's step count", (), _INTS)
        out["optim/lr"] = _Member("the optimiser's learning rate", (), _F64)
        for i, pname in enumerate(covered):
            size = math.prod(shapes[pname])
            for k in names:
                out[f"optim/{k}.{i}"] = _Member(
                    f"optimiser state {k!r} of parameter {pname}", (size,), (dtype,), False
                )
    hist = meta.get("history")
    if hist is not None:
        keys = hist.get("keys") if isinstance(hist, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise _bad_meta(path, "the history has no list of series names")
        hshapes = hist.get("shapes", {})
        for k in keys:
            shape = hshapes.get(k) if isinstance(hshapes, dict) else None
            if "shapes" in hist and not _is_shape(shape):
                raise _bad_meta(path, f"history series {k!r} has shape {shape!r}")
            out[f"history/{k}"] = _Member(
                f"history series {k!r}",
                None if shape is None else tuple(shape),
                _F64,
                max_bytes=_UNDECLARED_HISTORY_MAX_BYTES,
            )
    return out


class _CappedReader:
    """A zip member's stream that refuses to hand out more than ``limit`` bytes (so numpy's header
    reader cannot be made to read a gigabyte-long 'header')."""

    def __init__(self, fp, limit, where):
        self.fp, self.limit, self.where, self.used = fp, limit, where, 0

    def read(self, n=-1):
        if n is None or n < 0 or self.used + n > self.limit:
            raise CheckpointError(
                f"{self.where}: its .npy header is longer than {self.limit} bytes; refused"
            )
        data = self.fp.read(n)
        self.used += len(data)
        return data


def _read_header(fp, where):
    """(shape, fortran_order, dtype) of an .npy stream, by numpy's own header readers (which
    parse the header as a literal and never unpickle)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fp)
        if version == (1, 0):
            return fmt.read_array_header_1_0(fp)
        if version == (2, 0):
            return fmt.read_array_header_2_0(fp)
    except ValueError as exc:
        raise CheckpointError(f"{where}: its .npy header is unreadable: {exc}") from None
    raise CheckpointError(f"{where}: .npy format version {version} is not supported")


def _check_entry(zinfo, exp, archive_size, where):
    """Refuse a zip entry whose sizes cannot hold ``exp``, before opening it."""
    if zinfo.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CheckpointError(
            f"{where} uses zip compression method {zinfo.compress_type}; numbanet checkpoints "
            "are stored or deflated"
        )
    most = _HEADER_MAX_BYTES + exp.data_bytes()
    if zinfo.file_size > most:
        raise CheckpointError(
            f"{where} declares {zinfo.file_size} bytes uncompressed, but {exp.what} needs at most "
            f"{most} (shape {exp.shape}); refused without inflating it"
        )
    if zinfo.header_offset + zinfo.compress_size > archive_size:
        raise CheckpointError(
            f"{where} is truncated: its {zinfo.compress_size} stored bytes would end past the "
            f"end of the {archive_size}-byte file"
        )
    stored = zinfo.compress_type == zipfile.ZIP_STORED
    if (stored and zinfo.compress_size != zinfo.file_size) or (
        not stored and zinfo.file_size > _DEFLATE_MAX_RATIO * zinfo.compress_size + 64
    ):
        raise CheckpointError(
            f"{where} declares {zinfo.file_size} bytes from {zinfo.compress_size} stored ones, "
            "which its compression cannot produce"
        )


def _read_member(zf, zinfo, exp, archive_size, where):
    """The array of one member, checked against ``exp`` before its data is allocated."""
    _check_entry(zinfo, exp, archive_size, where)
    try:
        return _read_checked(zf, zinfo, exp, where)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:  # CRC, short read, inflate
        raise CheckpointError(f"{where} is corrupted: {exc}") from None


def _read_checked(zf, zinfo, exp, where):
    with zf.open(zinfo) as raw:
        fp = _CappedReader(raw, min(_HEADER_MAX_BYTES, zinfo.file_size), where)
        shape, fortran, dtype = _read_header(fp, where)
        if not exp.allows(dtype):
            want = " or ".join(str(d) for d in exp.dtypes)
            raise CheckpointError(
                f"{where}: its header says dtype {dtype}; {exp.what} must be {want}"
            )
        if exp.shape is not None and tuple(shape) != exp.shape:
            raise CheckpointError(
                f"{where}: its header says shape {tuple(shape)}; {exp.what} has shape "
                f"{exp.shape} in the checkpoint's metadata"
            )
        if any(d < 0 for d in shape):
            raise CheckpointError(f"{where}: its header has a negative shape {tuple(shape)}")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > exp.data_bytes():
            raise CheckpointError(
                f"{where}: its header's shape {tuple(shape)} needs {nbytes} bytes; {exp.what} "
                f"may hold at most {exp.data_bytes()}"
            )
        held = zinfo.file_size - fp.used
        if held != nbytes:
            kind = "truncated" if held < nbytes else "longer than its header says"
            raise CheckpointError(
                f"{where} is {kind}: it holds {held} bytes of data; its header's shape "
                f"{tuple(shape)} and dtype {dtype} need {nbytes}"
            )
        # every size agrees with the metadata: now allocate and copy, a chunk at a time
        flat = np.empty(math.prod(shape), dtype)
        view = flat.view(np.uint8)
        pos = 0
        while pos < nbytes:
            chunk = raw.read(min(_CHUNK, nbytes - pos))
            if not chunk:
                raise CheckpointError(
                    f"{where} is truncated: its data ends after {pos} of {nbytes} bytes"
                )
            view[pos : pos + len(chunk)] = np.frombuffer(chunk, np.uint8)
            pos += len(chunk)
        if raw.read(1):  # also makes zipfile check the CRC at the member's end
            raise CheckpointError(f"{where} holds more data than its zip entry declares")
    if fortran:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


_META = _Member("the metadata", None, (), max_bytes=_META_MAX_BYTES)


def _read_meta(zf, zinfo, archive_size, path):
    where = f"{path}: member __meta__.npy"
    _check_entry(zinfo, _META, archive_size, where)
    with zf.open(zinfo) as raw:
        fp = _CappedReader(raw, min(_HEADER_MAX_BYTES, zinfo.file_size), where)
        shape, _fortran, dtype = _read_header(fp, where)
        if shape != () or dtype.kind != "U" or dtype.itemsize > _META_MAX_BYTES:
            raise CheckpointError(
                f"{where}: expected one JSON string of at most {_META_MAX_BYTES} bytes; its header "
                f"says shape {shape} and dtype {dtype}"
            )
        if zinfo.file_size - fp.used != dtype.itemsize:
            raise CheckpointError(
                f"{where} holds {zinfo.file_size - fp.used} bytes of data; its header's dtype "
                f"{dtype} needs {dtype.itemsize}"
            )
        data = raw.read(dtype.itemsize)
        if len(data) != dtype.itemsize or raw.read(1):
            raise CheckpointError(f"{where} is truncated")
    try:
        meta = json.loads(str(np.frombuffer(data, dtype)[0]))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise CheckpointError(f"{path}: the checkpoint's metadata is corrupted: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a numbanet checkpoint (format {meta!r:.60})")
    if meta.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {meta.get('version')}; this numbanet reads "
            f"version {VERSION}"
        )
    return meta


_NPY = re.compile(r"(.+)\.npy\Z", re.DOTALL)


def _read(path, optimizer=None):
    """(metadata, {key: array}) of a checkpoint, every member checked against the metadata."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}: the file does not exist") from None
    except OSError as exc:
        raise CheckpointError(f"cannot open the checkpoint {path}: {exc}") from None
    try:
        with fh, zipfile.ZipFile(fh) as zf:
            archive_size = os.fstat(fh.fileno()).st_size
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                dup = sorted({n for n in names if names.count(n) > 1})
                raise CheckpointError(f"{path}: the zip file lists {dup} more than once")
            by_key = {}
            for zinfo in infos:
                m = _NPY.match(zinfo.filename)
                if m is None:
                    raise CheckpointError(
                        f"{path}: member {zinfo.filename!r} is not an .npy array; a numbanet "
                        "checkpoint holds nothing else"
                    )
                by_key[m.group(1)] = zinfo
            if "__meta__" not in by_key:
                raise CheckpointError(
                    f"{path} is an .npz file but not a numbanet checkpoint (no __meta__)"
                )
            meta = _read_meta(zf, by_key.pop("__meta__"), archive_size, path)
            expected = _expected_members(meta, optimizer, path)
            unknown = sorted(set(by_key) - set(expected))
            if unknown:
                raise CheckpointError(
                    f"{path}: member {unknown[0]}.npy is not declared by the checkpoint's "
                    f"metadata ({len(unknown)} such); refused unread"
                )
            for key, exp in expected.items():
                if exp.required and key not in by_key:
                    raise CheckpointError(f"{path}: {exp.what} ({key}.npy) is missing")
            arrays = {
                key: _read_member(
                    zf, zinfo, expected[key], archive_size, f"{path}: member {key}.npy"
                )
                for key, zinfo in by_key.items()
            }
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
        raise CheckpointError(
            f"{path} is not a readable numbanet checkpoint (truncated or corrupted?): {exc}"
        ) from None
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
    meta, arrays = _read(path, optimizer)  # every member checked against the metadata
    arch = meta["architecture"]
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
    buffers = {}
    for li, layer in enumerate(model.layers):
        for name, target in _buffers(layer).items():
            key = f"buffer/{li}.{name}"
            a = arrays.get(key)
            if a is None or a.shape != tuple(target.shape) or not np.isfinite(a).all():
                raise CheckpointError(
                    f"{path}: buffer {li}.{name} is missing or not a finite array of shape "
                    f"{tuple(target.shape)}"
                )
            buffers[key] = (layer.backend, target, a)
    opt_state = {k[len("optim/") :]: v for k, v in arrays.items() if k.startswith("optim/")}
    info = meta.get("optimizer")
    if optimizer is not None:  # _read checked that it matches the saved optimiser
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
        from .callbacks import History

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
    for backend, target, a in buffers.values():
        backend.copy_into(target, a.astype(target.dtype, copy=False))
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
