"""IDX files (the format of MNIST and Fashion-MNIST) read with checksums; never downloaded.

An IDX file is a big-endian header ``0, 0, dtype code, ndim``, then ``ndim`` uint32
sizes, then the values in C order. It may be gzip-compressed. Checksums are SHA-256 of
the *decompressed* bytes, so a file verifies whether it is raw or re-compressed (Debian
re-compresses Fashion-MNIST: its ``.gz`` files differ from upstream's, their content
does not).

Where the files are looked for, in order: the ``path`` argument (the directory itself,
or its ``<name>`` subdirectory); ``$CHAINRULE_DATA/<name>``; then the system location
(``/usr/share/datasets/fashion-mnist`` from Debian's ``dataset-fashion-mnist``).
"""
from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from .._validation import invalid
from .dataset import Dataset

# dtype code -> big-endian NumPy dtype (the IDX specification's table)
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_CODES = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# SHA-256 of the decompressed standard files (as published with MNIST's mirrors and
# Fashion-MNIST's repository; the gzip wrappers may differ, the content may not).
SOURCES = {
    "mnist": {
        "sha256": {
            "train-images-idx3-ubyte":
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte":
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte":
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte":
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        "target_names": [str(k) for k in range(10)],
        "system_dirs": [],
        "how_to_get": "chainrule never downloads: copy the four standard MNIST IDX files "
                      "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                      "t10k-labels-idx1-ubyte; raw or .gz) into $CHAINRULE_DATA/mnist, or pass "
                      "path=DIRECTORY.",
        "description": "MNIST handwritten digits, 28x28 grey levels in [0, 1], 60000 train / "
                       "10000 test.",
    },
    "fashion-mnist": {
        "sha256": {
            "train-images-idx3-ubyte":
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte":
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte":
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte":
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        "target_names": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"],
        "system_dirs": ["/usr/share/datasets/fashion-mnist"],
        "how_to_get": "Install Debian's package (apt-get install dataset-fashion-mnist), or "
                      "put the four Fashion-MNIST IDX files (raw or .gz) in "
                      "$CHAINRULE_DATA/fashion-mnist, or pass path=DIRECTORY.",
        "description": "Zalando's Fashion-MNIST clothing images, 28x28 grey levels in [0, 1], "
                       "60000 train / 10000 test.",
    },
}


class ChecksumError(ValueError):
    """An IDX file's content does not match the expected SHA-256."""


def read_idx(path, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a native-endian array; verify ``sha256`` if given."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if sha256 is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != sha256.lower():
            raise ChecksumError(
                f"The file {path} has SHA-256 {digest} (of its decompressed content), but "
                f"{sha256} was expected: it is truncated, corrupt or a different data set. "
                "Replace it with the standard file, or pass checksums=False to skip the check.")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise ValueError(f"The file {path} is not an IDX file (bad magic number {raw[:4]!r}).")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f"The file {path} holds {len(raw) - offset} data bytes, but its header "
                         f"announces shape {shape} of {dtype.str}: the file is truncated.")
    values = np.frombuffer(raw, dtype=dtype, offset=offset).reshape(shape)
    return values.astype(dtype.newbyteorder("="))      # native order, and a writable copy


def write_idx(path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``."""
    array = np.ascontiguousarray(array)
    code = IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise invalid("array", "write_idx", "an array of uint8, int8, int16, int32, float32 or "
                      "float64", array)
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(IDX_DTYPES[code]).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(payload, mtime=0) if path.suffix == ".gz" else payload)
    return path


def _file_in(directory: Path, stem: str) -> Path | None:
    """``stem`` in ``directory`` as raw or ``.gz``, also under the dotted name of some mirrors."""
    dotted = stem.replace("-idx", ".idx")                 # train-images.idx3-ubyte
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def candidate_dirs(name: str, path=None) -> list[Path]:
    """The directories searched for ``name``'s files, in order."""
    names = [name, name.replace("-", "_")]
    dirs = []
    if path is not None:
        dirs += [Path(path)] + [Path(path) / n for n in names]
    if os.environ.get("CHAINRULE_DATA"):
        dirs += [Path(os.environ["CHAINRULE_DATA"]) / n for n in names]
    dirs += [Path(d) for d in SOURCES[name]["system_dirs"]]
    return dirs


def find_files(name: str, path=None) -> dict[str, Path]:
    """The four IDX files of ``name`` from the first directory holding all of them."""
    searched = candidate_dirs(name, path)
    for directory in searched:
        found = {stem: _file_in(directory, stem) for stem in FILES}
        if all(found.values()):
            return found
    where = ", ".join(str(d) for d in searched) or "(no directory: CHAINRULE_DATA is not set)"
    raise FileNotFoundError(f"The {name} IDX files were not found in: {where}. "
                            f"{SOURCES[name]['how_to_get']}")


def load_idx_dataset(name: str, path=None, checksums=None, flatten: bool = True) -> Dataset:
    """Load MNIST-like IDX files into a :class:`Dataset` with the source's train/test split.

    ``checksums``: ``None`` verifies the standard SHA-256 of each file; a dict
    ``{file stem: sha256}`` overrides some of them (for your own IDX files); ``False``
    skips the check. Pixels become float32 in ``[0, 1]``; ``flatten=False`` keeps the
    ``(n, 28, 28)`` image shape.
    """
    owner = f"load({name!r})"
    source = SOURCES[name]
    if checksums is None or checksums is True:
        expected = dict(source["sha256"])
    elif checksums is False:
        expected = dict.fromkeys(FILES)
    elif isinstance(checksums, dict) and set(checksums) <= set(FILES):
        expected = {**source["sha256"], **checksums}
    else:
        raise invalid("checksums", owner, f"None, False or a dict with keys among {FILES}",
                      checksums)
    files = find_files(name, path)
    arrays = {stem: read_idx(files[stem], expected[stem]) for stem in FILES}
    train_images, test_images = arrays[FILES[0]], arrays[FILES[2]]
    train_labels, test_labels = arrays[FILES[1]], arrays[FILES[3]]
    if len(train_images) != len(train_labels) or len(test_images) != len(test_labels):
        raise ValueError(f"{name}: the image and label files in {files[FILES[0]].parent} hold "
                         "different numbers of samples.")
    n_train = len(train_images)
    shape = train_images.shape[1:]
    X = np.empty((n_train + len(test_images), *shape), dtype=np.float32)
    np.multiply(train_images, np.float32(1 / 255), out=X[:n_train], casting="unsafe")
    np.multiply(test_images, np.float32(1 / 255), out=X[n_train:], casting="unsafe")
    if flatten:
        X = X.reshape(len(X), -1)
    y = np.concatenate([train_labels, test_labels]).astype(np.int64)
    rows, cols = shape if len(shape) == 2 else (int(np.prod(shape)), 1)
    features = [f"pixel_{r}_{c}" for r in range(rows) for c in range(cols)]
    return Dataset(X, y, name, "classification", features, list(source["target_names"]),
                   source["description"], n_train=n_train)
