"""The sliding-window widget: its state and panel against SciPy's correlate2d/convolve2d."""
import numpy as np
import pytest
from scipy import signal

from cnnlab.widgets import conv_window as cw

pytest.importorskip("ipywidgets")


def _reference(x, k, padding, stride, flip=False):
    """Independent: pad with NumPy, full-stride SciPy 'valid' correlation, then subsample."""
    kh, kw = k.shape
    if padding == "same":  # TensorFlow's rule: total max((ceil(i/s)-1)*s + k - i, 0), extra after
        tot = [max((-(-i // stride) - 1) * stride + kk - i, 0) for i, kk in zip(x.shape, k.shape)]
        pads = tuple((t // 2, t - t // 2) for t in tot)
    elif padding == "full":
        pads = ((kh - 1, kh - 1), (kw - 1, kw - 1))
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding, padding), (padding, padding))
    xp = np.pad(x, pads)
    op = signal.convolve2d if flip else signal.correlate2d
    return op(xp, k, mode="valid")[::stride, ::stride]


def test_default_valid_matches_scipy_and_hand_value():
    s = cw.ConvWindow()
    np.testing.assert_allclose(s.output(), signal.correlate2d(cw.DEFAULT_X, cw.DEFAULT_K, "valid"))
    # y[0,0] by hand: 0·1+1·0+2·(−1) + 0·2+2·0+3·(−1) + 1·1+3·0+4·0 = −4
    assert s.value(0, 0) == -4
    assert s.equation().endswith("= -4   (x ⋆ w)")


@pytest.mark.parametrize("padding", ["valid", "same", "full", 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("kshape", [(3, 3), (2, 2), (2, 3)])
def test_output_matches_reference(padding, stride, flip, kshape):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=(6, 7)).astype(float)
    k = rng.integers(-2, 3, size=kshape).astype(float)
    s = cw.ConvWindow(x, k, padding=padding, stride=stride, flip=flip)
    ref = _reference(x, k, padding, stride, flip)
    assert s.out_shape == ref.shape
    np.testing.assert_allclose(s.output(), ref)


def test_same_even_kernel_matches_scipy_correlate_offset():
    # Keras-style 'same' (extra zero row/col at bottom/right) for a 2x2 kernel, cross-correlation
    x = np.arange(16.0).reshape(4, 4)
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    s = cw.ConvWindow(x, k, padding="same")
    # by hand: y[3,3] sees x[3,3] and three padding zeros -> 15*1
    assert s.value(3, 3) == 15.0
    assert s.pads == (0, 1, 0, 1)


def test_moving_window_and_products():
    s = cw.ConvWindow()
    s.move_to(1, 2)
    np.testing.assert_array_equal(s.window(), cw.DEFAULT_X[1:4, 2:5])
    np.testing.assert_array_equal(s.products(), cw.DEFAULT_X[1:4, 2:5] * cw.DEFAULT_K)
    s.step()  # wraps to the next row
    assert (s.row, s.col) == (2, 0)
    s.set_index(8)
    s.step()
    assert s.index == 0
    so_far = cw.ConvWindow()
    so_far.set_index(4)
    y = so_far.output_so_far()
    assert np.isnan(y.ravel()[5:]).all() and not np.isnan(y.ravel()[:5]).any()


def test_bad_arguments():
    with pytest.raises(ValueError, match="x must be 2-D"):
        cw.ConvWindow(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="larger than the padded input"):
        cw.ConvWindow(np.zeros((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="position"):
        cw.ConvWindow().move_to(3, 0)
    with pytest.raises(ValueError, match="stride"):
        cw.ConvWindow(stride=0)


# Small input so the panel's frames (one per padding, flip and position) draw quickly.
X3 = np.array([[1.0, 2, 0], [0, 3, 1], [2, 1, 4]])
K2 = np.array([[1.0, -1], [2, 0]])


@pytest.fixture(scope="module")
def small_panel():
    return cw.panel(X3, K2, paddings=("valid", "same"), strides=(1, 2))


def test_panel_frame_is_what_the_drawing_function_draws(small_panel):
    """The website's frame for a set of control values is byte for byte the PNG that
    draw_conv_window gives for a ConvWindow moved to those values by its own methods."""
    from cnnlab.widgets import _frames
    box = small_panel
    box.select(padding="same", flip=True, stride=2)
    box.select(position=3)
    state = cw.ConvWindow(X3, K2)
    state.set_padding("same")
    state.set_stride(2)
    state.set_flip(True)
    state.move_to(1, 1)
    # (the frame leaves the equation line to its caption: show_equation=False)
    expected = _frames.png(cw.draw_conv_window(state, show_equation=False))
    assert _frames.png_of_frame(box.current()) == expected
    assert _frames.png_of_frame(box.current()) != _frames.png(cw.draw_conv_window(state))
    # the caption is the sum written out, with the value SciPy gives (true convolution)
    ref = signal.convolve2d(np.pad(X3, ((0, 1), (0, 1))), K2, "valid")[::2, ::2]
    assert f"= {int(ref[1, 1])}   (x * w)" in box.current().value
    assert box.current_values() == {"padding": "same", "flip": "* (flipped kernel)",
                                    "stride": "2", "position": "4 of 4"}


def test_panel_position_range_follows_padding_and_stride(small_panel):
    box = small_panel
    counts = {}
    for pad in ("valid", "same"):
        for s in (1, 2):
            box.select(padding=pad, stride=s, flip=False)
            (pos,) = box.local_choices()
            counts[pad, s] = len(pos.values)
            ref = _reference(X3, K2, pad, s)
            assert counts[pad, s] == ref.size
    assert counts == {("valid", 1): 4, ("valid", 2): 1, ("same", 1): 9, ("same", 2): 4}
    # every frame is distinct and described
    pngs = {bytes(_png_of(f)) for f in box.frames.values()}
    assert len(pngs) == len(box.frames) == 2 * (4 + 1 + 9 + 4)


def _png_of(frame):
    from cnnlab.widgets import _frames
    return _frames.png_of_frame(frame)


def test_panel_default_grid_and_flip_caption():
    """The book's panel: every padding word, flip off/on, every position at stride 1; the
    flipped frames show the true convolution SciPy computes."""
    box = cw.panel(paddings=("valid",))
    assert set(box.choices) == {"padding", "flip"}  # one stride: no dead stride control
    assert len(box.frames) == 2 * 9
    box.select(flip=True, position=4)
    ref = signal.convolve2d(cw.DEFAULT_X, cw.DEFAULT_K, "valid")
    assert f"= {int(ref[1, 1])}   (x * w)" in box.current().value
    assert 'alt="Sliding window (convolution *' in box.current().value


def test_static_twin_has_one_panel_per_position():
    fig = cw.static_conv_window()
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    ref = signal.correlate2d(cw.DEFAULT_X, cw.DEFAULT_K, "valid")
    assert titled[:9] == [f"y[{i},{j}] = {int(ref[i, j])}" for i in range(3) for j in range(3)]


def test_static_modes_titles_match_scipy_sizes():
    fig = cw.static_modes()
    x = np.arange(1.0, 17.0).reshape(4, 4)
    expected = []
    for shape in [(3, 3), (2, 2)]:
        for mode in ["valid", "same", "full"]:
            ho, wo = signal.correlate2d(x, np.ones(shape), mode=mode).shape
            expected.append(f"{mode}, kernel {shape[0]}×{shape[1]}: 4×4 → {ho}×{wo}")
    assert [ax.get_title() for ax in fig.axes] == expected


def test_chapter_table_claims_about_pytorch():
    """Chapter 1's table: PyTorch's conv2d does not flip the kernel, and its padding='same' puts the
    extra zero row/column of an even kernel at the bottom/right (like Keras and cnnlab)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 6))
    for shape in [(3, 3), (2, 2), (2, 4)]:
        k = rng.normal(size=shape)
        got = torch.nn.functional.conv2d(torch.tensor(x[None, None]), torch.tensor(k[None, None]),
                                         padding="same").numpy()[0, 0]
        np.testing.assert_allclose(got, signal.correlate2d(x, k, mode="same"), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got, cw.ConvWindow(x, k, padding="same").output(), rtol=1e-10, atol=1e-12)
