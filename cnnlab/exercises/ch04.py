"""Self-checks for chapter 4, "The network as a formula".

Each ``check_exN(answer)`` prints ✓ or says what is probably off, and returns ``None``
(a check prints, it does not return a verdict to loop on).

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""

import numpy as np
from ._vault import judge as _judge

__all__ = ["check_ex1", "check_ex2", "check_ex3", "check_ex4", "EX4"]


def check_ex1(answer):
    """Ex. 1: how many times does ``x_1`` occur in the single nested formula of a dense network
    with widths [3, 4, 4, 1]?"""
    return _judge("ch04-ex1", answer)


def check_ex2(answer):
    """Ex. 2: the number of monomials of the fully expanded *linear* network [2, 3, 3, 1]."""
    return _judge("ch04-ex2", answer)


def check_ex3(answer):
    """Ex. 3: parameters of the Dense(10) layer of q1's model *with* a Flatten before it
    (the pooled map is 6×6×32)."""
    return _judge("ch04-ex3", answer)


#: numbers for exercise 4: the tiny CNN of the chapter (3×3 input, 2×2 kernel, ReLU,
#: 2×2 max pooling, one dense output)
EX4 = {
    "x": np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]),
    "k": np.array([[1.0, -1.0], [0.5, 2.0]]),
    "b": -1.0,
    "v": 3.0,
    "c": 0.5,
}


def check_ex4(answer):
    """Ex. 4: the output ``y`` of the tiny CNN for the numbers in ``EX4``."""
    return _judge("ch04-ex4", answer)
