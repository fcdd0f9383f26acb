"""Layers one by one against independent references: SciPy correlation, hand-worked numbers,
finite differences (float64)."""
import numpy as np
import pytest
from scipy import signal

from cnnlab import Sequential
from cnnlab.layers import (Activation, AveragePooling2D, Conv2D, Dense, Flatten, MaxPooling2D,
                           Subsampling)
from fd import fd_grad


def conv_reference(x, K, b, stride, pad_top, pad_left, Ho, Wo):
    """Keras Conv2D from scipy.signal.correlate2d in 'full' mode, sliced: an output (i, j) is
    sum_{a,b,c} K[a,b,c,f] x[s i + a - pt, s j + b - pl, c] with zeros outside."""
    N, H, W, C = x.shape
    kh, kw, _, F = K.shape
    y = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for f in range(F):
            acc = sum(signal.correlate2d(x[n, :, :, c], K[:, :, c, f], mode="full") for c in range(C))
            # full[m, q] = sum_a x[m - (kh - 1) + a] k[a]  ->  m = s i - pt + kh - 1
            rows = stride * np.arange(Ho) - pad_top + kh - 1
            cols = stride * np.arange(Wo) - pad_left + kw - 1
            y[n, :, :, f] = acc[np.ix_(rows, cols)] + b[f]
    return y


@pytest.mark.parametrize("H,W,k,s,padding,Ho,Wo,pt,pl", [
    (7, 6, 3, 1, "valid", 5, 4, 0, 0),
    (7, 6, 3, 2, "valid", 3, 2, 0, 0),
    (6, 6, 3, 1, "same", 6, 6, 1, 1),
    (6, 5, 2, 1, "same", 6, 5, 0, 0),      # even kernel: the extra zero goes bottom/right
    (7, 7, 4, 2, "same", 4, 4, 1, 1),      # total pad (4-1)*2+4-7 = 3 -> 1 top, 2 bottom
    (5, 8, 3, 3, "same", 2, 3, 0, 0),      # total 2 rows: (2-1)*3+3-5 = 1 -> 0 top, 1 bottom
])
def test_conv2d_matches_scipy_keras_padding(H, W, k, s, padding, Ho, Wo, pt, pl):
    rng = np.random.default_rng(0)
    m = Sequential([Conv2D(3, (k, k), strides=s, padding=padding, input_shape=(H, W, 2))])
    K = rng.standard_normal((k, k, 2, 3))
    b = rng.standard_normal(3)
    m.set_weights([K, b])
    x = rng.standard_normal((2, H, W, 2))
    assert m.output_shape == (None, Ho, Wo, 3)
    np.testing.assert_allclose(m.predict(x), conv_reference(x, K, b, s, pt, pl, Ho, Wo), atol=1e-12)


def test_maxpool_valid_drops_leftover_and_same_keeps_border():
    x = np.arange(25, dtype=float).reshape(1, 5, 5, 1)
    valid = Sequential([MaxPooling2D((2, 2), input_shape=(5, 5, 1))])
    assert valid.output_shape == (None, 2, 2, 1)
    np.testing.assert_array_equal(valid.predict(x)[0, :, :, 0], [[6, 8], [16, 18]])
    same = Sequential([MaxPooling2D((2, 2), padding="same", input_shape=(5, 5, 1))])
    assert same.output_shape == (None, 3, 3, 1)
    np.testing.assert_array_equal(same.predict(-x)[0, :, :, 0], [[0, -2, -4], [-10, -12, -14], [-20, -22, -24]])


def test_pool_output_shapes_like_keras():
    # q1: 13 -> 6 (floor), 'same' 13 -> 7 (ceil); stride 1 window 3 on 5 -> 3
    assert Sequential([MaxPooling2D(2, input_shape=(13, 13, 4))]).output_shape == (None, 6, 6, 4)
    assert Sequential([MaxPooling2D(2, padding="same", input_shape=(13, 13, 4))]).output_shape == (None, 7, 7, 4)
    assert Sequential([AveragePooling2D(3, strides=1, input_shape=(5, 6, 1))]).output_shape == (None, 3, 4, 1)


def test_average_pool_same_averages_only_real_entries():
    x = np.arange(9, dtype=float).reshape(1, 3, 3, 1)
    m = Sequential([AveragePooling2D(2, padding="same", input_shape=(3, 3, 1))])
    # windows: rows {0,1},{2}; cols {0,1},{2} (extra padding bottom/right)
    want = [[(0 + 1 + 3 + 4) / 4, (2 + 5) / 2], [(6 + 7) / 2, 8]]
    np.testing.assert_allclose(m.predict(x)[0, :, :, 0], want)


