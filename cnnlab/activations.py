"""Activation functions and their derivatives.

| name           | f(x)                          | f'(x)                                   |
|----------------|-------------------------------|-----------------------------------------|
| ``linear``     | x                             | 1                                       |
| ``relu``       | max(0, x)                     | 1 if x > 0 else 0 (0 at x = 0, as PyTorch and TensorFlow) |
| ``sigmoid``    | 1 / (1 + e^{−x})              | σ(x)(1 − σ(x))                          |
| ``tanh``       | tanh x                        | 1 − tanh² x                             |
| ``lecun_tanh`` | A·tanh(S·x), A=1.7159, S=2/3  | A·S·(1 − tanh²(S·x))                    |
| ``softmax``    | e^{x_i} / Σ_k e^{x_k}         | Jacobian diag(s) − s sᵀ (use ``softmax_backward``) |
| ``thresholded_relu`` | x if x > θ else 0 (Keras's ``ThresholdedReLU``, θ = 1) | 1 if x > θ else 0 |
| ``trelu:φ``    | 0 if x < φ else (x − φ)/(1 − φ) (0 ≤ φ < 1; see :func:`trelu`) | 0 if x < φ else 1/(1 − φ) |

LeCun et al. (1998, appendix A) chose A = 1.7159 and S = 2/3 so that f(±1) = ±1 and the
second derivative is largest at ±1.

Every function takes an array of any shape and returns one of the same shape (float32 stays
float32).  :func:`get_activation` returns an :class:`Activation` with ``.f``, ``.df`` and
``.backward(dy, x)``.

This module is the package's **one activation registry** (``ACTIVATIONS``).  The Keras-like
layers (:mod:`cnnlab.layers`), the q3 chain (:mod:`cnnlab.chain`), the formulas and RECOS all
look activations up here.  One convention everywhere: the upstream gradient is called ``dy``
and comes first, ``backward(dy, x)`` returns ``∂E/∂x`` for the activation's *input* ``x``.
"""
from dataclasses import dataclass
from numbers import Real
from typing import Callable, Optional

import numpy as np

from ._validate import as_array

