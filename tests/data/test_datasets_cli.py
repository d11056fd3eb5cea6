"""``chainrule datasets list`` and ``chainrule datasets info NAME``, offline."""
import pytest

from chainrule import data
from chainrule.cli import main


def test_list_shows_every_dataset(capsys):
    assert main(["datasets", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["name", "task", "available"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == list(data.DATASETS)
    assert any(line.startswith("diabetes") and "regression" in line for line in lines)


@pytest.mark.parametrize("name,expected", [
    ("iris", ["samples:   150", "features:  4 (sepal length (cm)", "setosa", "options:   none"]),
    ("moons", ["classes:   2", "options:   n_samples=200, noise=0.1, seed=0"]),
    ("sine", ["task:      regression", "target:    y, range"]),
])
def test_info(capsys, name, expected):
    assert main(["datasets", "info", name]) == 0
    out = capsys.readouterr().out
    for text in expected:
        assert text in out


def test_info_errors(capsys, offline_env):
    assert main(["datasets", "info", "irs"]) == 2
    assert "Did you mean 'iris'" in capsys.readouterr().err
    assert main(["datasets", "info", "mnist"]) == 2          # files absent: one line, stderr
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CHAINRULE_DATA" in err[0]
