"""Optimisers: SGD with (Nesterov) momentum, as Keras's ``SGD``; Adam as an extra.

Usage::

    from cnnlab.optim import SGD
    opt = SGD(learning_rate=0.05, momentum=0.9)
    opt.step(params, grads)      # lists of arrays, updated in place

SGD with momentum ``m`` and learning rate ``η`` keeps a velocity ``v`` per parameter (Keras's
rule): ``v ← m v − η g``, ``w ← w + v`` (Nesterov: ``w ← w + m v − η g``).  With ``m = 0`` this
is plain ``w ← w − η g``.  ``weight_decay=λ`` adds ``λ w`` to every gradient (the gradient of
an L2 penalty ``(λ/2)|w|²``), as PyTorch's ``SGD(weight_decay=λ)``.  ``masks`` (optional, one per parameter, ``None`` or 0/1 array) keep
fixed entries — LeNet's unconnected C3 kernels — at zero.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_array, check_bool, check_finite, check_int, check_real, shape_str

__all__ = ["Optimizer", "SGD", "Adam", "get_optimizer", "cosine_decay"]


def _array_list(value, name):
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of arrays; got {type(value).__name__}")
    return list(value)


class Optimizer:
    """Base of the optimisers: holds ``learning_rate`` (> 0) and per-parameter ``state``; subclasses define the update."""
    def __init__(self, learning_rate):
        self.learning_rate = check_real(learning_rate, "learning_rate", 0.0, strict_min=True)
        self.state = {}

    def step(self, params, grads, masks=None):
        """Update every array of ``params`` in place from ``grads`` (same shapes).

        Everything is checked first (lists of equal length, float arrays of matching shapes,
        finite gradients), so a bad argument leaves every parameter unchanged."""
        params = _array_list(params, "params")
        grads = _array_list(grads, "grads")
        if len(params) != len(grads):
            raise ValueError(f"grads: expected {len(params)} arrays (one per entry of params); "
                             f"got {len(grads)}")
        if masks is None:
            masks = [None] * len(params)
        masks = _array_list(masks, "masks")
        if len(masks) != len(params):
            raise ValueError(f"masks: expected {len(params)} entries (one per entry of params and "
                             f"grads: None or a 0/1 array); got {len(masks)}")
        checked = []
        for i, (w, g, m) in enumerate(zip(params, grads, masks)):
            if not (isinstance(w, np.ndarray) and w.dtype.kind == "f" and w.flags.writeable):
                raise TypeError(f"params[{i}] must be a writeable float NumPy array (updated in "
                                f"place); got {type(w).__name__}"
                                + (f" of dtype {w.dtype}" if isinstance(w, np.ndarray) else ""))
            g = as_array(g, f"grads[{i}]")
            if g.shape != w.shape:
                raise ValueError(f"grads[{i}] must have the shape of params[{i}] "
                                 f"{shape_str(w.shape)}; got {shape_str(g.shape)}")
            check_finite(g, f"grads[{i}]")
            if m is not None:
                m = as_array(m, f"masks[{i}]")
                if m.shape != w.shape:
                    raise ValueError(f"masks[{i}] must have the shape of params[{i}] "
                                     f"{shape_str(w.shape)}; got {shape_str(m.shape)}")
            checked.append((w, g, m))
        for i, (w, g, m) in enumerate(checked):
            self._update(i, w, g)
            if m is not None:
                w *= m

    def reset(self):
        """Forget the per-parameter state (momentum, moment estimates), e.g. before training again."""
        self.state = {}


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (Keras's update rule)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(learning_rate)
        self.weight_decay = check_real(weight_decay, "weight_decay", 0.0)
        self.momentum = check_real(momentum, "momentum", 0.0, 1.0, strict_max=True)
        self.nesterov = check_bool(nesterov, "nesterov")

    def _update(self, i, w, g):
        lr, m = self.learning_rate, self.momentum
        if self.weight_decay:
            g = g + self.weight_decay * w      # L2 penalty (wd/2)·|w|² added to the loss
        if m == 0.0:
            w -= lr * g
            return
        v = self.state.get(i)
        if v is None:
            v = self.state[i] = np.zeros_like(w)
        v *= m
        v -= lr * g
        if self.nesterov:
            w += m * v - lr * g
        else:
            w += v

    def __repr__(self):
        return f"SGD(learning_rate={self.learning_rate}, momentum={self.momentum})"


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with Keras's defaults."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.b1 = check_real(beta_1, "beta_1", 0.0, 1.0, strict_max=True)
        self.b2 = check_real(beta_2, "beta_2", 0.0, 1.0, strict_max=True)
        self.eps = check_real(epsilon, "epsilon", 0.0, strict_min=True)

    def _update(self, i, w, g):
        m, v, t = self.state.get(i, (np.zeros_like(w), np.zeros_like(w), 0))
        t += 1
        m = self.b1 * m + (1 - self.b1) * g
        v = self.b2 * v + (1 - self.b2) * g * g
        self.state[i] = (m, v, t)
        lr = self.learning_rate * np.sqrt(1 - self.b2 ** t) / (1 - self.b1 ** t)
        w -= lr * m / (np.sqrt(v) + self.eps)

    def __repr__(self):
        return f"Adam(learning_rate={self.learning_rate})"


def get_optimizer(optimizer):
    """An optimiser from a name (``'sgd'``, ``'adam'``) or an :class:`Optimizer`."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key == "sgd":
            return SGD()
        if key == "adam":
            return Adam()
        raise ValueError(f"optimizer: unknown optimizer {optimizer!r}; expected 'sgd', 'adam' "
                         f"or a cnnlab.optim.Optimizer")
    raise TypeError(f"optimizer must be a name ('sgd', 'adam') or a cnnlab.optim.Optimizer; "
                    f"got {type(optimizer).__name__} {optimizer!r}")


def cosine_decay(step, total_steps, initial_lr, final_lr=0.0, warmup_steps=0):
    """Learning rate at ``step`` (0-based) of a cosine schedule (Loshchilov & Hutter 2017,
    one cycle, no restarts), optionally after a linear warm-up.

    For ``step < warmup_steps``: ``η₀ (step + 1) / warmup_steps``.  After it, with
    ``u = (step − warmup_steps) / (total_steps − warmup_steps)`` (clipped to 1):
    ``η_end + (η₀ − η_end)(1 + cos πu) / 2`` — ``η₀`` at the first step after the warm-up,
    falling smoothly to ``η_end`` at ``step = total_steps``.  Pure function: set
    ``optimizer.learning_rate`` from it before each step (see
    :func:`cnnlab.training.fit_scheduled`)."""
    step = check_int(step, "step", minimum=0)
    total_steps = check_int(total_steps, "total_steps", minimum=1)
    warmup_steps = check_int(warmup_steps, "warmup_steps", minimum=0)
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps must be smaller than total_steps; got warmup_steps={warmup_steps}, "
                         f"total_steps={total_steps}")
    initial_lr = check_real(initial_lr, "initial_lr", 0.0)
    final_lr = check_real(final_lr, "final_lr", 0.0)
    if step < warmup_steps:
        return initial_lr * (step + 1) / warmup_steps
    u = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return final_lr + (initial_lr - final_lr) * 0.5 * (1.0 + np.cos(np.pi * u))
