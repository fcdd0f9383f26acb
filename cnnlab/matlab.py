"""MATLAB's ``conv2``, exactly, so that code from Bouvrie's notes and the seeds ports over.

MATLAB's ``conv2(A, B, shape)`` is a **true convolution** (``*``: the kernel ``B`` is rotated by
180°), unlike the cross-correlation (``⋆``) of deep-learning frameworks.  For ``A`` of size
``ma × na`` and ``B`` of size ``mb × nb``, with ``full = A * B`` of size
``(ma + mb − 1) × (na + nb − 1)``:

* ``'full'``: all of it;
* ``'valid'``: ``full[mb−1 : ma, nb−1 : na]`` (0-based, end exclusive), of size
  ``max(ma − mb + 1, 0) × max(na − nb + 1, 0)`` — **empty** when ``B`` is larger than ``A``
  (SciPy's ``convolve2d`` instead swaps the inputs in that case);
* ``'same'``: the central part of size ``ma × na``,
  ``full[⌊mb/2⌋ : ⌊mb/2⌋ + ma, ⌊nb/2⌋ : ⌊nb/2⌋ + na]`` — in MATLAB's 1-based indexing,
  rows ``⌊mb/2⌋+1 … ⌊mb/2⌋+ma`` (equivalently ``ceil((mb−1)/2)+1 …``).

How MATLAB's ``'same'`` differs from SciPy's: ``scipy.signal.convolve2d(A, B, 'same')`` keeps
``full[(mb−1)//2 : (mb−1)//2 + ma, ...]``.  For an **odd** kernel the two offsets coincide
(``⌊mb/2⌋ = (mb−1)/2``).  For an **even** kernel MATLAB starts one row (column) *later*:
SciPy keeps the first row of ``full`` that MATLAB drops, and MATLAB keeps the last row that SciPy
drops.  Example from MATLAB's ``conv`` documentation: ``u = [-1 2 3 -2 0 1 2]``,
``v = [2 4 -1 1]``, ``conv(u, v, 'same') = [15 5 -9 7 6 7 -1]``, while SciPy's ``'same'`` gives
``[0 15 5 -9 7 6 7]``.  (A fact worth remembering: MATLAB's ``conv2(A, B, 'same')`` equals
SciPy's ``correlate2d(A, rot180(B), 'same')`` for every kernel size.)
"""
import numpy as np

from ._validate import as_array, check_choice, shape_str
from .conv import _full_correlation

__all__ = ["conv2"]

_SHAPES = ("full", "same", "valid")


def conv2(a, b, shape="full"):
    """MATLAB's ``conv2(A, B, shape)``: 2-D true convolution with MATLAB's output conventions.

    Inputs:
    - a: array (ma, na); a 1-D array is treated as a row vector (1, na), as MATLAB does
    - b: kernel (mb, nb); 1-D likewise a row vector
    - shape: ``"full"`` (ma+mb−1, na+nb−1), ``"same"`` (ma, na; rows from ⌊mb/2⌋, columns from
      ⌊nb/2⌋ of the full result, 0-based) or ``"valid"`` (max(ma−mb+1, 0), max(na−nb+1, 0))

    Returns a 2-D array (float64, or float32 if both inputs are float32).
    """
    shape = check_choice(shape.lower() if isinstance(shape, str) else shape, "shape", _SHAPES,
                         " (MATLAB's conv2 shapes, any case)")
    a = as_array(a, "a", ndim=(1, 2))
    b = as_array(b, "b", ndim=(1, 2))
    a = a[None, :] if a.ndim == 1 else a
    b = b[None, :] if b.ndim == 1 else b
    if 0 in a.shape or 0 in b.shape:
        raise ValueError(f"a and b must not be empty; got a shape {shape_str(a.shape)}, b shape {shape_str(b.shape)}")
    (ma, na), (mb, nb) = a.shape, b.shape
    full = _full_correlation(a, b[::-1, ::-1])  # true convolution, (ma+mb-1, na+nb-1)
    if shape == "full":
        return full
    if shape == "same":
        r0, c0 = mb // 2, nb // 2
        return full[r0:r0 + ma, c0:c0 + na].copy()
    rows, cols = max(ma - mb + 1, 0), max(na - nb + 1, 0)
    return full[mb - 1:mb - 1 + rows, nb - 1:nb - 1 + cols].copy()
