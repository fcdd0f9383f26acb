"""Activation functions and their derivatives.

| name           | f(x)                          | f'(x)                                   |
|----------------|-------------------------------|-----------------------------------------|
| ``linear``     | x                             | 1                                       |
| ``relu``       | max(0, x)                     | 1 if x > 0 else 0 (0 at x = 0, as PyTorch and TensorFlow) |
| ``sigmoid``    | 1 / (1 + e^{−x})              | σ(x)(1 − σ(x))                          |
| ``tanh``       | tanh x                        | 1 − tanh² x                             |
| ``lecun_tanh`` | A·tanh(S·x), A=1.7159, S=2/3  | A·S·(1 − tanh²(S·x))                    |
| ``softmax``    | e^{x_i} / Σ_k e^{x_k}         | Jacobian diag(s) − s sᵀ (use ``softmax_backward``) |

LeCun et al. (1998, appendix A) chose A = 1.7159 and S = 2/3 so that f(±1) = ±1 and the
second derivative is largest at ±1.

Every function takes an array of any shape and returns one of the same shape (float32 stays
float32).  :func:`get_activation` returns an :class:`Activation` with ``.f``, ``.df`` and
``.backward(dy, x)``.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ._validate import as_array

__all__ = [
    "linear", "linear_grad", "relu", "relu_grad", "sigmoid", "sigmoid_grad", "tanh", "tanh_grad",
    "lecun_tanh", "lecun_tanh_grad", "softmax", "softmax_backward", "Activation",
    "get_activation", "ACTIVATIONS", "LECUN_A", "LECUN_S",
]

LECUN_A = 1.7159
LECUN_S = 2.0 / 3.0


def linear(x):
    """Identity: ``f(x) = x`` (shape of x)."""
    return as_array(x, "x").copy()


def linear_grad(x):
    """Derivative of the identity: ones with the shape of x."""
    return np.ones_like(as_array(x, "x"))


def relu(x):
    """Rectified linear unit ``max(0, x)``, elementwise (shape of x)."""
    x = as_array(x, "x")
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_grad(x):
    """Derivative of ReLU: 1 where x > 0, else 0 (also 0 at x = 0)."""
    x = as_array(x, "x")
    return (x > 0).astype(x.dtype)


def sigmoid(x):
    """Logistic function ``1 / (1 + e^{−x})``, computed without overflow for large |x|."""
    x = as_array(x, "x")
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def sigmoid_grad(x):
    """Derivative of the sigmoid: ``σ(x)·(1 − σ(x))``."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return np.tanh(as_array(x, "x"))


def tanh_grad(x):
    """Derivative of tanh: ``1 − tanh²(x)``."""
    t = np.tanh(as_array(x, "x"))
    return 1 - t * t


def lecun_tanh(x):
    """LeCun's scaled tanh ``1.7159 · tanh(2x/3)`` (LeNet-5's squashing function)."""
    x = as_array(x, "x")
    return (LECUN_A * np.tanh(LECUN_S * x)).astype(x.dtype, copy=False)


def lecun_tanh_grad(x):
    """Derivative of LeCun's scaled tanh: ``1.7159 · (2/3) · (1 − tanh²(2x/3))``."""
    x = as_array(x, "x")
    t = np.tanh(LECUN_S * x)
    return (LECUN_A * LECUN_S * (1 - t * t)).astype(x.dtype, copy=False)


