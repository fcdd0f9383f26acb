"""LeNet-5 trained on the real digits: cached training, learning curves, confusion matrix,
learned filters, and an explorer of one test image's feature maps (chapter 10).

- :func:`load_or_train` — load weights and history from an ``.npz`` cache, or train (seeded)
  and write the cache when it is missing; one call either way.
- :func:`confusion_matrix`, :func:`plot_history`, :func:`plot_confusion`, :func:`plot_filters`.
- :class:`LenetExplorer` (state: which test image, which layer), :func:`panel` (ipywidgets) and
  :func:`static_lenet_explorer` (the static twin).
"""
import io
import os

import numpy as np

__all__ = ["DEFAULT_CACHE", "TRAIN_SETTINGS", "train_lenet", "load_or_train", "confusion_matrix",
           "plot_history", "plot_confusion", "plot_filters", "LenetExplorer", "panel",
           "static_lenet_explorer", "feature_maps"]

#: Where chapter 10 keeps its trained LeNet-5 (relative to the repository root).
DEFAULT_CACHE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "cache", "ch10_lenet5.npz")

#: The training run of chapter 10 (Adam, lr 0.002, batch 32, float32, LeCun's input scaling).
TRAIN_SETTINGS = {"epochs": 12, "batch_size": 32, "learning_rate": 0.002, "seed": 0}

_HIST_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


def _data(dtype=np.float32):
    from ..data import load_digits
    return load_digits(size=32, digit_size=28, normalize="lecun", seed=0, dtype=dtype)


def train_lenet(epochs=None, seed=None, verbose=0):
    """Train :func:`cnnlab.models.lenet5` on the digits with :data:`TRAIN_SETTINGS`.

    Inputs:
    - epochs, seed: override the settings (int); verbose: 1 shows fit's tqdm bar

    Returns ``(model, history)`` with ``history`` a dict of per-epoch lists
    (loss, accuracy, val_loss, val_accuracy) and ``seconds`` per epoch.
    """
    from ..models import lenet5
    from ..optim import Adam

    s = dict(TRAIN_SETTINGS)
    if epochs is not None:
        s["epochs"] = epochs
    if seed is not None:
        s["seed"] = seed
    (xtr, ytr), (xte, yte) = _data()
    model = lenet5(seed=s["seed"], dtype=np.float32)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=Adam(s["learning_rate"]),
                  metrics=["accuracy"])
    h = model.fit(xtr, ytr, epochs=s["epochs"], batch_size=s["batch_size"], seed=s["seed"],
                  validation_data=(xte, yte), verbose=verbose)
    hist = {k: list(map(float, h.history[k])) for k in _HIST_KEYS}
    hist["seconds"] = list(map(float, h.seconds))
    return model, hist


def load_or_train(path=None, retrain=False, verbose=0):
    """The trained LeNet-5 of chapter 10, from the cache or freshly trained.

    Inputs:
    - path: the ``.npz`` cache (default :data:`DEFAULT_CACHE`); written when missing
    - retrain: True trains again (seeded, so the same numbers) and overwrites the cache
    - verbose: passed to ``fit`` when training

    Returns ``(model, history)`` as :func:`train_lenet`.
    """
    from ..models import lenet5

    path = DEFAULT_CACHE if path is None else os.fspath(path)
    if not retrain and os.path.exists(path):
        with np.load(path) as z:
            n = int(z["n_weights"])
            model = lenet5(seed=TRAIN_SETTINGS["seed"], dtype=np.float32)
            model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.set_weights([z[f"w{i}"] for i in range(n)])
            hist = {k: z[f"h_{k}"].tolist() for k in _HIST_KEYS + ("seconds",)}
        return model, hist
    model, hist = train_lenet(verbose=verbose)
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    ws = model.get_weights()
    np.savez_compressed(path, n_weights=len(ws), **{f"w{i}": w for i, w in enumerate(ws)},
                        **{f"h_{k}": np.asarray(v) for k, v in hist.items()})
    return model, hist


