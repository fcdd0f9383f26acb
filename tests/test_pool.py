"""cnnlab.pool: hand-worked examples, finite differences, the tie rule, the explicit loops."""
import numpy as np
import pytest
from fd import fd_grad
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnlab.gradcheck import rel_error
from cnnlab.naive import (
    avgpool2d_backward_naive, avgpool2d_naive, maxpool2d_backward_naive, maxpool2d_naive,
)
from cnnlab.pool import avgpool2d, avgpool2d_backward, maxpool2d, maxpool2d_backward, pool_output_shape


def test_maxpool_hand_example():
    x = np.array([[1, 3, 2, 0], [5, 4, 1, 1], [0, 0, 7, 8], [2, 9, 6, 5]], dtype=float)
    np.testing.assert_array_equal(maxpool2d(x, 2), [[5, 2], [9, 8]])
    np.testing.assert_array_equal(avgpool2d(x, 2), [[13 / 4, 4 / 4], [11 / 4, 26 / 4]])
    dx = maxpool2d_backward(np.array([[10.0, 20.0], [30.0, 40.0]]), x, 2)
    expected = np.zeros((4, 4))
    expected[1, 0], expected[0, 2], expected[3, 1], expected[2, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(avgpool2d_backward(np.array([[4.0, 8.0], [12.0, 16.0]]), x, 2),
                                  np.kron([[1, 2], [3, 4]], np.ones((2, 2))))


def test_maxpool_tie_goes_to_first_max_in_row_major_order():
    # every window has ties; the first maximum scanning rows top-down, left to right wins
    x = np.array([[7, 7, 1, 2],
                  [7, 7, 2, 2],
                  [0, 3, 4, 0],
                  [3, 0, 0, 4]], dtype=float)
    dx = maxpool2d_backward(np.ones((2, 2)), x, 2)
    expected = np.zeros((4, 4))
    expected[0, 0] = 1  # four 7s: top-left
    expected[0, 3] = 1  # 2s at (0,3), (1,2), (1,3): (0,3) comes first in row-major order
    expected[2, 1] = 1  # 3s at (2,1) and (3,0): (2,1) first
    expected[2, 2] = 1  # 4s at (2,2) and (3,3): (2,2) first
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(maxpool2d_backward_naive(np.ones((2, 2)), x, 2), expected)
    assert dx.sum() == 4  # the gradient is routed once per window, never split


def test_overlapping_windows_accumulate():
    # 3x3 windows, stride 1, on a 4x4 map with one dominant pixel inside all four windows
    x = np.zeros((4, 4))
    x[1, 2] = 9.0
    dy = np.array([[1.0, 2.0], [3.0, 4.0]])
    dx = maxpool2d_backward(dy, x, 3, 1)
    assert dx[1, 2] == 10.0 and dx.sum() == 10.0
    davg = avgpool2d_backward(dy, x, 3, 1)
    # pixel (1, 1) lies in all four windows: (1 + 2 + 3 + 4) / 9
    assert davg[1, 1] == pytest.approx(10 / 9)
    assert davg[0, 0] == pytest.approx(1 / 9)
    assert davg.sum() == pytest.approx(dy.sum())


def test_stride_defaults_to_size_and_floor():
    x = np.arange(7 * 7.0).reshape(7, 7)
    y = maxpool2d(x, 3)
    assert y.shape == (2, 2) == pool_output_shape(x.shape, 3)
    np.testing.assert_array_equal(y, [[x[2, 2], x[2, 5]], [x[5, 2], x[5, 5]]])
    assert maxpool2d(x, 3, stride=2).shape == (3, 3)
    # row 6 / column 6 are never in a window: zero gradient there
    dx = maxpool2d_backward(np.ones((2, 2)), x, 3)
    assert not dx[6].any() and not dx[:, 6].any()


def test_leading_axes_and_float32(rng):
    x = rng.normal(size=(2, 3, 6, 4)).astype(np.float32)
    y = maxpool2d(x, 2)
    assert y.shape == (2, 3, 3, 2) and y.dtype == np.float32
    for n, c in np.ndindex(2, 3):
        np.testing.assert_array_equal(y[n, c], maxpool2d(x[n, c], 2))
    assert avgpool2d(x, (2, 1)).shape == (2, 3, 3, 4)
    assert maxpool2d_backward(np.ones_like(y), x, 2).dtype == np.float32


def _no_ties(rng, shape):
    # a random permutation: distinct values, so no window has a tie and max is differentiable
    return rng.permutation(np.prod(shape)).reshape(shape).astype(float) * 0.1


@given(
    h=st.integers(2, 8), w=st.integers(2, 8), kh=st.integers(1, 3), kw=st.integers(1, 3),
    stride=st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    seed=st.integers(0, 2**16),
)
def test_pool_backward_matches_finite_differences(h, w, kh, kw, stride, seed):
    assume(kh <= h and kw <= w)
    rng = np.random.default_rng(seed)
    x = _no_ties(rng, (2, h, w))
    y = maxpool2d(x, (kh, kw), stride)
    dy = rng.normal(size=y.shape)
    # values differ by >= 0.1, so a step of 1e-4 never changes which element is the maximum
    num = fd_grad(lambda: np.sum(dy * maxpool2d(x, (kh, kw), stride)), x, h=1e-4)
    assert rel_error(maxpool2d_backward(dy, x, (kh, kw), stride), num) < 1e-8
    num = fd_grad(lambda: np.sum(dy * avgpool2d(x, (kh, kw), stride)), x, h=1e-4)
    assert rel_error(avgpool2d_backward(dy, x, (kh, kw), stride), num) < 1e-8


@pytest.mark.parametrize("size,stride", [(2, None), (3, 1), ((2, 3), (1, 2)), (3, 2)])
def test_naive_equals_vectorised(rng, size, stride):
    x = rng.integers(0, 4, size=(2, 7, 8)).astype(float)  # many ties on purpose
    y = maxpool2d(x, size, stride)
    np.testing.assert_array_equal(maxpool2d_naive(x, size, stride), y)
    dy = rng.normal(size=y.shape)
    np.testing.assert_allclose(maxpool2d_backward_naive(dy, x, size, stride), maxpool2d_backward(dy, x, size, stride))


@given(h=st.integers(1, 7), w=st.integers(1, 7), kh=st.integers(1, 3), kw=st.integers(1, 3),
       stride=st.one_of(st.none(), st.integers(1, 3)), seed=st.integers(0, 2**16))
def test_avgpool_equals_its_loop_twin(h, w, kh, kw, stride, seed):
    assume(kh <= h and kw <= w)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, h, w))
    y = avgpool2d(x, (kh, kw), stride)
    np.testing.assert_allclose(y, avgpool2d_naive(x, (kh, kw), stride), atol=1e-12)
    dy = rng.normal(size=y.shape)
    np.testing.assert_allclose(avgpool2d_backward(dy, x, (kh, kw), stride),
                               avgpool2d_backward_naive(dy, x, (kh, kw), stride), atol=1e-12)


