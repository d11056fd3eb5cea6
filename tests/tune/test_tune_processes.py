"""Searches that outlive a process: killed with SIGKILL mid-trial and resumed with no trial
lost; two processes, one of them with two worker processes, sharing one SQLite storage."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

optuna = pytest.importorskip("optuna")

from chainrule.cli import main  # noqa: E402

pytestmark = [pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"),
              pytest.mark.slow]
TrialState = optuna.trial.TrialState
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def command(*args):
    return [sys.executable, "-m", "chainrule.cli", "tune", *map(str, args), "--no-progress"]


def running_mid_training(db) -> tuple[int, int] | None:
    """(finished trials, number of a RUNNING trial past its first epoch), read as a bystander."""
    try:
        with sqlite3.connect(db, timeout=1) as con:
            done = con.execute("SELECT COUNT(*) FROM trials WHERE state IN "
                               "('COMPLETE', 'PRUNED')").fetchone()[0]
            row = con.execute(
                "SELECT t.number FROM trials t JOIN trial_intermediate_values v "
                "ON v.trial_id = t.trial_id JOIN trial_user_attributes a "
                "ON a.trial_id = t.trial_id AND a.key = 'worker' "
                "WHERE t.state = 'RUNNING' LIMIT 1").fetchone()
    except sqlite3.OperationalError:              # not created yet
        return None
    return (done, row[0]) if row else None


def test_a_search_killed_mid_trial_resumes_with_no_trial_lost(search_file, tmp_path):
    spec = search_file(epochs=20, batch_size=4)          # about half a second a trial
    out, db = tmp_path / "out", tmp_path / "out" / "tune.sqlite"
    process = subprocess.Popen(command(spec, "--out", out, "--trials", 12),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            state = running_mid_training(db) if db.exists() else None
            if state and state[0] >= 3:
                os.kill(process.pid, signal.SIGKILL)      # a real kill: no clean-up runs
                killed = state[1]
                break
            time.sleep(0.05)
    finally:
        if process.poll() is None and killed is None:
            process.kill()
        process.wait()
    assert killed is not None, f"the search ended before the kill: {process.stderr.read()}"
    storage = f"sqlite:///{db}"
    before = optuna.load_study(study_name="tiny_search", storage=storage).trials
    assert before[killed].state == TrialState.RUNNING               # left behind by the kill
    kept = {t.number: (t.state, t.value, t.params) for t in before if t.state in FINISHED}

    assert main(["tune", str(spec), "--out", str(out), "--trials", "12", "--resume",
                 "--no-progress"]) == 0
    trials = optuna.load_study(study_name="tiny_search", storage=storage).trials
    assert sum(t.state in FINISHED for t in trials) == 12           # the budget, made up for
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for number, (state, value, params) in kept.items():             # every earlier trial kept
        assert (trials[number].state, trials[number].value, trials[number].params) == (
            state, value, params)
    assert trials[killed].state == TrialState.FAIL
    assert "died while it ran" in trials[killed].user_attrs["failure"]
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state in FINISHED       # its parameters ran again
    assert retries[0].params == trials[killed].params
    assert any(t.state == TrialState.PRUNED for t in trials)        # the pruner stopped some
    report = (out / "tiny_search" / "report.md").read_text()
    assert f"| {killed} | killed: its worker process" in report
    assert f"| {retries[0].number} |" in report.split("## Failed trials")[1]


def test_two_processes_one_with_two_workers_share_one_sqlite_storage(search_file, tmp_path):
    # trials of about half a second: long enough that the workers that start last (spawned
    # processes import chainrule first) find trials left to run
    spec = search_file(epochs=20, batch_size=4)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    processes = [subprocess.Popen(command(spec, "--storage", storage, "--out", tmp_path / name,
                                          "--trials", 12, "--resume", "--no-report", *jobs),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for name, jobs in (("a", ["--jobs", "2"]), ("b", []))]
    codes = [process.wait(timeout=300) for process in processes]
    assert codes == [0, 0], [process.stderr.read() for process in processes]
    trials = optuna.load_study(study_name="tiny_search", storage=storage).trials
    finished = [t for t in trials if t.state in FINISHED]
    # each worker stops once the study holds 12; those finishing at that moment add one each
    assert 12 <= len(finished) <= 14
    assert [t.number for t in trials] == list(range(len(trials)))
    assert all(t.state in FINISHED for t in trials)
    pids = {int(t.user_attrs["worker"].rsplit(":", 1)[1]) for t in trials}
    a, b = processes
    assert b.pid in pids                        # one process ran trials itself,
    assert pids - {b.pid} and a.pid not in pids  # the other through its worker processes
