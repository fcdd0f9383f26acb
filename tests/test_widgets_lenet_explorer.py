"""Tests for the LeNet-5 explorer: cache round trip, confusion matrix, panel controls."""
import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pytest.importorskip("ipywidgets")

from cnnlab.models import lenet5  # noqa: E402
from cnnlab.widgets import lenet_explorer as le  # noqa: E402


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(6, 32, 32, 1)).astype(np.float32), np.array([0, 1, 2, 3, 4, 5])


@pytest.fixture(scope="module")
def model():
    return lenet5(seed=3, dtype=np.float32)


def test_confusion_matrix_against_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
    np.testing.assert_array_equal(le.confusion_matrix(y, p), metrics.confusion_matrix(y, p, labels=range(10)))
    with pytest.raises(ValueError, match="y_true"):
        le.confusion_matrix(y, p[:5])
    with pytest.raises(ValueError, match="labels"):
        le.confusion_matrix(np.array([10]), np.array([0]))


def test_cache_round_trip(tmp_path, monkeypatch):
    # replace training by a tiny run so the test stays fast; the cache must restore it exactly
    calls = []

    def fake_train(epochs=None, seed=None, verbose=0):
        calls.append(1)
        m = lenet5(seed=5, dtype=np.float32)
        return m, {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "val_loss": [1.1, 0.6],
                   "val_accuracy": [0.4, 0.6], "seconds": [1.0, 1.0]}

    monkeypatch.setattr(le, "train_lenet", fake_train)
    path = tmp_path / "c.npz"
    m1, h1 = le.load_or_train(path)
    assert path.exists() and calls == [1]
    m2, h2 = le.load_or_train(path)
    assert calls == [1]  # loaded, not retrained
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert h2["val_accuracy"] == [0.4, 0.6]
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(m1.predict(x), m2.predict(x), rtol=1e-6)
    le.load_or_train(path, retrain=True)
    assert calls == [1, 1]


def test_feature_maps_shapes(model, small_data):
    maps = le.feature_maps(model, small_data[0][0])
    assert maps["C1"].shape == (28, 28, 6) and maps["S2"].shape == (14, 14, 6)
    assert maps["C3"].shape == (10, 10, 16) and maps["S4"].shape == (5, 5, 16)
    np.testing.assert_allclose(maps["output"], model.predict(small_data[0][:1])[0], rtol=1e-5)


def test_feature_map_c1_matches_scipy(model, small_data):
    from scipy import signal
    x = small_data[0][2]
    k, b = model.layers[0].get_weights()
    u = signal.correlate2d(x[:, :, 0].astype(np.float64), k[:, :, 0, 4].astype(np.float64), "valid") + b[4]
    f = 1.7159 * np.tanh(2 * u / 3)  # LeCun's scaled tanh
    np.testing.assert_allclose(le.feature_maps(model, x)["C1"][:, :, 4], f, rtol=1e-4, atol=1e-5)


def test_panel_controls_change_state_and_picture(model, small_data):
    ex = le.LenetExplorer(model=model, data=small_data)
    box = le.panel(ex)
    png0 = box.image.value
    box.controls["index"].value = 3
    assert ex.index == 3 and box.image.value != png0
    assert "true 3" in box.figure._suptitle.get_text()
    box.controls["layer"].value = "C3"
    imgs = [a.images[0] for a in box.figure.axes if a.images]
    assert len(imgs) == 1 + 16
    ref = le.feature_maps(model, small_data[0][3])["C3"][:, :, 5]
    np.testing.assert_allclose(np.asarray(imgs[1 + 5].get_array()), ref)
    with pytest.raises(ValueError, match="layer"):
        ex.set(layer="F6")
    assert ex.set(index=99).index == 5


def test_static_twin_and_plots(model, small_data):
    import matplotlib.pyplot as plt
    ex = le.LenetExplorer(model=model, data=small_data)
    fig = le.static_lenet_explorer(ex)
    assert ex.pred[ex.index] != ex.y[ex.index] or not np.any(ex.pred != ex.y)
    plt.close(fig)
    hist = {"loss": [2, 1], "accuracy": [0.3, 0.6], "val_loss": [2.1, 1.2], "val_accuracy": [0.2, 0.5]}
    fig = le.plot_history(hist)
    np.testing.assert_allclose(fig.axes[1].lines[1].get_ydata(), [20, 50])
    plt.close(fig)
    fig = le.plot_filters(model)
    np.testing.assert_allclose(np.asarray(fig.axes[2].images[0].get_array()),
                               model.layers[0].get_weights()[0][:, :, 0, 2])
    plt.close(fig)
