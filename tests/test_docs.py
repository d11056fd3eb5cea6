"""The documentation runs: every ```python block of README.md and docs/tutorial.md, in order,
in one namespace per document, so neither can go stale."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def run_blocks(path: Path, min_blocks: int) -> None:
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    assert len(blocks) >= min_blocks, f"the code blocks of {path.name} were not found"
    namespace = {"__name__": path.stem}
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"{path.name}, python block {number}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"python block {number} of {path.name} failed:\n{code}") from error


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # whatever a block writes lands here


def test_every_python_block_of_the_readme_runs():
    run_blocks(ROOT / "README.md", min_blocks=4)


def test_every_python_block_of_the_tutorial_runs(capsys):
    run_blocks(ROOT / "docs" / "tutorial.md", min_blocks=10)
    assert "0.298371109" in capsys.readouterr().out     # the classic example was printed
