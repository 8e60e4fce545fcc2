"""Running a sweep: trials on Dask distributed (or in process), results streamed to a file.

::

    spec  --expand-->  trials (id = hash of config)  --minus finished ones in the results file-->
    pending  --client.submit(run_trial, retries=...)-->  workers  --as_completed-->  one row appended
    per finished trial  -->  summary table + plot

Fault tolerance comes from three places:

* a worker that dies (SIGKILL, lost machine) takes its running trial with it; the Dask scheduler
  notices the closed connection and runs the trial again on another worker (up to
  ``distributed.scheduler.allowed-failures`` times, then the trial is recorded as an error);
  ``retries=`` additionally re-runs a trial whose task itself raised;
* a trial that fails (diverges, bad data parameter...) returns a row with ``status = "error"``
  and its message, and the sweep goes on;
* the driver itself may die: every finished trial is already on disk, and rerunning the same
  spec computes only the missing trials (trial ids are stable hashes of the configs).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import time
from pathlib import Path

from ..errors import BackendUnavailableError, ValidationError
from .results import ResultsFile
from .spec import expand, load_spec
from .trial import run_trial

CONNECT_TIMEOUT = "30s"  # how long to wait for a remote scheduler before giving up
INSTALL_HINT = (
    'numbanet sweep needs Dask distributed, which is not installed: pip install "numbanet[sweep]"'
)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise BackendUnavailableError(INSTALL_HINT) from None
    return distributed


def default_results_path(spec):
    """``spec["results"]`` (relative to the spec file), else ``sweeps/<name>.jsonl`` in the cwd."""
    if "results" in spec:
        p = Path(spec["results"])
        if not p.is_absolute() and spec.get("_base"):
            p = (Path(spec["_base"]) / p).resolve()
        return p
    return Path("sweeps") / f"{spec['name']}.jsonl"


@contextlib.contextmanager
def _client(scheduler, workers):
    """A ``distributed.Client`` for ``scheduler`` (None: a fresh LocalCluster)."""
    distributed = _import_distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler is None:
        n = 2 if workers is None else int(workers)
        if n < 1:
            raise ValidationError(f"workers must be >= 1; got {workers}")
        cluster = distributed.LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        )
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValidationError(
            f"scheduler must be None (local cluster), 'serial', 'tcp://HOST:PORT' or a "
            f"distributed.Client; got {scheduler!r}"
        )
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
    except OSError as e:
        raise BackendUnavailableError(
            f"cannot reach the Dask scheduler at {scheduler} ({e}); start one with "
            "`dask scheduler` (and workers with `dask worker ADDRESS`), or omit --scheduler "
            "for a local cluster"
        ) from None
    with client:
        yield client


class _Bar:
    """One step per trial: a rich bar with ETA on a terminal, a log line at most every 10 s
    otherwise (numbanet._progress)."""

    def __init__(self, total, enabled, name):
        from .._progress import Progress

        self._p = Progress(f"sweep {name}", total, enabled=enabled, log_every=10.0)

    def advance(self, info):
        self._p.advance(info)

    def close(self):
        self._p.close()


def run(
    spec,
    scheduler=None,
    workers=None,
    results=None,
    progress=True,
    threads_per_trial=1,
    max_trials=None,
    retries=2,
    retry_failed=False,
    on_result=None,
    plot=True,
):
    """Run a hyperparameter sweep and return a :class:`~numbanet.sweep.report.SweepResult`.

    Parameters
    ----------
    spec : str, Path or dict
        A TOML spec file or the same structure as a dict (see :mod:`numbanet.sweep.spec`).
    scheduler : None, "serial", "tcp://HOST:PORT" or distributed.Client
        None starts a ``LocalCluster(n_workers=workers or 2, threads_per_worker=1,
        processes=True)``; "serial" runs the trials one after another in this process (tests,
        debugging; needs no Dask); an address connects to a running ``dask scheduler``.
    workers : int, optional
        Workers of the local cluster (default 2).
    results : str or Path, optional
        Results file, ``.jsonl`` (default) or ``.csv``. Default: the spec's ``results`` field,
        else ``sweeps/<name>.jsonl``. Trials already in it are skipped (resume).
    progress : bool
        Show a rich progress bar.
    threads_per_trial : int
        Numba threads inside each trial (1: one trial per core, no oversubscription).
    max_trials : int, optional
        Stop after this many trials were computed in this call (the rest is left for a rerun).
    retries : int
        Dask ``retries=`` of every trial task.
    retry_failed : bool
        Also rerun trials recorded with ``status = "error"`` (default: keep their rows).
    on_result : callable, optional
        Called with each new row as it is recorded (e.g. live plots, or tests killing a worker).
    plot : bool
        Save the plot of the objective against each searched field beside the results file.

    Returns
    -------
    SweepResult
        ``rows`` (every trial of this spec found in the file, new and old), ``computed`` (ids
        trained by this call), ``skipped`` (ids found finished), ``path``, ``table()``, ``best()``.

    Raises
    ------
    BackendUnavailableError
        Dask is not installed (the message says ``pip install "numbanet[sweep]"``).
    ValidationError
        A bad spec (the message names the field) or bad arguments.
    """
    from .report import SweepResult

    spec = load_spec(spec)
    if scheduler != "serial":
        _import_distributed()
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValidationError(f"workers must be an integer >= 1; got {workers!r}")
    if int(threads_per_trial) < 1:
        raise ValidationError(f"threads_per_trial must be >= 1; got {threads_per_trial}")
    if max_trials is not None and int(max_trials) < 0:
        raise ValidationError(f"max_trials must be >= 0; got {max_trials}")
    path = Path(results) if results is not None else default_results_path(spec)
    store = ResultsFile(path)
    trials = expand(spec)
    done = store.done_ids(include_errors=not retry_failed)
    pending = [t for t in trials if t["id"] not in done]
    skipped = [t["id"] for t in trials if t["id"] in done]
    if max_trials is not None:
        pending = pending[: int(max_trials)]
    record = spec["metrics"]["record"]
    objective = spec["metrics"]["objective"]
    computed = []
    bar = _Bar(len(pending), progress, spec["name"])

    def finish(row):
        row["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        store.append(row)
        computed.append(row["trial_id"])
        v = row.get(objective)
        bar.advance(f"{objective} {v:.4f}" if isinstance(v, float) else row["status"])
        if on_result is not None:
            on_result(row)

    t0 = time.perf_counter()
    try:
        if scheduler == "serial":
            for t in pending:
                finish(run_trial(t, threads_per_trial, record))
        elif pending:
            distributed = _import_distributed()
            with _client(scheduler, workers) as client:
                futures = {}
                for t in pending:
                    f = client.submit(
                        run_trial,
                        t,
                        threads_per_trial,
                        record,
                        key=f"trial-{t['id']}-{time.time_ns()}",
                        pure=False,
                        retries=retries,
                    )
                    futures[f] = t
                for fut in distributed.as_completed(futures):
                    t = futures[fut]
                    try:
                        row = fut.result()
                    except Exception as e:  # e.g. KilledWorker after too many lost workers
                        row = {
                            "trial_id": t["id"],
                            "status": "error",
                            "seed": t["seed"],
                            "params": t["params"],
                            "error": f"{type(e).__name__}: {e}",
                        }
                        row.update({k: None for k in record})
                        row["config"] = json.dumps(t["config"], sort_keys=True)
                    finish(row)
    finally:
        bar.close()
    wall = time.perf_counter() - t0
    ids = {t["id"] for t in trials}
    rows = [r for r in store.rows if r["trial_id"] in ids]
    res = SweepResult(spec, rows, path, computed=computed, skipped=skipped, wall_time=wall)
    if plot and rows:
        with contextlib.suppress(ImportError):
            res.plot()
    return res
