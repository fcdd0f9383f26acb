"""Self-checks of chapter 9: right answers pass, typical wrong answers fail with a useful hint."""
import numpy as np
import pytest
from scipy import signal

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch09


def test_ex1(capsys):
    assert passes(ch09.check_ex1, [(3, 26, 26), (3, 13, 13), (10, 10, 10), (10, 5, 5)])
    assert "✓" in capsys.readouterr().out
    assert fails(ch09.check_ex1, [(3, 27, 27), (3, 13, 13), (10, 10, 10), (10, 5, 5)])
    assert "H − k_h + 1" in capsys.readouterr().out
    assert fails(ch09.check_ex1, [(3, 26, 26), (3, 13, 13), (10, 11, 11), (10, 5, 5)])
    assert "u³" in capsys.readouterr().out            # the book's letters: conv layer 3
    assert fails(ch09.check_ex1, [(1, 26, 26), (3, 13, 13), (10, 10, 10), (10, 5, 5)])
    assert fails(ch09.check_ex1, "abc")
    assert fails(ch09.check_ex1, [(3, 26, 26)])


def test_ex2(capsys):
    # hand-worked: winners 2.0 at (0,1), 3.0 at (1,2), 4.5 at (2,1), 0.2 at (3,2)
    right = np.zeros((4, 4))
    right[0, 1], right[1, 2], right[2, 1], right[3, 2] = -0.5, 2.0, 3.0, 1.0
    assert passes(ch09.check_ex2, right)
    ones = (right != 0).astype(float)
    assert fails(ch09.check_ex2, ones)
    assert "local derivative" in capsys.readouterr().out
    assert fails(ch09.check_ex2, np.kron(ch09.EX2_DP, np.ones((2, 2))) / 4)
    assert "average" in capsys.readouterr().out
    assert fails(ch09.check_ex2, np.kron(ch09.EX2_DP, np.ones((2, 2))))
    assert "switches" in capsys.readouterr().out
    assert fails(ch09.check_ex2, np.zeros((2, 2)))


def test_ex3(capsys):
    right = signal.correlate2d(ch09.EX3_X, ch09.EX3_DELTA, mode="valid")
    assert passes(ch09.check_ex3, right)
    assert fails(ch09.check_ex3, signal.convolve2d(ch09.EX3_X, ch09.EX3_DELTA, mode="valid"))
    out = capsys.readouterr().out
    assert "flip" in out or "rotated" in out
    assert fails(ch09.check_ex3, np.zeros((5, 5)))
    assert "(3, 3)" in capsys.readouterr().out


def test_ex4(capsys):
    assert passes(ch09.check_ex4, (10, 48), (48, 100), (10, 100))
    assert fails(ch09.check_ex4, (10, 48), (100, 48), (10, 100))
    assert "column" in capsys.readouterr().out
    assert fails(ch09.check_ex4, (10, 16), (16, 100), (10, 100))
    assert "all 3 input maps" in capsys.readouterr().out
    assert fails(ch09.check_ex4, (10, 48), (48, 100), (10, 25))


@pytest.mark.parametrize("n, ok", [(250, True), (1000, False), (500, False), (100, False), ("x", False)])
def test_ex5(n, ok):
    assert passes(ch09.check_ex5, n) is ok
