"""Self-checks for chapter 4, "The network as a formula".

Each ``check_exN(answer)`` prints ✓ or says what is probably off, and returns ``True``/``False``.
"""
from numbers import Integral, Real

import numpy as np

__all__ = ["check_ex1", "check_ex2", "check_ex3", "check_ex4", "EX4"]


def _count(answer):
    if isinstance(answer, bool) or not isinstance(answer, Real) or not float(answer).is_integer():
        print(f"✗ the answer should be a whole number (a count); got {answer!r}.")
        return None
    return int(answer)


def _judge(answer, right, wrongs, what, hint):
    a = _count(answer)
    if a is None:
        return False
    if a == right:
        print(f"✓ {what}: {right:,}.")
        return True
    print(f"✗ {a:,} is not it: " + wrongs.get(a, hint))
    return False


def check_ex1(answer):
    """Ex. 1: how many times does ``x_1`` occur in the single nested formula of a dense network
    with widths [3, 4, 4, 1]?"""
    return _judge(answer, 4 * 4, {
        1: "in the layered formula x_1 appears once per first-layer unit; in the nested one, "
           "every first-layer unit is copied once for every path to the output.",
        4: "that counts the first-layer units using x_1, but each is copied into every one of "
           "the 4 second-layer units.",
        3 * 4 * 4: "that counts all three inputs; the question asks for x_1 only.",
    }, "occurrences of x_1", "count the paths from x_1 to the output: one per choice of a unit "
                             "in each hidden layer.")


def check_ex2(answer):
    """Ex. 2: the number of monomials of the fully expanded *linear* network [2, 3, 3, 1]."""
    right = 2 * 3 * 3 + 3 * 3 + 3 + 1
    return _judge(answer, right, {
        2 * 3 * 3: "those are the paths from the inputs; the biases start paths too (b^(1) "
                   "through 3·3 routes, b^(2) through 3, and b^(3) itself).",
        (2 + 1) * 3 + (3 + 1) * 3 + (3 + 1) * 1: "that is the number of parameters (the "
                                                 "layered formula); expanding multiplies paths.",
    }, "monomials", "each monomial is a product of weights along one path that starts at an "
                    "input or a bias and ends at the output; count the paths.")


def check_ex3(answer):
    """Ex. 3: parameters of the Dense(10) layer of q1's model *with* a Flatten before it
    (the pooled map is 6×6×32)."""
    right = (6 * 6 * 32 + 1) * 10
    return _judge(answer, right, {
        (32 + 1) * 10: "that is the layer without Flatten (acting on the 32 channels at each of "
                       "the 6·6 positions), the code as written.",
        6 * 6 * 32 * 10: "add the 10 biases.",
        (15 * 15 * 32 + 1) * 10: "two poolings: 32 → 30 → 15 → 13 → 6, so the map is 6×6×32.",
    }, "parameters of Dense(10) after Flatten", "the flattened map has 6·6·32 = 1152 numbers; "
                                               "each of the 10 units has a weight per number "
                                               "and a bias.")


#: numbers for exercise 4: the tiny CNN of the chapter (3×3 input, 2×2 kernel, ReLU,
#: 2×2 max pooling, one dense output)
EX4 = {
    "x": np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]),
    "k": np.array([[1.0, -1.0], [0.5, 2.0]]),
    "b": -1.0,
    "v": 3.0,
    "c": 0.5,
}


def _ex4_value():
    x, k = EX4["x"], EX4["k"]
    u = np.array([[np.sum(k * x[r:r + 2, s:s + 2]) + EX4["b"] for s in range(2)]
                  for r in range(2)])
    return EX4["v"] * np.max(np.maximum(u, 0.0)) + EX4["c"]


def check_ex4(answer):
    """Ex. 4: the output ``y`` of the tiny CNN for the numbers in ``EX4``."""
    if isinstance(answer, bool) or not isinstance(answer, Real):
        print(f"✗ the answer should be a number; got {answer!r}.")
        return False
    right = float(_ex4_value())
    if abs(float(answer) - right) < 1e-9:
        print(f"✓ y = {right:g}.")
        return True
    x, k = EX4["x"], EX4["k"]
    flipped = np.array([[np.sum(k[::-1, ::-1] * x[r:r + 2, s:s + 2]) + EX4["b"]
                         for s in range(2)] for r in range(2)])
    if abs(float(answer) - (EX4["v"] * np.max(np.maximum(flipped, 0)) + EX4["c"])) < 1e-9:
        print("✗ that flips the kernel (true convolution, *); the layer computes the "
              "cross-correlation ⋆: k_{a,b} multiplies x_{r+a, s+b}.")
        return False
    u = np.array([[np.sum(k * x[r:r + 2, s:s + 2]) + EX4["b"] for s in range(2)]
                  for r in range(2)])
    if abs(float(answer) - (EX4["v"] * u.mean() + EX4["c"])) < 1e-9 or abs(
            float(answer) - (EX4["v"] * np.maximum(u, 0).mean() + EX4["c"])) < 1e-9:
        print("✗ that averages the four window values; the pooling takes their maximum.")
        return False
    print(f"✗ {answer!r} is not y. Compute the four pre-activations u_rs = Σ k_ab x_(r+a)(s+b) "
          f"+ b, apply ReLU, take the maximum, then y = v·max + c.")
    return False
