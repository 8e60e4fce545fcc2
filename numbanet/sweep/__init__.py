"""Hyperparameter sweeps that outgrow one machine: ``numbanet sweep`` on Dask distributed.

::

    import numbanet as nb
    res = nb.sweep("examples/sweep_mnist1d.toml")          # a local 2-worker Dask cluster
    res = nb.sweep(spec, scheduler="tcp://10.0.0.5:8786")  # a real cluster
    res = nb.sweep(spec, scheduler="serial")               # in process, for tests and debugging
    print(res.best(3)); rich.print(res.table())

A spec (TOML or dict, see :mod:`numbanet.sweep.spec`) names the data, the model, the search
(grid, or random with a budget; times a list of seeds) and the metrics. Each trial is a seeded,
deterministic training run on one Numba thread; its id is a hash of its config, so a rerun of
the same spec skips what is already in the results file. See :mod:`numbanet.sweep.runner` for
the fault-tolerance story and :mod:`numbanet.sweep.results` for the crash-safe results file.
"""

from __future__ import annotations

import sys
import types

from .report import SweepResult
from .results import ResultsFile, read_rows
from .runner import INSTALL_HINT, default_results_path, run
from .spec import expand, load_spec, trial_id, validate_spec
from .trial import run_trial


def cli_main(spec_path, scheduler=None, workers=None, results=None, progress=True) -> int:
    """Entry point of ``numbanet sweep SPEC.toml``: run, print the summary table; exit code.

    Returns 0 when the sweep finished with at least one successful trial (failed trials are
    listed), 1 when every trial failed.
    """
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # a pipe or a log file: do not squeeze the table into 80 columns
        console = Console(width=120)
    res = run(
        spec_path,
        scheduler=scheduler,
        workers=workers,
        results=None if results is None else str(results),
        progress=progress,
    )
    console.print(res.table())
    if res.failed:
        console.print(f"[yellow]{len(res.failed)} trial(s) failed:[/yellow]")
        console.print(res.failures_text(), markup=False)
    console.print(
        f"{len(res.computed)} trial(s) run in {res.wall_time:.1f} s, {len(res.skipped)} already done; "
        f"results: {res.path}" + (f"; plot: {res.plot_path}" if res.plot_path.exists() else "")
    )
    return 0 if res.ok or not res.rows else 1


class _CallableModule(types.ModuleType):
    """``numbanet.sweep(spec, ...)`` is ``numbanet.sweep.run(spec, ...)``.

    The package ``numbanet.sweep`` and the function ``nb.sweep`` share a name; making the module
    callable means ``nb.sweep(spec)`` works whichever of the two the attribute ends up being.
    """

    def __call__(self, *args, **kwargs):
        return run(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = [
    "INSTALL_HINT",
    "ResultsFile",
    "SweepResult",
    "cli_main",
    "default_results_path",
    "expand",
    "load_spec",
    "read_rows",
    "run",
    "run_trial",
    "trial_id",
    "validate_spec",
]
