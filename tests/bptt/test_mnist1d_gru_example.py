"""The README's MNIST-1D GRU recipe (examples/mnist1d_gru.py) runs, and learns in a few epochs."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_mnist1d_gru_example_learns():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "mnist1d_gru.py"), "--epochs", "2"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.25                      # chance is 0.1; 150 epochs reach about 0.91
