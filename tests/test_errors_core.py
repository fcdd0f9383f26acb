"""Bad input to the numerical core: one test per case, each checking the message names the
argument, what it got and what it expected."""
import numpy as np
import pytest

from cnnlab.activations import relu, softmax
from cnnlab.conv import col2im, conv2d, conv2d_backward, conv_output_size, convolve2d, correlate2d, im2col
from cnnlab.matlab import conv2
from cnnlab.naive import conv2d_naive
from cnnlab.pool import avgpool2d, avgpool2d_backward, maxpool2d, maxpool2d_backward
from cnnlab.sampling import down, subsample, subsample_backward, up

X = np.zeros((2, 3, 8, 8))
W = np.zeros((4, 3, 3, 3))


def test_channel_mismatch():
    with pytest.raises(ValueError, match=r"channel mismatch: x has C=3 .*\(2, 3, 8, 8\).* w expects C=2 .*\(4, 2, 3, 3\)"):
        conv2d(X, np.zeros((4, 2, 3, 3)))


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel larger than the padded input: .*\(9, 9\).*\(8, 8\)"):
        conv2d(X, np.zeros((4, 3, 9, 9)))
    # padding makes it fit
    assert conv2d(X, np.zeros((4, 3, 9, 9)), padding=1).shape == (2, 4, 2, 2)
    with pytest.raises(ValueError, match="kernel larger than the padded input"):
        conv_output_size(4, 7, p=1)


@pytest.mark.parametrize("stride", [0, -1, (1, 0)])
def test_stride_not_positive(stride):
    with pytest.raises(ValueError, match=r"stride must be positive \(>= 1\); got"):
        conv2d(X, W, stride=stride)
    with pytest.raises(ValueError, match="stride must be positive"):
        maxpool2d(X, 2, stride=stride)


def test_stride_wrong_type():
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints .* got 1.5"):
        conv2d(X, W, stride=1.5)


def test_negative_padding():
    with pytest.raises(ValueError, match=r"padding must be non-negative \(>= 0\); got -1"):
        conv2d(X, W, padding=-1)
    with pytest.raises(ValueError, match="padding must be non-negative"):
        conv2d(X, W, padding=(1, -2))


def test_unknown_padding_word():
    with pytest.raises(ValueError, match=r"padding must be an int, a pair \(ph, pw\) or one of 'valid', 'same', 'full'; got 'causal'"):
        conv2d(X, W, padding="causal")


def test_unknown_mode_word():
    with pytest.raises(ValueError, match=r"mode must be one of \('valid', 'same', 'full'\); got 'circular'"):
        correlate2d(np.ones((3, 3)), np.ones((2, 2)), mode="circular")
    with pytest.raises(ValueError, match="mode must be one of"):
        convolve2d(np.ones((3, 3)), np.ones((2, 2)), mode="Valid ")


