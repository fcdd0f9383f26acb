"""cnnlab.convmatrix: the doubly block Toeplitz matrix of a convolution, against SciPy and PyTorch."""
import numpy as np
import pytest
import hypothesis as hyp
import hypothesis.strategies as st
import scipy.sparse as sp
from scipy.signal import convolve2d, correlate2d

from cnnlab.convmatrix import conv_matrix, conv_matrix_shape, toeplitz_blocks, transposed_conv2d
from fd import fd_grad


def scipy_conv(x, w, stride, pads):
    """Reference: per-channel SciPy correlate2d on an np.pad-ed input, summed, then strided."""
    (sh, sw), (pt, pb, pl, pr) = stride, pads
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr)))
    out = np.array([sum(correlate2d(xp[c], w[f, c], mode="valid") for c in range(x.shape[0]))
                    for f in range(w.shape[0])])
    return out[:, ::sh, ::sw]


def test_one_map_equals_scipy_correlate2d_and_has_the_stated_shape():
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(5, 6)), rng.normal(size=(3, 2))
    T = conv_matrix(k, (5, 6))
    assert sp.issparse(T)
    assert T.shape == ((5 - 3 + 1) * (6 - 2 + 1), 5 * 6) == (15, 30)
    assert T.nnz == 15 * 3 * 2              # every window inside: kh*kw entries per row
    np.testing.assert_allclose(T @ x.ravel(), correlate2d(x, k, mode="valid").ravel(), atol=1e-12)


@pytest.mark.parametrize("stride,padding,pads", [
    (1, 0, (0, 0, 0, 0)), (2, 1, (1, 1, 1, 1)), ((1, 2), (2, 0), (2, 2, 0, 0)),
    (2, "same", (1, 1, 0, 1))  # Keras: rows total max(3·2+3−7, 0) = 2, cols 1 (bottom/right)
   , (1, "full", (2, 2, 2, 2)), (2, (0, 1, 2, 0), (0, 1, 2, 0)),
])
def test_channels_stride_padding_equal_scipy(stride, padding, pads):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(3, 7, 8)), rng.normal(size=(4, 3, 3, 3))
    T = conv_matrix(w, x.shape, stride, padding)
    ref = scipy_conv(x, w, stride if isinstance(stride, tuple) else (stride, stride), pads)
    assert T.shape == conv_matrix_shape(w.shape, x.shape, stride, padding) == (ref.size, x.size)
    np.testing.assert_allclose(T @ x.ravel(), ref.ravel(), atol=1e-12)


def test_same_with_stride_two_is_keras_asymmetric():
    """i = 6, k = 3, s = 2, "same": no zero on top, one below (hand-worked: the windows start at
    rows 0, 2, 4 and the last one needs row 6, a padding row)."""
    rng = np.random.default_rng(2)
    x, k = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    T = conv_matrix(k, (6, 6), stride=2, padding="same")
    ref = correlate2d(np.pad(x, ((0, 1), (0, 1))), k, mode="valid")[::2, ::2]
    np.testing.assert_allclose(T @ x.ravel(), ref.ravel(), atol=1e-12)


def test_doubly_block_toeplitz_structure():
    """Blocks (m, m') of a one-map, stride-1 matrix: zero unless 0 <= m' - m < kh, then the
    Toeplitz matrix of kernel row m' - m; constant along block diagonals."""
    k = np.arange(1.0, 7.0).reshape(2, 3)
    H, W = 4, 5
    Ho, Wo = H - 2 + 1, W - 3 + 1
    B = toeplitz_blocks(conv_matrix(k, (H, W)), (H, W), (Ho, Wo))
    for m in range(Ho):
        for m2 in range(H):
            d = m2 - m
            expected = np.zeros((Wo, W))
            if 0 <= d < 2:
                for n in range(Wo):
                    expected[n, n:n + 3] = k[d]          # Toeplitz: constant diagonals
            np.testing.assert_array_equal(B[m, m2], expected)


