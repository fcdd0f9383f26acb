"""cnnlab.matlab.conv2 against MATLAB's documented outputs and SciPy's full convolution."""
import numpy as np
import pytest
from scipy import signal

from cnnlab.matlab import conv2


def test_matlab_conv_documentation_example_even_kernel():
    # MATLAB's documentation of conv, shape 'same': u = [-1 2 3 -2 0 1 2], v = [2 4 -1 1]
    # gives [15 5 -9 7 6 7 -1]; conv2 on row vectors is the same operation.
    u = np.array([-1, 2, 3, -2, 0, 1, 2])
    v = np.array([2, 4, -1, 1])
    np.testing.assert_array_equal(conv2(u, v, "same"), [[15, 5, -9, 7, 6, 7, -1]])
    np.testing.assert_array_equal(conv2(u, v), [[-2, 0, 15, 5, -9, 7, 6, 7, -1, 2]])
    # SciPy's 'same' keeps one element earlier for this even kernel
    np.testing.assert_array_equal(signal.convolve2d(u[None], v[None], "same"), [[0, 15, 5, -9, 7, 6, 7]])


def test_hand_worked_2x2():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    full = np.array([[1, 3, 2], [4, 10, 6], [3, 7, 4]])  # a * ones(2, 2), worked by hand
    np.testing.assert_array_equal(conv2(a, np.ones((2, 2))), full)
    np.testing.assert_array_equal(conv2(a, np.ones((2, 2)), "same"), full[1:, 1:])  # MATLAB: [10 6; 7 4]
    np.testing.assert_array_equal(signal.convolve2d(a, np.ones((2, 2)), "same"), full[:2, :2])  # SciPy differs
    np.testing.assert_array_equal(conv2(a, np.ones((2, 2)), "valid"), [[10]])


@pytest.mark.parametrize("ks", [(1, 1), (2, 2), (3, 3), (4, 5), (2, 3), (6, 7), (9, 2)])
def test_same_is_central_part_of_full(rng, ks):
    a, b = rng.normal(size=(5, 6)), rng.normal(size=ks)
    full = signal.convolve2d(a, b, "full")
    np.testing.assert_allclose(conv2(a, b, "full"), full, atol=1e-12)
    r0, c0 = ks[0] // 2, ks[1] // 2  # MATLAB: rows floor(mb/2)+1 ... (1-based)
    np.testing.assert_allclose(conv2(a, b, "same"), full[r0:r0 + 5, c0:c0 + 6], atol=1e-12)
    if ks[0] % 2 and ks[1] % 2:  # odd kernels: MATLAB and SciPy agree
        np.testing.assert_allclose(conv2(a, b, "same"), signal.convolve2d(a, b, "same"), atol=1e-12)


@pytest.mark.parametrize("ks", [(2, 2), (3, 3), (4, 5)])
def test_valid_matches_scipy_when_kernel_fits(rng, ks):
    a, b = rng.normal(size=(6, 7)), rng.normal(size=ks)
    np.testing.assert_allclose(conv2(a, b, "valid"), signal.convolve2d(a, b, "valid"), atol=1e-12)


def test_valid_is_empty_when_kernel_is_larger():
    # MATLAB: size max(ma - mb + 1, 0) x max(na - nb + 1, 0); SciPy swaps the inputs instead
    assert conv2(np.ones((2, 2)), np.ones((3, 3)), "valid").shape == (0, 0)
    assert conv2(np.ones((5, 2)), np.ones((3, 3)), "valid").shape == (3, 0)
    assert conv2(np.ones((2, 2)), np.ones((3, 3)), "same").shape == (2, 2)


def test_bad_shape_word():
    with pytest.raises(ValueError, match="shape must be one of"):
        conv2(np.ones((3, 3)), np.ones((2, 2)), "central")
