"""The one helper every claim uses to compare its computed value with the slide's:
``verdict(computed, slide_value, rtol, atol, factor=..., relation=...)`` returns a ``Comparison``
(holds / approx / differs per part, and an explanation built from the numbers)."""

from __future__ import annotations

import dataclasses

import numpy as np

_RANK = {"holds": 0, "approx": 1, "differs": 2}


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The outcome of ``verdict``: the worst part's verdict, one explanation, and the verdict of
    every compared part (``parts``). ``a & b`` joins two comparisons."""

    verdict: str
    explanation: str
    parts: dict

    def __and__(self, other):
        parts = {**self.parts, **other.parts}
        worst = max((self.verdict, other.verdict), key=_RANK.__getitem__)
        return Comparison(worst, f"{self.explanation}; {other.explanation}", parts)


_RELATIONS = {
    "==": None,
    "<=": np.less_equal,
    ">=": np.greater_equal,
    "<": np.less,
    ">": np.greater,
}


def verdict(
    computed,
    slide_value,
    rtol=0.0,
    atol=0.0,
    *,
    factor=None,
    relation="==",
    name=None,
    ref="on the slide",
):
    """Compare a computed value with the slide's and say why they agree or not.

    Parameters
    ----------
    computed, slide_value : number, sequence of numbers, str, or dict of those
        Dicts are compared key by key (each key of ``slide_value`` is one part; extra keys of
        ``computed`` are context and not compared); anything else is one part, named ``name``.
    rtol, atol : float or array_like
        Tolerance of ``==``: ``|computed - slide| <= atol + rtol |slide|`` element-wise (``atol``
        may be an array, e.g. a number of standard errors per element). Exactly equal is
        ``holds``; within the tolerance ``approx``; else ``differs``.
    factor : float, optional
        Tolerance as a ratio instead: ``1/factor <= computed / slide <= factor`` gives ``approx``.
    relation : {"==", "<=", ">=", "<", ">"}
        The slide's relation ("more than 1e40" is ``">"``): ``holds`` when it holds for every
        element, else ``differs``.
    name : str, optional
        Name of a single part (default "value").
    ref : str
        Where ``slide_value`` comes from, as the explanation says it ("on the slide", "by the
        slide's formula", "from the test pass", ...).

    Returns
    -------
    Comparison
    """
    if relation not in _RELATIONS:
        from ..errors import ValidationError

        raise ValidationError(f"relation must be one of {', '.join(_RELATIONS)}; got {relation!r}")
    if isinstance(slide_value, dict):
        if not isinstance(computed, dict):
            return _result(name or "value", "differs", f"{name or 'value'} is not a table")
        out = None
        for key, sv in slide_value.items():
            if key in computed:
                c = verdict(
                    computed[key],
                    sv,
                    rtol,
                    atol,
                    factor=factor,
                    relation=relation,
                    name=str(key),
                    ref=ref,
                )
            else:
                c = _result(str(key), "differs", f"{key}: not computed")
            out = c if out is None else out & c
        return out
    return _leaf(name or "value", computed, slide_value, rtol, atol, factor, relation, ref)


def _result(name, v, text):
    return Comparison(v, text, {name: v})


def _exact(name, c, s, same, ref):
    if same:
        return _result(name, "holds", f"{name} = {_brief(c)} as {ref}")
    return _result(name, "differs", f"{name} = {_brief(c)}, against {_brief(s)} {ref}")


def _leaf(name, c, s, rtol, atol, factor, relation, ref):
    if isinstance(c, str) or isinstance(s, str):
        return _exact(name, c, s, c == s, ref)
    try:
        ca, sa = np.asarray(c, dtype=np.float64), np.asarray(s, dtype=np.float64)
    except ValueError:  # ragged nests (e.g. a list of shapes): exact comparison only
        return _exact(name, c, s, _nested(c) == _nested(s), ref)
    if relation != "==":
        holds = _RELATIONS[relation](ca, np.broadcast_to(sa, ca.shape) if sa.ndim == 0 else sa)
        if bool(np.all(holds)):
            return _result(name, "holds", f"{name} = {_brief(c)} {relation} {_brief(s)}")
        bad = f" for {int(np.sum(~holds))} of {ca.size} elements" if ca.size > 1 else ""
        return _result(
            name, "differs", f"{name} = {_brief(c)}: not {relation} {_brief(s)}{bad}, as {ref}"
        )
    if sa.ndim == 0 and ca.ndim > 0:  # one slide value for every element
        sa = np.broadcast_to(sa, ca.shape)
    if ca.shape != sa.shape:
        return _result(
            name, "differs", f"{name} has shape {ca.shape}, {_brief(s)} {ref} {sa.shape}"
        )
    if np.array_equal(ca, sa):
        return _result(name, "holds", f"{name} = {_brief(c)} as {ref}")
    gap = ca - sa
    tol_text = None
    if factor is not None:
        ratio = ca / sa
        within = bool(np.all((ratio >= 1 / factor) & (ratio <= factor)))
        tol_text = (
            f"a factor {factor:g} (ratios {float(ratio.min()):.3g} to {float(ratio.max()):.3g})"
        )
    elif np.any(np.asarray(rtol) > 0) or np.any(np.asarray(atol) > 0):
        within = bool(np.all(np.abs(gap) <= np.asarray(atol) + np.asarray(rtol) * np.abs(sa)))
        worst = int(np.argmax(np.abs(gap)))
        at = "" if ca.ndim == 0 else f" at element {worst + 1}"
        tol_text = f"{_tolerance(rtol, atol)} (largest gap {np.abs(gap).ravel()[worst]:.3g}{at})"
    head = f"{name} = {_brief(c)} against {_brief(s)} {ref}"
    if tol_text is not None and within:
        return _result(name, "approx", f"{head}, within {tol_text}")
    text = head
    if ca.ndim == 0:
        text += f": off by {_fmt(float(gap))} ({abs(float(gap)) / max(abs(float(sa)), 1e-300):.2%})"
    if tol_text is not None:
        text += f", outside {tol_text}"
    swap = _digit_swap(c, s)
    if swap:
        text += f"; {s} is {c} with the digits {swap} swapped: a typo"
    return _result(name, "differs", text)


def _tolerance(rtol, atol):
    parts = []
    for label, t in (("rtol", rtol), ("atol", atol)):
        t = np.asarray(t, dtype=float)
        if np.any(t > 0):
            parts.append(
                f"{label} {float(t.max()):.3g}"
                if np.all(t == t.max())
                else f"{label} per element ({float(t.min()):.3g} to {float(t.max()):.3g})"
            )
    return " + ".join(parts)


def _nested(v):
    """``v`` with every tuple and array as a list (for comparing ragged nests)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_nested(x) for x in v]
    return v


def _brief(v):
    """``_fmt(v)``, but a long sequence as its length and range."""
    a = np.asarray(v, dtype=object)
    if a.ndim >= 1 and a.size > 8:
        f = np.asarray(v, dtype=np.float64)
        return f"{f.size} values from {f.min():.6g} to {f.max():.6g}"
    return _fmt(v)


def _digit_swap(c, s):
    """'xy' when the integers ``c`` and ``s`` differ by swapping two adjacent digits."""
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (c, s)):
        return None
    a, b = str(int(c)), str(int(s))
    if len(a) != len(b) or a == b:
        return None
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    ):
        return a[diff[0]] + a[diff[1]]
    return None


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}" if abs(int(v)) < 10**15 else f"{float(v):.4e}"
    if isinstance(v, dict):
        return "\n".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_fmt(x) for x in np.asarray(v, dtype=object).ravel().tolist()) + "]"
    return str(v)
