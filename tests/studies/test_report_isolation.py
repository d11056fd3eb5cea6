"""Reports: a study without factors fills every layout, one study's broken report never
blocks another's, intervals of bounded metrics stay in range, Markdown cells are escaped."""
import re

import pytest

from chainrule.cli import main
from chainrule.studies import layouts, plots, report, runner, stats
from chainrule.studies import spec as S
from chainrule.studies.store import Store


def run_study(path, out):
    runner.run(S.load(path), out, jobs=1, progress=False)


def test_a_study_without_factors_fills_every_layout_and_figure(tmp_path, study_file):
    path = study_file(factors="", epochs=2, replace={"epochs = 2": "epochs = 2\ntarget_loss = 5.0"})
    out = tmp_path / "out"
    run_study(path, out)
    with Store(out) as store:
        spec, records = store.specs()[0], store.trials("tiny")
    assert not spec.factors and len(records) == 2
    for layout in layouts.LAYOUTS:
        spec.report["layout"] = layout
        section = layouts.LAYOUTS[layout](spec, records)
        assert section.table.rows, layout
        plots.draw(spec, records, tmp_path / f"{layout}.png")
        assert (tmp_path / f"{layout}.png").stat().st_size > 1000
    spec.report["layout"] = "levels"
    assert layouts.levels(spec, records).table.rows[0][0] == "all runs"


def test_the_cli_reports_a_study_without_factors_then_the_next_study(tmp_path, study_file,
                                                                     capsys):
    out = tmp_path / "out"
    bare = study_file(factors="", epochs=1, name="bare.toml",
                      replace={'name = "tiny"': 'name = "bare"'})
    assert main(["study", "run", str(bare), "--out", str(out), "--jobs", "1",
                 "--no-progress"]) == 0
    other = study_file(epochs=1, seeds=1, name="other.toml")
    assert main(["study", "run", str(other), "--out", str(out), "--jobs", "1",
                 "--no-progress"]) == 0
    assert "all runs" in (out / "bare" / "table.md").read_text()
    assert (out / "tiny" / "table.md").exists()
    page = (out / "index.html").read_text()
    assert 'id="bare"' in page and 'id="tiny"' in page


def test_one_studys_broken_report_leaves_every_other_report_written(tmp_path, study_file,
                                                                    monkeypatch, capsys):
    out = tmp_path / "out"
    run_study(study_file(seeds=1, epochs=1, name="a.toml",
                         replace={'name = "tiny"': 'name = "first"'}), out)
    run_study(study_file(seeds=1, epochs=1, name="b.toml"), out)
    levels = layouts.LAYOUTS["levels"]

    def broken(spec, records):
        if spec.name == "first":
            raise IndexError("tuple index out of range")
        return levels(spec, records)

    monkeypatch.setitem(layouts.LAYOUTS, "levels", broken)
    written = report.build(out)
    assert out / "tiny" / "table.md" in written and (out / "tiny" / "plot.png").exists()
    assert len(written.problems) == 1 and "first" in written.problems[0]
    text = (out / "first" / "table.md").read_text()
    assert "could not be built" in text and "IndexError: tuple index out of range" in text
    page = (out / "index.html").read_text()
    assert 'id="first"' in page and 'id="tiny"' in page and "could not be built" in page
    # the command says so on stderr, in one line per study, and exits 1
    assert main(["study", "report", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "first" in err[0] and "could not be built" in err[0]


@pytest.mark.parametrize("values, bounds", [([0.2, 1.0], (0.0, 1.0)), ([0.0, 0.9], (0.0, 1.0)),
                                            ([0.01, 3.0, 0.02], (0.0, None)),
                                            ([0.99, -2.0], (None, 1.0))])
def test_intervals_of_bounded_metrics_stay_in_the_metrics_range(values, bounds):
    low, high = bounds
    summary = stats.summarize(values, bounds=bounds)
    assert summary.clipped
    assert (low is None or summary.low >= low) and (high is None or summary.high <= high)
    assert summary.show_ci().endswith("†")
    unbounded = stats.summarize(values)
    assert not unbounded.clipped and not unbounded.show_ci().endswith("†")


def fake_records(spec, metric, per_cell):
    """Records of every cell of ``spec``, one per value, with only ``metric`` filled in."""
    records = []
    for (labels, _), values in zip(spec.cells(), per_cell):
        records += [{"cell": labels, "seed": seed, "metrics": {metric: value}, "history": {}}
                    for seed, value in enumerate(values)]
    return records


def test_the_report_clips_accuracy_intervals_and_says_so(tmp_path, study_file):
    spec = S.load(study_file())
    records = fake_records(spec, "val_accuracy", [[0.2, 1.0], [0.9, 0.95]])
    section = layouts.levels(spec, records)
    table = section.table.markdown()
    numbers = [float(x) for x in re.findall(r"-?\d+\.\d+", table)]
    assert numbers and min(numbers) >= 0.0 and max(numbers) <= 1.0
    assert "†" in table
    assert layouts.clipped_note(section) == [stats.CLIPPED_NOTE]   # report._study adds it
    import matplotlib.pyplot as plt
    figure, ax = plt.subplots()
    plots.DRAW["levels"](spec, records, [ax])                 # error bars from the clipped CI
    low, high = ax.get_ylim()
    plt.close(figure)
    assert -0.1 < low and high < 1.1                          # not an axis at -0.4 (issue 16)


def test_a_pipe_in_a_label_does_not_break_the_markdown_row(tmp_path, study_file):
    path = study_file(factors='"model.activation" = {levels = ["relu", "tanh"], '
                              'labels = ["ReLU | max(0, x)", "tanh"]}', seeds=1, epochs=1)
    out = tmp_path / "out"
    run_study(path, out)
    report.build(out)
    rows = [line for line in (out / "tiny" / "table.md").read_text().splitlines()
            if line.startswith("|")]
    cells = [len(re.split(r"(?<!\\)\|", row)) for row in rows]
    assert len(set(cells)) == 1                             # every row has as many cells
    assert any(r"ReLU \| max(0, x)" in row for row in rows)
    assert layouts.Table(["a|b"], [["x\ny"]]).markdown().splitlines()[0] == r"| a\|b |"


def test_reproduce_goes_on_after_a_study_that_cannot_run(tmp_path, study_file, monkeypatch,
                                                         capsys):
    from chainrule.studies import spec as spec_module
    presets = [study_file(seeds=1, epochs=1, name=f"{i:02d}_{name}.toml",
                          replace={'name = "tiny"': f'name = "{name}"'})
               for i, name in enumerate(["alpha", "beta", "gamma"], start=1)]
    monkeypatch.setattr(spec_module, "preset_paths", lambda: presets)
    real_run = runner.run

    def run(spec, out, **kwargs):
        if spec.name == "beta":
            raise OSError("disk full")
        return real_run(spec, out, **kwargs)

    monkeypatch.setattr(runner, "run", run)
    out = tmp_path / "out"
    assert main(["reproduce", "--out", str(out), "--jobs", "1", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "study 'beta' stopped (OSError: disk full)" in err and "going on" in err
    for name in ("alpha", "gamma"):
        assert (out / name / "table.md").exists()
    assert 'id="gamma"' in (out / "index.html").read_text()
