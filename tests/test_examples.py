"""The example scripts run (with small settings, so that they cannot go stale)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule import data

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(data.missing("fashion-mnist") is not None, reason="Fashion-MNIST is not installed")
def test_the_fashion_mnist_cnn_example_trains():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "fashion_mnist_cnn.py"), "--epochs", "1",
                          "--train-size", "2000"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    accuracy = float(out.stdout.split("test accuracy")[1].split(",")[0])
    assert accuracy > 0.5, out.stdout          # 2,000 images, one epoch: about 0.65; chance is 0.1
