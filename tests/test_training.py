"""Losses, SGD with momentum, fit/evaluate: hand-worked values, finite differences,
reproducibility."""
import numpy as np
import pytest

from cnnlab import Sequential
from cnnlab.layers import Conv2D, Dense, Flatten
from cnnlab.losses import CategoricalCrossentropy, MeanSquaredError, get_loss
from cnnlab.optim import SGD, Adam


def test_cross_entropy_hand_worked():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    ce = CategoricalCrossentropy()
    want = -(np.log(0.7) + np.log(0.8)) / 2
    assert ce(p, np.array([0, 2])) == pytest.approx(want)
    assert ce(p, np.array([[1, 0, 0], [0, 0, 1]])) == pytest.approx(want)   # one-hot too
    assert get_loss("sparse_categorical_crossentropy")(p, [0, 2]) == pytest.approx(want)


def test_mse_hand_worked():
    p = np.array([[1.0, 2.0], [0.0, 0.0]])
    t = np.array([[0.0, 0.0], [0.0, 1.0]])
    assert MeanSquaredError()(p, t) == pytest.approx((1 + 4 + 0 + 1) / 4)
    g = MeanSquaredError().gradient(p, t)
    np.testing.assert_allclose(g, 2 * (p - t) / 4)


def test_fused_softmax_cross_entropy_gradient_is_finite_difference():
    rng = np.random.default_rng(0)
    u = rng.standard_normal((3, 4))
    y = np.array([1, 3, 0])
    ce = CategoricalCrossentropy()

    def E(u):
        e = np.exp(u - u.max(1, keepdims=True))
        return ce(e / e.sum(1, keepdims=True), y)

    e = np.exp(u - u.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    num = np.zeros_like(u)
    for idx in np.ndindex(u.shape):
        d = np.zeros_like(u)
        d[idx] = 1e-6
        num[idx] = (E(u + d) - E(u - d)) / 2e-6
    np.testing.assert_allclose(ce.logit_gradient(p, y), num, atol=1e-8)


def test_sgd_momentum_two_steps_by_hand():
    w = np.array([1.0])
    opt = SGD(learning_rate=0.1, momentum=0.9)
    opt.step([w], [np.array([2.0])])     # v = -0.2, w = 0.8
    assert w[0] == pytest.approx(0.8)
    opt.step([w], [np.array([1.0])])     # v = 0.9*(-0.2) - 0.1 = -0.28, w = 0.52
    assert w[0] == pytest.approx(0.52)
    plain = np.array([1.0])
    SGD(0.5).step([plain], [np.array([1.0])])
    assert plain[0] == pytest.approx(0.5)


def test_adam_first_step_moves_by_learning_rate():
    w = np.array([1.0, -1.0])
    Adam(0.01).step([w], [np.array([3.0, -0.5])])
    np.testing.assert_allclose(w, [0.99, -0.99], atol=1e-6)


def _toy(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4, 4, 1))
    y = (x[:, :2].sum(axis=(1, 2, 3)) > x[:, 2:].sum(axis=(1, 2, 3))).astype(int)
    return x, y


def _net(seed=0):
    return Sequential([Conv2D(3, 2, activation="tanh", input_shape=(4, 4, 1)), Flatten(),
                       Dense(2, activation="softmax")], seed=seed)


def test_fit_learns_and_history():
    x, y = _toy()
    m = _net()
    m.compile(loss="sparse_categorical_crossentropy", optimizer=SGD(0.1, momentum=0.9),
              metrics=["accuracy"])
    h = m.fit(x, y, epochs=15, batch_size=8, validation_data=(x, y), seed=0, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h.history["loss"]) == 15
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    loss, acc = m.evaluate(x, y)
    assert acc >= 0.9 and loss == pytest.approx(h.history["val_loss"][-1])


def test_fit_is_reproducible_and_seed_matters():
    x, y = _toy()
    ws = []
    for seed in (0, 0, 1):
        m = _net()
        m.compile(optimizer=SGD(0.05, momentum=0.9))
        m.fit(x, y, epochs=2, batch_size=8, seed=seed, verbose=0)
        ws.append(m.get_weights()[0])
    np.testing.assert_array_equal(ws[0], ws[1])
    assert not np.array_equal(ws[0], ws[2])


def test_fit_without_compile_uses_defaults_and_mse_for_regression():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3))
    t = x @ np.array([[1.0], [-2.0], [0.5]])
    m = Sequential([Dense(1, input_shape=(3,))])
    h = m.fit(x, t, epochs=30, batch_size=8, seed=0, verbose=0)
    assert m.loss.name == "mean_squared_error"
    assert h.history["loss"][-1] < 1e-3
    np.testing.assert_allclose(m.get_weights()[0][:, 0], [1, -2, 0.5], atol=0.05)


def test_verbose_progress_bar(capsys):
    x, y = _toy(16)
    m = _net()
    m.fit(x, y, epochs=1, batch_size=8, seed=0, verbose=0)
    assert capsys.readouterr().err == ""
    m.fit(x, y, epochs=1, batch_size=8, seed=0, verbose=1)
    assert "2/2" in capsys.readouterr().err            # tqdm's bar: 2 of 2 batches


def test_sgd_weight_decay_adds_l2_gradient():
    w = np.array([2.0])
    SGD(0.1, weight_decay=0.5).step([w], [np.array([1.0])])   # g + 0.5 w = 2 -> w = 2 - 0.2
    assert w[0] == pytest.approx(1.8)