def test_transpose_is_the_full_true_convolution_at_stride_one():
    """Tᵀ dy = dy * k ('full' true convolution, SciPy's convolve2d) — the transposed convolution."""
    rng = np.random.default_rng(3)
    k, dy = rng.normal(size=(3, 2)), rng.normal(size=(4, 5))
    got = transposed_conv2d(dy, k, (6, 6))
    np.testing.assert_allclose(got[0], convolve2d(dy, k, mode="full"), atol=1e-12)


def test_transpose_is_the_input_gradient_by_finite_differences():
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(2, 5, 6)), rng.normal(size=(3, 2, 3, 2))
    T = conv_matrix(w, x.shape, stride=2, padding=1)
    dy = rng.normal(size=T.shape[0])
    E = lambda z: float(dy @ scipy_conv(z, w, (2, 2), (1, 1, 1, 1)).ravel())  # noqa: E731
    num = fd_grad(lambda: E(x), x, h=1e-6).ravel()
    got = transposed_conv2d(dy.reshape(3, 3, 4), w, x.shape, 2, 1)
    np.testing.assert_allclose(got.ravel(), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (3, 2)])
def test_against_pytorch_conv2d_and_conv_transpose2d(stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(2, 9, 8)), rng.normal(size=(3, 2, 3, 3))
    T = conv_matrix(w, x.shape, stride, padding)
    xt, wt = torch.tensor(x[None]), torch.tensor(w)
    y = torch.nn.functional.conv2d(xt, wt, stride=stride, padding=padding)[0].numpy()
    np.testing.assert_allclose(T @ x.ravel(), y.ravel(), atol=1e-12)
    dy = rng.normal(size=y.shape)
    # output_padding recovers the rows/columns the forward floor dropped
    op = [(x.shape[a + 1] + 2 * padding - 3) % stride for a in (0, 1)]
    dx = torch.nn.functional.conv_transpose2d(torch.tensor(dy[None]), wt, stride=stride,
                                              padding=padding, output_padding=tuple(op))[0].numpy()
    np.testing.assert_allclose(transposed_conv2d(dy, w, x.shape, stride, padding), dx, atol=1e-12)


@pytest.mark.parametrize("call,exc,words", [
    (lambda: conv_matrix(np.ones((2, 2, 3)), (4, 4)), ValueError, "w must be"),
    (lambda: conv_matrix(np.ones((1, 2, 3, 3)), (3, 4, 4)), ValueError, "channels"),
    (lambda: conv_matrix(np.ones((5, 5)), (3, 3)), ValueError, "does not fit"),
    (lambda: conv_matrix(np.ones((2, 2)), (3, 3), padding=(1, -1, 0, 0)), ValueError, "padding"),
    (lambda: conv_matrix(np.ones((2, 2)), 3), TypeError, "input_shape"),
    (lambda: transposed_conv2d(np.ones((3, 3)), np.ones((2, 2)), (3, 3)), ValueError, "dy must"),
])
def test_errors_name_the_argument(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_random_layers_equal_scipy_property():
    """Property: for random sizes, strides and (asymmetric) paddings, T(w) vec(x) equals the
    SciPy reference and Tᵀ is its adjoint computed independently (⟨T x, y⟩ = ⟨x, Tᵀ y⟩ with
    Tᵀ y from transposed_conv2d)."""
    @hyp.settings(max_examples=40, deadline=None, derandomize=True)
    @hyp.given(C=st.integers(1, 3), F=st.integers(1, 3), H=st.integers(3, 8), W=st.integers(3, 8),
               kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 3), sw=st.integers(1, 3),
               pads=st.tuples(*[st.integers(0, 2)] * 4), seed=st.integers(0, 10**6))
    def check(C, F, H, W, kh, kw, sh, sw, pads, seed):
        rng = np.random.default_rng(seed)
        x, w = rng.normal(size=(C, H, W)), rng.normal(size=(F, C, kh, kw))
        T = conv_matrix(w, x.shape, (sh, sw), pads)
        ref = scipy_conv(x, w, (sh, sw), pads)
        np.testing.assert_allclose(T @ x.ravel(), ref.ravel(), atol=1e-10)
        dy = rng.normal(size=ref.shape)
        back = transposed_conv2d(dy, w, x.shape, (sh, sw), pads)
        assert np.isclose(float(ref.ravel() @ dy.ravel()), float(x.ravel() @ back.ravel()))

    check()
