"""The slides' quantitative claims, each recomputed by numbanet's own engine and theory code.

Every claim is one small function registered with ``@claim``. It computes its value (never a
literal) with the engine, the theory modules or the experiments (``numbanet.experiments``), and
compares it with the slide's numbers (``numbanet.slides``) through the one helper ``verdict``,
which returns, for every compared part, one of

* ``holds``   - equal to the slide's value (or the slide's relation holds, e.g. ``> 1e40``);
* ``approx``  - within the stated tolerance (the explanation gives the tolerance and the gap);
* ``differs`` - outside it (the explanation gives both values, the gap, and a digit swap when
  that is what separates them),

and an explanation built from those numbers. A claim's verdict is its worst part's; ``skipped``
(``--fast``, data absent) and ``error`` (the claim raised) come from the runner.

A claim declares the verdicts its parts are *expected* to reach (by default ``holds`` or
``approx``; ``differs`` for the parts where the slide has a typo). ``failed`` is set when a part
reaches another verdict, which is what makes ``numbanet claims`` exit non-zero: the code that
should reproduce a slide no longer does, or a typo the slides are known to have is not found.

Reruns with other inputs go through the same public API, e.g.
``numbanet.theory.regions.udl_max_regions(d_in, width, depth)`` or ``numbanet regions 2-8-8-1``.
"""

# the claims register themselves on import, in id order
from . import (  # noqa: F401  (1-9, 30-31, 22-29, 32, 21, 10-20)
    composition,
    depth,
    errata,
    gates,
    trainability,
    training,
)
from ._core import (  # noqa: F401  (_REGISTRY: the claims by id, for tests and tools)
    _REGISTRY,
    VERDICTS,
    ClaimResult,
    check,
    check_all,
    claim,
    list_claims,
    print_table,
)
from .verdict import Comparison, verdict

__all__ = [
    "VERDICTS",
    "ClaimResult",
    "Comparison",
    "check",
    "check_all",
    "claim",
    "list_claims",
    "print_table",
    "verdict",
]
