"""The chapter 11 decision rule (book/experiments/recos_rule.py) against SciPy and by hand."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book"))
from experiments import recos_rule as rule  # noqa: E402


def test_paired_interval_by_hand():
    # d = (1, 2, 3, 4, 5, 6, 7, 8) / 100: mean 0.045, sd = sqrt(6)/100 (var of 1..8 with n-1 = 6)
    a = {s: 0.5 + (s + 1) / 100 for s in range(8)}
    b = {s: 0.5 for s in range(8)}
    r = rule.paired_rule(a, b)
    assert r["n"] == 8 and r["seeds"] == list(range(8))
    assert r["mean"] == pytest.approx(0.045)
    assert r["sd"] == pytest.approx(math.sqrt(6) / 100)
    half = 2.364624251592785 * math.sqrt(6) / 100 / math.sqrt(8)   # t_{0.975, 7} from tables
    assert r["lo"] == pytest.approx(0.045 - half) and r["hi"] == pytest.approx(0.045 + half)
    assert r["dz"] == pytest.approx(0.045 / (math.sqrt(6) / 100))
    assert r["verdict"] == "A higher"


@pytest.mark.parametrize("seed", range(6))
def test_verdict_agrees_with_scipy_paired_t_test(seed):
    rng = np.random.default_rng(seed)
    n = 8 + seed
    x = rng.uniform(0.8, 1.0, n)
    y = x - rng.normal(0.01 * (seed - 2), 0.01, n)
    r = rule.paired_rule(dict(enumerate(x)), dict(enumerate(y)))
    p = stats.ttest_rel(x, y).pvalue
    assert (r["verdict"] != "no difference shown") == (p < 0.05)
    if r["verdict"] != "no difference shown":
        assert (r["verdict"] == "A higher") == (np.mean(x - y) > 0)
    # the interval is SciPy's confidence interval of the paired test
    ci = stats.ttest_rel(x, y).confidence_interval(0.95)
    assert r["lo"] == pytest.approx(ci.low) and r["hi"] == pytest.approx(ci.high)


def test_pairs_by_seed_and_needs_eight():
    a = {s: 0.9 for s in range(10)}
    b = {s: 0.8 for s in range(3, 10)}          # only 7 shared seeds
    r = rule.paired_rule(a, b)
    assert r["n"] == 7 and r["verdict"] == "too few seeds" and r["lo"] is None
    assert "too few seeds" in rule.verdict_sentence(r)
    b[2] = 0.8
    r = rule.paired_rule(a, b)
    assert r["n"] == 8 and r["verdict"] == "A higher" and r["dz"] == math.inf


def test_identical_conditions_show_no_difference():
    a = {s: 0.1 for s in range(8)}
    r = rule.paired_rule(a, dict(a))
    assert r["verdict"] == "no difference shown" and r["dz"] == 0.0


def test_rule_rejects_unpaired_input():
    with pytest.raises(TypeError, match="a must be a dict"):
        rule.paired_rule([0.9] * 8, {s: 0.8 for s in range(8)})
    with pytest.raises(ValueError, match="confidence"):
        rule.paired_rule({0: 1.0}, {0: 1.0}, confidence=1.5)


def test_verdict_sentence_states_effect_and_interval():
    a = {s: 0.9 + 0.01 * (s % 2) for s in range(8)}
    b = {s: 0.95 for s in range(8)}
    s = rule.verdict_sentence(rule.paired_rule(a, b), "ReLU", "none")
    assert s.startswith("ReLU lower: -4.5 points for ReLU − none (95 % CI ")
    assert "d_z = " in s and "8 seeds" in s


def test_comparisons_use_known_conditions_and_metrics():
    names = {f"{a}/{t}" for a in rule.ACTIVATION_CONDITIONS for t in rule.TRAIN_SETS}
    names |= {"one_conv/normal"} | {f"cos:{p:g}/normal" for p in (0, 0.5, 0.75, 0.9)}
    ids = [c[0] for c in rule.COMPARISONS]
    assert len(ids) == len(set(ids))
    for _, a, b, metric, _ in rule.COMPARISONS:
        assert a in names and b in names and metric in rule.METRICS
