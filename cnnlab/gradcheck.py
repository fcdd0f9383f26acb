"""Numerical gradients and the relative error used to compare them with analytic ones.

The habit, from cs231n: derive a backward pass, then check it against centred finite
differences in float64 and print the relative error.  As a rule of thumb (float64, h = 1e-6,
smooth functions): below 1e-7 is right, around 1e-4 is suspicious, above 1e-2 is wrong.  Kinks
(ReLU at 0, ties in max pooling) can spoil the check near them.
"""
from numbers import Real

import numpy as np

from ._validate import as_array, check_bool, check_real, shape_str

__all__ = ["numerical_gradient", "numerical_gradient_array", "rel_error", "check_gradient"]


def _check_h(h):
    if isinstance(h, (bool, np.bool_)) or not isinstance(h, Real):
        raise TypeError(f"h must be a positive number; got {type(h).__name__} {h!r}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a positive number; got {h!r}")
    return float(h)


def _scalar(v, what):
    """``f``'s value as a float; ``TypeError`` if it is not a real number."""
    if np.ndim(v) != 0:
        raise ValueError(
            f"f must return a scalar; got an array of shape {shape_str(np.shape(v))} "
            f"(for an array-valued f use numerical_gradient_array)")
    try:
        a = np.asarray(v)
        if a.dtype.kind not in "biuf":
            raise TypeError
        return float(a)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a real number; {what} returned {type(v).__name__} "
                        f"{v!r}") from None


def numerical_gradient(f, x, h=1e-6):
    """Centred finite-difference gradient of a scalar function.

    ``grad[i] = (f(x + h·e_i) − f(x − h·e_i)) / (2h)`` for every index ``i`` of ``x``; the error
    is O(h²).  Everything runs in float64.

    Inputs:
    - f: callable taking an array of the shape of ``x`` and returning a scalar
    - x: array of any shape (not modified)
    - h: step, > 0

    Returns ``grad`` (float64) of the shape of ``x``.
    """
    if not callable(f):
        raise TypeError(f"f must be callable; got {type(f).__name__}")
    h = _check_h(h)
    x = as_array(x, "x").astype(np.float64)  # a copy we may perturb
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        fp = f(x)
        x[idx] = old - h
        fm = f(x)
        x[idx] = old
        grad[idx] = (_scalar(fp, "f(x + h·e_i)") - _scalar(fm, "f(x - h·e_i)")) / (2 * h)
    return grad


def numerical_gradient_array(f, x, dy, h=1e-6):
    """Centred finite-difference gradient of ``sum(dy * f(x))`` for an array-valued ``f``.

    This is what a backward pass returns when it is handed the upstream gradient ``dy``.

    Inputs:
    - f: callable, array of the shape of ``x`` -> array of the shape of ``dy``
    - x: array of any shape (not modified)
    - dy: upstream gradient, the shape of ``f(x)``
    - h: step, > 0

    Returns the gradient (float64) with the shape of ``x``.
    """
    if not callable(f):
        raise TypeError(f"f must be callable; got {type(f).__name__}")
    dy = as_array(dy, "dy").astype(np.float64)

    def scalar(z):
        out = as_array(f(z), "f(x)").astype(np.float64)
        if out.shape != dy.shape:
            raise ValueError(f"f(x) has shape {shape_str(out.shape)} but dy has shape {shape_str(dy.shape)}")
        return float(np.sum(out * dy))

    return numerical_gradient(scalar, x, h)


def rel_error(a, b):
    """cs231n's relative error: ``max |a − b| / max(1e−8, |a| + |b|)``, elementwise then the max.

    Inputs: arrays (or scalars) of the same shape.  Returns a float; 0.0 for two empty arrays.
    """
    a = as_array(a, "a").astype(np.float64)
    b = as_array(b, "b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {shape_str(a.shape)} and {shape_str(b.shape)}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def check_gradient(f, x, grad, h=1e-6, tol=1e-6, verbose=False):
    """Compare an analytic gradient with :func:`numerical_gradient`.

    Inputs:
    - f: scalar function of an array of the shape of ``x``
    - x: the point
    - grad: the analytic gradient at ``x`` (shape of x)
    - h: finite-difference step; tol: largest acceptable :func:`rel_error`
    - verbose: print the relative error

    Returns the relative error (a float); raises ``AssertionError`` if it exceeds ``tol`` — and
    also when the analytic or the numerical gradient holds NaN or inf (the relative error is
    then NaN, and a NaN compares false with every ``tol``: without this rule the check would
    pass).
    """
    if not callable(f):
        raise TypeError(f"f must be callable; got {type(f).__name__}")
    grad = as_array(grad, "grad")
    x_arr = as_array(x, "x")
    if grad.shape != x_arr.shape:
        raise ValueError(f"grad must have the shape of x {shape_str(x_arr.shape)}; got {shape_str(grad.shape)}")
    h = _check_h(h)
    tol = check_real(tol, "tol", 0.0, strict_min=True)
    verbose = check_bool(verbose, "verbose")
    num = numerical_gradient(f, x_arr, h)
    bad_a = int(np.count_nonzero(~np.isfinite(grad)))
    bad_n = int(np.count_nonzero(~np.isfinite(num)))
    if bad_a or bad_n:
        raise AssertionError(
            f"gradient check failed: the analytic gradient holds {bad_a} and the numerical one "
            f"{bad_n} NaN/inf entries (of {grad.size}); a NaN gradient or function never passes")
    err = rel_error(grad, num)
    if verbose:
        print(f"relative error: {err:.2e}")
    if not err <= tol:
        raise AssertionError(f"gradient check failed: relative error {err:.3e} > tol {tol:.1e}")
    return err
