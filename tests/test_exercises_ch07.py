"""Self-checks of chapter 7."""
from selfcheck_helpers import fails, passes, said  # noqa: F401
from cnnlab.exercises import ch07


def test_ex1(capsys):
    assert passes(ch07.check_ex1, {5: "k22", 6: "k21", 8: "k12", 9: "k11"})
    assert passes(ch07.check_ex1, [("k22", 5), ("k21", 6), ("k12", 8), ("k11", 9)])
    assert fails(ch07.check_ex1, {5: "k11", 6: "k12", 8: "k21", 9: "k22"})
    assert "conv2" in capsys.readouterr().out
    assert fails(ch07.check_ex1, {6: "k22", 7: "k21", 10: "k12", 11: "k11"})
    assert "whose 2×2 window covers node 11" in capsys.readouterr().out
    assert fails(ch07.check_ex1, 42)


def test_ex2(capsys):
    # 0.5·(1+2+3+4) − 1·(5+6+7+8) + 2·(9+10+11+12) + 0.25·(13+14+15+16) = 5 − 26 + 84 + 14.5
    assert passes(ch07.check_ex2, 77.5)
    assert fails(ch07.check_ex2, 77.5 / 4)
    assert "sums" in capsys.readouterr().out
    assert fails(ch07.check_ex2, 1.75)


def test_ex3(capsys):
    # Table I: S2 map 0 feeds C3 maps 0, 4, 5, 6, 9, 10, 11, 12, 14, 15
    assert passes(ch07.check_ex3, 10)
    assert fails(ch07.check_ex3, 1)
    assert "single-index" in capsys.readouterr().out
    assert fails(ch07.check_ex3, 6)
