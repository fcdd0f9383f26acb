"""Sequential: the seed models pasted with only the import changed, Keras's counts, shapes,
weight layouts, whole-model backward against finite differences, reproducibility."""
import numpy as np
import pytest

from cnnlab import Sequential
from cnnlab.layers import Conv2D, Dense, Flatten, MaxPooling2D
from fd import fd_grad
from seeds import q1_model, q2_model


def test_q1_counts_and_shapes_as_keras():
    m = q1_model()
    assert [l.count_params() for l in m.layers] == [896, 0, 9248, 0, 330]
    assert m.count_params() == 10474
    assert [l.output_shape for l in m.layers] == [
        (None, 30, 30, 32), (None, 15, 15, 32), (None, 13, 13, 32), (None, 6, 6, 32), (None, 6, 6, 10)]
    assert m.output_shape == (None, 6, 6, 10)


def test_q2_counts_and_shapes_as_keras():
    m = q2_model()
    assert [l.count_params() for l in m.layers] == [3000, 150100, 0, 25250, 50200]
    assert m.count_params() == 228550
    assert m.output_shape == (None, 50, 50, 200)


def test_q2_summary_prints_arithmetic(capsys):
    m = q2_model()
    m.summary()  # seed's last line
    out = capsys.readouterr().out
    for s in ["(7·7·1 + 1)·60 = 3000", "(5·5·60 + 1)·100 = 150100", "(100 + 1)·250 = 25250",
              "(250 + 1)·200 = 50200", "Total params: 228,550", "(None, 50, 50, 100)"]:
        assert s in out
    assert "conv2d_1 (Conv2D)" in out and "dense_1 (Dense)" in out   # Keras's default names


def test_q1_summary_arithmetic_column(capsys):
    q1_model().summary()
    out = capsys.readouterr().out
    assert "(3·3·3 + 1)·32 = 896" in out and "(3·3·32 + 1)·32 = 9248" in out
    assert "(32 + 1)·10 = 330" in out and "Total params: 10,474" in out


def test_list_and_add_build_the_same_model():
    a = Sequential([Conv2D(4, 3, input_shape=(8, 8, 2)), MaxPooling2D(), Flatten(), Dense(3)], seed=5)
    b = Sequential(seed=5)
    for layer in [Conv2D(4, 3, input_shape=(8, 8, 2)), MaxPooling2D(), Flatten(), Dense(3)]:
        b.add(layer)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    x = np.random.default_rng(0).standard_normal((3, 8, 8, 2))
    np.testing.assert_array_equal(a.predict(x), b.predict(x))


def test_weights_keras_order_and_layouts():
    m = q1_model()
    shapes = [w.shape for w in m.get_weights()]
    assert shapes == [(3, 3, 3, 32), (32,), (3, 3, 32, 32), (32,), (32, 10), (10,)]
    # biases start at zero and kernels are glorot-uniform within their limit, as Keras
    ws = m.get_weights()
    assert not ws[1].any()
    assert np.abs(ws[0]).max() <= np.sqrt(6 / (27 + 288))


def test_kernel_layout_is_kh_kw_cin_cout():
    # a kernel that picks input channel 1 at the top-left tap, into output map 0 only
    m = Sequential([Conv2D(2, (2, 2), use_bias=False, input_shape=(3, 3, 2))])
    K = np.zeros((2, 2, 2, 2))
    K[0, 0, 1, 0] = 1.0
    m.set_weights([K])
    x = np.random.default_rng(1).standard_normal((1, 3, 3, 2))
    y = m.predict(x)
    np.testing.assert_allclose(y[0, :, :, 0], x[0, :2, :2, 1])
    np.testing.assert_allclose(y[0, :, :, 1], 0)


def test_set_weights_round_trip_and_copy():
    m = q1_model()
    ws = [np.full(w.shape, 0.01 * (i + 1)) for i, w in enumerate(m.get_weights())]
    m.set_weights(ws)
    for a, b in zip(ws, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    m.get_weights()[0][...] = 99.0          # get_weights returns copies
    assert m.get_weights()[0].max() == pytest.approx(0.01)


def test_predict_softmax_rows_sum_to_one_on_last_axis():
    m = q1_model()
    x = np.random.default_rng(0).standard_normal((2, 32, 32, 3))
    y = m.predict(x)
    assert y.shape == (2, 6, 6, 10)
    np.testing.assert_allclose(y.sum(-1), 1.0)


def test_same_seed_same_model_other_seed_other_model():
    w1 = Sequential([Dense(4, input_shape=(3,))], seed=1).get_weights()[0]
    w1b = Sequential([Dense(4, input_shape=(3,))], seed=1).get_weights()[0]
    w2 = Sequential([Dense(4, input_shape=(3,))], seed=2).get_weights()[0]
    np.testing.assert_array_equal(w1, w1b)
    assert not np.allclose(w1, w2)


def test_deferred_build_on_first_predict():
    m = Sequential([Conv2D(2, 3), Flatten(), Dense(2)])
    y = m.predict(np.zeros((1, 5, 5, 1)))
    assert y.shape == (1, 2) and m.count_params() == (9 + 1) * 2 + (18 + 1) * 2


def test_whole_model_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    m = Sequential([
        Conv2D(3, 3, padding="same", activation="tanh", input_shape=(6, 6, 2)),
        MaxPooling2D(2),
        Conv2D(2, 2, strides=2, activation="relu"),
        Flatten(),
        Dense(4, activation="softmax"),
    ], seed=3)
    m.set_weights([w + 0.1 * rng.standard_normal(w.shape) for w in m.get_weights()])
    x = rng.standard_normal((2, 6, 6, 2))
    G = rng.standard_normal((2, 4))
    m.forward(x, training=True)
    dx = m.backward(G)
    grads = [g.copy() for g in m.gradients]
    f = lambda: float(np.sum(G * m.forward(x)))  # noqa: E731

    np.testing.assert_allclose(dx, fd_grad(f, x), atol=1e-7)
    for w, g in zip([w for l in m.layers for w in l.weights], grads):
        np.testing.assert_allclose(g, fd_grad(f, w), atol=1e-7)
