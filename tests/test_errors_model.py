"""Issue 12: every misuse of the model, training, data, formula and gradient-check API gets a
clear error, and a failed call leaves nothing half-done.  One test per case of the issue; the
references are hand-worked numbers, finite differences and PyTorch (when installed)."""
import gzip
import tracemalloc

import numpy as np
import pytest

import cnnlab
from cnnlab import Sequential, _validate
from cnnlab.activations import softmax, softmax_backward
from cnnlab.data import IDXFormatError, load_digits, read_idx, write_idx
from cnnlab.gradcheck import check_gradient
from cnnlab.layers import Conv2D, Dense, Flatten, MaxPooling2D
from cnnlab.losses import BinaryCrossentropy, CategoricalCrossentropy, get_loss
from cnnlab.optim import SGD, Adam, cosine_decay
from cnnlab.training import NonFiniteLossError


def _state(model):
    """Everything a failed call must not change: layer list, names, built flags, weights."""
    return ([id(layer) for layer in model.layers], [layer.name for layer in model.layers],
            [layer.built for layer in model.layers], model.built,
            [w.copy() for w in model.trainable_weights] if model.built else None,
            model.loss, model.optimizer, list(model.metrics))


def _same(a, b):
    assert a[:4] == b[:4] and a[5:] == b[5:]
    if a[4] is None:
        assert b[4] is None
    else:
        assert len(a[4]) == len(b[4])
        for u, v in zip(a[4], b[4]):
            np.testing.assert_array_equal(u, v)


def _net(seed=0):
    return Sequential([Conv2D(2, 3, activation="tanh", input_shape=(6, 6, 1)), Flatten(),
                       Dense(3, activation="softmax")], seed=seed)


def _data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6, 6, 1)), rng.integers(0, 3, n)


# --------------------------------------------------------------------------- atomic add
def test_failed_add_leaves_the_model_as_it_was():
    m = Sequential([Conv2D(2, 3, input_shape=(6, 6, 1)), MaxPooling2D(2)])   # output (2, 2, 2)
    before = _state(m)
    big = Conv2D(2, 7)
    with pytest.raises(ValueError, match=r"kernel \(7, 7\).*larger than its input \(2, 2\)"):
        m.add(big)
    _same(before, _state(m))
    assert len(m.layers) == 2 and big.name is None and not big.built
    # the next add and predict work (they failed with TypeError/AttributeError before)
    m.add(Flatten())
    m.add(Dense(4))
    assert m.predict(np.ones((3, 6, 6, 1))).shape == (3, 4)
    assert [layer.name for layer in m.layers] == ["conv2d", "max_pooling2d", "flatten", "dense"]
    # the refused layer object can be used in another model
    m2 = Sequential([Conv2D(1, 1, input_shape=(9, 9, 1)), big])
    assert m2.output_shape == (None, 3, 3, 2)


def test_same_layer_twice_is_refused():
    d = Dense(2)
    m = Sequential([Flatten(input_shape=(2, 2, 1)), d])
    with pytest.raises(ValueError, match="already in this model"):
        m.add(d)
    with pytest.raises(ValueError, match="appears twice"):
        Sequential([d, d])


def test_failed_build_changes_nothing():
    m = Sequential([Conv2D(2, 3), Conv2D(2, 5)])
    with pytest.raises(ValueError, match="larger than its input"):
        m.build((6, 6, 1))            # the second kernel does not fit the 4x4 map
    assert not m.built and not any(layer.built for layer in m.layers)
    m.build((9, 9, 1))
    w = [a.copy() for a in m.get_weights()]
    with pytest.raises(ValueError, match="larger than its input"):
        m.build((6, 6, 1))
    assert m.input_shape == (None, 9, 9, 1)
    for a, b in zip(w, m.get_weights()):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- compile / metrics
@pytest.mark.parametrize("metrics, key", [("accuracy", "accuracy"), (["acc"], "acc"),
                                          (("sparse_categorical_accuracy",),
                                           "sparse_categorical_accuracy")])
