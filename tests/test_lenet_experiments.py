"""Tests for book/experiments/lenet_runs.py and lenet_select.py (chapter 10 and its appendix):
the data split, the cache round trips, the committed caches against their own weights, the
recipe run against the same run written out with cnnlab's pieces, and the selection rule."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
if str(BOOK) not in sys.path:          # notebooks import `experiments` with cwd book/
    sys.path.insert(0, str(BOOK))

pytest.importorskip("sklearn")
from cnnlab.models import C3_TABLE, lenet5  # noqa: E402
from experiments import lenet_runs as lr  # noqa: E402
from experiments import lenet_select as ls  # noqa: E402


@pytest.fixture(scope="module")
def split():
    return lr.digits_split()


@pytest.fixture(scope="module")
def tiny(split):
    (xf, yf), (xv, yv), (xt, yt) = split
    return (xf[:64], yf[:64]), (xv[:30], yv[:30]), (xt[:40], yt[:40])


def test_caches_resolve_from_the_project_root():
    root = Path(__file__).resolve().parents[1]
    assert lr.CACHE_DIR == root / "cache"
    assert lr.PLAIN_CACHE.parent == lr.RECIPE_CACHE.parent == ls.SELECT_CACHE.parent == root / "cache"


def test_split_is_disjoint_stratified_and_keeps_the_test_set(split):
    from cnnlab.data import load_digits

    (xf, yf), (xv, yv), (xt, yt) = split
    assert (len(yf), len(yv), len(yt)) == (1150, 288, 359)
    (xtr, ytr), (xte, yte) = load_digits(size=32, digit_size=28, normalize="lecun", seed=0,
                                         dtype=np.float32)
    np.testing.assert_array_equal(xt, xte)                   # the test set is load_digits's
    np.testing.assert_array_equal(yt, yte)
    # fit + validation is a partition of the training images (compare images as rows)
    rows = {r.tobytes() for r in xtr.reshape(len(xtr), -1)}
    fv = [r.tobytes() for r in np.concatenate([xf, xv]).reshape(len(yf) + len(yv), -1)]
    assert len(set(fv)) == len(set(rows)) and set(fv) == rows
    # stratified: every digit's share of the validation set is its share of the training set ± 1
    for d in range(10):
        assert abs(np.sum(yv == d) - 0.2 * np.sum(ytr == d)) <= 1


def test_plain_cache_round_trip(tmp_path, monkeypatch, tiny):
    calls = []
    real = lr.train_plain

    def fake(epochs=None, seed=None, data=None, verbose=0):
        calls.append(1)
        return real(epochs=1, data=tiny)

    monkeypatch.setattr(lr, "train_plain", fake)
    path = tmp_path / "p.npz"
    m1, h1 = lr.load_or_train_plain(path)
    m2, h2 = lr.load_or_train_plain(path)
    assert calls == [1] and [p.name for p in tmp_path.iterdir()] == ["p.npz"]
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert h2["val_accuracy"] == h1["val_accuracy"] and h2["test_accuracy"] == h1["test_accuracy"]
    # the recorded numbers are those of the model: validation per epoch, test once
    assert m2.evaluate(*tiny[1])[1] == pytest.approx(h2["val_accuracy"][-1])
    assert m2.evaluate(*tiny[2])[1] == pytest.approx(h2["test_accuracy"])
    lr.load_or_train_plain(path, retrain=True)
    assert calls == [1, 1]


def test_recipe_run_is_fit_scheduled_with_the_recipe(tiny):
    # the same run written out by hand with cnnlab's pieces; watching the validation set at
    # the ends of epochs must not change the run
    from cnnlab.data import random_affine
    from cnnlab.optim import SGD, cosine_decay
    from cnnlab.training import fit_scheduled

    (xf, yf), val, test = tiny
    steps = -(-len(yf) // 32)
    ref = lenet5(seed=2, dtype=np.float32, init="glorot_uniform")
    ref.compile(loss="sparse_categorical_crossentropy", optimizer=SGD(0.05, momentum=0.9),
                metrics=["accuracy"])
    with lr.one_thread():
        fit_scheduled(ref, xf, yf, 2, lambda t: cosine_decay(t, 2 * steps, 0.05), batch_size=32,
                      seed=2, label_smoothing=0.1,
                      augment=lambda xb, rng: random_affine(xb, rng, 2.0, 10.0, 0.1))
    m, h = lr.train_recipe(seed=2, epochs=2, data=tiny)
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(h["val_accuracy"]) == len(h["loss"]) == 2 and h["seed"] == 2
    assert h["val_accuracy"][-1] == pytest.approx(ref.evaluate(*val)[1])
    assert h["test_accuracy"] == pytest.approx(ref.evaluate(*test)[1])


def test_recipe_cache_round_trip(tmp_path, monkeypatch, tiny):
    calls = []
    real = lr.train_recipe

    def fake(seed=0, epochs=None, data=None, verbose=0):
        calls.append(seed)
        return real(seed=seed, epochs=1, data=tiny)

    monkeypatch.setattr(lr, "train_recipe", fake)
    path = tmp_path / "r.npz"
    m1, h1 = lr.load_or_train_recipe(path, seeds=(3, 4))
    m2, h2 = lr.load_or_train_recipe(path, seeds=(3, 4))
    assert calls == [3, 4]
    for s in (3, 4):
        for a, b in zip(m1[s].get_weights(), m2[s].get_weights()):
            np.testing.assert_array_equal(a, b)
        assert h2[s]["test_accuracy"] == h1[s]["test_accuracy"] and h2[s]["seed"] == s
    lr.load_or_train_recipe(path, seeds=(3,))                 # other seeds: trained again
    assert calls == [3, 4, 3]


@pytest.mark.skipif(not lr.PLAIN_CACHE.exists() or not lr.RECIPE_CACHE.exists(),
                    reason="caches not present")
def test_committed_caches_hold_their_models_numbers(split):
    _, (xv, yv), (xt, yt) = split
    m, h = lr.load_or_train_plain()
    assert len(h["val_accuracy"]) == lr.PLAIN_SETTINGS["epochs"]
    assert m.evaluate(xv, yv)[1] == pytest.approx(h["val_accuracy"][-1], abs=1e-12)
    assert m.evaluate(xt, yt)[1] == pytest.approx(h["test_accuracy"], abs=1e-12)
    models, hists = lr.load_or_train_recipe()
    assert sorted(models) == list(lr.RECIPE_SEEDS)
    for s, ms in models.items():
        assert ms.evaluate(xt, yt)[1] == pytest.approx(hists[s]["test_accuracy"], abs=1e-12)
        assert len(hists[s]["val_accuracy"]) == lr.RECIPE_SETTINGS["epochs"]
        k = ms.layers[2].get_weights()[0]
        assert np.all(k[:, :, C3_TABLE == 0] == 0)            # cut C3 connections stay zero


# ------------------------------------------------------------------------------ selection
def test_folds_partition_the_training_images_stratified():
    y = np.repeat(np.arange(10), 30)
    fs = ls.folds(y)
    held = np.concatenate([te for _, te in fs])
    assert sorted(held.tolist()) == list(range(len(y)))
    for tr, te in fs:
        assert not set(tr) & set(te)
        assert np.all(np.bincount(y[te], minlength=10) == 10)


def test_the_rule_is_two_poisson_standard_deviations():
    assert ls.differ(37, 9) and ls.differ(9, 37)              # 28 > 2·sqrt(46) ≈ 13.6
    assert not ls.differ(15, 9)                               # 6 < 2·sqrt(24) ≈ 9.8
    assert ls.differ(0, 5) and not ls.differ(0, 4)            # 5 > 2·sqrt(5) ≈ 4.47 > 4


def test_verdicts_on_a_made_up_table():
    rows = [{"name": f"r{k}", "errors": e, "held_out": [10, 10, 10], "seconds": [1, 1, 1]}
            for k, e in enumerate([[20, 20, 20], [10, 10, 10], [1, 1, 1], [4, 4, 4], [3, 3, 2],
                                   [1, 1, 1], [9, 9, 9]])]
    out, summary = ls.verdicts({"n_train": 30, "rows": rows})
    assert [r["errors"] for r in out] == [60, 30, 3, 12, 8, 3, 27]
    assert [r["verdict"] for r in out] == ["—", "—", "helps", "hurts", "within noise",
                                           "within noise", "hurts"]
    # the recipe row (6) ties row 3 for the fewest errors: the earlier row is "best"
    assert summary["best_row"] == 3 and "within noise" in summary["summary"]
    text, _ = ls.format_table({"n_train": 30, "rows": rows})
    assert text.count("\n") == len(rows) + 1 and "| 7 | r6 | 9, 9, 9 | 27 |" in text


def test_run_one_counts_held_out_errors(tiny):
    (xf, yf), (xv, yv), _ = tiny
    with lr.one_thread():
        err = ls.run_one(ls.CANDIDATES[0][1], xf, yf, xv, yv, epochs=1)
    assert isinstance(err, int) and 0 <= err <= len(yv)
    # seeded, one thread: the same candidate on the same fold gives the same count
    with lr.one_thread():
        again = ls.run_one(ls.CANDIDATES[0][1], xf, yf, xv, yv, epochs=1)
    assert again == err


@pytest.mark.skipif(not ls.SELECT_CACHE.exists(), reason="cache/lenet5_select.json not present")
def test_committed_selection_table_is_complete():
    table = json.loads(ls.SELECT_CACHE.read_text())
    assert table["epochs_cap"] is None and table["n_train"] == 1438
    assert [r["name"] for r in table["rows"]] == [n for n, _ in ls.CANDIDATES]
    assert [r["settings"] for r in table["rows"]] == [s for _, s in ls.CANDIDATES]
    for r in table["rows"]:
        assert len(r["errors"]) == ls.N_FOLDS and sum(r["held_out"]) == 1438
