"""LeNet-5 on scikit-learn's digits: the training runs of chapter 10 and of the recipe appendix,
with their on-disk caches.

The mathematics (the network, the losses, the optimisers, ``fit``/``fit_scheduled``, the
augmentation ``random_affine``, the cosine schedule) lives in ``cnnlab``; this module only
decides *which* runs the book shows, on *which* data, and stores them.

Data (:func:`digits_split`): ``cnnlab.data.load_digits``'s stratified split (seed 0) keeps 359
of the 1 797 images as the **test set**, used once, for the final number of a run. The 1 438
training images are split again, stratified with seed 0, into 1 150 images to **fit** on and
288 for **validation**: every per-epoch curve in the book is read on the validation images.

Reproducibility: every run is seeded (start weights, shuffles, augmentations) and runs with one
BLAS thread (``threadpoolctl``), so a rerun with the same ``cnnlab`` on the same machine rewrites
the same numbers.  A change to cnnlab's arithmetic (a faster convolution) moves the float32 weights
in the last bits: measured once, largest weight difference 9e-7, the same test accuracies.

Caches (under ``<project root>/cache``, never the installed package's folder):
``ch10_plain.npz`` (the plain run) and ``ch10_recipe.npz`` (the recipe, three seeds).
"""
import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "cache"
PLAIN_CACHE = CACHE_DIR / "ch10_plain.npz"
RECIPE_CACHE = CACHE_DIR / "ch10_recipe.npz"

#: The plain run of chapter 10: Adam, learning rate 0.002, minibatches of 32, 12 epochs,
#: float32, LeCun's input values, seed 0.  Set by hand when the chapter was first written (a
#: common Adam setting, not tuned by any search); chapter 10 shows its validation curves.
PLAIN_SETTINGS = {"epochs": 12, "batch_size": 32, "learning_rate": 0.002, "seed": 0}

#: The recipe (appendix): SGD with momentum 0.9, batch 32, learning rate 0.05 falling to 0 on a
#: cosine over every minibatch, 30 epochs, label smoothing 0.1, every minibatch moved by
#: ``cnnlab.data.random_affine`` (shift ±2 px, rotation ±10°, scale 0.9…1.1), LeCun's input
#: values, Glorot-uniform start, float32.  ``lenet_select.py`` reruns the cross-validation
#: that compares its ingredients.
RECIPE_SETTINGS = {"epochs": 30, "batch_size": 32, "learning_rate": 0.05, "momentum": 0.9,
                   "label_smoothing": 0.1, "max_shift": 2.0, "max_rotation": 10.0,
                   "max_scale": 0.1}

RECIPE_SEEDS = (0, 1, 2)
VAL_SIZE = 0.2
_HIST_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")


