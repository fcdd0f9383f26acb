"""LeNet-5 trained on the real digits: learning curves, confusion matrix, learned filters, and
an explorer of one test image's feature maps (chapter 10).

The training runs and their caches live next to the book (``book/experiments/lenet_runs.py``);
this module draws what they produce.

- :func:`confusion_matrix`, :func:`plot_history`, :func:`plot_confusion`, :func:`plot_filters`.
- :class:`LenetExplorer` (state: which test image, which layer), :func:`panel` (its frames,
  drawn ahead by :func:`frame`, so it works on the website too) and
  :func:`static_lenet_explorer` (one image's C1 maps as a figure).
"""

import numpy as np

from .._extras import require

__all__ = ["confusion_matrix", "plot_history", "plot_confusion", "plot_filters", "LenetExplorer", "panel",
           "frame", "static_lenet_explorer", "feature_maps"]

def _test_split(dtype=np.float32):
    from ..data import load_digits
    return load_digits(size=32, digit_size=28, normalize="lecun", seed=0, dtype=dtype)[1]


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
    plt = require("matplotlib.pyplot", "(widgets)")

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
    plt = require("matplotlib.pyplot", "(widgets)")

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
    plt = require("matplotlib.pyplot", "(widgets)")

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
    - model: a trained LeNet-5 (chapter 10 passes the one of ``experiments.lenet_runs``)
    - data: ``(x_test, y_test)`` (default: the chapter's test split)

    Controls: ``index`` (test image) and ``layer`` (one of :attr:`LAYERS`); :meth:`set` clips.
    """

    LAYERS = ("C1", "S2", "C3", "S4")

    def __init__(self, model=None, data=None):
        if model is None:
            raise TypeError("model: pass a trained LeNet-5 (chapter 10 uses "
                            "experiments.lenet_runs.load_or_train_plain())")
        if data is None:
            data = _test_split(np.dtype(model.dtype).type)
        self.model = model
        self.x, self.y = data
        self.index, self.layer = 0, "C1"
        self.probs = model.predict(self.x)
        self.pred = self.probs.argmax(axis=1)

    def set(self, index=None, layer=None):
        """Choose the test image ``index`` and/or the ``layer`` (one of ``LAYERS``) whose maps are shown."""
        if layer is not None:
            if layer not in self.LAYERS:
                raise ValueError(f"layer must be one of {self.LAYERS}; got {layer!r}")
            self.layer = layer
        if index is not None:
            self.index = int(min(max(int(index), 0), len(self.x) - 1))
        return self

    def panel_indices(self, n_wrong=3):
        """Test images worth a look: the first of each digit, then the first ``n_wrong`` that
        the network gets wrong (those not already listed).  Returns a list of indices."""
        first = [int(np.flatnonzero(self.y == d)[0]) for d in np.unique(self.y)]
        wrong = [int(i) for i in np.flatnonzero(self.pred != self.y) if i not in first]
        return first + wrong[:int(n_wrong)]

    def maps(self):
        """The chosen layer's output for the chosen image: (H, W, C)."""
        return feature_maps(self.model, self.x[self.index])[self.layer]

    def caption(self):
        """One line under the figure: the image's number, true label, prediction and its probability."""
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


#: size of the panel's figure in inches (drawn at 72 dpi)
FIGSIZE = (8, 3.6)


def frame(explorer):
    """One frame of the panel for ``explorer``: (PNG bytes, alt text, caption HTML), drawn by
    :meth:`LenetExplorer.draw` on a :data:`FIGSIZE` figure."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    ex = explorer
    fig = ex.draw(Figure(figsize=FIGSIZE))
    h, w, n = ex.maps().shape
    i = ex.index
    alt = (f"Test image {i} (a {int(ex.y[i])}), a bar chart of the network's ten output "
           f"probabilities (highest: {int(ex.pred[i])}, p = {ex.probs[i, ex.pred[i]]:.2f}) and the "
           f"{n} feature maps of layer {ex.layer}, each {h} by {w}, in grey.")
    caption = f"{ex.caption()}; layer {ex.layer}: {n} maps of {h}×{w}"
    return _frames.png(fig, dpi=72), alt, caption


def panel(explorer=None, indices=None, n_wrong=3):
    """The panel, every frame drawn ahead (works on the website with no kernel).

    Controls: a test image (``indices``; default :meth:`LenetExplorer.panel_indices`, the first
    test image of each digit and the first ``n_wrong`` the network gets wrong) and a layer
    (every layer of :attr:`LenetExplorer.LAYERS`).  Every frame is :func:`frame` of the explorer
    moved with :meth:`LenetExplorer.set`.  Returns the panel ``VBox`` (``.choices``,
    ``.select(...)``, ``.current()``, ``.current_values()``, ``.frames``) with ``.explorer``.
    """
    from . import _frames

    ex = explorer if explorer is not None else LenetExplorer()
    idx = ex.panel_indices(n_wrong) if indices is None else [int(i) for i in indices]
    bad = [i for i in idx if not 0 <= i < len(ex.x)]
    if bad or not idx:
        raise ValueError(f"indices must be test images 0..{len(ex.x) - 1} (at least one); got {bad or idx}")
    labels = [f"#{i}: a {int(ex.y[i])}" + ("" if ex.pred[i] == ex.y[i] else
                                            f", read as {int(ex.pred[i])}") for i in idx]
    c_index = _frames.Choice("index", idx, labels, description="test image", kind="dropdown")
    c_layer = _frames.Choice("layer", ex.LAYERS, description="layer", kind="toggle")

    def render(index, layer):
        return frame(ex.set(index=index, layer=layer))

    box = _frames.frame_panel([[c_index, c_layer]], render)
    box.explorer = ex
    return box


def static_lenet_explorer(explorer=None, index=None):
    """The first misclassified test image (or ``index``), its output and its C1 maps."""
    plt = require("matplotlib.pyplot", "(widgets)")

    ex = explorer if explorer is not None else LenetExplorer()
    if index is None:
        wrong = np.flatnonzero(ex.pred != ex.y)
        index = int(wrong[0]) if len(wrong) else 0
    ex.set(index=index, layer="C1")
    fig = plt.figure(figsize=(8, 3.6))
    ex.draw(fig)
    return fig


__all__ += ["plot_augmented", "plot_recipe_curves"]


def plot_augmented(image, n=7, seed=0):
    """One image and ``n`` random versions of it made by :func:`cnnlab.data.random_affine` with the
    recipe's ranges (shift ±2 px, rotation ±10°, scale 0.9…1.1), seeded."""
    plt = require("matplotlib.pyplot", "(widgets)")

    from ..data import random_affine

    x = np.repeat(np.asarray(image)[None], n, axis=0)
    moved = random_affine(x, np.random.default_rng(seed), 2.0, 10.0, 0.1)
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
    plt = require("matplotlib.pyplot", "(widgets)")

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