# ------------------------------------------------------------------------- padding (Keras "same")
def test_same_padding_hand_worked():
    x = np.arange(1.0, 10.0).reshape(3, 3)           # 3x3, window 2, stride 2: output 2x2
    # TensorFlow's rule: total (2-1)*2 + 2 - 3 = 1, all of it at the bottom/right
    np.testing.assert_array_equal(maxpool2d(x, 2, padding="same"), [[5, 6], [8, 9]])
    np.testing.assert_allclose(avgpool2d(x, 2, padding="same", count_padding=False),
                               [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 2], [(7 + 8) / 2, 9]])
    np.testing.assert_allclose(avgpool2d(x, 2, padding="same"),          # zeros counted
                               [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 4], [(7 + 8) / 4, 9 / 4]])
    with pytest.raises(ValueError, match="padding='full' is not defined for pooling"):
        maxpool2d(x, 2, padding="full")


@given(h=st.integers(1, 7), w=st.integers(1, 7), k=st.integers(1, 3), s=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_same_padding_backward_matches_finite_differences(h, w, k, s, seed):
    rng = np.random.default_rng(seed)
    x = _no_ties(rng, (2, h, w))
    y = maxpool2d(x, k, s, padding="same")
    assert y.shape == (2, -(-h // s), -(-w // s))
    dy = rng.normal(size=y.shape)
    num = fd_grad(lambda: np.sum(dy * maxpool2d(x, k, s, padding="same")), x, h=1e-4)
    assert rel_error(maxpool2d_backward(dy, x, k, s, padding="same"), num) < 1e-8
    for count in (True, False):
        num = fd_grad(lambda: np.sum(dy * avgpool2d(x, k, s, padding="same", count_padding=count)), x, h=1e-4)
        got = avgpool2d_backward(dy, x, k, s, padding="same", count_padding=count)
        assert rel_error(got, num) < 1e-8


@pytest.mark.parametrize("h, k, s", [(5, 2, 2), (7, 3, 2), (6, 3, 3), (4, 2, 1)])
def test_same_padding_matches_torch_with_explicit_pads(h, k, s):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 2, h, h + 1))
    pads = []
    for i in (h, h + 1):                      # TensorFlow's rule written out
        total = max((-(-i // s) - 1) * s + k - i, 0)
        pads.append((total // 2, total - total // 2))
    (pt, pb), (pl, pr) = pads
    xt = torch.nn.functional.pad(torch.from_numpy(x), (pl, pr, pt, pb), value=-float("inf"))
    ref = torch.nn.functional.max_pool2d(xt, k, s).numpy()
    np.testing.assert_allclose(maxpool2d(x, k, s, padding="same"), ref)
    xz = torch.nn.functional.pad(torch.from_numpy(x), (pl, pr, pt, pb))
    ref = torch.nn.functional.avg_pool2d(xz, k, s).numpy()           # zeros counted
    np.testing.assert_allclose(avgpool2d(x, k, s, padding="same"), ref, atol=1e-12)
