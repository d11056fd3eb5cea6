"""Shared fixtures: iris standardised on its training rows (test rows held out)."""
import numpy as np
import pytest

from chainrule import data


@pytest.fixture(scope="session")
def iris_split():
    split = data.train_val_test_split(data.load("iris"), val=0.0, test=0.25, seed=0)
    mean, std = split.X_train.mean(0), split.X_train.std(0)
    scale = lambda X: ((X - mean) / std).astype(np.float32)   # noqa: E731
    return scale(split.X_train), split.y_train, scale(split.X_test), split.y_test


@pytest.fixture(scope="session")
def digits_split():
    split = data.train_val_test_split(data.load("digits"), val=0.0, test=0.25, seed=0)
    scale = lambda X: (X / 16.0).astype(np.float32)            # noqa: E731  pixels in [0, 1]
    return scale(split.X_train), split.y_train, scale(split.X_test), split.y_test
