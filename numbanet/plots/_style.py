"""What every figure module shares: one style (readable fonts, labelled axes, consistent colours),
the English/Spanish labels, and the figures' budgets.

Budgets: ``"reduced"`` (the default of ``numbanet figures``: minutes for the whole set),
``"full"`` (``--full``: the slides' original budgets where they cost hours) and ``"tiny"`` (the
test suite, and the course notebooks by default through ``numbanet.aula``: every figure computes
in seconds, so the whole catalogue renders in one test; the curves then only show the shape of
the experiment).
"""

from __future__ import annotations

import contextlib

import numpy as np

#: Colours used across the set (matplotlib's tab10 order, named).
COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "font.size": 10.5,
    "axes.titlesize": 11.5,
    "axes.labelsize": 10.5,
    "legend.fontsize": 9,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "figure.constrained_layout.use": True,
    "image.cmap": "viridis",
}


@contextlib.contextmanager
def style():
    """Apply numbanet's style inside the block, then put back the settings it changed.

    Drawing needs no window: when the host has chosen no matplotlib backend (no ``MPLBACKEND``,
    pyplot not imported yet), the non-interactive Agg backend is selected. A backend the host did
    choose is left alone, so figures show inline in Jupyter (whose kernel sets ``MPLBACKEND``).
    Only the style's own settings are restored on exit (not all of ``rcParams``, as
    ``rc_context`` would): the first pyplot figure in a Jupyter kernel switches interactive mode
    on, and undoing that would stop every later figure from showing."""
    import os
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg", force=False)
    from cycler import cycler

    settings = {**RC, "axes.prop_cycle": cycler(color=COLOURS)}
    saved = {key: matplotlib.rcParams[key] for key in settings}
    matplotlib.rcParams.update(settings)
    try:
        yield
    finally:
        matplotlib.rcParams.update(saved)


def tr(lang, en, es):
    """The English or Spanish form of a label."""
    return es if lang == "es" else en


def hidden_layers(lang, k):
    """ "1 hidden layer" / "2 hidden layers" (and the Spanish forms)."""
    return tr(
        lang,
        f"{k} hidden layer" + ("s" if k != 1 else ""),
        f"{k} capa" + ("s ocultas" if k != 1 else " oculta"),
    )


#: the budgets a figure's ``compute_*`` accepts
BUDGETS = ("tiny", "reduced", "full")


def by_budget(budget, *, tiny, reduced, full):
    """The value for ``budget`` ("tiny", "reduced" or "full"), with a clear error otherwise."""
    if budget not in BUDGETS:
        from ..errors import ValidationError

        raise ValidationError(f"budget must be one of {', '.join(BUDGETS)}; got {budget!r}")
    return {"tiny": tiny, "reduced": reduced, "full": full}[budget]


def set_title(fig, text, fontsize=None, details=()):
    """Give ``fig`` a one-line title: the first line of ``text``. Its further lines and
    ``details`` (settings, budget) are kept as ``fig.numbanet_details``, which ``render_figures``
    writes into the index and the file's metadata instead of onto the figure."""
    lines = [ln.strip() for ln in str(text).split("\n")]
    title = lines[0]
    rest = [ln.strip("() ") for ln in lines[1:] if ln.strip("() ")]
    kw = {} if fontsize is None else {"fontsize": fontsize}
    fig.suptitle(title, **kw)
    fig.numbanet_details = (
        list(getattr(fig, "numbanet_details", [])) + rest + [d for d in details if d]
    )
    return fig


def grid(xlim, ylim, n):
    """A square grid over ``xlim`` x ``ylim``: the two coordinate arrays (n, n) and the points
    (n * n, 2)."""
    g1, g2 = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    return g1, g2, np.column_stack([g1.ravel(), g2.ravel()])


def line_points(w, b, xlim):
    """Two points of the line w[0] x + w[1] y + b = 0 over ``xlim`` (vertical when w[1] ~ 0)."""
    w = np.asarray(w, dtype=np.float64)
    if abs(w[1]) < 1e-9 * max(1.0, abs(w[0])):
        x0 = -b / w[0]
        return np.array([x0, x0]), np.array([-1e3, 1e3])
    xs = np.array(xlim, dtype=np.float64)
    return xs, -(w[0] * xs + b) / w[1]


_DECIMAL = __import__("re").compile(r"(?<=\d)\.(?=\d)")
_THOUSANDS = __import__("re").compile(r"(?<![\d.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\d.,])")
_EN_THOUSANDS = __import__("re").compile(r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])")


def decimal_comma(text):
    """``text`` with the Spanish decimal comma: 0.25 -> 0,25 (``{,}`` inside mathtext, where a
    bare comma would add a space); numbers already written with thousands dots (10.000) are
    kept; English thousands commas (20,000) become spaces (20 000), which Spanish reads right."""
    text = _EN_THOUSANDS.sub(lambda m: m.group(0).replace(",", " "), str(text))
    parts = text.split("$")
    out = []
    for k, part in enumerate(parts):
        comma = "{,}" if k % 2 else ","
        keep = [(m.start(), m.end()) for m in _THOUSANDS.finditer(part)]

        def swap(m, comma=comma, keep=keep):
            return m.group(0) if any(a <= m.start() < b for a, b in keep) else comma

        out.append(_DECIMAL.sub(swap, part))
    return "$".join(out)


def _comma_formatter(inner):
    from matplotlib.ticker import Formatter

    class _Comma(Formatter):
        """A tick formatter writing ``inner``'s numbers with the decimal comma."""

        def __init__(self, inner):
            self.inner = inner

        def set_axis(self, axis):
            self.axis = axis
            self.inner.set_axis(axis)

        def set_locs(self, locs):
            self.inner.set_locs(locs)

        def __call__(self, x, pos=None):
            return decimal_comma(self.inner(x, pos))

        def format_ticks(self, values):
            return [decimal_comma(s) for s in self.inner.format_ticks(values)]

        def get_offset(self):
            return decimal_comma(self.inner.get_offset())

        def format_data_short(self, value):
            return decimal_comma(self.inner.format_data_short(value))

    return inner if type(inner).__name__ == "_Comma" else _Comma(inner)


def localise(fig, lang):
    """Spanish figures write numbers with the decimal comma, as the slides do: every tick label
    and every text on ``fig`` (titles, labels, legends, notes). English figures are untouched."""
    if lang != "es":
        return fig
    from matplotlib.text import Text

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(_comma_formatter(axis.get_major_formatter()))
            axis.set_minor_formatter(_comma_formatter(axis.get_minor_formatter()))
    for t in fig.findobj(Text):
        s = t.get_text()
        if s:
            new = decimal_comma(s)
            if new != s:
                t.set_text(new)
    return fig