def confusion_matrix(y_true, y_pred, n_classes=10):
    """``C[i, j]`` = number of samples of class i predicted as j.

    Inputs: y_true, y_pred: integer labels of shape (N,); n_classes: int.
    Returns an (n_classes, n_classes) int64 array.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length; got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (y_true.astype(int), y_pred.astype(int)), 1)
    return C


def plot_history(hist, ax=None):
    """Learning curves: loss and accuracy per epoch, training and validation (``val_*``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
    else:
        fig = ax[0].figure
    ep = np.arange(1, len(hist["loss"]) + 1)
    ax[0].plot(ep, hist["loss"], "o-", label="training")
    ax[0].plot(ep, hist["val_loss"], "s--", label="validation")
    ax[0].set(xlabel="epoch", ylabel="cross-entropy E", title="loss")
    ax[1].plot(ep, 100 * np.asarray(hist["accuracy"]), "o-", label="training")
    ax[1].plot(ep, 100 * np.asarray(hist["val_accuracy"]), "s--", label="validation")
    ax[1].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for a in ax:
        a.legend()
        a.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_confusion(C, ax=None):
    """Heat map of a confusion matrix with counts written in the cells."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(4.6, 4.2))
    else:
        fig = ax.figure
    ax.imshow(C, cmap="Blues")
    for (i, j), v in np.ndenumerate(C):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                    color="w" if v > C.max() / 2 else "k")
    ax.set(xlabel="predicted digit", ylabel="true digit", xticks=range(len(C)), yticks=range(len(C)),
           title="confusion matrix (test set)")
    fig.tight_layout()
    return fig


def plot_filters(model):
    """The six 5×5 kernels of C1 (Keras layout (kh, kw, 1, 6)) as grey images."""
    import matplotlib.pyplot as plt

    k = model.layers[0].get_weights()[0]
    fig, axes = plt.subplots(1, k.shape[-1], figsize=(1.4 * k.shape[-1], 1.7))
    for f, ax in enumerate(axes):
        ax.imshow(k[:, :, 0, f], cmap="gray")
        ax.set_title(f"C1 kernel {f}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def feature_maps(model, x):
    """Outputs of every layer for one image x (32, 32, 1): a dict layer name → array (channels last)."""
    a = np.asarray(x, dtype=model.dtype)[None]
    out = {}
    for layer in model.layers:
        a = layer.forward(a)
        out[layer.name] = a[0]
    return out


class LenetExplorer:
    """State of the explorer: one test image and one layer of a LeNet-5.

    Inputs to the constructor:
    - model: a built LeNet-5 (default: :func:`load_or_train`)
    - data: ``(x_test, y_test)`` (default: the chapter's test split)

    Controls: ``index`` (test image) and ``layer`` (one of :attr:`LAYERS`); :meth:`set` clips.
    """

    LAYERS = ("C1", "S2", "C3", "S4")

    def __init__(self, model=None, data=None):
        if model is None:
            model, _ = load_or_train()
        if data is None:
            _, data = _data(np.dtype(model.dtype).type)
        self.model = model
        self.x, self.y = data
        self.index, self.layer = 0, "C1"
        self.probs = model.predict(self.x)
        self.pred = self.probs.argmax(axis=1)

    def set(self, index=None, layer=None):
        if layer is not None:
            if layer not in self.LAYERS:
                raise ValueError(f"layer must be one of {self.LAYERS}; got {layer!r}")
            self.layer = layer
        if index is not None:
            self.index = int(min(max(int(index), 0), len(self.x) - 1))
        return self

    def maps(self):
        """The chosen layer's output for the chosen image: (H, W, C)."""
        return feature_maps(self.model, self.x[self.index])[self.layer]

    def caption(self):
        i = self.index
        return (f"test image {i}: true {int(self.y[i])}, predicted {int(self.pred[i])} "
                f"(p = {self.probs[i, self.pred[i]]:.2f})")

    def draw(self, fig):
        """Draw the image and the chosen layer's maps into a Matplotlib figure."""
        m = self.maps()
        n = m.shape[-1]
        ncols = min(n, 8)
        nrows = 1 + -(-n // ncols)
        fig.clear()
        ax = fig.add_subplot(nrows, ncols, 1)
        ax.imshow(self.x[self.index, :, :, 0], cmap="gray")
        ax.set_title("input", fontsize=8)
        ax.axis("off")
        ax = fig.add_subplot(nrows, ncols, 2)
        ax.bar(range(10), self.probs[self.index], color="tab:blue")
        ax.set_title("output p", fontsize=8)
        ax.set_xticks(range(10))
        ax.tick_params(labelsize=6)
        for k in range(n):
            ax = fig.add_subplot(nrows, ncols, ncols + k + 1)
            ax.imshow(m[:, :, k], cmap="gray")
            ax.set_title(f"{self.layer} map {k}", fontsize=7)
            ax.axis("off")
        fig.suptitle(self.caption(), fontsize=9)
        return fig


def panel(explorer=None):
    """Live panel: a slider for the test image and a dropdown for the layer.

    Returns a ``VBox`` with ``.explorer``, ``.controls``, ``.figure`` and ``.image`` attributes.
    """
    import ipywidgets as W
    from matplotlib.figure import Figure

    ex = explorer if explorer is not None else LenetExplorer()
    controls = {
        "index": W.IntSlider(value=ex.index, min=0, max=len(ex.x) - 1, description="test image"),
        "layer": W.Dropdown(options=list(ex.LAYERS), value=ex.layer, description="layer"),
    }
    fig = Figure(figsize=(8, 3.6))
    image = W.Image(format="png")

    def redraw(*_):
        ex.set(index=controls["index"].value, layer=controls["layer"].value)
        ex.draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=72)
        image.value = buf.getvalue()

    for w in controls.values():
        w.observe(redraw, names="value")
    redraw()
    box = W.VBox([W.HBox(list(controls.values())), image])
    box.explorer, box.controls, box.figure, box.image = ex, controls, fig, image
    return box


def static_lenet_explorer(explorer=None, index=None):
    """Static twin: the first misclassified test image (or ``index``), its output and its C1 maps."""
    import matplotlib.pyplot as plt

    ex = explorer if explorer is not None else LenetExplorer()
    if index is None:
        wrong = np.flatnonzero(ex.pred != ex.y)
        index = int(wrong[0]) if len(wrong) else 0
    ex.set(index=index, layer="C1")
    fig = plt.figure(figsize=(8, 3.6))
    ex.draw(fig)
    return fig


# ---------------------------------------------------------------------------------------------
# The recipe that takes LeNet-5 from about 97 % to about 99 % on the digits (chapter 10, last
# section): the default run of benchmarks/train_lenet.py, cached for several seeds.

#: Where chapter 10 keeps the recipe's three trained models (relative to the repository root).
RECIPE_CACHE = os.path.join(os.path.dirname(DEFAULT_CACHE), "ch10_lenet5_recipe.npz")

#: The recipe (benchmarks/train_lenet.py's defaults, chosen by 3-fold cross-validation inside
#: the training set): SGD with momentum 0.9, batch 32, learning rate 0.05 falling to 0 on a
#: cosine over every minibatch, 30 epochs, label smoothing 0.1, every minibatch moved by
#: :func:`cnnlab.data.random_affine` (shift ±2 px, rotation ±10°, scale 0.9…1.1), LeCun's
#: input values, Glorot-uniform start, float32.
RECIPE_SETTINGS = {"epochs": 30, "batch_size": 32, "learning_rate": 0.05, "momentum": 0.9,
                   "label_smoothing": 0.1, "max_shift": 2.0, "max_rotation": 10.0,
                   "max_scale": 0.1}

__all__ += ["RECIPE_CACHE", "RECIPE_SETTINGS", "recipe_augment", "train_recipe",
            "load_or_train_recipe", "plot_augmented", "plot_recipe_curves"]


def recipe_augment(xb, rng):
    """The recipe's augmentation of one minibatch ``xb`` (N, 32, 32, 1): each image gets its own
    random shift (±2 px), rotation (±10°) and scaling (0.9…1.1), drawn from ``rng``."""
    from ..data import random_affine

    s = RECIPE_SETTINGS
    return random_affine(xb, rng, s["max_shift"], s["max_rotation"], s["max_scale"])


class _EpochEnds:
    """The learning-rate schedule of one run, which also watches the run: it is called once per
    minibatch (step ``t``) before the update, so at ``t = k·steps`` epoch k has just ended and
    the model is evaluated on the test data.  It moves a tqdm bar when given one.  It draws no
    random numbers and changes no weights, so the run is the same as with the bare schedule."""

    def __init__(self, model, steps, total, lr, test, bar=None):
        self.model, self.steps, self.total, self.lr = model, steps, total, lr
        self.test, self.bar = test, bar
        self.val_loss, self.val_accuracy = [], []

    def evaluate(self):
        loss, acc = self.model.evaluate(*self.test)
        self.val_loss.append(float(loss))
        self.val_accuracy.append(float(acc))

    def __call__(self, t):
        from ..optim import cosine_decay

        if t and t % self.steps == 0:
            self.evaluate()
        if self.bar is not None:
            self.bar.update(1)
        return cosine_decay(t, self.total, self.lr)


def train_recipe(seed=0, epochs=None, data=None, verbose=0):
    """Train :func:`cnnlab.models.lenet5` with :data:`RECIPE_SETTINGS` (the default run of
    ``benchmarks/train_lenet.py`` for this seed).

    Inputs:
    - seed: start weights and the shuffling/augmentation stream (int)
    - epochs: override the recipe's 30 (the learning rate still falls to 0 at the end)
    - data: ``((x_train, y_train), (x_test, y_test))``, default the chapter's float32 split
    - verbose: 1 shows a tqdm bar over the minibatches

    Returns ``(model, history)``; ``history`` has per-epoch lists ``loss`` and ``accuracy``
    (training, on the augmented minibatches, loss against the smoothed targets), ``val_loss``
    and ``val_accuracy`` (test, plain cross-entropy), ``seconds``, and ``seed``.
    """
    from ..models import lenet5
    from ..optim import SGD
    from ..training import fit_scheduled

    s = RECIPE_SETTINGS
    epochs = s["epochs"] if epochs is None else epochs
    (xtr, ytr), test = _data() if data is None else data
    model = lenet5(seed=seed, dtype=np.float32, init="glorot_uniform")
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=SGD(s["learning_rate"], momentum=s["momentum"]), metrics=["accuracy"])
    steps = -(-len(xtr) // s["batch_size"])
    bar = None
    if verbose:
        from tqdm.auto import tqdm
        bar = tqdm(total=epochs * steps, unit="batch", desc=f"recipe, seed {seed}")
    watch = _EpochEnds(model, steps, epochs * steps, s["learning_rate"], test, bar)
    h = fit_scheduled(model, xtr, ytr, epochs, watch, batch_size=s["batch_size"], seed=seed,
                      augment=recipe_augment, label_smoothing=s["label_smoothing"])
    if epochs:
        watch.evaluate()       # the end of the last epoch
    if bar is not None:
        bar.close()
    hist = {k: list(map(float, h.history[k])) for k in ("loss", "accuracy")}
    hist.update(val_loss=watch.val_loss, val_accuracy=watch.val_accuracy,
                seconds=list(map(float, h.seconds)), seed=int(seed))
    return model, hist


def _save_npz_atomic(path, **arrays):
    """``np.savez_compressed`` to a temporary file next to ``path``, then an atomic rename."""
    import tempfile

    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp_", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)      # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_or_train_recipe(path=None, seeds=(0, 1, 2), retrain=False, verbose=1):
    """The recipe's trained LeNet-5s, one per seed, from the cache or freshly trained.

    Inputs:
    - path: the ``.npz`` cache (default :data:`RECIPE_CACHE`); written (atomically) when missing
      or when it does not hold exactly ``seeds``
    - seeds: the seeds to train (ints)
    - retrain: True trains every seed again (seeded: the same numbers on the same machine and
      thread count) and overwrites the cache
    - verbose: 1 shows a tqdm bar per seed while training (nothing when loading)

    Returns ``(models, histories)``: two dicts keyed by seed, values as :func:`train_recipe`.
    """
    from ..models import lenet5

    path = RECIPE_CACHE if path is None else os.fspath(path)
    seeds = [int(s) for s in seeds]
    keys = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")
    if not retrain and os.path.exists(path):
        with np.load(path) as z:
            if [int(s) for s in z["seeds"]] == seeds:
                models, hists = {}, {}
                for s in seeds:
                    m = lenet5(seed=s, dtype=np.float32, init="glorot_uniform")
                    m.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                    m.set_weights([z[f"s{s}_w{i}"] for i in range(int(z["n_weights"]))])
                    models[s] = m
                    hists[s] = {k: z[f"s{s}_{k}"].tolist() for k in keys}
                    hists[s]["seed"] = s
                return models, hists
    models, hists, arrays = {}, {}, {"seeds": np.array(seeds)}
    for s in seeds:
        models[s], hists[s] = train_recipe(seed=s, verbose=verbose)
        ws = models[s].get_weights()
        arrays["n_weights"] = len(ws)
        arrays.update({f"s{s}_w{i}": w.astype(np.float32) for i, w in enumerate(ws)})
        arrays.update({f"s{s}_{k}": np.asarray(hists[s][k]) for k in keys})
    _save_npz_atomic(path, **arrays)
    return models, hists


def plot_augmented(image, n=7, seed=0):
    """One image and ``n`` random versions of it made by :func:`recipe_augment` (seeded)."""
    import matplotlib.pyplot as plt

    x = np.repeat(np.asarray(image)[None], n, axis=0)
    moved = recipe_augment(x, np.random.default_rng(seed))
    fig, axes = plt.subplots(1, n + 1, figsize=(1.25 * (n + 1), 1.6))
    lo, hi = float(np.min(image)), float(np.max(image))
    for k, ax in enumerate(axes):
        img = image if k == 0 else moved[k - 1]
        ax.imshow(img[:, :, 0], cmap="gray_r", vmin=lo, vmax=hi)
        ax.set_title("original" if k == 0 else f"augmented {k}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_recipe_curves(plain, recipe):
    """Per-epoch learning curves of the plain run ``plain`` (a history) against the recipe's
    runs ``recipe`` (a dict seed → history), both read on their ``val_*`` data (the validation
    images).  Left: validation error in % (log scale).  Right: accuracy in %, validation solid,
    training (for the recipe: on augmented minibatches) dotted.
    (Losses are not compared: label smoothing caps the recipe's confidence, so its loss
    stays higher for the same predictions.)"""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
    runs = [("plain run", plain, "tab:gray", "s--")] + \
        [(f"recipe, seed {s}", h, f"C{k}", "-") for k, (s, h) in enumerate(sorted(recipe.items()))]
    for name, h, c, style in runs:
        ep = np.arange(1, len(h["val_accuracy"]) + 1)
        test = 100 * np.asarray(h["val_accuracy"])
        ax[0].plot(ep, 100 - test, style, color=c, label=name, ms=3)
        ax[1].plot(ep, test, style, color=c, label=f"{name}, validation", ms=3)
        ax[1].plot(ep, 100 * np.asarray(h["accuracy"]), ":", color=c, alpha=0.8)
    ax[0].set(xlabel="epoch", ylabel="validation error (%)", title="validation error (log scale)",
              yscale="log")
    ax[1].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy (dotted: training)",
              ylim=(90, 100.5))
    for a in ax:
        a.legend(fontsize=7)
        a.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig
