"""One style for every figure: readable fonts, labelled axes, consistent colours."""

from __future__ import annotations

import contextlib

#: Colours used across the set (matplotlib's tab10 order, named).
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip

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
    """Apply numbanet's style (and the non-interactive Agg backend) inside the block."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from cycler import cycler

    with plt.rc_context({**RC, "axes.prop_cycle": cycler(color=COLOURS)}):
        yield


def tr(lang, en, es):
    """The English or Spanish form of a label."""
    return es if lang == "es" else en


def budget_note(reduced, lang="en"):
    """A footnote line for figures drawn on the reduced budget ("" otherwise)."""
    if not reduced:
        return ""
    return "\n" + tr(
        lang,
        "(reduced budget; `numbanet figures --full` runs the original)",
        "(presupuesto reducido; `numbanet figures --full` ejecuta el original)",
    )
