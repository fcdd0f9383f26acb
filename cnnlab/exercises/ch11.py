"""Self-checks for chapter 11, *Why rectification? The RECOS model*.

Each ``check_exN(answer)`` prints ``✓ …`` when the answer is right, or explains what is off (and
which common slip produces that particular wrong answer), and returns ``True``/``False``.

* :func:`check_ex1` — TReLU with ``φ = 0.5`` applied by hand to ``EX1_U``;
* :func:`check_ex2` — the logits of a gray-level-inverted image for a network without
  rectification, from ``EX2_Z`` (the digit's logits), ``EX2_F0`` and ``EX2_F1`` (the logits of an
  all-black and an all-white image);
* :func:`check_ex3` — the receptive field of LeNet-5's S4 unit and the kernel size of a single
  stride-2 convolution layer (followed by 2×2 pooling) that sees as much;
* :func:`check_ex4` — which class an affine classifier can get right on both a digit and its
  negative, given ``EX4_K = F(0) + F(1)``.
"""
import numpy as np
from ._report import no as _no, ok as _ok

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


def _vector(answer, n):
    try:
        v = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    return v if v.shape == (n,) else None


def check_ex1(answer):
    """Exercise 1: ``TReLU_φ(EX1_U)`` for ``φ = 0.5`` (six numbers)."""
    v = _vector(answer, len(EX1_U))
    if v is None:
        return _no(f"give {len(EX1_U)} numbers, one per entry of EX1_U; got {answer!r}")
    u, phi = EX1_U, EX1_PHI
    right = np.where(u < phi, 0.0, (u - phi) / (1 - phi))          # [0, 0, 0, 0.2, 0.8, 1]
    if np.allclose(v, right):
        return _ok("TReLU maps [φ, 1] = [0.5, 1] onto [0, 1]: 0.6 → 0.1/0.5 = 0.2, 0.9 → 0.8, 1 → 1; "
                   "everything below φ (including the weak positive 0.2) becomes 0.")
    if np.allclose(v, np.where(u < phi, 0.0, u - phi)):
        return _no("you shifted by φ but did not divide by 1 − φ = 0.5: TReLU rescales so that a perfect "
                   "correlation 1 still gives 1.")
    if np.allclose(v, np.where(u < phi, 0.0, u)):
        return _no("you cut below φ but kept u as it is above φ; TReLU also shifts, (u − φ)/(1 − φ), so the "
                   "output is continuous at u = φ.")
    if np.allclose(v, np.maximum(u, 0)):
        return _no("that is the plain ReLU (φ = 0); with φ = 0.5 the weak correlations 0.2 and 0.5 are "
                   "discarded too, and the rest rescaled by 1/(1 − φ).")
    return _no("not quite: output 0 where u < φ, (u − φ)/(1 − φ) where u ≥ φ, entry by entry.")


def check_ex2(answer):
    """Exercise 2: the logits ``F(1 − x)`` of the inverted image (ten numbers)."""
    v = _vector(answer, 10)
    if v is None:
        return _no(f"give ten logits; got {answer!r}")
    right = EX2_F0 + EX2_F1 - EX2_Z
    if np.allclose(v, right):
        cls, cls_inv = int(np.argmax(EX2_Z)), int(np.argmax(right))
        return _ok(f"F is affine, F(x) = Ax + c, so F(1 − x) = A·1 + c − Ax = F(1) + F(0) − F(x). "
                   f"The digit is read as {cls}, its negative as {cls_inv}: the network's verdict on the "
                   f"negative is fixed by its verdict on the digit.")
    if np.allclose(v, -EX2_Z):
        return _no("−F(x) would hold for a *linear* map without biases and for the negative −x; the "
                   "inversion is 1 − x and the network has biases: use F(0) and F(1).")
    if np.allclose(v, EX2_F1 - EX2_Z):
        return _no("close: F(1 − x) = A·1 − Ax + c, and A·1 = F(1) − c = F(1) − F(0), so you need "
                   "F(1) + F(0) − F(x) (you dropped the bias c = F(0)).")
    if np.allclose(v, EX2_F1 - EX2_F0 - EX2_Z):
        return _no("sign slip on the bias: F(1 − x) = (F(1) − c) − (F(x) − c) + c with c = F(0).")
    return _no("write F(x) = Ax + c with c = F(0) and A·1 = F(1) − F(0), then expand F(1 − x).")


def check_ex3(rf, kernel):
    """Exercise 3: ``rf`` — the receptive field (pixels across) of one S4 unit in
    ``C1 5×5 → S2 2×2 → C3 5×5 → S4 2×2``; ``kernel`` — the side ``k`` of a single ``k×k``
    convolution with stride 2, followed by 2×2 pooling, whose output units see as much."""
    try:
        rf, kernel = float(rf), float(kernel)
    except (TypeError, ValueError):
        return _no(f"give two numbers (rf, kernel); got {rf!r}, {kernel!r}")
    ok_rf, ok_k = rf == 16, kernel == 14
    if ok_rf and ok_k:
        return _ok("r grows by (k − 1)·jump at each layer: 5 → 6 (S2, jump 1) → 14 (C3, 4·2) → 16 (S4, 1·2); "
                   "the single layer: k → k + (2 − 1)·2 = k + 2 = 16, so k = 14 — one 14×14 filter must hold a "
                   "whole digit part as one anchor, where the cascade combines small ones.")
    if rf == 14:
        return _no("14 is C3's receptive field; S4 pools 2×2 of C3 units that are 2 pixels apart, adding 1·2.")
    if rf == 11:
        return _no("11 = 5 + 1 + 4 + 1 forgets the jumps: C3's 5×5 window steps over S2 units that are 2 input "
                   "pixels apart, so it adds (5 − 1)·2 = 8, not 4; S4 adds (2 − 1)·2 = 2.")
    if ok_rf and kernel == 15:
        return _no("the pooled units are 2 pixels apart (the convolution has stride 2), so 2×2 pooling adds "
                   "(2 − 1)·2 = 2, not 1: k = 14.")
    if ok_rf and kernel == 16:
        return _no("the pooling adds to the receptive field too: k + 2 = 16.")
    return _no("use r_out = r_in + (k − 1)·j_in and j_out = j_in·s, starting from r = 1, j = 1. "
               + ("Your receptive field is right; now solve k + 2 = 16." if ok_rf else ""))


def check_ex4(answer):
    """Exercise 4: the only class (0–9) that an affine classifier with ``F(0) + F(1) = EX4_K``
    can get right on both a digit and its gray-level inversion."""
    try:
        v = int(answer)
    except (TypeError, ValueError):
        return _no(f"give one class label 0–9; got {answer!r}")
    right = int(np.argmax(EX4_K))
    if v == right:
        return _ok(f"both right needs F_c(x) − F_j(x) > 0 and K_c − K_j > F_c(x) − F_j(x) for all j ≠ c, so "
                   f"K_c > K_j for every j: only c = argmax K = {right}. For the nine other classes, at least "
                   f"one of the two polarities is misread, however the network is trained.")
    if v == int(np.argmin(EX4_K)):
        return _no("that is argmin K. Write both conditions for class c and add them: you need K_c > K_j.")
    return _no("write 'x read as c' and '1 − x read as c' with F(1 − x) = K − F(x), for every j ≠ c, "
               "and add the two inequalities.")
