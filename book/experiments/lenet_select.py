"""The cross-validation that compares the ingredients of the LeNet-5 training recipe, inside the
1 438 training images (the 359 test images play no part).

Usage (from the project root; about 10–15 CPU minutes, one thread)::

    nice -n 10 .venv/bin/python book/experiments/lenet_select.py            # full grid
    nice -n 10 .venv/bin/python book/experiments/lenet_select.py --epochs 10  # reduced grid

Stratified 3-fold cross-validation (scikit-learn's ``StratifiedKFold``, shuffled, seed 0):
each candidate is trained three times on two thirds of the training images (seed 0) and
counts its errors on the held-out third, so every training image is held out once.  Each
candidate changes one thing from the row above.  Finished runs are written to
``cache/lenet5_select.json`` as they end, so an interrupted run resumes; :func:`load_table`
reads the cache and :func:`format_table` prints it.

The decision rule is fixed here, before the runs (:func:`verdicts`): held-out error counts are
treated as Poisson counts, so two totals ``a`` and ``b`` differ clearly only when
``|a − b| > 2·sqrt(a + b)`` (two standard deviations of the difference).  Each row is compared
with the row above ("helps", "hurts" or "within noise"), and the recipe row with the best row.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):               # run as a script: make `experiments` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments.lenet_runs import CACHE_DIR, one_thread  # noqa: E402

SELECT_CACHE = CACHE_DIR / "lenet5_select.json"
N_FOLDS, SEED = 3, 0
_BASE = {"optimizer": "sgd", "learning_rate": 0.05, "epochs": 30, "schedule": "cosine",
         "augment": "none", "normalize": "unit", "label_smoothing": 0.0, "average_last": 0}

#: The candidates, in order; each row changes one thing from the row above (the first row is
#: chapter 10's plain run).  ``RECIPE_ROW`` is the recipe of the appendix.
CANDIDATES = [
    ("plain run (Adam 0.002, 12 epochs)",
     dict(_BASE, optimizer="adam", learning_rate=0.002, epochs=12, schedule="constant",
          normalize="lecun")),
    ("SGD + cosine, 30 epochs, no augmentation", dict(_BASE)),
    ("+ random shifts of up to ±2 px", dict(_BASE, augment="shift")),
    ("shift + rotation ±10° + scaling 0.9–1.1", dict(_BASE, augment="affine")),
    ("+ LeCun's input values (−0.1 … 1.175)", dict(_BASE, augment="affine", normalize="lecun")),
    ("+ label smoothing 0.1 (the recipe)",
     dict(_BASE, augment="affine", normalize="lecun", label_smoothing=0.1)),
    ("+ weight averaging, last 5 epochs",
     dict(_BASE, augment="affine", normalize="lecun", label_smoothing=0.1, average_last=5)),
]
RECIPE_ROW = 5


def folds(y, n_folds=N_FOLDS, seed=SEED):
    """``[(train_idx, held_out_idx), ...]``: stratified, shuffled with ``seed``."""
    from sklearn.model_selection import StratifiedKFold

    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in skf.split(np.zeros(len(y)), y)]


def run_one(settings, x, y, x_held, y_held, seed=SEED, epochs=None):
    """Train one candidate on ``(x, y)``; return the number of errors on ``(x_held, y_held)``."""
    from cnnlab.data import random_affine, random_shift
    from cnnlab.models import lenet5
    from cnnlab.optim import SGD, Adam, cosine_decay
    from cnnlab.training import fit_scheduled

    s = dict(settings)
    if epochs is not None:
        s["epochs"] = min(s["epochs"], epochs)
    model = lenet5(seed=seed, dtype=np.float32, init="glorot_uniform")
    opt = Adam(s["learning_rate"]) if s["optimizer"] == "adam" else \
        SGD(s["learning_rate"], momentum=0.9)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=opt, metrics=["accuracy"])
    total = s["epochs"] * -(-len(y) // 32)
    if s["schedule"] == "cosine":
        def schedule(t):
            return cosine_decay(t, total, s["learning_rate"])
    else:
        def schedule(t):
            return s["learning_rate"]
    augment = {"none": None,
               "shift": lambda xb, rng: random_shift(xb, rng, 2),
               "affine": lambda xb, rng: random_affine(xb, rng, 2.0, 10.0, 0.1)}[s["augment"]]
    fit_scheduled(model, x, y, s["epochs"], schedule, batch_size=32, seed=seed, augment=augment,
                  average_last=min(s["average_last"], s["epochs"]),
                  label_smoothing=s["label_smoothing"])
    return int(np.sum(model.predict(x_held).argmax(axis=1) != y_held))


def load_table(path=SELECT_CACHE):
    """The cached table: a dict with ``rows`` (name, settings, errors per fold, held-out sizes,
    seconds), ``epochs_cap`` (None for the full grid) and ``n_train``."""
    with open(path) as f:
        return json.load(f)


def run_grid(path=SELECT_CACHE, epochs=None, verbose=True):
    """Run (or resume) every candidate on every fold; write the cache after each run."""
    from cnnlab.data import load_digits

    path = Path(path)
    table = load_table(path) if path.exists() else None
    if table is None or table.get("epochs_cap") != epochs:
        table = {"epochs_cap": epochs, "n_folds": N_FOLDS, "seed": SEED, "rows": []}
    data = {norm: load_digits(size=32, digit_size=28, normalize=norm, seed=0, dtype=np.float32)[0]
            for norm in ("unit", "lecun")}
    y = data["unit"][1]
    table["n_train"] = int(len(y))
    splits = folds(y)
    for r, (name, settings) in enumerate(CANDIDATES):
        if r >= len(table["rows"]):
            table["rows"].append({"name": name, "settings": settings, "errors": [], "held_out": [],
                                  "seconds": []})
        row = table["rows"][r]
        x = data[settings["normalize"]][0]
        for k, (tr, te) in enumerate(splits):
            if k < len(row["errors"]):
                continue
            t0 = time.process_time()
            with one_thread():
                err = run_one(settings, x[tr], y[tr], x[te], y[te], epochs=epochs)
            row["errors"].append(err)
            row["held_out"].append(int(len(te)))
            row["seconds"].append(round(time.process_time() - t0, 1))
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(table, indent=1))
            tmp.replace(path)
            if verbose:
                print(f"{name:45s} fold {k}: {err:3d} errors of {len(te)} "
                      f"({row['seconds'][-1]:.0f} s CPU)", flush=True)
    return table


def differ(a, b):
    """The rule: two Poisson counts differ clearly when ``|a − b| > 2·sqrt(a + b)``."""
    return abs(a - b) > 2 * math.sqrt(a + b)


def verdicts(table):
    """Per row: total errors, error rate, and the verdict against the row above; plus the
    recipe row's verdict against the best row.  Returns ``(rows, summary)``."""
    n = table["n_train"]
    out, prev = [], None
    for r, row in enumerate(table["rows"]):
        tot = int(sum(row["errors"]))
        if prev is None or r == 1:
            v = "—"
        elif not differ(tot, prev):
            v = "within noise"
        else:
            v = "helps" if tot < prev else "hurts"
        out.append({"name": row["name"], "errors": tot, "rate": tot / n, "verdict": v,
                    "per_fold": row["errors"], "cpu_s": float(sum(row["seconds"]))})
        prev = tot
    best = min(range(len(out)), key=lambda i: (out[i]["errors"], i))
    rec = out[RECIPE_ROW]["errors"] if len(out) > RECIPE_ROW else None
    if rec is None:
        summary = "the recipe row has not run"
    elif best == RECIPE_ROW:
        summary = "the recipe has the fewest held-out errors"
    elif differ(rec, out[best]["errors"]):
        summary = f"the recipe is clearly worse than row {best + 1} ({out[best]['name']})"
    else:
        summary = (f"the recipe is within noise of the best row, row {best + 1} "
                   f"({out[best]['name']})")
    return out, {"best_row": best + 1, "recipe_row": RECIPE_ROW + 1, "summary": summary}


def format_table(table):
    """The table as Markdown, one line per candidate, and the summary line."""
    rows, summary = verdicts(table)
    n = table["n_train"]
    lines = [f"| # | candidate | held-out errors per fold | total (of {n}) | error rate | "
             "against the row above |", "|---|---|---|---|---|---|"]
    for r, row in enumerate(rows):
        lines.append(f"| {r + 1} | {row['name']} | {', '.join(map(str, row['per_fold']))} | "
                     f"{row['errors']} | {100 * row['rate']:.1f} % | {row['verdict']} |")
    return "\n".join(lines), summary["summary"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=None,
                   help="cap every candidate's epochs (a reduced grid; default: full)")
    args = p.parse_args(argv)
    t0 = time.time()
    table = run_grid(epochs=args.epochs)
    text, summary = format_table(table)
    print(text)
    print("Verdict:", summary)
    print(f"{time.time() - t0:.0f} s wall; CPU seconds in training: "
          f"{sum(sum(r['seconds']) for r in table['rows']):.0f}")


if __name__ == "__main__":
    main()
