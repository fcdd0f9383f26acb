"""Chapter 11's experiments: the runner, its on-disk cache and the verdicts drawn from it.

The mathematics (anchors, TReLU, the cosine layer, the LeNet-shaped network) lives in
:mod:`cnnlab.recos`; this module trains the chapter's networks, caches what is needed to
re-evaluate every number the chapter prints, and applies the decision rule of
:mod:`experiments.recos_rule` (written and committed before the runs).

Cache (under ``<project root>/cache``, found from this file's place in the repository):

- ``recos_runs.json``: the budget, the data's fingerprint and one record per (condition, seed);
- ``recos_preds.npz``: for every run, the predicted class and the rank of the true class
  (0 = top) on each test digit and on its gray-level inversion — every accuracy and rank in the
  chapter is recomputed from these arrays;
- ``recos_weights.npz``: the trained weights of the seed-0 runs in :data:`KEEP_WEIGHTS` (and of
  the long anchor run), so that a test can recompute their predictions from the weights.

Training uses one BLAS thread (fixed here with threadpoolctl): with two threads the cached
accuracies moved by up to 2 points.  Runs are seeded; ``python -m experiments.recos_runs``
(from ``book/``) re-makes the cache.
"""
import json
import time
from pathlib import Path

import numpy as np

from cnnlab import recos

from . import recos_rule as rule

__all__ = ["TRAINING", "CONDITIONS", "RUN_ORDER", "KEEP_WEIGHTS", "ANCHOR_RUN", "cache_dir", "digits_data",
           "data_fingerprint", "train_run", "run_experiments", "merge_parts", "load_results", "load_preds",
           "load_model", "metric_by_seed", "summarize", "verdicts", "format_pm", "html_table"]

#: Training budget of every run except the anchor run (Adam, minibatches of 32, 8 seeds).
TRAINING = dict(epochs=10, batch_size=32, learning_rate=2e-3, seeds=tuple(range(8)), data_seed=0,
                blas_threads=1)
#: The long run for the anchor-vector comparison (relu, normal training, seed 0).
ANCHOR_RUN = dict(name="relu/normal", seed=0, epochs=60)

#: condition name -> network options (for :func:`cnnlab.recos.recos_lenet`) and training set.
CONDITIONS = {}
for _act, _opts in rule.ACTIVATION_CONDITIONS.items():
    for _t in rule.TRAIN_SETS:
        CONDITIONS[f"{_act}/{_t}"] = dict(_opts, train_on=_t)
CONDITIONS["one_conv/normal"] = dict(activation="relu", conv_layers=1, train_on="normal")
COSINE_GRID = (0.0, 0.5, 0.75, 0.9)
for _p in COSINE_GRID:
    CONDITIONS[f"cos:{_p:g}/normal"] = dict(activation=f"trelu:{_p:g}", dense_activation="relu",
                                            conv="cosine", init="data", train_on="normal")
#: Order in which :func:`run_experiments` trains (seed-major inside each block): the cheap
#: affine-convolution conditions first, the cosine sweep last.
RUN_ORDER = [n for n in CONDITIONS if not n.startswith("cos:")] + [n for n in CONDITIONS if n.startswith("cos:")]
#: Seed-0 runs whose weights are stored (the chapter's checks and figures use them).
KEEP_WEIGHTS = ("relu/normal", "none/normal", "relu/both", "none/both")


def cache_dir():
    """``<project root>/cache``: this file is ``<root>/book/experiments/recos_runs.py``."""
    return Path(__file__).resolve().parents[2] / "cache"


def digits_data(data_seed=0):
    """The chapter's data: :func:`cnnlab.data.load_digits` (8×8 digits enlarged to 28×28 and
    centred in 32×32, pixels in [0, 1], stratified split seeded by ``data_seed``), float32.

    Returns ``(x_train, y_train), (x_test, y_test)``; x of shape (N, 32, 32, 1).
    """
    from cnnlab.data import load_digits

    return load_digits(size=32, seed=data_seed, normalize="unit", dtype=np.float32)


