"""The lecture figures: one compute/draw pair per figure id (see ``catalog``).

    import numbanet.plots as P
    fig = P.plot("compose-1d")            # a matplotlib Figure, data in fig.numbanet_data
    P.render_figures(["noise-ball"], outdir="figures")

Importing this package does not import matplotlib; drawing does.
"""

from .catalog import CATALOG, FigureInfo
from .render import compute, list_figures, plot, render_figures, write_index

__all__ = [
    "CATALOG",
    "FigureInfo",
    "compute",
    "list_figures",
    "plot",
    "render_figures",
    "write_index",
]
