"""Losses for :mod:`cnnlab.training`: softmax cross-entropy and mean squared error.

Usage::

    from cnnlab.losses import CategoricalCrossentropy, MeanSquaredError, get_loss
    loss = get_loss("sparse_categorical_crossentropy")
    value = loss(probs, labels)          # mean over the batch
    grad = loss.gradient(probs, labels)  # dE/dprobs, same shape as probs

Each loss is a mean over the batch ``N`` (as Keras).  Targets ``y`` may be integer labels
``(N,)`` (or ``(N, 1)``) or one-hot / soft targets with the shape of the predictions; both
cross-entropy names accept both forms.

- cross-entropy: ``E = -(1/N) Σ_n Σ_k t_nk log p_nk``; when the last layer is a softmax the
  training loop uses the fused gradient ``dE/du = (p - t)/N`` (:meth:`logit_gradient`), which is
  exact and avoids dividing by tiny probabilities.
- mean squared error: ``E = (1/N) Σ_n mean_k (p_nk - t_nk)²`` (Keras's ``mse``: mean over the
  last axis, then over the batch; for higher-rank outputs the mean runs over all non-batch axes).
"""
from __future__ import annotations

import numpy as np

__all__ = ["Loss", "CategoricalCrossentropy", "MeanSquaredError", "get_loss", "to_one_hot"]

_EPS = 1e-12


def to_one_hot(y, num_classes, name="y"):
    """Integer labels ``(N,)`` -> one-hot ``(N, num_classes)``; checks the range."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name}: integer labels must have shape (N,); got {y.shape}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"{name}: labels must be integers; got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{name}: labels must lie in 0..{num_classes - 1}; got range "
                         f"{y.min()}..{y.max()}")
    out = np.zeros((y.shape[0], num_classes))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


class Loss:
    name = "loss"

    def targets(self, p, y):
        """Targets in the shape of the predictions ``p``."""
        y = np.asarray(y)
        if y.shape == p.shape:
            return y.astype(p.dtype, copy=False)
        if p.ndim == 2 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
            return to_one_hot(y, p.shape[1]).astype(p.dtype)
        raise ValueError(f"y must have shape {p.shape} (like the predictions) or (N,) integer "
                         f"labels; got {y.shape}")

    def __call__(self, p, y):
        return self.value(p, y)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class CategoricalCrossentropy(Loss):
    """Cross-entropy between predicted probabilities ``p`` (N, K) and targets."""

    name = "categorical_crossentropy"

    def value(self, p, y):
        t = self.targets(p, y)
        return float(-np.sum(t * np.log(np.clip(p, _EPS, 1.0))) / p.shape[0])

    def gradient(self, p, y):
        t = self.targets(p, y)
        return -t / np.clip(p, _EPS, 1.0) / p.shape[0]

    def logit_gradient(self, p, y):
        """dE/du when ``p = softmax(u)``: ``(p - t) / N``."""
        t = self.targets(p, y)
        return (p - t) / p.shape[0]


class MeanSquaredError(Loss):
    """Mean squared error, as Keras's ``mse``."""

    name = "mean_squared_error"

    def value(self, p, y):
        t = self.targets(p, y)
        return float(np.mean((p - t) ** 2) * 1.0)

    def gradient(self, p, y):
        t = self.targets(p, y)
        return 2.0 * (p - t) / p.size


_NAMES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": CategoricalCrossentropy,
    "crossentropy": CategoricalCrossentropy,
    "cross_entropy": CategoricalCrossentropy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
}


def get_loss(loss):
    """A :class:`Loss` from a name (``'categorical_crossentropy'``,
    ``'sparse_categorical_crossentropy'``, ``'mse'``) or a Loss object."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in _NAMES:
        return _NAMES[loss.lower()]()
    if isinstance(loss, str):
        raise ValueError(f"loss: unknown loss {loss!r}; expected one of {sorted(_NAMES)}")
    raise TypeError(f"loss must be a name or a cnnlab.losses.Loss; got {type(loss).__name__}")