def data_fingerprint(data):
    """Sizes of the split and a SHA-1 of the test images and labels, to tie a cache to its data."""
    import hashlib

    (xtr, ytr), (xte, yte) = data
    h = hashlib.sha1(np.ascontiguousarray(xte, dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(yte, dtype=np.int64).tobytes())
    return {"n_train": int(len(xtr)), "n_test": int(len(xte)), "test_sha1": h.hexdigest()[:16]}


def build_model(name, seed, x_train=None):
    """The untrained network of condition ``name`` with seed ``seed`` (cosine conditions: anchors
    started at the k-means centres of ``x_train``'s patches, which is then required)."""
    if name not in CONDITIONS:
        raise ValueError(f"name must be one of {sorted(CONDITIONS)}; got {name!r}")
    spec = {k: v for k, v in CONDITIONS[name].items() if k not in ("train_on", "init")}
    model = recos.recos_lenet(seed=seed, **spec)
    if CONDITIONS[name].get("init") == "data":
        if x_train is None:
            raise ValueError(f"x_train is needed to start the anchors of {name!r} at the data")
        recos.init_anchors_from_data(model, x_train, seed=seed)
    return model


def training_set(name, data):
    """The training images and labels of condition ``name``: normal, inverted or both."""
    (xtr, ytr), _ = data
    t = CONDITIONS[name]["train_on"]
    if t == "inverted":
        return recos.invert_gray(xtr), ytr
    if t == "both":
        return np.concatenate([xtr, recos.invert_gray(xtr)]), np.concatenate([ytr, ytr])
    return xtr, ytr


def predictions(model, x, y):
    """Predicted class and rank of the true class (0 = top, 9 = last) for images ``x``.

    Returns ``(pred, rank)``, two uint8 arrays of shape (N,).  The rank counts the classes whose
    probability is strictly larger than the true class's.
    """
    p = np.asarray(model.predict(x), dtype=np.float64)
    true = p[np.arange(len(y)), y]
    rank = np.sum(p > true[:, None], axis=1)
    return p.argmax(axis=1).astype(np.uint8), rank.astype(np.uint8)


def affine_constant_class(model, shape):
    """``argmax K`` with ``K = c(0) + c(1)`` (centred logits of the all-black and all-white
    images): for an affine network the only class that can be read right in both polarities."""
    ones = np.ones((1,) + tuple(shape), dtype=np.float32)
    K = recos.centred_logits(model, ones) + recos.centred_logits(model, np.zeros_like(ones))
    return int(np.argmax(K[0]))


def train_run(name, seed, data=None, epochs=None):
    """Train condition ``name`` with seed ``seed`` on one BLAS thread.

    Returns ``(record, arrays, model)``: ``record`` a dict (``name``, ``seed``, ``epochs``,
    ``train_acc``, ``acc_normal``, ``acc_inverted``, ``cpu_seconds``, ``active_at_init`` for the
    cosine runs, ``k_star`` = argmax K for the runs without any nonlinearity); ``arrays`` the
    predictions and true-class ranks on the normal and inverted test digits (see
    :func:`predictions`).
    """
    from threadpoolctl import threadpool_limits

    from cnnlab.optim import Adam

    epochs = TRAINING["epochs"] if epochs is None else int(epochs)
    data = digits_data(TRAINING["data_seed"]) if data is None else data
    (_, _), (xte, yte) = data
    xtr, ytr = training_set(name, data)
    with threadpool_limits(limits=TRAINING["blas_threads"]):
        t0 = time.process_time()
        model = build_model(name, seed, xtr)
        active = recos.active_fractions(model, xtr[:100]) if CONDITIONS[name].get("conv") == "cosine" else None
        model.compile(loss="sparse_categorical_crossentropy", optimizer=Adam(TRAINING["learning_rate"]),
                      metrics=["accuracy"])
        hist = model.fit(xtr, ytr, epochs=epochs, batch_size=TRAINING["batch_size"], seed=seed, verbose=0)
        cpu = time.process_time() - t0
        pn, rn = predictions(model, xte, yte)
        pi, ri = predictions(model, recos.invert_gray(xte), yte)
        k_star = affine_constant_class(model, xte.shape[1:]) if CONDITIONS[name]["activation"] == "linear" \
            and CONDITIONS[name].get("dense_activation") in (None, "linear") else None
    record = dict(name=name, seed=int(seed), epochs=epochs,
                  train_acc=float(hist.history["accuracy"][-1]) if epochs else None,
                  acc_normal=float(np.mean(pn == yte)), acc_inverted=float(np.mean(pi == yte)),
                  cpu_seconds=round(cpu, 1))
    if active is not None:
        record["active_at_init"] = active
    if k_star is not None:
        record["k_star"] = k_star
    return record, dict(pred_normal=pn, rank_normal=rn, pred_inverted=pi, rank_inverted=ri), model


def _key(name, seed):
    return f"{name}|{seed}"


def _atomic_json(path, obj):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    tmp.replace(path)


def _atomic_npz(path, arrays):
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def run_experiments(names=None, seeds=None, part=None, where=None, anchor_run=True, log=print, skip=()):
    """Train (or skip, when cached) the runs ``names × seeds`` and cache them.

    With ``part`` (an int) the results go to ``recos_runs.part<part>.json`` / ``…npz`` so that
    several processes can run side by side; :func:`merge_parts` joins them.  Runs already in
    the target files are skipped, so an interrupted call resumes.

    Inputs:
    - names: condition names (default :data:`RUN_ORDER`)
    - seeds: seeds (default ``TRAINING["seeds"]``)
    - part: None (write the main cache) or an int
    - where: cache folder (default :func:`cache_dir`)
    - anchor_run: also train the long anchor run (:data:`ANCHOR_RUN`) at the end
    - log: called with one line per finished run (None: silent)
    - skip: (name, seed) pairs to leave out (e.g. runs another worker has cached)
    """
    names = list(RUN_ORDER if names is None else names)
    seeds = list(TRAINING["seeds"] if seeds is None else seeds)
    for n in names:
        if n not in CONDITIONS:
            raise ValueError(f"names: unknown condition {n!r}; expected some of {sorted(CONDITIONS)}")
    where = Path(cache_dir() if where is None else where)
    where.mkdir(parents=True, exist_ok=True)
    suffix = "" if part is None else f".part{int(part)}"
    jpath, ppath, wpath = (where / f"recos_runs{suffix}.json", where / f"recos_preds{suffix}.npz",
                           where / f"recos_weights{suffix}.npz")
    data = digits_data(TRAINING["data_seed"])
    results = dict(training={k: (list(v) if isinstance(v, tuple) else v) for k, v in TRAINING.items()},
                   anchor_run=dict(ANCHOR_RUN), conditions=CONDITIONS, comparisons=rule.COMPARISONS,
                   data=data_fingerprint(data), runs=[])
    if jpath.exists():
        old = json.loads(jpath.read_text())
        if old.get("data") != results["data"] or old.get("training") != results["training"]:
            raise ValueError(f"{jpath} was made with another budget or other data; delete it to re-train")
        results["runs"] = old["runs"]
    preds = dict(np.load(ppath)) if ppath.exists() else {}
    weights = dict(np.load(wpath)) if wpath.exists() else {}
    done = {(r["name"], r["seed"]) for r in results["runs"] if not r.get("anchor")} | set(map(tuple, skip))
    blocks = ([n for n in names if not n.startswith("cos:")], [n for n in names if n.startswith("cos:")])
    jobs = [(n, s) for block in blocks for s in seeds for n in block if (n, s) not in done]
    if anchor_run and not any(r.get("anchor") for r in results["runs"]):
        jobs.append(("anchor", ANCHOR_RUN["seed"]))
    for name, seed in jobs:
        if name == "anchor":
            record, arrays, model = train_run(ANCHOR_RUN["name"], seed, data=data, epochs=ANCHOR_RUN["epochs"])
            record["anchor"] = True
            key = "anchor"
        else:
            record, arrays, model = train_run(name, seed, data=data)
            key = _key(name, seed)
        for k, v in arrays.items():
            preds[f"{key}|{k}"] = v
        if key == "anchor" or (seed == 0 and name in KEEP_WEIGHTS):
            for i, w in enumerate(model.get_weights()):
                weights[f"{key}|{i}"] = w.astype(np.float32)
            _atomic_npz(wpath, weights)
        _atomic_npz(ppath, preds)
        results["runs"].append(record)
        _atomic_json(jpath, results)
        if log is not None:
            log(f"{key:24s} test {record['acc_normal']:.3f} inverted {record['acc_inverted']:.3f} "
                f"({record['cpu_seconds']:.0f} CPU-s)")
    return results


def merge_parts(where=None, remove=True, out=None):
    """Join ``recos_runs.part*.json`` / ``recos_preds.part*.npz`` / ``recos_weights.part*.npz``
    (and the main files, if present) into the main cache files; each (condition, seed) once.
    ``out``: write the merged files there instead of ``where`` (then nothing is removed)."""
    where = Path(cache_dir() if where is None else where)
    dest = where if out is None else Path(out)
    remove = remove and out is None
    parts = sorted(where.glob("recos_runs.part*.json"))
    main = where / "recos_runs.json"
    sources = ([main] if main.exists() else []) + parts
    if not sources:
        raise FileNotFoundError(f"no recos_runs*.json in {where}")
    results, preds, weights, seen = None, {}, {}, set()
    for jp in sources:
        r = json.loads(jp.read_text())
        if results is None:
            results = dict(r, runs=[])
        elif r["data"] != results["data"] or r["training"] != results["training"]:
            raise ValueError(f"{jp} was made with another budget or other data than {sources[0]}")
        for rec in r["runs"]:
            key = "anchor" if rec.get("anchor") else _key(rec["name"], rec["seed"])
            if key not in seen:
                seen.add(key)
                results["runs"].append(rec)
        stem = jp.name[len("recos_runs"):-len(".json")]
        for store, base in ((preds, "recos_preds"), (weights, "recos_weights")):
            f = where / f"{base}{stem}.npz"
            if f.exists():
                with np.load(f) as z:
                    for k in z.files:
                        store.setdefault(k, z[k])
    dest.mkdir(parents=True, exist_ok=True)
    _atomic_npz(dest / "recos_preds.npz", preds)
    _atomic_npz(dest / "recos_weights.npz", weights)
    _atomic_json(dest / "recos_runs.json", results)
    if remove:
        for jp in parts:
            stem = jp.name[len("recos_runs"):-len(".json")]
            for f in (jp, where / f"recos_preds{stem}.npz", where / f"recos_weights{stem}.npz"):
                if f.exists():
                    f.unlink()
    return results


def load_results(where=None):
    """The cached results (see :func:`run_experiments`); ``FileNotFoundError`` names the command
    that makes them."""
    path = Path(cache_dir() if where is None else where) / "recos_runs.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; from book/ run `python -m experiments.recos_runs`")
    return json.loads(path.read_text())


