"""A figure's data in a form the results cache can keep, and back, exactly.

A figure's ``compute`` returns plain data, but "plain" there is richer than the cache's entries
(``experiments.cache``: string-keyed dicts, arrays, JSON numbers): dicts keyed by learning
rates or ``(depth, width)`` pairs, tuples the drawing compares or unpacks, lists of arrays,
NumPy scalars, NaN where a run diverged. ``encode`` turns such data into one JSON text plus a
list of arrays, each non-JSON value tagged, so that ``decode`` rebuilds it with the same types:
a drawing from cached results is the drawing from fresh ones.

Tags (a dict with one key starting with ``"~"``; real dicts are always tagged too, so no data
can be mistaken for a tag):

``{"~a": i}``            the i-th array (a NumPy scalar is a 0-d array read back with ``[()]``)
``{"~s": i}``            the same, as a NumPy scalar
``{"~t": [...]}``        a tuple
``{"~d": [[k, v], ...]}`` a dict, keys and values encoded (keys may be numbers or tuples)
``{"~f": "nan"}``        a non-finite float ("nan", "inf", "-inf")

Anything else (a network, a function, an array of strings or objects) raises
:class:`~numbanet.errors.ValidationError`: such data is not stored, only recomputed.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..errors import ValidationError


def encode(data):
    """``(text, arrays)``: ``data`` as JSON with tags, and the arrays it refers to."""
    arrays = []

    def enc(v, where):
        if isinstance(v, np.ndarray) or isinstance(v, np.generic):
            a = np.asarray(v)
            if a.dtype.kind not in "biufc":
                raise ValidationError(f"{where}: arrays of dtype {a.dtype} are not stored")
            arrays.append(np.array(a))
            return {("~s" if isinstance(v, np.generic) else "~a"): len(arrays) - 1}
        if v is None or isinstance(v, (bool, str, int)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"~f": repr(v)}
        if isinstance(v, tuple):
            return {"~t": [enc(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, list):
            return [enc(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, dict):
            return {
                "~d": [[enc(k, f"{where} key"), enc(x, f"{where}[{k!r}]")] for k, x in v.items()]
            }
        raise ValidationError(f"{where}: a {type(v).__name__} is not stored")

    return json.dumps(enc(data, "data"), allow_nan=False), arrays


def _key(k):
    """A decoded dict key: lists inside a tuple key were tuples (keys are hashable)."""
    return tuple(_key(x) for x in k) if isinstance(k, (list, tuple)) else k


def decode(text, arrays):
    """The data ``encode`` produced ``(text, arrays)`` from."""

    def dec(v):
        if isinstance(v, list):
            return [dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        (tag, x), *_ = v.items()
        if tag == "~a":
            return arrays[x]
        if tag == "~s":
            return arrays[x][()]
        if tag == "~t":
            return tuple(dec(y) for y in x)
        if tag == "~f":
            return float(x)
        if tag == "~d":
            return {_key(dec(k)): dec(y) for k, y in x}
        raise ValidationError(f"stored figure data: unknown tag {tag!r}")

    return dec(json.loads(text))
