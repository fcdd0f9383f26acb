"""Self-checks for chapter 3, "Counting parameters".

Each ``check_exN(answer)`` prints ✓ or says what is probably off, and returns ``None``
(a check prints, it does not return a verdict to loop on).
The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""

from ._vault import judge as _judge

__all__ = ["check_ex1", "check_ex2", "check_ex3", "check_ex4"]


def check_ex1(answer):
    """Ex. 1: parameters of ``Conv2D(16, (3, 3))`` on a 28×28×3 input."""
    return _judge("ch03-ex1", answer)


def check_ex2(answer):
    """Ex. 2: the seed q2's network as its prose describes it (valid padding, 2×2 max pooling,
    Flatten before the dense layers, one output unit)."""
    return _judge("ch03-ex2", answer)


def check_ex3(answer):
    """Ex. 3: trainable parameters of LeNet-5's S2 (subsampling of 6 maps)."""
    return _judge("ch03-ex3", answer)


def check_ex4(answer):
    """Ex. 4: multiply-adds of q2's first layer as coded (Conv2D(60, (7, 7)), 'same', on
    100×100×1) for one image."""
    return _judge("ch03-ex4", answer)
