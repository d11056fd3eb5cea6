"""The sequence tasks: shapes, seeding, and answers that really hang on the early inputs."""
import numpy as np
import pytest

from chainrule.data import sequences


def test_adding_problem_sums_the_two_marked_values():
    task = sequences.adding_problem(500, length=20, seed=3)
    assert task.X.shape == (500, 20, 2) and task.X.dtype == np.float32 and task.task == "regression"
    values, markers = task.X[..., 0], task.X[..., 1]
    assert (markers.sum(axis=1) == 2).all()
    assert (markers[:, :10].sum(axis=1) == 1).all()                   # one in each half
    np.testing.assert_allclose(task.y, (values * markers).sum(axis=1), rtol=1e-6)
    assert abs(task.y.mean() - 1.0) < 0.05 and abs(task.y.var() - 1 / 6) < 0.03
    np.testing.assert_array_equal(task.X, sequences.adding_problem(500, length=20, seed=3).X)
    assert not np.array_equal(task.X, sequences.adding_problem(500, length=20, seed=4).X)


def test_copy_memory_asks_for_the_first_symbol_after_the_cue():
    task = sequences.copy_memory(400, delay=7, n_symbols=3, seed=0)
    assert task.X.shape == (400, 9, 5) and task.task == "classification"
    tokens = task.X.argmax(axis=2)
    assert (task.X.sum(axis=2) == 1).all()                            # one-hot steps
    np.testing.assert_array_equal(tokens[:, 0], task.y)
    assert (tokens[:, -1] == 4).all() and (tokens[:, 1:-1] < 4).all()  # cue last, no cue before
    assert set(np.unique(task.y)) == {0, 1, 2} and task.n_classes == 3
    # the delay really distracts: the last symbol shown is not the answer most of the time
    shown = tokens[:, 1:-1]
    last = np.array([row[row < 3][-1] if (row < 3).any() else -1 for row in shown])
    assert np.mean(last == task.y) < 0.6


@pytest.mark.parametrize("call, match", [
    (lambda: sequences.adding_problem(10, length=1), "'length' parameter of adding_problem"),
    (lambda: sequences.adding_problem(0), "'n_samples'"),
    (lambda: sequences.copy_memory(10, delay=-1), "'delay' parameter of copy_memory"),
    (lambda: sequences.copy_memory(10, n_symbols=1), "'n_symbols'"),
])
def test_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