def load_preds(where=None):
    """The cached predictions and true-class ranks: a dict ``"<name>|<seed>|<array>"`` -> array."""
    path = Path(cache_dir() if where is None else where) / "recos_preds.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; from book/ run `python -m experiments.recos_runs`")
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def load_model(name, where=None):
    """The cached trained network of ``name`` (one of :data:`KEEP_WEIGHTS`, seed 0) or
    ``"anchor"`` (the long run of :data:`ANCHOR_RUN`)."""
    path = Path(cache_dir() if where is None else where) / "recos_weights.npz"
    if name != "anchor" and name not in KEEP_WEIGHTS:
        raise ValueError(f"name must be 'anchor' or one of {KEEP_WEIGHTS}; got {name!r}")
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; from book/ run `python -m experiments.recos_runs`")
    key = "anchor" if name == "anchor" else _key(name, 0)
    with np.load(path) as z:
        ws = [z[k] for k in sorted((k for k in z.files if k.startswith(key + "|")),
                                   key=lambda k: int(k.rsplit("|", 1)[1]))]
    if not ws:
        raise FileNotFoundError(f"{path} holds no weights for {name!r}")
    model = build_model(ANCHOR_RUN["name"] if name == "anchor" else name, 0)
    model.set_weights(ws)
    return model