def test_same_with_stride_greater_than_one():
    # TensorFlow/Keras 'same' for any stride: output ceil(H / s) (GUIDE; shapes.same_padding)
    H, Wd = X.shape[-2:]
    y = conv2d(X, W, stride=2, padding="same")
    assert y.shape[-2:] == (-(-H // 2), -(-Wd // 2))


def test_valid_mode_mixed_sizes_like_scipy():
    with pytest.raises(ValueError, match=r"x shape \(3, 5\) and k shape \(4, 2\)"):
        correlate2d(np.ones((3, 5)), np.ones((4, 2)))


@pytest.mark.parametrize("bad", [np.zeros((8, 8)), np.zeros((1, 2, 3, 8, 8))])
def test_x_wrong_ndim(bad):
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, C, H, W\) or 3-D \(C, H, W\); got a \d-D array of shape"):
        conv2d(bad, W)


def test_w_wrong_ndim():
    with pytest.raises(ValueError, match=r"w must be 4-D \(F, C, kh, kw\); got a 3-D array of shape \(3, 3, 3\)"):
        conv2d(X, np.zeros((3, 3, 3)))


def test_2d_functions_wrong_ndim():
    with pytest.raises(ValueError, match=r"x must be 2-D; got a 3-D array of shape \(1, 3, 3\)"):
        correlate2d(np.ones((1, 3, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="x must have at least 2 dimensions"):
        maxpool2d(np.ones(4))
    with pytest.raises(ValueError, match=r"x must be 3-D \(C, H, W\) or 4-D"):
        subsample(np.ones((4, 4)), np.ones(1), np.ones(1), 2)


def test_bias_wrong_shape():
    with pytest.raises(ValueError, match=r"b must have shape \(4,\) \(one bias per filter.*got shape \(3,\)"):
        conv2d(X, W, b=np.zeros(3))


def test_conv2d_backward_dy_wrong_shape():
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 4, 6, 6\) \(the shape of conv2d's output for x of shape \(2, 3, 8, 8\), w of shape \(4, 3, 3, 3\), stride 1 and padding 0\); got shape \(2, 4, 8, 8\)"):
        conv2d_backward(np.zeros((2, 4, 8, 8)), X, W)


def test_maxpool_backward_dy_wrong_shape():
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3, 4, 4\) \(the shape of maxpool2d's output for x of shape \(2, 3, 8, 8\), size \(kh, kw\) = \(2, 2\), stride \(2, 2\)\); got shape \(2, 3, 3, 3\)"):
        maxpool2d_backward(np.zeros((2, 3, 3, 3)), X, 2)


def test_avgpool_backward_dy_wrong_shape():
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3, 4, 4\) \(the shape of avgpool2d's output for x of shape \(2, 3, 8, 8\), size"):
        avgpool2d_backward(np.zeros((2, 3, 8, 8)), X, 2)


def test_subsample_backward_dy_wrong_shape():
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3, 4, 4\) \(the shape of subsample's output for x of shape \(2, 3, 8, 8\) and n = 2\); got shape \(2, 3, 8, 8\)"):
        subsample_backward(np.zeros((2, 3, 8, 8)), X, np.ones(3), 2)


def test_pool_window_larger_than_input():
    with pytest.raises(ValueError, match=r"pool window size \(kh, kw\) = \(9, 9\) is larger than .* \(8, 8\)"):
        avgpool2d(X, 9)


def test_down_cannot_divide():
    with pytest.raises(ValueError, match=r"block size n = \(3, 3\) to divide .* x shape \(2, 3, 8, 8\)"):
        down(X, 3)


def test_subsample_cannot_divide():
    with pytest.raises(ValueError, match=r"block size n = \(3, 3\) to divide"):
        subsample(X, np.ones(3), np.zeros(3), 3)


def test_subsample_beta_wrong_shape():
    with pytest.raises(ValueError, match=r"beta must have shape \(3,\) \(one value per channel of x\); got shape \(2,\)"):
        subsample(X, np.ones(2), np.zeros(3), 2)
    with pytest.raises(ValueError, match=r"beta must have shape \(3,\), one value per channel; got a scalar"):
        subsample(X, 1.0, np.zeros(3), 2)


def test_up_bad_factor():
    with pytest.raises(ValueError, match=r"n must be positive \(>= 1\); got 0"):
        up(X, 0)


@pytest.mark.parametrize("call", [
    lambda bad: conv2d(bad, W),
    lambda bad: correlate2d(bad, np.ones((2, 2))),
    lambda bad: maxpool2d(bad),
    lambda bad: down(bad, 1),
    lambda bad: relu(bad),
    lambda bad: conv2(bad, np.ones((2, 2))),
])
@pytest.mark.parametrize("bad", [np.array([["a", "b"], ["c", "d"]]), np.zeros((2, 2), dtype=object), np.ones((2, 2), complex)])
def test_non_numeric_arrays(call, bad):
    with pytest.raises(TypeError, match=r"must be a numeric \(real\) array; got dtype"):
        call(bad)


def test_non_numeric_weights_named():
    with pytest.raises(TypeError, match=r"^w must be a numeric"):
        conv2d(X, W.astype(str))


def test_conv_output_size_bad_arguments():
    with pytest.raises(ValueError, match=r"s must be >= 1; got 0"):
        conv_output_size(5, 3, s=0)
    with pytest.raises(ValueError, match=r"p must be >= 0; got -1"):
        conv_output_size(5, 3, p=-1)
    with pytest.raises(TypeError, match=r"k must be an int; got 2.5"):
        conv_output_size(5, 2.5)


def test_im2col_col2im_bad_shapes():
    with pytest.raises(ValueError, match=r"cols must have shape \(27, 72\)"):
        col2im(np.zeros((27, 70)), X.shape, 3)
    with pytest.raises(ValueError, match="x_shape must be"):
        col2im(np.zeros((27, 72)), (8, 8), 3)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        im2col(X, 0)


def test_naive_validates_too():
    with pytest.raises(ValueError, match="channel mismatch"):
        conv2d_naive(X, np.zeros((4, 2, 3, 3)))


def test_softmax_bad_axis():
    with pytest.raises(ValueError, match="axis 2 is out of range for x with 2 dimensions"):
        softmax(np.ones((2, 3)), axis=2)


def test_matlab_conv2_bad_arguments():
    with pytest.raises(TypeError, match="shape must be one of"):
        conv2(np.ones((2, 2)), np.ones((2, 2)), 1)
    with pytest.raises(ValueError, match=r"a must be 1-D or 2-D; got a 3-D array"):
        conv2(np.ones((2, 2, 2)), np.ones((2, 2)))


def test_naive_backward_dy_wrong_shape():
    from cnnlab.naive import conv2d_backward_naive, maxpool2d_backward_naive

    with pytest.raises(ValueError, match=r"dy must have shape \(2, 4, 6, 6\) \(the output shape for x of shape \(2, 3, 8, 8\), w of shape \(4, 3, 3, 3\), stride \(1, 1\) and padding 0\); got shape \(2, 4, 5, 5\)"):
        conv2d_backward_naive(np.zeros((2, 4, 5, 5)), X, W)
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3, 4, 4\) \(the output shape for x of shape \(2, 3, 8, 8\), size \(2, 2\), stride \(2, 2\)\); got shape \(2, 3, 8, 8\)"):
        maxpool2d_backward_naive(np.zeros((2, 3, 8, 8)), X, 2)


def test_activation_backward_dy_wrong_shape():
    from cnnlab.activations import get_activation, softmax_backward

    with pytest.raises(ValueError, match=r"dy must have the shape of x \(2, 3\); got \(3, 2\)"):
        get_activation("tanh").backward(np.ones((3, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dy must have the shape of x \(2, 3\); got \(2,\)"):
        softmax_backward(np.ones(2), np.ones((2, 3)))