def test_dense_on_4d_acts_on_last_axis():
    m = Sequential([Dense(2, input_shape=(2, 3, 3))])
    assert m.output_shape == (None, 2, 3, 2)
    W = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, -1.0]])
    m.set_weights([W, np.array([0.5, -0.5])])
    x = np.zeros((1, 2, 3, 3))
    x[0, 1, 2] = [1.0, 2.0, 3.0]
    y = m.predict(x)
    np.testing.assert_allclose(y[0, 1, 2], [1 + 3 + 0.5, 4 - 3 - 0.5])
    np.testing.assert_allclose(y[0, 0, 0], [0.5, -0.5])


def test_flatten_is_channels_last_c_order():
    m = Sequential([Flatten(input_shape=(2, 3, 4))])
    x = np.zeros((1, 2, 3, 4))
    x[0, 1, 2, 3] = 7.0
    y = m.predict(x)
    assert y.shape == (1, 24)
    assert y[0, (1 * 3 + 2) * 4 + 3] == 7.0


def test_subsampling_hand_worked():
    x = np.arange(16, dtype=float).reshape(1, 4, 4, 1)
    m = Sequential([Subsampling(2, input_shape=(4, 4, 1))])
    m.set_weights([np.array([2.0]), np.array([1.0])])
    # block sums: [[0+1+4+5, 2+3+6+7], [8+9+12+13, 10+11+14+15]] = [[10, 18], [42, 50]]
    np.testing.assert_allclose(m.predict(x)[0, :, :, 0], [[21, 37], [85, 101]])
    assert m.count_params() == 2


def test_activations_by_name():
    x = np.array([[[[-1.0, 0.5, 2.0]]]])
    relu = Sequential([Activation("relu", input_shape=(1, 1, 3))]).predict(x)
    np.testing.assert_array_equal(relu[0, 0, 0], [0, 0.5, 2.0])
    sm = Sequential([Activation("softmax", input_shape=(1, 1, 3))]).predict(x)[0, 0, 0]
    np.testing.assert_allclose(sm, np.exp([-1, 0.5, 2]) / np.exp([-1, 0.5, 2]).sum())
    lt = Sequential([Activation("lecun_tanh", input_shape=(1, 1, 3))]).predict(x)[0, 0, 0]
    np.testing.assert_allclose(lt, 1.7159 * np.tanh(2 / 3 * np.array([-1, 0.5, 2])))
    tr = Sequential([Activation("thresholded_relu", input_shape=(1, 1, 3))]).predict(x)[0, 0, 0]
    np.testing.assert_array_equal(tr, [0, 0, 2.0])


def test_connection_table_zeroes_cut_pairs():
    table = np.array([[1, 0], [0, 1]])
    m = Sequential([Conv2D(2, 1, connections=table, use_bias=False, input_shape=(1, 1, 2))])
    assert m.count_params() == 2
    m.set_weights([np.ones((1, 1, 2, 2))])          # the cut entries are forced to zero
    np.testing.assert_array_equal(m.get_weights()[0][0, 0], [[1, 0], [0, 1]])
    np.testing.assert_allclose(m.predict(np.array([[[[3.0, 5.0]]]]))[0, 0, 0], [3.0, 5.0])


@pytest.mark.parametrize("layer,shape", [
    (Conv2D(3, (3, 2), strides=(2, 1), padding="same", activation="tanh"), (7, 6, 2)),
    (Conv2D(2, 3, activation="sigmoid", connections=[[1, 0], [1, 1]]), (5, 5, 2)),
    (MaxPooling2D(2, padding="same"), (5, 5, 2)),
    (MaxPooling2D(3, strides=1), (5, 4, 2)),
    (AveragePooling2D(2, padding="same"), (5, 3, 2)),
    (Dense(3, activation="softmax"), (2, 2, 4)),
    (Subsampling(2, activation="lecun_tanh"), (4, 6, 3)),
    (Flatten(), (2, 3, 2)),
    (Activation("relu"), (3, 3, 2)),
])
def test_layer_backward_matches_finite_differences(layer, shape):
    rng = np.random.default_rng(3)
    m = Sequential([layer], seed=1)
    m.build(shape)
    if layer.weights:  # non-trivial bias/coefficients
        m.set_weights([w + rng.standard_normal(w.shape) * 0.3 for w in m.get_weights()])
    x = rng.standard_normal((2,) + shape)
    G = rng.standard_normal((2,) + m.output_shape[1:])
    m.forward(x, training=True)
    dx = m.backward(G)
    f = lambda: float(np.sum(G * m.forward(x)))  # noqa: E731
    np.testing.assert_allclose(dx, fd_grad(f, x), atol=1e-7)
    for w, g, mask in zip(layer.weights, layer.grads, layer.trainable_masks):
        num = fd_grad(f, w)
        if mask is not None:
            num = num * mask
        np.testing.assert_allclose(g, num, atol=1e-7)
