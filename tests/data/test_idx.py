"""The IDX reader: the format, gzip or raw, checksums of the content, file discovery."""
import gzip
import hashlib

import numpy as np
import pytest

from chainrule.data import idx

from idx_testing import write_fake_mnist


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_then_read_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(60).reshape(3, 4, 5) - 20).astype(dtype)
    path = idx.write_idx(tmp_path / f"a-idx3{suffix}", array)
    back = idx.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    back[0, 0, 0] = 1                                    # a writable array, not a buffer view


def test_header_is_the_idx_layout(tmp_path):
    path = idx.write_idx(tmp_path / "labels", np.array([7, 2, 1], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1])


def test_checksum_is_of_the_content_whether_raw_or_gzip(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    raw = idx.write_idx(tmp_path / "x", array)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    packed = tmp_path / "x.gz"
    packed.write_bytes(gzip.compress(raw.read_bytes(), compresslevel=1, mtime=12345))
    for path in (raw, packed):
        np.testing.assert_array_equal(idx.read_idx(path, sha256=digest.upper()), array)
    with pytest.raises(idx.ChecksumError, match="checksums=False"):
        idx.read_idx(packed, sha256="0" * 64)


def test_broken_files_are_refused(tmp_path):
    path = idx.write_idx(tmp_path / "x", np.zeros((4, 5), dtype=np.uint8))
    truncated = tmp_path / "short"
    truncated.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        idx.read_idx(truncated)
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        idx.read_idx(bad)
    with pytest.raises(ValueError, match="'array' parameter of write_idx"):
        idx.write_idx(tmp_path / "c", np.zeros(3, dtype=np.complex64))


def test_file_names_raw_gzip_and_dotted(tmp_path):
    directory, _, _ = write_fake_mnist(tmp_path / "raw", gzip_files=False)
    assert idx.find_files("mnist", directory)["t10k-labels-idx1-ubyte"].name == \
        "t10k-labels-idx1-ubyte"
    for stem in idx.FILES:                              # the names some mirrors use
        (directory / stem).rename(directory / stem.replace("-idx", ".idx"))
    assert idx.find_files("mnist", directory)["train-images-idx3-ubyte"].name == \
        "train-images.idx3-ubyte"
    (directory / "t10k-labels.idx1-ubyte").unlink()      # one file missing: not this directory
    with pytest.raises(FileNotFoundError, match=str(directory)):
        idx.find_files("mnist", directory)


def test_search_order(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    dirs = idx.candidate_dirs("fashion-mnist", tmp_path / "arg")
    assert dirs[:3] == [tmp_path / "arg", tmp_path / "arg" / "fashion-mnist",
                        tmp_path / "arg" / "fashion_mnist"]
    assert dirs[3] == tmp_path / "env" / "fashion-mnist"
    assert str(dirs[-1]) == "/usr/share/datasets/fashion-mnist"


def test_known_checksums_are_well_formed():
    for source in idx.SOURCES.values():
        assert set(source["sha256"]) == set(idx.FILES)
        assert all(len(s) == 64 and int(s, 16) >= 0 for s in source["sha256"].values())
        assert len(source["target_names"]) == 10
