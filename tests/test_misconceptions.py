"""Each misconception listed on book/instructor/misconceptions.md is caught as the page says.

For every row of the page's table, the wrong answer is computed here from the exercise data with
an independent reference (SciPy, NumPy, hand arithmetic), fed to the check(s) the row names, and
the diagnosis is asserted. The test fails if the page lists a row this file does not test, or
the other way round.
"""
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from cnnlab.exercises import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, ch11
from selfcheck_helpers import said

PAGE = Path(__file__).resolve().parents[1] / "book" / "instructor" / "misconceptions.md"


def _blocks(a):
    return a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2).swapaxes(1, 2)


def _softmax(c):
    e = np.exp(c - c.max())
    return e / e.sum()


def _q2(biases=True):
    b = 1 if biases else 0
    # 100 -> conv 7x7 (60) -> 94 -> conv 5x5 (100) -> 90 -> pool 2 -> 45 -> dense 250, 200, 1
    return ((49 + b) * 60 + (25 * 60 + b) * 100 + (45 * 45 * 100 + b) * 250 + (250 + b) * 200
            + (200 + b) * 1)


_xc6 = signal.correlate2d(ch06.EX1["x"], ch06.EX1["delta"], "valid")
_alpha = _softmax(ch08.EX1["c"])

# row title -> list of (check, args, expected substring of the diagnosis)
CASES = {
    '"Convolution" in PyTorch/Keras flips the kernel': [
        (ch01.check_ex1, (signal.convolve2d(ch01.EX1_X, ch01.EX1_W, "valid")[1, 2],),
         "true convolution"),
        (ch09.check_ex3, (signal.correlate2d(ch09.EX3_X, ch09.EX3_DELTA, "valid")[::-1, ::-1],),
         "rotated by 180°")],
    "Output sizes round up": [(ch01.check_ex2, (int(np.ceil((32 + 2 - 5) / 2)) + 1,), "rounds up")],
    "A valid convolution gives $H - k_h + 2$ rows": [
        (ch09.check_ex1, ([(3, 27, 27), (3, 13, 13), (10, 10, 10), (10, 5, 5)],), "H − k_h + 2")],
    "A conv layer's output has an axis per filter *and* per input channel": [
        (ch01.check_ex3, ((10, 3, 10, 10),), "one map")],
    "MATLAB's and SciPy's `'same'` agree": [(ch01.check_ex4, (1, 1), "do not agree")],
    "Pooling windows overlap by default": [
        (ch02.check_ex1, (signal.correlate2d(ch02.EX1_X, np.ones((2, 2)), "valid"),), "stride 1")],
    "Max pooling has trainable weights": [(ch02.check_ex4, (4, 12), "no weight inside")],
    "LeNet's subsampling has nothing to train": [
        (ch03.check_ex3, (0,), "that would be max pooling"),
        (ch02.check_ex4, (0, 0), "trainable")],
    "The gradient of max pooling is `up(δ)`": [
        (ch02.check_ex2, (np.kron(ch02.EX2_DY, np.ones((2, 2))),), "gradient of down"),
        (ch09.check_ex2, (np.kron(ch09.EX2_DP, np.ones((2, 2))),), "switches")],
    "At a tie both maxima get the gradient": [
        # hand-worked from EX2_X: winners 3 at (1, 1), the tied 5s at (0, 2) and (1, 3), 4 at (2, 0),
        # 7 at (2, 3); both tied cells given δ = −2
        (ch02.check_ex2, (np.array([[0, 0, -2.0, 0], [0, 1.0, 0, -2.0], [0.5, 0, 0, 3.0],
                                    [0, 0, 0, 0]]),),
         "gave δ to both")],
    "Forgetting biases": [
        (ch03.check_ex1, (3 * 3 * 3 * 16,), "forgets the biases"),
        (ch03.check_ex2, (_q2(biases=False),), "forgets the biases"),
        (ch10.check_ex2, (60 * 25,), "biases")],
    "One weight per position": [(ch03.check_ex1, ((27 + 1) * 16 * 26 * 26,), "shared")],
    "Flatten is optional before a dense layer": [(ch04.check_ex3, ((32 + 1) * 10,), "without Flatten")],
    "Inputs appear once in a network's formula": [(ch04.check_ex1, (1,), "copied")],
    "Biases do not start paths": [(ch04.check_ex2, (2 * 3 * 3,), "biases start paths")],
    "Sign of the output residual": [
        (ch05.check_ex1, (-(1 - np.tanh(ch05.EX1["u"]) ** 2) * (np.tanh(ch05.EX1["u"]) - ch05.EX1["t"]),),
         "sign is flipped"),
        (ch05.check_ex3, (-(ch05.EX3["W_next"].T @ ch05.EX3["delta_next"]) * ch05.EX3["fprime_u"],),
         "sign is off")],
    "Weight gradient has the shape of $x\\,\\delta^\\top$": [(ch05.check_ex2, ((5, 3),), "transpose")],
    "`rot180` is a transpose": [(ch06.check_ex1, (_xc6.T,), "does not transpose")],
    "The outer `rot180` can be dropped": [(ch06.check_ex1, (_xc6,), "outer rot180")],
    "The gradient correlates the input with a flipped δ": [
        (ch09.check_ex3, (signal.correlate2d(ch09.EX3_X, ch09.EX3_DELTA[::-1, ::-1], "valid"),),
         "you flipped δ")],
    "Kernel labels as handed to `conv2` are the applied ones": [
        (ch07.check_ex1, ({5: "k11", 6: "k12", 8: "k21", 9: "k22"},), "conv2")],
    "Softmax-weighted combinations pass gradients straight through": [
        (ch08.check_ex1, (ch08.EX1["dE_dalpha"],), "Jacobian")],
    "The sparsity penalty's gradient is $\\lambda\\,\\mathrm{sign}(\\alpha)$": [
        (ch08.check_ex2, (ch08.EX1["lam"] * np.sign(_alpha),), "through the softmax")],
    "A network is a linear map, so $F(1-x) = -F(x)$": [(ch11.check_ex2, (-ch11.EX2_Z,), "biases")],
    "Receptive fields add kernel sizes": [(ch11.check_ex3, (5 + 1 + 4 + 1, 14), "forgets the jumps")],
}


