"""MkDocs hook of numbanet's documentation site: the pages that come from the repository's own files.

Nothing shown on the site is copied by hand into ``docs/``: it is read, at build time, from the files
the project already keeps up to date.

* **Includes.** A line ``--8<-- "PATH"`` in a page is replaced by the file ``PATH`` (relative to the
  repository root), e.g. the home page ``docs/index.md`` is ``README.md`` and the benchmarks page is
  ``benchmarks/README.md``. The included file's relative links are rewritten so they still point
  at the same thing from the page that includes it (see *Links* below).
* **Figure galleries.** A line ``<!-- numbanet-docs: gallery figures/index.json -->`` becomes one
  section per figure of that index (written by ``numbanet figures``): its title, the slide it
  belongs to, notes, budget, time, the command that redraws it, and the image itself, served from
  ``figures/`` (or ``figures/es/``).
* **Claims.** ``<!-- numbanet-docs: claims -->`` becomes the table of the slides' claims from the
  claims registry (``numbanet.claims``): each claim's statement, the slide's value and its figure.
  No claim is run here: the verdicts reached come from the committed ``figures/claims.json``
  (``numbanet claims --json``, full run).
* **Notebooks.** Every notebook under ``notebooks/`` (its ``.ipynb``, generated from the jupytext
  ``.py``; a percent-format ``.py`` alone where it has no ``.ipynb``) is added to the site and to the
  navigation (sub-folders such as ``profesor/`` as sections), where the ``mkdocs-jupyter`` plugin
  renders it without running it. ``<!-- numbanet-docs: notebooks -->`` (the notebooks' index
  page) shows ``notebooks/README.md`` and links every notebook, or says there are none yet.
* **API reference.** One page per public module of the package (no name part starting with
  ``_``; the Numba kernels included), each a mkdocstrings ``::: numbanet.module`` block, added to
  the navigation under *API reference*.
* **Links.** A relative link in a page or an included file that leaves ``docs/`` is pointed at the
  site's page for that file (``README.md``, ``figures/README.md``, ``figures/es/README.md``,
  ``benchmarks/README.md``), or, for any other file of the repository, at a copy of the file served
  with the site (e.g. ``examples/sweep_mnist1d.toml``). A link to a file that does not exist is left
  alone, so ``mkdocs build --strict`` reports it.
"""

from __future__ import annotations

import html
import importlib.util
import json
import posixpath
import re
import sys
from pathlib import Path, PurePosixPath

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "numbanet"
NOTEBOOKS = "notebooks"
REFERENCE = "reference"

# files of the repository that are shown as a page of the site
PAGE_FOR = {
    "README.md": "index.md",
    "figures/README.md": "gallery.md",
    "figures/es/README.md": "gallery-es.md",
    "benchmarks/README.md": "benchmarks.md",
    "notebooks/README.md": "notebooks/index.md",
}

_INCLUDE = re.compile(r'^--8<--\s+"([^"]+)"\s*$', re.M)
_DIRECTIVE = re.compile(r"^<!--\s*numbanet-docs:\s*(\w+)\s*(\S*)\s*-->\s*$", re.M)
_LINK = re.compile(r"(!?\[(?:[^\[\]]|\[[^\[\]]*\])*\])\(([^()\s]+)((?:\s+\"[^\"]*\")?)\)")
_FENCE = re.compile(r"^(```|~~~)")


# --------------------------------------------------------------------------- helpers
def _docs_dir(config) -> Path:
    return Path(config["docs_dir"]).resolve()


def _repo_path(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


def _outside_link(target: str) -> bool:
    """True for a link that is a relative path (not a URL, an anchor or an absolute path)."""
    return not (
        target.startswith(("#", "/", "mailto:")) or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)
    )


def _split_fences(text: str):
    """Yield ``(chunk, in_code)`` pieces of a Markdown text: fenced code blocks are left alone."""
    chunk, in_code, fence = [], False, None
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line.lstrip())
        if m and (not in_code or line.lstrip().startswith(fence)):
            if not in_code:
                yield "".join(chunk), False
                chunk, in_code, fence = [line], True, m.group(1)
            else:
                chunk.append(line)
                yield "".join(chunk), True
                chunk, in_code, fence = [], False, None
            continue
        chunk.append(line)
    yield "".join(chunk), in_code


def _links(text: str):
    """The relative link targets of a Markdown text (outside code blocks), anchors removed."""
    for chunk, code in _split_fences(text):
        if code:
            continue
        for m in _LINK.finditer(chunk):
            target = m.group(2)
            if _outside_link(target):
                yield target.split("#", 1)[0]


