"""Self-checks for chapter 7, "A subsampling layer followed by convolution".

Expected values are worked out here from the definitions (index arithmetic, NumPy sums, the
LeNet table written out), not from cnnlab.bouvrie.
"""
import numpy as np

from .ch05 import compare_array

__all__ = ["EX2", "C3", "check_ex1", "check_ex2", "check_ex3"]

#: ex. 2: the seed's 4×4 map numbered block by block, and a 2×2 residual
EX2 = {"x": np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]], float),
       "delta": np.array([[0.5, -1.0], [2.0, 0.25]])}
#: LeNet-5's Table I: C3 map -> the S2 maps it reads
C3 = {0: (0, 1, 2), 1: (1, 2, 3), 2: (2, 3, 4), 3: (3, 4, 5), 4: (0, 4, 5), 5: (0, 1, 5),
      6: (0, 1, 2, 3), 7: (1, 2, 3, 4), 8: (2, 3, 4, 5), 9: (0, 3, 4, 5), 10: (0, 1, 4, 5),
      11: (0, 1, 2, 5), 12: (0, 1, 3, 4), 13: (1, 2, 4, 5), 14: (0, 2, 3, 5),
      15: (0, 1, 2, 3, 4, 5)}


def _as_dict(answer):
    """Accept {residual: 'kpq'} or an iterable of ('kpq', residual) pairs."""
    if isinstance(answer, dict):
        return {int(k): str(v) for k, v in answer.items()}
    out = {}
    for item in answer:
        k, n = item
        if isinstance(k, str):
            out[int(n)] = k
        else:
            out[int(k)] = str(n)
    return out


def check_ex1(answer):
    """Ex. 1: node 11 of the seed's 4×4 subsampling map (reading order, 2×2 kernel labelled as
    applied, the seed's convention): which residual reaches it through which weight?"""
    right = {5: "k22", 6: "k21", 8: "k12", 9: "k11"}
    flipped = {5: "k11", 6: "k12", 8: "k21", 9: "k22"}
    try:
        a = _as_dict(answer)
    except (TypeError, ValueError):
        print("✗ give a dict {residual number: 'kpq'} such as {5: 'k22', ...}, or pairs "
              "[('k22', 5), ...].")
        return False
    if a == right:
        print("✓ node 11 → {k22,5; k21,6; k12,8; k11,9}")
        return True
    if a == flipped:
        print("✗ those are the labels of the kernel handed to MATLAB's conv2 (it flips k). The "
              "seed labels the kernel as applied (its example kernel is 'already rotated'), so "
              "rotate your labels by 180°.")
        return False
    if set(a) != set(right):
        print(f"✗ the residuals should be the output nodes whose 2×2 window covers node 11 "
              f"(row 3, column 3): four of them; you gave {sorted(a)}.")
        return False
    print("✗ the residual numbers are right, but the kernel labels are not: at output node n the "
          "node sits at offset (p, q) in the window and meets k_pq.")
    return False


def check_ex2(answer):
    """Ex. 2: ∂E/∂β = Σ δ ∘ down(x) for the seed's block-numbered map (``EX2``)."""
    x, d = EX2["x"], EX2["delta"]
    blocks = x.reshape(2, 2, 2, 2).sum(axis=(1, 3))
    right = float((d * blocks).sum())
    wrongs = [(right / 4, "that uses the average over each block; Bouvrie's down() sums it."),
              (float(d.sum() * x.sum()), "each residual multiplies only its own 2×2 block, not "
                                          "the whole map."),
              (float(d.sum()), "that is ∂E/∂b; for β each residual is weighted by down(x).")]
    return compare_array(answer, right, wrongs, "∂E/∂β")


def check_ex3(answer):
    """Ex. 3: in LeNet-5, how many full convolutions add up to the residual of S2 map 0?"""
    right = sum(1 for ins in C3.values() if 0 in ins)
    wrongs = [(1, "that is what the single-index formula in the notes suggests; S2 map 0 feeds "
                  "several C3 maps and each sends its residual back."),
              (16, "not every C3 map reads S2 map 0: look at Table I."),
              (6, "6 is the number of S2 maps; count the C3 maps (columns) that list map 0.")]
    return compare_array(answer, right, wrongs, "the number of terms")
