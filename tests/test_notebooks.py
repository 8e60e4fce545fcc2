"""The course notebooks (``notebooks/``, issue 22): in sync with their one source, and each runs.

Each deck has one hand-written source, ``notebooks/profesor/<deck>.py`` (jupytext percent
format, solutions in cells tagged ``solution``); ``notebooks/build.py`` generates the teacher's
``.ipynb`` and the student's ``.py`` and ``.ipynb`` from it. Checked here:

* every generated file is exactly what ``build.py`` makes from its source today, and the source is
  in the form jupytext itself writes (saving it from Jupyter changes nothing);
* each committed ``.ipynb`` has the cells of its ``.py`` as jupytext reads them (type, source,
  tags) and no outputs or execution counts;
* the student's version holds no solution: no cell tagged ``solution`` and none of the solutions'
  code, one empty exercise cell for each solution code cell, each after its exercise's statement;
* each notebook, teacher's and student's, runs from top to bottom in a fresh IPython kernel
  (nbclient), with the data of ``$NUMBANET_DATA`` when a deck needs MNIST or SEMEION; in the
  teacher's, every figure cell shows its figure (Jupyter's inline backend). The student's cells
  are the teacher's minus the solutions (checked above), so its run only has to show that no
  cell needs a solution: it draws its figures without rasterising them (Agg), which halves the
  time the ten notebooks take.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def _load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()
SOURCES = build.sources()
DECKS = [s.stem for s in SOURCES]
#: every notebook: (deck, "profesor" or "alumno", path of the .ipynb)
RUNS = [(s.stem, "profesor", s.with_suffix(".ipynb")) for s in SOURCES] + [
    (s.stem, "alumno", NOTEBOOKS / f"{s.stem}.ipynb") for s in SOURCES
]


def _cells(nb):
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def test_one_notebook_per_deck():
    decks = sorted(p.name[:3] for p in (ROOT.parent / "shared" / "seeds").glob("[0-9]*.txt"))
    if not decks:  # the decks' text lives beside the checkout (as in CI); the five are known
        decks = ["000", "001", "002", "003", "004"]
    assert [d[:3] for d in DECKS] == decks


@pytest.mark.parametrize("source", SOURCES, ids=DECKS)
def test_generated_files_are_up_to_date(source):
    files = build.build(source)
    stale = build.outdated(files)
    assert not stale, f"out of date: {[str(p) for p in stale]}; run python notebooks/build.py"
    canonical = build.as_py(build._normalised(build.read(source), "profesor"))
    assert source.read_text("utf-8") == canonical, (
        f"{source.name} is not in jupytext's percent form; open and save it with jupytext, "
        "or copy the header of another source"
    )


@pytest.mark.parametrize("deck", DECKS)
@pytest.mark.parametrize("folder", ["profesor", "."])
def test_ipynb_has_the_cells_of_its_py_and_no_outputs(deck, folder):
    import jupytext

    py = NOTEBOOKS / folder / f"{deck}.py"
    ipynb = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    nbformat.validate(ipynb)
    assert _cells(ipynb) == _cells(jupytext.read(py, fmt="py:percent"))
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert ipynb.metadata["kernelspec"]["name"] == "python3"
    assert ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("source", SOURCES, ids=DECKS)
def test_the_student_version_has_no_solution(source):
    teacher = build.read(source)
    pupil = build.read(NOTEBOOKS / source.name)
    solutions = [c for c in teacher.cells if build.is_solution(c)]
    code = [c.source for c in solutions if c.cell_type == "code"]
    assert code, f"{source.name} has no exercise with a solution"
    assert not any(build.is_solution(c) for c in pupil.cells)
    # the student's cells are the teacher's, each solution code cell replaced by an empty
    # exercise cell and each solution Markdown cell left out: nothing else added or changed
    expected = []
    for cell in teacher.cells:
        if not build.is_solution(cell):
            expected.append((cell.cell_type, cell.source, tuple(cell.metadata.get("tags", ()))))
        elif cell.cell_type == "code":
            expected.append(("code", build.EXERCISE_PLACEHOLDER, (build.EXERCISE_TAG,)))
    assert _cells(pupil) == expected
    text = (NOTEBOOKS / source.name).read_text("utf-8")
    assert not any(sol.strip() in text for sol in code)
    exercises = [c for c in pupil.cells if build.EXERCISE_TAG in c.metadata.get("tags", ())]
    assert len(exercises) == len(code)
    assert all(c.source == build.EXERCISE_PLACEHOLDER for c in exercises)
    # each solution comes after the statement of its exercise, which the student sees
    last_markdown = None
    for cell in teacher.cells:
        if cell.cell_type == "markdown" and not build.is_solution(cell):
            last_markdown = cell.source
        if build.is_solution(cell) and cell.cell_type == "code":
            assert last_markdown and "**Ejercicio" in last_markdown, cell.source[:80]


def test_figures_keep_the_hosts_matplotlib_backend():
    """``numbanet.plots`` selects Agg only when the host chose no backend, and restores only its
    own style settings: in Jupyter (whose kernel sets MPLBACKEND to its inline backend, and
    switches interactive mode on at its first figure) every figure must show, not vanish."""
    import subprocess
    import sys

    code = (
        "import matplotlib\n"
        "from numbanet.plots._style import style\n"
        "size = matplotlib.rcParams['font.size']\n"
        "with style():\n"
        "    import matplotlib.pyplot as plt\n"
        "    plt.subplots()\n"
        "    styled = matplotlib.rcParams['font.size'] != size\n"
        "    matplotlib.interactive(True)  # what the inline backend does at its first figure\n"
        "restored = matplotlib.rcParams['font.size'] == size\n"
        "print(matplotlib.get_backend(), matplotlib.is_interactive(), styled, restored)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for chosen in (None, "module://matplotlib_inline.backend_inline"):
        if chosen:
            env["MPLBACKEND"] = chosen
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == [chosen or "Agg", "True", "True", "True"], out


def _run(path, tmp_path, show_figures=True):
    """Execute the notebook at ``path`` in a fresh kernel; returns the seconds it took.
    ``show_figures``: Jupyter's inline backend (each figure rasterised and shown, as in class),
    else Agg (figures drawn, not rasterised)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    # the notebook runs as a student's would: no CUDA simulator (the tests' conftest sets it),
    # IPython's and Jupyter's own files kept out of the home folder
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline" if show_figures else "Agg"
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    client.execute(env=env)  # a cell that raises fails the test with its traceback
    seconds = time.perf_counter() - t0
    for cell in nb.cells if show_figures else ():  # every figure is shown in the notebook
        if (
            cell.cell_type == "code"
            and "figura(" in cell.source
            and "def figura" not in cell.source
        ):
            pngs = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert pngs, f"no figure shown by cell {cell.source[:80]!r}"
    return seconds


@pytest.mark.parametrize("deck, version, path", RUNS, ids=[f"{d}-{v}" for d, v, _ in RUNS])
def test_notebook_runs_top_to_bottom(deck, version, path, tmp_path):
    seconds = _run(path, tmp_path, show_figures=version == "profesor")
    print(f"{deck} ({version}): {seconds:.1f} s")
