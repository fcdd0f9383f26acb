"""Network builder widget: state, panel controls and static twin, checked by hand formulas."""
import matplotlib

matplotlib.use("Agg")

import pytest

from cnnlab.widgets.network_builder import NetworkBuilder, Q2_AS_CODED, panel, static_network_builder


def conv_out(n, k, padding):
    return n if padding == "same" else n - k + 1


def test_q2_as_coded_matches_keras_numbers():
    b = NetworkBuilder((100, 100, 1), Q2_AS_CODED)
    assert [r["params"] for r in b.rows] == [3000, 150100, 0, 25250, 50200]
    assert b.total_params == 228550
    assert [r["output_shape"] for r in b.rows][-1] == (None, 50, 50, 200)
    assert b.rows[0]["arithmetic"].replace(" ", "") == "(7·7·1+1)·60=3000"
    # multiply-adds by hand: positions × fan-in × filters
    assert b.rows[0]["macs"] == 100 * 100 * 49 * 60
    assert b.rows[1]["macs"] == 100 * 100 * 25 * 60 * 100
    assert b.rows[3]["macs"] == 50 * 50 * 100 * 250
    assert b.rows[1]["activations"] == 100 * 100 * 100


def test_add_pop_reset_and_invalid_layer():
    b = NetworkBuilder((28, 28, 3))
    b.add(kind="conv", filters=16, kernel=3)
    assert b.total_params == (3 * 3 * 3 + 1) * 16
    b.add(kind="subsampling", pool=2)
    assert b.rows[-1]["params"] == 2 * 16 and b.rows[-1]["output_shape"] == (None, 13, 13, 16)
    with pytest.raises(ValueError):
        b.add(kind="maxpool", pool=20)          # larger than the 13x13 map
    assert len(b.rows) == 2                     # unchanged
    b.add(kind="flatten").add(kind="dense", units=10)
    assert b.rows[-1]["params"] == (13 * 13 * 16 + 1) * 10
    b.pop()
    assert len(b.rows) == 3
    b.reset()
    assert b.rows == [] and b.total_params == 0
    with pytest.raises(ValueError, match="kind"):
        b.add(kind="lstm")
    with pytest.raises(ValueError, match="input_shape"):
        NetworkBuilder((28, 28))


def test_panel_add_button_and_shape_control():
    box = panel(NetworkBuilder((32, 32, 3)))
    c = box.controls
    c["kind"].value = "conv"
    c["size"].value = 32
    c["kernel"].value = 3
    c["padding"].value = "valid"
    c["add"].click()
    assert box.builder.total_params == (3 * 3 * 3 + 1) * 32
    assert "896" in box.html.value
    c["kind"].value = "maxpool"
    c["kernel"].value = 2
    c["add"].click()
    assert box.builder.rows[-1]["output_shape"] == (None, 15, 15, 32)
    # changing the input shape recomputes shapes but not the conv count
    c["rows"].value = 64
    n = conv_out(64, 3, "valid") // 2
    assert box.builder.rows[-1]["output_shape"] == (None, n, 15, 32)
    assert box.builder.total_params == 896
    # an impossible layer is refused with a message, not an exception
    c["kernel"].value = 40
    c["add"].click()
    assert "not added" in box.html.value and len(box.builder.rows) == 2
    c["pop"].click()
    assert len(box.builder.rows) == 1


def test_static_twin_bars_are_the_counts():
    fig = static_network_builder()
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights[0] == 3000 and heights[1] == 150100 and heights[3] == 25250
    assert heights[2] < 1                      # the pooling layer: zero, drawn as a stub
    assert "228,550" in ax.get_title()


from hypothesis import given, settings, strategies as st


@settings(max_examples=25, deadline=None)
@given(size=st.integers(8, 40), channels=st.integers(1, 4),
       convs=st.lists(st.tuples(st.integers(1, 8), st.integers(1, 3),
                                st.sampled_from(["valid", "same"])), min_size=1, max_size=3),
       pool=st.integers(1, 2), units=st.integers(1, 6), flatten=st.booleans())
def test_random_stacks_match_hand_formulas(size, channels, convs, pool, units, flatten):
    b = NetworkBuilder((size, size, channels))
    n, c, total = size, channels, 0
    for filters, k, padding in convs:
        b.add(kind="conv", filters=filters, kernel=k, padding=padding)
        total += (k * k * c + 1) * filters
        n, c = conv_out(n, k, padding), filters
    b.add(kind="maxpool", pool=pool)
    n //= pool
    if flatten:
        b.add(kind="flatten")
    b.add(kind="dense", units=units)
    total += ((n * n * c if flatten else c) + 1) * units
    assert b.total_params == total
    expected_shape = (None, units) if flatten else (None, n, n, units)
    assert b.rows[-1]["output_shape"] == expected_shape
