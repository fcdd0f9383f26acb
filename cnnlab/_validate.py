"""Argument checks shared by every public function of :mod:`cnnlab`.

Each helper either returns a cleaned-up value or raises ``TypeError`` (wrong kind of thing) or
``ValueError`` (right kind, wrong value or shape).  Messages always name the argument, say what
was received and what was expected, so that a learner can fix the call without reading our code.
"""
from numbers import Integral, Real

import numpy as np

__all__ = [
    "as_array", "check_ndim", "int_pair", "positive_int_pair", "nonneg_int_pair",
    "check_shape", "shape_str", "check_int", "check_real", "check_finite", "check_bool",
    "check_float_dtype", "shape_tuple", "as_batch", "as_kernels", "check_choice",
    "MAX_BYTES", "set_max_bytes", "get_max_bytes", "check_alloc", "ArraySizeError",
]

#: The largest array (in bytes) that cnnlab functions agree to allocate; see
#: :func:`check_alloc`.  Change it with :func:`cnnlab.set_max_bytes`.
MAX_BYTES = 4 * 2**30


class ArraySizeError(ValueError):
    """Raised *before* allocating an array larger than :data:`MAX_BYTES` (a ``ValueError``)."""


def set_max_bytes(limit):
    """Set the size guard: no cnnlab function allocates an array of more than ``limit`` bytes
    (default 4 GiB).  ``None`` restores the default.  Returns the previous limit."""
    global MAX_BYTES
    old = MAX_BYTES
    if limit is None:
        MAX_BYTES = 4 * 2**30
    else:
        MAX_BYTES = check_int(limit, "limit", minimum=1)
    return old


def get_max_bytes():
    """The current size guard in bytes (see :func:`set_max_bytes`)."""
    return MAX_BYTES


def _fmt_bytes(n):
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def check_alloc(shape, itemsize, what):
    """Raise :class:`ArraySizeError` if an array of ``shape`` with ``itemsize``-byte entries
    would exceed :data:`MAX_BYTES`; otherwise return the number of bytes.  Call it before
    allocating: ``what`` says what the array is (e.g. ``"conv2d: the padded input"``)."""
    n = int(itemsize)
    for s in shape:
        n *= max(int(s), 0)
    if n > MAX_BYTES:
        raise ArraySizeError(
            f"{what} of shape {shape_str(shape)} would need {n:,} bytes ({_fmt_bytes(n)}), more "
            f"than the limit of {MAX_BYTES:,} bytes ({_fmt_bytes(MAX_BYTES)}); check the sizes, "
            f"or raise the limit with cnnlab.set_max_bytes(...)")
    return n


def check_int(value, name, minimum=None, maximum=None):
    """Return ``value`` as a Python int: ints and NumPy integers are accepted, bools and
    floats (even ``2.0``) are not (``TypeError``); ``ValueError`` outside
    ``[minimum, maximum]``."""
    if isinstance(value, bool) or isinstance(value, np.bool_) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an int <= {maximum}; got {value}")
    return value


def check_real(value, name, minimum=None, maximum=None, strict_min=False, strict_max=False):
    """Return ``value`` as a finite Python float: ints, floats and NumPy scalars are accepted
    (``TypeError`` for bools, strings, arrays, None); ``ValueError`` for NaN, ±inf and values
    outside the bounds (``strict_*``: the bound itself is excluded)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    lo_bad = minimum is not None and (value <= minimum if strict_min else value < minimum)
    hi_bad = maximum is not None and (value >= maximum if strict_max else value > maximum)
    if lo_bad or hi_bad:
        lo = "" if minimum is None else ("(" if strict_min else "[") + f"{minimum}"
        hi = "" if maximum is None else f"{maximum}" + (")" if strict_max else "]")
        if minimum is None:
            want = f"{'<' if strict_max else '<='} {maximum}"
        elif maximum is None:
            want = f"{'>' if strict_min else '>='} {minimum}"
        else:
            want = f"in {lo}, {hi}"
        raise ValueError(f"{name} must be {want}; got {value!r}")
    return value


def check_float_dtype(dtype, name="dtype"):
    """``np.dtype(dtype)`` if it is float32 or float64 (``TypeError``/``ValueError`` otherwise)."""
    try:
        dt = np.dtype(dtype)
    except Exception:       # TypeError, or ValueError/SyntaxError for unparsable strings
        raise TypeError(f"{name} must be float32 or float64; got {dtype!r}") from None
    if dt not in (np.float32, np.float64):
        raise ValueError(f"{name} must be float32 or float64; got {dt}")
    return dt


def check_bool(value, name):
    """Return ``value`` as a bool; accepts bools, NumPy bools and the ints 0 and 1."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, Integral) and int(value) in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")


def check_finite(a, name):
    """Raise ``ValueError`` if the array ``a`` holds NaN or ±inf, saying how many and where the
    first one is."""
    a = np.asarray(a)
    if a.dtype.kind in "fc" and a.size:
        bad = ~np.isfinite(a)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name} must hold only finite numbers; got {int(bad.sum())} NaN/inf "
                f"entr{'y' if bad.sum() == 1 else 'ies'} of {a.size} (the first at index "
                f"{first}: {a[first]!r}) in an array of shape {shape_str(a.shape)}")
    return a


