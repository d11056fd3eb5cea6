"""Splits: disjoint, complete, seeded, stratified; k-fold covers every row once."""
import numpy as np
import pytest

from chainrule import data


def labelled(n=200, weights=(0.6, 0.3, 0.1), seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice(len(weights), n, p=weights)
    X = np.column_stack([np.arange(n), rng.normal(size=n)])   # column 0 is the row id
    return X, y


def row_ids(X):
    return X[:, 0].astype(int)


def test_parts_are_disjoint_complete_and_sized():
    X, y = labelled()
    split = data.train_val_test_split(X, y, val=0.15, test=0.2, seed=0)
    ids = [row_ids(split.X_train), row_ids(split.X_val), row_ids(split.X_test)]
    assert sorted(np.concatenate(ids).tolist()) == list(range(200))
    assert split.sizes() == {"train": 130, "val": 30, "test": 40}
    for X_part, y_part in (split.train, split.val, split.test):
        np.testing.assert_array_equal(y_part, y[row_ids(X_part)])   # rows keep their labels


def test_stratified_keeps_class_proportions():
    X, y = labelled(n=400)
    split = data.train_val_test_split(X, y, val=0.2, test=0.2, seed=1)
    overall = np.bincount(y) / len(y)
    for part in (split.y_train, split.y_val, split.y_test):
        np.testing.assert_allclose(np.bincount(part, minlength=3) / len(part), overall,
                                   atol=1.5 / len(part))
    loose = data.train_val_test_split(X, y, val=0.2, test=0.2, seed=1, stratify=False)
    assert not np.array_equal(np.sort(row_ids(loose.X_test)), np.sort(row_ids(split.X_test)))


def test_seeded():
    X, y = labelled()
    a = data.train_val_test_split(X, y, val=0.1, test=0.2, seed=5)
    b = data.train_val_test_split(X, y, val=0.1, test=0.2, seed=5)
    c = data.train_val_test_split(X, y, val=0.1, test=0.2, seed=6)
    np.testing.assert_array_equal(a.X_val, b.X_val)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_test, c.X_test)
    generator = np.random.default_rng(0)                  # a Generator works as a seed too
    assert data.train_val_test_split(X, y, seed=generator).X_val is None


def test_dataset_with_its_own_split_keeps_the_source_test_rows():
    mnist1d_like = data.Dataset(*labelled(n=100), name="toy", n_train=80)
    split = data.train_val_test_split(mnist1d_like, val=0.25, seed=0)
    np.testing.assert_array_equal(split.X_test, mnist1d_like.test.X)
    assert split.sizes() == {"train": 60, "val": 20, "test": 20}
    assert set(row_ids(split.X_val)) < set(range(80))
    random_test = data.train_val_test_split(mnist1d_like, test=0.5, seed=0)
    assert random_test.sizes() == {"train": 50, "val": 0, "test": 50}


def test_regression_targets_are_not_stratified():
    diabetes = data.load("diabetes")
    split = data.train_val_test_split(diabetes, val=0.1, test=0.1, seed=0)
    assert sum(split.sizes().values()) == len(diabetes)


@pytest.mark.parametrize("kwargs,match", [
    ({"val": 0.5, "test": 0.5}, "'val' parameter.*less than 0.5"),
    ({"test": 1.0}, "'test' parameter"),
    ({"val": -0.1}, "'val' parameter"),
])
def test_split_errors(kwargs, match):
    X, y = labelled()
    with pytest.raises(ValueError, match=match):
        data.train_val_test_split(X, y, **kwargs)
    with pytest.raises(ValueError, match="'y' parameter.*200 rows"):
        data.train_val_test_split(X, y[:-1])


@pytest.mark.parametrize("stratify", [False, True])
def test_kfold(stratify):
    X, y = labelled(n=103)
    folds = data.kfold(len(y), k=5, stratify_y=y if stratify else None, seed=0)
    assert len(folds) == 5
    val_rows = np.concatenate([val for _, val in folds])
    assert sorted(val_rows.tolist()) == list(range(103))
    for train, val in folds:
        assert not set(train) & set(val) and len(train) + len(val) == 103
        if stratify:
            assert abs(np.mean(y[val] == 2) - np.mean(y == 2)) < 0.05
    again = data.kfold(y, k=5, stratify_y=y if stratify else None, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    with pytest.raises(ValueError, match="'k' parameter of kfold"):
        data.kfold(3, k=4)
