"""Self-checks of chapter 8."""
import numpy as np

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch08


def test_ex1(capsys):
    # α = (1/8, 2/8, 5/8), g = (1, 0, −1): Σ α g = −1/2, so ∂E/∂c = α ∘ (g + 1/2)
    assert passes(ch08.check_ex1, [0.1875, 0.125, -0.3125])
    assert fails(ch08.check_ex1, [1.0, 0.0, -1.0])
    assert "Jacobian" in capsys.readouterr().out
    assert fails(ch08.check_ex1, [0.125, 0.0, -0.625])


def test_ex2(capsys):
    assert passes(ch08.check_ex2, np.zeros(3))
    assert fails(ch08.check_ex2, [0.1, 0.1, 0.1])
    assert "softmax" in capsys.readouterr().out
    assert fails(ch08.check_ex2, [0.0125, 0.025, 0.0625])