def softmax(x, axis=-1):
    """Softmax along ``axis``: ``s_i = e^{x_i − m} / Σ_k e^{x_k − m}`` with ``m = max_k x_k``.

    Subtracting the maximum changes nothing mathematically and keeps ``exp`` from overflowing.

    Inputs:
    - x: array of any shape (e.g. (N, K) scores)
    - axis: the axis that sums to one (default: last)

    Returns an array of the shape of x, positive, summing to 1 along ``axis``.
    """
    x = as_array(x, "x")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an int; got {axis!r}")
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"axis {axis} is out of range for x with {x.ndim} dimensions (shape {x.shape})")
    if x.size == 0:
        return x.copy()
    m = x.max(axis=axis, keepdims=True)
    if not np.all(np.isfinite(m)):  # ±inf scores: the limits, not inf − inf = NaN
        return _softmax_at_inf(x, m, axis)
    z = x - m
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_at_inf(x, m, axis):
    """Softmax where some scores are ±inf, as the limit of finite scores: the entries equal to
    +inf share the mass equally; a slice of only −inf is uniform; a NaN gives NaN."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        e = np.exp(x - np.where(np.isfinite(m), m, 0))
        out = e / e.sum(axis=axis, keepdims=True)
        top = np.isposinf(x)
        out = np.where(np.isposinf(m), top / top.sum(axis=axis, keepdims=True), out)
        out = np.where(np.isneginf(m), 1.0 / x.shape[axis], out)
    return out.astype(x.dtype, copy=False)


def softmax_backward(dy, x, axis=-1):
    """Vector–Jacobian product of softmax: ``dx = s ∘ (dy − Σ_k dy_k s_k)`` along ``axis``.

    Inputs: dy and x of the same shape (x is the *input* of softmax).  Returns dx (shape of x).
    """
    x = as_array(x, "x")
    dy = as_array(dy, "dy")
    if dy.shape != x.shape:
        raise ValueError(f"dy must have the shape of x {x.shape}; got {dy.shape}")
    s = softmax(x, axis=axis)
    return s * (dy - (dy * s).sum(axis=axis, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` with its derivative.

    - ``name``: the registry name
    - ``f(x)``: the function, elementwise (softmax: along the last axis)
    - ``df(x)``: the elementwise derivative ``f'(x)``; ``None`` for softmax, whose derivative is
      a Jacobian, not elementwise
    - ``backward(dy, x)``: ``∂E/∂x`` given ``dy = ∂E/∂f(x)``; equals ``dy * df(x)`` for the
      elementwise ones, and the Jacobian product for softmax
    - ``latex``: a formula for the book
    """

    name: str
    f: Callable
    df: Optional[Callable]
    latex: str = ""

    def __call__(self, x):
        return self.f(x)

    def backward(self, dy, x):
        if self.df is None:
            return softmax_backward(dy, x)
        dy = as_array(dy, "dy")
        x = as_array(x, "x")
        if dy.shape != x.shape:
            raise ValueError(f"dy must have the shape of x {x.shape}; got {dy.shape}")
        return dy * self.df(x)


ACTIVATIONS = {
    "linear": Activation("linear", linear, linear_grad, r"x"),
    "relu": Activation("relu", relu, relu_grad, r"\max(0, x)"),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad, r"\frac{1}{1 + e^{-x}}"),
    "tanh": Activation("tanh", tanh, tanh_grad, r"\tanh x"),
    "lecun_tanh": Activation("lecun_tanh", lecun_tanh, lecun_tanh_grad, r"1.7159\,\tanh\!\left(\tfrac{2}{3}x\right)"),
    "softmax": Activation("softmax", softmax, None, r"\frac{e^{x_i}}{\sum_k e^{x_k}}"),
}


def get_activation(name):
    """Look an activation up by name, as Keras's ``activation=`` argument does.

    Input: ``None`` or ``"linear"`` (identity), ``"relu"``, ``"sigmoid"``, ``"tanh"``,
    ``"lecun_tanh"``, ``"softmax"`` (case-insensitive), or an :class:`Activation` (returned as is).

    Returns an :class:`Activation`.  Raises ``ValueError`` for an unknown name (listing the known
    ones) and ``TypeError`` for anything that is neither a string, None nor an Activation.
    """
    if name is None:
        return ACTIVATIONS["linear"]
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"activation must be a name (str), None or an Activation; got {name!r} of type {type(name).__name__}"
        )
    key = name.lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known activations: {', '.join(sorted(ACTIVATIONS))} (or None)")
    return ACTIVATIONS[key]
