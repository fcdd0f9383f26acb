"""Self-checks for chapter 1, *Convolution and cross-correlation*.

Each ``check_exN(answer)`` prints ``✓ …`` when the answer is right, or explains what is off (and
which common slip produces that particular wrong answer), and returns ``None``
(a check prints, it does not return a verdict to loop on).

* :func:`check_ex1` — one output value of a cross-correlation, computed by hand;
* :func:`check_ex2` — an output length with padding and stride (the floor);
* :func:`check_ex3` — the shape ``[filters, depth, rows, columns]`` after the q3 seed's second
  convolution layer;
* :func:`check_ex4` — where MATLAB's and SciPy's ``'same'`` start inside the full convolution
  for a 4×4 kernel.

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge

__all__ = ["EX1_X", "EX1_W", "check_ex1", "check_ex2", "check_ex3", "check_ex4"]

#: exercise 1's input and kernel
EX1_X = np.array([[2, 0, 1, 3],
                  [1, 4, 0, 2],
                  [0, 1, 3, 1],
                  [2, 5, 0, 1]], dtype=float)
EX1_W = np.array([[1, 2],
                  [-1, 3]], dtype=float)


def check_ex1(answer):
    """Exercise 1: ``y[1, 2]`` of ``y = EX1_X ⋆ EX1_W`` (valid, stride 1), as a number."""
    return _judge("ch01-ex1", answer)


def check_ex2(answer):
    """Exercise 2: output width for i = 32, k = 5, s = 2, p = 1 (an int)."""
    return _judge("ch01-ex2", answer)


def check_ex3(answer):
    """Exercise 3: the shape after the q3 seed's second convolution (10 filters @ 3×4×4, valid,
    stride 1) applied to the 3×13×13 output of its first pooling layer; answer as a tuple
    ``(depth, rows, columns)``."""
    return _judge("ch01-ex3", answer)


def check_ex4(matlab_start, scipy_start):
    """Exercise 4: for a kernel with 4 rows, the 0-based row of ``conv2(A, B, 'full')`` where
    MATLAB's ``'same'`` result starts, and where SciPy's ``convolve2d(..., 'same')`` starts."""
    return _judge("ch01-ex4", matlab_start, scipy_start)
