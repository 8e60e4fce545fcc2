"""The documentation site builds with ``mkdocs build --strict`` (any warning fails it: a broken
link, a docstring griffe cannot parse, a page missing from the navigation) and holds what it
promises: the README as its home page, both figure galleries with their images, the claims, the
benchmarks, the notebooks (or the note that there are none yet) and the API reference generated
from the docstrings."""

from __future__ import annotations

import html
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs", reason="the docs tools are in the dev extra: pip install -e '.[dev]'")
pytest.importorskip("material", reason="mkdocs-material is in the dev extra")
pytest.importorskip(
    "mkdocstrings_handlers.python", reason="mkdocstrings[python] is in the dev extra"
)
pytest.importorskip("mkdocs_jupyter", reason="mkdocs-jupyter is in the dev extra")


def _hook():
    spec = importlib.util.spec_from_file_location(
        "_numbanet_docs_hook", ROOT / "docs" / "hooks" / "numbanet_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_INDEXES = ("figures/index.json", "figures/es/index.json")
_INDEXES_AT_BUILD = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built once, strictly, into a temporary folder (nothing is written in the repo)."""
    out = tmp_path_factory.mktemp("site")
    _INDEXES_AT_BUILD.update({i: (ROOT / i).read_text(encoding="utf-8") for i in _INDEXES})
    mkdocs = [sys.executable, "-m", "mkdocs"]
    r = subprocess.run(
        [*mkdocs, "build", "--strict", "--clean", "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, f"mkdocs build --strict failed:\n{r.stdout}\n{r.stderr}"
    return out


def _text(path: Path) -> str:
    assert path.is_file(), f"{path} was not built"
    return path.read_text(encoding="utf-8")


def _plain(text: str) -> str:
    """Page text without tags, entities decoded and spaces collapsed, to search for sentences."""
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))
    return re.sub(r" ([.,;:)])", r"\1", text)  # "<code>History</code>." reads "History."


def test_home_page_is_the_readme(site):
    home = _plain(_text(site / "index.html"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("\n\n")[1].split("\n")[0]  # the first line of the first paragraph
    assert first.strip() in home
    assert "pip install" in home and "Quick start" in home
    # the README's links to other repository files point at the site's pages
    html = _text(site / "index.html")
    assert 'href="benchmarks/"' in html and 'href="gallery/"' in html
    assert 'href="sweep/"' in html


def test_both_galleries_show_every_indexed_figure(site):
    if any((ROOT / i).read_text(encoding="utf-8") != t for i, t in _INDEXES_AT_BUILD.items()):
        pytest.skip("a figure was rendered while the site was built (figures/*index.json changed)")
    for index, page in zip(_INDEXES, ("gallery", "gallery-es")):
        entries = json.loads(_INDEXES_AT_BUILD[index])
        html = _text(site / page / "index.html")
        folder = Path(index).parent
        for e in entries:
            assert f'id="{e["id"]}"' in html, f"{page}: no section for {e['id']}"
            if e["status"] == "ok":
                image = f"{folder.as_posix()}/{e['path']}"
                assert image in html, f"{page}: {image} is not shown"
                assert (site / image).is_file(), f"{image} was not copied into the site"
    assert "Galería de figuras" in _text(site / "gallery-es" / "index.html")


def test_claims_page_lists_every_registered_claim(site):
    from numbanet.claims import _REGISTRY

    text = _plain(_text(site / "claims" / "index.html"))
    for cid, c in _REGISTRY.items():
        words = c["statement"].split()[:4]
        assert " ".join(words) in text, f"claim {cid} is missing from the claims page"
        differs = [part for part, allowed in c["expect"].items() if "differs" in allowed]
        if differs:  # where the slide is known to be wrong, the page says on what
            assert "differs on " + ", ".join(differs) in text, (cid, differs)


def test_claims_page_shows_the_committed_verdicts(site):
    """The verdicts of the committed full run (figures/claims.json), one per claim."""
    import json

    reached = json.loads((ROOT / "figures" / "claims.json").read_text(encoding="utf-8"))
    html = _text(site / "claims" / "index.html")
    assert "verdict reached" in html
    for r in reached:
        row = html.split(f'<td style="text-align: right;">{r["id"]}</td>', 1)
        assert len(row) == 2, f"claim {r['id']} has no row"
        assert f"<td>{r['verdict']}</td>" in row[1].split("</tr>", 1)[0], r["id"]


def test_benchmarks_page_holds_the_generated_tables(site):
    bench = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    row = next(line for line in bench.splitlines() if line.startswith("| Nielsen"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    text = _plain(_text(site / "benchmarks" / "index.html"))
    assert all(cell in text for cell in cells[:5]), cells[:5]


def test_existing_guides_are_built(site):
    for page in ("from-pytorch-and-keras", "nielsen", "sweep"):
        assert "<h1" in _text(site / page / "index.html")
    # a repository file a guide links to, outside docs/, is served with the site
    assert (site / "examples" / "sweep_mnist1d.toml").is_file()


def test_notebooks_are_rendered_or_listed(site):
    hook = _hook()
    sources = hook.notebook_sources()
    index = _plain(_text(site / "notebooks" / "index.html"))
    if not sources:
        assert "No notebooks yet" in index
    for src in sources:
        stem = Path(src).relative_to("notebooks").with_suffix("")
        assert (site / "notebooks" / stem / "index.html").is_file(), f"{src} was not rendered"


def test_api_reference_is_generated_from_the_docstrings(site):
    import numbanet as nb

    html = _text(site / "reference" / "numbanet" / "nn" / "sequential" / "index.html")
    assert 'id="numbanet.nn.sequential.Sequential.fit"' in html
    fit = html[html.index('id="numbanet.nn.sequential.Sequential.fit"') :]
    summary = nb.Sequential.fit.__doc__.strip().splitlines()[0].replace("``", "")
    assert summary in _plain(fit)  # "Train with minibatch gradient descent and return a History."
    for parameter in ("batch_size", "validation", "train_metrics"):  # its Parameters section
        assert f"<code>{parameter}</code>" in fit
    # every public module has its page
    for module in _hook().reference_modules():
        page = site / "reference" / Path(*module.split(".")) / "index.html"
        assert page.is_file(), f"no API page for {module}"


def test_hook_finds_notebooks_and_skips_other_files(tmp_path):
    """``notebook_sources``: each .ipynb, a jupytext .py only without its .ipynb, no plain script
    (``build.py``), nothing from hidden or private folders (checkpoints, caches)."""
    hook = _hook()
    nb = tmp_path / "notebooks"
    for folder in ("profesor", ".ipynb_checkpoints", "__pycache__"):
        (nb / folder).mkdir(parents=True)
    percent = "# %% [markdown]\n# # Título\n\n# %%\nx = 1\n"
    files = {
        "001.py": percent,
        "001.ipynb": "{}",
        "002.py": percent,
        "build.py": "import sys\n",
        "profesor/001.ipynb": "{}",
        ".ipynb_checkpoints/001-checkpoint.ipynb": "{}",
        "__pycache__/x.py": percent,
        "README.md": "# Cuadernos\n",
    }
    for name, text in files.items():
        (nb / name).write_text(text, encoding="utf-8")
    assert hook.notebook_sources(tmp_path) == [
        "notebooks/001.ipynb",
        "notebooks/002.py",
        "notebooks/profesor/001.ipynb",
    ]
    assert hook.notebook_sources(tmp_path / "missing") == []


def test_hook_rewrites_links_that_leave_the_docs_folder():
    hook = _hook()
    text = (
        "See [the benchmarks](benchmarks/README.md#results), [sweeps](docs/sweep.md),\n"
        "![plot](docs/sweep_mnist1d.png), [web](https://example.org) and [top](#top).\n"
        "```\nx = a[0](1)  # [code](docs/sweep.md)\n```\n"
    )
    out = hook._rewrite_links(text, "README.md", "index.md", "docs")
    assert "[the benchmarks](benchmarks.md#results)" in out
    assert "[sweeps](sweep.md)" in out and "![plot](sweep_mnist1d.png)" in out
    assert "(https://example.org)" in out and "[top](#top)" in out
    assert "[code](docs/sweep.md)" in out  # code blocks are left alone
    # from a page in a sub-folder, and to a repository file served as a copy
    out = hook._rewrite_links(
        "[spec](../../examples/sweep_mnist1d.toml)", "docs/a/b.md", "a/b.md", "docs"
    )
    assert out == "[spec](../examples/sweep_mnist1d.toml)"
    # a link to nothing is left for mkdocs --strict to report
    assert (
        hook._rewrite_links("[x](nothing.md)", "README.md", "index.md", "docs") == "[x](nothing.md)"
    )
