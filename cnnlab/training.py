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

If ``compile`` was not called, ``fit`` uses cross-entropy when the last layer ends in a softmax,
binary cross-entropy when it is one sigmoid unit (mean squared error otherwise),
``SGD(0.01, momentum=0.9)`` and the accuracy metric for classification.  With softmax +
cross-entropy (or sigmoid + binary cross-entropy) the gradient is the fused ``(p - t)/N`` at the
last activation's input.

Metrics (``compile(metrics=...)``, a name or a list of names, as Keras): ``"accuracy"`` and its
aliases ``"acc"``, ``"categorical_accuracy"``, ``"sparse_categorical_accuracy"``,
``"binary_accuracy"`` (one output unit: threshold 0.5, as Keras); ``"mse"``/``"mean_squared_error"``
and ``"mae"``/``"mean_absolute_error"``.  The history keys are the names as given (``"acc"`` →
``history["acc"]``, ``history["val_acc"]``), as in Keras.

Everything is checked before the first step: ``x``, ``y`` and ``validation_data`` (shapes, one
label per sample, no NaN or inf, labels in range), ``epochs``, ``batch_size`` (NumPy integers are
fine), ``seed``, ``augment``.  A failed check leaves the model as it was.  If the loss (or a
gradient) becomes NaN or infinite, training stops with :class:`NonFiniteLossError` naming the
epoch and the batch, before that batch changes any weight.
"""
from __future__ import annotations

import time

import numpy as np

from ._validate import as_array, check_alloc, check_bool, check_finite, check_int, check_real, shape_str
from .losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError, get_loss
from .optim import SGD, get_optimizer

__all__ = ["History", "fit", "fit_scheduled", "evaluate", "train_step", "accuracy",
           "check_metrics", "METRICS", "NonFiniteLossError"]

#: metric names accepted by ``compile(metrics=...)`` -> what they compute
METRICS = {
    "accuracy": "accuracy", "acc": "accuracy", "categorical_accuracy": "accuracy",
    "sparse_categorical_accuracy": "accuracy", "binary_accuracy": "accuracy",
    "mse": "mse", "mean_squared_error": "mse", "mae": "mae", "mean_absolute_error": "mae",
}


class NonFiniteLossError(FloatingPointError, ValueError):
    """Training stopped: the loss or a gradient became NaN or infinite (a ``ValueError`` too)."""


def check_metrics(metrics):
    """``None``, a metric name or a list of names -> a list of lower-case names (see
    :data:`METRICS`); an unknown name is a ``ValueError`` listing the known ones."""
    if metrics is None:
        return []
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"metrics must be a metric name or a list of names, e.g. ['accuracy']; "
                        f"got {type(metrics).__name__} {metrics!r}")
    out = []
    for k, m in enumerate(metrics):
        if not isinstance(m, str):
            raise TypeError(f"metrics[{k}] must be a metric name (str); got {type(m).__name__} "
                            f"{m!r}; known names: {sorted(METRICS)}")
        key = m.lower()
        if key not in METRICS:
            raise ValueError(f"metrics: unknown metric {m!r}; known names: {sorted(METRICS)}")
        if key not in out:
            out.append(key)
    return out


def _metric(name, p, y):
    kind = METRICS[name]
    if kind == "accuracy":
        return accuracy(p, y)
    t = MeanSquaredError().targets(p, y)
    d = p - t
    return float(np.mean(d * d) if kind == "mse" else np.mean(np.abs(d)))


class History:
    """What ``fit`` returns: ``history`` maps ``'loss'``, ``'accuracy'``, ``'val_loss'``,
    ``'val_accuracy'`` to per-epoch lists; ``epoch`` lists epoch indices; ``seconds`` the wall
    time of each epoch."""

    def __init__(self):
        self.history, self.epoch, self.seconds = {}, [], []

    def append(self, logs, seconds):
        """Record one epoch: its metrics ``logs`` (name -> value) and its wall time in ``seconds``."""
        self.epoch.append(len(self.epoch))
        self.seconds.append(seconds)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self):
        return f"<History {len(self.epoch)} epochs: {sorted(self.history)}>"


def accuracy(p, y):
    """Fraction of rows whose argmax equals the label (``y`` integer labels or one-hot).

    With one output unit (``p`` of shape ``(N, 1)``) it is Keras's binary accuracy: the
    prediction ``p > 0.5`` against the label ``y > 0.5``."""
    p = as_array(p, "p")
    y = as_array(y, "y")
    if p.ndim < 1 or y.ndim < 1 or len(y) != len(p):
        raise ValueError(f"y must have one label per row of p; got p shape {shape_str(p.shape)}, "
                         f"y shape {shape_str(y.shape)}")
    if len(p) == 0:
        raise ValueError("accuracy of an empty batch is undefined (p has 0 rows)")
    if p.shape[-1] == 1 and y.size == p.size:
        return float(np.mean((p.reshape(-1) > 0.5) == (y.reshape(-1) > 0.5)))
    if y.shape == p.shape:
        labels = y.argmax(axis=-1)
    elif y.size == len(y):
        labels = y.reshape(len(y))
    else:
        raise ValueError(f"y must be labels (N,) or one-hot of the shape of p "
                         f"{shape_str(p.shape)}; got {shape_str(y.shape)}")
    return float(np.mean(p.argmax(axis=-1) == labels))


def _last_activation(model):
    return getattr(model.layers[-1], "activation", None)


def _resolve(model, loss, optimizer):
    """The loss, optimiser and metrics ``fit`` will use, without assigning them."""
    act = _last_activation(model)
    if loss is not None:
        loss = get_loss(loss)
    elif model.loss is not None:
        loss = model.loss
    elif act == "softmax":
        loss = get_loss("categorical_crossentropy")
    elif act == "sigmoid" and model.output_shape[-1] == 1:
        loss = get_loss("binary_crossentropy")
    else:
        loss = get_loss("mse")
    opt = get_optimizer(optimizer) if optimizer is not None else (
        model.optimizer or SGD(0.01, momentum=0.9))
    metrics = list(model.metrics)
    if not metrics and isinstance(loss, (CategoricalCrossentropy, BinaryCrossentropy)):
        metrics = ["accuracy"]
    return loss, opt, metrics


def _defaults(model, loss, optimizer):
    loss, opt, metrics = _resolve(model, loss, optimizer)
    model.loss, model.optimizer, model.metrics = loss, opt, metrics
    return loss, opt, _last_activation(model) == "softmax"


def _fused(model, loss):
    act = _last_activation(model)
    return (act == "softmax" and isinstance(loss, CategoricalCrossentropy)) or \
        (act == "sigmoid" and isinstance(loss, BinaryCrossentropy))


def train_step(model, xb, yb, loss, optimizer, where=""):
    """One minibatch: forward, backward, update. Returns ``(loss value, predictions)``.

    Raises :class:`NonFiniteLossError` (before any weight changes) if the loss or a gradient is
    NaN or infinite; ``where`` (e.g. ``"epoch 2, batch 5"``) goes into the message."""
    _check_model(model)
    p = model.forward(xb, training=True)
    value = loss.value(p, yb)
    at = f" at {where}" if where else ""
    if not np.isfinite(value):
        raise NonFiniteLossError(
            f"the loss became {value}{at} (predictions hold "
            f"{int(np.count_nonzero(~np.isfinite(p)))} NaN/inf entries); training stopped before "
            f"this batch changed any weight — try a smaller learning_rate or check the data")
    # dE/dx of the input is not needed: a first Conv2D may skip it (need_dx=False)
    if _fused(model, loss):
        model.backward(loss.logit_gradient(p, yb).astype(p.dtype), preactivation=True,
                       need_dx=False)
    else:
        model.backward(loss.gradient(p, yb).astype(p.dtype), need_dx=False)
    params, grads, masks = [], [], []
    for layer in model.layers:
        params += layer.weights
        grads += layer.grads
        masks += layer.trainable_masks
    for layer in model.layers:
        for name, g in zip(layer.weight_names, layer.grads):
            if not np.all(np.isfinite(g)):
                raise NonFiniteLossError(
                    f"the gradient of {name} of layer {layer.name!r} became NaN/inf{at} (loss "
                    f"{value:.6g}); training stopped before this batch changed any weight — try a "
                    f"smaller learning_rate")
    optimizer.step(params, grads, masks)
    return value, p


def _check_xy(model, x, y, name="x", yname="y"):
    x = model._check_x(x, name)
    y = as_array(y, yname)
    check_finite(y, yname)
    if y.ndim < 1 or len(y) != len(x):
        raise ValueError(f"{yname} must have one entry per sample of {name}: {len(x)} (x shape "
                         f"{shape_str(x.shape)}); got {yname} of shape {shape_str(y.shape)}")
    return x, y


def _check_targets(model, loss, y, yname="y"):
    """Check labels/targets against the model's output (range of labels, shape) cheaply."""
    out = tuple(model.output_shape[1:])
    n = min(len(y), 1024)
    check_alloc((n,) + out, 8, f"{yname}: a check of the targets")
    try:
        loss.targets(np.full((n,) + out, 0.5), y[:n])
        if len(y) > n:   # the rest in chunks, so that every label is checked
            for i in range(n, len(y), n):
                loss.targets(np.full((len(y[i:i + n]),) + out, 0.5), y[i:i + n])
    except ValueError as exc:
        msg = str(exc).replace("y must", f"{yname} must").replace("y:", f"{yname}:", 1)
        raise ValueError(f"{msg} (model output shape (N, {', '.join(map(str, out))}), loss "
                         f"{loss.name})") from None
    except TypeError as exc:
        raise TypeError(f"{yname}: {exc}") from None


