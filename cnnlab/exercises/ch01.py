"""Self-checks for chapter 1, *Convolution and cross-correlation*.

Each ``check_exN(answer)`` prints ``✓ …`` when the answer is right, or explains what is off (and
which common slip produces that particular wrong answer), and returns ``True``/``False``.

* :func:`check_ex1` — one output value of a cross-correlation, computed by hand;
* :func:`check_ex2` — an output length with padding and stride (the floor);
* :func:`check_ex3` — the shape ``[filters, depth, rows, columns]`` after the q3 seed's second
  convolution layer;
* :func:`check_ex4` — where MATLAB's and SciPy's ``'same'`` start inside the full convolution
  for a 4×4 kernel.
"""
import numpy as np
from ._report import no as _no, ok as _ok

__all__ = ["EX1_X", "EX1_W", "check_ex1", "check_ex2", "check_ex3", "check_ex4"]

#: exercise 1's input and kernel
EX1_X = np.array([[2, 0, 1, 3],
                  [1, 4, 0, 2],
                  [0, 1, 3, 1],
                  [2, 5, 0, 1]], dtype=float)
EX1_W = np.array([[1, 2],
                  [-1, 3]], dtype=float)


def _number(answer, what):
    try:
        return float(answer)
    except (TypeError, ValueError):
        return None


def check_ex1(answer):
    """Exercise 1: ``y[1, 2]`` of ``y = EX1_X ⋆ EX1_W`` (valid, stride 1), as a number."""
    v = _number(answer, "y[1, 2]")
    if v is None:
        return _no(f"give one number, y[1, 2]; got {answer!r}")
    x, w = EX1_X, EX1_W
    right = float((x[1:3, 2:4] * w).sum())                  # 0·1 + 2·2 + 3·(−1) + 1·3 = 4
    flipped = float((x[1:3, 2:4] * w[::-1, ::-1]).sum())    # true convolution
    swapped = float((x[2:4, 1:3] * w).sum())                # rows and columns exchanged
    if np.isclose(v, right):
        return _ok(f"y[1, 2] = 0·1 + 2·2 + 3·(−1) + 1·3 = {right:g}: the window's top-left corner sits on x[1, 2].")
    if np.isclose(v, flipped):
        return _no(f"{v:g} is what you get with the kernel rotated by 180° — that is true convolution (*), "
                   f"as MATLAB's conv2. Cross-correlation (⋆) multiplies x[1+a, 2+b] by w[a, b] with no flip.")
    if np.isclose(v, swapped):
        return _no(f"{v:g} puts the window at row 2, column 1: y[i, j] has its top-left corner on x[i, j] — "
                   f"row first, then column.")
    return _no(f"not {v:g}. Take the 2×2 block of x whose top-left corner is x[1, 2] (rows 1–2, columns 2–3), "
               f"multiply it cell by cell with w and add the four products.")


