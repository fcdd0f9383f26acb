"""Layer constructors and methods: clear errors naming the argument; NumPy scalars accepted;
Conv2D 'same' for any stride against PyTorch with TensorFlow's explicit pads."""
import numpy as np
import pytest

from cnnlab import Sequential
from cnnlab.layers import (
    Activation, AveragePooling2D, Conv2D, Dense, Flatten, MaxPooling2D, Subsampling, ZeroPadding2D,
)
from fd import fd_grad


@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: Conv2D(2.0, 3), TypeError, r"filters must be a positive int; got float 2.0"),
    (lambda: Conv2D(0, 3), ValueError, r"filters must be a positive int \(>= 1\); got 0"),
    (lambda: Conv2D(2, (3, 0)), ValueError, r"kernel_size must be positive"),
    (lambda: Conv2D(2, "3"), TypeError, r"kernel_size must be an int or a pair"),
    (lambda: Conv2D(2, 3, strides=0), ValueError, r"strides must be positive"),
    (lambda: Conv2D(2, 3, padding="full"), ValueError, r"padding: unknown padding 'full'"),
    (lambda: Conv2D(2, 3, padding=1), TypeError, r"padding must be 'valid' or 'same'; got int 1"),
    (lambda: Conv2D(2, 3, use_bias="yes"), TypeError, r"use_bias must be True or False; got str 'yes'"),
    (lambda: Conv2D(2, 3, kernel_initializer="glorot"), ValueError, r"kernel_initializer: unknown initializer 'glorot'"),
    (lambda: Conv2D(2, 3, bias_initializer=0), TypeError, r"bias_initializer must be one of"),
    (lambda: Conv2D(2, 3, activation="rellu"), ValueError, r"activation: unknown activation name 'rellu'.*'relu'"),
    (lambda: Conv2D(2, 3, activation=3), TypeError, r"activation must be None, an activation name"),
    (lambda: Conv2D(2, 3, connections=np.ones((3, 3))), ValueError, r"connections must have shape \(C_in, filters=2\); got \(3, 3\)"),
    (lambda: Conv2D(2, 3, connections=[["a", "b"]]), TypeError, r"connections must be a 0/1 array"),
    (lambda: Conv2D(2, 3, data_format="channels_first"), ValueError, r"data_format: only 'channels_last'"),
    (lambda: Dense(2.5), TypeError, r"units must be a positive int; got float 2.5"),
    (lambda: Dense(-1), ValueError, r"units must be a positive int \(>= 1\); got -1"),
    (lambda: Dense(3, use_bias=None), TypeError, r"use_bias must be True or False"),
    (lambda: MaxPooling2D(0), ValueError, r"pool_size must be positive"),
    (lambda: MaxPooling2D(2, strides=(1, 0)), ValueError, r"strides must be positive"),
    (lambda: AveragePooling2D(2, padding="causal"), ValueError, r"padding: unknown padding 'causal'"),
    (lambda: Flatten(data_format="channels_first"), ValueError, r"data_format: only 'channels_last'"),
    (lambda: Subsampling((2, 3)), ValueError, r"pool_size: Subsampling needs a square block"),
    (lambda: Activation("swish"), ValueError, r"activation: unknown activation name 'swish'"),
    (lambda: Dense(3, input_shape=(0, 4)), ValueError, r"input_shape must contain positive ints"),
    (lambda: Dense(3, name=5), TypeError, r"name must be a str or None; got int 5"),
])
def test_constructor_errors_name_the_argument(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


def test_numpy_scalars_are_accepted_like_python_ones():
    a = Conv2D(np.int64(4), np.int32(3), strides=np.int64(2), padding="same",
               use_bias=np.bool_(True), input_shape=(np.int64(7), np.int64(7), np.int64(2)))
    b = Conv2D(4, 3, strides=2, padding="same", use_bias=True, input_shape=(7, 7, 2))
    ma, mb = Sequential([a, MaxPooling2D(np.int64(2))]), Sequential([b, MaxPooling2D(2)])
    assert ma.output_shape == mb.output_shape == (None, 2, 2, 4)
    assert ma.count_params() == mb.count_params() == (3 * 3 * 2 + 1) * 4
    d = Dense(np.int16(5), input_shape=(np.int64(3),))
    assert Sequential([d]).output_shape == (None, 5)
    assert Subsampling(np.int64(2)).pool_size == 2


def test_methods_on_unbuilt_layer_say_so():
    with pytest.raises(ValueError, match=r"count_params: layer 'conv2d' is not built yet"):
        Conv2D(2, 3).count_params()
    with pytest.raises(ValueError, match=r"set_weights: layer .* is not built yet"):
        Dense(2).set_weights([])


def test_set_weights_errors_name_index_and_shapes():
    layer = Sequential([Dense(2, input_shape=(3,))]).layers[0]
    with pytest.raises(TypeError, match=r"weights must be a list of arrays; got ndarray"):
        layer.set_weights(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"expects 2 arrays \(kernel, bias\); got 1"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"weights\[1\] \(bias of layer .*\) must have shape \(2,\); got \(3,\)"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])


@pytest.mark.parametrize("H, k, s", [(6, 3, 2), (7, 3, 2), (8, 4, 3), (5, 2, 2)])
def test_conv2d_layer_same_any_stride_matches_torch(H, k, s):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    layer = Conv2D(3, k, strides=s, padding="same", input_shape=(H, H + 1, 2))
    model = Sequential([layer])
    x = rng.normal(size=(2, H, H + 1, 2))
    # TensorFlow's rule written out by hand: total max((ceil(i/s)-1)*s + k - i, 0), extra after
    pads = []
    for i in (H, H + 1):
        total = max((-(-i // s) - 1) * s + k - i, 0)
        pads.append((total // 2, total - total // 2))
    (pt, pb), (pl, pr) = pads
    xt = torch.nn.functional.pad(torch.from_numpy(x).permute(0, 3, 1, 2), (pl, pr, pt, pb))
    K, b = layer.weights
    ref = torch.nn.functional.conv2d(xt, torch.from_numpy(K).permute(3, 2, 0, 1), torch.from_numpy(b), stride=s)
    np.testing.assert_allclose(model.predict(x), ref.permute(0, 2, 3, 1).numpy(), atol=1e-12)


def test_conv2d_layer_same_stride2_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    layer = Conv2D(2, 3, strides=2, padding="same", activation="tanh", input_shape=(6, 5, 2))
    Sequential([layer])
    x, dy = rng.normal(size=(1, 6, 5, 2)), rng.normal(size=(1, 3, 3, 2))
    layer.forward(x, training=True)
    dx = layer.backward(dy)
    num = fd_grad(lambda: np.sum(dy * layer.forward(x)), x)
    np.testing.assert_allclose(dx, num, rtol=1e-6, atol=1e-8)


def test_zero_padding_errors():
    with pytest.raises(ValueError, match=r"padding must be an int >= 0"):
        ZeroPadding2D(-1)
