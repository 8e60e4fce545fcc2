"""``numbanet figures --jobs N``: figures rendered in N worker processes.

A full-budget run is mostly small single-threaded experiments (1-3 hidden-layer nets, least
squares, Monte Carlo on a few parameters) that leave a second core idle; N worker processes,
each held to one Numba and one BLAS thread, run N of them side by side. The workers are
processes numbanet starts (spawned, so nothing of the caller's state is shared), so their
thread settings change nothing in the caller's process. Each worker runs
``render._render_one``, the same function the one-process path runs, so records and files are
the same; the parent collects the records in the order asked for and writes the index.
"""

from __future__ import annotations

import json
from pathlib import Path

from .render import _render_one


def _worker_setup(fresh):
    """A ``--jobs`` worker (a process numbanet started, not the user's): one Numba thread and
    one BLAS thread, so that N workers share N cores instead of each spinning up a team, and
    the parent's ``--fresh``."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    try:
        import numba

        numba.set_num_threads(1)
    except ImportError:  # the reference backend works without Numba
        pass
    import scipy.linalg  # noqa: F401 - SciPy's BLAS (numbanet's products) loaded before the limit

    from .._threads import threadpoolctl

    threadpool_limits = threadpoolctl().threadpool_limits

    from ..experiments.cache import recompute

    # entered for the worker's whole life (the process ends with the pool)
    _WORKER_STATE[:] = [threadpool_limits(limits=1), recompute(fresh)]
    _WORKER_STATE[1].__enter__()


_WORKER_STATE = []


def _expected_seconds(outdir, budget):
    """{id: seconds} of the figures an earlier run rendered into ``outdir`` on ``budget`` (its
    ``index.json``), to start the longest first; {} when there is none."""
    try:
        records = json.loads((Path(outdir) / "index.json").read_text())
        return {
            r["id"]: float(r["seconds"])
            for r in records
            if r.get("budget") == budget and r.get("status") == "ok"
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def render_parallel(infos, args, jobs, bar):
    """Render ``infos`` in ``jobs`` fresh worker processes, longest first (by the times of an
    earlier run into the same folder on the same budget, else the catalogue's slow figures
    first), so the long ones overlap the many short ones; records come back in the given
    order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from ..experiments.cache import recomputing

    known = _expected_seconds(args[0], args[4])
    order = sorted(
        range(len(infos)),
        key=lambda i: (-known.get(infos[i].id, 0.0), not infos[i].slow),
    )
    results = [None] * len(infos)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(infos)),
        mp_context=ctx,
        initializer=_worker_setup,
        initargs=(recomputing(),),
    ) as pool:
        futures = {pool.submit(_render_one, infos[i].id, *args): i for i in order}
        bar.item(", ".join(infos[i].id for i in order[:jobs]))
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                rec = fut.result()
            except Exception as exc:  # a worker that died (out of memory, killed)
                rec = {"id": infos[i].id, "path": None, "seconds": 0.0, "status": "error"}
                rec["message"] = f"worker process failed: {type(exc).__name__}: {exc}"
            results[i] = rec
            bar.item(rec["id"])
            bar.advance(rec["status"], seconds=rec["seconds"])
    return results
