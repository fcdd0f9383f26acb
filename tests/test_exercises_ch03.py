"""Self-checks of chapter 3: right answers pass, typical mistakes fail with a useful message."""
import pytest

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch03


def test_ex1(capsys):
    assert passes(ch03.check_ex1, (3 * 3 * 3 + 1) * 16) is True
    assert "✓" in capsys.readouterr().out
    assert passes(ch03.check_ex1, 3 * 3 * 3 * 16) is False
    assert "biases" in capsys.readouterr().out
    assert passes(ch03.check_ex1, (3 * 3 + 1) * 16) is False
    assert "channels" in capsys.readouterr().out
    assert passes(ch03.check_ex1, "448") is False


def test_ex2_readings(capsys):
    # valid: 100 -> 94 -> 90, pool 2 -> 45, flatten 45*45*100 = 202500
    right = 3000 + 150100 + (202500 + 1) * 250 + 251 * 200 + 201
    assert right == 50_828_751
    assert passes(ch03.check_ex2, right) is True
    same = 3000 + 150100 + (50 * 50 * 100 + 1) * 250 + 251 * 200 + 201
    assert passes(ch03.check_ex2, same) is False
    assert "same" in capsys.readouterr().out
    pool4 = 3000 + 150100 + (22 * 22 * 100 + 1) * 250 + 251 * 200 + 201
    assert passes(ch03.check_ex2, pool4) is False
    assert "factor" in capsys.readouterr().out
    assert passes(ch03.check_ex2, right - 201) is False
    assert "output unit" in capsys.readouterr().out
    assert passes(ch03.check_ex2, right + 200) is False
    assert "AlexNet" in capsys.readouterr().out
    assert passes(ch03.check_ex2, 153100) is False
    assert "dense" in capsys.readouterr().out


@pytest.mark.parametrize("wrong,word", [(0, "max pooling"), (6, "bias"), (24, "shared")])
def test_ex3(wrong, word, capsys):
    assert passes(ch03.check_ex3, 12) is True
    capsys.readouterr()
    assert passes(ch03.check_ex3, wrong) is False
    assert word in capsys.readouterr().out


def test_ex4(capsys):
    assert passes(ch03.check_ex4, 29_400_000) is True
    assert passes(ch03.check_ex4, 3000) is False
    assert "parameters" in capsys.readouterr().out
    assert passes(ch03.check_ex4, 94 * 94 * 60 * 49) is False
    assert "same" in capsys.readouterr().out
    assert passes(ch03.check_ex4, 2.5) is False
