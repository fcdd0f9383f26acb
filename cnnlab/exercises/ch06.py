"""Self-checks for chapter 6, "A convolution layer followed by subsampling".

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge


__all__ = ["EX1", "EX2", "check_ex1", "check_ex2", "check_ex3"]

#: ex. 1: the seed's sizes -- 4×4 input, 3×3 residual, so a 2×2 kernel
EX1 = {"x": np.arange(1.0, 17.0).reshape(4, 4),
       "delta": np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -2.0, 1.0]])}
#: ex. 2: a 4×4 convolution map followed by 2×2 subsampling with β = 0.5, f'(u) = 1
EX2 = {"beta": 0.5, "delta_next": np.array([[1.0, 2.0], [3.0, 4.0]]), "fprime_u": np.ones((4, 4))}


def check_ex1(answer):
    """Ex. 1: ∂E/∂k for a layer u = conv2(x, k, 'valid') (Bouvrie's, MATLAB's convention)."""
    return _judge("ch06-ex1", answer)


def check_ex2(answer):
    """Ex. 2: ∂E/∂b for the convolution map, given β, f'(u) and the subsampling residual."""
    return _judge("ch06-ex2", answer)


def check_ex3(answer):
    """Ex. 3: how many products add up to ∂E/∂k[0, 0] for a 28×28 input and a 5×5 kernel
    ('valid')."""
    return _judge("ch06-ex3", answer)
