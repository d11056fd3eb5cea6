"""Running studies: a real kill and resume, Dask against local processes, reports from the
database alone. Tiny specs keep each test to a few seconds."""
import os
import signal
import subprocess
import sys
import time

import pytest

from chainrule.studies import report, runner
from chainrule.studies import spec as S
from chainrule.studies.store import Store

def comparable(rows):
    """Records without what legitimately differs between runs: timings and worker names."""
    out = {}
    for r in rows:
        metrics = {k: v for k, v in r["metrics"].items() if "time" not in k}
        history = {k: v for k, v in r["history"].items() if k not in ("time", "elapsed")}
        out[r["key"]] = (r["status"], r["seed"], r["cell"], metrics, history)
    return out


def test_killed_study_resumes_without_redoing_finished_trials(tmp_path, study_file):
    spec_path, out = study_file(seeds=4, epochs=150), tmp_path / "out"
    total = len(runner.trials(S.load(spec_path)))
    cmd = [sys.executable, "-m", "chainrule.cli", "study", "run", str(spec_path), "--jobs", "1",
           "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    db = out / "studies.sqlite"
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            with Store(db) as store:
                done = store.count("tiny", "done")
            if done >= 2:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the study finished before it could be killed: make it slower"
    os.killpg(proc.pid, signal.SIGKILL)             # a real kill, no clean-up code runs
    proc.wait(timeout=10)
    with Store(db) as store:
        before = {r["key"]: r["finished"] for r in store.trials("tiny") if r["status"] == "done"}
    assert 2 <= len(before) < total

    counts = runner.run(S.load(spec_path), out, jobs=1, progress=False)
    assert counts == {"total": total, "skipped": len(before), "done": total - len(before),
                      "failed": 0}
    with Store(db) as store:
        rows = store.trials("tiny")
    assert len(rows) == total and all(r["status"] == "done" for r in rows)
    for r in rows:                                   # finished trials were not run again
        if r["key"] in before:
            assert r["finished"] == before[r["key"]]
    again = runner.run(S.load(spec_path), out, jobs=1, progress=False)
    assert again["skipped"] == total and again["done"] == 0


def test_failing_trial_is_recorded_and_the_study_goes_on(tmp_path, study_file, monkeypatch):
    from chainrule.studies import trial
    run_trial = trial.run_trial

    def fails_for_seed_1(config, seed):               # jobs=1: trials run in this process
        if seed == 1:
            raise ValueError("seed 1 is unlucky")
        return run_trial(config, seed)

    monkeypatch.setattr(trial, "run_trial", fails_for_seed_1)
    out = tmp_path / "out"
    counts = runner.run(S.load(study_file()), out, jobs=1, progress=False)
    assert counts["done"] == 2 and counts["failed"] == 2
    with Store(out) as store:
        failed = [r for r in store.trials("tiny") if r["status"] == "failed"]
    assert all("seed 1 is unlucky" in r["error"] for r in failed)
    paths = report.build(out)
    assert "failed" in (out / "tiny" / "table.md").read_text()
    assert out / "index.html" in paths


def test_report_is_rebuilt_from_the_database_alone(tmp_path, study_file):
    spec_path, out = study_file(), tmp_path / "out"
    runner.run(S.load(spec_path), out, jobs=1, progress=False)
    report.build(out)
    table = (out / "tiny" / "table.md").read_text()
    for path in [spec_path, out / "tiny" / "table.md", out / "tiny" / "plot.png",
                 out / "index.html", out / "report.md"]:
        path.unlink()
    report.build(out)                                # only studies.sqlite is left to read
    assert (out / "tiny" / "table.md").read_text() == table
    assert (out / "tiny" / "plot.png").stat().st_size > 1000
    page = (out / "index.html").read_text()
    assert "<table>" in page and "tiny/plot.png" in page and "paired t-test" in page


def test_local_processes_and_dask_give_the_same_records(tmp_path, study_file):
    pytest.importorskip("distributed")
    from distributed import Client

    spec = S.load(study_file())
    runner.run(spec, tmp_path / "serial", jobs=1, progress=False)
    runner.run(spec, tmp_path / "loky", jobs=2, progress=False)
    # One worker process with two threads: joblib's Dask backend runs everything in the
    # calling process when the cluster has a single thread in all.
    with runner.local_cluster(n_workers=1, processes=True, threads_per_worker=2) as cluster, \
            Client(cluster) as client:
        env = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
        assert list(env.values()) == [None]         # Dask's slow-down setting is unset
        runner.run(spec, tmp_path / "dask", scheduler=client, progress=False)
        worker_pids = {str(pid) for pid in client.run(os.getpid).values()}
        with pytest.raises(RuntimeError, match="cannot import no_such_module_xyz"):
            runner.check_dask(client, modules=("chainrule", "no_such_module_xyz"))
    records = {}
    for name in ("serial", "loky", "dask"):
        with Store(tmp_path / name) as store:
            records[name] = comparable(store.trials("tiny"))
    assert len(records["serial"]) == 4
    assert records["loky"] == records["serial"]
    assert records["dask"] == records["serial"]
    with Store(tmp_path / "dask") as store:                  # really ran on the Dask worker
        assert {r["worker"].rsplit(":", 1)[1] for r in store.trials("tiny")} == worker_pids


def test_every_optimizer_of_the_optimizers_preset_trains_a_trial():
    # regression: the schedule builder read the learning rate of optimizers that have none
    # (scaled conjugate gradient, Levenberg-Marquardt, Hessian-free, Newton-CG), so every
    # trial of those four rows failed in the full run
    from chainrule.studies.trial import run_trial
    spec = S.load(next(p for p in S.preset_paths() if p.stem.endswith("optimizers")), quick=True)
    cells = {}
    for trial in runner.trials(spec):
        cells.setdefault(trial.config["optimizer"]["name"], trial.config)
    assert {"scg", "lm", "hf", "newton_cg"} <= set(cells)
    for name, config in cells.items():
        config = {**config, "training": {**config["training"], "epochs": 2}}
        metrics = run_trial(config, seed=0)
        assert metrics, name


def test_a_schedule_on_an_optimizer_without_a_learning_rate_is_refused(tmp_path):
    from chainrule.studies import components
    training = {"schedule": "cosine", "schedule_options": {}, "epochs": 5}
    assert components.schedule_problem(training, {"name": "lbfgs"}) is None
    assert "no learning rate" in components.schedule_problem(training,
                                                             {"name": "lm"})
