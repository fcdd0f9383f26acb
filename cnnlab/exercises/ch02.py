"""Self-checks for chapter 2, *Pooling and subsampling*.

Each ``check_exN(...)`` prints ``✓ …`` when the answer is right, or explains what is off (naming
the slip that produces that particular wrong answer), and returns ``True``/``False``.

* :func:`check_ex1` — 2×2 max pooling (stride 2) of ``EX1_X``;
* :func:`check_ex2` — the gradient that 2×2 max pooling routes back to ``EX2_X`` for ``EX2_DY``
  (with a tie);
* :func:`check_ex3` — ``(∂E/∂β, ∂E/∂b)`` of LeNet's subsampling ``u = β·down(x) + b`` for
  ``EX3_X`` and ``EX3_DELTA``;
* :func:`check_ex4` — trainable parameters of a max-pooling layer and of LeNet's S2 layer on 6 maps.
"""
import numpy as np
from ._report import no as _no, ok as _ok

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


def _blocks(x, n=2):
    H, W = x.shape
    return x.reshape(H // n, n, W // n, n).swapaxes(1, 2)  # (H/n, W/n, n, n)


def _as_array(answer, shape, what):
    if answer is None:
        return None, f"replace None with your answer: {what} as an array of shape {shape}"
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None, f"give {what} as an array of shape {shape}; got {answer!r}"
    if a.shape != shape:
        return None, f"{what} must have shape {shape}; got shape {a.shape}"
    return a, None


def check_ex1(answer):
    """Exercise 1: 2×2 max pooling with stride 2 of ``EX1_X`` (a 2×2 array)."""
    x = EX1_X
    if answer is not None and np.shape(answer) == (3, 3):
        return _no("a 3×3 result means the window moved one cell at a time (stride 1, overlapping); "
                   "with stride 2 the four windows do not overlap and the output is 2×2.")
    a, err = _as_array(answer, (2, 2), "the pooled map")
    if err:
        return _no(err)
    b = _blocks(x)
    right = b.max(axis=(2, 3))
    if np.allclose(a, right):
        return _ok(f"the largest value of each 2×2 block: {right.astype(int).tolist()}.")
    if np.allclose(a, b.mean(axis=(2, 3))):
        return _no("that is average pooling (the mean of each block); max pooling keeps the largest value.")
    if np.allclose(a, b.sum(axis=(2, 3))):
        return _no("that is Bouvrie's down(x), the sum of each block; max pooling keeps the largest value.")
    if np.allclose(a, b.min(axis=(2, 3))):
        return _no("those are the smallest values of each block; max pooling keeps the largest.")
    if np.allclose(a, right.T):
        return _no("rows and columns are exchanged: output (i, j) comes from rows 2i–2i+1 and columns 2j–2j+1.")
    wrong = [(i, j) for i in range(2) for j in range(2) if not np.isclose(a[i, j], right[i, j])]
    return _no(f"output cell(s) {wrong} are off. Output (i, j) is the maximum of x[2i:2i+2, 2j:2j+2].")


def check_ex2(answer):
    """Exercise 2: ∂E/∂x for 2×2 max pooling (stride 2) of ``EX2_X`` given δ = ``EX2_DY``
    (a 4×4 array)."""
    a, err = _as_array(answer, (4, 4), "∂E/∂x")
    if err:
        return _no(err)
    x, dy = EX2_X, EX2_DY
    right = np.zeros((4, 4))
    tie_all = np.zeros((4, 4))
    tie_last = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            win = x[2 * i:2 * i + 2, 2 * j:2 * j + 2]
            flat = win.ravel()
            first = int(np.argmax(flat))
            last = len(flat) - 1 - int(np.argmax(flat[::-1]))
            right[2 * i + first // 2, 2 * j + first % 2] = dy[i, j]
            tie_last[2 * i + last // 2, 2 * j + last % 2] = dy[i, j]
            tie_all[2 * i:2 * i + 2, 2 * j:2 * j + 2] += (win == win.max()) * dy[i, j]
    up = np.kron(dy, np.ones((2, 2)))
    if np.allclose(a, right):
        return _ok("each δ goes to the position of its window's maximum, all other cells get 0; in the tied "
                   "window (two 5s) only the first maximum in reading order, x[0, 2], receives δ = −2.")
    if np.allclose(a, up):
        return _no("that copies δ to all four cells of each window: it is the gradient of down (a sum), "
                   "not of max. A max depends on one input only — the one that won.")
    if np.allclose(a, up / 4):
        return _no("that is average pooling's gradient (δ/4 to every cell); max pooling routes all of δ to "
                   "the winning cell.")
    if np.allclose(a, tie_all):
        return _no("in the window with two 5s you gave δ to both. The max is not differentiable at a tie; "
                   "frameworks (and cnnlab) pick one cell — the first maximum in row-major order — so the "
                   "gradient still sums to δ.")
    if np.allclose(a, tie_last):
        return _no("in the tied window you chose the later 5; the convention is the first maximum in "
                   "row-major (reading) order, x[0, 2].")
    if np.allclose(a * (right != 0), right) and np.count_nonzero(a) > np.count_nonzero(right):
        return _no("the right cells get the right values, but some other cells are non-zero: every cell that "
                   "did not win its window gets exactly 0.")
    return _no("not quite. For each output (i, j): find the maximum of x[2i:2i+2, 2j:2j+2], put δ[i, j] "
               "there, and 0 in the other three cells.")


def check_ex3(dbeta, db):
    """Exercise 3: ``(∂E/∂β, ∂E/∂b)`` for ``u = β·down(x) + b`` (2×2 blocks) with ``x = EX3_X`` and
    δ = ∂E/∂u = ``EX3_DELTA``."""
    try:
        dbeta, db = float(dbeta), float(db)
    except (TypeError, ValueError):
        return _no(f"give two numbers, ∂E/∂β and ∂E/∂b; got {dbeta!r}, {db!r}")
    x, d = EX3_X, EX3_DELTA
    down = _blocks(x).sum(axis=(2, 3))
    r_beta, r_b = float((d * down).sum()), float(d.sum())
    ok_beta, ok_b = np.isclose(dbeta, r_beta), np.isclose(db, r_b)
    if ok_beta and ok_b:
        return _ok(f"∂E/∂β = Σ δ∘down(x) = {r_beta:g} and ∂E/∂b = Σ δ = {r_b:g}.")
    msgs = []
    if not ok_beta:
        if np.isclose(dbeta, (d * down).sum() / 4):
            msgs.append("∂E/∂β: you used the mean of each block; down(x) is the *sum* (β does the scaling).")
        elif np.isclose(dbeta, down.sum()):
            msgs.append("∂E/∂β: each block sum must be weighted by its δ: Σ δ[i, j]·down(x)[i, j].")
        else:
            msgs.append(f"∂E/∂β is not {dbeta:g}: by the chain rule, ∂E/∂β = Σ_ij δ[i, j]·∂u[i, j]/∂β "
                        f"= Σ_ij δ[i, j]·down(x)[i, j].")
    if not ok_b:
        if np.isclose(db, 4 * d.sum()):
            msgs.append("∂E/∂b: b is added once to each output, not once per input cell: ∂E/∂b = Σ δ.")
        else:
            msgs.append(f"∂E/∂b is not {db:g}: ∂u[i, j]/∂b = 1 for every output, so ∂E/∂b = Σ δ.")
    return _no(" ".join(msgs))


def check_ex4(maxpool_params, subsampling_params):
    """Exercise 4: trainable parameters of (a) a 2×2 max-pooling layer on 6 maps of 28×28 and
    (b) LeNet-5's S2 layer (trainable subsampling) on the same 6 maps."""
    try:
        a, b = int(maxpool_params), int(subsampling_params)
    except (TypeError, ValueError):
        return _no(f"give two integers; got {maxpool_params!r}, {subsampling_params!r}")
    if (a, b) == (0, 12):
        return _ok("max pooling has no trainable parameters (only the hyper-parameters size and stride); "
                   "LeNet's subsampling has one coefficient β and one bias b per map: 6·2 = 12.")
    msgs = []
    if a != 0:
        if a in (4, 24, 30, 5):
            msgs.append(f"(a) {a}: there is no weight inside a max-pooling window — the max takes no "
                        f"coefficients. (The q2 seed's 'pooling layer has a weight (similar to AlexNet)' is "
                        f"mistaken: AlexNet's overlapping max pooling has none either.)")
        else:
            msgs.append(f"(a) {a}: max pooling has nothing to train; its size and stride are fixed choices.")
    if b != 12:
        if b == 6:
            msgs.append("(b) 6: one coefficient β per map — and one bias b per map as well.")
        elif b in (24, 30):
            msgs.append(f"(b) {b}: LeNet does not learn a weight per window cell; it sums the block (down) and "
                        f"scales the sum by one β per map, then adds one b per map.")
        elif b == 2:
            msgs.append("(b) 2: that is per map; the layer has 6 maps, each with its own β and b.")
        elif b == 0:
            msgs.append("(b) 0: LeNet's subsampling is trainable: u = β·down(x) + b, with β and b per map.")
        else:
            msgs.append(f"(b) {b}: count β and b for each of the 6 maps.")
    return _no(" ".join(msgs))
