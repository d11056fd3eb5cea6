"""docs/tutorial.md runs: every ```python block, in order, in one namespace."""
import re
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_every_python_block_of_the_tutorial_runs(tmp_path, monkeypatch, capsys):
    blocks = BLOCK.findall(TUTORIAL.read_text(encoding="utf-8"))
    assert len(blocks) >= 10, "the tutorial's code blocks were not found"
    monkeypatch.chdir(tmp_path)                 # whatever a block writes lands here
    namespace = {"__name__": "tutorial"}
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"{TUTORIAL.name}, python block {number}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"python block {number} of docs/tutorial.md failed:\n{code}") from error
    assert "0.298371109" in capsys.readouterr().out     # the classic example was printed
