"""Self-checks of chapter 6."""
import numpy as np

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch06


def _xcorr_by_hand():
    x, d = ch06.EX1["x"], ch06.EX1["delta"]
    return np.array([[np.sum(x[p:p + 3, q:q + 3] * d) for q in range(2)] for p in range(2)])


def test_ex1(capsys):
    g = _xcorr_by_hand()
    assert passes(ch06.check_ex1, g[::-1, ::-1])
    assert fails(ch06.check_ex1, g)
    assert "outer rot180" in capsys.readouterr().out
    assert fails(ch06.check_ex1, g.T + 1)


def test_ex2(capsys):
    # δ^l = 0.5·up([[1,2],[3,4]]): each entry appears 4 times -> 0.5·4·10 = 20
    assert passes(ch06.check_ex2, 20.0)
    assert fails(ch06.check_ex2, 5.0)
    assert "up(" in capsys.readouterr().out
    assert fails(ch06.check_ex2, 40.0)
    assert "β" in capsys.readouterr().out


def test_ex3(capsys):
    assert passes(ch06.check_ex3, 576)
    assert fails(ch06.check_ex3, 25)
    assert fails(ch06.check_ex3, 784)
    assert "valid" in capsys.readouterr().out
