"""Accounting: counts with arithmetic, multiply-adds, activations, receptive fields — numbers
worked out by hand for the seed models and LeNet-5."""
import numpy as np

from cnnlab.accounting import layer_table, receptive_field, summary_text, total_macs
from cnnlab.models import lenet5
from seeds import q1_model


q1 = q1_model


def test_q1_table_by_hand():
    rows = layer_table(q1())
    assert [r["params"] for r in rows] == [896, 0, 9248, 0, 330]
    assert rows[0]["arithmetic"] == "(3·3·3 + 1)·32 = 896"
    assert rows[2]["arithmetic"] == "(3·3·32 + 1)·32 = 9248"
    assert rows[4]["arithmetic"] == "(32 + 1)·10 = 330"
    # multiply-adds: 30·30 positions · 32 maps · 27 taps; 13·13·32·288; 6·6·32·10
    assert [r["macs"] for r in rows] == [30 * 30 * 32 * 27, 0, 13 * 13 * 32 * 288, 0, 6 * 6 * 32 * 10]
    assert [r["activations"] for r in rows] == [28800, 7200, 5408, 1152, 360]
    assert rows[0]["bytes"] == 28800 * 8          # float64 model


def test_receptive_field_recurrence_by_hand():
    # r: 1 -> 3 (3x3) -> 4 (2x2 pool, jump 1) -> 4 + 2*2 = 8 -> 8 + 1*2 = 10 -> 10 (1x1 dense)
    rf = receptive_field(q1())
    assert [r for r, _ in rf] == [(3, 3), (4, 4), (8, 8), (10, 10), (10, 10)]
    assert [j for _, j in rf] == [(1, 1), (2, 2), (2, 2), (4, 4), (4, 4)]


def test_lenet_receptive_field_covers_input_at_c5():
    rf = [r for r, _ in receptive_field(lenet5())]
    assert rf[:5] == [(5, 5), (6, 6), (14, 14), (16, 16), (32, 32)]


def test_lenet_connection_table_arithmetic_and_macs():
    rows = layer_table(lenet5())
    assert rows[2]["arithmetic"].startswith("5·5·60 + 16 = 1516")
    assert rows[2]["macs"] == 10 * 10 * 25 * 60
    assert rows[0]["macs"] == 28 * 28 * 25 * 6
    assert total_macs(lenet5()) == sum(r["macs"] for r in rows)


def test_summary_extras_columns():
    text = summary_text(q1(), extras=True)
    assert "Mult-adds" in text and "777,600" in text and "10×10" in text
    assert "Total: 896 + 0 + 9,248 + 0 + 330 = 10,474" in text
    assert np.isclose(sum(r["params"] for r in layer_table(q1())), 10474)
