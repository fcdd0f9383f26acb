"""Minibatch training for :class:`cnnlab.Sequential`: ``fit``, ``evaluate``, ``History``.

Usage::

    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=SGD(0.05, momentum=0.9), metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10, batch_size=32,
                        validation_data=(x_test, y_test), seed=0, verbose=1)
    history.history["loss"], history.history["val_accuracy"]
    loss, acc = model.evaluate(x_test, y_test)

``fit`` shuffles with ``np.random.default_rng(seed)`` each epoch, so the same model seed, data
and ``seed`` give the same weights bit for bit.  ``verbose=1`` shows a tqdm progress bar
(``tqdm.auto``: a widget in Jupyter, text in a terminal); ``verbose=0`` is silent.

If ``compile`` was not called, ``fit`` uses cross-entropy when the last layer ends in a softmax
(mean squared error otherwise), ``SGD(0.01, momentum=0.9)`` and the accuracy metric for
classification.  With softmax + cross-entropy the gradient is the fused ``(p - t)/N`` at the
softmax's input.
"""
from __future__ import annotations

import time

import numpy as np

from ._validate import as_array
from .losses import CategoricalCrossentropy, get_loss
from .optim import SGD, get_optimizer

__all__ = ["History", "fit", "fit_scheduled", "evaluate", "train_step", "accuracy"]


class History:
    """What ``fit`` returns: ``history`` maps ``'loss'``, ``'accuracy'``, ``'val_loss'``,
    ``'val_accuracy'`` to per-epoch lists; ``epoch`` lists epoch indices; ``seconds`` the wall
    time of each epoch."""

    def __init__(self):
        self.history, self.epoch, self.seconds = {}, [], []

    def append(self, logs, seconds):
        self.epoch.append(len(self.epoch))
        self.seconds.append(seconds)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self):
        return f"<History {len(self.epoch)} epochs: {sorted(self.history)}>"


def accuracy(p, y):
    """Fraction of rows whose argmax equals the label (``y`` integer labels or one-hot)."""
    y = np.asarray(y)
    labels = y.argmax(axis=-1) if y.shape == p.shape else y.reshape(len(y))
    return float(np.mean(p.argmax(axis=-1) == labels))


def _defaults(model, loss, optimizer):
    last = model.layers[-1]
    softmax_out = getattr(last, "activation", None) == "softmax"
    loss = get_loss(loss) if loss is not None else (
        model.loss or get_loss("categorical_crossentropy" if softmax_out else "mse"))
    opt = get_optimizer(optimizer) if optimizer is not None else (
        model.optimizer or SGD(0.01, momentum=0.9))
    model.loss, model.optimizer = loss, opt
    if not model.metrics and isinstance(loss, CategoricalCrossentropy):
        model.metrics = ["accuracy"]
    return loss, opt, softmax_out


def train_step(model, xb, yb, loss, optimizer):
    """One minibatch: forward, backward, update. Returns ``(loss value, predictions)``."""
    p = model.forward(xb, training=True)
    softmax_out = getattr(model.layers[-1], "activation", None) == "softmax"
    if softmax_out and isinstance(loss, CategoricalCrossentropy):
        model.backward(loss.logit_gradient(p, yb).astype(p.dtype), preactivation=True)
    else:
        model.backward(loss.gradient(p, yb).astype(p.dtype))
    params, grads, masks = [], [], []
    for layer in model.layers:
        params += layer.weights
        grads += layer.grads
        masks += layer.trainable_masks
    optimizer.step(params, grads, masks)
    return loss.value(p, yb), p


def _check_xy(model, x, y, name="x"):
    x = model._check_x(x, name)
    y = np.asarray(y)
    if len(y) != len(x):
        raise ValueError(f"y must have one entry per sample of {name}: {len(x)}; got {len(y)}")
    return x, y


