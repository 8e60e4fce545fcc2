"""Slide-ready titles: one line saying what the figure shows; the budget, the command and code
names live in the index and the file metadata, never on the figure."""

import ast
import pathlib

import pytest

from numbanet import plots
from numbanet.plots import _style

PLOTS = pathlib.Path(plots.__file__).parent
#: phrases that must never be drawn (case-insensitive)
BANNED = (
    "numbanet figures",
    "--full",
    "reduced budget",
    "presupuesto reducido",
    "count_2d",
    "count_1d",
    "runs the original",
    "ejecuta el original",
)


def _drawn_strings(tree):
    """String constants of a module except docstrings (what can end up on a figure)."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value


@pytest.mark.parametrize(
    "module",
    sorted(p.name for p in PLOTS.glob("*.py") if p.name not in ("render.py", "catalog.py")),
)
def test_no_draw_function_writes_budget_command_or_code_names(module):
    tree = ast.parse((PLOTS / module).read_text(encoding="utf-8"))
    bad = [(line, s) for line, s in _drawn_strings(tree) if any(b in s.lower() for b in BANNED)]
    assert not bad, bad


def test_the_checker_sees_a_banned_phrase():
    tree = ast.parse(
        'def f():\n    """doc: numbanet figures --full"""\n    return "x (reduced budget)"\n'
    )
    found = [s for _, s in _drawn_strings(tree) if any(b in s.lower() for b in BANNED)]
    assert found == ["x (reduced budget)"]


def test_set_title_keeps_one_line_and_moves_the_rest_to_the_details():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    _style.set_title(fig, "What it shows\n(settings: 3 epochs)", details=["seed 0", ""])
    assert fig.get_suptitle() == "What it shows"
    assert fig.numbanet_details == ["settings: 3 epochs", "seed 0"]
    plt.close(fig)


def _all_text(fig):
    return [t.get_text() for t in fig.findobj(matplotlib_text()) if t.get_text()]


def matplotlib_text():
    from matplotlib.text import Text

    return Text


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize(
    "fig_id",
    [
        "folding",
        "compose-1d",
        "lr-decay",
        "optimizers",
        "space-folding-2d",
        "regions-per-parameter",
        "logic-gates",
    ],
)
def test_rendered_figures_have_one_line_titles_without_banned_phrases(fig_id, lang):
    import matplotlib.pyplot as plt

    fig = plots.plot(fig_id, budget="tiny", lang=lang)
    try:
        title = fig.get_suptitle()
        if title:
            assert "\n" not in title, title
        texts = " | ".join(_all_text(fig)).lower()
        assert not [b for b in BANNED if b in texts], texts
    finally:
        plt.close(fig)


def test_spanish_numbers_use_the_decimal_comma():
    import matplotlib.pyplot as plt

    assert _style.decimal_comma("MSE = 0.0138") == "MSE = 0,0138"
    assert (
        _style.decimal_comma("$\\eta = 0.1$, 10.000 imágenes") == "$\\eta = 0{,}1$, 10.000 imágenes"
    )
    assert _style.decimal_comma("net1(net1(x))") == "net1(net1(x))"
    for lang, sep in (("es", ","), ("en", ".")):
        fig = plots.plot("compose-vs-shallow", budget="tiny", lang=lang)
        fig.canvas.draw()
        ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()]
        decimals = [t for t in ticks if "," in t or "." in t]
        assert decimals and all(sep in t for t in decimals), (lang, ticks)
        texts = " ".join(_all_text(fig))
        if lang == "es":
            import re

            assert not re.search(r"\d\.\d{1,2}(?!\d)", texts), texts  # 0.25-style decimals
        plt.close(fig)


def test_spanish_thousands_are_spaces_not_commas():
    assert _style.decimal_comma("con 20,000 dígitos") == "con 20 000 dígitos"
    assert _style.decimal_comma("1,234.5 y (1,0)") == "1 234,5 y (1,0)"
