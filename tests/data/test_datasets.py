"""Every registered data set loads with the network off (see conftest.py), with the right shapes."""
import os
import random
import socket

import numpy as np
import pytest
import sklearn.datasets as skd

from chainrule import data
from chainrule.data import datasets, idx

from idx_testing import write_fake_mnist


def test_the_network_is_really_off():
    with pytest.raises(RuntimeError, match="network is disabled"):
        socket.create_connection(("127.0.0.1", 9))


def check_invariants(ds: data.Dataset):
    assert ds.X.dtype == np.float32 and ds.X.ndim == 2 and len(ds.y) == len(ds.X)
    assert np.isfinite(ds.X).all()
    assert len(ds.feature_names) == ds.n_features
    if ds.task == "classification":
        assert ds.y.dtype == np.int64 and ds.y.min() >= 0 and ds.y.max() < ds.n_classes
        assert len(ds.target_names) == ds.n_classes
    else:
        assert ds.y.dtype == np.float32
    if ds.has_split:
        assert len(ds.train) + len(ds.test) == len(ds)
        assert np.shares_memory(ds.train.X, ds.X) and np.shares_memory(ds.test.y, ds.y)


def test_every_registered_dataset_is_tested_here():
    tested = set(BUNDLED) | set(SYNTHETIC) | {"mnist1d", "mnist", "fashion-mnist"}
    assert set(data.DATASETS) == tested


BUNDLED = {"digits": skd.load_digits, "iris": skd.load_iris, "wine": skd.load_wine,
           "breast_cancer": skd.load_breast_cancer, "diabetes": skd.load_diabetes}


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_equal_scikit_learn(name):
    ds = data.load(name)
    bunch = BUNDLED[name]()
    check_invariants(ds)
    np.testing.assert_array_equal(ds.X, bunch.data.astype(np.float32))
    np.testing.assert_array_equal(ds.y, bunch.target.astype(ds.y.dtype))
    assert ds.feature_names == list(bunch.feature_names) and not ds.has_split
    assert ds.task == ("regression" if name == "diabetes" else "classification")
    if name == "breast_cancer":
        assert ds.target_names == ["malignant", "benign"]


SYNTHETIC = {"xor": 2, "two_spirals": 2, "moons": 2, "circles": 2, "blobs": 3, "sine": 0}


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_seeded(name):
    a, b = data.load(name, seed=1), data.load(name, seed=1)
    c = data.load(name, seed=2)
    check_invariants(a)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert a.n_classes == SYNTHETIC[name]
    small = data.load(name, n_samples=10)
    assert small.X.shape[0] == 10


