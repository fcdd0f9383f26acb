"""Self-checks for chapter 7, "A subsampling layer followed by convolution".

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np

from ..models import C3_CONNECTIONS
from ._vault import judge as _judge


__all__ = ["EX2", "C3", "check_ex1", "check_ex2", "check_ex3"]

#: ex. 2: the seed's 4×4 map numbered block by block, and a 2×2 residual
EX2 = {"x": np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]], float),
       "delta": np.array([[0.5, -1.0], [2.0, 0.25]])}
#: LeNet-5's Table I: C3 map -> the S2 maps it reads
C3 = dict(enumerate(C3_CONNECTIONS))   # the one table: cnnlab.models


def check_ex1(answer):
    """Ex. 1: node 11 of the seed's 4×4 subsampling map (reading order, 2×2 kernel labelled as
    applied, the seed's convention): which residual reaches it through which weight?"""
    return _judge("ch07-ex1", answer)


def check_ex2(answer):
    """Ex. 2: ∂E/∂β = Σ δ ∘ down(x) for the seed's block-numbered map (``EX2``)."""
    return _judge("ch07-ex2", answer)


def check_ex3(answer):
    """Ex. 3: in LeNet-5, how many full convolutions add up to the residual of S2 map 0?"""
    return _judge("ch07-ex3", answer)
