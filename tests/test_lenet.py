"""LeNet-5: the paper's counts and connection table, and whole-model gradients of a small
LeNet variant against finite differences."""
import numpy as np
import pytest
from fd import fd_grad

from cnnlab.losses import CategoricalCrossentropy
from cnnlab.models import C3_TABLE, lenet5, small_lenet
from cnnlab.optim import SGD
from cnnlab.training import train_step

# Table I of LeCun et al. 1998, as written in the issue: S2 maps feeding each C3 map
TABLE_I = {0: {0, 1, 2}, 1: {1, 2, 3}, 2: {2, 3, 4}, 3: {3, 4, 5}, 4: {0, 4, 5}, 5: {0, 1, 5},
           6: {0, 1, 2, 3}, 7: {1, 2, 3, 4}, 8: {2, 3, 4, 5}, 9: {0, 3, 4, 5}, 10: {0, 1, 4, 5},
           11: {0, 1, 2, 5}, 12: {0, 1, 3, 4}, 13: {1, 2, 4, 5}, 14: {0, 2, 3, 5},
           15: {0, 1, 2, 3, 4, 5}}


def test_connection_table_is_table_one():
    assert C3_TABLE.shape == (6, 16)
    for f, maps in TABLE_I.items():
        assert set(np.flatnonzero(C3_TABLE[:, f])) == maps
    assert C3_TABLE.sum() == 60


def test_lenet5_trainable_counts_per_layer():
    m = lenet5()
    named = {l.name: l.count_params() for l in m.layers}
    assert [named[k] for k in ("C1", "S2", "C3", "S4", "C5", "F6")] == [156, 12, 1516, 32, 48120, 10164]
    assert sum(named[k] for k in ("C1", "S2", "C3", "S4", "C5", "F6")) == 60000
    # our documented output layer: dense 84 -> 10 with softmax (the paper's RBF units are fixed)
    assert named["output"] == 850 and m.count_params() == 60850


def test_lenet5_shapes():
    m = lenet5()
    assert [l.output_shape for l in m.layers] == [
        (None, 28, 28, 6), (None, 14, 14, 6), (None, 10, 10, 16), (None, 5, 5, 16),
        (None, 1, 1, 120), (None, 120), (None, 84), (None, 10)]
    p = m.predict(np.random.default_rng(0).standard_normal((2, 32, 32, 1)))
    assert p.shape == (2, 10)
    np.testing.assert_allclose(p.sum(1), 1.0)


def test_lenet5_c3_unconnected_kernels_stay_zero_after_training():
    m = lenet5()
    x = np.random.default_rng(0).standard_normal((4, 32, 32, 1))
    train_step(m, x, np.array([0, 1, 2, 3]), CategoricalCrossentropy(), SGD(0.1, momentum=0.9))
    K = m.layers[2].get_weights()[0]            # (5, 5, 6, 16)
    cut = C3_TABLE == 0
    assert np.all(K[:, :, cut] == 0)
    assert np.all(np.abs(K[:, :, ~cut]).sum(axis=(0, 1)) > 0)
    assert m.layers[2].count_params() == 1516


@pytest.mark.parametrize("activation", ["relu", "linear", "thresholded_relu", "tanh"])
def test_lenet5_activation_swappable(activation):
    m = lenet5(activation=activation)
    assert m.layers[0].activation == activation and m.layers[6].activation == activation
    assert m.layers[-1].activation == "softmax"
    assert m.count_params() == 60850


def test_lenet5_formula_evaluates_to_predict():
    m = lenet5(seed=1)
    x = np.random.default_rng(1).standard_normal((2, 32, 32, 1))
    np.testing.assert_allclose(m.formula().evaluate(x), m.predict(x), rtol=1e-9, atol=1e-12)


def test_small_lenet_whole_model_gradient_vs_finite_differences():
    """Loss = cross-entropy of the softmax output; the fused training gradient of every
    parameter (connection-table entries excluded) against centred differences in float64."""
    rng = np.random.default_rng(0)
    m = small_lenet(seed=2)
    m.set_weights([w + 0.3 * rng.standard_normal(w.shape) for w in m.get_weights()])
    x = rng.standard_normal((3, 12, 12, 1))
    y = np.array([0, 2, 1])
    ce = CategoricalCrossentropy()
    p = m.forward(x, training=True)
    m.backward(ce.logit_gradient(p, y), preactivation=True)
    E = lambda: ce(m.forward(x), y)  # noqa: E731
    worst = 0.0
    for layer in m.layers:
        for w, g, mask in zip(layer.weights, layer.grads, layer.trainable_masks):
            num = fd_grad(E, w, mask=mask)
            np.testing.assert_allclose(g, num, atol=1e-8, rtol=1e-5)
            worst = max(worst, np.max(np.abs(g - num)) / (np.max(np.abs(num)) + 1e-12))
    assert worst < 1e-6


CACHE = __import__("pathlib").Path(__file__).resolve().parents[1] / "cache" / "lenet5_digits.npz"


@pytest.mark.skipif(not CACHE.exists(), reason="no trained weights in cache/ (run benchmarks/train_lenet.py --save)")
def test_cached_trained_lenet5_reproduces_its_test_accuracy():
    """Weights saved by benchmarks/train_lenet.py: loading them into a fresh lenet5 gives the
    recorded test accuracy on the same seeded split."""
    from cnnlab.data import load_digits

    with np.load(CACHE) as z:
        weights = [z[f"arr_{k}"] for k in range(14)]
        recorded = float(z["accuracy"])
        digit_size = int(z["digit_size"]) if "digit_size" in z else 28
    m = lenet5(dtype=np.float32)
    m.set_weights(weights)
    _, (xte, yte) = load_digits(size=32, digit_size=digit_size, seed=0, dtype=np.float32)
    acc = float(np.mean(m.predict(xte).argmax(1) == yte))
    assert acc == pytest.approx(recorded, abs=1e-9)
    assert acc >= 0.96
