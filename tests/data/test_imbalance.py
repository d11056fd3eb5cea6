"""Class imbalance helpers: the counts they promise, seeded draws, sklearn's balanced weights."""
import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from chainrule import data


def four_classes(n_per_class=50):
    y = np.repeat(np.arange(4), n_per_class)
    X = np.column_stack([np.arange(len(y)), y]).astype(float)    # row id, label
    return X, y


def test_make_imbalanced_keeps_the_asked_fractions():
    X, y = four_classes()
    X_small, y_small = data.make_imbalanced((X, y), {1: 0.1, 3: 0.5}, seed=0)
    assert np.bincount(y_small).tolist() == [50, 5, 50, 25]
    np.testing.assert_array_equal(X_small[:, 1], y_small)               # rows stay whole
    assert np.all(np.diff(X_small[:, 0]) > 0)                          # in original order
    again = data.make_imbalanced((X, y), [1.0, 0.1, 1.0, 0.5], seed=0)
    np.testing.assert_array_equal(again[0], X_small)
    other = data.make_imbalanced((X, y), {1: 0.1}, seed=1)[0]
    assert not np.array_equal(other[other[:, 1] == 1], X_small[X_small[:, 1] == 1])
    assert np.bincount(data.make_imbalanced((X, y), {0: 0.001})[1])[0] == 1   # at least one


def test_make_imbalanced_on_a_dataset_with_a_source_split_thins_training_rows_only():
    y = np.tile(np.arange(4), 20)                          # 15 of each class in training
    X = np.column_stack([np.arange(80), y]).astype(float)
    toy = data.Dataset(X, y, "toy", target_names=list("abcd"), n_train=60)
    thin = data.make_imbalanced(toy, {0: 0.2}, seed=0)
    assert thin.train.class_counts().tolist() == [3, 15, 15, 15]
    np.testing.assert_array_equal(thin.test.X, toy.test.X)
    assert thin.target_names == list("abcd") and thin.n_train == 48 and len(thin.test) == 20
    plain = data.make_imbalanced(data.load("digits"), {0: 0.1}, seed=0)
    assert plain.class_counts()[0] == 18 and plain.class_counts()[1] == 182


def test_make_imbalanced_errors():
    X, y = four_classes()
    with pytest.raises(ValueError, match="'ratios\\[1\\]' parameter of make_imbalanced"):
        data.make_imbalanced((X, y), {1: 0.0})
    with pytest.raises(ValueError, match="'ratios' parameter.*4 fractions"):
        data.make_imbalanced((X, y), [0.5, 0.5])
    with pytest.raises(ValueError, match="keys that are classes"):
        data.make_imbalanced((X, y), {7: 0.5})


def test_oversample_and_undersample():
    X, y = data.make_imbalanced(four_classes(), {0: 0.2, 2: 0.5}, seed=0)
    X_over, y_over = data.random_oversample((X, y), seed=0)
    assert np.bincount(y_over).tolist() == [50, 50, 50, 50]
    assert set(map(tuple, X)) == set(map(tuple, X_over))        # every row kept, only repeats
    X_under, y_under = data.random_undersample((X, y), seed=0)
    assert np.bincount(y_under).tolist() == [10, 10, 10, 10]
    assert len(set(X_under[:, 0])) == 40                          # no row twice
    np.testing.assert_array_equal(data.random_undersample((X, y), seed=0)[0], X_under)
    digits = data.load("digits")
    assert data.random_oversample(digits, seed=0).class_counts().min() == 183


@pytest.mark.parametrize("counts", [[10, 30, 60], [5, 5, 90], [1, 1, 1]])
def test_balanced_weights_equal_scikit_learn(counts):
    y = np.repeat(np.arange(3), counts)
    ours = data.class_weights(y, "balanced")
    theirs = compute_class_weight("balanced", classes=np.arange(3), y=y)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose((ours[y]).sum() / 3, ours[0] * counts[0], rtol=1e-5)


def test_class_weight_options():
    y = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(data.class_weights(y, {1: 3.0}), [1, 3])
    np.testing.assert_allclose(data.class_weights(y, None, n_classes=3), [1, 1, 1])
    # class 2 is absent: it keeps weight 1, the present ones are balanced among themselves
    np.testing.assert_allclose(data.class_weights(y, "balanced", n_classes=3),
                               [4 / 6, 4 / 2, 1])
    assert len(data.class_weights(data.load("iris"))) == 3
    with pytest.raises(ValueError, match="'weights' parameter of class_weights.*'balanced'"):
        data.class_weights(y, "balance")
    with pytest.raises(ValueError, match="'n_classes' parameter"):
        data.class_weights(y, n_classes=1)
    with pytest.raises(ValueError, match="'y' parameter"):
        data.class_weights([0.5, 1.0])
