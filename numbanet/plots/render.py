"""Computing, drawing and writing the lecture figures.

``plot(id)`` returns a matplotlib Figure (notebooks); ``render_figures`` writes files atomically
into a folder with a progress bar and rewrites the folder's index (``README.md``).
"""

from __future__ import annotations

import importlib
import io
import json
import time
from pathlib import Path

from .._io import atomic_write_bytes, atomic_write_text
from .._progress import Progress
from ..errors import ValidationError
from .catalog import BY_ID, CATALOG


def list_figures():
    """[{id, slide, description, needs, slow}] for every figure of the lectures."""
    return [dict(id=f.id, slide=f.slide, description=f.description, needs=list(f.needs),
                 slow=f.slow) for f in CATALOG]  # fmt: skip


def _info(fig_id):
    if fig_id not in BY_ID:
        raise ValidationError(
            f"unknown figure id {fig_id!r}; valid ids: {', '.join(f.id for f in CATALOG)}"
        )
    return BY_ID[fig_id]


def _functions(info):
    mod = importlib.import_module(f"numbanet.plots.{info.module}")
    try:
        return getattr(mod, f"compute_{info.func_name}"), getattr(mod, f"draw_{info.func_name}")
    except AttributeError:
        raise ValidationError(
            f"figure {info.id!r} is catalogued but numbanet.plots.{info.module} does not define "
            f"compute_{info.func_name}/draw_{info.func_name}"
        ) from None


def missing_data(info):
    """The first data set this figure needs that is not available locally, or None."""
    from .. import data

    for need in info.needs:
        if need == "mnist" and data.find_mnist() is None:
            return "mnist"
        if need == "semeion" and data.find_semeion() is None:
            return "semeion"
    return None


def _budget(full, budget):
    """``budget`` when given ("tiny", "reduced" or "full"), else "full" or "reduced" by ``full``."""
    from ._style import BUDGETS

    if budget is None:
        return "full" if full else "reduced"
    if budget not in BUDGETS:
        raise ValidationError(f"budget must be one of {', '.join(BUDGETS)}; got {budget!r}")
    return budget


def compute(fig_id, seed=0, backend="cpu", full=False, budget=None):
    """The data behind a figure (plain arrays and numbers). ``full=True`` runs the original
    budget; ``budget`` ("tiny", "reduced", "full") overrides ``full``."""
    info = _info(fig_id)
    comp, _ = _functions(info)
    return comp(seed=seed, backend=backend, budget=_budget(full, budget))


def plot(fig_id, seed=0, backend="cpu", full=False, lang="en", data=None, budget=None):
    """Compute (unless ``data`` is given) and draw figure ``fig_id``; returns the Figure with the
    computed data attached as ``fig.numbanet_data``."""
    from ._style import style

    info = _info(fig_id)
    comp, draw = _functions(info)
    if data is None:
        data = comp(seed=seed, backend=backend, budget=_budget(full, budget))
    with style():
        fig = draw(data, lang=lang)
    fig.numbanet_data = data
    return fig


def render_figures(ids=None, outdir="figures", fmt="png", lang="en", backend="cpu", seed=0,
                   full=False, progress=True, dpi=110, index=True, budget=None):  # fmt: skip
    """Render figures into ``outdir``; returns one record per figure
    ``{id, path, seconds, status ("ok" | "skipped" | "error"), message}``. ``budget`` ("tiny",
    "reduced", "full") overrides ``full``; "tiny" is for tests (seconds per figure)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    if fmt not in ("png", "pdf", "svg"):
        raise ValidationError(f"fmt must be png, pdf or svg; got {fmt!r}")
    budget = _budget(full, budget)
    infos = [_info(i) for i in ids] if ids else list(CATALOG)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    results = []
    bar = Progress("figures", len(infos), enabled=progress)
    try:
        for info in infos:
            bar.item(info.id)
            t0 = time.perf_counter()
            rec = {"id": info.id, "path": None, "seconds": 0.0}
            need = missing_data(info)
            if need is not None:
                rec.update(status="skipped", message=f"needs {need}, which was not found: set "
                           "NUMBANET_DATA or let numbanet download it (numbanet info shows where "
                           "it looks)")  # fmt: skip
            else:
                try:
                    fig = plot(info.id, seed=seed, backend=backend, lang=lang, budget=budget)
                    buf = io.BytesIO()
                    fig.savefig(buf, format=fmt, dpi=dpi)
                    plt.close(fig)
                    path = outdir / f"{info.id}.{fmt}"
                    atomic_write_bytes(path, buf.getvalue())
                    rec.update(status="ok", path=str(path), message="")
                except Exception as exc:  # one broken figure must not stop the others
                    rec.update(status="error", message=f"{type(exc).__name__}: {exc}")
            rec["seconds"] = round(time.perf_counter() - t0, 2)
            results.append(rec)
            bar.advance(rec["status"])
    finally:
        bar.close()
    if index:
        write_index(outdir, results, fmt, budget=budget)
    return results


def write_index(outdir, results, fmt="png", full=False, budget=None):
    """Rewrite ``outdir/README.md`` (and ``index.json``), keeping earlier records of figures that
    were not rendered this time. Each record names its ``budget`` (``budget`` if given, else
    "full" or "reduced" by ``full``)."""
    budget = _budget(full, budget)
    outdir = Path(outdir)
    store = outdir / "index.json"
    records = {}
    if store.exists():
        try:
            records = {r["id"]: r for r in json.loads(store.read_text())}
        except (ValueError, KeyError, TypeError):
            records = {}
    for r in results:
        if r["status"] == "ok" or r["id"] not in records:
            records[r["id"]] = {**r, "path": Path(r["path"]).name if r["path"] else None,
                                "budget": budget}  # fmt: skip
    ordered = [records[f.id] for f in CATALOG if f.id in records]
    atomic_write_text(store, json.dumps(ordered, indent=1) + "\n")
    total = sum(r["seconds"] for r in ordered if r["status"] == "ok")
    lines = [
        "# The lecture figures, regenerated by numbanet",
        "",
        "Every figure below is computed by numbanet's own engine and theory code (seeded) and then "
        "drawn; the constants of the slides are inputs, never outputs. Regenerate them all with "
        "`numbanet figures` (reduced budgets, as here) or `numbanet figures --full` (the original "
        "budgets of the slow reproductions); one figure with `numbanet figures ID`.",
        "",
        f"Total compute-and-draw time of the figures listed: {total:.0f} s on a 2-core machine "
        "(times per figure below, from a cold JIT cache where a figure was the first to compile "
        "its kernels).",
        "",
        "| id | slide | what it shows | seconds | status |",
        "|---|---|---|---:|---|",
    ]
    for r in ordered:
        info = BY_ID[r["id"]]
        lines.append(f"| [`{info.id}`](#{info.id}) | {info.slide} | {info.description} | "
                     f"{r['seconds']:.1f} | {r['status']} |")  # fmt: skip
    lines.append("")
    for r in ordered:
        info = BY_ID[r["id"]]
        lines += [f"## {info.id}", "", f"*{info.slide}* ({r.get('budget', 'reduced')} budget, "
                  f"{r['seconds']:.1f} s). {info.description}", ""]  # fmt: skip
        if r["status"] == "ok" and r.get("path"):
            lines += [f"![{info.id}]({r['path']})", ""]
        else:
            lines += [f"Not rendered: {r.get('message', '')}", ""]
    atomic_write_text(outdir / "README.md", "\n".join(lines))
