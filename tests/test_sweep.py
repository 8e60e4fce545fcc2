"""numbanet.sweep: spec validation, deterministic trials, resume, crash-safe results, and a real
Dask cluster that loses a worker in the middle of a sweep."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from numbanet.errors import BackendUnavailableError, ValidationError
from numbanet.sweep import (
    INSTALL_HINT,
    ResultsFile,
    cli_main,
    expand,
    load_spec,
    read_rows,
    run,
    trial_id,
)

METRICS = ["final_val_accuracy", "best_val_accuracy", "final_val_loss", "final_loss"]


def toy_spec(**search):
    """A tiny sweep: two moons, one hidden layer; well under a second per trial."""
    s = {
        "name": "toy",
        "data": {"name": "moons", "n": 300, "noise": 0.2},
        "model": {"width": 8, "depth": 1, "lr": 0.1, "epochs": 15, "batch_size": 16},
        "search": {"method": "grid", "space": {"lr": [0.05, 0.3], "width": [4, 8]}, "seeds": [0]},
        "metrics": {"record": METRICS + ["train_time"]},
    }
    s["search"].update(search)
    return s


def _numbers(rows):
    return {r["trial_id"]: [r[k] for k in METRICS] for r in rows}


# ------------------------------------------------------------------------------ spec
def test_spec_defaults_and_expansion():
    spec = load_spec(toy_spec(seeds=[0, 1]))
    trials = expand(spec)
    assert len(trials) == 8  # 2 lr x 2 width x 2 seeds
    assert len({t["id"] for t in trials}) == 8
    assert trials[0]["config"]["model"]["activation"] == "relu"  # default filled in
    assert expand(load_spec(toy_spec(seeds=[0, 1]))) == trials  # deterministic order and ids


def test_trial_id_is_a_stable_hash_of_the_config():
    a = {"data": {"name": "moons", "n": 300}, "model": {"lr": 0.1, "width": 8}, "seed": 0}
    b = {"seed": 0, "model": {"width": 8, "lr": 0.1}, "data": {"n": 300, "name": "moons"}}
    assert trial_id(a) == trial_id(b)  # key order does not matter
    c = json.loads(json.dumps(a))
    c["model"]["lr"] = 0.2
    assert trial_id(c) != trial_id(a)


def test_random_search_budget_and_distributions():
    s = toy_spec(
        method="random",
        trials=7,
        seed=3,
        space={
            "lr": {"log_uniform": [1e-3, 1.0]},
            "width": {"int_uniform": [2, 9]},
            "depth": [1, 2],
            "activation": {"choice": ["relu", "tanh"]},
        },
    )
    trials = expand(load_spec(s))
    assert 1 <= len(trials) <= 7
    for t in trials:
        p = t["params"]
        assert 1e-3 <= p["lr"] <= 1.0 and 2 <= p["width"] <= 9 and p["depth"] in (1, 2)
    assert expand(load_spec(s)) == trials  # the sampler is seeded
    s["search"]["seed"] = 4
    assert expand(load_spec(s)) != trials


def test_toml_spec(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(
        'name = "t"\n[data]\nname = "blobs"\nn = 90\n[model]\nhidden = [5, 3]\nepochs = 2\n'
        '[search]\nseeds = [0, 1]\n[search.space]\n"data.std" = [0.5, 2.0]\n'
    )
    spec = load_spec(p)
    trials = expand(spec)
    assert len(trials) == 4 and trials[0]["config"]["data"]["std"] == 0.5
    assert "depth" not in trials[0]["config"]["model"]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda s: s.update(dat={}), "'dat'"),
        (lambda s: s["model"].update(lerning_rate=0.1), "model.'lerning_rate'"),
        (lambda s: s["model"].update(lr="fast"), "model.lr must be a number"),
        (lambda s: s["model"].update(epochs=2.5), "model.epochs must be an integer"),
        (lambda s: s["model"].update(epochs=True), "model.epochs must be an integer"),
        (lambda s: s["model"].update(activation="relu6"), "model.activation is 'relu6'"),
        (lambda s: s["model"].update(optimizer="adamw9"), "model.optimizer is 'adamw9'"),
        (lambda s: s["data"].update(name="cifar"), "data.name is 'cifar'"),
        (lambda s: s["data"].update(factor=0.3), "data.factor does not apply"),
        (lambda s: s["search"]["space"].update(lr=[]), "search.space.lr is an empty list"),
        (lambda s: s["search"]["space"].update(width=[4, "8"]), "model.width must be an integer"),
        (lambda s: s["search"]["space"].update(momentum=[0.9]), "'search.space.momentum'"),
        (lambda s: s["search"].update(seeds=[]), "search.seeds is empty"),
        (lambda s: s["search"].update(method="bayes"), "search.method is 'bayes'"),
        (lambda s: s["search"].update(method="random"), "search.trials"),
        (lambda s: s["search"]["space"].update(lr={"uniform": [0, 1]}), "a grid takes a list"),
        (lambda s: s["metrics"].update(objective="f1"), "metrics.objective is 'f1'"),
        (lambda s: s["metrics"].update(record=[]), "metrics.record is empty"),
    ],
)
def test_spec_errors_name_the_field(mutate, needle):
    s = toy_spec()
    mutate(s)
    with pytest.raises(ValidationError) as e:
        load_spec(s)
    assert needle in str(e.value)


def test_random_distribution_errors():
    s = toy_spec(method="random", trials=3, space={"lr": {"log_uniform": [0, 1]}})
    with pytest.raises(ValidationError, match="search.space.lr.log_uniform needs low > 0"):
        load_spec(s)
    s["search"]["space"] = {"lr": {"gaussian": [0, 1]}}
    with pytest.raises(ValidationError, match="search.space.lr must be a list or one of"):
        load_spec(s)


def test_bad_toml_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[model\nlr = 1")
    with pytest.raises(ValidationError, match="not valid TOML"):
        load_spec(p)
    with pytest.raises(ValidationError, match="does not exist"):
        load_spec(tmp_path / "missing.toml")


# ------------------------------------------------------------------------------ running
def test_names_from_the_live_registries(tmp_path):
    """Optimisers, activations and dropout are looked up by name at run time: what the rest of
    numbanet adds is searchable at once; and a seeded trial with dropout is reproducible."""
    s = toy_spec(space={"optimizer": ["sgd", "adam"], "activation": ["tanh"]})
    s["model"]["lr"] = 0.01
    s["model"]["dropout"] = 0.2
    a = run(s, scheduler="serial", results=tmp_path / "a.jsonl", progress=False, plot=False)
    b = run(s, scheduler="serial", results=tmp_path / "b.jsonl", progress=False, plot=False)
    assert all(r["status"] == "ok" for r in a.rows), a.failures_text()
    assert _numbers(a.rows) == _numbers(b.rows)


def test_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path):
    s = toy_spec(space={"lr": [0.1, 1e30]})
    res = run(s, scheduler="serial", results=tmp_path / "r.jsonl", progress=False, plot=False)
    assert [r["status"] for r in res.rows] == ["ok", "error"]
    bad = res.rows[1]
    assert bad["error"].startswith("DivergenceError") and bad["final_val_accuracy"] is None
    assert res.best(1)[0]["trial_id"] == res.rows[0]["trial_id"]
    # a rerun keeps the recorded failure unless asked to retry it
    again = run(s, scheduler="serial", results=tmp_path / "r.jsonl", progress=False, plot=False)
    assert again.computed == []
    retry = run(
        s,
        scheduler="serial",
        results=tmp_path / "r.jsonl",
        progress=False,
        plot=False,
        retry_failed=True,
    )
    assert retry.computed == [bad["trial_id"]]
    assert len(retry.rows) == 2 and len(read_rows(tmp_path / "r.jsonl")) == 2  # last row wins


def test_resume_computes_only_missing_trials(tmp_path):
    s = toy_spec(seeds=[0, 1])  # 8 trials
    path = tmp_path / "r.jsonl"
    all_ids = [t["id"] for t in expand(load_spec(s))]
    first = run(s, scheduler="serial", results=path, progress=False, max_trials=3, plot=False)
    assert first.computed == all_ids[:3] and first.skipped == []
    second = run(s, scheduler="serial", results=path, progress=False, plot=False)
    assert second.computed == all_ids[3:]
    assert sorted(second.skipped) == sorted(all_ids[:3])
    assert [r["trial_id"] for r in second.rows] == all_ids
    third = run(s, scheduler="serial", results=path, progress=False, plot=False)
    assert third.computed == [] and len(third.rows) == 8
    assert len(path.read_text().splitlines()) == 8


def test_killed_driver_resumes(tmp_path):
    """SIGKILL the process running a sweep part-way; the rerun trains only what is missing."""
    s = toy_spec(seeds=[0, 1, 2])  # 12 trials
    s["data"]["n"] = 1000
    s["model"]["epochs"] = 60
    spec_path, path = tmp_path / "spec.json", tmp_path / "r.jsonl"
    spec_path.write_text(json.dumps(s))
    code = (
        "import json, sys; from numbanet.sweep import run; "
        "run(json.load(open(sys.argv[1])), scheduler='serial', results=sys.argv[2], "
        "progress=False, plot=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(spec_path), str(path)])
    try:
        deadline = time.time() + 120
        while not (path.exists() and len(path.read_text().splitlines()) >= 3):
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.time() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    done_before = [r["trial_id"] for r in read_rows(path)]
    all_ids = [t["id"] for t in expand(load_spec(s))]
    assert 3 <= len(done_before) < len(all_ids)
    res = run(s, scheduler="serial", results=path, progress=False, plot=False)
    assert sorted(res.computed) == sorted(set(all_ids) - set(done_before))
    assert [r["trial_id"] for r in res.rows] == all_ids


def test_torn_last_line_is_ignored_and_repaired(tmp_path):
    s = toy_spec()
    path = tmp_path / "r.jsonl"
    ids = [t["id"] for t in expand(load_spec(s))]
    run(s, scheduler="serial", results=path, progress=False, max_trials=2, plot=False)
    whole = path.read_text()
    # a crash in the middle of appending the third row: half a line, no newline
    third = json.dumps({"trial_id": ids[2], "status": "ok", "final_val_accuracy": 0.5})
    path.write_text(whole + third[: len(third) // 2])
    with pytest.warns(UserWarning, match="incomplete line"):
        assert [r["trial_id"] for r in read_rows(path)] == ids[:2]
    # a complete JSON object without its newline is not trusted either (its fsync did not finish)
    path.write_text(whole + third)
    with pytest.warns(UserWarning):
        assert len(read_rows(path)) == 2
    res = run(s, scheduler="serial", results=path, progress=False, plot=False)
    assert res.computed == ids[2:]
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(x)["status"] == "ok" for x in lines)


def test_csv_results_and_plot(tmp_path):
    s = toy_spec()
    path = tmp_path / "r.csv"
    a = run(s, scheduler="serial", results=path, progress=False, max_trials=2)
    b = run(s, scheduler="serial", results=path, progress=False)
    assert len(b.computed) == 2 and len(b.rows) == 4
    assert _numbers(read_rows(path)) == _numbers(b.rows)
    assert read_rows(path)[0]["params"] == a.rows[0]["params"]
    assert b.plot_path.exists() and b.plot_path.stat().st_size > 1000
    with pytest.raises(ValidationError, match="extension"):
        ResultsFile(tmp_path / "r.txt")


def test_dask_missing_gives_the_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(BackendUnavailableError) as e:
        run(toy_spec(), results=tmp_path / "r.jsonl", progress=False)
    assert 'pip install "numbanet[sweep]"' in str(e.value) and "\n" not in str(e.value)
    assert str(e.value) == INSTALL_HINT
    # the in-process mode needs no Dask
    res = run(
        toy_spec(),
        scheduler="serial",
        results=tmp_path / "r.jsonl",
        progress=False,
        max_trials=1,
        plot=False,
    )
    assert len(res.computed) == 1


def test_cli_main_prints_the_summary(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text(
        'name = "clitoy"\n[data]\nname = "moons"\nn = 200\n[model]\nwidth = 4\nepochs = 3\n'
        "[search.space]\nlr = [0.1, 0.2]\n"
    )
    code = cli_main(
        p, scheduler="serial", workers=None, results=tmp_path / "o.jsonl", progress=False
    )
    out = " ".join(capsys.readouterr().out.split())  # undo the table's line wrapping
    assert code == 0
    assert "clitoy" in out and "ranked by best_val_accuracy" in out and "2 trial(s) run" in out


def test_bad_arguments_and_unreachable_scheduler(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from numbanet.sweep import runner

    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", "2s")
    with pytest.raises(ValidationError, match="workers must be an integer >= 1; got 0"):
        run(toy_spec(), workers=0, results=tmp_path / "r.jsonl", progress=False)
    with pytest.raises(ValidationError, match="scheduler must be"):
        run(toy_spec(), scheduler="localhost", results=tmp_path / "r.jsonl", progress=False)
    port = _free_port()  # nothing listens there
    with pytest.raises(BackendUnavailableError, match="cannot reach the Dask scheduler"):
        run(
            toy_spec(),
            scheduler=f"tcp://127.0.0.1:{port}",
            results=tmp_path / "r.jsonl",
            progress=False,
        )


def test_nb_sweep_module_is_callable(tmp_path):
    import numbanet.sweep as sweep_module

    res = sweep_module(
        toy_spec(),
        scheduler="serial",
        results=tmp_path / "r.jsonl",
        progress=False,
        max_trials=1,
        plot=False,
    )
    assert len(res.computed) == 1


def test_local_cluster_matches_serial(tmp_path):
    pytest.importorskip("distributed")
    s = toy_spec()
    serial = run(s, scheduler="serial", results=tmp_path / "a.jsonl", progress=False, plot=False)
    dist = run(s, workers=2, results=tmp_path / "b.jsonl", progress=False, plot=False)
    assert _numbers(dist.rows) == _numbers(serial.rows)
    assert all(r["worker"].startswith("tcp://") for r in dist.rows)


# ------------------------------------------------------------------------------ a real cluster
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_cli():
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dask"]


def test_real_cluster_survives_a_killed_worker(tmp_path):
    """A `dask scheduler` and two `dask worker` processes; one worker is SIGKILLed while it
    trains a trial; all 16 results still arrive, equal to an in-process run."""
    distributed = pytest.importorskip("distributed")
    dask = _dask_cli()
    sport, wports = _free_port(), [_free_port(), _free_port()]
    addr = f"tcp://127.0.0.1:{sport}"
    waddr = [f"tcp://127.0.0.1:{p}" for p in wports]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log = open(tmp_path / "cluster.log", "w")
    procs = []
    client = None
    try:
        procs.append(
            subprocess.Popen(
                [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(sport), "--no-dashboard"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        )
        for i, p in enumerate(wports):
            procs.append(
                subprocess.Popen(
                    [
                        *dask,
                        "worker",
                        addr,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--worker-port",
                        str(p),
                        "--name",
                        f"w{i}",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            )
        deadline = time.time() + 60
        while client is None:
            try:
                client = distributed.Client(addr, timeout="5s")
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        client.wait_for_workers(2, timeout=90)
        t_up = time.perf_counter()

        s = toy_spec(space={"lr": [0.05, 0.1, 0.2, 0.4], "width": [4, 6, 8, 10]})
        s["data"]["n"] = 2000  # about half a second per trial
        s["model"]["epochs"] = 250
        victim = procs[2]
        state = {"n": 0, "in_flight": None}

        def on_result(row):
            state["n"] += 1
            if state["n"] == 4:  # mid-sweep: kill w1 while it is training a trial
                deadline = time.time() + 20
                while not client.processing(workers=[waddr[1]])[waddr[1]]:
                    assert time.time() < deadline, "worker w1 never got a trial"
                    time.sleep(0.01)
                state["in_flight"] = list(client.processing(workers=[waddr[1]])[waddr[1]])
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait(10)

        res = run(
            s,
            scheduler=client,
            results=tmp_path / "r.jsonl",
            progress=False,
            on_result=on_result,
            plot=False,
        )
        t_sweep = time.perf_counter()
        assert victim.returncode == -signal.SIGKILL
        assert state["in_flight"], "the killed worker had no trial in flight"
        assert len(res.rows) == 16 and all(r["status"] == "ok" for r in res.rows)
        lost = {k.split("-")[1] for k in state["in_flight"]}
        redone = [r for r in res.rows if r["trial_id"] in lost]
        assert redone and all(r["worker"] == waddr[0] for r in redone)  # rerun on the survivor
        # Every result came from the cluster. (w1 may have finished nothing before the kill: on a
        # busy machine its first trial can be the one in flight, so no "both did work" check.)
        assert {r["worker"] for r in res.rows} <= set(waddr)

        serial = run(
            s, scheduler="serial", results=tmp_path / "s.jsonl", progress=False, plot=False
        )
        a, b = _numbers(res.rows), _numbers(serial.rows)
        diff = {k: (a[k], b[k]) for k in a if a[k] != b.get(k)}
        assert not diff, diff  # same seeds, same bits
        assert len(read_rows(tmp_path / "r.jsonl")) == 16
        print(f"cluster sweep {t_sweep - t_up:.1f} s, serial {time.perf_counter() - t_sweep:.1f} s")
    finally:
        if client is not None:
            client.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        log.close()
