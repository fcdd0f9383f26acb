"""Self-checks for chapter 11, *Why rectification? The RECOS model*.

Each ``check_exN(answer)`` prints ``✓ …`` when the answer is right, or explains what is off (and
which common slip produces that particular wrong answer), and returns ``None``
(a check prints, it does not return a verdict to loop on).

* :func:`check_ex1` — TReLU with ``φ = 0.5`` applied by hand to ``EX1_U``;
* :func:`check_ex2` — the logits of a gray-level-inverted image for a network without
  rectification, from ``EX2_Z`` (the digit's logits), ``EX2_F0`` and ``EX2_F1`` (the logits of an
  all-black and an all-white image);
* :func:`check_ex3` — the receptive field of LeNet-5's S4 unit and the kernel size of a single
  stride-2 convolution layer (followed by 2×2 pooling) that sees as much;
* :func:`check_ex4` — which class an affine classifier can get right on both a digit and its
  negative, given ``EX4_K = F(0) + F(1)``.

The reference answers are not in the package: the checks compare salted digests made by the teacher-only
``tools/answer_key.py`` (independent computations: plain loops, SciPy, hand formulas); see
:mod:`cnnlab.exercises._vault`.
"""
import numpy as np
from ._vault import judge as _judge

__all__ = ["EX1_U", "EX1_PHI", "EX2_Z", "EX2_F0", "EX2_F1", "EX4_K",
           "check_ex1", "check_ex2", "check_ex3", "check_ex4"]

#: exercise 1's pre-activations and threshold
EX1_U = np.array([-0.8, 0.2, 0.5, 0.6, 0.9, 1.0])
EX1_PHI = 0.5
#: exercise 2: logits of a digit, of the all-black image (zeros) and of the all-white image (ones)
EX2_Z = np.array([1.0, -2.0, 6.5, 0.5, -1.0, 2.0, 0.0, -0.5, 3.0, 1.5])
EX2_F0 = np.array([0.2, 0.1, -0.3, 0.0, 0.4, -0.1, 0.3, 0.0, -0.2, 0.1])
EX2_F1 = np.array([1.0, 0.5, 0.0, 2.5, -0.5, 1.0, 0.5, 3.0, 0.0, 1.0])
#: exercise 4: K = F(0) + F(1) for an affine classifier
EX4_K = np.array([0.4, -1.2, 0.9, 2.3, 0.1, -0.4, 1.7, 0.0, 0.8, -2.0])


def check_ex1(answer):
    """Exercise 1: ``TReLU_φ(EX1_U)`` for ``φ = 0.5`` (six numbers)."""
    return _judge("ch11-ex1", answer)


def check_ex2(answer):
    """Exercise 2: the logits ``F(1 − x)`` of the inverted image (ten numbers)."""
    return _judge("ch11-ex2", answer)


def check_ex3(rf, kernel):
    """Exercise 3: ``rf`` — the receptive field (pixels across) of one S4 unit in
    ``C1 5×5 → S2 2×2 → C3 5×5 → S4 2×2``; ``kernel`` — the side ``k`` of a single ``k×k``
    convolution with stride 2, followed by 2×2 pooling, whose output units see as much."""
    return _judge("ch11-ex3", rf, kernel)


def check_ex4(answer):
    """Exercise 4: the only class (0–9) that an affine classifier with ``F(0) + F(1) = EX4_K``
    can get right on both a digit and its gray-level inversion."""
    return _judge("ch11-ex4", answer)
