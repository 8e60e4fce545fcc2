"""Computing, drawing and writing the lecture figures.

``plot(id)`` returns a matplotlib Figure (notebooks); ``render_figures`` writes files atomically
into a folder with a progress bar and rewrites the folder's index (``README.md``).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import time
from pathlib import Path

from .._io import atomic_write_bytes, atomic_write_text
from .._progress import Progress
from ..errors import NumbanetError, ValidationError
from .catalog import BY_ID, CATALOG


def list_figures(lang="en"):
    """[{id, slide, description, needs, slow}] for every figure of the lectures, the slide and
    description in ``lang`` ("en" or "es")."""
    out = []
    for f in CATALOG:
        slide, description = catalog_text(f, lang)
        out.append(
            dict(id=f.id, slide=slide, description=description, needs=list(f.needs), slow=f.slow)
        )
    return out


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


#: data set -> why it could not be downloaded, once a download was tried in this process
_DOWNLOAD_FAILED = {}


def missing_data(info):
    """(name, why) of the first data set this figure needs that is neither available locally
    nor downloadable, or None. A data set not found locally is downloaded into the cache by its
    ``numbanet.data`` loader (every file checked against its built-in SHA-256), tried once per
    process: a fresh machine gets every figure from the README's first command."""
    from .. import data

    finders = {"mnist": (data.find_mnist, data.load_mnist)}
    finders["semeion"] = (data.find_semeion, data.load_semeion)
    for need in info.needs:
        find, load = finders[need]
        if find() is not None:
            continue
        if need not in _DOWNLOAD_FAILED:
            try:
                load()
            except NumbanetError as exc:
                _DOWNLOAD_FAILED[need] = str(exc)
            else:
                continue
        return need, _DOWNLOAD_FAILED[need]
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


def figure_data(fig_id, seed=0, backend="cpu", budget="reduced"):
    """The data behind a figure, as ``compute`` returns it; on the full budget through the
    results cache (``experiments.cache.cached``, keyed by the figure, seed, backend and
    numbanet's version), so that a second full-budget rendering (``--lang es``, another
    ``--format`` or ``--dpi``) draws the stored results instead of training again; ``--fresh``
    recomputes.

    The data is stored exactly (``_stored``: tuples stay tuples, dicts keep number keys); data
    holding something else (a network object) is used as computed and computed again next
    time."""
    from ..experiments import cache
    from ._stored import decode, encode

    info = _info(fig_id)
    comp, _ = _functions(info)
    if budget != "full":
        return comp(seed=seed, backend=backend, budget=budget)
    computed = {}

    def run(seed, backend, budget):
        computed["data"] = comp(seed=seed, backend=backend, budget=budget)
        text, arrays = encode(computed["data"])
        return {"text": text, "arrays": {f"a{i}": a for i, a in enumerate(arrays)}}

    settings = dict(seed=seed, backend=backend, budget=budget)
    try:
        entry = cache.cached(f"figure.{info.id}", settings, run)
    except ValidationError:
        if "data" in computed:
            return computed["data"]  # computed, but not storable
        raise
    if "data" in computed:
        return computed["data"]
    arrays = entry["arrays"]
    return decode(entry["text"], [arrays[f"a{i}"] for i in range(len(arrays))])


def plot(fig_id, seed=0, backend="cpu", full=False, lang="en", data=None, budget=None):
    """Compute (unless ``data`` is given) and draw figure ``fig_id``; returns the Figure with the
    computed data attached as ``fig.numbanet_data``."""
    from ._style import localise, style

    info = _info(fig_id)
    comp, draw = _functions(info)
    if data is None:
        data = figure_data(fig_id, seed=seed, backend=backend, budget=_budget(full, budget))
    with style():
        fig = localise(draw(data, lang=lang), lang)
    fig.numbanet_data = data
    return fig


#: raster resolution of ``numbanet figures`` (``--dpi 300`` for print)
DEFAULT_DPI = 150


def command_line(fig_id, lang="en", seed=0, budget="reduced", backend="cpu"):
    """The ``numbanet figures`` command that regenerates one figure as it was rendered."""
    parts = ["numbanet figures", fig_id]
    if budget == "full":
        parts.append("--full")
    if lang != "en":
        parts.append(f"--lang {lang}")
    if seed:
        parts.append(f"--seed {seed}")
    if backend != "cpu":
        parts.append(f"--backend {backend}")
    return " ".join(parts)


