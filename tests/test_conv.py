"""cnnlab.conv against independent references: SciPy, finite differences, the explicit loops."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import signal

from cnnlab.conv import (
    col2im, conv2d, conv2d_backward, conv_floors, conv_output_size, convolve2d, correlate2d,
    im2col, resolve_padding,
)
from fd import fd_grad
from cnnlab.naive import conv2d_backward_naive, conv2d_naive

MODES = ["valid", "same", "full"]
SHAPES = [((6, 7), (3, 3)), ((6, 7), (2, 4)), ((5, 5), (4, 1)), ((6, 7), (6, 7)), ((3, 4), (5, 6)), ((1, 1), (1, 1))]


# --------------------------------------------------------------------------- SciPy semantics
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("xs,ks", SHAPES)
def test_correlate2d_matches_scipy(rng, mode, xs, ks):
    x, k = rng.normal(size=xs), rng.normal(size=ks)
    np.testing.assert_allclose(correlate2d(x, k, mode), signal.correlate2d(x, k, mode), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("xs,ks", SHAPES)
def test_convolve2d_matches_scipy(rng, mode, xs, ks):
    x, k = rng.normal(size=xs), rng.normal(size=ks)
    np.testing.assert_allclose(convolve2d(x, k, mode), signal.convolve2d(x, k, mode), rtol=1e-12, atol=1e-12)


def test_correlate2d_hand_example():
    # 3x3 image, 2x2 kernel, worked by hand: out[i, j] = sum_pq x[i+p, j+q] k[p, q]
    x = np.arange(1.0, 10.0).reshape(3, 3)
    k = np.array([[1.0, 0.0], [0.0, -1.0]])
    np.testing.assert_array_equal(correlate2d(x, k), [[1 - 5, 2 - 6], [4 - 8, 5 - 9]])
    # the true convolution flips the kernel: x * k = x ⋆ rot180(k)
    np.testing.assert_array_equal(convolve2d(x, k), [[-1 + 5, -2 + 6], [-4 + 8, -5 + 9]])


def test_correlate2d_integer_input_gives_float_and_float32_is_kept(rng):
    x = np.arange(12).reshape(3, 4)
    assert correlate2d(x, np.ones((2, 2), dtype=int)).dtype == np.float64
    x32, k32 = rng.normal(size=(5, 5)).astype(np.float32), np.ones((3, 3), np.float32)
    assert correlate2d(x32, k32, "same").dtype == np.float32


# --------------------------------------------------------------------------- output size
def test_conv_output_size_known_values():
    assert conv_output_size(32, 5) == 28  # LeNet C1
    assert conv_output_size(28, 2, s=2) == 14  # LeNet S2 as a window
    assert conv_output_size(7, 3, s=2, p=1) == 4  # cs231n's example
    assert conv_output_size(5, 3, p=1) == 5  # 'same'
    assert conv_output_size(7, 3, d=2) == 3  # dilated kernel spans 5
    assert conv_output_size(6, 3, s=2, return_remainder=True) == (2, 1)
    assert conv_floors(6, 3, s=2) and not conv_floors(7, 3, s=2)


@given(i=st.integers(1, 40), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4), d=st.integers(1, 3))
def test_conv_output_size_counts_window_positions(i, k, s, p, d):
    span = d * (k - 1) + 1
    starts = [t for t in range(0, i + 2 * p) if t % s == 0 and t + span <= i + 2 * p]
    if not starts:
        with pytest.raises(ValueError, match="kernel larger"):
            conv_output_size(i, k, s, p, d)
    else:
        o, r = conv_output_size(i, k, s, p, d, return_remainder=True)
        assert o == len(starts)
        assert r == (i + 2 * p) - (starts[-1] + span)  # trailing positions never used


def test_resolve_padding_same_puts_extra_bottom_right():
    assert resolve_padding("same", (3, 3)) == (1, 1, 1, 1)
    assert resolve_padding("same", (4, 2)) == (1, 2, 0, 1)
    assert resolve_padding("full", (4, 2)) == (3, 3, 1, 1)
    assert resolve_padding((2, 1), (3, 3)) == (2, 2, 1, 1)


# --------------------------------------------------------------------------- conv2d forward
def scipy_conv2d(x, w, b, stride, pads):
    """Reference: pad, then per (n, f) the sum over channels of SciPy's 'valid' correlation,
    subsampled by the stride."""
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    sh, sw = stride
    out = []
    for n in range(x.shape[0]):
        maps = []
        for f in range(w.shape[0]):
            full = sum(signal.correlate2d(xp[n, c], w[f, c], "valid") for c in range(x.shape[1]))
            maps.append(full[::sh, ::sw] + (0 if b is None else b[f]))
        out.append(maps)
    return np.array(out)


@pytest.mark.parametrize("stride", [1, 2, 3, (1, 2)])
@pytest.mark.parametrize("padding,pads", [(0, (0, 0, 0, 0)), (1, (1, 1, 1, 1)), ((2, 0), (2, 2, 0, 0)), ("valid", (0, 0, 0, 0))])
@pytest.mark.parametrize("kshape", [(3, 3), (2, 4)])
def test_conv2d_matches_scipy_reference(rng, stride, padding, pads, kshape):
    x = rng.normal(size=(2, 3, 9, 10))
    w = rng.normal(size=(4, 3) + kshape)
    b = rng.normal(size=4)
    sp = (stride, stride) if isinstance(stride, int) else stride
    np.testing.assert_allclose(conv2d(x, w, b, stride, padding), scipy_conv2d(x, w, b, sp, pads), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["same", "full"])
@pytest.mark.parametrize("kshape", [(3, 3), (2, 4), (5, 2)])
def test_conv2d_same_and_full_match_scipy_modes(rng, mode, kshape):
    # SciPy's correlate2d 'same' puts the extra row of an even kernel's padding at the bottom,
    # as Keras/TensorFlow's 'same' does -- an independent check of our padding rule.
    x = rng.normal(size=(2, 2, 7, 8))
    w = rng.normal(size=(3, 2) + kshape)
    ref = np.array([[sum(signal.correlate2d(x[n, c], w[f, c], mode) for c in range(2)) for f in range(3)] for n in range(2)])
    y = conv2d(x, w, padding=mode)
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10)
    if mode == "same":
        assert y.shape[-2:] == x.shape[-2:]


def test_conv2d_unbatched_returns_unbatched(rng):
    x, w, b = rng.normal(size=(3, 8, 8)), rng.normal(size=(5, 3, 3, 3)), rng.normal(size=5)
    y = conv2d(x, w, b, stride=2, padding=1)
    assert y.shape == (5, 4, 4)
    np.testing.assert_allclose(y, conv2d(x[None], w, b, stride=2, padding=1)[0])


def test_conv2d_keeps_float32(rng):
    x = rng.normal(size=(2, 1, 6, 6)).astype(np.float32)
    w = rng.normal(size=(2, 1, 3, 3)).astype(np.float32)
    y = conv2d(x, w, np.zeros(2, np.float32))
    assert y.dtype == np.float32
    dx, dw, db = conv2d_backward(np.ones_like(y), x, w)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    np.testing.assert_allclose(y, conv2d(x.astype(float), w.astype(float)), rtol=1e-5, atol=1e-5)


def test_conv2d_hand_example_one_channel():
    # 4x4 ramp, 2x2 kernel [[1, 0], [0, 1]] (trace): out[i, j] = x[i, j] + x[i+1, j+1]
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, 1.0]]]])
    expected = np.array([[0 + 5, 1 + 6, 2 + 7], [4 + 9, 5 + 10, 6 + 11], [8 + 13, 9 + 14, 10 + 15]])
    np.testing.assert_array_equal(conv2d(x, w, b=np.array([0.5]))[0, 0], expected + 0.5)
    np.testing.assert_array_equal(conv2d(x, w, stride=2)[0, 0], expected[::2, ::2])


def test_q3_seed_shapes():
    """q3: 1x28x28 -> conv 3@1x3x3 -> 3x26x26 -> pool -> 3x13x13 -> conv 10@3x4x4 -> 10x10x10 -> pool 10x5x5."""
    from cnnlab.activations import relu
    from cnnlab.pool import maxpool2d

    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 28, 28))
    h1 = conv2d(x, rng.normal(size=(3, 1, 3, 3)))
    assert h1.shape == (3, 26, 26)
    p1 = maxpool2d(relu(h1), 2)
    assert p1.shape == (3, 13, 13)
    h2 = conv2d(p1, rng.normal(size=(10, 3, 4, 4)))
    assert h2.shape == (10, 10, 10)
    assert maxpool2d(relu(h2), 2).shape == (10, 5, 5)


# --------------------------------------------------------------------------- im2col / col2im
def test_im2col_matmul_is_conv2d(rng):
    x, w = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2))
    cols = im2col(x, (3, 2), stride=2, padding=1)
    Ho, Wo = conv_output_size(7, 3, 2, 1), conv_output_size(6, 2, 2, 1)
    assert cols.shape == (3 * 3 * 2, 2 * Ho * Wo)
    y = (w.reshape(4, -1) @ cols).reshape(4, 2, Ho, Wo).transpose(1, 0, 2, 3)
    np.testing.assert_allclose(y, scipy_conv2d(x, w, None, (2, 2), (1, 1, 1, 1)), atol=1e-12)


def test_im2col_first_column_is_first_window():
    x = np.arange(2 * 4 * 4.0).reshape(2, 4, 4)  # unbatched (C, H, W)
    cols = im2col(x, 2)
    assert cols.shape == (2 * 2 * 2, 3 * 3)
    np.testing.assert_array_equal(cols[:, 0], np.concatenate([x[0, :2, :2].ravel(), x[1, :2, :2].ravel()]))


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (3, (0, 2))])
def test_col2im_is_adjoint_of_im2col(rng, stride, padding):
    x = rng.normal(size=(2, 3, 8, 7))
    cols = im2col(x, (3, 2), stride, padding)
    c = rng.normal(size=cols.shape)
    back = col2im(c, x.shape, (3, 2), stride, padding)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_col2im_counts_window_overlaps():
    # all-ones columns, 2x2 windows, stride 1 on 3x3: each pixel gets the number of windows covering it
    ones = np.ones((4, 4))
    np.testing.assert_array_equal(col2im(ones, (1, 3, 3), 2), [[[1, 2, 1], [2, 4, 2], [1, 2, 1]]])


# --------------------------------------------------------------------------- backward
def _rel_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _fd_check(x, w, b, dy, stride, padding, tol=1e-7, fast=True):
    # conv2d is linear in each argument, so centred differences have no truncation error and a
    # large step (h = 1e-3) keeps round-off small; tests/fd.py is written apart from cnnlab
    h = 1e-3
    x, w, b = x.copy(), w.copy(), b.copy()
    dx, dw, db = conv2d_backward(dy, x, w, stride, padding, fast=fast)

    def loss():
        return float(np.sum(dy * conv2d(x, w, b, stride, padding, fast=fast)))

    ndx, ndw, ndb = fd_grad(loss, x, h), fd_grad(loss, w, h), fd_grad(loss, b, h)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert _rel_error(dx, ndx) < tol
    assert _rel_error(dw, ndw) < tol
    assert _rel_error(db, ndb) < tol


@given(
    n=st.integers(1, 2), c=st.integers(1, 3), f=st.integers(1, 3),
    h=st.integers(1, 7), w_=st.integers(1, 7), kh=st.integers(1, 4), kw=st.integers(1, 4),
    sh=st.integers(1, 3), sw=st.integers(1, 3),
    padding=st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)), st.sampled_from(["valid", "full"])),
    seed=st.integers(0, 2**16), fast=st.booleans(),
)
def test_conv2d_backward_matches_finite_differences(n, c, f, h, w_, kh, kw, sh, sw, padding, seed, fast):
    pt, pb, pl, pr = resolve_padding(padding, (kh, kw))
    assume(kh <= h + pt + pb and kw <= w_ + pl + pr)  # invalid geometry: covered by the error tests
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(n, c, h, w_)), rng.normal(size=(f, c, kh, kw)), rng.normal(size=f)
    dy = rng.normal(size=conv2d(x, w, b, (sh, sw), padding).shape)
    _fd_check(x, w, b, dy, (sh, sw), padding, fast=fast)


@pytest.mark.parametrize("kshape", [(3, 3), (2, 4)])
def test_conv2d_backward_same_padding_finite_differences(rng, kshape):
    x, w, b = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2) + kshape), rng.normal(size=3)
    dy = rng.normal(size=(2, 3, 5, 6))
    _fd_check(x, w, b, dy, 1, "same")


def test_conv2d_backward_unbatched(rng):
    x, w = rng.normal(size=(2, 5, 5)), rng.normal(size=(3, 2, 2, 2))
    dy = rng.normal(size=(3, 4, 4))
    dx, dw, db = conv2d_backward(dy, x, w)
    dx4, dw4, db4 = conv2d_backward(dy[None], x[None], w)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dx4[0])
    np.testing.assert_allclose(dw, dw4)
    np.testing.assert_allclose(db, db4)


def test_conv2d_backward_floored_rows_get_zero_gradient(rng):
    # H = 6, k = 3, s = 2: windows start at 0 and 2 and cover rows 0..4; row 5 is never read
    x, w = rng.normal(size=(1, 1, 6, 6)), rng.normal(size=(1, 1, 3, 3))
    assert conv_floors(6, 3, 2)
    dx, _, _ = conv2d_backward(np.ones((1, 1, 2, 2)), x, w, stride=2)
    assert np.all(dx[..., 5, :] == 0) and np.all(dx[..., :, 5] == 0)
    assert np.any(dx[..., 4, :] != 0)


def test_conv2d_backward_stride1_is_full_convolution(rng):
    # Bouvrie / the textbook identity: dx_c = Σ_f conv_full(dy_f, w_fc), dw_fc = x_c ⋆ dy_f
    x, w = rng.normal(size=(1, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2))
    dy = rng.normal(size=(1, 3, 4, 4))
    dx, dw, _ = conv2d_backward(dy, x, w)
    for c in range(2):
        ref = sum(signal.convolve2d(dy[0, f], w[f, c], "full") for f in range(3))
        np.testing.assert_allclose(dx[0, c], ref, atol=1e-12)
        for f in range(3):
            np.testing.assert_allclose(dw[f, c], signal.correlate2d(x[0, c], dy[0, f], "valid"), atol=1e-12)


# --------------------------------------------------------------------------- naive == vectorised
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 3), (0, 2)), (1, "same"), (1, "full"), (3, "valid")])
def test_naive_equals_vectorised(rng, stride, padding):
    x, w, b = rng.normal(size=(2, 3, 7, 8)), rng.normal(size=(2, 3, 3, 2)), rng.normal(size=2)
    y = conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(conv2d_naive(x, w, b, stride, padding), y, atol=1e-12)
    dy = rng.normal(size=y.shape)
    for got, want in zip(conv2d_backward_naive(dy, x, w, stride, padding), conv2d_backward(dy, x, w, stride, padding)):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_naive_matches_scipy_reference(rng):
    # the loops are also checked against SciPy directly, not only against the vectorised code
    x, w, b = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(2, 2, 3, 3)), rng.normal(size=2)
    np.testing.assert_allclose(conv2d_naive(x, w, b, 2, 1), scipy_conv2d(x, w, b, (2, 2), (1, 1, 1, 1)), atol=1e-12)


def test_kept_geometry_still_checks_every_argument(rng):
    # _geometry keeps its answers per typed argument: 1 and True, (1, 2) and [1, 2] stay apart
    from cnnlab.conv import _geometry
    x, w = rng.normal(size=(2, 1, 6, 6)), rng.normal(size=(1, 1, 3, 3))
    assert _geometry(x.shape, w.shape, 1, 0) == ((1, 1), (0, 0, 0, 0), (4, 4))
    assert _geometry(x.shape, w.shape, 1, 0) == ((1, 1), (0, 0, 0, 0), (4, 4))
    for bad in (True, (1, True), 1.0):
        with pytest.raises(TypeError, match="stride"):
            conv2d(x, w, stride=bad)
    assert conv2d(x, w, stride=[1, 2], padding=[1, 0]).shape == (2, 1, 6, 2)  # lists: checked afresh
    with pytest.raises(TypeError, match="padding"):
        conv2d(x, w, padding=True)