def test_synthetic_definitions():
    truth = data.load("xor", n_samples=4, noise=0.0)
    np.testing.assert_array_equal(truth.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(truth.y, [0, 1, 1, 0])
    X, y = skd.make_moons(50, noise=0.2, random_state=7)
    moons = data.load("moons", n_samples=50, noise=0.2, seed=7)
    np.testing.assert_array_equal(moons.X, X.astype(np.float32))
    np.testing.assert_array_equal(moons.y, y)
    clean = data.load("sine", n_samples=100, n_features=2, noise=0.0)
    expected = np.sin(np.pi * clean.X[:, 0]) * np.cos(np.pi * clean.X[:, 1])
    np.testing.assert_allclose(clean.y, expected, atol=1e-6)
    spirals = data.load("two_spirals", n_samples=200, noise=0.0)
    radius = np.linalg.norm(spirals.X, axis=1)
    assert radius.max() <= 1.0 + 1e-6
    # class 1 is class 0 turned by pi: for the same radius, the opposite point
    assert np.bincount(spirals.y).tolist() == [100, 100]


def test_mnist1d_generated_with_the_package_defaults_then_cached(offline_env, monkeypatch):
    from mnist1d.data import get_dataset_args, make_dataset

    np.random.seed(123)
    random.seed(123)
    before = (np.random.random(), random.random())
    np.random.seed(123)
    random.seed(123)
    ds = data.load("mnist1d")
    after = (np.random.random(), random.random())
    assert before == after, "loading mnist1d must not reseed the global generators"
    check_invariants(ds)
    assert ds.X.shape == (5000, 40) and ds.n_train == 4000 and len(ds.test) == 1000
    reference = make_dataset(get_dataset_args())
    np.testing.assert_array_equal(ds.train.X, reference["x"].astype(np.float32))
    np.testing.assert_array_equal(ds.test.y, reference["y_test"])
    cached = list((offline_env / "cache").glob("mnist1d-*.npz"))
    assert len(cached) == 1

    calls = []

    def generator():
        calls.append(1)
        return {k: reference[k] for k in ("x", "y", "x_test", "y_test")}

    monkeypatch.setattr(datasets, "_mnist1d_arrays", generator)
    np.testing.assert_array_equal(data.load("mnist1d").X, ds.X)
    assert calls == [], "the cache was not used"
    cached[0].write_bytes(b"not an npz file")           # a corrupt cache is rebuilt
    np.testing.assert_array_equal(data.load("mnist1d").X, ds.X)
    assert calls == [1]
    data.load("mnist1d", regenerate=True)
    assert calls == [1, 1]


def test_mnist_from_idx_files_with_checksums(offline_env, monkeypatch):
    directory, sums, (images, labels) = write_fake_mnist(offline_env / "mnist", n_train=30,
                                                         n_test=7, gzip_files=True)
    with pytest.raises(data.ChecksumError, match="SHA-256"):
        data.load("mnist", path=directory)                 # not the standard files
    ds = data.load("mnist", path=directory, checksums=sums)
    check_invariants(ds)
    assert ds.X.shape == (37, 784) and ds.n_train == 30 and ds.target_names[3] == "3"
    np.testing.assert_allclose(ds.X[:30], images["train"].reshape(30, -1) / 255, atol=1e-7)
    np.testing.assert_array_equal(ds.test.y, labels["test"])
    images_2d = data.load("mnist", path=directory, checksums=False, flatten=False)
    assert images_2d.X.shape == (37, 28, 28)
    monkeypatch.setenv("CHAINRULE_DATA", str(offline_env))     # found as $CHAINRULE_DATA/mnist
    np.testing.assert_array_equal(data.load("mnist", checksums=sums).X, ds.X)


def test_mnist_absent_says_how_to_get_it(offline_env):
    with pytest.raises(FileNotFoundError, match="never downloads.*CHAINRULE_DATA/mnist"):
        data.load("mnist", path=offline_env / "nowhere")


def test_fashion_mnist_absent_says_how_to_get_it(offline_env, monkeypatch):
    monkeypatch.setitem(idx.SOURCES["fashion-mnist"], "system_dirs", [str(offline_env / "no")])
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        data.load("fashion-mnist")


def test_fashion_mnist_from_the_debian_package(monkeypatch):
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    try:
        files = idx.find_files("fashion-mnist")
    except FileNotFoundError as error:
        if os.environ.get("CI"):
            raise          # .ci/run installs dataset-fashion-mnist: in CI this must run
        pytest.skip(f"not installed here: {error}")
    assert str(files["train-images-idx3-ubyte"]).startswith("/usr/share/datasets/fashion-mnist")
    ds = data.load("fashion-mnist")                    # checksums verified by default
    check_invariants(ds)
    assert ds.X.shape == (70000, 784) and ds.n_train == 60000
    assert ds.train.class_counts().tolist() == [6000] * 10
    assert ds.test.class_counts().tolist() == [1000] * 10
    assert 0.0 <= ds.X.min() and ds.X.max() == 1.0
    assert ds.target_names[9] == "Ankle boot"


def test_load_errors_speak_with_one_voice():
    with pytest.raises(ValueError, match="'name' parameter of chainrule.data.load.*'iris'.*"
                                         "Did you mean 'digits'"):
        data.load("digit")
    with pytest.raises(TypeError, match="load\\('moons'\\).*'n_samples'.*Did you mean "
                                        "'n_samples'"):
        data.load("moons", n_sample=10)
    with pytest.raises(TypeError, match="takes no options"):
        data.load("iris", seed=0)
    with pytest.raises(ValueError, match="'noise' parameter of moons"):
        data.load("moons", noise=-1.0)


def test_dataset_object():
    ds = data.Dataset(np.arange(12).reshape(6, 2), [0, 1, 2, 0, 1, 2], "toy", n_train=4)
    assert ds.X.dtype == np.float32 and ds.n_classes == 3 and ds.feature_names == ["x0", "x1"]
    assert len(ds.train) == 4 and ds.test.y.tolist() == [1, 2]
    assert "train=4, test=2" in repr(ds)
    sub = ds.subset([0, 3])
    assert not sub.has_split and sub.n_classes == 3 and sub.class_counts().tolist() == [2, 0, 0]
    with pytest.raises(ValueError, match="'y' parameter of Dataset 'toy'"):
        data.Dataset(np.zeros((3, 2)), [0, 1], "toy")
    with pytest.raises(ValueError, match="'task' parameter"):
        data.Dataset(np.zeros((2, 2)), [0, 1], task="ranking")
