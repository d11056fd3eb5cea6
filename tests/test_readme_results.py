"""The README's result tables come from one recorded run of today's presets: each marked
table carries the fingerprint of the spec it was run with (tools/readme_results.py)."""
import importlib.util
from pathlib import Path

import pytest

from chainrule.studies import runner
from chainrule.studies import spec as S

ROOT = Path(__file__).resolve().parents[1]


def tool():
    spec = importlib.util.spec_from_file_location("readme_results",
                                                  ROOT / "tools" / "readme_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_readme_table_comes_from_a_run_of_todays_presets():
    marked = tool().marked_studies((ROOT / "README.md").read_text())
    assert [name for name, _ in marked] == ["optimizers", "regularization", "class_imbalance",
                                           "mlp_vs_cnn", "differentiability", "feedback_alignment"]
    presets = {S.load(path).name: S.load(path) for path in S.preset_paths()}
    for name, mark in marked:
        assert mark == runner.fingerprint(presets[name]), (
            f"README's {name} table was not made from a run of today's preset: run "
            f"'chainrule reproduce --out results' and 'python tools/readme_results.py results'")


def test_the_tool_rebuilds_marked_tables_from_a_run_and_refuses_a_quick_one(tmp_path,
                                                                          study_file):
    path = study_file(seeds=1, epochs=1)
    runner.run(S.load(path), tmp_path / "full", jobs=1, progress=False)
    readme = "Intro.\n\n<!-- study: tiny -->\n| stale | table |\n<!-- /study -->\n\nEnd.\n"
    filled = tool().fill(readme, tmp_path / "full")
    assert "stale" not in filled and "| Activation |" in filled
    assert filled.startswith("Intro.") and filled.endswith("End.\n")
    assert tool().marked_studies(filled) == [("tiny", runner.fingerprint(S.load(path)))]
    runner.run(S.load(path, quick=True), tmp_path / "quick", jobs=1, progress=False)
    with pytest.raises(SystemExit, match="quick"):
        tool().fill(readme, tmp_path / "quick")