def test_metric_names_and_aliases(metrics, key):
    x, y = _data()
    m = _net()
    m.compile(loss="sparse_categorical_crossentropy", optimizer=SGD(0.1), metrics=metrics)
    h = m.fit(x, y, epochs=2, batch_size=4, validation_data=(x, y), seed=0, verbose=0)
    assert set(h.history) == {"loss", key, "val_loss", "val_" + key}
    # the metric is the fraction of right answers, recomputed here from predict by hand
    loss, acc = m.evaluate(x, y)
    want = np.mean(np.argmax(m.predict(x), axis=1) == y)
    assert acc == want and h.history["val_" + key][-1] == want
    assert m.metrics_names == ["loss", key]


def test_unknown_metric_lists_the_known_ones_and_compile_is_atomic():
    m = _net()
    m.compile(loss="mse", optimizer="adam", metrics=["mae"])
    before = _state(m)
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'; known names: \[.*'accuracy'"):
        m.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["acuracy"])
    with pytest.raises(TypeError, match=r"metrics\[0\] must be a metric name"):
        m.compile(metrics=[3])
    with pytest.raises(ValueError, match="unknown loss 'crossentropyy'"):
        m.compile(loss="crossentropyy", metrics=["accuracy"])
    with pytest.raises(ValueError, match="unknown optimizer 'sgdd'"):
        m.compile(optimizer="sgdd")
    _same(before, _state(m))
    assert m.metrics == ["mae"] and m.loss.name == "mean_squared_error"


# --------------------------------------------------------------------------- binary labels
def _binary(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype(np.int64)   # shape (N,), 0/1
    return x, y


def test_binary_labels_with_one_sigmoid_unit_train_as_keras():
    x, y = _binary()
    m = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    h = m.fit(x, y, epochs=40, batch_size=8, seed=0, verbose=0)        # no compile: defaults
    assert m.loss.name == "binary_crossentropy" and "accuracy" in h.history
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    loss, acc = m.evaluate(x, y)
    p = m.predict(x)[:, 0]
    assert acc == np.mean((p > 0.5) == (y == 1)) and acc >= 0.9
    # binary cross-entropy by hand
    assert loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    m.compile(loss="binary_crossentropy", metrics="acc")
    assert set(m.fit(x, y, epochs=1, seed=0, verbose=0).history) == {"loss", "acc"}


def test_binary_cross_entropy_and_fused_gradient_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    u = rng.standard_normal((5, 1))
    t = rng.integers(0, 2, 5)
    p = 1 / (1 + np.exp(-u))
    bce = BinaryCrossentropy()
    ut = torch.tensor(u, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy(torch.sigmoid(ut), torch.tensor(t[:, None], dtype=torch.float64))
    ref.backward()
    assert bce(p, t) == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(bce.logit_gradient(p, t), ut.grad.numpy(), rtol=1e-10)
    # dE/dp against central differences
    num = np.zeros_like(p)
    for i in range(5):
        d = np.zeros_like(p)
        d[i] = 1e-7
        num[i] = (bce(p + d, t) - bce(p - d, t)) / 2e-7
    np.testing.assert_allclose(bce.gradient(p, t), num, rtol=1e-6)


def test_binary_targets_out_of_range_are_refused():
    x, y = _binary(8)
    m = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    with pytest.raises(ValueError, match=r"binary_crossentropy needs targets in \[0, 1\]"):
        m.fit(x, y * 3, epochs=1, verbose=0)
    assert not m.history if hasattr(m, "history") else True


# --------------------------------------------------------------------------- check_gradient
def test_check_gradient_fails_on_nan():
    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(AssertionError, match="NaN/inf"):
        check_gradient(lambda z: np.sum(z ** 2), x, np.array([1.0, np.nan, 4.0]))
    with pytest.raises(AssertionError, match="NaN/inf"):
        check_gradient(lambda z: np.nan, x, 2 * x)
    with pytest.raises(AssertionError, match="NaN/inf"), np.errstate(invalid="ignore"):
        check_gradient(lambda z: np.sum(np.sqrt(z)), x, 0.5 / np.sqrt(np.abs(x)))  # sqrt(-1) = nan
    assert check_gradient(lambda z: np.sum(z ** 2), x, 2 * x) < 1e-8   # the honest case passes
    with pytest.raises(ValueError, match="tol must be"):
        check_gradient(lambda z: np.sum(z ** 2), x, 2 * x, tol=np.nan)


# --------------------------------------------------------------------------- fit arguments
def test_numpy_scalars_are_accepted():
    x, y = _data()
    h = _net().fit(x, y, epochs=np.int64(2), batch_size=np.int32(5), seed=np.uint8(3), verbose=0)
    h2 = _net().fit(x, y, epochs=2, batch_size=5, seed=3, verbose=0)
    assert h.history["loss"] == h2.history["loss"]                  # the same run
    SGD(np.float32(0.1), momentum=np.float64(0.5))
    Adam(np.float16(0.01))
    assert cosine_decay(np.int64(5), np.int64(10), np.float32(0.1)) == pytest.approx(0.05, rel=1e-6)
    m = _net()
    m.predict(x, batch_size=np.int64(4))
    m.evaluate(x, y, batch_size=np.int16(3))
    assert load_digits(size=np.int64(8), test_size=np.float32(0.25))[0][0].shape[1:] == (8, 8, 1)
    # layers and models built from NumPy integers equal those built from Python ints
    i = np.int64
    a = Sequential([Conv2D(i(2), (i(3), i(3)), strides=i(1), input_shape=(i(6), i(6), i(1))),
                    MaxPooling2D(i(2)), Flatten(), Dense(np.int32(3))], seed=i(0))
    b = Sequential([Conv2D(2, 3, input_shape=(6, 6, 1)), MaxPooling2D(2), Flatten(), Dense(3)], seed=0)
    assert a.count_params() == b.count_params() == 47
    np.testing.assert_array_equal(a.predict(x, batch_size=np.uint8(5)), b.predict(x))


def test_empty_dataset_is_refused():
    m = _net()
    before = _state(m)
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 6, 6, 1\)\)"):
        m.fit(np.zeros((0, 6, 6, 1)), np.zeros(0, int), verbose=0)
    with pytest.raises(ValueError, match="x is empty"):
        m.evaluate(np.zeros((0, 6, 6, 1)), np.zeros(0, int))
    _same(before, _state(m))


