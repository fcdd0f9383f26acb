"""Chapter 1 self-checks: right answers pass, typical slips fail with a useful hint."""
import numpy as np
import pytest
from scipy import signal

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch01


def test_ex1_right_answer_from_scipy(capsys):
    right = signal.correlate2d(ch01.EX1_X, ch01.EX1_W, mode="valid")[1, 2]
    assert right == 4  # by hand: 0·1 + 2·2 + 3·(−1) + 1·3
    assert passes(ch01.check_ex1, right) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong,hint", [
    (signal.convolve2d(ch01.EX1_X, ch01.EX1_W, mode="valid")[1, 2], "180°"),
    (signal.correlate2d(ch01.EX1_X, ch01.EX1_W, mode="valid")[2, 1], "row first"),
    (17, "top-left corner"),
    ("four", "one number"),
])
def test_ex1_wrong(wrong, hint, capsys):
    assert passes(ch01.check_ex1, wrong) is False
    assert hint in capsys.readouterr().out


def _measured_width(i=32, k=5, s=2, p=1):
    x = np.pad(np.ones((1, i)), ((0, 0), (p, p)))
    return signal.correlate2d(x, np.ones((1, k)), mode="valid")[0, ::s].size


def test_ex2_right(capsys):
    assert passes(ch01.check_ex2, _measured_width()) is True
    assert "floored" in capsys.readouterr().out


@pytest.mark.parametrize("wrong,hint", [(15.5, "floor"), (16, "rounds up"), (14, "forgets the padding"),
                                        (30, "forgets the stride"), (3, "o = ⌊"), (None, "not answered yet")])
def test_ex2_wrong(wrong, hint, capsys):
    assert passes(ch01.check_ex2, wrong) is False
    assert hint in capsys.readouterr().out


def test_ex3_right_matches_real_convolution(capsys):
    from cnnlab import conv2d  # shape of an actual layer
    x = np.zeros((3, 13, 13))
    w = np.zeros((10, 3, 4, 4))
    assert passes(ch01.check_ex3, conv2d(x, w).shape) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong,hint", [((10, 3, 10, 10), "sums over it"), ((10, 13, 13), "'same'"),
                                        ((3, 10, 10), "number of filters"), ((10, 9, 9), "i − k + 1"),
                                        ((10, 10), "three numbers"), (7, "three numbers")])
def test_ex3_wrong(wrong, hint, capsys):
    assert passes(ch01.check_ex3, wrong) is False
    assert hint in capsys.readouterr().out


def _starts(mb=4, ma=6):
    """0-based starts of MATLAB's (documented example) and SciPy's 'same' inside 'full'."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(ma, 1)), rng.normal(size=(mb, 1))
    full = signal.convolve2d(a, b, mode="full")
    same = signal.convolve2d(a, b, mode="same")
    scipy_start = [r for r in range(mb) if np.allclose(full[r:r + ma], same)][0]
    return scipy_start


def test_ex4_right(capsys):
    # MATLAB's conv documentation: u = [-1 2 3 -2 0 1 2], v = [2 4 -1 1] (4 taps) gives
    # conv(u, v, 'same') = [15 5 -9 7 6 7 -1]; find it inside the full convolution.
    full = np.convolve([-1, 2, 3, -2, 0, 1, 2], [2, 4, -1, 1])
    matlab_start = [r for r in range(4) if list(full[r:r + 7]) == [15, 5, -9, 7, 6, 7, -1]][0]
    assert passes(ch01.check_ex4, matlab_start, _starts()) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong,hint", [((1, 2), "swapped"), ((3, 2), "1-based"), ((2, 2), "differ by one"),
                                        ((0, 3), "Work out where each"), (("a", 1), "0-based start row")])
def test_ex4_wrong(wrong, hint, capsys):
    assert passes(ch01.check_ex4, *wrong) is False
    assert hint in capsys.readouterr().out