def figure_metadata(fmt, title, description, details, command, budget, lang="en"):
    """savefig metadata for ``fmt``: the title, what the figure shows, its settings and budget
    and the command that regenerates it (labelled in ``lang``), under the keys each format
    knows."""
    if lang == "es":
        labels = (f"Presupuesto: {_BUDGET_ES.get(budget, budget)}.", f"Orden: {command}")
    else:
        labels = (f"Budget: {budget}.", f"Command: {command}")
    about = " ".join([description, *[d.rstrip(".") + "." for d in details], *labels])
    if fmt == "png":
        return {"Title": title, "Description": about, "Software": "numbanet", "Source": command}
    if fmt == "pdf":
        return {"Title": title, "Subject": about, "Creator": "numbanet", "Keywords": command}
    return {"Title": title, "Description": about, "Creator": "numbanet"}


def figure_title(fig):
    """The figure's title: its suptitle, else the title of its only titled axes ("" if none)."""
    if fig._suptitle is not None and fig._suptitle.get_text().strip():
        return fig._suptitle.get_text().strip()
    titles = [ax.get_title().strip() for ax in fig.axes if ax.get_title().strip()]
    return titles[0] if len(titles) == 1 else ""


def catalog_text(info, lang="en"):
    """A catalogued figure's slide and description in ``lang``: the catalogue's Spanish
    ``slide_es``/``description_es`` for "es" (its English ones where an entry lacks them),
    else the English ``slide``/``description``."""
    if lang == "es":
        return info.slide_es or info.slide, info.description_es or info.description
    return info.slide, info.description


def index_title(drawn, info, lang="en"):
    """The title a figure's file and index record carry: ``drawn`` (its one-line title, from
    ``figure_title``), else -- a drawing without one -- the catalogue's description in ``lang``."""
    return drawn or catalog_text(info, lang)[1]


def save_figure(
    fig,
    fig_id,
    outdir,
    fmt="png",
    lang="en",
    seed=0,
    budget="reduced",
    backend="cpu",
    dpi=DEFAULT_DPI,
):
    """Write a drawn figure to ``outdir/<id>.<fmt>`` atomically (with its title, settings, budget
    and command in the file's metadata), close it, and return its index record's fields."""
    import matplotlib.pyplot as plt

    info = _info(fig_id)
    title = index_title(figure_title(fig), info, lang)
    details = list(getattr(fig, "numbanet_details", []))
    command = command_line(info.id, lang, seed, budget, backend)
    about = catalog_text(info, lang)[1]
    meta = figure_metadata(fmt, title, about, details, command, budget, lang)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    finally:
        plt.close(fig)
    path = Path(outdir) / f"{info.id}.{fmt}"
    atomic_write_bytes(path, buf.getvalue())
    return dict(
        status="ok",
        path=str(path),
        message="",
        title=title,
        details=details,
        command=command,
        dpi=dpi,
        lang=lang,
    )


def _render_one(fig_id, outdir, fmt, lang, seed, budget, backend, dpi):
    """Compute, draw and write one figure; its index record (an error is recorded, not raised:
    one broken figure must not stop the others)."""
    info = _info(fig_id)
    t0 = time.perf_counter()
    rec = {"id": info.id, "path": None, "seconds": 0.0}
    need = missing_data(info)
    if need is not None:
        rec.update(
            status="skipped",
            message=f"needs {need[0]}: {need[1]}",
        )
    else:
        try:
            fig = plot(info.id, seed=seed, backend=backend, lang=lang, budget=budget)
            rec.update(save_figure(fig, info.id, outdir, fmt, lang, seed, budget, backend, dpi))
        except Exception as exc:
            rec.update(status="error", message=f"{type(exc).__name__}: {exc}")
    rec["seconds"] = round(time.perf_counter() - t0, 2)
    return rec