@pytest.mark.parametrize("bad, exc, msg", [(0, ValueError, "batch_size must be an int >= 1; got 0"),
                                           (-1, ValueError, "batch_size must be an int >= 1; got -1"),
                                           (2.5, TypeError, "batch_size must be an int; got float 2.5"),
                                           ("8", TypeError, "batch_size must be an int; got str"),
                                           (True, TypeError, "batch_size must be an int; got bool")])
def test_bad_batch_size(bad, exc, msg):
    x, y = _data()
    m = _net()
    before = _state(m)
    with pytest.raises(exc, match=msg):
        m.predict(x, batch_size=bad)
    with pytest.raises(exc, match=msg):
        m.fit(x, y, batch_size=bad, verbose=0)
    with pytest.raises(exc, match=msg):
        m.evaluate(x, y, batch_size=bad)
    _same(before, _state(m))


@pytest.mark.parametrize("bad, exc, msg", [(-1, ValueError, "epochs must be an int >= 0"),
                                           (1.5, TypeError, "epochs must be an int; got float"),
                                           (None, TypeError, "epochs must be an int; got NoneType")])
def test_bad_epochs(bad, exc, msg):
    x, y = _data()
    with pytest.raises(exc, match=msg):
        _net().fit(x, y, epochs=bad, verbose=0)


@pytest.mark.parametrize("val, exc, msg", [
    ((np.zeros((3, 6, 6, 2)), np.zeros(3, int)), ValueError,
     r"validation_data\[0\] must have shape \(N, 6, 6, 1\).*got \(3, 6, 6, 2\)"),
    ((np.zeros((3, 6, 6, 1)), np.zeros(2, int)), ValueError,
     r"validation_data\[1\] must have one entry per sample of validation_data\[0\]: 3"),
    ((np.zeros((3, 6, 6, 1)), np.array([0, 1, 5])), ValueError,
     r"validation_data\[1\]: labels must lie in 0..2; got range 0..5"),
    ((np.zeros((3, 6, 6, 1)),), TypeError, r"validation_data must be a pair \(x_val, y_val\)"),
    ("val", TypeError, "validation_data must be a pair"),
    ((np.full((3, 6, 6, 1), np.nan), np.zeros(3, int)), ValueError,
     r"validation_data\[0\] must hold only finite numbers"),
])
def test_bad_validation_data_refused_before_the_first_epoch(val, exc, msg):
    x, y = _data()
    m = _net()
    before = _state(m)
    seen = []

    def augment(xb, rng):           # records every training batch: none may run
        seen.append(len(xb))
        return xb

    with pytest.raises(exc, match=msg):
        m.fit(x, y, epochs=2, batch_size=4, validation_data=val, augment=augment, verbose=0)
    assert seen == []
    _same(before, _state(m))


