"""Self-checks of chapter 10: right answers pass, typical wrong answers fail with a hint."""
import numpy as np
import pytest

from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch10


def test_ex1(capsys):
    assert passes(ch10.check_ex1, [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (1, 1, 120)])
    assert fails(ch10.check_ex1, [(6, 28, 28), (14, 14, 6), (10, 10, 16), (5, 5, 16), (1, 1, 120)])
    assert "channels last" in capsys.readouterr().out
    assert fails(ch10.check_ex1, [(29, 29, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (1, 1, 120)])
    assert "i − k + 1" in capsys.readouterr().out
    assert fails(ch10.check_ex1, [(28, 28, 6)])
    assert "not answered yet" in said(ch10.check_ex1, None)


def test_ex2(capsys):
    # LeCun et al. 1998, Section II.B: C3 has 1 516 trainable parameters
    assert passes(ch10.check_ex2, 1516)
    assert fails(ch10.check_ex2, 2416)
    assert "Table I" in capsys.readouterr().out
    assert fails(ch10.check_ex2, 1500)
    assert "bias" in capsys.readouterr().out
    assert fails(ch10.check_ex2, "many")


def test_ex3(capsys):
    # by hand: diagonal 50 + 30 + 50 = 130 of 150 -> 0.8667; recalls 1, 0.6, 1 -> class 1
    assert passes(ch10.check_ex3, 130 / 150, 1)
    assert fails(ch10.check_ex3, 86.67, 1)
    assert "fraction" in capsys.readouterr().out
    assert fails(ch10.check_ex3, 130 / 150, 0)
    assert "rows" in capsys.readouterr().out
    prec = np.mean([50 / 60, 30 / 30, 50 / 60])
    assert fails(ch10.check_ex3, prec, 1)
    assert "precision" in capsys.readouterr().out


def test_ex3_bad():
    assert "not answered yet" in said(ch10.check_ex3, None, 1)
    assert fails(ch10.check_ex3, 0.9, "x")
