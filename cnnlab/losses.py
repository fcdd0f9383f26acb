"""Losses for :mod:`cnnlab.training`: softmax cross-entropy and mean squared error.

Usage::

    from cnnlab.losses import CategoricalCrossentropy, MeanSquaredError, get_loss
    loss = get_loss("sparse_categorical_crossentropy")
    value = loss(probs, labels)          # mean over the batch
    grad = loss.gradient(probs, labels)  # dE/dprobs, same shape as probs

Each loss is a mean over the batch ``N`` (as Keras).  Targets ``y`` may be integer labels
``(N,)`` (or ``(N, 1)``) or one-hot / soft targets with the shape of the predictions; both
cross-entropy names accept both forms.  With one output unit (predictions ``(N, 1)``), targets
``(N,)`` are the values themselves (binary labels 0/1 for ``binary_crossentropy``, as Keras).

Bad input raises ``ValueError``/``TypeError`` naming ``p`` or ``y``; NaN or inf in the targets is
refused; predictions of exactly 0 or 1 (or ±inf) give finite cross-entropies (probabilities are
clipped to ``[ε, 1 − ε]``).

- cross-entropy: ``E = -(1/N) Σ_n Σ_k t_nk log p_nk``; when the last layer is a softmax the
  training loop uses the fused gradient ``dE/du = (p - t)/N`` (:meth:`logit_gradient`), which is
  exact and avoids dividing by tiny probabilities.
- binary cross-entropy (one sigmoid unit per output):
  ``E = −(1/N) Σ_n mean_k [t log p + (1 − t) log(1 − p)]``; with a sigmoid last layer the
  training loop uses the fused ``dE/du = (p − t)/(N·K)``.
- mean squared error: ``E = (1/N) Σ_n mean_k (p_nk - t_nk)²`` (Keras's ``mse``: mean over the
  last axis, then over the batch; for higher-rank outputs the mean runs over all non-batch axes).
"""
from __future__ import annotations

import numpy as np

from ._validate import as_array, check_alloc, check_finite, check_int, shape_str

__all__ = ["Loss", "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError",
           "get_loss", "to_one_hot"]

_EPS = 1e-12


def to_one_hot(y, num_classes, name="y"):
    """Integer labels ``(N,)`` -> one-hot ``(N, num_classes)``; checks the range."""
    num_classes = check_int(num_classes, "num_classes", minimum=1)
    try:
        y = np.asarray(y)
    except Exception as exc:
        raise TypeError(f"{name} must be an array of integer labels; could not convert it: "
                        f"{exc}") from None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name}: integer labels must have shape (N,); got {shape_str(y.shape)}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        elif y.dtype.kind == "b":
            y = y.astype(np.int64)
        else:
            raise TypeError(f"{name}: labels must be integers; got dtype {y.dtype}"
                            + (" with NaN/inf" if y.dtype.kind == "f" else ""))
    check_alloc((y.shape[0], num_classes), 8, f"{name}: the one-hot targets (N, num_classes)")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{name}: labels must lie in 0..{num_classes - 1}; got range "
                         f"{y.min()}..{y.max()} (num_classes = {num_classes})")
    out = np.zeros((y.shape[0], num_classes))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


def _check_p(p):
    p = as_array(p, "p")
    if p.ndim < 1 or p.size == 0:
        raise ValueError(f"p must be a non-empty batch of predictions (N, ...); got shape "
                         f"{shape_str(p.shape)}")
    return p


