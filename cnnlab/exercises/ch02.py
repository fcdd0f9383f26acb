"""Self-checks for chapter 2, *Pooling and subsampling*.

Each ``check_exN(...)`` prints ``✓ …`` when the answer is right, or explains what is off (naming
the slip that produces that particular wrong answer), and returns ``None``
(a check prints, it does not return a verdict to loop on).

* :func:`check_ex1` — 2×2 max pooling (stride 2) of ``EX1_X``;
* :func:`check_ex2` — the gradient that 2×2 max pooling routes back to ``EX2_X`` for ``EX2_DY``
  (with a tie);
* :func:`check_ex3` — ``(∂E/∂β, ∂E/∂b)`` of LeNet's subsampling ``u = β·down(x) + b`` for
  ``EX3_X`` and ``EX3_DELTA``;
* :func:`check_ex4` — trainable parameters of a max-pooling layer and of LeNet's S2 layer on 6 maps.

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge

__all__ = ["EX1_X", "EX2_X", "EX2_DY", "EX3_X", "EX3_DELTA", "check_ex1", "check_ex2", "check_ex3",
           "check_ex4"]

EX1_X = np.array([[1, 7, 2, 4],
                  [3, 0, 6, 5],
                  [8, 2, 1, 1],
                  [4, 9, 0, 3]], dtype=float)

#: exercise 2: the top-right window has a tie (two 5s)
EX2_X = np.array([[2, 1, 5, 0],
                  [0, 3, 1, 5],
                  [4, 2, 2, 7],
                  [1, 0, 6, 3]], dtype=float)
EX2_DY = np.array([[1.0, -2.0],
                   [0.5, 3.0]])

EX3_X = np.array([[1, 2, 0, 1],
                  [3, 1, 2, 2],
                  [0, 1, 1, 0],
                  [2, 0, 3, 1]], dtype=float)
EX3_DELTA = np.array([[0.5, -1.0],
                      [2.0, 0.25]])


def check_ex1(answer):
    """Exercise 1: 2×2 max pooling with stride 2 of ``EX1_X`` (a 2×2 array)."""
    return _judge("ch02-ex1", answer)


def check_ex2(answer):
    """Exercise 2: ∂E/∂x for 2×2 max pooling (stride 2) of ``EX2_X`` given δ = ``EX2_DY``
    (a 4×4 array)."""
    return _judge("ch02-ex2", answer)


def check_ex3(dbeta, db):
    """Exercise 3: ``(∂E/∂β, ∂E/∂b)`` for ``u = β·down(x) + b`` (2×2 blocks) with ``x = EX3_X`` and
    δ = ∂E/∂u = ``EX3_DELTA``."""
    return _judge("ch02-ex3", dbeta, db)


def check_ex4(maxpool_params, subsampling_params):
    """Exercise 4: trainable parameters of (a) a 2×2 max-pooling layer on 6 maps of 28×28 and
    (b) LeNet-5's S2 layer (trainable subsampling) on the same 6 maps."""
    return _judge("ch02-ex4", maxpool_params, subsampling_params)