def page_rows():
    rows = []
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("| ") and not line.startswith("| misconception") and "---" not in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.append((cells[0], cells[2]))
    return rows


def test_page_and_tests_list_the_same_misconceptions():
    assert sorted(r for r, _ in page_rows()) == sorted(CASES)


@pytest.mark.parametrize("row,caught_by", page_rows(), ids=[r for r, _ in page_rows()])
def test_misconception_is_diagnosed(row, caught_by):
    cases = CASES[row]
    named = set(re.findall(r"`(ch\d\d\.check_ex\d+)`", caught_by))
    tested = {f"{c.__module__.rsplit('.', 1)[1]}.{c.__name__}" for c, _, _ in cases}
    assert named == tested, f"the page names {named}, the test feeds {tested}"
    for check, args, expected in cases:
        out = said(check, *args)
        assert out.startswith("✗"), out
        assert expected in out, f"{check.__module__}.{check.__name__}{args!r}: {out}"


def test_padding_once_is_not_caught_as_the_page_says():
    """The page says ch01 ex2 cannot tell 'padding once' apart: (32 + 1 − 5)//2 + 1 equals the
    right width (32 + 2 − 5)//2 + 1, so the check accepts it."""
    assert (32 + 1 - 5) // 2 + 1 == (32 + 2 - 5) // 2 + 1
    assert said(ch01.check_ex2, (32 + 1 - 5) // 2 + 1).startswith("✓")
    assert "no check catches it" in PAGE.read_text(encoding="utf-8") or \
        "is not caught" in PAGE.read_text(encoding="utf-8")
