"""cnnlab.shapes: output sizes, the one "same" rule, padding words, kernel layouts.

References: hand-worked cases, a brute-force count of window positions, PyTorch's output sizes
with explicit pads (when installed) and the formula of TensorFlow's documentation worked by hand.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab import conv2d
from cnnlab.shapes import (
    KERNEL_LAYOUTS, conv_floors, conv_output_size, kernel_from_bouvrie, kernel_from_keras,
    kernel_to_bouvrie, kernel_to_keras, padded_output_size, resolve_padding, same_padding,
)


# ------------------------------------------------------------------------------------- sizes
def test_conv_output_size_hand_worked():
    assert conv_output_size(32, 5) == 28                   # LeNet C1
    assert conv_output_size(7, 3, s=2, p=1) == 4           # cs231n's example
    assert conv_output_size(6, 3, s=2, return_remainder=True) == (2, 1)
    assert conv_floors(6, 3, s=2) and not conv_floors(7, 3, s=2)
    assert conv_output_size(np.int64(32), np.int32(5), s=np.int64(1)) == 28


@given(i=st.integers(1, 20), k=st.integers(1, 6), s=st.integers(1, 4),
       pb=st.integers(0, 3), pa=st.integers(0, 3))
def test_padded_output_size_counts_window_starts(i, k, s, pb, pa):
    """Brute force: the windows start at 0, s, 2s, ... and must end inside the padded input."""
    n = i + pb + pa
    assume(k <= n)
    starts = [t for t in range(0, n, s) if t + k <= n]
    o, r = padded_output_size(i, k, s, pb, pa, return_remainder=True)
    assert o == len(starts)
    assert r == n - (starts[-1] + k)     # trailing positions no window reaches


def test_conv_output_size_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"s must be >= 1; got 0"):
        conv_output_size(5, 3, s=0)
    with pytest.raises(TypeError, match=r"k must be an int; got 2.5"):
        conv_output_size(5, 2.5)
    with pytest.raises(TypeError, match=r"i must be an int"):
        conv_output_size(True, 1)
    with pytest.raises(ValueError, match="kernel larger than the padded input"):
        padded_output_size(4, 7, 1, 1, 1)


# ------------------------------------------------------------------------------------- "same"
def test_same_padding_hand_worked():
    # i=6, k=3, s=2: output ceil(6/2)=3, total (3-1)*2+3-6 = 1 -> 0 on top, 1 at the bottom
    assert same_padding(6, 3, 2) == (0, 1)
    # i=5, k=3, s=2: output 3, total (3-1)*2+3-5 = 2 -> 1 and 1
    assert same_padding(5, 3, 2) == (1, 1)
    # stride 1: total k-1, the extra one after for an even kernel
    assert same_padding(7, 4) == (1, 2)
    # total would be negative: i=7, k=1, s=3 -> output 3, (3-1)*3+1-7 = 0
    assert same_padding(7, 1, 3) == (0, 0)
    assert same_padding(np.int64(6), np.int64(3), np.int64(2)) == (0, 1)


@given(i=st.integers(1, 30), k=st.integers(1, 7), s=st.integers(1, 5))
def test_same_padding_gives_ceil_output(i, k, s):
    before, after = same_padding(i, k, s)
    assert after - before in (0, 1)
    assert padded_output_size(i, k, s, before, after) == -(-i // s)


def test_resolve_padding_words_and_numbers():
    assert resolve_padding("valid", (3, 3)) == (0, 0, 0, 0)
    assert resolve_padding("same", (3, 3)) == (1, 1, 1, 1)
    assert resolve_padding("same", (4, 2)) == (1, 2, 0, 1)
    assert resolve_padding("full", (4, 2)) == (3, 3, 1, 1)
    assert resolve_padding((2, 1), (3, 3)) == (2, 2, 1, 1)
    assert resolve_padding(np.int64(1), 3) == (1, 1, 1, 1)
    assert resolve_padding("same", (3, 3), stride=2, input_size=(6, 5)) == (0, 1, 1, 1)
    # stride 1 with input_size gives the same as without
    assert resolve_padding("same", (4, 2), 1, (9, 9)) == resolve_padding("same", (4, 2))


def test_resolve_padding_errors():
    with pytest.raises(ValueError, match=r"input_size=\(H, W\)"):
        resolve_padding("same", (3, 3), stride=2)
    with pytest.raises(ValueError, match=r"padding must be .*'valid', 'same', 'full'.*'middle'"):
        resolve_padding("middle", (3, 3))
    with pytest.raises(TypeError, match=r"padding must be an int.*float 1.5"):
        resolve_padding(1.5, (3, 3))
    with pytest.raises(ValueError, match=r"padding must be non-negative"):
        resolve_padding(-1, (3, 3))
    with pytest.raises(ValueError, match=r"kernel_size must be positive"):
        resolve_padding(0, (0, 3))


@pytest.mark.parametrize("i, k, s", [(6, 3, 2), (5, 3, 2), (7, 4, 3), (8, 2, 2), (28, 5, 1), (9, 1, 4)])
def test_conv2d_same_any_stride_matches_torch(i, k, s):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x, w = rng.normal(size=(2, 3, i, i + 1)), rng.normal(size=(4, 3, k, k))
    pt, pb, pl, pr = resolve_padding("same", (k, k), s, (i, i + 1))
    xt = torch.nn.functional.pad(torch.from_numpy(x), (pl, pr, pt, pb))   # explicit pads
    ref = torch.nn.functional.conv2d(xt, torch.from_numpy(w), stride=s).numpy()
    y = conv2d(x, w, stride=s, padding="same")
    assert y.shape[2:] == (-(-i // s), -(-(i + 1) // s))   # TensorFlow: ceil(i / s)
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(i=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 4),
       pb=st.integers(0, 3), pa=st.integers(0, 3))
def test_output_size_matches_torch(i, k, s, pb, pa):
    torch = pytest.importorskip("torch")
    assume(k <= i + pb + pa)
    x = torch.zeros(1, 1, i, 1)
    x = torch.nn.functional.pad(x, (0, 0, pb, pa))
    out = torch.nn.functional.conv2d(x, torch.zeros(1, 1, k, 1), stride=(s, 1))
    assert padded_output_size(i, k, s, pb, pa) == out.shape[2]


# ------------------------------------------------------------------------------------- layouts
def test_kernel_layouts_documented():
    assert KERNEL_LAYOUTS["functional"] == ("F", "C", "kh", "kw")
    assert KERNEL_LAYOUTS["keras"] == ("kh", "kw", "C", "F")
    assert KERNEL_LAYOUTS["bouvrie"] == ("C", "F", "kh", "kw")


def test_kernel_to_keras_entrywise_and_round_trip():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(4, 3, 2, 5))          # (F, C, kh, kw)
    wk = kernel_to_keras(w)
    assert wk.shape == (2, 5, 3, 4)
    for f, c, p, q in [(0, 0, 0, 0), (3, 2, 1, 4), (1, 2, 0, 3)]:
        assert wk[p, q, c, f] == w[f, c, p, q]
    np.testing.assert_array_equal(kernel_from_keras(wk), w)
    wk2 = rng.normal(size=(2, 5, 3, 4))
    np.testing.assert_array_equal(kernel_to_keras(kernel_from_keras(wk2)), wk2)


def test_kernel_to_bouvrie_entrywise_and_round_trip():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(4, 3, 2, 2))
    kb = kernel_to_bouvrie(w)
    assert kb.shape == (3, 4, 2, 2)
    np.testing.assert_array_equal(kb[2, 1], w[1, 2])     # input map 2 -> output map 1
    np.testing.assert_array_equal(kernel_from_bouvrie(kb), w)


def test_keras_layout_matches_torch_conv_of_keras_weights():
    """A Keras-layout kernel, converted, gives PyTorch's Conv2d output on the same input."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    wk = rng.normal(size=(3, 2, 2, 4))            # (kh, kw, C, F) as Keras stores it
    x = rng.normal(size=(1, 2, 6, 5))
    ref = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(wk.transpose(3, 2, 0, 1))))
    np.testing.assert_allclose(conv2d(x, kernel_from_keras(wk)), ref.numpy(), atol=1e-12)


def test_kernel_layout_errors():
    with pytest.raises(ValueError, match=r"w must be 4-D"):
        kernel_to_keras(np.zeros((3, 3)))
    with pytest.raises(TypeError, match=r"w must be a numeric"):
        kernel_from_keras(np.array([["a"]]))


def test_window_taps_hand_worked():
    from cnnlab.shapes import window_taps

    assert window_taps(0, 3) == [0, 1, 2]
    assert window_taps(2, 3, s=2, d=2) == [4, 6, 8]        # start 2·2, taps every 2nd cell
    with pytest.raises(ValueError, match=r"t must be >= 0"):
        window_taps(-1, 3)
