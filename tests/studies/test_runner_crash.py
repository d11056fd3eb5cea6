"""A worker killed mid-study (kill -9): its trial is recorded as failed, the pool is rebuilt,
the study goes on, and every study's report is still written."""
import os
import signal
import sqlite3
import threading
import time

import pytest

from chainrule.cli import main
from chainrule.studies import runner
from chainrule.studies import spec as S
from chainrule.studies.store import Store

pytestmark = [pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"),
              pytest.mark.slow]


def kill_a_busy_worker(db, study: str, killed: list, stop: threading.Event) -> None:
    """Once two trials of ``study`` are done, SIGKILL the worker process that ran one of
    them (it is running another trial by then): a real kill, no clean-up code runs."""
    while not stop.is_set():
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as con:
                    workers = [w for (w,) in con.execute(
                        "SELECT worker FROM trials WHERE study = ? AND status = 'done'", (study,))]
            except sqlite3.OperationalError:
                workers = []
            if len(workers) >= 2:
                pid = int(workers[-1].rsplit(":", 1)[1])
                if pid != os.getpid():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
        time.sleep(0.02)


def test_a_killed_worker_fails_its_trial_and_every_report_is_still_written(tmp_path,
                                                                           study_file, capsys):
    out = tmp_path / "out"
    first = study_file(seeds=1, epochs=1, name="first.toml",
                       replace={'name = "tiny"': 'name = "first"'})
    assert main(["study", "run", str(first), "--out", str(out), "--jobs", "1",
                 "--no-progress"]) == 0
    slow = study_file(seeds=3, epochs=200)            # 6 trials of a few tenths of a second
    total = len(runner.trials(S.load(slow)))
    killed, stop = [], threading.Event()
    killer = threading.Thread(target=kill_a_busy_worker,
                              args=(out / "studies.sqlite", "tiny", killed, stop))
    killer.start()
    try:
        code = main(["study", "run", str(slow), "--out", str(out), "--jobs", "2",
                     "--no-progress"])
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was killed: the study ended too soon"
    assert code == 1                                   # failed trials, said in the exit code
    with Store(out) as store:
        rows = store.trials("tiny")
    assert len(rows) == total                          # every trial recorded, none lost
    failed = [r for r in rows if r["status"] == "failed"]
    assert 1 <= len(failed) <= 2                       # the killed one (and its pool mate)
    assert all("WorkerDied" in r["error"] and "SIGKILL" in r["error"] for r in failed)
    assert sum(r["status"] == "done" for r in rows) == total - len(failed)   # it went on
    for name in ("first", "tiny"):
        assert (out / name / "table.md").exists() and (out / name / "plot.png").exists()
    assert "failed and are left out" in (out / "tiny" / "table.md").read_text()
    # Re-running retries exactly the failed trials.
    counts = runner.run(S.load(slow), out, jobs=1, progress=False)
    assert counts == {"total": total, "skipped": total - len(failed), "done": len(failed),
                      "failed": 0}
