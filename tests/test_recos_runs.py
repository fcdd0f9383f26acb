"""Chapter 11's cached runs (book/experiments/recos_runs.py): every cached number re-evaluated.

- each run's accuracies equal the stored predictions scored against the test labels;
- the stored seed-0 networks reproduce their stored predictions (and ranks) from their weights;
- one sampled run, trained again from scratch on one BLAS thread, reproduces its cached numbers;
- the affine bound holds in every run without a nonlinearity trained on both polarities;
- the runner's bookkeeping (cache, resume, parts) on a tiny budget.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book"))
from experiments import recos_rule as rule  # noqa: E402
from experiments import recos_runs as R  # noqa: E402

WHERE = os.environ.get("CNNLAB_RECOS_CACHE")      # default: <root>/cache


@pytest.fixture(scope="module")
def cached():
    return R.load_results(WHERE), R.load_preds(WHERE), R.digits_data(R.TRAINING["data_seed"])


def test_cache_matches_its_data_budget_and_is_complete(cached):
    res, preds, data = cached
    assert res["data"] == R.data_fingerprint(data)
    assert res["training"]["blas_threads"] == 1 and res["training"]["epochs"] == R.TRAINING["epochs"]
    have = {(r["name"], r["seed"]) for r in res["runs"] if not r.get("anchor")}
    main = {(n, s) for n in R.CONDITIONS if not n.startswith("cos:") for s in R.TRAINING["seeds"]}
    assert main <= have                                   # every seed of every main condition
    assert have <= {(n, s) for n in R.CONDITIONS for s in R.TRAINING["seeds"]}
    assert all((f"cos:{p:g}/normal", 0) in have for p in R.COSINE_GRID)
    assert sum(1 for r in res["runs"] if r.get("anchor")) == 1


def test_every_cached_accuracy_is_the_score_of_the_stored_predictions(cached):
    res, preds, data = cached
    (_, _), (_, yte) = data
    for r in res["runs"]:
        key = "anchor" if r.get("anchor") else f"{r['name']}|{r['seed']}"
        pn, pi = preds[f"{key}|pred_normal"], preds[f"{key}|pred_inverted"]
        assert r["acc_normal"] == np.mean(pn == yte)
        assert r["acc_inverted"] == np.mean(pi == yte)
        # rank 0 <=> predicted class is the true class (ties aside, which float softmax rarely has)
        for p, rank in ((pn, preds[f"{key}|rank_normal"]), (pi, preds[f"{key}|rank_inverted"])):
            assert np.mean((rank == 0) == (p == yte)) > 0.99
            assert rank.max() <= 9


@pytest.mark.parametrize("name", list(R.KEEP_WEIGHTS) + ["anchor"])
def test_stored_weights_reproduce_the_stored_predictions(cached, name):
    res, preds, data = cached
    (_, _), (xte, yte) = data
    model = R.load_model(name, WHERE)
    key = "anchor" if name == "anchor" else f"{name}|0"
    for which, x in (("normal", xte), ("inverted", 1.0 - xte)):
        p, rank = R.predictions(model, x, yte)
        assert np.mean(p == preds[f"{key}|pred_{which}"]) >= 358 / 359
        assert np.mean(rank == preds[f"{key}|rank_{which}"]) >= 357 / 359


def test_a_sampled_run_trained_again_reproduces_its_cached_numbers(cached):
    res, preds, data = cached
    rec = next(r for r in res["runs"] if r["name"] == "relu/normal" and r["seed"] == 5)
    again, arrays, _ = R.train_run("relu/normal", 5, data=data)
    assert abs(again["acc_normal"] - rec["acc_normal"]) <= 1.5 / 100
    assert np.mean(arrays["pred_normal"] == preds["relu/normal|5|pred_normal"]) >= 0.97


def test_affine_bound_on_both_polarities(cached):
    """Without any nonlinearity only class k* = argmax K can be right in both polarities, so the
    mean of the two accuracies is at most (1 + p_K)/2, p_K the share of class k* in the test set."""
    res, preds, data = cached
    (_, _), (xte, yte) = data
    runs = [r for r in res["runs"] if r["name"] == "none/both"]
    assert len(runs) == len(R.TRAINING["seeds"])
    for r in runs:
        k = r["k_star"]
        both = (preds[f"none/both|{r['seed']}|pred_normal"] == yte) & (preds[f"none/both|{r['seed']}|pred_inverted"] == yte)
        assert not np.any(both[yte != k])                         # by the identity (ch11-both)
        p_k = np.mean(yte == k)
        assert (r["acc_normal"] + r["acc_inverted"]) / 2 <= (1 + p_k) / 2 + 1e-12
    # k* recomputed from the stored seed-0 weights
    r0 = next(r for r in runs if r["seed"] == 0)
    assert R.affine_constant_class(R.load_model("none/both", WHERE), xte.shape[1:]) == r0["k_star"]


def test_verdicts_cover_every_comparison_and_follow_the_rule(cached):
    res, _, _ = cached
    vs = R.verdicts(res)
    assert [v["id"] for v in vs] == [c[0] for c in rule.COMPARISONS]
    for v in vs:
        if not v["a"].startswith("cos:"):
            assert v["n"] == 8 and v["verdict"] in ("A higher", "A lower", "no difference shown")
        else:                                             # the sweep: a verdict only with 8 seeds
            assert (v["verdict"] == "too few seeds") == (v["n"] < rule.MIN_SEEDS)
        # the verdict is the rule's, recomputed here from the raw records
        a = R.metric_by_seed(res, v["a"], v["metric"])
        b = R.metric_by_seed(res, v["b"], v["metric"])
        assert rule.paired_rule(a, b)["verdict"] == v["verdict"]


def test_runner_bookkeeping_on_a_tiny_budget(tmp_path, monkeypatch):
    monkeypatch.setitem(R.TRAINING, "epochs", 0)               # no training: just the bookkeeping
    res = R.run_experiments(["relu/normal", "none/both"], [0], part=1, where=tmp_path, anchor_run=False,
                            log=None)
    assert {(r["name"], r["seed"]) for r in res["runs"]} == {("relu/normal", 0), ("none/both", 0)}
    assert "k_star" in next(r for r in res["runs"] if r["name"] == "none/both")

    def boom(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(R, "train_run", boom)
    again = R.run_experiments(["relu/normal", "none/both"], [0], part=1, where=tmp_path, anchor_run=False,
                              log=None)
    assert again["runs"] == res["runs"]
    merged = R.merge_parts(tmp_path)
    assert len(merged["runs"]) == 2 and not list(tmp_path.glob("*.part*"))
    stored = json.loads((tmp_path / "recos_runs.json").read_text())
    assert stored["runs"] == res["runs"]
    m = R.load_model("relu/normal", tmp_path)                  # untrained seed-0 weights were kept
    for a, b in zip(m.get_weights(), R.build_model("relu/normal", 0).get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError, match="experiments.recos_runs"):
        R.load_results(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="unknown condition"):
        R.run_experiments(["sigmoid/normal"], where=tmp_path)
    with pytest.raises(ValueError, match="metric must be one of"):
        R.metric_by_seed(stored, "relu/normal", "train")
