"""Shared data for the training tests: scikit-learn's digits and breast cancer, split once."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def digits():
    """Stratified 75/25 split, seed 0; pixels scaled to [0, 1]."""
    d = load_digits()
    return train_test_split(d.data / 16.0, d.target, test_size=0.25, stratify=d.target,
                            random_state=0)


@pytest.fixture(scope="session")
def breast_cancer():
    """Stratified 75/25 split, seed 0; features standardised on the training rows."""
    b = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(b.data, b.target, test_size=0.25,
                                                        stratify=b.target, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture
def blobs():
    """A small, easy 3-class problem for fast behavioural tests."""
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    y = rng.integers(0, 3, 150)
    X = centers[y] + rng.normal(scale=0.6, size=(150, 2))
    return X.astype(np.float32), y
