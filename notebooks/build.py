"""Build every notebook of the course from its one source, ``notebooks/profesor/<deck>.py``.

Each deck has one hand-written file: the teacher's notebook, in jupytext's percent format, with
the exercises' solutions in cells tagged ``solution``. Everything else is generated from it:

* ``notebooks/profesor/<deck>.ipynb``: the same cells as a Jupyter notebook (no outputs);
* ``notebooks/<deck>.py`` and ``notebooks/<deck>.ipynb``: the student's version, where each
  ``solution`` code cell becomes an empty cell (tagged ``exercise``) for the student's answer
  and each ``solution`` Markdown cell (a worked answer, the teacher's banner) is left out.

Each ``.py`` and ``.ipynb`` pair is paired for jupytext (``formats: ipynb,py:percent``): opened
in Jupyter with jupytext installed, saving one saves both. Only the sources are edited by hand;
then run

    python notebooks/build.py            # rewrite the generated files
    python notebooks/build.py --check    # exit 1 if a generated file is out of date

``tests/test_notebooks.py`` runs the same check and executes every notebook.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
TEACHER = HERE / "profesor"

#: cells whose content only the teacher's version holds
SOLUTION_TAG = "solution"
#: the student's empty answer cell that replaces a solution code cell
EXERCISE_TAG = "exercise"
EXERCISE_PLACEHOLDER = "# Ejercicio: escribe aquí tu solución."

#: notebook metadata kept in the .py header: jupytext's own (no version, so the files do not
#: change with jupytext's version), the kernel, and numbanet's (which source a file comes from)
METADATA_FILTER = "kernelspec,numbanet,-jupytext.text_representation"


def sources():
    """The hand-written teacher notebooks, one per deck, in deck order."""
    return sorted(TEACHER.glob("[0-9][0-9][0-9]_*.py"))


def read(path):
    """A percent-format ``.py`` file as a notebook."""
    return jupytext.read(path, fmt="py:percent")


def _tags(cell):
    return cell.metadata.get("tags", [])


def is_solution(cell):
    return SOLUTION_TAG in _tags(cell)


def student(nb, source_name):
    """The student's version of teacher notebook ``nb``: solution code cells become empty
    exercise cells, solution Markdown cells are left out."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if not is_solution(cell):
            cells.append(copy.deepcopy(cell))
        elif cell.cell_type == "code":
            cells.append(
                nbformat.v4.new_code_cell(EXERCISE_PLACEHOLDER, metadata={"tags": [EXERCISE_TAG]})
            )
    out.cells = cells
    out.metadata["numbanet"] = {"version": "alumno", "generated_from": f"profesor/{source_name}"}
    return out


def _normalised(nb, version):
    """``nb`` with the metadata every generated file carries and stable cell ids."""
    nb = copy.deepcopy(nb)
    nb.metadata.setdefault("numbanet", {})
    nb.metadata["numbanet"].setdefault("version", version)
    nb.metadata["jupytext"] = {
        "formats": "ipynb,py:percent",
        "notebook_metadata_filter": METADATA_FILTER,
    }
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"  # ids by position: rebuilding never changes them at random
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def as_py(nb):
    return jupytext.writes(nb, fmt="py:percent")


def as_ipynb(nb):
    text = jupytext.writes(nb, fmt="ipynb")
    return text if text.endswith("\n") else text + "\n"


def build(source):
    """``{path: text}`` of every file generated from teacher source ``source``."""
    teacher = _normalised(read(source), "profesor")
    pupil = _normalised(student(teacher, source.name), "alumno")
    return {
        source.with_suffix(".ipynb"): as_ipynb(teacher),
        HERE / source.name: as_py(pupil),
        (HERE / source.name).with_suffix(".ipynb"): as_ipynb(pupil),
    }


def outdated(files):
    """The paths among ``files`` whose content on disk differs from the generated text."""
    return [p for p, text in files.items() if not p.is_file() or p.read_text("utf-8") != text]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = []
    for source in sources():
        files = build(source)
        for path in outdated(files):
            stale.append(path)
            if not check:
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text(files[path], encoding="utf-8")
                tmp.replace(path)  # atomic: an interrupted build leaves the old file
    for path in stale:
        print(("out of date: " if check else "wrote ") + str(path.relative_to(HERE.parent)))
    if check and stale:
        print("run: python notebooks/build.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