__all__ = [
    "linear", "linear_grad", "relu", "relu_grad", "sigmoid", "sigmoid_grad", "tanh", "tanh_grad",
    "lecun_tanh", "lecun_tanh_grad", "softmax", "softmax_backward", "Activation",
    "get_activation", "ACTIVATIONS", "LECUN_A", "LECUN_S", "thresholded_relu",
    "thresholded_relu_grad", "trelu", "trelu_grad", "thresholded_relu_activation",
    "trelu_activation",
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


def _check_real(value, name, lo=None, below=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number; got {value!r} (type {type(value).__name__})")
    value = float(value)
    if not np.isfinite(value) or (lo is not None and value < lo) or (below is not None and value >= below):
        rng = f"[{lo}, {below})" if lo is not None and below is not None else "a finite number"
        raise ValueError(f"{name} must lie in {rng}; got {value!r}")
    return value


def thresholded_relu(x, theta=1.0):
    """Keras's ``ThresholdedReLU``: ``x`` where ``x > theta``, else 0 (shape of x).

    Inputs: x array of any shape; theta a real number (default 1.0, as Keras)."""
    theta = _check_real(theta, "theta")
    x = as_array(x, "x")
    return np.where(x > theta, x, 0).astype(x.dtype, copy=False)


def thresholded_relu_grad(x, theta=1.0):
    """Derivative of :func:`thresholded_relu`: 1 where ``x > theta``, else 0 (shape of x)."""
    theta = _check_real(theta, "theta")
    x = as_array(x, "x")
    return (x > theta).astype(x.dtype)


def trelu(x, phi):
    """Thresholded ReLU on a correlation (TReLU): 0 for ``x < phi``, ``(x − phi)/(1 − phi)`` otherwise.

    The book's own construction for the RECOS chapter.  The name is sometimes attached to
    Kuo's 2017 article (*The CNN as a guided multilayer RECOS transform*), which we have not
    read: nothing here is attributed to it.  Of Kuo's RECOS work we hold only the 2016
    abstract, which says that "the converged filter weights define a set of anchor vectors".

    Defined for ``0 <= phi < 1`` (at ``phi = 1`` it divides by zero); ``phi = 0`` is ReLU.  On a
    correlation in [−1, 1] it maps [phi, 1] onto [0, 1].

    Inputs: x array of any shape; phi a real number in [0, 1).  Returns an array shaped like x.
    """
    phi = _check_real(phi, "phi", 0.0, 1.0)
    x = as_array(x, "x")
    return np.where(x < phi, 0.0, (x - phi) / (1.0 - phi)).astype(x.dtype, copy=False)


def trelu_grad(x, phi):
    """Derivative of :func:`trelu`: 0 for ``x < phi``, ``1/(1 − phi)`` for ``x >= phi`` (the
    right derivative at the kink).  Shape of x."""
    phi = _check_real(phi, "phi", 0.0, 1.0)
    x = as_array(x, "x")
    return np.where(x < phi, 0.0, 1.0 / (1.0 - phi)).astype(x.dtype, copy=False)


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` with its derivative — the one activation type of the package.

    - ``name``: the registry name
    - ``f(x)``: the function, elementwise (softmax: along the last axis)
    - ``df(x)``: the elementwise derivative ``f'(x)``; ``None`` for softmax, whose derivative is
      a Jacobian, not elementwise
    - ``formula``: the definition in ``x``, LaTeX, for the book
    - ``tex``: optional ``arg -> LaTeX`` of ``f`` applied to ``arg`` (used by :meth:`latex`)
    - ``df_from_y``: optional ``y -> f'(x)`` computed from the output ``y = f(x)`` (cheaper than
      recomputing; used by :meth:`backward` when ``y`` is passed)

    Methods: ``act(x)`` = ``f(x)``; ``backward(dy, x, y=None)`` returns ``∂E/∂x`` (shape of x)
    given ``dy = ∂E/∂f(x)`` of the same shape; ``latex(arg)`` the formula applied to ``arg``.
    """

    name: str
    f: Callable
    df: Optional[Callable]
    formula: str = ""
    tex: Optional[Callable] = None
    df_from_y: Optional[Callable] = None

    def __call__(self, x):
        return self.f(x)

    def backward(self, dy, x, y=None):
        """``∂E/∂x`` from ``dy = ∂E/∂y`` (shape of x); ``y = f(x)`` may be passed to save work."""
        dy = as_array(dy, "dy")
        x = as_array(x, "x")
        if dy.shape != x.shape:
            raise ValueError(f"dy must have the shape of x {x.shape}; got {dy.shape}")
        if self.df is None:
            if y is None:
                return softmax_backward(dy, x)
            return y * (dy - (dy * y).sum(axis=-1, keepdims=True))
        if y is not None and self.df_from_y is not None:
            return dy * self.df_from_y(y)
        return dy * self.df(x)

    def latex(self, arg="x"):
        """LaTeX of the activation applied to the LaTeX string ``arg``."""
        if self.tex is not None:
            return self.tex(arg)
        if self.name == "linear":
            return arg
        return rf"\operatorname{{{self.name}}}\!\left({arg}\right)"

    # legacy form of the layers' old ActivationSpec: grad(u, y, dy) -> dE/du
    def grad(self, u, y, dy):
        """Old layer convention, kept as an alias: ``grad(u, y, dy) = backward(dy, u, y)``."""
        return self.backward(dy, u, y)


ACTIVATIONS = {
    "linear": Activation("linear", linear, linear_grad, r"x", lambda a: a, np.ones_like),
    "relu": Activation("relu", relu, relu_grad, r"\max(0, x)",
                       lambda a: rf"\operatorname{{ReLU}}\!\left({a}\right)"),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad, r"\frac{1}{1 + e^{-x}}",
                          lambda a: rf"\sigma\!\left({a}\right)", lambda y: y * (1 - y)),
    "tanh": Activation("tanh", tanh, tanh_grad, r"\tanh x", lambda a: rf"\tanh\!\left({a}\right)",
                       lambda y: 1 - y * y),
    "lecun_tanh": Activation(
        "lecun_tanh", lecun_tanh, lecun_tanh_grad, r"1.7159\,\tanh\!\left(\tfrac{2}{3}x\right)",
        lambda a: rf"1.7159\,\tanh\!\left(\tfrac{{2}}{{3}}\,{a}\right)",
        lambda y: (LECUN_A * LECUN_S) * (1 - (y / LECUN_A) ** 2)),
    "softmax": Activation("softmax", softmax, None, r"\frac{e^{x_i}}{\sum_k e^{x_k}}",
                          lambda a: rf"\operatorname{{softmax}}\!\left({a}\right)"),
}


def thresholded_relu_activation(theta=1.0):
    """Keras's ``ThresholdedReLU(theta)`` as an :class:`Activation` (name ``thresholded_relu``
    for ``theta = 1``, else ``thresholded_relu(theta=…)``)."""
    theta = _check_real(theta, "theta")
    return Activation(
        "thresholded_relu" if theta == 1.0 else f"thresholded_relu(theta={theta:g})",
        lambda x: thresholded_relu(x, theta), lambda x: thresholded_relu_grad(x, theta),
        rf"x\,[x > {theta:g}]", lambda a: rf"\operatorname{{trelu}}_{{{theta:g}}}\!\left({a}\right)")


def trelu_activation(phi):
    """The thresholded ReLU :func:`trelu` with threshold ``phi`` (0 <= phi < 1) as an :class:`Activation`, to pass as
    ``activation=`` to a layer; name ``trelu(phi=…)``."""
    phi = _check_real(phi, "phi", 0.0, 1.0)
    return Activation(
        f"trelu(phi={phi:g})", lambda x: trelu(x, phi), lambda x: trelu_grad(x, phi),
        rf"\frac{{x - {phi:g}}}{{1 - {phi:g}}}\,[x \ge {phi:g}]",
        lambda a: rf"\operatorname{{TReLU}}_{{{phi:g}}}\!\left({a}\right)")


ACTIVATIONS["thresholded_relu"] = thresholded_relu_activation(1.0)

def get_activation(name):
    """Look an activation up by name, as Keras's ``activation=`` argument does.

    Input: ``None`` or ``"linear"`` (identity), ``"relu"``, ``"sigmoid"``, ``"tanh"``,
    ``"lecun_tanh"``, ``"softmax"``, ``"thresholded_relu"`` (case-insensitive), ``"trelu:φ"``
    (e.g. ``"trelu:0.5"``, the thresholded ReLU :func:`trelu`), or an :class:`Activation` (returned as is).

    Returns an :class:`Activation`.  Raises ``ValueError`` for an unknown name (listing the known
    ones) and ``TypeError`` for anything that is neither a string, None nor an Activation.
    """
    if name is None:
        return ACTIVATIONS["linear"]
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"activation name must be a str, None or an Activation; got {name!r} of type {type(name).__name__}"
        )
    key = name.lower()
    if key.startswith("trelu:"):
        try:
            phi = float(key.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"activation name {name!r}: 'trelu:' must be followed by a number in [0, 1), "
                             f"e.g. 'trelu:0.5'") from None
        return trelu_activation(phi)
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation name {name!r}; known activations: "
                         f"{', '.join(repr(k) for k in sorted(ACTIVATIONS))}, 'trelu:<phi>' (or None)")
    return ACTIVATIONS[key]
