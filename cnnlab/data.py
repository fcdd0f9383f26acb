"""Real handwritten digits, offline: scikit-learn's bundled digits, and an IDX (MNIST) reader.

Usage::

    from cnnlab.data import load_digits, read_idx, load_mnist
    (x_train, y_train), (x_test, y_test) = load_digits(size=32, test_size=0.2, seed=0)
    x_train.shape            # (1437, 32, 32, 1), channels last, values in [0, 1]
    images = read_idx("train-images-idx3-ubyte.gz")   # a file you already have; (60000, 28, 28)

``load_digits`` uses the 1 797 8×8 digits that ship inside scikit-learn (UCI "optical
recognition of handwritten digits", 16 grey levels; no download).  With ``size=32`` each image is
enlarged by bilinear interpolation to ``digit_size`` × ``digit_size`` (default 28, like MNIST's
digit field) and centred in a 32×32 frame — LeNet-5's input, where the paper also centres a
smaller digit field in a 32×32 image.  ``size=8`` returns the raw images.  The split is
stratified and seeded: in each class ``round(test_size·n)`` images chosen by
``np.random.default_rng(seed)`` are held out; the order of the 1 797 images is kept.

``normalize``: ``"unit"`` maps ink 0..16 to 0..1; ``"lecun"`` maps background to −0.1 and full
ink to 1.175 (the paper's choice, so the inputs have roughly zero mean and unit variance);
``None`` keeps 0..16.

IDX files (LeCun's MNIST format): a 4-byte magic ``0, 0, type, ndim``, then ``ndim`` big-endian
uint32 sizes, then the data big-endian.  Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64.  ``.gz`` files are read through ``gzip``.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

from ._extras import require
from ._validate import as_array, check_alloc, check_float_dtype, check_int, check_real, shape_str

__all__ = ["load_digits", "read_idx", "write_idx", "load_mnist", "random_shift", "random_affine",
           "IDX_TYPES", "IDXFormatError"]

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXFormatError(OSError, ValueError):
    """A file that is not a well-formed IDX file (bad magic, truncated, corrupt gzip stream).

    An ``OSError`` (a problem with a file; the message names its path) and, for code written
    against earlier versions, a ``ValueError``."""


def _check_normalize(normalize):
    if normalize is not None and not isinstance(normalize, str):
        raise TypeError(f"normalize must be 'unit', 'lecun' or None; got "
                        f"{type(normalize).__name__} {normalize!r}")
    if normalize not in (None, "unit", "lecun"):
        raise ValueError(f"normalize must be 'unit', 'lecun' or None; got {normalize!r}")
    return normalize


def _normalize(x, normalize, top):
    if normalize is None:
        return x
    if normalize == "unit":
        return x / top
    if normalize == "lecun":
        return x / top * 1.275 - 0.1
    raise ValueError(f"normalize must be 'unit', 'lecun' or None; got {normalize!r}")


def load_digits(size=32, digit_size=28, test_size=0.2, seed=0, normalize="unit",
                dtype=np.float64):
    """scikit-learn's 8×8 handwritten digits as a Keras-style split, channels last.

    Inputs:
    - size: 8 (raw) or an image size ≥ digit_size (default 32, for LeNet-5)
    - digit_size: side of the enlarged digit inside the frame (default 28)
    - test_size: fraction of the 1 797 images held out (stratified)
    - seed: seed of the split
    - normalize: "unit", "lecun" or None (see the module docstring)
    Returns ``(x_train, y_train), (x_test, y_test)`` with x of shape (N, size, size, 1) and y
    int64 labels 0..9.
    """
    size = check_int(size, "size", minimum=8)
    digit_size = check_int(digit_size, "digit_size")
    if size != 8 and not 8 <= digit_size <= size:
        raise ValueError(f"digit_size must be an int in 8..size={size}; got {digit_size}")
    test_size = check_real(test_size, "test_size", 0.0, 1.0, strict_min=True, strict_max=True)
    if seed is not None:
        seed = check_int(seed, "seed", minimum=0)
    normalize = _check_normalize(normalize)
    dtype = check_float_dtype(dtype)
    check_alloc((_N_DIGITS, size, size), 8, f"load_digits(size={size}): the images")
    images, y = _digits_raw()
    if size != 8:
        from scipy.ndimage import zoom

        big = zoom(images, (1, digit_size / 8, digit_size / 8), order=1, grid_mode=True,
                   mode="grid-constant")
        big = np.clip(big, 0, 16)
        lo = (size - digit_size) // 2
        frame = np.zeros((len(images), size, size))
        frame[:, lo:lo + digit_size, lo:lo + digit_size] = big
        images = frame
    x = _normalize(images, normalize, 16.0)[..., None].astype(dtype)
    test = _stratified_test_mask(y, test_size, seed)
    return (x[~test], y[~test]), (x[test], y[test])


_N_DIGITS = 1797


def _digits_raw():
    """scikit-learn's bundled digits as (images (1797, 8, 8) float64, labels int64).

    Reads the CSV that ships inside scikit-learn directly (importing ``sklearn.datasets`` takes
    seconds); falls back to ``sklearn.datasets.load_digits``."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:   # raises, naming the extra
        require("sklearn", "(load_digits: scikit-learn's bundled digits are the offline data set)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", "digits.csv.gz")
    if os.path.exists(path):
        table = np.loadtxt(path, delimiter=",")
        return table[:, :64].reshape(-1, 8, 8), table[:, 64].astype(np.int64)
    d = require("sklearn.datasets", "(load_digits)").load_digits()  # pragma: no cover
    return d.images.astype(np.float64), d.target.astype(np.int64)  # pragma: no cover


