"""Self-checks of chapter 4: right answers pass, typical mistakes fail with a useful message."""
import numpy as np
from scipy.signal import convolve2d, correlate2d

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch04


def test_ex1(capsys):
    assert passes(ch04.check_ex1, 16) is True
    assert passes(ch04.check_ex1, 48) is False
    assert "x_1 only" in capsys.readouterr().out
    assert passes(ch04.check_ex1, 1) is False
    assert "path" in capsys.readouterr().out


def test_ex2(capsys):
    assert passes(ch04.check_ex2, 31) is True
    assert passes(ch04.check_ex2, 18) is False
    assert "bias" in capsys.readouterr().out
    assert passes(ch04.check_ex2, 25) is False
    assert "parameters" in capsys.readouterr().out


def test_ex3(capsys):
    assert passes(ch04.check_ex3, 11530) is True
    assert passes(ch04.check_ex3, 330) is False
    assert "Flatten" in capsys.readouterr().out
    assert passes(ch04.check_ex3, 11520) is False
    assert "biases" in capsys.readouterr().out


def test_ex4_against_scipy(capsys):
    e = ch04.EX4
    u = correlate2d(e["x"], e["k"], mode="valid") + e["b"]
    y = e["v"] * np.maximum(u, 0).max() + e["c"]
    assert passes(ch04.check_ex4, float(y)) is True
    # true convolution flips the kernel: a typical mistake
    uf = convolve2d(e["x"], e["k"], mode="valid") + e["b"]
    yf = e["v"] * np.maximum(uf, 0).max() + e["c"]
    assert yf != y
    assert passes(ch04.check_ex4, float(yf)) is False
    assert "cross-correlation" in capsys.readouterr().out
    ya = e["v"] * u.mean() + e["c"]
    assert passes(ch04.check_ex4, float(ya)) is False
    assert "maximum" in capsys.readouterr().out
    assert passes(ch04.check_ex4, "23") is False
