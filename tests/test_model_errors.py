"""Bad input: each raises ValueError/TypeError naming the argument, what it got, what it wants."""
import numpy as np
import pytest

from cnnlab import Sequential
from cnnlab.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D


def small():
    return Sequential([Conv2D(2, 3, input_shape=(6, 6, 1)), Flatten(), Dense(3)])


def test_missing_input_shape():
    m = Sequential([Conv2D(2, 3), Dense(3)])
    with pytest.raises(ValueError, match="input_shape"):
        m.count_params()
    with pytest.raises(ValueError, match="input_shape"):
        m.summary()


def test_wrong_input_shape_rank():
    with pytest.raises(ValueError, match=r"input_shape.*\(rows, cols, channels\).*\(32, 32\)"):
        Sequential([Conv2D(2, 3, input_shape=(32, 32))])


def test_wrong_input_shape_values():
    with pytest.raises(ValueError, match="input_shape must contain positive ints"):
        Conv2D(2, 3, input_shape=(32, -1, 3))
    with pytest.raises(TypeError, match="input_shape must be a tuple"):
        Conv2D(2, 3, input_shape="32x32")


def test_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"kernel \(5, 5\).*larger than its input \(4, 4\)"):
        Sequential([Conv2D(2, 5, input_shape=(4, 4, 1))])


def test_set_weights_wrong_count():
    m = small()
    with pytest.raises(ValueError, match="the model has 4 weight arrays; got 3"):
        m.set_weights(m.get_weights()[:3])


def test_set_weights_wrong_shape():
    m = small()
    ws = m.get_weights()
    ws[0] = np.zeros((3, 3, 2, 1))          # channels-first habit: (kh, kw, cout, cin)
    with pytest.raises(ValueError, match=r"weights\[0\] \(kernel of layer 'conv2d'\) must have shape \(3, 3, 1, 2\); got \(3, 3, 2, 1\)"):
        m.set_weights(ws)


def test_predict_wrong_shape():
    m = small()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 6, 6, 1\).*got \(6, 6, 1\)"):
        m.predict(np.zeros((6, 6, 1)))
    with pytest.raises(ValueError, match=r"got \(2, 1, 6, 6\)"):
        m.predict(np.zeros((2, 1, 6, 6)))   # channels first


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"unknown activation name 'rellu'.*'relu'"):
        Conv2D(2, 3, activation="rellu")
    with pytest.raises(ValueError, match="unknown activation"):
        Activation("swishy")
    with pytest.raises(TypeError, match="activation must be None, an activation name"):
        Dense(2, activation=3)


def test_unknown_padding():
    with pytest.raises(ValueError, match=r"unknown padding 'full'; expected 'valid' or 'same'"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="unknown padding"):
        MaxPooling2D(2, padding="samee")


def test_other_bad_arguments():
    with pytest.raises(TypeError, match="filters must be a positive int"):
        Conv2D(2.5, 3)
    with pytest.raises(ValueError, match="units must be a positive int"):
        Dense(0)
    with pytest.raises(TypeError, match="layer must be a cnnlab.layers layer"):
        Sequential().add("conv")
    with pytest.raises(TypeError, match="kernel_size"):
        Conv2D(2, "3x3")
    with pytest.raises(ValueError, match="y must have one entry per sample"):
        small().fit(np.zeros((4, 6, 6, 1)), np.zeros(3), verbose=0)
