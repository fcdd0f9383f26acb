"""Helpers of the LeNet-5 digits recipe (benchmarks/train_lenet.py): random_affine,
cosine_decay and fit_scheduled, each checked against an independent expectation."""
import math

import numpy as np
import pytest

from cnnlab.data import random_affine, random_shift
from cnnlab.optim import SGD, cosine_decay
from cnnlab.training import fit, fit_scheduled


class _Fixed:
    """A stand-in for np.random.Generator whose ``uniform`` returns given values in turn."""

    def __init__(self, *draws):
        self.draws = list(draws)

    def uniform(self, lo, hi, n):
        return np.full(n, self.draws.pop(0), dtype=float)


def _dot(h=11, w=11, r=5, c=5):
    x = np.zeros((1, h, w, 1))
    x[0, r, c, 0] = 1.0
    return x


def _centroid(img):
    rr, cc = np.indices(img.shape)
    return np.array([(rr * img).sum(), (cc * img).sum()]) / img.sum()


def test_random_affine_whole_pixel_shift_moves_a_dot_exactly():
    # rotation 0, scale 1, shift +2 rows, -1 column: the dot at (5, 5) lands on (7, 4)
    out = random_affine(_dot(), _Fixed(0.0, 1.0, 2.0, -1.0), max_shift=3)
    want = _dot(r=7, c=4)
    np.testing.assert_allclose(out, want, atol=1e-12)


def test_random_affine_half_pixel_shift_splits_the_dot_in_two():
    out = random_affine(_dot(), _Fixed(0.0, 1.0, 0.5, 0.0), max_shift=1)[0, :, :, 0]
    assert out[5, 5] == pytest.approx(0.5) and out[6, 5] == pytest.approx(0.5)
    assert out.sum() == pytest.approx(1.0)


def test_random_affine_rotation_by_90_degrees_about_the_centre():
    # (row, col) -> centre + R(90°)(p - centre), R = [[cos, -sin], [sin, cos]]:
    # offset (-3, +1) from the centre (5, 5) goes to (-1, -3), i.e. (2, 6) -> (4, 2)
    out = random_affine(_dot(r=2, c=6), _Fixed(90.0, 1.0, 0.0, 0.0), max_rotation=90)
    np.testing.assert_allclose(out, _dot(r=4, c=2), atol=1e-12)
    # a quarter turn of a square image about its centre is a permutation of its pixels:
    # it must equal one of NumPy's exact quarter turns
    img = np.random.default_rng(0).random((1, 7, 7, 1))
    rot = random_affine(img, _Fixed(90.0, 1.0, 0.0, 0.0), max_rotation=90, fill=0.0)
    candidates = [np.rot90(img[0, :, :, 0], k) for k in (1, -1)]
    assert any(np.allclose(rot[0, :, :, 0], c, atol=1e-12) for c in candidates)


def test_random_affine_scaling_about_the_centre():
    # scale 2: offset (2, 0) from the centre becomes (4, 0)
    out = random_affine(_dot(r=7, c=5), _Fixed(0.0, 2.0, 0.0, 0.0), max_scale=1.0)[0, :, :, 0]
    np.testing.assert_allclose(_centroid(out), [9.0, 5.0], atol=1e-9)
    assert out[9, 5] == pytest.approx(1.0)


