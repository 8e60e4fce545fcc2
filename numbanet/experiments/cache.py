"""Results of long experiments, cached by their settings, so a full-budget run is paid for once.

``numbanet figures --full`` trains for an hour; ``numbanet claims`` needs some of the same
results (claim 9 is the ``depth-accuracy`` experiment at the slide's 30 epochs). Both call the
experiment through :func:`cached`, which keys the result by everything that determines it:

* the experiment's name and its settings (every argument, seeds and backend included);
* numbanet's version and this cache's format number.

Change any of them and the key changes: the old entry is simply not found (a *miss*), the
experiment runs, and its result is stored under the new key. Same settings: the stored result
is read back (a *hit*) instead of training again. ``numbanet claims --fresh`` and
``numbanet figures --fresh`` recompute (and overwrite) regardless, through :func:`recompute`.

Storage follows numbanet's cache rules: the user cache folder (``numbanet.data.cache_dir()``:
``$NUMBANET_CACHE``, ``$XDG_CACHE_HOME/numbanet`` or ``~/.cache/numbanet``), subfolder
``results``; one ``.npz`` per entry, written atomically, read with ``allow_pickle=False``
(never unpickled). Arrays are stored as arrays; numbers, strings and lists of them as JSON in
the entry's ``__meta__`` record, together with the settings, which are compared again on
reading. A damaged or foreign file counts as a miss and is replaced; a cache folder that cannot
be written is warned about, and the result is returned all the same.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
import io
import json
import numbers
import re
import zipfile
from pathlib import Path

import numpy as np

from ..errors import ValidationError

#: bump when the layout of an entry changes (old entries then miss)
FORMAT = 1

_FRESH = contextvars.ContextVar("numbanet_cache_fresh", default=False)
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@contextlib.contextmanager
def recompute(enabled=True):
    """Inside ``with recompute():`` every :func:`cached` call recomputes and overwrites its
    entry (what ``--fresh`` does); the setting is per thread/context and restored on exit."""
    token = _FRESH.set(bool(enabled))
    try:
        yield
    finally:
        _FRESH.reset(token)


def recomputing():
    """True inside ``recompute()`` (``--fresh``): cached entries are not read."""
    return _FRESH.get()


def folder():
    """Where cached results live: ``<numbanet cache folder>/results`` (may not exist yet)."""
    from ..data import cache_dir

    return Path(cache_dir()) / "results"


def _canonical(v, where="settings"):
    """``v`` as plain JSON values (tuples -> lists, NumPy scalars -> numbers), or an error."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise ValidationError(f"{where}: keys must be strings; got {k!r}")
            out[k] = _canonical(x, f"{where}.{k}")
        return out
    if isinstance(v, (list, tuple)):
        return [_canonical(x, f"{where}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, np.ndarray) and v.dtype.kind in "biuf" and v.size <= 64:
        return _canonical(v.tolist(), where)
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        if not np.isfinite(f):
            raise ValidationError(f"{where}: {f} cannot be a cache setting")
        return f
    raise ValidationError(
        f"{where}: a {type(v).__name__} cannot be part of a cache key; use numbers, strings, "
        "booleans, None and lists or dicts of them"
    )


def key(name, settings):
    """The entry's key: SHA-256 of the experiment's name, its settings, numbanet's version and
    the cache format, as canonical JSON."""
    from .. import __version__

    doc = {
        "experiment": str(name),
        "settings": _canonical(settings),
        "numbanet": __version__,
        "format": FORMAT,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def path(name, settings, where=None):
    """The file of the entry for ``name`` run with ``settings``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"experiment name must be letters, digits, '.', '_' or '-'; got {name!r}"
        )
    base = folder() if where is None else Path(where)
    return base / f"{name}.{key(name, settings)[:20]}.npz"


def _split(result, prefix=""):
    """(JSON-able values, {array path: array}) of a result dict; nested dicts flatten with '/'."""
    if not isinstance(result, dict):
        raise ValidationError(f"a cached result must be a dict; got {type(result).__name__}")
    values, arrays = {}, {}
    for k, v in result.items():
        if not isinstance(k, str) or "/" in k:
            raise ValidationError(f"result key {k!r}: keys must be strings without '/'")
        p = prefix + k
        if isinstance(v, dict):
            sub_v, sub_a = _split(v, p + "/")
            values[k] = {"__dict__": sub_v}
            arrays.update(sub_a)
        elif isinstance(v, np.ndarray):
            if v.dtype.kind not in "biufc":
                raise ValidationError(f"result {p!r}: arrays of dtype {v.dtype} are not cached")
            values[k] = {"__array__": p}
            arrays[p] = v
        else:
            values[k] = _canonical(v, f"result {p!r}")
    return values, arrays


def _join(values, arrays):
    out = {}
    for k, v in values.items():
        if isinstance(v, dict) and "__array__" in v:
            out[k] = arrays[v["__array__"]]
        elif isinstance(v, dict) and "__dict__" in v:
            out[k] = _join(v["__dict__"], arrays)
        else:
            out[k] = v
    return out


def stored_form(result):
    """``result`` as a later read of its entry returns it (tuples as lists, nested dicts
    rebuilt); a ``ValidationError`` when it cannot be stored."""
    return _join(*_split(result))


def save(file, name, settings, result):
    """Write ``result`` as the entry ``file`` (atomically)."""
    from .._io import atomic_write_bytes

    values, arrays = _split(result)
    meta = {
        "experiment": name,
        "settings": _canonical(settings),
        "key": key(name, settings),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "values": values,
    }
    buf = io.BytesIO()
    np.savez(buf, __meta__=np.array(json.dumps(meta)), **{"a/" + p: a for p, a in arrays.items()})
    atomic_write_bytes(file, buf.getvalue())


def load(file, name, settings):
    """The result stored in ``file`` if it is the entry for (name, settings), else None (a
    missing, damaged or foreign file: the caller recomputes)."""
    try:
        with np.load(file, allow_pickle=False) as z:
            meta = json.loads(str(z["__meta__"][()]))
            if meta.get("key") != key(name, settings) or meta.get("settings") != _canonical(
                settings
            ):
                return None
            arrays = {k[2:]: np.array(z[k]) for k in z.files if k.startswith("a/")}
        return _join(meta["values"], arrays)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None  # damaged or foreign (json.JSONDecodeError is a ValueError)


def cached(name, settings, compute, fresh=None, where=None):
    """``compute(**settings)``, or its stored result when these settings ran before.

    Parameters
    ----------
    name : str
        The experiment, e.g. ``"vanishing.depth_accuracy"``.
    settings : dict
        Every argument that determines the result; ``compute`` is called with them.
    compute : callable
        Returns a dict of arrays, numbers, strings, lists of them, and nested such dicts.
    fresh : bool, optional
        Recompute and overwrite; default: the ``recompute()`` context (``--fresh``).
    where : path, optional
        Another folder than ``folder()`` (tests).

    Returns
    -------
    dict
        The result; tuples come back as lists and arrays as arrays of the same dtype.
    """
    file = path(name, settings, where)
    if not (recomputing() if fresh is None else fresh):
        hit = load(file, name, settings) if file.is_file() else None
        if hit is not None:
            return hit
    result = compute(**settings)
    try:
        save(file, name, settings, result)
    except OSError as exc:  # a full or read-only cache folder costs the reuse, not the result
        import warnings

        warnings.warn(f"{name}: result not cached ({exc})", stacklevel=2)
    return stored_form(result)  # what a later hit returns, so both paths give the same types


def is_cached(name, settings, where=None):
    """True when an entry for (name, settings) is stored and readable."""
    file = path(name, settings, where)
    return file.is_file() and load(file, name, settings) is not None


__all__ = [
    "FORMAT",
    "cached",
    "folder",
    "is_cached",
    "key",
    "load",
    "stored_form",
    "path",
    "recompute",
    "recomputing",
    "save",
]
