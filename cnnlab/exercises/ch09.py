"""Self-checks for chapter 9, "Max-pooling, ReLU and convolution in a chain".

Each ``check_exN(answer)`` prints ✓ or explains what is off, and returns True/False.  The
reference answers are computed here with plain loops, independently of :mod:`cnnlab.chain`.
"""
import numpy as np
from ._report import no as _no, ok as _ok

__all__ = ["EX2_R", "EX2_DP", "EX3_X", "EX3_DELTA", "check_ex1", "check_ex2", "check_ex3",
           "check_ex4", "check_ex5"]

#: Exercise 2: a 4×4 input of a 2×2 max-pool and the gradient arriving at its 2×2 output.
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


def _as_float_array(answer, name):
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None
    return a


def check_ex1(shapes):
    """Shapes of u¹, p¹, u², p² in the seed's network, as a list of 4 tuples (C, H, W)."""
    want = [(3, 26, 26), (3, 13, 13), (10, 10, 10), (10, 5, 5)]
    names = ["u¹ (conv 1)", "p¹ (pool 1)", "u² (conv 2)", "p² (pool 2)"]
    try:
        got = [tuple(int(v) for v in s) for s in shapes]
    except (TypeError, ValueError):
        return _no(f"give a list of 4 shapes like (3, 26, 26); got {shapes!r}")
    if len(got) != 4:
        return _no(f"give 4 shapes (u¹, p¹, u², p²); got {len(got)}")
    for g, w, n in zip(got, want, names):
        if g != w:
            if n.startswith("u²") and g[1:] == (11, 11):
                return _no(f"{n}: a 4×4 kernel on a 13×13 map gives 13 − 4 + 1 = 10; got {g}")
            if n.startswith("u") and g[1:] == (w[1] + 1, w[2] + 1):
                return _no(f"{n}: a 'valid' convolution gives H − k + 1 rows, not H − k + 2; got {g}")
            if g[0] != w[0]:
                return _no(f"{n}: the number of maps is the number of filters of the last conv; got {g}")
            return _no(f"{n}: expected {w}, got {g}")
    return _ok("shapes 3×26×26 → 3×13×13 → 10×10×10 → 10×5×5")


def _maxpool_backward_loops(r, dp):
    dr = np.zeros_like(r)
    for a in range(r.shape[0] // 2):
        for b in range(r.shape[1] // 2):
            win = r[2 * a:2 * a + 2, 2 * b:2 * b + 2]
            i, j = divmod(int(np.argmax(win)), 2)
            dr[2 * a + i, 2 * b + j] = dp[a, b]
    return dr


def check_ex2(dr):
    """∂E/∂r for :data:`EX2_R` pooled 2×2 with upstream gradient :data:`EX2_DP` (a 4×4 array)."""
    a = _as_float_array(dr, "dr")
    if a is None or a.shape != (4, 4):
        return _no(f"the answer is a 4×4 array shaped like the pooled input; got {np.shape(dr)}")
    want = _maxpool_backward_loops(EX2_R, EX2_DP)
    if np.allclose(a, want):
        return _ok("the upstream gradient goes to each window's maximum, zeros elsewhere")
    if np.allclose(a, (want != 0).astype(float)):
        return _no("you put 1 at the winners: that is the local derivative ∂p/∂r; the gradient "
                   "∂E/∂r at the winner is 1 · ∂E/∂p, the upstream value")
    spread = np.kron(EX2_DP, np.ones((2, 2))) / 4
    if np.allclose(a, spread):
        return _no("spreading ∂E/∂p evenly over the window is average-pooling's backward pass; "
                   "max-pooling sends all of it to the maximum")
    if np.allclose(a, np.kron(EX2_DP, np.ones((2, 2)))):
        return _no("up(∂E/∂p) is only half of it: multiply by the switches (1 at each window's "
                   "maximum, 0 elsewhere)")
    return _no("not yet: in each 2×2 window find the largest entry of EX2_R; it receives that "
               "window's value of EX2_DP, the other three receive 0")


def _valid_xcorr(x, k):
    H, W = x.shape
    kh, kw = k.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
    return out


def check_ex3(dw):
    """∂E/∂W (3×3) of a conv layer with input :data:`EX3_X` and residual :data:`EX3_DELTA`."""
    a = _as_float_array(dw, "dw")
    if a is None or a.shape != (3, 3):
        return _no(f"the gradient has the kernel's shape: 4 − 2 + 1 = 3, so 3×3; got {np.shape(dw)}")
    want = _valid_xcorr(EX3_X, EX3_DELTA)
    if np.allclose(a, want):
        return _ok("∂E/∂W[p, q] = Σ_ij x[i+p, j+q] · δ[i, j], the valid cross-correlation x ⋆ δ")
    if np.allclose(a, want[::-1, ::-1]):
        return _no("your answer is rotated by 180°: that is the true convolution x * δ, the form "
                   "for a MATLAB-style flipped kernel; a framework's (cross-correlating) layer "
                   "needs x ⋆ δ, without the flip")
    if np.allclose(a, _valid_xcorr(EX3_X, EX3_DELTA[::-1, ::-1])):
        return _no("you flipped δ: the weight W[p, q] meets x[i+p, j+q] at output (i, j), so "
                   "multiply x's window by δ as it is")
    return _no("not yet: slide the 2×2 δ over x; at offset (p, q) sum x[i+p, j+q]·δ[i, j]")


def check_ex4(w_col_shape, x_col_shape, dy_shape):
    """Shapes of W_col, X_col and dY (=D) for the seed's second convolution layer."""
    try:
        got = [tuple(int(v) for v in s) for s in (w_col_shape, x_col_shape, dy_shape)]
    except (TypeError, ValueError):
        return _no("give three shapes as pairs, e.g. (10, 48)")
    want = [(10, 48), (48, 100), (10, 100)]
    if got == want:
        return _ok("W_col 10×48 times X_col 48×100 gives 10×100 = 10 maps of 10×10; "
                   "dW_col = D·X_colᵀ is 10×48, dX_col = W_colᵀ·D is 48×100")
    if got[1] == (100, 48):
        return _no("X_col has one *column* per output position (100) and one row per weight of "
                   "a filter (3·4·4 = 48): 48×100")
    if got[0][1] == 16 or got[1][0] == 16:
        return _no("a filter of layer 2 has depth 3: 3·4·4 = 48 weights, not 16")
    if got[2] == (10, 25):
        return _no("D is δ² (the conv output's residual, 10×10×10 → 10×100), not ∂E/∂p² (10×5×5)")
    return _no(f"expected {want}, got {got}")


def check_ex5(n):
    """At most how many of the 1000 entries of δ² can be nonzero? (an int)"""
    try:
        v = int(n)
    except (TypeError, ValueError):
        return _no(f"give a whole number; got {n!r}")
    if v == 250:
        return _ok("one winner per 2×2 window: 10·5·5 = 250 entries at most (fewer where the "
                   "winner's u² ≤ 0)")
    if v == 1000:
        return _no("the switches already zero 3 of every 4 entries of ∂E/∂r²")
    if v == 500:
        return _no("the ReLU mask can zero more entries, but it cannot add nonzeros the "
                   "switches removed; count the windows")
    return _no("count the 2×2 windows of the 10 maps of 10×10: each passes one entry")