def _rewrite_links(text: str, source: str, page_uri: str, docs: str) -> str:
    """Rewrite the relative links of ``text``, written in repository file ``source``, so they
    work from page ``page_uri`` of the site (``docs`` is the docs folder, repository-relative)."""
    page_dir = posixpath.dirname(page_uri)

    def fix(m):
        label, target, title = m.groups()
        if not _outside_link(target):
            return m.group(0)
        path, _, anchor = target.partition("#")
        if not path:
            return m.group(0)
        repo = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
        uri = _site_uri(repo, docs)
        if uri is None:
            return m.group(0)  # not a file of the repository: mkdocs --strict will say so
        new = posixpath.relpath(uri, page_dir or ".") + (f"#{anchor}" if anchor else "")
        return f"{label}({new}{title})"

    out = []
    for chunk, code in _split_fences(text):
        out.append(chunk if code else _LINK.sub(fix, chunk))
    return "".join(out)


def _site_uri(repo: str, docs: str) -> str | None:
    """Where repository file ``repo`` is on the site, or None if the repository has no such file."""
    if repo in PAGE_FOR:
        return PAGE_FOR[repo]
    twin = _rendered_twin(repo)
    if twin is not None:
        return twin
    if repo == docs or repo.startswith(docs + "/"):
        return posixpath.relpath(repo, docs)
    if (ROOT / repo).is_file():
        return repo  # served as a copy, at its repository path
    return None


def _rendered_twin(repo: str) -> str | None:
    """For a notebook whose paired twin (``.py`` / ``.ipynb``) is the one rendered, that twin: a link
    to either file leads to the notebook's page."""
    path = PurePosixPath(repo)
    if path.parts[:1] != (NOTEBOOKS,) or path.suffix not in (".py", ".ipynb"):
        return None
    other = str(path.with_suffix(".ipynb" if path.suffix == ".py" else ".py"))
    sources = notebook_sources()
    return other if repo not in sources and other in sources else None


def _md_escape(s: str) -> str:
    """Plain text for Markdown: ``<``, ``>`` and ``&`` as HTML entities, and the characters that
    Markdown would read as formatting (or a table's cell border) escaped."""
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", html.escape(str(s), quote=False))


def _load_catalog():
    """``numbanet.plots.catalog`` read from its file (it imports only ``dataclasses``), so the site
    builds without importing numbanet, Numba and its kernels."""
    path = ROOT / PACKAGE / "plots" / "catalog.py"
    name = "_numbanet_docs_catalog"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses looks the module up while building the class
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return {f.id: f for f in module.CATALOG}


# --------------------------------------------------------------------------- generated content
def gallery(index: str) -> str:
    """Markdown for the figures listed in ``index`` (a repository path to an ``index.json``)."""
    path = ROOT / index
    entries = json.loads(path.read_text(encoding="utf-8"))
    folder = posixpath.dirname(index)
    spanish = any(e.get("lang") == "es" for e in entries)
    catalog = _load_catalog()
    words = (
        dict(slide="diapositiva", budget="presupuesto", seconds="s", redraw="Se redibuja con")
        if spanish
        else dict(slide="slide", budget="budget", seconds="s", redraw="Redraw it with")
    )
    budgets = {"reduced": "reducido", "full": "completo", "tiny": "mínimo"} if spanish else {}
    out = []
    for e in entries:
        info = catalog.get(e["id"])
        out.append(f"## {e['id']}\n")
        meta = []
        if info is not None:
            meta.append(f"*{words['slide']}: {_md_escape(info.slide)}*")
        budget = e.get("budget", "")
        meta.append(f"{words['budget']}: {budgets.get(budget, budget)}")
        meta.append(
            f"{e.get('seconds', 0):.1f} {words['seconds']}".replace(".", "," if spanish else ".")
        )
        out.append(" · ".join(meta) + "\n")
        out.append(_md_escape(e.get("title", "")) + "\n")
        for d in e.get("details", []):
            out.append(f"- {_md_escape(d)}")
        if e.get("details"):
            out.append("")
        if e.get("status") == "ok" and (path.parent / e["path"]).is_file():
            alt = _md_escape(e.get("title") or e["id"])
            out.append(f"![{alt}]({folder}/{e['path']})\n")
        else:
            out.append(f'!!! warning "{_md_escape(e.get("status", "missing"))}"\n')
            out.append(f"    {_md_escape(e.get('message') or 'no image')}\n")
        out.append(f"{words['redraw']} `{e.get('command', 'numbanet figures ' + e['id'])}`.\n")
    return "\n".join(out)


