"""A damaged study database: a truncated or overwritten file is refused with its path and a
way to recover; bad rows are set aside (quarantined), named, re-run, and never block the
other studies' reports."""
import sqlite3

import pytest

from chainrule.cli import main
from chainrule.studies import report, runner
from chainrule.studies import spec as S
from chainrule.studies.store import Store, StoreError


def three_studies(tmp_path, study_file):
    """Studies 'first', 'second' and 'third' (1 seed x 2 cells, 1 epoch) in one folder."""
    out = tmp_path / "out"
    specs = {}
    for name in ("first", "second", "third"):
        path = study_file(seeds=1, epochs=1, name=f"{name}.toml",
                          replace={'name = "tiny"': f'name = "{name}"'})
        specs[name] = S.load(path)
        runner.run(specs[name], out, jobs=1, progress=False)
    return out, specs


@pytest.mark.parametrize("damage", ["truncate", "overwrite"])
def test_a_damaged_database_file_is_named_with_a_way_to_recover(tmp_path, study_file, capsys,
                                                                  damage):
    out, specs = three_studies(tmp_path, study_file)
    db = out / "studies.sqlite"
    data = db.read_bytes()
    db.write_bytes(data[:len(data) // 2] if damage == "truncate" else b"not a database " * 300)
    with pytest.raises(StoreError) as info:
        report.build(out)
    message = str(info.value)
    assert str(db) in message and "mv " in message and ".damaged" in message
    for argv in (["study", "report", str(out)],
                 ["study", "run", specs["first"].source, "--out", str(out), "--no-progress"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(db) in err[0] and "Traceback" not in err[0]


def test_bad_rows_are_quarantined_and_every_other_report_is_still_written(tmp_path, study_file):
    out, specs = three_studies(tmp_path, study_file)
    db = out / "studies.sqlite"
    with sqlite3.connect(db) as con:
        first_keys = [k for (k,) in con.execute("SELECT key FROM trials WHERE study = 'first' "
                                                "ORDER BY rowid")]
        con.execute("UPDATE trials SET metrics = '{not json' WHERE key = ?", (first_keys[0],))
        con.execute("UPDATE trials SET metrics = '[1, 2]' WHERE key = ?", (first_keys[1],))
        con.execute("UPDATE studies SET spec = 'garbage' WHERE name = 'second'")
    written = report.build(out)
    problems = "\n".join(written.problems)
    assert len(written.problems) == 3
    for key in first_keys:
        assert key in problems
    assert "second" in problems and str(db) in problems and "quarantine" in problems
    assert "chainrule study run" in problems                  # how to recover
    assert "1 of" not in (out / "third" / "table.md").read_text()   # untouched study
    assert (out / "third" / "plot.png").exists()
    first = (out / "first" / "table.md").read_text()
    assert "2 of 2 trials have not run yet" in first
    page = (out / "index.html").read_text()
    assert 'id="first"' in page and 'id="third"' in page and "Problems" in page
    with sqlite3.connect(db) as con:
        moved = con.execute("SELECT source, name FROM quarantine ORDER BY name").fetchall()
    assert sorted(moved) == sorted([("trials", first_keys[0]), ("trials", first_keys[1]),
                                    ("studies", "second")])
    # Recovery: re-running runs exactly the set-aside trials and stores the spec again.
    assert runner.run(specs["first"], out, jobs=1, progress=False)["done"] == 2
    assert runner.run(specs["second"], out, jobs=1, progress=False)["done"] == 0
    again = report.build(out)
    assert again.problems == []
    with Store(out) as store:
        assert sorted(s.name for s in store.specs()) == ["first", "second", "third"]


def test_a_damaged_row_found_by_a_run_is_run_again(tmp_path, study_file):
    out, specs = three_studies(tmp_path, study_file)
    with sqlite3.connect(out / "studies.sqlite") as con:
        con.execute("UPDATE trials SET history = 'oops', status = 'done' "
                    "WHERE study = 'third' AND seed = 0 AND rowid = (SELECT MIN(rowid) FROM "
                    "trials WHERE study = 'third')")
    counts = runner.run(specs["third"], out, jobs=1, progress=False)
    assert counts == {"total": 2, "skipped": 1, "done": 1, "failed": 0}


def test_report_of_a_folder_that_does_not_exist_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "no_such_folder"
    assert main(["study", "report", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No study database" in err[0]
    assert not missing.exists()
