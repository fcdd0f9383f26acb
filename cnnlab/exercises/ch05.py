"""Self-checks for chapter 5, "Backpropagation, the recursion".

Each ``check_exN(answer)`` prints ✓ or says what is probably off, and returns ``None``
(a check prints, it does not return a verdict to loop on).
The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge

__all__ = ["EX1", "EX3", "check_ex1", "check_ex2", "check_ex3",]

#: ex. 1: tanh output layer, squared error E = ½‖y − t‖²
EX1 = {"u": np.array([0.5, -1.0]), "t": np.array([1.0, 0.0])}
#: ex. 3: one step of the recursion
EX3 = {"W_next": np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]),
       "delta_next": np.array([0.5, -1.0]),
       "fprime_u": np.array([0.2, 0.5, 1.0])}


def check_ex1(answer):
    """Ex. 1: the output residual δ^L = f'(u^L) ∘ (y − t) for f = tanh."""
    return _judge("ch05-ex1", answer)


def check_ex2(answer):
    """Ex. 2: the shape of ∂E/∂W^l when W^l has shape (3, 5) (3 outputs, 5 inputs)."""
    return _judge("ch05-ex2", answer)


def check_ex3(answer):
    """Ex. 3: δ^l = (W^{l+1})ᵀ δ^{l+1} ∘ f'(u^l) with the data in ``EX3``."""
    return _judge("ch05-ex3", answer)