@contextlib.contextmanager
def one_thread():
    """Run the enclosed code with one BLAS/OpenMP thread, so that sums are done in the same
    order on every run (caches reproduce bit for bit with the same code on the same machine)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def digits_split(normalize="lecun", dtype=np.float32, val_size=VAL_SIZE, seed=0):
    """``(x_fit, y_fit), (x_val, y_val), (x_test, y_test)``: the chapter's 32×32 digits.

    Inputs:
    - normalize: "lecun" (background −0.1, ink 1.175) or "unit" ([0, 1])
    - dtype: float32 (training) or float64 (gradient checks)
    - val_size: fraction of the 1 438 training images held out for validation (stratified)
    - seed: seed of the validation split (the test split is always load_digits's seed 0)
    """
    from sklearn.model_selection import train_test_split

    from cnnlab.data import load_digits

    (xtr, ytr), test = load_digits(size=32, digit_size=28, normalize=normalize, seed=0, dtype=dtype)
    idx_fit, idx_val = train_test_split(np.arange(len(ytr)), test_size=val_size,
                                        random_state=seed, stratify=ytr)
    idx_fit, idx_val = np.sort(idx_fit), np.sort(idx_val)
    return (xtr[idx_fit], ytr[idx_fit]), (xtr[idx_val], ytr[idx_val]), test


def save_npz_atomic(path, **arrays):
    """``np.savez_compressed`` to a temporary file next to ``path``, then an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _history(h, keys=("loss", "accuracy", "val_loss", "val_accuracy")):
    hist = {k: list(map(float, h.history[k])) for k in keys if k in h.history}
    hist["seconds"] = list(map(float, h.seconds))
    return hist


# ----------------------------------------------------------------------------- the plain run
def train_plain(epochs=None, seed=None, data=None, verbose=0):
    """Train ``lenet5()`` with :data:`PLAIN_SETTINGS` on the fit images, with per-epoch curves
    on the validation images; the test set is evaluated once, at the end.

    Returns ``(model, history)``: per-epoch lists ``loss``, ``accuracy`` (fit images),
    ``val_loss``, ``val_accuracy`` (validation images), ``seconds``, and the floats
    ``test_loss``, ``test_accuracy``.
    """
    from cnnlab.models import lenet5
    from cnnlab.optim import Adam

    s = dict(PLAIN_SETTINGS)
    s["epochs"] = s["epochs"] if epochs is None else epochs
    s["seed"] = s["seed"] if seed is None else seed
    fit_set, val, test = digits_split() if data is None else data
    with one_thread():
        model = lenet5(seed=s["seed"], dtype=np.float32)
        model.compile(loss="sparse_categorical_crossentropy", optimizer=Adam(s["learning_rate"]),
                      metrics=["accuracy"])
        h = model.fit(*fit_set, epochs=s["epochs"], batch_size=s["batch_size"], seed=s["seed"],
                      validation_data=val, verbose=verbose)
        hist = _history(h)
        hist["test_loss"], hist["test_accuracy"] = map(float, model.evaluate(*test))
    return model, hist


def _weights_arrays(prefix, model):
    ws = model.get_weights()
    return len(ws), {f"{prefix}w{i}": w.astype(np.float32) for i, w in enumerate(ws)}


def load_or_train_plain(path=PLAIN_CACHE, retrain=False, verbose=0):
    """The plain run, from the cache ``path`` or trained (and written) when the file is
    missing or ``retrain`` is true.  Returns ``(model, history)`` as :func:`train_plain`."""
    from cnnlab.models import lenet5

    path = Path(path)
    if not retrain and path.exists():
        with np.load(path) as z:
            if "h_test_accuracy" in z.files:
                model = lenet5(seed=PLAIN_SETTINGS["seed"], dtype=np.float32)
                model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                model.set_weights([z[f"w{i}"] for i in range(int(z["n_weights"]))])
                hist = {k: z[f"h_{k}"].tolist() for k in _HIST_KEYS}
                hist["test_loss"] = float(z["h_test_loss"])
                hist["test_accuracy"] = float(z["h_test_accuracy"])
                return model, hist
    model, hist = train_plain(verbose=verbose)
    n, arrays = _weights_arrays("", model)
    save_npz_atomic(path, n_weights=n, **arrays,
                    **{f"h_{k}": np.asarray(v) for k, v in hist.items()})
    return model, hist


# ---------------------------------------------------------------------------------- the recipe
def recipe_augment(xb, rng):
    """The recipe's augmentation of one minibatch ``xb`` (N, 32, 32, 1)."""
    from cnnlab.data import random_affine

    s = RECIPE_SETTINGS
    return random_affine(xb, rng, s["max_shift"], s["max_rotation"], s["max_scale"])


class _EpochEnds:
    """The cosine learning rate of one run, which also evaluates the model on ``watch`` data at
    the end of every epoch (it is called once per minibatch, before the update, so at
    ``t = k·steps`` epoch k has just ended).  It draws no random numbers and changes no
    weights: the run is the same as with the bare schedule."""

    def __init__(self, model, steps, total, lr, watch, bar=None):
        self.model, self.steps, self.total, self.lr = model, steps, total, lr
        self.watch, self.bar = watch, bar
        self.val_loss, self.val_accuracy = [], []

    def evaluate(self):
        loss, acc = self.model.evaluate(*self.watch)
        self.val_loss.append(float(loss))
        self.val_accuracy.append(float(acc))

    def __call__(self, t):
        from cnnlab.optim import cosine_decay

        if t and t % self.steps == 0:
            self.evaluate()
        if self.bar is not None:
            self.bar.update(1)
        return cosine_decay(t, self.total, self.lr)


def train_recipe(seed=0, epochs=None, data=None, verbose=0):
    """Train ``lenet5(init="glorot_uniform")`` with :data:`RECIPE_SETTINGS` on the fit images,
    per-epoch curves on the validation images, the test set once at the end.

    Inputs: seed (start weights, shuffles and augmentations), epochs (override the 30; the
    learning rate still reaches 0 at the end), data (as :func:`digits_split` returns),
    verbose (1: a tqdm bar over the minibatches).

    Returns ``(model, history)``: ``loss``/``accuracy`` per epoch on the augmented fit
    minibatches (loss against the smoothed targets), ``val_loss``/``val_accuracy`` per epoch
    (plain cross-entropy), ``seconds``, ``seed``, ``test_loss``, ``test_accuracy``.
    """
    from cnnlab.models import lenet5
    from cnnlab.optim import SGD
    from cnnlab.training import fit_scheduled

    s = RECIPE_SETTINGS
    epochs = s["epochs"] if epochs is None else epochs
    fit_set, val, test = digits_split() if data is None else data
    with one_thread():
        model = lenet5(seed=seed, dtype=np.float32, init="glorot_uniform")
        model.compile(loss="sparse_categorical_crossentropy",
                      optimizer=SGD(s["learning_rate"], momentum=s["momentum"]),
                      metrics=["accuracy"])
        steps = -(-len(fit_set[1]) // s["batch_size"])
        bar = None
        if verbose:
            from tqdm.auto import tqdm
            bar = tqdm(total=epochs * steps, unit="batch", desc=f"recipe, seed {seed}")
        watch = _EpochEnds(model, steps, epochs * steps, s["learning_rate"], val, bar)
        h = fit_scheduled(model, *fit_set, epochs, watch, batch_size=s["batch_size"], seed=seed,
                          augment=recipe_augment, label_smoothing=s["label_smoothing"])
        if epochs:
            watch.evaluate()
        if bar is not None:
            bar.close()
        hist = _history(h, ("loss", "accuracy"))
        hist.update(val_loss=watch.val_loss, val_accuracy=watch.val_accuracy, seed=int(seed))
        hist["test_loss"], hist["test_accuracy"] = map(float, model.evaluate(*test))
    return model, hist


def load_or_train_recipe(path=RECIPE_CACHE, seeds=RECIPE_SEEDS, retrain=False, verbose=0):
    """The recipe's trained LeNet-5s, one per seed, from the cache or trained (and written,
    atomically) when the file is missing, holds other seeds, or ``retrain`` is true.

    Returns ``(models, histories)``: dicts keyed by seed, values as :func:`train_recipe`.
    """
    from cnnlab.models import lenet5

    path, seeds = Path(path), [int(s) for s in seeds]
    if not retrain and path.exists():
        with np.load(path) as z:
            if "seeds" in z.files and [int(s) for s in z["seeds"]] == seeds \
                    and f"s{seeds[0]}_test_accuracy" in z.files:
                models, hists = {}, {}
                for s in seeds:
                    m = lenet5(seed=s, dtype=np.float32, init="glorot_uniform")
                    m.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                    m.set_weights([z[f"s{s}_w{i}"] for i in range(int(z["n_weights"]))])
                    models[s] = m
                    hists[s] = {k: z[f"s{s}_{k}"].tolist() for k in _HIST_KEYS}
                    hists[s].update(seed=s, test_loss=float(z[f"s{s}_test_loss"]),
                                    test_accuracy=float(z[f"s{s}_test_accuracy"]))
                return models, hists
    models, hists, arrays = {}, {}, {"seeds": np.array(seeds)}
    for s in seeds:
        models[s], hists[s] = train_recipe(seed=s, verbose=verbose)
        n, ws = _weights_arrays(f"s{s}_", models[s])
        arrays["n_weights"] = n
        arrays.update(ws)
        arrays.update({f"s{s}_{k}": np.asarray(v) for k, v in hists[s].items() if k != "seed"})
    save_npz_atomic(path, **arrays)
    return models, hists


if __name__ == "__main__":      # python book/experiments/lenet_runs.py: retrain both caches
    m, h = load_or_train_plain(retrain=True, verbose=0)
    print(f"plain: validation {h['val_accuracy'][-1]:.4f}, test {h['test_accuracy']:.4f}, "
          f"{sum(h['seconds']):.0f} s")
    ms, hs = load_or_train_recipe(retrain=True, verbose=0)
    for s, hh in hs.items():
        print(f"recipe seed {s}: validation {hh['val_accuracy'][-1]:.4f}, "
              f"test {hh['test_accuracy']:.4f}, {sum(hh['seconds']):.0f} s")
