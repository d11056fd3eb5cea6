"""Optimisations must not change learning: a 3-epoch digits run against stored float64 curves.

``benchmarks/make_reference.py`` defines the run (digits, 64-32-10 tanh MLP, Adam and SGD
with momentum, mini-batches of 64, fixed seeds) and wrote
``tests/data_files/performance_reference.json`` in float64 with the code as it was before
the performance work. Here the same run, on both optimizer kernel paths, must give

* in float32 (the default): every batch loss and the per-epoch loss, gradient norm and
  validation loss within float32 rounding of the reference (observed: <= 5e-7 relative
  after 72 steps; tolerance 1e-5);
* in float64: the reference to 1e-10 (observed: bitwise), so any change of the arithmetic
  itself (a reordered update rule, a dropped term) shows at once.
"""
import importlib.util
import json
import os

import numpy as np
import pytest

from chainrule.optim import _kernels

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "tests", "data_files", "performance_reference.json")


def _load_generator():
    path = os.path.join(ROOT, "benchmarks", "make_reference.py")
    spec = importlib.util.spec_from_file_location("make_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()
with open(REFERENCE) as f:
    reference = json.load(f)

BACKENDS = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-7), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.fixture(params=BACKENDS)
def backend(request):
    previous = _kernels.set_backend(request.param)
    yield request.param
    _kernels.set_backend(previous)


def test_the_stored_reference_describes_the_run_the_generator_makes():
    assert reference["config"] == generator.CONFIG
    assert reference["optimizers"] == {k: list(v) for k, v in generator.OPTIMIZERS.items()}
    for curves in reference["curves"].values():
        assert len(curves["batch_loss"]) == 3 * 24               # ceil(1500 / 64) batches
        assert curves["loss"][-1] < 0.3 * curves["loss"][0]     # it does learn


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("optimizer", sorted(generator.OPTIMIZERS))
def test_learning_curves_match_the_float64_reference(optimizer, dtype, backend):
    curves = generator.learning_curves(optimizer, dtype)
    expected = reference["curves"][optimizer]
    assert curves.keys() == expected.keys()
    for name, values in expected.items():
        np.testing.assert_allclose(curves[name], values, **TOLERANCE[dtype],
                                   err_msg=f"{optimizer} {name} ({backend} kernels)")
