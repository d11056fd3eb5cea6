"""Preprocessing: every step works, and the pipeline is fitted on training rows only."""
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA

from chainrule import data, tensor


class Spy(TransformerMixin, BaseEstimator):
    """A transformer that records every row it is fitted on and every row it transforms."""

    def fit(self, X, y=None):
        self.fitted_rows_ = np.array(X, copy=True)
        return self

    def transform(self, X):
        self.transformed_ = getattr(self, "transformed_", []) + [len(X)]
        return X


def shifted_split(seed=0):
    """A split whose test rows sit far from the training rows, so any leak shows."""
    rng = np.random.default_rng(seed)
    X_train = rng.normal(0.0, 1.0, (80, 5))
    X_val = rng.normal(0.0, 1.0, (20, 5))
    X_test = rng.normal(50.0, 10.0, (30, 5))
    y = lambda n: rng.integers(0, 3, n)           # noqa: E731
    return data.Split(X_train, y(80), X_val, y(20), X_test, y(30))


def test_the_scaler_never_sees_the_test_rows():
    split = shifted_split()
    spy = Spy()
    ready = data.prepare(split, [spy, "standardize"])
    np.testing.assert_array_equal(spy.fitted_rows_, split.X_train)   # fitted on train only
    assert spy.transformed_[-3:] == [80, 20, 30]                     # then applied to each part
    scaler = ready.pipeline.steps[1][1]
    np.testing.assert_allclose(scaler.mean_, split.X_train.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, split.X_train.std(axis=0))
    everything = np.concatenate([split.X_train, split.X_val, split.X_test])
    assert not np.allclose(scaler.mean_, everything.mean(axis=0))
    np.testing.assert_allclose(ready.X_train.mean(axis=0), 0, atol=1e-5)
    assert ready.X_test.mean() > 10                  # the test rows stay far away, as they are
    assert ready.X_train.dtype == np.float32 and ready.y_test is split.y_test


@pytest.mark.parametrize("step,check", [
    ("standardize", lambda Z: np.allclose(Z.mean(0), 0, atol=1e-5)
     and np.allclose(Z.std(0), 1, atol=1e-4)),
    ("normalize", lambda Z: np.isclose(Z.min(), 0) and np.isclose(Z.max(), 1)),
    ("minmax", lambda Z: np.isclose(Z.min(), 0) and np.isclose(Z.max(), 1)),
    ("maxabs", lambda Z: np.allclose(np.abs(Z).max(0), 1)),
    ("robust", lambda Z: np.allclose(np.median(Z, 0), 0, atol=1e-6)),
    (("pca", {"n_components": 2}), lambda Z: Z.shape[1] == 2),
])
def test_each_step_on_training_rows(step, check):
    ready = data.prepare(shifted_split(), [step])
    assert check(ready.X_train)
    assert ready.X_val.shape[0] == 20 and ready.X_test.shape[0] == 30


def test_pca_keeps_the_asked_variance_fraction():
    digits = data.load("digits")
    split = data.train_val_test_split(digits, test=0.25, seed=0)
    ready = data.prepare(split, ["standardize", ("pca", {"n_components": 0.9})])
    pca = ready.pipeline.steps[-1][1]
    kept = np.cumsum(pca.explained_variance_ratio_)
    assert kept[-1] >= 0.9 and kept[-2] < 0.9
    assert ready.X_train.shape[1] == pca.n_components_ < 64
    reference = PCA(n_components=pca.n_components_, svd_solver="full").fit(
        ready.pipeline.steps[0][1].transform(split.X_train))
    np.testing.assert_allclose(np.abs(pca.components_), np.abs(reference.components_),
                               atol=1e-5)


def test_onehot_on_chosen_columns():
    X = np.array([[0, 1.5, 2], [1, 2.5, 0], [2, 3.5, 2], [1, 4.5, 1]], dtype=float)
    split = data.Split(X, np.zeros(4, int), None, None, np.array([[2, 9.0, 5]]), np.zeros(1, int))
    ready = data.prepare(split, [("onehot", {"columns": [0, 2]})])
    assert ready.X_val is None
    np.testing.assert_array_equal(ready.X_train[1], [0, 1, 0, 1, 0, 0, 2.5])
    # a category never seen in training (5 in column 2) encodes as all zeros
    np.testing.assert_array_equal(ready.X_test[0], [0, 0, 1, 0, 0, 0, 9.0])


def test_a_dataset_with_its_own_split_is_accepted():
    toy = data.Dataset(np.arange(20.0).reshape(10, 2), np.arange(10) % 2, n_train=8)
    ready = data.prepare(toy, ["normalize"])
    assert ready.X_train.max() == pytest.approx(1.0) and ready.X_test.min() > 1.1


def test_errors():
    split = shifted_split()
    with pytest.raises(ValueError, match="'step' parameter of prepare.*Did you mean 'pca'"):
        data.prepare(split, ["pcaa"])
    with pytest.raises(TypeError, match="'options' parameter of the 'standardize' step"):
        data.prepare(split, [("standardize", {"with_means": False})])
    with pytest.raises(ValueError, match="'n_components' parameter of pca"):
        data.prepare(split, [("pca", {"n_components": 1.5})])
    with pytest.raises(ValueError, match="'data' parameter of prepare.*train_val_test_split"):
        data.prepare(data.load("iris"), ["standardize"])


def test_one_hot():
    np.testing.assert_array_equal(data.one_hot([2, 0]), [[0, 0, 1], [1, 0, 0]])
    assert data.one_hot(tensor(np.array([1, 1])), num_classes=4).shape == (2, 4)
    assert data.one_hot([1], 3).dtype == np.float32
    with pytest.raises(ValueError, match="'num_classes' parameter of one_hot"):
        data.one_hot([3], num_classes=2)
    with pytest.raises(ValueError, match="'y' parameter of one_hot"):
        data.one_hot([0.5])
