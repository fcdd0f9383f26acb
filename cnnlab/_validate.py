"""Argument checks shared by every public function of :mod:`cnnlab`.

Each helper either returns a cleaned-up value or raises ``TypeError`` (wrong kind of thing) or
``ValueError`` (right kind, wrong value or shape).  Messages always name the argument, say what
was received and what was expected, so that a learner can fix the call without reading our code.
"""
from numbers import Integral

import numpy as np

__all__ = [
    "as_array", "check_ndim", "int_pair", "positive_int_pair", "nonneg_int_pair",
    "check_shape", "shape_str",
]


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
