"""ch03's self-check names each reading of q2's "the pooling layer has a weight" (issue 13, item 2).

The prose network's count is recomputed here by hand (eqs. ch03-conv, ch03-dense), not taken from
the package; the checker must accept it, and name every pooling-weight reading added to it."""
import pytest

from selfcheck_helpers import passes, said
from cnnlab.exercises import ch03

PROSE = ((7 * 7 * 1 + 1) * 60 + (5 * 5 * 60 + 1) * 100 + (45 * 45 * 100 + 1) * 250
         + (250 + 1) * 200 + (200 + 1) * 1)


def test_prose_count_by_hand_passes():
    assert PROSE == 50_828_751
    assert passes(ch03.check_ex2, PROSE)


@pytest.mark.parametrize("extra,word", [(1, "whole pooling layer"), (2, "its bias"),
                                        (100, "per map"), (200, "LeNet")])
def test_each_reading_of_a_weight_is_named(extra, word):
    out = said(ch03.check_ex2, PROSE + extra)
    assert out.startswith("✗") and word in out and f"subtract {extra}" in out
    assert "AlexNet" in out


def test_other_answers_are_not_mistaken_for_a_reading():
    for wrong in (PROSE + 3, PROSE - 1, PROSE + 201):
        out = said(ch03.check_ex2, wrong)
        assert out.startswith("✗") and "stipulation" not in out
    assert "not answered" in said(ch03.check_ex2, None)