def _check_fit_args(model, x, y, epochs, batch_size, seed, verbose, shuffle, loss, optimizer,
                    augment, validation_data):
    """Every check ``fit`` makes before training; returns the cleaned-up values."""
    epochs = check_int(epochs, "epochs", minimum=0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if seed is not None and not isinstance(seed, np.random.Generator):
        seed = check_int(seed, "seed", minimum=0)
    if isinstance(verbose, (bool, np.bool_)):
        verbose = int(verbose)
    verbose = check_int(verbose, "verbose", minimum=0, maximum=2)
    shuffle = check_bool(shuffle, "shuffle")
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be None or a function f(x_batch, rng) -> x_batch; got "
                        f"{type(augment).__name__} {augment!r}")
    x, y = _check_xy(model, x, y)
    if len(x) == 0:
        raise ValueError(f"x is empty (shape {shape_str(x.shape)}): there is nothing to train on")
    loss, opt, metrics = _resolve(model, loss, optimizer)
    _check_targets(model, loss, y)
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"validation_data must be a pair (x_val, y_val); got "
                            f"{type(validation_data).__name__}"
                            + (f" of length {len(validation_data)}"
                               if isinstance(validation_data, (tuple, list)) else ""))
        vx, vy = _check_xy(model, validation_data[0], validation_data[1], "validation_data[0]",
                           "validation_data[1]")
        if len(vx) == 0:
            raise ValueError("validation_data[0] is empty: there is nothing to validate on")
        _check_targets(model, loss, vy, "validation_data[1]")
        val = (vx, vy)
    model._check_activation_sizes(min(batch_size, len(x)), "fit")
    return x, y, epochs, batch_size, seed, verbose, shuffle, loss, opt, metrics, val