def test_random_affine_matches_scipy_affine_transform():
    from scipy.ndimage import affine_transform

    rng = np.random.default_rng(3)
    x = rng.random((6, 12, 10, 1)).astype(np.float32)
    x[:, 0, 0, 0] = 0.0                                   # background 0 for scipy's cval
    out = random_affine(x, np.random.default_rng(7), 2.0, 15.0, 0.1)
    assert out.dtype == np.float32 and out.shape == x.shape
    g = np.random.default_rng(7)
    th = np.deg2rad(g.uniform(-15, 15, 6))
    s = g.uniform(0.9, 1.1, 6)
    tr, tc = g.uniform(-2, 2, 6), g.uniform(-2, 2, 6)
    centre = np.array([5.5, 4.5])
    for i in range(6):
        ainv = np.array([[np.cos(th[i]), np.sin(th[i])], [-np.sin(th[i]), np.cos(th[i])]]) / s[i]
        offset = centre - ainv @ (centre + [tr[i], tc[i]])
        ref = affine_transform(x[i, :, :, 0].astype(float), ainv, offset, order=1,
                               mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(out[i, :, :, 0], ref, atol=1e-6)


def test_random_affine_fills_with_the_background_and_keeps_the_identity():
    x = np.full((2, 8, 8, 1), -0.1)
    x[:, 3:5, 3:5] = 1.175
    same = random_affine(x, np.random.default_rng(0), 0.0, 0.0, 0.0)
    np.testing.assert_allclose(same, x)
    moved = random_affine(x, _Fixed(0.0, 1.0, 4.0, 4.0), max_shift=4)
    assert np.allclose(moved[:, :4, :], -0.1) and np.allclose(moved[:, :, :4], -0.1)
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        random_affine(x[0], np.random.default_rng(0))


def test_random_affine_integer_shifts_agree_with_random_shift():
    x = np.random.default_rng(1).random((1, 9, 9, 1))
    x[0, 0, 0, 0] = 0.0
    x[0, :2, :] = x[0, :, :2] = x[0, -2:, :] = x[0, :, -2:] = 0.0   # background margin
    a = random_affine(x, _Fixed(0.0, 1.0, 1.0, -2.0), max_shift=2)

    class Ints:
        def integers(self, lo, hi, n, _v=[np.array([1]), np.array([-2])]):
            return _v.pop(0)

    b = random_shift(x, Ints(), 2)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_cosine_decay_closed_form():
    T, lr0 = 100, 0.05
    assert cosine_decay(0, T, lr0) == pytest.approx(lr0)
    assert cosine_decay(50, T, lr0) == pytest.approx(lr0 / 2)
    assert cosine_decay(25, T, lr0) == pytest.approx(lr0 * (1 + math.sqrt(0.5)) / 2)
    assert cosine_decay(100, T, lr0) == pytest.approx(0.0, abs=1e-15)
    assert cosine_decay(150, T, lr0) == pytest.approx(0.0, abs=1e-15)
    assert cosine_decay(50, T, lr0, final_lr=0.01) == pytest.approx(0.03)
    # warm-up: linear to lr0 over 10 steps, then a cosine over the remaining 90
    assert [cosine_decay(t, T, lr0, warmup_steps=10) for t in (0, 4, 9)] == \
        pytest.approx([0.005, 0.025, 0.05])
    assert cosine_decay(10, T, lr0, warmup_steps=10) == pytest.approx(lr0)
    assert cosine_decay(55, T, lr0, warmup_steps=10) == pytest.approx(lr0 / 2)
    with pytest.raises(ValueError, match="total_steps"):
        cosine_decay(0, 0, lr0)
    with pytest.raises(ValueError, match="warmup_steps"):
        cosine_decay(0, 10, lr0, warmup_steps=10)


def _tiny(seed=0):
    from cnnlab import Sequential
    from cnnlab.layers import Dense

    m = Sequential([Dense(5, activation="tanh", input_shape=(4,)),
                    Dense(3, activation="softmax")], seed=seed)
    m.compile(loss="sparse_categorical_crossentropy", optimizer=SGD(0.1, momentum=0.9),
              metrics=["accuracy"])
    return m


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 4))
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 1)


def test_fit_scheduled_with_a_constant_rate_equals_fit():
    x, y = _data()
    a, b = _tiny(), _tiny()
    fit(a, x, y, epochs=3, batch_size=6, seed=4, verbose=0)
    fit_scheduled(b, x, y, 3, lambda t: 0.1, batch_size=6, seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_fit_scheduled_sets_the_rate_of_every_step_and_averages_the_last_epochs():
    x, y = _data()
    seen = []
    m = _tiny()

    def schedule(t):
        seen.append(t)
        return cosine_decay(t, 12, 0.1)

    hist = fit_scheduled(m, x, y, 3, schedule, batch_size=5, seed=1)
    assert seen == list(range(12)) and len(hist.seconds) == 3      # 3 epochs of 4 steps
    assert m.optimizer.learning_rate == pytest.approx(cosine_decay(11, 12, 0.1))
    # average_last=2 gives the mean of the weights after epochs 2 and 3; the first epochs of
    # a run do not depend on how long it goes on, so runs stopped after 2 and 3 epochs give
    # the two snapshots
    avg = _tiny()
    fit_scheduled(avg, x, y, 3, lambda t: cosine_decay(t, 12, 0.1), batch_size=5, seed=1,
                  average_last=2)
    snaps = []
    for stop in (2, 3):
        mm = _tiny()
        fit_scheduled(mm, x, y, stop, lambda t: cosine_decay(t, 12, 0.1), batch_size=5, seed=1)
        snaps.append(mm.get_weights())
    for w, a, b in zip(avg.get_weights(), *snaps):
        np.testing.assert_allclose(w, (a + b) / 2, rtol=1e-12, atol=1e-15)


def test_fit_scheduled_label_smoothing_targets():
    x, y = _data()
    m = _tiny()
    fit_scheduled(m, x, y, 1, lambda t: 0.0 + 1e-12, batch_size=20, seed=0, label_smoothing=0.3)
    p = m.predict(x)
    t = np.full((20, 3), 0.1)
    t[np.arange(20), y] += 0.7
    want = -np.sum(t * np.log(p)) / 20   # weights barely moved: loss of the start weights
    assert m.history.history["loss"][0] == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError, match="label_smoothing"):
        fit_scheduled(m, x, y, 1, lambda t: 0.1, label_smoothing=1.0)
