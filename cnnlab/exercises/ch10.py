"""Self-checks for chapter 10, "Putting it together: LeNet-5 from scratch".

Each ``check_exN(answer)`` prints ✓ or explains what is off, and returns ``None``.

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge

__all__ = ["EX3_CONFUSION", "check_ex1", "check_ex2", "check_ex3"]

#: Exercise 3: a confusion matrix of a 3-class classifier (rows: true class, columns: predicted).
EX3_CONFUSION = np.array([[50, 0, 0],
                          [10, 30, 10],
                          [0, 0, 50]])


def check_ex1(shapes):
    """Output shapes (H, W, C) of C1, S2, C3, S4, C5 for a 32×32×1 input, as 5 tuples."""
    return _judge("ch10-ex1", shapes)


def check_ex2(n):
    """Trainable parameters of C3 (an int)."""
    return _judge("ch10-ex2", n)


def check_ex3(accuracy, worst_class):
    """Accuracy of :data:`EX3_CONFUSION` (a fraction) and the class with the lowest recall."""
    return _judge("ch10-ex3", accuracy, worst_class)
