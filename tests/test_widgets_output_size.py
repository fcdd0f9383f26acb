"""The output-size calculator against sizes measured on real (SciPy) convolutions."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import signal

from cnnlab.widgets import output_size as osz

pytest.importorskip("ipywidgets")


def _measured(i, k, s, p, d):
    """Length of an actual strided, dilated, padded correlation computed with SciPy."""
    x = np.arange(1.0, i + 1)[None, :]
    x = np.pad(x, ((0, 0), (p, p)))
    kern = np.zeros((1, d * (k - 1) + 1))
    kern[0, ::d] = 1.0
    if kern.shape[1] > x.shape[1]:
        return 0
    return signal.correlate2d(x, kern, mode="valid")[0, ::s].size


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 20), st.integers(1, 6), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_size_equals_measured(i, k, s, p, d):
    state = osz.OutputSize(i, k, s, p, d)
    assert state.o == _measured(i, k, s, p, d)
    if state.fits:
        # r cells at the end are read by no window exactly when the size was floored
        cov = state.covered()
        last_read = np.flatnonzero(cov).max()
        assert state.r == state.padded - 1 - last_read
        assert state.floors == (state.r > 0)


def test_hand_examples():
    assert osz.OutputSize(28, 3, 1, 0, 1).o == 26          # q3 seed: 28 -> 26
    lenet = osz.OutputSize(32, 5, 1, 0, 1)
    assert lenet.o == 28 and not lenet.floors
    f = osz.OutputSize(8, 3, 2, 0, 1)
    assert (f.o, f.r, f.floors) == (3, 1, True)
    assert "floored" in f.explain() and "⌊5/2⌋" in f.explain()
    dil = osz.OutputSize(7, 3, 1, 0, 2)
    assert dil.k_eff == 5 and dil.o == 3
    assert dil.taps(1) == [1, 3, 5]
    big = osz.OutputSize(3, 3, 1, 0, 2)
    assert big.o == 0 and not big.fits and "does not fit" in big.explain()


def test_bad_arguments():
    with pytest.raises(TypeError, match="i must be an int"):
        osz.OutputSize(7.5)
    with pytest.raises(ValueError, match="s must be >= 1"):
        osz.OutputSize(7, 3, 0)
    with pytest.raises(ValueError, match="unknown control"):
        osz.OutputSize().set(q=3)


def test_panel_frames_are_the_drawn_coverage():
    from matplotlib.figure import Figure
    from cnnlab.widgets import _frames
    box = osz.panel(grid={"i": (7, 8), "k": (3,), "s": (2,), "p": (0,), "d": (1, 2)})
    assert len(box.frames) == 4
    assert "exact" in box.current().value and box.current_values()["i"] == "7"
    box.select(i=8)
    assert "floored" in box.current().value and "#b00" in box.current().value
    box.select(d=2)
    assert f"= {_measured(8, 3, 2, 0, 2)}" in box.current().value
    # the frame is byte for byte what draw_coverage draws for these values
    fig = Figure(figsize=(7.5, 3.2))
    osz.draw_coverage(osz.OutputSize(8, 3, 2, 0, 2), fig.add_subplot(1, 1, 1))
    assert _frames.png_of_frame(box.current()) == _frames.png(fig)


def test_static_twin_titles():
    fig = osz.static_output_size()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].endswith("o=3 (exact)") and titles[1].endswith("o=3 (floored)")