def _stratified_test_mask(y, test_size, seed):
    """Seeded stratified split: in each class, a random ``round(test_size·n_class)`` go to test."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(test_size * len(idx)))
        test[rng.permutation(idx)[:k]] = True
    return test


def _check_path(path, name="path"):
    if isinstance(path, bool) or not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or os.PathLike); got "
                        f"{type(path).__name__} {path!r}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path or "\x00" in path:
        raise FileNotFoundError(f"{name}: {path!r} is not a usable file name")
    return path


def _read_bytes(path):
    """The file's bytes, through gzip if it starts with the gzip magic; a truncated or corrupt
    gzip stream is an :class:`IDXFormatError` naming the path."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise IDXFormatError(f"path: {path} is a truncated gzip file (the compressed stream "
                             f"ends early, {len(raw)} bytes on disk); download or copy it "
                             f"again") from None
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise IDXFormatError(f"path: {path} is a corrupt gzip file ({exc})") from None


def read_idx(path):
    """Read an IDX file (optionally gzipped) into a NumPy array of its stored shape and type
    (converted to native byte order).

    Raises ``FileNotFoundError`` (or another ``OSError``) for a file that cannot be read and
    :class:`IDXFormatError` (an ``OSError``) for one that is not a whole IDX file; each message
    names the path."""
    path = _check_path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise IDXFormatError(f"path: {path!s} is too short to be an IDX file ({len(data)} bytes)")
    zero1, zero2, code, ndim = data[0], data[1], data[2], data[3]
    if zero1 != 0 or zero2 != 0 or code not in IDX_TYPES:
        raise IDXFormatError(f"path: {path!s} is not an IDX file (magic bytes {data[:4]!r}; "
                             f"expected 0, 0, a type code in {[hex(c) for c in IDX_TYPES]}, ndim)")
    need = 4 + 4 * ndim
    if len(data) < need:
        raise IDXFormatError(f"path: {path!s} ends inside its header ({len(data)} bytes; the "
                             f"header of a {ndim}-D array needs {need})")
    dims = struct.unpack(f">{ndim}I", data[4:need])
    dt = np.dtype(IDX_TYPES[code])
    count = int(np.prod(dims, dtype=object)) if ndim else 1
    if len(data) - need != count * dt.itemsize:
        raise IDXFormatError(f"path: {path!s} holds {len(data) - need} data bytes; its header "
                             f"{dims} of {dt} needs {count * dt.itemsize} (truncated or not an "
                             f"IDX file)")
    arr = np.frombuffer(data, dtype=dt, count=count, offset=need).reshape(dims)
    return arr.astype(dt.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` as an IDX file (gzipped if ``path`` ends in ``.gz``)."""
    path = _check_path(path)
    try:
        a = np.asarray(array)
    except Exception as exc:
        raise TypeError(f"array must be a NumPy array; could not convert it: {exc}") from None
    if a.ndim > 255 or any(s >= 2**32 for s in a.shape):
        raise ValueError(f"array: IDX stores at most 255 axes of fewer than 2**32 entries; got "
                         f"shape {shape_str(a.shape)}")
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    key = a.dtype.newbyteorder("=")
    if key not in codes:
        raise TypeError(f"array dtype must be one of uint8, int8, int16, int32, float32, "
                        f"float64; got {a.dtype}")
    code = codes[key]
    payload = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + \
        a.astype(IDX_TYPES[code]).tobytes()
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(payload)


_MNIST = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}


def load_mnist(directory, size=32, normalize="unit", dtype=np.float64):
    """MNIST from the four IDX files in ``directory`` (plain or ``.gz``; nothing is
    downloaded).  Images are zero-padded from 28×28 to ``size`` (32 for LeNet-5).
    Returns ``(x_train, y_train), (x_test, y_test)``, x of shape (N, size, size, 1)."""
    directory = _check_path(directory, "directory")
    size = check_int(size, "size", minimum=1)
    normalize = _check_normalize(normalize)
    dtype = check_float_dtype(dtype)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"directory: {directory!s} is not a directory; cnnlab does not "
                                f"download MNIST — put the four IDX files in one")
    found = {}
    for key, stem in _MNIST.items():
        for cand in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
            p = os.path.join(directory, cand)
            if os.path.exists(p):
                found[key] = p
                break
        else:
            raise FileNotFoundError(f"directory: {directory!s} has no {stem}[.gz]; cnnlab does "
                                    f"not download MNIST — put the four IDX files there")
    out = []
    for part in ("train", "test"):
        x = read_idx(found[f"{part}_images"])
        y = read_idx(found[f"{part}_labels"]).astype(np.int64)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise IDXFormatError(f"directory: {directory!s}: the {part} images {x.shape} and labels "
                                 f"{y.shape} do not match (expected (N, rows, cols) and (N,))")
        pad = size - x.shape[1]
        if pad < 0 or size < x.shape[2]:
            raise ValueError(f"size must be >= {max(x.shape[1:])}; got {size}")
        check_alloc((len(x), size, size), 8, f"load_mnist(size={size}): the {part} images")
        x = x.astype(np.float64)
        x = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (pad // 2, pad - pad // 2)))
        out.append((_normalize(x, normalize, 255.0)[..., None].astype(dtype), y))
    return tuple(out)


def _check_images(x):
    x = as_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, H, W, C) (a batch of images, channels last); "
                         f"got a {x.ndim}-D array of shape {shape_str(x.shape)}")
    if 0 in x.shape[1:]:
        raise ValueError(f"x's images must not be empty (H, W, C >= 1); got shape {shape_str(x.shape)}")
    return x


def _check_rng(rng, method):
    if not callable(getattr(rng, method, None)):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)); got "
                        f"{type(rng).__name__} {rng!r}")
    return rng


def random_shift(x, rng, max_shift=2):
    """Data augmentation: shift each image of ``x`` (N, H, W, C) by a random whole number of
    pixels in ``-max_shift..max_shift`` along rows and columns, filling with the corner value
    of the frame (the background).  ``rng``: a ``np.random.Generator``.  Returns a new array.

    Usable as ``model.fit(..., augment=random_shift)``."""
    x = _check_images(x)
    rng = _check_rng(rng, "integers")
    m = check_int(max_shift, "max_shift", minimum=0)
    N, H, W, C = x.shape
    check_alloc((N, H + 2 * m, W + 2 * m, C), x.itemsize, f"random_shift (max_shift={m}): the padded images")
    pad = np.pad(x, ((0, 0), (m, m), (m, m), (0, 0)), mode="edge")
    dr = rng.integers(-m, m + 1, N)
    dc = rng.integers(-m, m + 1, N)
    rows = (m - dr)[:, None] + np.arange(H)[None, :]          # (N, H)
    cols = (m - dc)[:, None] + np.arange(W)[None, :]          # (N, W)
    return pad[np.arange(N)[:, None, None], rows[:, :, None], cols[:, None, :]]


def random_affine(x, rng, max_shift=2.0, max_rotation=0.0, max_scale=0.0, fill=None):
    """Data augmentation: move each image of ``x`` (N, H, W, C) by its own random affine map —
    a rotation by an angle uniform in ``±max_rotation`` degrees and a scaling by a factor
    uniform in ``1 ± max_scale``, both about the image centre, then a shift uniform in
    ``±max_shift`` pixels along rows and columns (real numbers: sub-pixel shifts interpolate).

    Output pixel ``p = (row, col)`` takes the input value at ``c + A⁻¹ (p − c − t)`` with ``c``
    the centre ``((H−1)/2, (W−1)/2)``, ``A = s·R(θ)``, ``R(θ) = [[cos θ, −sin θ], [sin θ,
    cos θ]]`` and ``t`` the shift, read by bilinear interpolation; points outside the frame read
    ``fill`` (default: each image's top-left corner value, the background).  ``rng``: a
    ``np.random.Generator``; it draws θ, s, row shifts and column shifts, N of each, in that
    order.  Returns a new array of ``x``'s dtype.

    Usable as ``model.fit(..., augment=lambda xb, rng: random_affine(xb, rng, 2, 10, 0.1))``;
    :func:`random_shift` is the whole-pixel special case."""
    x = _check_images(x)
    rng = _check_rng(rng, "uniform")
    max_shift = check_real(max_shift, "max_shift", 0.0)
    max_rotation = check_real(max_rotation, "max_rotation", 0.0)
    max_scale = check_real(max_scale, "max_scale", 0.0, 1.0)
    if fill is not None:
        fill = check_real(fill, "fill")
    N, H, W, C = x.shape
    theta = np.deg2rad(rng.uniform(-max_rotation, max_rotation, N))
    scale = rng.uniform(1.0 - max_scale, 1.0 + max_scale, N)
    tr = rng.uniform(-max_shift, max_shift, N)
    tc = rng.uniform(-max_shift, max_shift, N)
    cr, cc = (H - 1) / 2.0, (W - 1) / 2.0
    r = np.arange(H, dtype=np.float64)[None, :, None] - cr - tr[:, None, None]   # (N, H, 1)
    c = np.arange(W, dtype=np.float64)[None, None, :] - cc - tc[:, None, None]   # (N, 1, W)
    cos, sin = (np.cos(theta) / scale)[:, None, None], (np.sin(theta) / scale)[:, None, None]
    src_r = cr + cos * r + sin * c            # A⁻¹ = R(−θ)/s applied to (r, c)
    src_c = cc - sin * r + cos * c
    bg = x[:, 0, 0, :].astype(np.float64) if fill is None else np.full((N, C), float(fill))
    # pad by one background pixel all round: reads outside the frame then see the background
    pad = np.empty((N, H + 2, W + 2, C))
    pad[:] = bg[:, None, None, :]
    pad[:, 1:-1, 1:-1] = x
    src_r = np.clip(src_r + 1, 0, H + 1)      # beyond the pad it is background anyway
    src_c = np.clip(src_c + 1, 0, W + 1)
    r0 = np.minimum(np.floor(src_r).astype(np.intp), H)
    c0 = np.minimum(np.floor(src_c).astype(np.intp), W)
    fr = (src_r - r0)[..., None]
    fc = (src_c - c0)[..., None]
    flat = pad.reshape(N * (H + 2) * (W + 2), C)
    i00 = ((np.arange(N)[:, None, None] * (H + 2) + r0) * (W + 2) + c0).ravel()
    v00, v01 = flat[i00], flat[i00 + 1]
    v10, v11 = flat[i00 + W + 2], flat[i00 + W + 3]
    fr, fc = fr.reshape(-1, 1), fc.reshape(-1, 1)
    out = (1 - fr) * ((1 - fc) * v00 + fc * v01) + fr * ((1 - fc) * v10 + fc * v11)
    out = out.reshape(N, H, W, C)
    return out.astype(x.dtype)
