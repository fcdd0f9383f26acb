"""Self-checks for chapter 8, "Learning combinations of feature maps".

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge


__all__ = ["EX1", "check_ex1", "check_ex2"]

#: one output map, three input maps: c = (0, ln 2, ln 5) so α = (1/8, 2/8, 5/8)
EX1 = {"c": np.array([0.0, np.log(2.0), np.log(5.0)]), "dE_dalpha": np.array([1.0, 0.0, -1.0]),
       "lam": 0.1}


def check_ex1(answer):
    """Ex. 1: ∂E/∂c from ∂E/∂α through α = softmax(c)."""
    return _judge("ch08-ex1", answer)


def check_ex2(answer):
    """Ex. 2: the gradient of λ Σ_i |α_i| with respect to c, for the same c and λ = 0.1."""
    return _judge("ch08-ex2", answer)
