"""The masked-path form ``y = A(x)·x + b̄(x)`` of a ReLU / max-pooling network.

Fix an input ``x``. Every ReLU then has a 0/1 mask ``D = [u > 0]`` and every max-pooling window
a switch (the position of its maximum). With those frozen, each layer is linear (convolution,
dense) or a 0/1 selection (mask, switch), so the whole network up to its last activation is an
affine map of the input:

    z = A(x) · x + b̄(x),            y = softmax(z)   (or y = z without a softmax)

``A(x)[o, p]`` is the sum, over every path from input pixel ``p`` to output ``o`` that no mask
closes and that goes through the switches, of the product of the weights along the path; ``b̄(x)``
sums, over every bias of every layer, that bias times the same kind of path sum from its unit to
the output. Inside the region of inputs that share ``x``'s masks and switches the form is exact;
across its boundary it is not, and that is what "piecewise linear" means.

All vectors are the model's channels-last arrays flattened row-major, as Keras's ``Flatten`` does:
input ``x`` of shape ``(H, W, C)`` → ``H·W·C`` numbers.

Functions:

- :func:`path_form` — ``A`` (dense array), ``b̄``, the activation pattern and the output activation;
- :func:`activation_pattern` — the masks and switches at ``x`` (to compare two inputs' regions);
- :func:`region_edge` — how far from ``x`` one can go along a direction before the pattern changes;
- :func:`PathForm.evaluate` — ``softmax(A x' + b̄)`` for any ``x'``, reshaped like ``predict``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validate import as_array, shape_str
from .convmatrix import conv_matrix
from .pool import maxpool2d_backward
from .shapes import kernel_from_keras

__all__ = ["PathForm", "path_form", "activation_pattern", "region_edge", "SUPPORTED"]

#: what the path form handles: layer -> allowed activations
SUPPORTED = {
    "Conv2D": ("relu", "linear"), "Dense": ("relu", "linear", "softmax (last layer only)"),
    "MaxPooling2D": (), "Flatten": (), "Activation": ("relu", "linear"),
}


@dataclass
class PathForm:
    """``z = A x + b`` at one input; ``output`` is ``"softmax"`` or ``"linear"`` (applied after z)."""

    A: np.ndarray              # (n_out, n_in)
    b: np.ndarray              # (n_out,)  the bias paths b̄(x)
    pattern: tuple             # the masks and switches at x (see activation_pattern)
    output: str                # "softmax" or "linear"
    output_shape: tuple        # the model's output shape without the batch axis

    def logits(self, x):
        """``A x + b`` for one input ``x`` of the model's input shape (the masks stay frozen)."""
        x = as_array(x, "x")
        if x.size != self.A.shape[1]:
            raise ValueError(f"x must have {self.A.shape[1]} entries (the model's input shape); "
                             f"got shape {shape_str(x.shape)}")
        return (self.A @ x.reshape(-1) + self.b).reshape(self.output_shape)

    def evaluate(self, x):
        """The model's output with the masks frozen at the point the form was built at."""
        z = self.logits(x)
        if self.output == "softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        return z


def _channels_last_perm(C, H, W):
    """Index map: position in a channels-last vector -> position in a channels-first vector."""
    c = np.arange(C)[None, None, :]
    h = np.arange(H)[:, None, None]
    w = np.arange(W)[None, :, None]
    return ((c * H + h) * W + w).reshape(-1)


def _conv_step(layer, shape):
    H, W, C = shape
    K, *rest = layer.get_weights() if hasattr(layer, "get_weights") else layer.weights
    w = kernel_from_keras(K)                                 # Keras (kh, kw, C, F) -> (F, C, kh, kw)
    T = conv_matrix(w, (C, H, W), layer.strides, tuple(layer.pads))
    _, Ho, Wo, F = layer.output_shape
    rows, cols = _channels_last_perm(F, Ho, Wo), _channels_last_perm(C, H, W)
    T = T[rows][:, cols]
    bias = np.tile(rest[0], Ho * Wo) if layer.use_bias else np.zeros(T.shape[0])
    return T.tocsr(), bias, (Ho, Wo, F)


