"""cnnlab.activations: values, derivatives against finite differences, softmax stability."""
import numpy as np
import pytest

from cnnlab.activations import (
    ACTIVATIONS, Activation, get_activation, lecun_tanh, relu, relu_grad, sigmoid, softmax,
    softmax_backward, tanh,
)
from cnnlab.gradcheck import numerical_gradient_array, rel_error

ELEMENTWISE = ["linear", "relu", "sigmoid", "tanh", "lecun_tanh"]


def test_known_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu(x), [0, 0, 3])
    np.testing.assert_array_equal(relu_grad(x), [0, 0, 1])  # 0 at the kink, as the q3 seed says
    np.testing.assert_allclose(sigmoid(np.array([0.0, np.log(3.0)])), [0.5, 0.75])
    np.testing.assert_allclose(tanh(np.array([0.5])), np.tanh([0.5]))
    # LeCun's constants make f(±1) = ±1 (to the 4 decimals LeCun gives)
    np.testing.assert_allclose(lecun_tanh(np.array([-1.0, 1.0])), [-1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(lecun_tanh(np.array([0.75])), 1.7159 * np.tanh(0.5))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_finite_differences(rng, name):
    act = get_activation(name)
    # |x| <= 3 keeps the saturating derivatives well above round-off; none lands on ReLU's kink
    x = rng.uniform(-3, 3, size=(3, 4))
    x[np.abs(x) < 1e-3] = 0.5
    dy = rng.normal(size=x.shape)
    num = numerical_gradient_array(act.f, x, dy)
    assert rel_error(act.backward(dy, x), num) < 1e-7
    assert rel_error(dy * act.df(x), num) < 1e-7


def test_sigmoid_and_softmax_do_not_overflow():
    with np.errstate(over="raise"):
        s = sigmoid(np.array([-1000.0, 1000.0]))
        p = softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(s, [0.0, 1.0])
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0]])


def test_softmax_axis_and_shift_invariance(rng):
    x = rng.normal(size=(4, 5))
    p0 = softmax(x, axis=0)
    np.testing.assert_allclose(p0.sum(axis=0), 1.0)
    np.testing.assert_allclose(softmax(x + 100.0), softmax(x))
    ref = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(x), ref)


def test_softmax_backward_matches_finite_differences(rng):
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    num = numerical_gradient_array(softmax, x, dy)
    assert rel_error(softmax_backward(dy, x), num) < 1e-7
    assert rel_error(get_activation("softmax").backward(dy, x), num) < 1e-7
    # the Jacobian diag(s) − s sᵀ, written out for one row
    s = softmax(x[0])
    np.testing.assert_allclose(softmax_backward(dy[0], x[0]), (np.diag(s) - np.outer(s, s)) @ dy[0])


def test_float32_is_kept(rng):
    x = rng.normal(size=5).astype(np.float32)
    for name in ELEMENTWISE:
        act = get_activation(name)
        assert act.f(x).dtype == np.float32, name
        assert act.df(x).dtype == np.float32, name
    assert softmax(x).dtype == np.float32


def test_get_activation_names():
    assert get_activation(None).name == "linear"
    assert get_activation("ReLU") is ACTIVATIONS["relu"]
    custom = Activation("square", np.square, lambda x: 2 * x)
    assert get_activation(custom) is custom
    assert get_activation("lecun_tanh")(np.array([1.0]))[0] == pytest.approx(1.7159 * np.tanh(2 / 3))
    with pytest.raises(ValueError, match="known activations: .*lecun_tanh.*relu.*sigmoid"):
        get_activation("swish")
    with pytest.raises(TypeError, match="activation name must be a str"):
        get_activation(3)


# ---------------------------------------------------------------- the one registry, one convention
@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax", "thresholded_relu", "trelu:0.25"])
def test_backward_with_output_equals_backward_without(rng, name):
    act = get_activation(name)
    x = rng.uniform(-3, 3, size=(2, 5))
    x[np.abs(x - 1.0) < 1e-3] = 0.5       # off thresholded_relu's kink
    x[np.abs(x - 0.25) < 1e-3] = 0.5      # off trelu's kink
    dy = rng.normal(size=x.shape)
    num = numerical_gradient_array(act.f, x, dy)
    assert rel_error(act.backward(dy, x), num) < 1e-7
    assert rel_error(act.backward(dy, x, act(x)), num) < 1e-7


def test_threshold_activations_hand_worked():
    from cnnlab.activations import thresholded_relu, trelu, trelu_grad

    x = np.array([-1.0, 0.5, 1.0, 2.0])
    np.testing.assert_array_equal(thresholded_relu(x), [0, 0, 0, 2])       # Keras: x > theta
    np.testing.assert_array_equal(thresholded_relu(x, theta=0.0), [0, 0.5, 1, 2])
    np.testing.assert_allclose(trelu(x, 0.5), [0, 0, 1, 3])                 # (x - 0.5)/0.5
    np.testing.assert_allclose(trelu_grad(x, 0.5), [0, 2, 2, 2])
    np.testing.assert_array_equal(trelu(x, 0.0), relu(x))                   # phi = 0 is ReLU
    with pytest.raises(ValueError, match=r"phi must lie in \[0.0, 1.0\); got 1.0"):
        trelu(x, 1.0)
    with pytest.raises(TypeError, match=r"theta must be a real number; got 'a'"):
        thresholded_relu(x, "a")
    with pytest.raises(ValueError, match=r"'trelu:' must be followed by a number"):
        get_activation("trelu:high")


def test_layers_use_the_registry():
    from cnnlab import layers

    assert layers.ACTIVATIONS is ACTIVATIONS
    assert layers.Dense(2, activation="tanh").act is ACTIVATIONS["tanh"]
    assert layers.Activation("relu").act is ACTIVATIONS["relu"]
    assert ACTIVATIONS["relu"].latex("u") == r"\operatorname{ReLU}\!\left(u\right)"