def render_figures(
    ids=None,
    outdir="figures",
    fmt="png",
    lang="en",
    backend="cpu",
    seed=0,
    full=False,
    progress=True,
    dpi=DEFAULT_DPI,
    index=True,
    budget=None,
    jobs=1,
):
    """Render figures into ``outdir``; returns one record per figure
    ``{id, path, seconds, status ("ok" | "skipped" | "error"), message, title, details, command,
    dpi}``. ``budget`` ("tiny", "reduced", "full") overrides ``full``; "tiny" is for tests
    (seconds per figure). ``dpi`` applies to PNG (and images inside PDF/SVG). ``jobs`` > 1
    renders in that many worker processes, each on one thread (``--jobs 2`` on two cores runs
    the many single-threaded small-net experiments side by side); each record's ``seconds``
    is then that figure's time in its worker."""
    import matplotlib

    matplotlib.use("Agg", force=True)

    if fmt not in ("png", "pdf", "svg"):
        raise ValidationError(f"fmt must be png, pdf or svg; got {fmt!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 10 <= dpi <= 1200:
        raise ValidationError(f"dpi must be a number between 10 and 1200; got {dpi!r}")
    budget = _budget(full, budget)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValidationError(f"jobs must be a whole number >= 1; got {jobs!r}")
    infos = [_info(i) for i in ids] if ids else list(CATALOG)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    args = (str(outdir), fmt, lang, seed, budget, backend, dpi)
    bar = Progress("figures", len(infos), enabled=progress)
    try:
        if jobs == 1 or len(infos) == 1:
            results = []
            for info in infos:
                bar.item(info.id)
                results.append(_render_one(info.id, *args))
                bar.advance(results[-1]["status"])
        else:
            from ._jobs import render_parallel

            results = render_parallel(infos, args, jobs, bar)
    finally:
        bar.close()
    if index:
        write_index(outdir, results, fmt, budget=budget, lang=lang)
    return results


_INDEX_TEXT = {
    "en": dict(
        head="# The lecture figures, regenerated by numbanet",
        intro="Every figure below is computed by numbanet's own engine and theory code (seeded) "
        "and then drawn; the constants of the slides are inputs, never outputs. Regenerate them "
        "all with `numbanet figures` (reduced budgets) or `numbanet figures --full` (the original "
        "budgets of the slow reproductions); one figure with `numbanet figures ID`; `--dpi 300` "
        "for print, `--format pdf` or `svg` for vector files. Each figure's settings, budget and "
        "command are listed below and stored in the file's metadata.",
        total="Total compute-and-draw time of the figures listed: {t} s on a 2-core machine "
        "(times per figure below, from a cold JIT cache where a figure was the first to compile "
        "its kernels).",
        cols="| id | slide | what it shows | seconds | status |",
        budget="{b} budget",
        settings="Settings",
        command="Command",
        missing="Not rendered",
    ),
    "es": dict(
        head="# Las figuras de las clases, regeneradas por numbanet",
        intro="Cada figura se calcula con el motor y el código teórico de numbanet (con semilla) "
        "y después se dibuja; las constantes de las diapositivas son entradas, nunca salidas. Se "
        "regeneran todas con `numbanet figures --lang es` (presupuestos reducidos) o `numbanet "
        "figures --full --lang es` (los presupuestos originales de las reproducciones lentas); una "
        "figura con `numbanet figures ID --lang es`; `--dpi 300` para imprimir, `--format pdf` o "
        "`svg` para ficheros vectoriales. Los ajustes, el presupuesto y la orden de cada figura "
        "están abajo y en los metadatos del fichero.",
        total="Tiempo total de cálculo y dibujo de las figuras listadas: {t} s en una máquina de "
        "2 núcleos (tiempos por figura abajo, con la caché JIT fría donde una figura fue la "
        "primera en compilar sus núcleos).",
        cols="| id | diapositiva | qué muestra | segundos | estado |",
        budget="presupuesto {b}",
        settings="Ajustes",
        command="Orden",
        missing="No generada",
    ),
}
_BUDGET_ES = {"reduced": "reducido", "full": "completo", "tiny": "mínimo"}

# ----------------------------------------------------------------------- the claims' table
_CLAIMS_TEXT = {
    "en": dict(
        head="## The slides' claims",
        intro="The slides' quantitative claims as `numbanet claims --json` (full run) recomputed "
        "them, read from [{path}]({path}): {counts}. The verdict required is what the claim must "
        "reach (`differs` where the slide is known to be wrong); the full values and each claim's "
        "explanation are in the JSON.",
        cols="| # | what the slides state | the slide's value | numbanet's value "
        "| verdict required | verdict reached |",
        good="holds or approx",
        differs="differs on {parts}",
        failed="FAILED",
        values="{n} values",
    ),
    "es": dict(
        head="## Las afirmaciones de las diapositivas",
        intro="Las afirmaciones cuantitativas de las diapositivas tal como las recalculó "
        "`numbanet claims --json` (ejecución completa), leídas de [{path}]({path}): {counts}. El "
        "veredicto exigido es el que debe alcanzar cada afirmación (`difiere` donde se sabe que "
        "la diapositiva está mal); los valores completos y la explicación de cada una están en "
        "el JSON. Los enunciados y los nombres de las partes están en inglés, como en el JSON.",
        cols="| # | qué dicen las diapositivas | valor de la diapositiva | valor de numbanet "
        "| veredicto exigido | veredicto alcanzado |",
        good="se cumple o aprox.",
        differs="difiere en {parts}",
        failed="FALLA",
        values="{n} valores",
    ),
}
_VERDICT_ES = {
    "holds": "se cumple",
    "approx": "aprox.",
    "differs": "difiere",
    "skipped": "omitida",
    "error": "error",
}
#: the verdicts counted in the table's intro, in this order, as plural verbs
_COUNTED = {
    "holds": "hold",
    "approx": "approx",
    "differs": "differ",
    "skipped": "skipped",
    "error": "errors",
}
_COUNTED_ES = {
    "holds": "se cumplen",
    "approx": "aprox.",
    "differs": "difieren",
    "skipped": "omitidas",
    "error": "con error",
}
#: a table cell's text is cut at this many characters (the JSON keeps the whole value)
CLAIM_CELL = 160
#: statements are cut at a word boundary after this many characters
CLAIM_STATEMENT = 110


def _claims_file(outdir, lang):
    """The ``claims.json`` the index of ``outdir`` shows: the one beside it, or for the Spanish
    set (``figures/es``) the English set's one folder up; None when there is none."""
    outdir = Path(outdir)
    for folder in (outdir, outdir.parent) if lang == "es" else (outdir,):
        if (folder / "claims.json").is_file():
            return folder / "claims.json"
    return None


def _md(text):
    """``text`` safe inside a Markdown table cell (no column breaks, no raw HTML)."""
    out = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
    return " ".join(out.split())


def _cut(text, limit):
    """``text`` cut at the last word boundary before ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(",;:") + " …"


def claim_value(v, lang="en"):
    """A claim's slide or computed value (as stored in claims.json) in a few words: numbers with
    4 significant digits, lists of more than six items as the first three, the last and their
    count, dictionaries as ``part: value`` lines joined by ``<br>``."""
    words = _CLAIMS_TEXT["es" if lang == "es" else "en"]

    def one(x):
        if isinstance(x, bool) or x is None:
            return str(x)
        if isinstance(x, float):
            return f"{x:.4g}"
        if isinstance(x, list):
            items = [one(y) for y in x]
            if len(items) > 6:
                n = words["values"].format(n=len(items))
                items = items[:3] + ["…", items[-1] + f" ({n})"]
            return "[" + ", ".join(items) + "]"
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k}: {one(y)}" for k, y in x.items()) + "}"
        return str(x)

    if isinstance(v, dict):
        return "<br>".join(_cut(_md(f"{k}: {one(x)}"), CLAIM_CELL) for k, x in v.items())
    return _cut(_md(one(v)), CLAIM_CELL)


def claims_rows(claims, lang="en"):
    """The claims' table rows (lists of cell texts, in the order of ``claims``, the records of
    ``numbanet claims --json``): id, the statement (cut), the slide's value, numbanet's value,
    the verdict required (from the record's ``expected`` parts) and the verdict reached."""
    words = _CLAIMS_TEXT["es" if lang == "es" else "en"]

    def verdict(v):
        return _VERDICT_ES.get(v, v) if lang == "es" else v

    rows = []
    for c in claims:
        expected = c.get("expected", {})
        differs = [part for part, ok in expected.items() if "differs" in ok]
        required = words["good"]
        if differs:
            required = words["differs"].format(parts=", ".join(differs))
        reached = verdict(c["verdict"]) + (f" ({words['failed']})" if c.get("failed") else "")
        rows.append(
            [
                str(c["id"]),
                _cut(_md(c["statement"]), CLAIM_STATEMENT),
                claim_value(c["slide_value"], lang),
                claim_value(c["computed"], lang),
                _md(required),
                reached,
            ]
        )
    return rows


def claims_section(path, link, lang="en"):
    """The Markdown section of the index that tabulates ``path`` (a ``numbanet claims --json``
    file), linked as ``link``: a heading, one line of counts and one row per claim."""
    words = _CLAIMS_TEXT["es" if lang == "es" else "en"]
    claims = json.loads(Path(path).read_text(encoding="utf-8"))
    n = {v: sum(c["verdict"] == v for c in claims) for v in _COUNTED}
    plural = _COUNTED_ES if lang == "es" else _COUNTED
    counts = ", ".join(f"{k} {plural[v]}" for v, k in n.items() if k)
    counts = f"{len(claims)} " + ("afirmaciones" if lang == "es" else "claims") + f" ({counts})"
    lines = [words["head"], "", words["intro"].format(path=link, counts=counts), ""]
    lines += [words["cols"], "|---:|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in claims_rows(claims, lang)]
    return lines + [""]


def write_index(outdir, results, fmt="png", full=False, budget=None, lang="en"):
    """Rewrite ``outdir/README.md`` (and ``index.json``), keeping earlier records of figures that
    were not rendered this time. Each record names its ``budget`` (``budget`` if given, else
    "full" or "reduced" by ``full``), its title, settings and command; the README is written in
    ``lang`` ("en" or "es"), each figure described by its title and slide in that language.
    ``write_index(outdir, [], lang=lang)`` rewrites both files from the records alone (no figure
    drawn); for "es" it also turns a kept title that is the English catalogue description (the
    fallback of a drawing without a one-line title before the catalogue had Spanish text) into
    the Spanish one."""
    budget = _budget(full, budget)
    text = _INDEX_TEXT["es" if lang == "es" else "en"]
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
            records[r["id"]] = {
                **r,
                "path": Path(r["path"]).name if r["path"] else None,
                "budget": budget,
            }
    if lang == "es":
        for r in records.values():
            info = BY_ID.get(r["id"])
            if info is not None and r.get("title") == info.description:
                r["title"] = catalog_text(info, "es")[1]
    ordered = [records[f.id] for f in CATALOG if f.id in records]
    atomic_write_text(store, json.dumps(ordered, indent=1, ensure_ascii=False) + "\n")
    total = sum(r["seconds"] for r in ordered if r["status"] == "ok")
    lines = [
        text["head"],
        "",
        text["intro"],
        "",
        text["total"].format(t=f"{total:.0f}"),
        "",
        text["cols"],
        "|---|---|---|---:|---|",
    ]

    def shows(r):
        return index_title(r.get("title"), BY_ID[r["id"]], lang)

    def secs(v):
        return f"{v:.1f}".replace(".", ",") if lang == "es" else f"{v:.1f}"

    for r in ordered:
        info = BY_ID[r["id"]]
        lines.append(
            f"| [`{info.id}`](#{info.id}) | {catalog_text(info, lang)[0]} | {shows(r)} | "
            f"{secs(r['seconds'])} | {r['status']} |"
        )
    lines.append("")
    for r in ordered:
        info = BY_ID[r["id"]]
        b = r.get("budget", "reduced")
        b = _BUDGET_ES.get(b, b) if lang == "es" else b
        lines += [
            f"## {info.id}",
            "",
            f"*{catalog_text(info, lang)[0]}* ({text['budget'].format(b=b)}, "
            f"{secs(r['seconds'])} s). {shows(r)}",
            "",
        ]
        if r.get("details"):
            lines += [f"{text['settings']}: " + "; ".join(r["details"]) + ".", ""]
        if r.get("command"):
            lines += [f"{text['command']}: `{r['command']}`", ""]
        if r["status"] == "ok" and r.get("path"):
            lines += [f"![{info.id}]({r['path']})", ""]
        else:
            lines += [f"{text['missing']}: {r.get('message', '')}", ""]
    claims = _claims_file(outdir, lang)
    if claims is not None:  # the claims' table, regenerated from the JSON with the index
        link = Path(os.path.relpath(claims, outdir)).as_posix()
        lines += claims_section(claims, link, lang)
    atomic_write_text(outdir / "README.md", "\n".join(lines))
