"""One trial: a seeded, deterministic training run, executed on a Dask worker (or in process).

The function :func:`run_trial` receives only plain data (the trial's JSON config) and returns only
plain data (one result row), so it travels to any worker without pickling models or arrays.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
import traceback

import numpy as np

from .spec import layer_sizes


@functools.lru_cache(maxsize=4)
def _load_data(data_json):
    """(x_train, y_train, x_val, y_val) for a data section; cached per worker process."""
    d = json.loads(data_json)
    from .. import data as D

    name = d["name"]
    val_fraction = float(d.get("val_fraction", 0.2))
    rng = np.random.default_rng(d.get("seed", 0))
    if name == "mnist":
        s = D.mnist_split()
        x, y, xv, yv = s.x_train, s.y_train, s.x_val, s.y_val
    else:
        if name == "mnist1d":
            kw = {"n_samples": d["n_samples"]} if "n_samples" in d else {}
            m = D.load_mnist1d(seed=d.get("seed", 42), **kw)
            x, y = m.x_train, m.y_train  # the test part stays untouched by the sweep
        elif name == "semeion":
            x, y = D.load_semeion()
        else:
            gen = getattr(D, name)
            kw = {k: d[k] for k in ("n", "noise", "factor", "centers", "std", "classes") if k in d}
            x, y = gen(seed=d.get("seed", 0), **kw)
        order = rng.permutation(x.shape[0])
        n_val = max(1, int(round(val_fraction * x.shape[0])))
        x, y, xv, yv = x[order[n_val:]], y[order[n_val:]], x[order[:n_val]], y[order[:n_val]]
    if "n_train" in d:
        x, y = x[: d["n_train"]], y[: d["n_train"]]
    if d.get("standardize", name in ("moons", "circles", "blobs", "spiral")):
        mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-8
        x, xv = (x - mu) / sd, (xv - mu) / sd
    return (
        np.ascontiguousarray(x),
        np.asarray(y, np.int64),
        np.ascontiguousarray(xv),
        np.asarray(yv, np.int64),
    )


def build_model(model, n_in, n_out, seed):
    """A ``Sequential`` dense network from a model section: ``numbanet.models.mlp`` ending in
    logits. Dropout layers have no seed of their own: they draw from ``fit``'s generator, seeded
    with the trial's seed."""
    from ..models import mlp

    return mlp(
        [n_in, *layer_sizes(model), n_out],
        model.get("activation", "relu"),
        init=model.get("init", "he_normal"),
        dropout=model.get("dropout", 0.0),
        backend=model.get("backend", "cpu"),
        seed=seed,
        dtype=model.get("dtype", "float32"),
    )


def _metrics(history, net, t_train):
    h = history
    out = {"epochs_run": len(h["loss"]), "n_params": int(net.n_params()), "train_time": t_train}
    out["final_loss"] = float(h["loss"][-1])
    acc = h["accuracy"] if "accuracy" in h else None
    out["final_accuracy"] = None if not acc or acc[-1] is None else float(acc[-1])
    va = h["val_accuracy"] if "val_accuracy" in h else None
    vl = h["val_loss"] if "val_loss" in h else None
    if va and va[-1] is not None:
        out["final_val_accuracy"] = float(va[-1])
        best = int(np.argmax(va))
        out["best_val_accuracy"] = float(va[best])
        out["best_epoch"] = best + 1
    if vl and vl[-1] is not None:
        out["final_val_loss"] = float(vl[-1])
        out["best_val_loss"] = float(np.min(vl))
    return out


def run_trial(trial, threads=1, record=None):
    """Train one trial and return its result row (never raises for a failing trial).

    Parameters
    ----------
    trial : dict
        ``{"id", "params", "seed", "config"}`` from :func:`numbanet.sweep.spec.expand`.
    threads : int
        ``numba.set_num_threads`` for this trial, so parallel trials do not fight for cores.
        BLAS is held to one thread too (``numbanet.deterministic``): the numbers then do not
        depend on the machine's core count, and a trial gives the same bits on any worker.
    record : list of str, optional
        Metrics to keep (default: all).

    Returns
    -------
    dict
        ``trial_id``, ``status`` ("ok" or "error"), ``seed``, the searched ``params``, the
        metrics, ``error`` (type and message, or None), ``worker``, ``pid``, ``duration`` (wall
        seconds), ``cpu_time`` (CPU seconds of the trial's thread), ``config`` (JSON text).
    """
    t0, c0 = time.perf_counter(), time.thread_time()
    row = {
        "trial_id": trial["id"],
        "status": "ok",
        "seed": trial["seed"],
        "params": trial["params"],
        "error": None,
    }
    try:
        import numba

        from .. import config as nbconfig

        old_threads = numba.get_num_threads()
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        try:
            with nbconfig.deterministic():
                cfg = trial["config"]
                model = cfg["model"]
                x, y, xv, yv = _load_data(json.dumps(cfg["data"], sort_keys=True))
                n_out = int(max(y.max(), yv.max())) + 1
                net = build_model(model, x.shape[1], n_out, cfg["seed"])
                from .. import optim

                kwargs = dict(model.get("optimizer_args", {}))
                if model.get("l2"):
                    kwargs["l2"] = model["l2"]
                opt = optim.get(
                    model.get("optimizer", "sgd"), net.parameters(), model["lr"], **kwargs
                )
                t1 = time.perf_counter()
                hist = net.fit(
                    x,
                    y,
                    loss=model.get("loss", "cross_entropy"),
                    optimizer=opt,
                    epochs=model["epochs"],
                    batch_size=model["batch_size"],
                    validation=(xv, yv),
                    seed=cfg["seed"],
                    progress=False,
                )
                metrics = _metrics(hist, net, time.perf_counter() - t1)
        finally:
            numba.set_num_threads(old_threads)
        if record is not None:
            metrics = {k: metrics.get(k) for k in record}
        row.update(metrics)
    except Exception as e:  # a failing trial is a result, not the end of the sweep
        row["status"] = "error"
        row["error"] = f"{type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc(limit=6)
        if record is not None:
            row.update({k: None for k in record})
    row["worker"] = _worker_name()
    row["pid"] = os.getpid()
    row["duration"] = time.perf_counter() - t0
    row["cpu_time"] = time.thread_time() - c0  # < duration when the core was shared
    row["config"] = json.dumps(trial["config"], sort_keys=True)
    return row


def _worker_name():
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # no dask, or not inside a Dask worker
        return f"{socket.gethostname()}:{os.getpid()}"
