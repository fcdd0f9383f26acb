"""Self-checks of chapter 5: right answers pass, typical mistakes fail with a useful message."""
import numpy as np

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch05


def test_ex1(capsys):
    u, t = ch05.EX1["u"], ch05.EX1["t"]
    y = np.tanh(u)
    # by hand: tanh(0.5) = 0.46212, tanh(-1) = -0.76159
    right = np.array([(1 - 0.46211716 ** 2) * (0.46211716 - 1), (1 - 0.76159416 ** 2) * -0.76159416])
    assert passes(ch05.check_ex1, right)
    assert "✓" in capsys.readouterr().out
    assert fails(ch05.check_ex1, y - t)
    assert "f'(u)" in capsys.readouterr().out
    assert fails(ch05.check_ex1, (1 - u ** 2) * (y - t))
    assert "1 − tanh²(u)" in capsys.readouterr().out
    assert fails(ch05.check_ex1, [1.0, 2.0, 3.0])
    assert "shape" in capsys.readouterr().out


def test_ex2(capsys):
    assert passes(ch05.check_ex2, (3, 5))
    assert fails(ch05.check_ex2, (5, 3))
    assert "transpose" in capsys.readouterr().out
    assert fails(ch05.check_ex2, "3x5")


def test_ex3(capsys):
    assert passes(ch05.check_ex3, [0.1, 1.0, -3.0])          # worked by hand
    assert fails(ch05.check_ex3, [0.5, 2.0, -3.0])
    assert "f'(u^l)" in capsys.readouterr().out