def metric_by_seed(results, name, metric):
    """``{seed: value}`` of ``metric`` (a key of :data:`recos_rule.METRICS`) for condition ``name``."""
    if metric not in rule.METRICS:
        raise ValueError(f"metric must be one of {sorted(rule.METRICS)}; got {metric!r}")
    out = {}
    for r in results["runs"]:
        if r["name"] == name and not r.get("anchor"):
            out[r["seed"]] = ((r["acc_normal"] + r["acc_inverted"]) / 2 if metric == "both_mean"
                              else r[f"acc_{metric}"])
    return out


def format_pm(values):
    """``'97.2 % (96.9–97.5)'``: mean and range over seeds, in percent, one decimal."""
    v = 100 * np.asarray(list(values), float)
    return f"{v.mean():.1f} % ({v.min():.1f}–{v.max():.1f})"


def summarize(results):
    """One row per condition present: name, seeds, and mean (min–max) of the two accuracies and
    of their mean."""
    rows = []
    for n in CONDITIONS:
        accs = {m: metric_by_seed(results, n, m) for m in rule.METRICS}
        if not accs["normal"]:
            continue
        rows.append(dict(name=n, n=len(accs["normal"]),
                         **{m: format_pm(a.values()) for m, a in accs.items()}))
    return rows