class Loss:
    """A loss ``E(p, y)``, a mean over the batch: ``loss(p, y)`` is ``value``; ``gradient`` is
    ``dE/dp``; the cross-entropies add ``logit_gradient``, the fused ``dE/du`` through the last
    activation.  Predictions ``p`` are (N, K) (or (N, ...)); targets ``y`` have ``p``'s shape or
    are integer labels (N,)."""

    name = "loss"

    def value(self, p, y):
        """The loss, a float (mean over the N rows of ``p``)."""
        raise NotImplementedError

    def gradient(self, p, y):
        """``dE/dp``, an array of the shape of ``p`` (N, K)."""
        raise NotImplementedError

    def targets(self, p, y):
        """Targets in the shape of the predictions ``p``."""
        p = _check_p(p)
        y = as_array(y, "y")
        check_finite(y, "y")
        if y.ndim < 1 or y.shape[0] != p.shape[0]:
            raise ValueError(f"y must have one entry per row of the predictions p (N = "
                             f"{p.shape[0]}, p shape {shape_str(p.shape)}); got y of shape "
                             f"{shape_str(y.shape)}")
        if y.shape == p.shape:
            return y.astype(p.dtype, copy=False)
        if p.ndim == 2 and p.shape[1] == 1 and y.ndim == 1:
            return y.reshape(-1, 1).astype(p.dtype)       # one unit: the values themselves
        if p.ndim == 2 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
            return to_one_hot(y, p.shape[1]).astype(p.dtype)
        raise ValueError(f"y must have shape {shape_str(p.shape)} (like the predictions p) or "
                         f"(N,) integer labels; got {shape_str(y.shape)}")

    def __call__(self, p, y):
        return self.value(p, y)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class CategoricalCrossentropy(Loss):
    """Cross-entropy between predicted probabilities ``p`` (N, K) and targets."""

    name = "categorical_crossentropy"

    def value(self, p, y):
        p = _check_p(p)
        t = self.targets(p, y)
        # t·log p with t = 0 counts as 0 even where p = 0 (the limit), never 0·(−inf) = NaN
        logp = np.log(np.clip(p, _EPS, 1.0))
        return float(-np.sum(np.where(t != 0, t * logp, 0.0)) / p.shape[0])

    def gradient(self, p, y):
        p = _check_p(p)
        t = self.targets(p, y)
        return -t / np.clip(p, _EPS, 1.0) / p.shape[0]

    def logit_gradient(self, p, y):
        """dE/du when ``p = softmax(u)``: ``(p - t) / N``."""
        p = _check_p(p)
        t = self.targets(p, y)
        return (p - t) / p.shape[0]


class BinaryCrossentropy(Loss):
    """Binary cross-entropy between sigmoid outputs ``p`` (N, K) in [0, 1] and targets ``t`` in
    [0, 1] of the same shape (or ``(N,)`` when K = 1), as Keras's ``binary_crossentropy``:
    ``E = −(1/N) Σ_n mean_k [t log p + (1 − t) log(1 − p)]``, ``p`` clipped to ``[ε, 1 − ε]``."""

    name = "binary_crossentropy"

    def targets(self, p, y):
        t = super().targets(p, y)
        if t.size and (t.min() < 0 or t.max() > 1):
            raise ValueError(f"y: binary_crossentropy needs targets in [0, 1] (labels 0/1); got "
                             f"range {t.min()!r}..{t.max()!r}")
        return t

    @staticmethod
    def _clip(p):
        eps = max(_EPS, float(np.finfo(p.dtype).eps))
        return np.clip(p, eps, 1.0 - eps)

    def value(self, p, y):
        p = _check_p(p)
        t = self.targets(p, y)
        q = self._clip(p)
        terms = np.where(t != 0, t * np.log(q), 0.0) + np.where(t != 1, (1 - t) * np.log1p(-q), 0.0)
        return float(-np.mean(terms))

    def gradient(self, p, y):
        p = _check_p(p)
        t = self.targets(p, y)
        q = self._clip(p)
        return -(t / q - (1 - t) / (1 - q)) / p.size

    def logit_gradient(self, p, y):
        """dE/du when ``p = sigmoid(u)``: ``(p - t) / (N·K)``."""
        p = _check_p(p)
        t = self.targets(p, y)
        return (p - t) / p.size


class MeanSquaredError(Loss):
    """Mean squared error, as Keras's ``mse``."""

    name = "mean_squared_error"

    def value(self, p, y):
        p = _check_p(p)
        t = self.targets(p, y)
        return float(np.mean((p - t) ** 2) * 1.0)

    def gradient(self, p, y):
        p = _check_p(p)
        t = self.targets(p, y)
        return 2.0 * (p - t) / p.size


_NAMES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": CategoricalCrossentropy,
    "crossentropy": CategoricalCrossentropy,
    "cross_entropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
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
    raise TypeError(f"loss must be a name or a cnnlab.losses.Loss; got {type(loss).__name__} "
                    f"{loss!r}; expected one of {sorted(_NAMES)}")
