"""The documentation runs: every ```python block of README.md, docs/tutorial.md and
docs/tune.md, in order, in one namespace per document, so none can go stale. A block whose
first line is ``# needs: onnx, onnxruntime`` runs only where those optional packages are
installed (CI installs them); without them the others still run and the test reports the
skip. The ``chainrule`` commands of the README's "Command line" section run too."""
import importlib.util
import re
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
NEEDS = re.compile(r"#\s*needs:\s*(.+)")


def run_blocks(path: Path, min_blocks: int) -> None:
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    assert len(blocks) >= min_blocks, f"the code blocks of {path.name} were not found"
    namespace = {"__name__": path.stem}
    skipped = []
    for number, code in enumerate(blocks, 1):
        needs = NEEDS.match(code.splitlines()[0]) if code.strip() else None
        absent = [name.strip() for name in needs.group(1).split(",")
                  if not installed(name.strip())] if needs else []
        if absent:
            skipped.append(f"block {number} needs {', '.join(absent)}")
            continue
        try:
            exec(compile(code, f"{path.name}, python block {number}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"python block {number} of {path.name} failed:\n{code}") from error
    if skipped:
        pytest.skip(f"{path.name}: every other block ran; {'; '.join(skipped)} (not installed)")


def installed(name: str) -> bool:
    # NOTE: a package imported already may have no __spec__ (optuna_integration's lazy
    # module), and find_spec then raises ValueError
    return name in sys.modules or importlib.util.find_spec(name) is not None


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # whatever a block writes lands here


def test_every_python_block_of_the_readme_runs():
    run_blocks(ROOT / "README.md", min_blocks=4)


def test_every_python_block_of_the_tutorial_runs(capsys):
    run_blocks(ROOT / "docs" / "tutorial.md", min_blocks=10)
    assert "0.298371109" in capsys.readouterr().out     # the classic example was printed


def test_every_python_block_of_the_tune_guide_runs():
    run_blocks(ROOT / "docs" / "tune.md", min_blocks=3)


def test_the_command_line_section_of_the_readme_runs(tmp_path, capsys):
    """Its commands, on iris written as the CSV files they name."""
    import csv

    import chainrule
    from chainrule.cli import main

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Command line", 1)[1]
    commands = re.search(r"^```sh\n(.*?)^```", section, re.S | re.M).group(1).splitlines()
    iris = chainrule.data.load("iris")
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    for name, header, rows in (
            ("iris.csv", names + ["species"],
             [[*x, iris.target_names[y]] for x, y in zip(iris.X.tolist(), iris.y)]),
            ("new_rows.csv", names, iris.X[::10].tolist())):
        with open(tmp_path / name, "w", newline="") as file:
            csv.writer(file).writerows([header, *rows])
    assert len(commands) == 4
    for line in commands:
        argv = shlex.split(line, comments=True)
        assert argv[0] == "chainrule"
        assert main(argv[1:]) == 0, line
    out = capsys.readouterr().out
    assert "Classes (3): setosa, versicolor, virginica" in out       # the summary
    predictions = (tmp_path / "predictions.csv").read_text().splitlines()
    assert predictions[0] == "species,proba_setosa,proba_versicolor,proba_virginica"
    assert len(predictions) == 1 + 15
