"""Self-checks for chapter 9, "Max-pooling, ReLU and convolution in a chain".

Each ``check_exN(answer)`` prints ✓ or explains what is off, and returns ``None``.
The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge

__all__ = ["EX2_R", "EX2_DP", "EX3_X", "EX3_DELTA", "check_ex1", "check_ex2", "check_ex3",
           "check_ex4", "check_ex5"]

#: Exercise 2: a 4×4 input x^l of a 2×2 max-pool and the gradient ∂E/∂x^{l+1} arriving at its
#: 2×2 output.
EX2_R = np.array([[0.0, 2.0, 1.0, 1.5],
                  [1.0, 0.5, 3.0, 0.0],
                  [4.0, 4.5, 0.0, 0.0],
                  [0.0, 1.0, 0.2, 0.0]])
EX2_DP = np.array([[-0.5, 2.0],
                   [3.0, 1.0]])

#: Exercise 3: the input of a convolution layer (one channel, 4×4) and its residual map (2×2).
EX3_X = np.array([[1.0, 2.0, 0.0, 1.0],
                  [0.0, 1.0, 3.0, 2.0],
                  [2.0, 0.0, 1.0, 1.0],
                  [1.0, 1.0, 0.0, 2.0]])
EX3_DELTA = np.array([[1.0, -1.0],
                      [2.0, 0.0]])


def check_ex1(shapes):
    """Shapes of u¹, x², u³, x⁴ in the seed's network (conv, pool, conv, pool: layers 1 to 4), as
    a list of 4 tuples (C, H, W)."""
    return _judge("ch09-ex1", shapes)


def check_ex2(dx):
    """∂E/∂x^l for the max-pool's input x^l = :data:`EX2_R` (pooled 2×2), with the upstream
    gradient ∂E/∂x^{l+1} = :data:`EX2_DP` (a 4×4 array)."""
    return _judge("ch09-ex2", dx)


def check_ex3(dk):
    """∂E/∂k (3×3) of a conv layer with input :data:`EX3_X` and residual :data:`EX3_DELTA`."""
    return _judge("ch09-ex3", dk)


def check_ex4(w_col_shape, x_col_shape, delta_shape):
    """Shapes of W_col, X_col and Δ (the residual δ³ as maps × positions) for the seed's second
    convolution (layer 3)."""
    return _judge("ch09-ex4", w_col_shape, x_col_shape, delta_shape)


def check_ex5(n):
    """At most how many of the 1000 entries of δ³ can be nonzero? (an int)"""
    return _judge("ch09-ex5", n)