def claims_table() -> str:
    """Markdown table of the claims registry (``numbanet.claims``): id, statement, slide value,
    the verdict ``numbanet claims`` requires (``differs`` on the parts where the slide is known
    to be wrong, e.g. a typo; otherwise ``holds`` or ``approx``) and the figure. Importing the registry imports numbanet (this repository's, not another installed
    copy); no claim is run."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from numbanet.claims import _REGISTRY
    from numbanet.claims.verdict import _fmt

    index = ROOT / "figures" / "index.json"
    drawn = (
        {e["id"] for e in json.loads(index.read_text(encoding="utf-8"))}
        if index.is_file()
        else set()
    )
    committed = ROOT / "figures" / "claims.json"  # `numbanet claims --json`, full run
    reached = (
        {r["id"]: r["verdict"] for r in json.loads(committed.read_text(encoding="utf-8"))}
        if committed.is_file()
        else {}
    )
    rows = [
        "| # | what the slides state | the slide's value | verdict numbanet must reach "
        "| verdict reached (figures/claims.json) | figure |",
        "|---:|---|---|---|---|---|",
    ]
    for cid, c in sorted(_REGISTRY.items()):
        fig = c.get("figure")
        if fig in drawn:
            fig_cell = f"[`{fig}`](figures/README.md#{fig})"
        else:
            fig_cell = f"`{fig}`" if fig else ""  # not in the gallery (yet): no link
        value = _md_escape(_fmt(c["slide_value"])).replace("\n", "<br>")  # one part a line
        differs = [part for part, ok in c["expect"].items() if "differs" in ok]
        expected = "holds or approx"
        if differs:
            expected = "differs on " + ", ".join(_md_escape(part) for part in differs)
        statement = _md_escape(c["statement"])
        got = _md_escape(reached.get(cid, "-"))
        rows.append(f"| {cid} | {statement} | {value} | {expected} | {got} | {fig_cell} |")
    return "\n".join(rows) + "\n"


def notebook_sources(root: Path = ROOT) -> list[str]:
    """Repository paths of the notebooks to render, under ``notebooks/`` and its sub-folders: each
    ``.ipynb``, and a jupytext ``.py`` (one with ``# %%`` cells) only where no ``.ipynb`` of the
    same name exists (the ``.ipynb`` are generated from the ``.py``, cell for cell). Scripts such
    as ``build.py`` and hidden or private folders (checkpoints, caches) are left out."""
    folder = root / NOTEBOOKS
    if not folder.is_dir():
        return []
    found = []
    for p in sorted(folder.rglob("*")):
        if any(part.startswith((".", "_")) for part in p.relative_to(folder).parts):
            continue
        if p.suffix == ".ipynb" or (
            p.suffix == ".py" and not p.with_suffix(".ipynb").exists() and _is_percent_notebook(p)
        ):
            found.append(p.relative_to(root).as_posix())
    return found


def _is_percent_notebook(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return re.search(r"^# %%", text, re.M) is not None


def _notebook_title(repo: str) -> str:
    """The first level-1 heading of a notebook's Markdown cells, else its file name."""
    path = ROOT / repo
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        text = "\n".join(
            "".join(c.get("source", "")) for c in cells if c.get("cell_type") == "markdown"
        )
        m = re.search(r"^# (.+?)\s*$", text, re.M)
    else:
        m = re.search(r"^# # (.+?)\s*$", text, re.M)  # a Markdown cell's line in percent format
    return m.group(1) if m else path.stem


def notebooks_page() -> str:
    """The notebooks' index page: ``notebooks/README.md`` when there is one, then every notebook
    rendered on the site with a link (written with repository paths)."""
    sources = notebook_sources()
    readme = ROOT / NOTEBOOKS / "README.md"
    out = [f'--8<-- "{NOTEBOOKS}/README.md"\n' if readme.is_file() else "# Notebooks\n"]
    if not sources:
        out.append(
            "No notebooks yet: the folder `notebooks/` of the repository holds none. Once it has "
            "them (jupytext `.py` files or `.ipynb`), they are rendered here.\n"
        )
        return "\n".join(out)
    out += ["## All the notebooks on this site\n", "| notebook | file |", "|---|---|"]
    for repo in sources:
        out.append(f"| [{_md_escape(_notebook_title(repo))}]({repo}) | `{repo}` |")
    return "\n".join(out) + "\n"


def _notebook_nav(sources: list[str]) -> list:
    """Navigation entries of the notebooks: those of ``notebooks/`` first, then one section per
    sub-folder (e.g. ``profesor``, the teacher's versions with the solutions)."""
    top, groups = [], {}
    for repo in sources:
        parts = Path(repo).relative_to(NOTEBOOKS).parts
        entry = {_notebook_title(repo): repo}
        if len(parts) == 1:
            top.append(entry)
        else:
            groups.setdefault(parts[0], []).append(entry)
    return [f"{NOTEBOOKS}/index.md", *top, *({k: v} for k, v in groups.items())]


def reference_modules(root: Path = ROOT) -> list[str]:
    """Dotted names of the package's public modules, in file order (a name part starting with
    ``_`` is private and left out)."""
    pkg = root / PACKAGE
    names = []
    for p in sorted(pkg.rglob("*.py")):
        parts = list(p.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts):
            continue
        names.append(".".join(parts))
    return sorted(names, key=lambda n: n.split("."))


def _packages(modules: list[str]) -> set[str]:
    """The names among ``modules`` that are packages (other modules live inside them)."""
    return {m.rpartition(".")[0] for m in modules if "." in m}


def _reference_uri(module: str, packages: set[str]) -> str:
    """A module's API page; a package's is the index page of its folder (its modules' section)."""
    path = f"{REFERENCE}/{module.replace('.', '/')}"
    return f"{path}/index.md" if module in packages else f"{path}.md"


def _reference_nav(modules: list[str], package: str = PACKAGE) -> list:
    """Navigation of the API reference: a package's page, then its modules and sub-packages (as
    sections of their own), by their last name."""
    packages = _packages(modules)
    entries = [_reference_uri(package, packages)]
    for m in modules:
        parent, _, name = m.rpartition(".")
        if parent == package:
            entries.append(
                {name: _reference_nav(modules, m) if m in packages else _reference_uri(m, packages)}
            )
    return entries


# --------------------------------------------------------------------------- mkdocs events
def on_config(config):
    """Add the notebooks and the API reference to the navigation."""
    nav = config.get("nav")
    if nav is None:
        return config
    sources = notebook_sources()
    for item in nav:
        if isinstance(item, dict) and "Notebooks" in item:
            item["Notebooks"] = _notebook_nav(sources)
    nav.append({"API reference": [f"{REFERENCE}/index.md", *_reference_nav(reference_modules())]})
    return config


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config) -> Files:
    """Add the generated pages, the notebooks, the figures and the linked repository files."""
    docs = _docs_dir(config)
    docs_rel = _repo_path(docs)

    def add(uri, content):
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=content))

    def mount(repo):  # a repository file, served at its repository path
        if files.get_file_from_path(repo) is None:
            files.append(File(repo, str(ROOT), config["site_dir"], config["use_directory_urls"]))

    # pages generated whole
    add(f"{NOTEBOOKS}/index.md", content="<!-- numbanet-docs: notebooks -->\n")
    modules = reference_modules()
    packages = _packages(modules)
    index = ["# API reference\n", "Generated from the docstrings. One page per module:\n"]
    for m in modules:
        index.append(f"- [`{m}`]({posixpath.relpath(_reference_uri(m, packages), REFERENCE)})")
    add(f"{REFERENCE}/index.md", content="\n".join(index) + "\n")
    for m in modules:
        add(_reference_uri(m, packages), content=f"# `{m}`\n\n::: {m}\n")

    # the notebooks, the figure images and every repository file a page links to
    wanted = set(notebook_sources())
    for folder in ("figures", "figures/es"):
        wanted.update(p.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob("*.png"))
    for f in list(files.documentation_pages()):
        text = f.content_string
        sources = [(f"{docs_rel}/{f.src_uri}", text)]
        for inc in _INCLUDE.findall(text):
            if (ROOT / inc).is_file():
                sources.append((inc, (ROOT / inc).read_text(encoding="utf-8")))
        for source, body in sources:
            for target in _links(body):
                repo = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
                outside = not (repo == docs_rel or repo.startswith(docs_rel + "/"))
                if outside and repo not in PAGE_FOR and (ROOT / repo).is_file():
                    wanted.add(repo)
    for repo in sorted(wanted):
        mount(repo)
    return files


def on_page_markdown(markdown, page, config, files):
    """Expand the includes and directives of a page and point its links at the site's files."""
    docs_rel = _repo_path(_docs_dir(config))
    uri = page.file.src_uri
    own = f"{docs_rel}/{uri}"

    def include(m):
        path = m.group(1)
        if not (ROOT / path).is_file():
            raise FileNotFoundError(f"{own}: included file {path!r} not found in {ROOT}")
        return _rewrite_links((ROOT / path).read_text(encoding="utf-8"), path, uri, docs_rel)

    def directive(m):
        kind, arg = m.groups()
        if kind == "gallery":
            text = gallery(arg)
        elif kind == "claims":
            text = claims_table()
        elif kind == "notebooks":
            text = notebooks_page()
        else:
            raise ValueError(f"{own}: unknown numbanet-docs directive {kind!r}")
        return _rewrite_links(text, "", uri, docs_rel)  # written with repository paths

    markdown = _rewrite_links(markdown, own, uri, docs_rel)
    markdown = _DIRECTIVE.sub(directive, markdown)  # may bring include lines
    return _INCLUDE.sub(include, markdown)
