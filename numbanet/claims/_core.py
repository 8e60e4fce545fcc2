"""The claims' registry and runner: ``@claim`` registers a claim function, ``check`` runs one
(timing it, skipping it under ``--fast`` or without its data, turning an exception into an
``error`` verdict), ``print_table`` shows the results."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .verdict import _fmt

VERDICTS = ("holds", "approx", "differs", "skipped", "error")


@dataclasses.dataclass
class ClaimResult:
    id: int
    statement: str
    slide_value: Any
    computed: Any
    verdict: str
    explanation: str
    method: str
    figure: str | None = None
    failed: bool = False
    seconds: float = 0.0
    parts: dict = dataclasses.field(default_factory=dict)
    #: the verdicts each part must reach (every part of ``parts`` and every part the claim names)
    expected: dict = dataclasses.field(default_factory=dict)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["computed"] = _jsonable(self.computed)
        d["slide_value"] = _jsonable(self.slide_value)
        return d


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, int) and abs(v) > 2**53:
        return str(v)  # exact big integers survive JSON as strings
    return v


_REGISTRY: dict[int, dict] = {}
_GOOD = ("holds", "approx")


def claim(cid, statement, slide_value, figure=None, expensive=False, expect=None, needs=()):
    """Register a claim function ``fn() -> (computed, Comparison, method)``.

    ``expect`` maps part names to the verdicts they must reach (parts not named: holds or
    approx), e.g. ``{"regions": ("differs",)}`` for a typo on the slide."""

    def deco(fn):
        _REGISTRY[cid] = dict(
            fn=fn,
            statement=statement,
            slide_value=slide_value,
            figure=figure,
            expensive=expensive,
            expect=dict(expect or {}),
            needs=tuple(needs),
        )
        return fn

    return deco


def list_claims():
    return [
        dict(id=k, statement=v["statement"], figure=v["figure"], expensive=v["expensive"])
        for k, v in sorted(_REGISTRY.items())
    ]


def _data_available(name):
    from .. import data

    if name == "mnist":
        return data.find_mnist() is not None
    if name == "semeion":
        return data.find_semeion() is not None
    raise ValueError(f"unknown data set {name!r}")


def _failed(parts, expect):
    """True when a part reached a verdict it is not expected to, or an expected part is missing."""
    if any(name not in parts for name in expect):
        return True
    return any(v not in expect.get(name, _GOOD) for name, v in parts.items())


def _expected(parts, expect):
    """The verdicts each part must reach: those the claim names, holds or approx for the rest."""
    names = list(parts) + [name for name in expect if name not in parts]
    return {name: list(expect.get(name, _GOOD)) for name in names}


def check(cid, fast=False):
    """Run claim ``cid`` and return its ``ClaimResult``."""
    import time

    from ..errors import ValidationError

    if cid not in _REGISTRY:
        raise ValidationError(
            f"no claim {cid}; the claims are numbered {min(_REGISTRY)}-{max(_REGISTRY)}"
        )
    c = _REGISTRY[cid]
    base = dict(
        id=cid,
        statement=c["statement"],
        slide_value=c["slide_value"],
        figure=c["figure"],
        expected=_expected({}, c["expect"]),
    )
    if fast and c["expensive"]:
        return ClaimResult(
            **base,
            computed=None,
            verdict="skipped",
            explanation="expensive (trains networks on MNIST); skipped by --fast",
            method="not run",
        )
    for need in c["needs"]:
        if not _data_available(need):
            return ClaimResult(
                **base,
                computed=None,
                verdict="skipped",
                explanation=f"{need} not found (set NUMBANET_DATA or allow the download)",
                method="not run",
            )
    t0 = time.perf_counter()
    try:
        computed, comparison, method = c["fn"]()
    except Exception as e:  # one broken claim must not hide the others: report it as an error
        return ClaimResult(
            **base,
            computed=None,
            verdict="error",
            method="raised",
            explanation=f"{type(e).__name__}: {e}",
            failed=True,
            seconds=time.perf_counter() - t0,
        )
    base["expected"] = _expected(comparison.parts, c["expect"])
    return ClaimResult(
        **base,
        computed=computed,
        verdict=comparison.verdict,
        explanation=comparison.explanation,
        method=method,
        seconds=time.perf_counter() - t0,
        parts=dict(comparison.parts),
        failed=_failed(comparison.parts, c["expect"]),
    )


def check_all(ids=None, fast=False):
    """Every claim (or ``ids``), in order."""
    ids = sorted(_REGISTRY) if not ids else list(ids)
    return [check(i, fast=fast) for i in ids]


def print_table(results, console=None):
    """A rich table of results."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    colour = {
        "holds": "green",
        "approx": "cyan",
        "differs": "yellow",
        "skipped": "dim",
        "error": "red",
    }
    t = Table(title="The slides' claims, recomputed by numbanet", show_lines=True)
    for col in ("#", "statement", "slide", "numbanet", "verdict", "why / method"):
        t.add_column(col, overflow="fold")
    for r in results:
        v = f"[{colour[r.verdict]}]{r.verdict}[/]" + (" [red]FAILED[/]" if r.failed else "")
        t.add_row(
            str(r.id),
            r.statement,
            _fmt(r.slide_value),
            _fmt(r.computed),
            v,
            f"{r.explanation}\n[dim]{r.method}[/]",
        )
    console.print(t)
    n = {k: sum(r.verdict == k for r in results) for k in VERDICTS}
    failed = sum(r.failed for r in results)
    console.print(
        ", ".join(f"{v} {k}" for k, v in n.items()) + (f"; {failed} FAILED" if failed else "")
    )
