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


def test_panel_frame_is_the_live_drawing(model, small_data):
    from matplotlib.figure import Figure

    from cnnlab.widgets import _frames
    ex = le.LenetExplorer(model=model, data=small_data)
    box = le.panel(ex, indices=[1, 3])
    assert len(box.frames) == 2 * 4
    box.select(index=3, layer="C3")
    assert box.current_values()["layer"] == "C3" and box.current_values()["index"].startswith("#3: a 3")
    # the live drawing of the same state, by a fresh explorer moved with its own method
    live = le.LenetExplorer(model=model, data=small_data).set(index=3, layer="C3")
    fig = live.draw(Figure(figsize=le.FIGSIZE))
    assert _frames.png_of_frame(box.current()) == _frames.png(fig, dpi=72)
    imgs = [a.images[0] for a in fig.axes if a.images]
    assert len(imgs) == 1 + 16
    ref = le.feature_maps(model, small_data[0][3])["C3"][:, :, 5]
    np.testing.assert_allclose(np.asarray(imgs[1 + 5].get_array()), ref)
    assert "true 3" in box.current().value and "16 maps of 10×10" in box.current().value


def test_every_control_changes_the_frame(model, small_data):
    from cnnlab.widgets import _frames
    ex = le.LenetExplorer(model=model, data=small_data)
    box = le.panel(ex, indices=[0, 4])
    seen = [_frames.png_of_frame(box.current())]
    for move in [{"index": 4}] + [{"layer": name} for name in ("S2", "C3", "S4")]:
        box.select(**move)
        seen.append(_frames.png_of_frame(box.current()))
    assert len(set(seen)) == len(seen)


def test_panel_indices_and_bad_arguments(model, small_data):
    ex = le.LenetExplorer(model=model, data=small_data)
    idx = ex.panel_indices(n_wrong=2)
    assert idx[:6] == [0, 1, 2, 3, 4, 5]                 # the first image of each label
    wrong = [i for i in range(6) if ex.pred[i] != ex.y[i]]
    assert idx[6:] == [] and len(idx) == 6               # none left over: all six already listed
    x, y = small_data
    ex2 = le.LenetExplorer(model=model, data=(np.concatenate([x, x]), np.concatenate([y, y])))
    w2 = [i for i in range(6, 12) if ex2.pred[i] != ex2.y[i]][:2]
    assert ex2.panel_indices(n_wrong=2) == list(range(6)) + w2
    assert len(wrong) == len([i for i in range(6, 12) if ex2.pred[i] != ex2.y[i]])
    with pytest.raises(ValueError, match="indices"):
        le.panel(ex, indices=[99])
    with pytest.raises(ValueError, match="layer"):
        ex.set(layer="F6")
    assert ex.set(index=99).index == 5


def test_explorer_needs_a_model():
    with pytest.raises(TypeError, match="model"):
        le.LenetExplorer()


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


# ------------------------------------------------------------------ the recipe's figures
# (the runs themselves are tested in tests/test_lenet_experiments.py, next to book/experiments)
def test_plot_augmented_and_recipe_curves():
    import matplotlib.pyplot as plt
    from cnnlab.data import random_affine

    from cnnlab.data import load_digits
    (xtr, _), _ = load_digits(size=32, digit_size=28, normalize="lecun", seed=0, dtype=np.float32)
    fig = le.plot_augmented(xtr[0], n=3, seed=5)
    want = random_affine(np.repeat(xtr[:1], 3, axis=0), np.random.default_rng(5), 2.0, 10.0, 0.1)
    imgs = [np.asarray(a.images[0].get_array()) for a in fig.axes]
    np.testing.assert_array_equal(imgs[0], xtr[0, :, :, 0])
    for k in range(3):
        np.testing.assert_array_equal(imgs[k + 1], want[k, :, :, 0])
    plt.close(fig)
    plain = {"loss": [2, 1], "accuracy": [0.3, 0.6], "val_loss": [2.1, 1.2], "val_accuracy": [0.2, 0.5]}
    rec = {0: {"loss": [2, 1, 0.5], "accuracy": [0.3, 0.6, 0.9], "val_loss": [2, 1, 0.4],
               "val_accuracy": [0.3, 0.7, 0.95]}}
    fig = le.plot_recipe_curves(plain, rec)
    ys = [np.asarray(line.get_ydata(), float) for line in fig.axes[1].lines]
    assert any(y.shape == (2,) and np.allclose(y, [20, 50]) for y in ys)         # plain, test
    assert any(y.shape == (3,) and np.allclose(y, [30, 70, 95]) for y in ys)     # recipe, test
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [70, 30, 5])      # test error %
    plt.close(fig)
