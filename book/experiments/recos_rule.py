"""Chapter 11's decision rule, fixed before the runs it judges (issue 15, item 1).

The rule
--------
Every claim is judged by a *paired* comparison of two conditions A and B trained with the same
seeds ``s = 0, …, n-1`` (the seed fixes the weight initialisation and the minibatch order, the
data split is the same for all): the per-seed differences ``d_s = m_A(s) − m_B(s)`` of a metric
``m`` (a test accuracy, a fraction in [0, 1]).

- At least :data:`MIN_SEEDS` = 8 seeds, paired by seed; fewer gives the verdict
  ``"too few seeds"`` and no interval.
- Effect size: the mean difference ``d̄`` (reported in percentage points) and the standardised
  paired effect ``d_z = d̄ / sd(d)`` (Cohen's d for paired data; ``sd`` with ``n − 1``).
- Test: the two-sided 95 % paired t-interval ``d̄ ± t_{0.975, n−1} · sd(d)/√n``
  (:data:`CONFIDENCE`).  Verdict ``"A higher"`` when the whole interval lies above 0,
  ``"A lower"`` when it lies below 0, ``"no difference shown"`` when it contains 0.  This is the
  paired t-test at level 5 %; each comparison is read on its own (no correction for the
  number of comparisons, which the chapter says).

The comparisons (:data:`COMPARISONS`) and the conditions they use are listed here too, so that
the git history shows both were written before the runs.  A verdict sentence is made from the
rule's output only (:func:`verdict_sentence`).
"""
import math

import numpy as np

__all__ = ["MIN_SEEDS", "CONFIDENCE", "paired_rule", "COMPARISONS", "METRICS", "verdict_sentence"]

#: Fewest seeds a verdict may rest on.
MIN_SEEDS = 8
#: Two-sided confidence level of the paired t-interval.
CONFIDENCE = 0.95

#: Metrics a comparison can use: keys of a run record (test accuracy on the normal test digits,
#: on their gray-level inversions, and the mean of the two).
METRICS = {
    "normal": "test accuracy on the normal test digits",
    "inverted": "test accuracy on the inverted test digits",
    "both_mean": "mean of the test accuracies on the normal and the inverted test digits",
}


def _per_seed(values, name):
    if isinstance(values, dict):
        return {int(k): float(v) for k, v in values.items()}
    raise TypeError(f"{name} must be a dict seed -> value (so the rule can pair by seed); got "
                    f"{type(values).__name__}")


def paired_rule(a, b, confidence=CONFIDENCE, min_seeds=MIN_SEEDS):
    """Apply the chapter's decision rule to per-seed values of two conditions.

    Inputs:
    - a, b: dicts ``{seed: value}`` (e.g. test accuracies as fractions); only seeds present in
      both are used (pairing by seed)
    - confidence: two-sided level of the paired t-interval (default 0.95)
    - min_seeds: fewest pairs for a verdict (default 8)

    Returns a dict: ``n`` (pairs), ``seeds``, ``diffs`` (A − B per seed), ``mean`` (d̄), ``sd``,
    ``lo``, ``hi`` (the interval; ``None`` when ``n < min_seeds``), ``dz`` (d̄/sd; ``inf`` with
    the sign of d̄ when every difference is the same non-zero number, 0 when all are 0,
    ``None`` when ``n < min_seeds``) and ``verdict``: ``"A higher"``, ``"A lower"``,
    ``"no difference shown"`` or ``"too few seeds"``.
    """
    from scipy import stats

    a, b = _per_seed(a, "a"), _per_seed(b, "b")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence!r}")
    seeds = sorted(set(a) & set(b))
    d = np.array([a[s] - b[s] for s in seeds], dtype=float)
    out = dict(n=len(seeds), seeds=seeds, diffs=d.tolist(), mean=float(d.mean()) if d.size else None,
               sd=None, lo=None, hi=None, dz=None, verdict="too few seeds")
    if len(seeds) < max(2, int(min_seeds)):
        return out
    n = d.size
    sd = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    mean = float(d.mean())
    lo, hi = mean - half, mean + half
    if sd > 0:
        dz = mean / sd
    else:
        dz = 0.0 if mean == 0 else math.copysign(math.inf, mean)
    verdict = "A higher" if lo > 0 else ("A lower" if hi < 0 else "no difference shown")
    out.update(sd=sd, lo=lo, hi=hi, dz=dz, verdict=verdict)
    return out


