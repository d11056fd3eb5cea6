"""``chainrule explain``: the printed numbers of the classic example, parsed from the output."""
import json
import re

import pytest

from chainrule.cli import main


def run(capsys, *argv) -> str:
    assert main(["explain", *argv]) == 0
    return capsys.readouterr().out


def updated_weights(text: str) -> dict:
    """``{"w1": 0.149780716, ...}`` from the last column of the weights table."""
    rows = re.findall(r"^(w\d+)\s+\S+ -> \S+\s.*\s(-?\d\.\d+)$", text, flags=re.M)
    return {name: float(value) for name, value in rows}


def test_default_is_the_classic_example(capsys):
    out = run(capsys)
    assert float(re.search(r"Total error E = ([\d.]+)", out).group(1)) == pytest.approx(
        0.298371109, abs=1e-9)
    weights = updated_weights(out)
    expected = {"w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121,
                "w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229}
    assert set(weights) == set(expected)
    for name, value in expected.items():
        assert weights[name] == pytest.approx(value, abs=6e-9), name
    assert "fixed (not updated)" in out
    assert float(re.search(r"max \|difference\| = (\S+) ", out).group(1)) <= 1e-10


def test_ten_thousand_steps(capsys):
    out = run(capsys, "--steps", "10000")
    error = float(re.search(r"Error after 10000 steps: (\S+);", out).group(1))
    assert error == pytest.approx(3.5102e-05, rel=0.01)


def test_other_network_is_drawn_from_the_seed(capsys):
    first = run(capsys, "--network", "2-3-1", "--seed", "3", "--activation", "tanh")
    again = run(capsys, "--network", "2-3-1", "--seed", "3", "--activation", "tanh")
    other = run(capsys, "--network", "2-3-1", "--seed", "4", "--activation", "tanh")
    assert first == again != other
    assert "layers         2-3-1" in first and "w9" in first and "w10" not in first


def test_json_and_markdown(capsys):
    data = json.loads(run(capsys, "--format", "json", "--steps", "3", "--lr", "0.1"))
    assert data["network"]["sizes"] == [2, 2, 2] and data["network"]["lr"] == 0.1
    assert len(data["weights"]) == 8 + 4 and set(data["errors"]) == {"0", "1", "2", "3"}
    markdown = run(capsys, "--format", "markdown", "--update-bias")
    assert "### Backward pass, weights" in markdown and "| b_h1 |" in markdown


@pytest.mark.parametrize("argv", [["--network", "2-x"], ["--network", "3"], ["--steps", "0"],
                                  ["--lr", "-1"], ["--activation", "softmax"]])
def test_bad_arguments_are_usage_errors(capsys, argv):
    assert main(["explain", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("chainrule explain: error:")
