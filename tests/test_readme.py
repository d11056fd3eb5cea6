"""README.md's tour runs: every ```python block, in order, in one namespace."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_every_python_block_of_the_readme_runs(tmp_path, monkeypatch):
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 4, "the README's code blocks were not found"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"README.md, python block {number}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"python block {number} of README.md failed:\n{code}") from error