#: The conditions of the chapter's runs.  Activation words as ``cnnlab.recos.recos_lenet``
#: takes them; ``train_on``: "normal" (the training digits), "inverted" (their gray-level
#: inversions only) or "both" (the two together).
ACTIVATION_CONDITIONS = {
    "relu": dict(activation="relu"),                                   # ReLU everywhere
    "none": dict(activation="linear"),                                 # no nonlinearity anywhere
    "none_conv": dict(activation="linear", dense_activation="relu"),   # none after convs, ReLU dense
    "tanh_conv": dict(activation="tanh", dense_activation="relu"),     # tanh convs, ReLU dense
    "lecun_tanh": dict(activation="lecun_tanh"),                       # LeCun's odd tanh everywhere
}
TRAIN_SETS = ("normal", "inverted", "both")

#: Pre-registered comparisons: ``(id, A, B, metric, question)``; condition names are
#: ``"<activation condition>/<training set>"``, plus ``"one_conv/normal"`` (one 14×14 stride-2
#: layer) and ``"cos:<phi>/normal"`` (cosine convolutions with TReLU_phi, our own sweep).
COMPARISONS = [
    # rectification and accuracy on the polarity the network was trained on
    ("R1", "relu/normal", "none/normal", "normal", "ReLU everywhere vs no nonlinearity anywhere"),
    ("R2", "relu/normal", "none_conv/normal", "normal", "ReLU vs none after the convolutions (ReLU dense in both)"),
    ("R3", "relu/normal", "tanh_conv/normal", "normal", "ReLU vs tanh after the convolutions (ReLU dense in both)"),
    ("R4", "relu/normal", "lecun_tanh/normal", "normal", "ReLU everywhere vs LeCun's odd tanh everywhere"),
    ("I1", "relu/inverted", "none/inverted", "inverted", "as R1, trained and tested on inverted digits"),
    ("I2", "relu/inverted", "none_conv/inverted", "inverted", "as R2, trained and tested on inverted digits"),
    ("I3", "relu/inverted", "tanh_conv/inverted", "inverted", "as R3, trained and tested on inverted digits"),
    ("I4", "relu/inverted", "lecun_tanh/inverted", "inverted", "as R4, trained and tested on inverted digits"),
    # a pattern and its negative: trained on both polarities, mean of the two test accuracies
    ("B1", "relu/both", "none/both", "both_mean", "both polarities: ReLU everywhere vs no nonlinearity"),
    ("B2", "relu/both", "none_conv/both", "both_mean", "both polarities: ReLU vs none after the convolutions"),
    ("B3", "relu/both", "tanh_conv/both", "both_mean", "both polarities: ReLU vs tanh after the convolutions"),
    ("B4", "relu/both", "lecun_tanh/both", "both_mean", "both polarities: ReLU vs LeCun's odd tanh everywhere"),
    # two layers vs one
    ("L1", "relu/normal", "one_conv/normal", "normal", "two 5×5 layers vs one 14×14 stride-2 layer"),
    # our TReLU sweep on the correlation cos θ
    ("T1", "cos:0.5/normal", "cos:0/normal", "normal", "TReLU on cos θ: φ = 0.5 vs φ = 0"),
    ("T2", "cos:0.75/normal", "cos:0.5/normal", "normal", "TReLU on cos θ: φ = 0.75 vs φ = 0.5"),
    ("T3", "cos:0.9/normal", "cos:0.75/normal", "normal", "TReLU on cos θ: φ = 0.9 vs φ = 0.75"),
    ("T4", "cos:0.75/normal", "relu/normal", "normal", "TReLU_0.75 on cos θ vs the plain ReLU network"),
]


def verdict_sentence(result, a_label="A", b_label="B"):
    """One sentence from :func:`paired_rule`'s output: verdict, effect size and interval.

    E.g. ``"A higher: +2.1 points (95 % CI +0.8 to +3.4, d_z = 1.3, 8 seeds)"`` with the labels
    substituted.  Percentage points, one decimal.
    """
    n = result["n"]
    if result["verdict"] == "too few seeds":
        return f"too few seeds for a verdict ({n} paired, at least {MIN_SEEDS} needed)"
    head = {"A higher": f"{a_label} higher", "A lower": f"{a_label} lower",
            "no difference shown": "no difference shown"}[result["verdict"]]
    dz = result["dz"]
    dz_s = "±∞" if math.isinf(dz) else f"{dz:.1f}"
    return (f"{head}: {100 * result['mean']:+.1f} points for {a_label} − {b_label} "
            f"(95 % CI {100 * result['lo']:+.1f} to {100 * result['hi']:+.1f}, d_z = {dz_s}, {n} seeds)")
