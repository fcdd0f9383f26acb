"""Offline data: scikit-learn's bundled digits and IDX files written here byte by byte."""
import gzip
import struct

import numpy as np
import pytest

from cnnlab.data import load_digits, load_mnist, read_idx, write_idx


def test_load_digits_shapes_split_and_range():
    (xtr, ytr), (xte, yte) = load_digits(size=32, test_size=0.2, seed=0)
    assert xtr.shape[1:] == (32, 32, 1) and xte.shape[1:] == (32, 32, 1)
    assert len(xtr) + len(xte) == 1797 and 355 <= len(xte) <= 365
    assert ytr.dtype.kind == "i" and set(np.unique(yte)) == set(range(10))
    assert 0.0 <= xtr.min() and xtr.max() <= 1.0 and xtr.max() > 0.9
    # the 28x28 digit field sits in the middle: a 2-pixel zero frame
    assert not xtr[:, :2].any() and not xtr[:, -2:].any() and not xtr[:, :, :2].any()
    # stratified: every class has 35..37 test images
    assert np.bincount(yte).min() >= 35


def test_load_digits_raw_matches_sklearn_and_is_seeded():
    from sklearn.datasets import load_digits as sk

    (a, ya), (b, yb) = load_digits(size=8, seed=3, normalize=None)
    (a2, _), _ = load_digits(size=8, seed=3, normalize=None)
    (a3, _), _ = load_digits(size=8, seed=4, normalize=None)
    np.testing.assert_array_equal(a, a2)
    assert not np.array_equal(a, a3)
    images = sk().images
    # every returned image is one of scikit-learn's, with its label
    first = a[0, :, :, 0]
    hits = np.flatnonzero((images == first).all(axis=(1, 2)))
    assert len(hits) >= 1 and sk().target[hits[0]] == ya[0]
    assert len(a) + len(b) == 1797


def test_load_digits_lecun_normalisation():
    (x, _), _ = load_digits(size=8, normalize="lecun")
    assert x.min() == pytest.approx(-0.1) and x.max() == pytest.approx(1.175)


def _idx_bytes(code, fmt, dims, values):
    head = bytes([0, 0, code, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims)
    return head + struct.pack(">" + fmt * len(values), *values)


def test_read_idx_ubyte_images_and_gzip(tmp_path):
    vals = list(range(2 * 3 * 4))
    raw = _idx_bytes(0x08, "B", (2, 3, 4), vals)
    (tmp_path / "imgs").write_bytes(raw)
    with gzip.open(tmp_path / "imgs.gz", "wb") as fh:
        fh.write(raw)
    for name in ("imgs", "imgs.gz"):
        a = read_idx(tmp_path / name)
        assert a.shape == (2, 3, 4) and a.dtype == np.uint8
        assert a[1, 2, 3] == 23 and a[0, 1, 0] == 4


@pytest.mark.parametrize("code,fmt,vals,dtype", [
    (0x0C, "i", [-5, 70000, 3], np.int32),
    (0x0D, "f", [1.5, -2.25, 0.0], np.float32),
    (0x0E, "d", [1e-300, -7.0, 3.25], np.float64),
    (0x0B, "h", [-300, 2, 1], np.int16),
])
def test_read_idx_big_endian_types(tmp_path, code, fmt, vals, dtype):
    p = tmp_path / "v"
    p.write_bytes(_idx_bytes(code, fmt, (3,), vals))
    a = read_idx(p)
    assert a.dtype == dtype
    np.testing.assert_array_equal(a, np.array(vals, dtype))


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(_idx_bytes(0x08, "B", (5,), [1, 2, 3, 4, 5])[:-2])
    with pytest.raises(ValueError, match="data bytes"):
        read_idx(short)


def test_write_idx_round_trip_and_byte_layout(tmp_path):
    a = np.arange(6, dtype=np.int32).reshape(2, 3) - 2
    write_idx(tmp_path / "a.idx", a)
    raw = (tmp_path / "a.idx").read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0C, 2]) and struct.unpack(">2I", raw[4:12]) == (2, 3)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), a)


def test_load_mnist_from_small_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    for stem, arr in [("train-images-idx3-ubyte", imgs), ("train-labels-idx1-ubyte", labels),
                      ("t10k-images-idx3-ubyte", imgs[:2]), ("t10k-labels-idx1-ubyte", labels[:2])]:
        (tmp_path / stem).write_bytes(_idx_bytes(0x08, "B", arr.shape, arr.ravel().tolist()))
    (xtr, ytr), (xte, yte) = load_mnist(tmp_path)
    assert xtr.shape == (5, 32, 32, 1) and xte.shape == (2, 32, 32, 1)
    np.testing.assert_array_equal(ytr, labels)
    np.testing.assert_allclose(xtr[:, 2:30, 2:30, 0], imgs / 255.0)
    with pytest.raises(FileNotFoundError, match="does not download"):
        load_mnist(tmp_path / "nothing-here")


def test_random_shift_moves_whole_images_within_range():
    from cnnlab.data import random_shift

    x = np.zeros((50, 9, 9, 1))
    x[:, 4, 4, 0] = 1.0                       # one bright pixel in the middle
    out = random_shift(x, np.random.default_rng(0), max_shift=2)
    assert out.shape == x.shape
    pos = np.array([np.unravel_index(o[..., 0].argmax(), (9, 9)) for o in out])
    assert np.all(np.abs(pos - 4) <= 2) and len({tuple(p) for p in pos}) > 5
    np.testing.assert_array_equal(out.sum(axis=(1, 2, 3)), 1.0)   # nothing lost or duplicated
    np.testing.assert_array_equal(random_shift(x, np.random.default_rng(0), max_shift=0), x)
