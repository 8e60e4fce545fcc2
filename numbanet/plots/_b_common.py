"""Small helpers shared by the depth, regularisation and convolution/recurrence figures."""

from __future__ import annotations


def tr(lang, en, es):
    """The English or Spanish form of a label."""
    return es if lang == "es" else en


def budget_note(reduced, lang="en"):
    """A second suptitle line saying the figure used the reduced budget ("" otherwise)."""
    if not reduced:
        return ""
    return "\n" + tr(
        lang,
        "(reduced budget; `numbanet figures --full` runs the original)",
        "(presupuesto reducido; `numbanet figures --full` ejecuta el original)",
    )
