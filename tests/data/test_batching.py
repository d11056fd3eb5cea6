"""Mini-batches: every row once per pass, seeded orders, and no copy of the whole data set."""
import tracemalloc

import numpy as np
import pytest

from chainrule import data, manual_seed, tensor


def rows_of(X_batches):
    return np.concatenate([b[:, 0] for b in X_batches]).astype(int)


@pytest.mark.parametrize("n,batch_size,drop_last,expected", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (5, 8, False, [5]),
    (5, 8, True, []),
    (7, None, False, [7]),
])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_sizes_and_coverage(n, batch_size, drop_last, expected, shuffle):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2) / 2     # column 0 is the row id
    y = np.arange(n)
    out = list(data.batches(X, y, batch_size, shuffle=shuffle, drop_last=drop_last, rng=0))
    assert [len(b[0]) for b in out] == expected
    assert data.num_batches(n, batch_size, drop_last) == len(expected)
    seen = rows_of([b[0] for b in out]) if out else np.array([], int)
    assert len(set(seen)) == len(seen)                            # no row twice
    if not drop_last:
        assert sorted(seen) == list(range(n))                     # every row once
    for X_batch, y_batch in out:
        np.testing.assert_array_equal(X_batch[:, 0], y_batch)     # rows and targets together
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))            # in order


def test_seeded_orders():
    X, y = np.arange(100.0)[:, None], np.arange(100)
    first = [b[1] for b in data.batches(X, y, 16, rng=3)]
    again = [b[1] for b in data.batches(X, y, 16, rng=3)]
    other = [b[1] for b in data.batches(X, y, 16, rng=4)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    manual_seed(7)                                   # rng=None: the library's default stream
    a = next(data.batches(X, y, 16))[1]
    manual_seed(7)
    np.testing.assert_array_equal(next(data.batches(X, y, 16))[1], a)


def test_unshuffled_batches_are_views():
    X, y = np.random.default_rng(0).normal(size=(50, 4)), np.arange(50)
    for X_batch, y_batch in data.batches(X, y, 8, shuffle=False):
        assert np.shares_memory(X_batch, X) and np.shares_memory(y_batch, y)


def test_shuffled_batches_never_copy_the_whole_data_set():
    X = np.ones((20_000, 100), dtype=np.float32)        # 8 MB
    y = np.zeros(20_000, dtype=np.int64)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        total = 0
        for X_batch, _ in data.batches(X, y, 64, rng=0):
            assert not np.shares_memory(X_batch, X)      # a gathered copy of 64 rows only
            total += len(X_batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 20_000
    # the index permutation (160 kB) plus a batch or two (25 kB each), never the 8 MB data
    assert peak < X.nbytes / 20, f"peak {peak} bytes while iterating"


def test_data_loader_epochs():
    X, y = np.arange(40.0)[:, None], np.arange(40)
    loader = data.DataLoader(X, y, batch_size=8, rng=1)
    assert len(loader) == 5
    epoch1 = np.concatenate([b[1] for b in loader])
    epoch2 = np.concatenate([b[1] for b in loader])
    assert sorted(epoch1) == sorted(epoch2) == list(range(40))
    assert not np.array_equal(epoch1, epoch2)                     # a new order each epoch
    replay = data.DataLoader(X, y, batch_size=8, rng=1)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in replay]), epoch1)
    state = replay.state_dict()                                    # resume after epoch 1
    np.testing.assert_array_equal(np.concatenate([b[1] for b in replay]), epoch2)
    resumed = data.DataLoader(X, y, batch_size=8, rng=99)
    resumed.load_state_dict(state)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in resumed]), epoch2)


def test_inputs_datasets_tensors_and_errors():
    iris = data.load("iris")
    assert sum(len(b[0]) for b in data.batches(iris, batch_size=32, rng=0)) == 150
    only_X = list(data.batches(tensor(np.zeros((5, 2))), batch_size=2, shuffle=False))
    assert [b.shape for b in only_X] == [(2, 2), (2, 2), (1, 2)]
    with pytest.raises(ValueError, match="'batch_size' parameter of batches"):
        data.batches(np.zeros((4, 2)), batch_size=0)
    with pytest.raises(ValueError, match="'y' parameter of DataLoader.*4 rows"):
        data.DataLoader(np.zeros((4, 2)), np.zeros(3))
