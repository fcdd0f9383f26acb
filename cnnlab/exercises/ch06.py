"""Self-checks for chapter 6, "A convolution layer followed by subsampling".

Expected values come from SciPy (``correlate2d``) and plain NumPy sums, not from cnnlab.bouvrie.
"""
import numpy as np
from scipy import signal

from .ch05 import compare_array

__all__ = ["EX1", "EX2", "check_ex1", "check_ex2", "check_ex3"]

#: ex. 1: the seed's sizes -- 4×4 input, 3×3 residual, so a 2×2 kernel
EX1 = {"x": np.arange(1.0, 17.0).reshape(4, 4),
       "delta": np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -2.0, 1.0]])}
#: ex. 2: a 4×4 convolution map followed by 2×2 subsampling with β = 0.5, f'(u) = 1
EX2 = {"beta": 0.5, "delta_next": np.array([[1.0, 2.0], [3.0, 4.0]]), "fprime_u": np.ones((4, 4))}


def check_ex1(answer):
    """Ex. 1: ∂E/∂k for a layer u = conv2(x, k, 'valid') (Bouvrie's, MATLAB's convention)."""
    xc = signal.correlate2d(EX1["x"], EX1["delta"], "valid")
    right = xc[::-1, ::-1]
    wrongs = [(xc, "that is the cross-correlation x ⋆ δ, the gradient of a layer that computes "
                   "x ⋆ k. This layer flips k (conv2), so the gradient needs the outer rot180."),
              (xc.T, "that is transposed; rot180 flips rows and columns, it does not transpose."),
              (signal.convolve2d(EX1["x"], EX1["delta"], "valid"),
               "you convolved x with δ (flipping δ); the inner rot180 is there to undo conv2's "
               "flip, so that x and δ meet unflipped.")]
    return compare_array(answer, right, wrongs, "∂E/∂k")


def check_ex2(answer):
    """Ex. 2: ∂E/∂b for the convolution map, given β, f'(u) and the subsampling residual."""
    up = np.kron(EX2["delta_next"], np.ones((2, 2)))
    right = float((EX2["beta"] * EX2["fprime_u"] * up).sum())
    dn = EX2["delta_next"].sum()
    wrongs = [(EX2["beta"] * dn, "you summed δ^{l+1} (2×2) instead of δ^l = β up(δ^{l+1}) (4×4): "
                                 "each subsampling residual reaches 4 cells of the map."),
              ((EX2["fprime_u"] * up).sum(), "you left out β: the subsampling output is β·down(x) + b, "
                                             "so its input's residual carries a factor β."),
              (dn, "δ^l = β (f'(u) ∘ up(δ^{l+1})) is 4×4: both up() and β are missing.")]
    return compare_array(answer, right, wrongs, "∂E/∂b")


def check_ex3(answer):
    """Ex. 3: how many products add up to ∂E/∂k_11 for a 28×28 input and a 5×5 kernel ('valid')."""
    right = 24 * 24
    wrongs = [(25, "25 is the number of kernel weights; each weight meets every output position."),
              (28 * 28, "the output is 'valid': (28 − 5 + 1)² positions, not 28²."),
              (23 * 23, "the output size is 28 − 5 + 1 = 24, not 28 − 5.")]
    return compare_array(answer, right, wrongs, "the number of (input, residual) products")