def test_failed_fit_check_does_not_build_or_compile_the_model():
    m = Sequential([Conv2D(2, 3), Flatten(), Dense(3, activation="softmax")])
    x, y = _data()
    with pytest.raises(ValueError, match=r"y: labels must lie in 0..2; got range 7..7"):
        m.fit(x, np.full(len(x), 7), verbose=0)
    assert not m.built and m.loss is None and m.optimizer is None and m.metrics == []
    with pytest.raises(TypeError, match="augment must be None or a function"):
        m.fit(x, y, augment="shift", verbose=0)
    assert not m.built


def test_backward_needs_a_training_forward_and_the_right_shape():
    m = _net()
    x, y = _data(4)
    with pytest.raises(ValueError, match=r"call model.forward\(x, training=True\) first"):
        m.backward(np.ones((4, 3)))
    p = m.forward(x, training=True)
    with pytest.raises(ValueError, match=r"dy must have the shape of the last forward output \(4, 3\); got \(3, 4\)"):
        m.backward(np.ones((3, 4)))
    with pytest.raises(TypeError, match="dy must be a numeric"):
        m.backward("ones")
    assert m.backward(np.ones_like(p)).shape == x.shape


# --------------------------------------------------------------------------- set_weights
def test_set_weights_bad_array_at_index_3_changes_nothing():
    m = Sequential([Conv2D(2, 3, input_shape=(6, 6, 1)), Flatten(), Dense(3), Dense(2)])
    old = m.get_weights()
    new = [np.full_like(w, 7.0) for w in old]
    for bad, exc in [(np.zeros((4, 3)), ValueError), (np.array(["a", "b", "c"]), TypeError),
                     (np.full(3, np.nan), ValueError)]:
        ws = list(new)
        ws[3] = bad
        with pytest.raises(exc, match=r"weights\[3\] \(bias of layer 'dense'\)"):
            m.set_weights(ws)
        for a, b in zip(old, m.get_weights()):
            np.testing.assert_array_equal(a, b)
    m.set_weights(new)
    assert all(np.all(w == 7.0) for w in m.get_weights())


# --------------------------------------------------------------------------- IDX files
def test_truncated_and_corrupt_gz_idx(tmp_path):
    good = tmp_path / "labels.gz"
    write_idx(good, np.arange(200, dtype=np.uint8))
    np.testing.assert_array_equal(read_idx(good), np.arange(200))
    raw = good.read_bytes()
    cut = tmp_path / "cut.gz"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(IDXFormatError, match=r"cut\.gz is a truncated gzip file") as info:
        read_idx(cut)
    assert isinstance(info.value, OSError)
    bad = tmp_path / "bad.gz"
    bad.write_bytes(raw[:10] + bytes(b ^ 0xFF for b in raw[10:]))
    with pytest.raises(OSError, match=r"bad\.gz is a corrupt gzip file"):
        read_idx(bad)
    short = tmp_path / "short.idx"
    short.write_bytes(gzip.decompress(raw)[:-5])
    with pytest.raises(OSError, match=r"short\.idx holds 195 data bytes; its header \(200,\)"):
        read_idx(short)
    with pytest.raises(FileNotFoundError, match="nope.idx"):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(TypeError, match="path must be a file path"):
        read_idx(3)


