"""The two kernel paths of Adam, AdamW and SGD (NumPy chunks, one Numba loop) agree bitwise.

Both paths run every case; the other optimizer tests check the default path against
hand-computed rules and PyTorch, so bitwise agreement carries those checks to both.
"""
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.optim import _kernels
from optim_helpers import Drift, make_params

pytest.importorskip("numba")     # the test extra installs it; both paths must run in CI

BACKENDS = ("numpy", "numba")


@pytest.fixture
def restore_backend():
    previous = _kernels.get_backend()
    yield
    _kernels.set_backend(previous)


def combos(**options):
    return [dict(zip(options, values)) for values in itertools.product(*options.values())]


CASES = (
    [(optim.SGD, dict(lr=0.05, **c)) for c in combos(
        momentum=[0.0, 0.9], dampening=[0.0, 0.5], weight_decay=[0.0, 0.1],
        nesterov=[False, True], maximize=[False, True])
     if not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0)]
    + [(optim.Adam, dict(lr=0.05, **c)) for c in combos(
        amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True],
        betas=[(0.9, 0.999), (0.3, 0.9)])]
    + [(optim.AdamW, dict(lr=0.05, **c)) for c in combos(
        amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True])]
)


def run(backend, cls, kw, dtype, steps=15, params=None):
    """Parameters and state arrays after ``steps`` updates on the Drift problem."""
    _kernels.set_backend(backend)
    params = make_params(dtype) if params is None else params
    problem = Drift(params)
    opt = cls(params, **kw)
    for k in range(1, steps + 1):
        problem.set_grads(k, params)
        opt.step()
    state = [a for p in params for a in opt.state[p].values() if isinstance(a, np.ndarray)]
    return [p.data.copy() for p in params] + state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, kw", CASES, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CASES)])
def test_numba_and_numpy_updates_agree_bitwise(cls, kw, dtype, restore_backend):
    ours, theirs = (run(backend, cls, kw, dtype) for backend in BACKENDS)
    assert len(ours) == len(theirs) >= 2
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)


def spy(monkeypatch, name):
    """Count the calls of the compiled kernel ``name``."""
    from chainrule.optim import _numba_kernels
    calls = []
    kernel = getattr(_numba_kernels, name)
    monkeypatch.setattr(_numba_kernels, name, lambda *args: calls.append(1) or kernel(*args))
    return calls


@pytest.mark.parametrize("cls, name", [(optim.Adam, "adam"), (optim.SGD, "sgd")])
def test_the_numba_path_runs_when_selected(cls, name, monkeypatch, restore_backend):
    calls = spy(monkeypatch, name)
    run("numba", cls, dict(lr=0.1, momentum=0.9) if cls is optim.SGD else dict(lr=0.1), np.float32, 3)
    assert len(calls) == 3 * 2                       # 3 steps, 2 parameters
    calls.clear()
    run("numpy", cls, dict(lr=0.1), np.float32, 3)
    assert not calls


@pytest.mark.parametrize("case", ["strided", "float64 grad", "large"])
def test_arrays_unfit_for_numba_fall_back_and_agree(case, monkeypatch, restore_backend):
    """Strided or mixed-dtype arrays take the NumPy path; large ones are chunked by it."""
    rng = np.random.default_rng(0)
    shape = (70, 1000) if case == "large" else (6, 5)        # 70,000 > one 32,768 chunk
    base = rng.standard_normal(shape[::-1]).astype(np.float32)
    grads = rng.standard_normal((4,) + shape)
    calls = spy(monkeypatch, "adam")
    results = []
    for backend in BACKENDS:
        _kernels.set_backend(backend)
        p = cr.nn.Parameter(base.copy().T if case == "strided" else base.T.copy())
        assert p.data.flags.c_contiguous == (case != "strided")
        opt = optim.Adam([p], lr=0.1, amsgrad=True)
        for g in grads:
            p.grad = g if case == "float64 grad" else g.astype(np.float32)
            opt.step()
        results.append(p.data.copy())
    np.testing.assert_array_equal(*results)
    assert len(calls) == (4 if case == "large" else 0)


def test_nan_and_inf_gradients_propagate_alike(restore_backend):
    grads = np.array([[np.nan, np.inf, -np.inf, 1.0, 0.0]] * 3, dtype=np.float32)
    results = []
    for backend in BACKENDS:
        _kernels.set_backend(backend)
        p = cr.nn.Parameter(np.ones(5, np.float32))
        opt = optim.Adam([p], lr=0.1, amsgrad=True, weight_decay=0.1)
        for g in grads:
            p.grad = g.copy()
            with np.errstate(invalid="ignore"):      # NumPy warns about inf / inf; Numba does not
                opt.step()
        results.append([p.data.copy()] + [v for v in opt.state[p].values() if isinstance(v, np.ndarray)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    assert np.isnan(results[0][0][0]) and np.isfinite(results[0][0][3])


def test_backend_selection_errors_name_the_parameter_and_the_fix(restore_backend):
    with pytest.raises(ValueError, match=r"'backend' parameter of chainrule.optim.set_kernel_backend "
                                          r"must be one of 'auto', 'numpy', 'numba'\. Got 'numbaa'"):
        optim.set_kernel_backend("numbaa")
    assert optim.set_kernel_backend("numpy") in BACKENDS
    assert optim.get_kernel_backend() == "numpy"
    optim.set_kernel_backend("auto")
    assert optim.get_kernel_backend() == "numba"


@pytest.mark.parametrize("value, expected", [("numpy", "numpy"), ("numba", "numba"), ("auto", "numba")])
def test_the_environment_variable_selects_the_backend(value, expected):
    code = "import chainrule.optim as o; print(o.get_kernel_backend())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "CHAINRULE_KERNELS": value})
    assert out.stdout.strip() == expected


def test_a_misspelt_environment_variable_fails_at_import():
    out = subprocess.run([sys.executable, "-c", "import chainrule"], capture_output=True, text=True,
                         env={**os.environ, "CHAINRULE_KERNELS": "nmupy"})
    assert out.returncode != 0
    assert "environment variable CHAINRULE_KERNELS" in out.stderr and "Did you mean 'numpy'?" in out.stderr