def check_ex2(answer):
    """Exercise 2: output width for i = 32, k = 5, s = 2, p = 1 (an int)."""
    v = _number(answer, "width")
    if v is None:
        return _no(f"give the output width as a number; got {answer!r}")
    i, k, s, p = 32, 5, 2, 1
    right = (i + 2 * p - k) // s + 1                         # ⌊29/2⌋ + 1 = 15
    if np.isclose(v, right):
        return _ok(f"⌊(32 + 2 − 5)/2⌋ + 1 = ⌊14.5⌋ + 1 = {right}; 29 is odd, so the size is floored and the "
                   f"last padded column is never read.")
    if np.isclose(v, (i + 2 * p - k) / s + 1):
        return _no(f"{v:g} is not a whole number of windows: frameworks take the floor, ⌊29/2⌋ = 14.")
    if np.isclose(v, -(-(i + 2 * p - k) // s) + 1):
        return _no(f"{v:g} rounds up; frameworks round down (floor): a window that would hang over the edge is dropped.")
    if np.isclose(v, (i + p - k) // s + 1):
        return _no(f"{v:g} counts the padding once; p = 1 pads *each* side, so the padded width is 32 + 2·1.")
    if np.isclose(v, (i - k) // s + 1):
        return _no(f"{v:g} forgets the padding: the padded width is i + 2p = 34.")
    if np.isclose(v, i + 2 * p - k + 1):
        return _no(f"{v:g} forgets the stride: the window moves 2 columns at a time, so divide by s = 2.")
    return _no(f"not {v:g}. Use o = ⌊(i + 2p − k)/s⌋ + 1 with i = 32, k = 5, s = 2, p = 1.")


def check_ex3(answer):
    """Exercise 3: the shape after the q3 seed's second convolution (10 filters @ 3×4×4, valid,
    stride 1) applied to the 3×13×13 output of its first pooling layer; answer as a tuple
    ``(depth, rows, columns)``."""
    try:
        shape = tuple(int(a) for a in answer)
    except (TypeError, ValueError):
        return _no(f"give a tuple (depth, rows, columns); got {answer!r}")
    if shape == (10, 10, 10):
        return _ok("10 filters → depth 10; each filter sums over all 3 input maps, and 13 − 4 + 1 = 10 rows and "
                   "columns: 10×10×10.")
    if shape == (10, 3, 10, 10) or shape == (3, 10, 10, 10):
        return _no("each filter spans the full depth 3 of its input and sums over it: one filter gives one "
                   "map, not three. Drop the depth axis of the filters.")
    if len(shape) != 3:
        return _no(f"give three numbers (depth, rows, columns); got {len(shape)}.")
    if shape[1:] == (13, 13):
        return _no("13×13 keeps the size — that is 'same' padding; the seed's layers use no padding (valid).")
    if shape[1:] in ((9, 9), (11, 11)):
        return _no(f"{shape[1]} rows: valid output length is i − k + 1 = 13 − 4 + 1.")
    if shape[0] == 3:
        return _no("the depth of the output is the number of filters (10), not the depth of the input.")
    if shape[1:] == (10, 10):
        return _no(f"the size 10×10 is right; the depth is the number of filters, 10 (you gave {shape[0]}).")
    return _no(f"not {shape}. Number of output maps = number of filters; rows = 13 − 4 + 1.")


def check_ex4(matlab_start, scipy_start):
    """Exercise 4: for a kernel with 4 rows, the 0-based row of ``conv2(A, B, 'full')`` where
    MATLAB's ``'same'`` result starts, and where SciPy's ``convolve2d(..., 'same')`` starts."""
    try:
        m, s = int(matlab_start), int(scipy_start)
    except (TypeError, ValueError):
        return _no(f"give two integers (MATLAB's start, SciPy's start); got {matlab_start!r}, {scipy_start!r}")
    mb = 4
    if (m, s) == (mb // 2, (mb - 1) // 2):
        return _ok("MATLAB starts at ⌊4/2⌋ = 2, SciPy at ⌊(4−1)/2⌋ = 1: for an even kernel they differ by one "
                   "row, and MATLAB's window is shifted down/right.")
    if (m, s) == ((mb - 1) // 2, mb // 2):
        return _no("the two are swapped: MATLAB drops one more leading row than SciPy (start ⌊mb/2⌋ vs ⌊(mb−1)/2⌋).")
    if (m, s) == (3, 2):
        return _no("these look 1-based (MATLAB's own indexing); the question asks for 0-based rows.")
    if m == s:
        return _no("for an even kernel the two 'same' conventions do not agree — compute both starts; "
                   "they differ by one.")
    return _no(f"not ({m}, {s}). The full result has ma + 3 rows; 'same' keeps ma of them. MATLAB starts at "
               f"⌊mb/2⌋, SciPy at ⌊(mb − 1)/2⌋ — check this with the code cell of the chapter.")