def fit(model, x, y, epochs=1, batch_size=32, validation_data=None, seed=None, verbose=1,
        shuffle=True, loss=None, optimizer=None, augment=None):
    """Train ``model`` on ``x`` (N, ...) channels last and ``y`` (labels (N,) or targets).

    ``augment``: optional ``f(x_batch, rng) -> x_batch`` applied to every training minibatch
    (e.g. :func:`cnnlab.data.random_shift`), drawing from the same seeded ``rng``.
    Returns a :class:`History`.  See the module docstring for defaults and reproducibility.
    """
    x, y = _check_xy(model, x, y)
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"epochs must be a non-negative int; got {epochs!r}")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    loss, opt, _ = _defaults(model, loss, optimizer)
    rng = np.random.default_rng(seed)
    hist = History()
    n = len(x)
    steps = -(-n // batch_size)
    bar = None
    if verbose:
        try:
            from tqdm.auto import tqdm
            bar = tqdm(total=epochs * steps, unit="batch", leave=True)
        except ImportError:  # pragma: no cover - tqdm is in requirements.txt
            bar = None
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n) if shuffle else np.arange(n)
        tot_loss, tot_acc = 0.0, 0.0
        for s in range(steps):
            idx = order[s * batch_size:(s + 1) * batch_size]
            xb = x[idx] if augment is None else augment(x[idx], rng)
            value, p = train_step(model, xb, y[idx], loss, opt)
            tot_loss += value * len(idx)
            if "accuracy" in model.metrics:
                tot_acc += accuracy(p, y[idx]) * len(idx)
            if bar is not None:
                bar.update(1)
                bar.set_description(f"epoch {epoch + 1}/{epochs} loss {tot_loss / min(n, (s + 1) * batch_size):.4f}")
        logs = {"loss": tot_loss / n}
        if "accuracy" in model.metrics:
            logs["accuracy"] = tot_acc / n
        if validation_data is not None:
            vx, vy = validation_data
            res = evaluate(model, vx, vy)
            logs["val_loss"] = res[0] if isinstance(res, list) else res
            if isinstance(res, list):
                logs["val_accuracy"] = res[1]
        hist.append(logs, time.perf_counter() - t0)
        if bar is not None:
            bar.set_postfix({k: round(v, 4) for k, v in logs.items()})
    if bar is not None:
        bar.close()
    model.history = hist
    return hist



def fit_scheduled(model, x, y, epochs, schedule, batch_size=32, seed=None, augment=None,
                  average_last=0, label_smoothing=0.0, loss=None, optimizer=None):
    """Like :func:`fit` (shuffled minibatches drawn from ``np.random.default_rng(seed)``, the
    same ``augment`` hook, no progress bar, no validation) with three extras:

    - ``schedule(step)``: learning rate of minibatch ``step`` (0-based over the whole run,
      ``epochs · ceil(N / batch_size)`` steps), written to ``optimizer.learning_rate`` before
      each step — e.g. ``lambda t: cosine_decay(t, total, 0.05)``;
    - ``average_last=k``: at the end, the weights become the mean of the weights at the ends
      of the last ``k`` epochs (Polyak averaging / "SWA" over epochs; unconnected C3 kernels
      stay zero because each snapshot has them zero);
    - ``label_smoothing=ε``: integer labels become targets ``(1 − ε)·onehot + ε/K``.

    Returns a :class:`History` with the training loss (against the smoothed targets) and
    accuracy per epoch."""
    x, y = _check_xy(model, x, y)
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"epochs must be a non-negative int; got {epochs!r}")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    if not (isinstance(average_last, int) and 0 <= average_last <= max(epochs, 0)):
        raise ValueError(f"average_last must be an int in 0..epochs={epochs}; got {average_last!r}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1); got {label_smoothing!r}")
    loss, opt, _ = _defaults(model, loss, optimizer)
    targets = y
    if label_smoothing:
        from .losses import to_one_hot

        K = model.output_shape[-1]
        targets = to_one_hot(y, K) * (1.0 - label_smoothing) + label_smoothing / K
    rng = np.random.default_rng(seed)
    hist = History()
    n = len(x)
    steps = -(-n // batch_size)
    total = None
    t = 0
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        tot_loss, tot_acc = 0.0, 0.0
        for s in range(steps):
            idx = order[s * batch_size:(s + 1) * batch_size]
            xb = x[idx] if augment is None else augment(x[idx], rng)
            opt.learning_rate = float(schedule(t))
            value, p = train_step(model, xb, targets[idx], loss, opt)
            t += 1
            tot_loss += value * len(idx)
            tot_acc += accuracy(p, y[idx]) * len(idx)
        if average_last and epoch >= epochs - average_last:
            w = model.get_weights()
            total = [a.astype(np.float64) for a in w] if total is None else \
                [a + b for a, b in zip(total, w)]
        hist.append({"loss": tot_loss / n, "accuracy": tot_acc / n}, time.perf_counter() - t0)
    if average_last:
        dtypes = [w.dtype for w in model.get_weights()]
        model.set_weights([(a / average_last).astype(d) for a, d in zip(total, dtypes)])
    model.history = hist
    return hist


def evaluate(model, x, y, batch_size=256):
    """``[loss, accuracy]`` if the model tracks accuracy, else the loss (a float)."""
    x, y = _check_xy(model, x, y)
    loss = model.loss or get_loss(
        "categorical_crossentropy" if getattr(model.layers[-1], "activation", None) == "softmax"
        else "mse")
    p = model.predict(x, batch_size=batch_size)
    value = loss.value(p, y)
    if "accuracy" in (model.metrics or []) or (not model.metrics and isinstance(loss, CategoricalCrossentropy)):
        return [value, accuracy(p, y)]
    return value