def _check_model(model):
    from .model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a cnnlab.Sequential; got {type(model).__name__} "
                        f"{model!r}"[:300])
    if not model.layers:
        raise ValueError("model has no layers; add some with model.add(...)")


def _checked(model, fn):
    """Run the argument checks ``fn`` and put the model back as it was if one fails (the first
    ``predict``/``fit`` may build the model)."""
    _check_model(model)
    snap = model._snapshot(model.layers)
    try:
        return fn()
    except BaseException:
        model._restore(snap)
        raise


def fit(model, x, y, epochs=1, batch_size=32, validation_data=None, seed=None, verbose=1,
        shuffle=True, loss=None, optimizer=None, augment=None):
    """Train ``model`` on ``x`` (N, ...) channels last and ``y`` (labels (N,) or targets).

    ``augment``: optional ``f(x_batch, rng) -> x_batch`` applied to every training minibatch
    (e.g. :func:`cnnlab.data.random_shift`), drawing from the same seeded ``rng``.
    Returns a :class:`History`.  See the module docstring for defaults and reproducibility.
    """
    (x, y, epochs, batch_size, seed, verbose, shuffle, loss, opt, metrics, val) = _checked(
        model, lambda: _check_fit_args(model, x, y, epochs, batch_size, seed, verbose, shuffle,
                                       loss, optimizer, augment, validation_data))
    model.loss, model.optimizer, model.metrics = loss, opt, metrics
    rng = np.random.default_rng(seed)
    hist = History()
    model.history = hist
    n = len(x)
    steps = -(-n // batch_size)
    bar = None
    if verbose:
        try:
            from tqdm.auto import tqdm
            bar = tqdm(total=epochs * steps, unit="batch", leave=True)
        except ImportError:  # pragma: no cover - tqdm is in requirements.txt
            bar = None
    try:
        for epoch in range(epochs):
            t0 = time.perf_counter()
            order = rng.permutation(n) if shuffle else np.arange(n)
            tot_loss = 0.0
            tot_m = dict.fromkeys(metrics, 0.0)
            for s in range(steps):
                idx = order[s * batch_size:(s + 1) * batch_size]
                xb = x[idx] if augment is None else _augmented(augment, x[idx], rng)
                value, p = train_step(model, xb, y[idx], loss, opt,
                                      where=f"epoch {epoch + 1}/{epochs}, batch {s + 1}/{steps}")
                tot_loss += value * len(idx)
                for m in metrics:
                    tot_m[m] += _metric(m, p, y[idx]) * len(idx)
                if bar is not None:
                    bar.update(1)
                    bar.set_description(f"epoch {epoch + 1}/{epochs} loss {tot_loss / min(n, (s + 1) * batch_size):.4f}")
            logs = {"loss": tot_loss / n}
            logs.update({m: v / n for m, v in tot_m.items()})
            if val is not None:
                res = evaluate(model, *val, batch_size=256)
                res = res if isinstance(res, list) else [res]
                for key, v in zip(["loss"] + metrics, res):
                    logs["val_" + key] = v
            hist.append(logs, time.perf_counter() - t0)
            if bar is not None:
                bar.set_postfix({k: round(v, 4) for k, v in logs.items()})
    finally:
        if bar is not None:
            bar.close()
    return hist


def _augmented(augment, xb, rng):
    out = as_array(augment(xb, rng), "augment(x_batch, rng)")
    if out.shape != xb.shape:
        raise ValueError(f"augment must return an array of the shape of its input "
                         f"{shape_str(xb.shape)}; got {shape_str(out.shape)}")
    return out.astype(xb.dtype, copy=False)



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
    if not callable(schedule):
        raise TypeError(f"schedule must be a function step -> learning rate; got "
                        f"{type(schedule).__name__} {schedule!r}")
    (x, y, epochs, batch_size, seed, _, _, loss, opt, metrics, _) = _checked(
        model, lambda: _check_fit_args(model, x, y, epochs, batch_size, seed, 0, True, loss,
                                       optimizer, augment, None))
    average_last = check_int(average_last, "average_last", minimum=0)
    if average_last > epochs:
        raise ValueError(f"average_last must be at most epochs; got average_last={average_last}, "
                         f"epochs={epochs}")
    label_smoothing = check_real(label_smoothing, "label_smoothing", 0.0, 1.0, strict_max=True)
    if label_smoothing and (y.ndim != 1 or model.output_shape[-1] < 2):
        raise ValueError(f"label_smoothing needs integer labels y of shape (N,) and at least two "
                         f"output units; got y shape {shape_str(y.shape)}, model output "
                         f"{model.output_shape}")
    model.loss, model.optimizer, model.metrics = loss, opt, metrics
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
            xb = x[idx] if augment is None else _augmented(augment, x[idx], rng)
            lr = schedule(t)
            try:
                opt.learning_rate = check_real(lr, f"schedule({t})", 0.0)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{exc} (the learning rate at step {t})") from None
            value, p = train_step(model, xb, targets[idx], loss, opt,
                                  where=f"epoch {epoch + 1}/{epochs}, batch {s + 1}/{steps}")
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
    """``[loss, metric, ...]`` (in the order of ``model.metrics_names``) if the model tracks
    metrics (accuracy by default for cross-entropy), else the loss (a float)."""
    _check_model(model)
    batch_size = check_int(batch_size, "batch_size", minimum=1)

    def checks():
        xx, yy = _check_xy(model, x, y)
        if len(xx) == 0:
            raise ValueError(f"x is empty (shape {shape_str(xx.shape)}): there is nothing to "
                             f"evaluate")
        loss, _, metrics = _resolve(model, None, None)
        _check_targets(model, loss, yy)
        return xx, yy, loss, metrics

    x, y, loss, metrics = _checked(model, checks)
    p = model.predict(x, batch_size=batch_size)
    value = loss.value(p, y)
    if metrics:
        return [value] + [_metric(m, p, y) for m in metrics]
    return value