# --------------------------------------------------------------------------- NaN / inf
@pytest.mark.parametrize("where", ["x", "y"])
def test_nan_or_inf_in_the_data_is_refused(where):
    x, y = _data()
    m = Sequential([Conv2D(2, 3, input_shape=(6, 6, 1)), Flatten(), Dense(1)])
    t = y.astype(float)
    if where == "x":
        x = x.copy()
        x[3, 2, 1, 0] = np.inf
    else:
        t[5] = np.nan
    before = _state(m)
    with pytest.raises(ValueError, match=rf"{where} must hold only finite numbers; got 1 NaN/inf entry"):
        m.fit(x, t, verbose=0)
    _same(before, _state(m))


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_a_loss_that_becomes_non_finite_stops_training_naming_epoch_and_batch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3))
    t = x @ np.array([[1.0], [2.0], [3.0]])
    m = Sequential([Dense(1, input_shape=(3,))])
    m.compile(loss="mse", optimizer=SGD(1e3))       # far too large a step: diverges
    with pytest.raises(NonFiniteLossError, match=r"the loss became (inf|nan) at epoch \d+/50, batch \d+/4") as info:
        m.fit(x, t, epochs=50, batch_size=4, shuffle=False, verbose=0)
    assert isinstance(info.value, ValueError)
    # the failing batch changed no weight, and the history holds the finished epochs
    assert all(np.all(np.isfinite(w)) for w in m.get_weights())
    assert all(np.isfinite(v) for v in m.history.history.get("loss", []))


# --------------------------------------------------------------------------- formula
def test_formula_evaluate_checks_its_input_like_predict():
    m = _net()
    f = m.formula()
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 1))
    np.testing.assert_allclose(f.evaluate(x), m.predict(x), atol=1e-12)
    wrong = np.zeros((2, 6, 6, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 6, 6, 1\)") as a:
        f.evaluate(wrong)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 6, 6, 1\)") as b:
        m.predict(wrong)
    assert str(a.value) == str(b.value)
    with pytest.raises(ValueError, match="x must hold only finite numbers"):
        f.evaluate(np.full((1, 6, 6, 1), np.nan))