def verdicts(results):
    """Apply the decision rule to every pre-registered comparison whose conditions are cached.

    Returns a list of dicts: ``id``, ``question``, ``a``, ``b``, ``metric``, the rule's output
    (``n``, ``mean``, ``lo``, ``hi``, ``dz``, ``verdict``) and ``sentence``
    (:func:`recos_rule.verdict_sentence`).
    """
    out = []
    for cid, a, b, metric, question in rule.COMPARISONS:
        va, vb = metric_by_seed(results, a, metric), metric_by_seed(results, b, metric)
        if not va or not vb:
            continue
        res = rule.paired_rule(va, vb)
        out.append(dict(id=cid, question=question, a=a, b=b, metric=metric, **res,
                        sentence=rule.verdict_sentence(res, a, b)))
    return out


def html_table(rows, columns):
    """An HTML table of ``rows`` (dicts) with ``columns`` (list of (key, header)), for notebooks
    (Jupyter Book renders Markdown outputs as CommonMark, which has no tables)."""
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for _, h in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(r[k]))}</td>" for k, _ in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Train and cache chapter 11's runs (one BLAS thread).")
    ap.add_argument("--part", type=int, default=None, help="write to a part file (for parallel workers)")
    ap.add_argument("--of", type=int, default=1, help="number of workers; this one takes every --of-th job")
    ap.add_argument("--merge", action="store_true", help="only merge the part files into the main cache")
    args = ap.parse_args()
    if args.merge:
        merge_parts()
    else:
        names = RUN_ORDER
        seeds = list(TRAINING["seeds"])
        if args.part is not None and args.of > 1:
            # split by seed: worker k takes seeds k, k + of, ...; the anchor run goes to worker 0
            seeds = seeds[args.part::args.of]
        run_experiments(names, seeds, part=args.part, anchor_run=(args.part in (None, 0)))
