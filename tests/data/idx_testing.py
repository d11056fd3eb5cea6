"""Small MNIST-shaped IDX files for the tests, written to a temporary directory."""
import gzip
import hashlib

import numpy as np

from chainrule.data import idx


def write_fake_mnist(directory, n_train=30, n_test=7, gzip_files=True, seed=0):
    """Write the four MNIST file names with random content; return (dir, sha256s, arrays)."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    images = {k: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
              for k, n in (("train", n_train), ("test", n_test))}
    labels = {k: rng.integers(0, 10, n, dtype=np.uint8) for k, n in (("train", n_train),
                                                                  ("test", n_test))}
    content = {"train-images-idx3-ubyte": images["train"], "train-labels-idx1-ubyte":
               labels["train"], "t10k-images-idx3-ubyte": images["test"],
               "t10k-labels-idx1-ubyte": labels["test"]}
    sums = {}
    for stem, array in content.items():
        path = idx.write_idx(directory / (stem + (".gz" if gzip_files else "")), array)
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if gzip_files else raw
        sums[stem] = hashlib.sha256(raw).hexdigest()
    return directory, sums, (images, labels)
