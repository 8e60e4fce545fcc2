r"""Linear regions of ReLU networks: the formulas of the slides and exact counts of real nets.

A ReLU network computes a continuous piecewise-linear function. Fixing which units are active (the
*activation pattern*) fixes an affine map, so the input space splits into *activation regions*
(connected sets of inputs sharing one pattern), and the function into *linear pieces* (maximal
connected sets where it is one affine map; adjacent activation regions may share a map, e.g. when
the unit that switches feeds only dead units, so pieces <= regions).

What is here, by submodule (every public name is also importable from this package)
------------------------------------------------------------------------------------
``bounds``: exact integer formulas (Python integers, no float overflow):

* ``parameter_count(widths)``: weights and biases of a fully connected net.
* ``zaslavsky(d_in, width)``: the maximum number of regions of a shallow net (Zaslavsky 1975).
* ``deep_1d_max(width, depth)``: (D + 1)^K, the maximum for one input (Serra et al. 2018, Thm 5).
* ``udl_max_regions(d_in, width, depth)``: *Understanding Deep Learning* eq. 4.17 (corrected).
* ``montufar_lower``, ``serra_upper``, ``serra_lower``: the bounds of Montufar et al. (2014) and
  Serra, Tjandraatmadja and Ramalingam (2018).

Exact counting on a real network (a ``numbanet.nn.Sequential`` of ``Dense`` and ``ReLU`` /
``LeakyReLU`` / ``PReLU`` / ``Identity`` layers, or a plain list of ``(W, b, act)`` tuples, read
by ``network``, which also holds ``forward``):

* ``exact_1d``: ``count_1d(net, a, b)``, breakpoints along the segment from a to b, traced layer
  by layer; ``count_along_lines`` for many segments in any input dimension.
* ``exact_2d``: ``count_2d(net, box)``, the exact polygonal partition of a 2-D box.

``sampled``: ``count_patterns(net, points)``, ``pattern_bits`` and ``pattern_hashes``, Hanin and
Rolnick (2019) style estimates for any input dimension (distinct patterns on samples).

``_kernels`` holds the Numba kernels of ``count_2d`` and ``pattern_hashes``; it is imported on
first use, so the formulas and ``count_1d`` do not compile anything.

What is left out: maxout and other multi-argument activations; smooth activations (they have no
linear regions); counting in 3-D or higher exactly (use ``count_along_lines`` or
``count_patterns``).
"""

from __future__ import annotations

from .bounds import (
    deep_1d_max,
    montufar_lower,
    parameter_count,
    serra_lower,
    serra_upper,
    udl_max_regions,
    zaslavsky,
)
from .exact_1d import LineCounts, Segment1D, count_1d, count_along_lines
from .exact_2d import Partition2D, count_2d
from .network import forward
from .sampled import count_patterns, pattern_bits, pattern_hashes

__all__ = [
    "parameter_count",
    "zaslavsky",
    "deep_1d_max",
    "udl_max_regions",
    "montufar_lower",
    "serra_upper",
    "serra_lower",
    "count_1d",
    "count_2d",
    "count_along_lines",
    "count_patterns",
    "pattern_bits",
    "pattern_hashes",
    "forward",
    "Segment1D",
    "Partition2D",
    "LineCounts",
]