def _maxpool_switches(layer, v, shape):
    """Selection matrix S (one 1 per output, at its window's switch), from the pooling core.

    The switches are read off :func:`cnnlab.pool.maxpool2d_backward` (first maximum of a window
    in row-major order) on the input padded with -inf by the layer's own padding (``layer.pads``,
    Keras's rule): each output sends its own number (its index + 1) back to its winner. Windows
    that overlap are sent in separate rounds, so that no input cell receives two numbers at once.
    """
    H, W, C = shape
    pt, pb, pl, pr = layer.pads
    xc = np.pad(np.transpose(v.reshape(H, W, C), (2, 0, 1)), ((0, 0), (pt, pb), (pl, pr)),
                constant_values=-np.inf)[None]              # (1, C, Hp, Wp)
    (ph, pw), (sh, sw), (Ho, Wo) = layer.pool_size, layer.strides, layer.out_hw
    size = ph if ph == pw else (ph, pw)
    stride = sh if sh == sw else (sh, sw)
    ids = np.arange(C * Ho * Wo, dtype=np.float64).reshape(C, Ho, Wo) + 1.0
    rows_m, cols_n = np.meshgrid(np.arange(Ho), np.arange(Wo), indexing="ij")
    gh, gw = -(-ph // sh), -(-pw // sw)                     # rounds of non-overlapping windows
    out_index, in_index = [], []
    for a in range(gh):
        for b in range(gw):
            group = (rows_m % gh == a) & (cols_n % gw == b)
            dy = np.where(group, ids, 0.0)[None]
            back = maxpool2d_backward(dy, xc, size=size, stride=stride)[0]   # (C, Hp, Wp)
            c, r, q = np.nonzero(back)
            out_ch = np.rint(back[c, r, q]).astype(np.int64) - 1              # (c·Ho + m)·Wo + n
            m, n = (out_ch // Wo) % Ho, out_ch % Wo
            out_index.append((m * Wo + n) * C + c)                            # channels last
            in_index.append(((r - pt) * W + (q - pl)) * C + c)
    rows, cols = np.concatenate(out_index), np.concatenate(in_index)
    if rows.size != C * Ho * Wo:
        raise ValueError(f"max pooling layer {layer.name!r}: found {rows.size} switches for "
                         f"{C * Ho * Wo} outputs (a window holds only padding?)")
    S = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(C * Ho * Wo, H * W * C))
    switches = np.zeros(C * Ho * Wo, dtype=np.int64)
    switches[rows] = cols
    return S, switches.reshape(Ho, Wo, C), (Ho, Wo, C)


def _dense_step(layer, shape):
    Wt, *rest = layer.weights
    positions = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    M = sp.csr_matrix(Wt.T)
    if positions > 1:                                        # Keras's Dense on the last axis
        M = sp.kron(sp.identity(positions, format="csr"), M, format="csr")
    bias = np.tile(rest[0], positions) if layer.use_bias else np.zeros(M.shape[0])
    return M, bias, tuple(shape[:-1]) + (layer.units,)


def _walk(model, x):
    """Run the network in vector form, yielding (A, b, v, pattern, output) at the end."""
    from .layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D

    if not getattr(model, "built", False) and not getattr(model, "layers", None):
        raise ValueError("model must be a built cnnlab Sequential with layers")
    shape = tuple(model.layers[0].input_shape[1:])
    x = as_array(x, "x")
    if x.shape == (1,) + shape:
        x = x[0]
    if x.shape != shape:
        raise ValueError(f"x must have the model's input shape {shape_str(shape)} (one input, "
                         f"channels last); got shape {shape_str(x.shape)}")
    x = x.astype(np.float64)
    n_in = x.size
    A = sp.identity(n_in, format="csr")
    b = np.zeros(n_in)
    v = x.reshape(-1).copy()
    pattern, output = [], "linear"
    last = len(model.layers) - 1
    for index, layer in enumerate(model.layers):
        kind = type(layer).__name__
        act = getattr(layer, "activation", None)
        if isinstance(layer, Conv2D):
            if getattr(layer, "connections", None) is not None:
                raise ValueError(f"model.layers[{index}]: a Conv2D with a connection table is "
                                 "not supported by path_form")
            M, bias, shape = _conv_step(layer, shape)
        elif isinstance(layer, Dense):
            M, bias, shape = _dense_step(layer, shape)
        elif isinstance(layer, MaxPooling2D):
            M, switches, shape = _maxpool_switches(layer, v, shape)
            bias = None
            pattern.append(("switches", index, switches))
        elif isinstance(layer, Flatten):
            shape = (int(np.prod(shape)),)
            continue
        elif isinstance(layer, Activation):
            M, bias = None, None
        else:
            raise ValueError(f"model.layers[{index}] is a {kind}; path_form handles "
                             f"{', '.join(SUPPORTED)} (piecewise-linear layers only)")
        if M is not None:
            A, v = M @ A, M @ v
            b = M @ b
            if bias is not None:
                b, v = b + bias, v + bias
        if act in (None, "linear"):
            continue
        if act == "relu":
            D = v > 0
            A = sp.diags(D.astype(np.float64)) @ A
            b, v = b * D, v * D
            pattern.append(("relu", index, D.reshape(shape)))
        elif act == "softmax" and index == last:
            output = "softmax"
        else:
            raise ValueError(f"model.layers[{index}] ({kind}) has activation {act!r}: the path "
                             "form needs a piecewise-linear network (relu or linear; softmax only "
                             "at the output)")
    return A, b, tuple(pattern), output, shape


def path_form(model, x):
    """``A(x)``, ``b̄(x)`` of a built ReLU / max-pooling ``cnnlab.Sequential`` at one input.

    Inputs:
    - model: ``Conv2D`` (relu or linear, no connection table), ``MaxPooling2D``, ``Flatten``,
      ``Dense`` (relu or linear; softmax only as the last layer) and ``Activation("relu")``
      layers; its weights are read in Keras's layouts (``get_weights``).
    - x: one input, the model's input shape ``(H, W, C)`` (or ``(1, H, W, C)``).

    Returns a :class:`PathForm` with ``A`` of shape ``(n_out, H·W·C)`` (dense), ``b`` of shape
    ``(n_out,)``, where ``n_out`` is the number of outputs (per image, all positions).
    """
    A, b, pattern, output, shape = _walk(model, x)
    return PathForm(A=A.toarray(), b=np.asarray(b), pattern=pattern, output=output,
                    output_shape=tuple(shape))


def activation_pattern(model, x):
    """The ReLU masks and max-pool switches of ``model`` at ``x``: a tuple of
    ``(kind, layer index, array)``; two inputs lie in the same linear region when equal."""
    return _walk(model, x)[2]


def same_pattern(p, q):
    """True when two activation patterns (from :func:`activation_pattern`) are identical."""
    for name, v in (("p", p), ("q", q)):
        if not isinstance(v, tuple) or not all(isinstance(e, tuple) and len(e) == 3 for e in v):
            raise TypeError(f"{name} must be an activation pattern (a tuple of (kind, layer, array) "
                            f"from activation_pattern); got {type(v).__name__}")
    return len(p) == len(q) and all(a[0] == b[0] and a[1] == b[1] and np.array_equal(a[2], b[2])
                                    for a, b in zip(p, q))


def region_edge(model, x, direction, t_max=1.0, tol=1e-9):
    """The step ``t*`` along ``direction`` at which the activation pattern first changes.

    Bisection on ``t`` in ``[0, t_max]`` between "same pattern as at x" and "different"; returns
    ``t_max`` (as a float) when the pattern at ``x + t_max·direction`` is still the same (the
    bisection assumes the first change is the only one, which holds for small ``t_max``).
    """
    x = as_array(x, "x")
    direction = as_array(direction, "direction")
    if direction.shape != x.shape:
        raise ValueError(f"direction must have the shape of x {shape_str(x.shape)}; got "
                         f"{shape_str(direction.shape)}")
    p0 = activation_pattern(model, x)
    if same_pattern(p0, activation_pattern(model, x + t_max * direction)):
        return float(t_max)
    lo, hi = 0.0, float(t_max)
    while hi - lo > tol * max(1.0, hi):
        mid = 0.5 * (lo + hi)
        if same_pattern(p0, activation_pattern(model, x + mid * direction)):
            lo = mid
        else:
            hi = mid
    return hi
