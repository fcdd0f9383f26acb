"""Network builder widget: state, panel controls and static twin, checked by hand formulas."""
import matplotlib

matplotlib.use("Agg")

import pytest

from cnnlab.widgets import network_builder as nbw
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


@pytest.fixture(scope="module")
def small_panel():
    grid = {"padding": ("same", "valid"), "pool": (2,), "flatten": (False, True),
            "output_unit": (False,)}
    return panel(NetworkBuilder((32, 32, 3)), grid=grid)


def test_free_builder_add_button_and_shape_control(small_panel):
    box = small_panel
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


def test_free_builder_is_marked_kernel_only(small_panel):
    only = [w for w in small_panel.children if "cnnlab-kernel-only" in w._dom_classes]
    assert len(only) == 1
    assert nbw.KERNEL_REASON in only[0].children[-1].value
    assert small_panel.controls["add"] in only[0].children[0].children[3].children


def _by_hand(padding, pool, flatten, layers):
    """Parameters of the first ``layers`` layers of q2 read this way (eqs. of chapter 3)."""
    h = 100 if padding == "same" else 100 - 7 + 1 - 5 + 1
    counts = [(7 * 7 * 1 + 1) * 60, (5 * 5 * 60 + 1) * 100, 0]
    counts += [0] if flatten else []
    counts += [((h // pool) ** 2 * 100 if flatten else 100) * 250 + 250, (250 + 1) * 200]
    return sum(counts[:layers])


def test_readings_frames_are_the_live_drawing(small_panel):
    from matplotlib.figure import Figure

    from cnnlab.widgets import _frames
    box = small_panel.readings
    assert len(box.frames) == 5 + 6 + 5 + 6          # 2 paddings × Flatten or not, layer by layer
    assert box.current_values() == {"padding": "same", "pool": "2×2", "flatten": "no",
                                    "output_unit": "no", "layers": "5"}
    fig = Figure(figsize=nbw.FIGSIZE)                  # the code as written, drawn live
    nbw.draw_network(NetworkBuilder((100, 100, 1), Q2_AS_CODED), fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    assert _frames.png_of_frame(box.current()) == _frames.png(fig)
    assert "228,550" in box.current().value
    box.select(padding="valid", flatten=True)
    box.select(layers=5)                               # up to the first Dense, after the Flatten
    assert box.current_values()["layers"] == "5"
    total = _by_hand("valid", 2, True, 5)
    assert total == 3000 + 150100 + (45 * 45 * 100 + 1) * 250
    assert f"<th>{total:,}</th>" in box.current().value
    live = NetworkBuilder((100, 100, 1), nbw.q2_reading("valid", 2, True)[:5])
    assert _frames.png_of_frame(box.current()) == nbw.frame(live)[0]


def test_every_reading_control_changes_the_frame():
    from cnnlab.widgets import _frames
    box = nbw.readings_panel({"padding": ("same", "valid"), "pool": (2, 4), "flatten": (False, True),
                              "output_unit": (False, True)})
    assert len(box.frames) == 4 * (5 + 6 + 6 + 7)
    box.select(flatten=True)                           # the map size enters the count
    seen = [_frames.png_of_frame(box.current())]
    for move in ({"padding": "valid"}, {"pool": 4}, {"output_unit": True}, {"layers": 2},
                 {"flatten": False}):
        box.select(**move)
        seen.append(_frames.png_of_frame(box.current()))
    assert len(set(seen)) == len(seen)
    assert _frames.state_bytes(box) < 2_000_000


def test_q2_reading():
    assert nbw.q2_reading() == [dict(d) for d in Q2_AS_CODED]
    r = nbw.q2_reading("valid", 4, True, True)
    assert [d["kind"] for d in r] == ["conv", "conv", "maxpool", "flatten", "dense", "dense", "dense"]
    assert r[0]["padding"] == r[1]["padding"] == "valid" and r[2]["pool"] == 4
    assert NetworkBuilder((100, 100, 1), r).total_params == (3000 + 150100 + (22 * 22 * 100 + 1) * 250
                                                            + 251 * 200 + 201)
    with pytest.raises(ValueError, match="padding"):
        nbw.q2_reading("full")
    with pytest.raises(ValueError, match="grid"):
        nbw.readings_panel({"padding": ("same",)})


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