# --------------------------------------------------------------------------- ±inf
def test_softmax_and_losses_are_stable_at_inf():
    inf = np.inf
    np.testing.assert_array_equal(softmax([inf, 0.0]), [1.0, 0.0])
    np.testing.assert_array_equal(softmax([[inf, inf, 1.0], [-inf, 0.0, -inf]]),
                                  [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(softmax([-inf, -inf]), [0.5, 0.5])     # the limit of (c, c)
    np.testing.assert_array_equal(softmax_backward([1.0, 2.0], [inf, 0.0]), [0.0, 0.0])
    # large finite scores: the limit agrees with float64 softmax of huge numbers
    np.testing.assert_array_equal(softmax([1e308, 0.0]), softmax([inf, 0.0]))
    # cross-entropies at p = 0 and 1: finite, and 0·log 0 counts as 0
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert CategoricalCrossentropy()(p, [0, 1]) == 0.0
    assert np.isfinite(CategoricalCrossentropy()(p, [1, 0]))
    assert BinaryCrossentropy()(np.array([[1.0], [0.0]]), [1, 0]) == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(BinaryCrossentropy()(np.array([[1.0], [0.0]]), [0, 1]))
    assert np.isfinite(BinaryCrossentropy()(np.array([[inf], [-inf]]), [0, 1]))
    assert get_loss("mse")(np.array([[inf]]), [[0.0]]) == inf        # inf, not nan


# --------------------------------------------------------------------------- size guard
def test_size_guard_refuses_before_allocating(monkeypatch):
    x = np.zeros((1, 1, 8, 8))
    w = np.zeros((1, 1, 3, 3))
    tracemalloc.start()
    try:
        cases = [
            (lambda: cnnlab.conv2d(x, w, padding=10**4), r"conv2d \(x of shape \(1, 1, 8, 8\), kernel \(3, 3\), stride \(1, 1\), padding 10000\): "
                                                                       r"the im2col matrix"),
            (lambda: cnnlab.up(np.ones((4, 4)), 10**5), r"up: the output of shape \(400000, 400000\)"),
            (lambda: cnnlab.maxpool2d(x, 2, padding=10**5), "pooling: the padded input"),
            (lambda: load_digits(size=10**5), r"load_digits\(size=100000\): the images"),
            (lambda: Sequential([Dense(10**6, input_shape=(10**5,))]), r"layer 0 \(dense\): the kernel"),
        ]
        for call, msg in cases:
            with pytest.raises(ValueError, match=msg + r".* would need [\d,]+ bytes .*more than the limit"):
                call()
        # pool_output_shape needs no array at all
        assert cnnlab.pool_output_shape((10**5, 10**5)) == (50000, 50000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20
    # the exact byte count: a (8, 8) -> (800, 800) float64 up needs 800·800·8 bytes
    monkeypatch.setattr(_validate, "MAX_BYTES", 5_000_000)
    with pytest.raises(_validate.ArraySizeError, match=r"would need 5,120,000 bytes"):
        cnnlab.up(np.ones((8, 8)), 100)
    assert cnnlab.up(np.ones((8, 8)), 50).shape == (400, 400)


def test_set_max_bytes_is_public_and_guards_predict():
    m = Sequential([Conv2D(8, 3, input_shape=(32, 32, 1)), Flatten(), Dense(2)])
    x = np.zeros((64, 32, 32, 1))
    old = cnnlab.set_max_bytes(10**6)
    try:
        assert cnnlab.get_max_bytes() == 10**6
        with pytest.raises(ValueError, match=r"predict: the output of layer 0 \(conv2d\) for 64 samples"):
            m.predict(x)
        assert m.predict(x, batch_size=4).shape == (64, 2)            # small batches fit
        with pytest.raises(TypeError, match="limit must be an int"):
            cnnlab.set_max_bytes("1GB")
        with pytest.raises(ValueError, match="limit must be an int >= 1"):
            cnnlab.set_max_bytes(0)
    finally:
        cnnlab.set_max_bytes(old)
    assert cnnlab.get_max_bytes() == old


# --------------------------------------------------------------------------- optimisers, data
def test_optimiser_and_data_arguments():
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number; got nan"):
        SGD(float("nan"))
    with pytest.raises(TypeError, match="learning_rate must be a real number; got str"):
        SGD("0.1")
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\); got 1.0"):
        SGD(0.1, momentum=1.0)
    w = np.ones(3)
    with pytest.raises(ValueError, match=r"grads\[0\] must have the shape of params\[0\] \(3,\); got \(2,\)"):
        SGD(0.1).step([w], [np.ones(2)])
    with pytest.raises(ValueError, match=r"grads\[1\] must hold only finite numbers"):
        SGD(0.1).step([w, np.ones(2)], [np.ones(3), np.array([1.0, np.nan])])
    np.testing.assert_array_equal(w, 1.0)          # checked first: the first array is untouched
    with pytest.raises(TypeError, match="rng must be a np.random.Generator"):
        cnnlab.data.random_shift(np.zeros((1, 4, 4, 1)), 0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, H, W, C\)"):
        cnnlab.data.random_affine(np.zeros((4, 4)), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"test_size must be in \(0.0, 1.0\); got 1.0"):
        load_digits(test_size=1.0)
    with pytest.raises(ValueError, match="normalize must be 'unit', 'lecun' or None"):
        load_digits(normalize="z")


# --------------------------------------------------------------------------- against Keras
def _keras():
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("metric", ["acc", "accuracy", "binary_accuracy"])
def test_binary_labels_metric_names_and_one_step_match_keras(metric):
    keras = _keras()
    x, y = _binary(16)
    k = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    k.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(0.5), metrics=[metric])
    m = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    m.compile(loss="binary_crossentropy", optimizer=SGD(0.5), metrics=[metric])
    m.set_weights([w.astype(np.float64) for w in k.get_weights()])
    k_loss, k_acc = k.evaluate(x, y, verbose=0)
    loss, acc = m.evaluate(x, y)
    assert loss == pytest.approx(k_loss, rel=1e-5) and acc == pytest.approx(k_acc)
    # one full-batch SGD step on labels of shape (N,): the same weights afterwards
    kh = k.fit(x, y, epochs=1, batch_size=16, shuffle=False, validation_data=(x, y), verbose=0)
    h = m.fit(x, y, epochs=1, batch_size=16, shuffle=False, validation_data=(x, y), verbose=0)
    assert sorted(h.history) == sorted(kh.history)
    for a, b in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