def shape_str(shape):
    """Format a shape as ``(2, 3, 4)``; a 1-tuple prints as ``(5,)``."""
    return str(tuple(int(s) for s in shape))


def as_array(x, name, ndim=None):
    """Return ``x`` as a floating-point NumPy array, checking that it is numeric.

    Integers and booleans become ``float64``; ``float32`` and ``float64`` are kept as they are
    (so that training in single precision stays in single precision); ``float16`` becomes
    ``float32``.  Complex, object and string arrays raise ``TypeError``.

    Inputs:
    - x: anything ``np.asarray`` accepts
    - name: the argument's name, used in error messages
    - ndim: ``None`` (any), an int, or a tuple of allowed numbers of dimensions

    Returns a NumPy array (not copied when already a float32/float64 array).
    """
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged nested lists, for instance
        raise TypeError(f"{name} must be a numeric array; could not convert it: {exc}") from None
    if a.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be a numeric (real) array; got dtype {a.dtype} "
            f"(type {type(x).__name__}), expected integers or floats"
        )
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    elif a.dtype == np.float16:
        a = a.astype(np.float32)
    elif a.dtype not in (np.float32, np.float64):  # longdouble
        a = a.astype(np.float64)
    if ndim is not None:
        check_ndim(a, name, ndim)
    return a


def check_ndim(a, name, ndim):
    """Raise ``ValueError`` unless ``a.ndim`` is ``ndim`` (an int or a tuple of ints)."""
    allowed = (ndim,) if isinstance(ndim, Integral) else tuple(ndim)
    if a.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {want}; got a {a.ndim}-D array of shape {shape_str(a.shape)}")


def check_shape(a, name, expected, why=""):
    """Raise ``ValueError`` unless ``a.shape == expected``."""
    if tuple(a.shape) != tuple(expected):
        extra = f" ({why})" if why else ""
        raise ValueError(
            f"{name} must have shape {shape_str(expected)}{extra}; got shape {shape_str(a.shape)}"
        )


def _is_int(v):
    return isinstance(v, Integral) and not isinstance(v, bool)


def int_pair(value, name):
    """Turn an int or a pair of ints into a tuple ``(rows, cols)``; ``TypeError`` otherwise."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]          # a 0-d array is a scalar
    if _is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2 and all(_is_int(v) for v in value):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} must be an int or a pair of ints (rows, cols); got {value!r}")


def positive_int_pair(value, name):
    """Like :func:`int_pair`, but both entries must be >= 1 (``ValueError`` otherwise)."""
    pair = int_pair(value, name)
    if min(pair) < 1:
        raise ValueError(f"{name} must be positive (>= 1); got {value!r}")
    return pair


def nonneg_int_pair(value, name):
    """Like :func:`int_pair`, but both entries must be >= 0 (``ValueError`` otherwise)."""
    pair = int_pair(value, name)
    if min(pair) < 0:
        raise ValueError(f"{name} must be non-negative (>= 0); got {value!r}")
    return pair


def shape_tuple(value, name, min_len=0):
    """An array shape given as an argument (a tuple, list, ``torch.Size`` or 1-D integer array of
    ints >= 0) as a tuple of Python ints.  ``TypeError`` for anything else (a string, a number),
    ``ValueError`` for a negative entry or fewer than ``min_len`` entries."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and np.issubdtype(value.dtype, np.integer):
        value = value.tolist()
    if not isinstance(value, (tuple, list)) or not all(_is_int(v) for v in value):
        raise TypeError(f"{name} must be a shape, a tuple of ints such as (N, C, H, W); "
                        f"got {type(value).__name__} {value!r}")
    shape = tuple(int(v) for v in value)
    if any(v < 0 for v in shape):
        raise ValueError(f"{name} must have non-negative entries; got {shape_str(shape)}")
    if len(shape) < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries; got {shape_str(shape)}")
    return shape


def as_batch(x, name="x"):
    """``x`` as a batch ``(N, C, H, W)``: returns ``(x4, unbatched)`` where a 3-D ``(C, H, W)``
    input gets a leading axis of 1 and ``unbatched`` is True; ``ValueError`` for other ranks."""
    x = as_array(x, name)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{name} must be 4-D (N, C, H, W) or 3-D (C, H, W); got a {x.ndim}-D array of shape {shape_str(x.shape)}"
        )
    return (x[None], True) if x.ndim == 3 else (x, False)


def as_kernels(w, name="w"):
    """``w`` as a bank of kernels in the functional layout ``(F, C, kh, kw)``; ``ValueError``
    for another rank (see :mod:`cnnlab.shapes` for the layouts and their converters)."""
    w = as_array(w, name)
    if w.ndim != 4:
        raise ValueError(f"{name} must be 4-D (F, C, kh, kw); got a {w.ndim}-D array of shape {shape_str(w.shape)}")
    return w


def check_choice(value, name, choices, why=""):
    """``value`` if it is one of the words ``choices``; ``TypeError`` for a value that is not a
    str, ``ValueError`` for another word (both messages name ``name`` and list the choices;
    ``why`` is appended to say what the words mean)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(choices)}{why}; got {type(value).__name__} {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}{why}; got {value!r}")
    return value
