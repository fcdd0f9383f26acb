"""The network of the ``q3`` seed as explicit forward and backward steps (chapter 9).

The seed's network, channels first, one image at a time::

    x (1, 28, 28) ──conv W¹ (3, 1, 3, 3)──▶ u¹ (3, 26, 26) ──ReLU──▶ r¹ ──2×2 max-pool──▶ p¹ (3, 13, 13)
                  ──conv W² (10, 3, 4, 4)─▶ u² (10, 10, 10) ─ReLU──▶ r² ──2×2 max-pool──▶ p² (10, 5, 5)

Every step keeps what its backward pass needs and what chapter 9 shows on the page: the ReLU
*masks* ``u > 0`` and the max-pool *switches* (a boolean map marking the winner of each window).
The backward pass is written as the chapter derives it, one formula per line:

- max-pool:  ``∂E/∂r = switch ∘ up(∂E/∂p)``            (the incoming gradient goes to the winner)
- ReLU:      ``δ = ∂E/∂u = mask ∘ ∂E/∂r``                (with the convention ReLU′(0) = 0)
- weights:   ``∂E/∂W[f, c] = x[c] ⋆ δ[f]`` ('valid'),   ``∂E/∂b[f] = Σ δ[f]``
- input:     ``∂E/∂x[c] = Σ_f δ[f] * W[f, c]`` ('full') ``= Σ_f δ[f] ⋆ rot180(W[f, c])`` ('full')

Here ``⋆`` is cross-correlation (what frameworks call convolution) and ``*`` is true convolution
(MATLAB's ``conv2``).  The same backward pass in matrix form (im2col) is
:func:`conv_backward_matrix`: ``Y = W_col·X_col``, ``dW_col = dY·X_colᵀ``,
``dX_col = W_colᵀ·dY`` followed by ``col2im``.
"""
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_array, check_ndim, check_shape, positive_int_pair, shape_str
from ._extras import require
from .activations import relu, relu_grad
from .pool import maxpool2d, maxpool2d_backward
from .sampling import up

__all__ = [
    "Q3_SHAPES", "init_q3_params", "q3_input", "relu_forward", "relu_backward",
    "maxpool_forward", "maxpool_backward", "conv_forward", "conv_weight_grad",
    "conv_input_grad", "weight_grad_terms", "conv_matrices", "conv_forward_matrix",
    "conv_backward_matrix", "Q3Chain", "ChainTrace", "ChainGrads", "softmax_head",
]

#: Shapes of every quantity of the seed's network (channels first, one image).
Q3_SHAPES = {
    "x": (1, 28, 28),
    "W1": (3, 1, 3, 3), "b1": (3,), "u1": (3, 26, 26), "r1": (3, 26, 26), "p1": (3, 13, 13),
    "W2": (10, 3, 4, 4), "b2": (10,), "u2": (10, 10, 10), "r2": (10, 10, 10), "p2": (10, 5, 5),
}


def _conv():
    from . import conv
    return conv


def init_q3_params(seed=0):
    """He-initialised parameters of the seed's network, in float64.

    Inputs:
    - seed: int, for ``np.random.default_rng``

    Returns a dict with ``W1`` (3, 1, 3, 3), ``b1`` (3,), ``W2`` (10, 3, 4, 4), ``b2`` (10,).
    The biases are small positive numbers so that most ReLUs start active.
    """
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, np.sqrt(2.0 / 9), size=(3, 1, 3, 3)),
        "b1": rng.uniform(0.0, 0.1, size=3),
        "W2": rng.normal(0.0, np.sqrt(2.0 / 48), size=(10, 3, 4, 4)),
        "b2": rng.uniform(0.0, 0.1, size=10),
    }


def q3_input(index=0, jitter=0.0, seed=0):
    """A real handwritten digit as a (1, 28, 28) float64 image with values in [0, 1].

    Scikit-learn's bundled digits (no download) are 8×8 with grey levels 0..16; each pixel is
    repeated into a 3×3 block (24×24) and the image padded with 2 zero rows/columns on each side.
    Such an image has flat regions, where max-pool windows hold *exactly* equal values (ties);
    ``jitter > 0`` adds seeded Gaussian noise of that standard deviation, which breaks the ties
    (useful for finite-difference checks with respect to the input, see chapter 9).

    Inputs:
    - index: int, which of the 1797 digits
    - jitter: float >= 0, standard deviation of the added noise
    - seed: int, seed of the noise

    Returns ``(x, label)``: x of shape (1, 28, 28) and the digit's label (int).
    """
    digits = require("sklearn.datasets", "(chain.q3_input, the digits)").load_digits()
    n = len(digits.target)
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"index must be an int; got {index!r}")
    if not 0 <= index < n:
        raise ValueError(f"index must be in [0, {n}); got {index}")
    if not np.isfinite(jitter) or jitter < 0:
        raise ValueError(f"jitter must be a finite number >= 0; got {jitter!r}")
    img = digits.images[index] / 16.0
    x = np.pad(np.kron(img, np.ones((3, 3))), 2)[None].astype(np.float64)
    if jitter > 0:
        x = x + np.random.default_rng(seed).normal(0.0, jitter, size=x.shape)
    return x, int(digits.target[index])


# ----------------------------------------------------------------------------- ReLU
def relu_forward(u):
    """ReLU that also returns its mask (:func:`cnnlab.activations.relu` and its derivative).

    Inputs:
    - u: array of any shape (pre-activations)

    Returns ``(r, mask)``: ``r = max(u, 0)`` and the boolean ``mask = u > 0`` (same shape as u).
    The mask is the derivative ReLU′(u), with the convention ReLU′(0) = 0 (PyTorch's and
    TensorFlow's choice too; the function has no derivative at 0, any value in [0, 1] is a
    subgradient).
    """
    u = as_array(u, "u")
    return relu(u), relu_grad(u) > 0


def relu_backward(dy, mask):
    """Backward pass of ReLU: ``δ = mask ∘ ∂E/∂r``.

    Inputs:
    - dy: upstream gradient ∂E/∂r, any shape
    - mask: boolean array of the same shape (from :func:`relu_forward`)

    Returns ``∂E/∂u`` of the same shape.
    """
    dy = as_array(dy, "dy")
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean array; got dtype {mask.dtype}")
    check_shape(dy, "dy", mask.shape, "the shape of mask")
    return np.where(mask, dy, 0.0).astype(dy.dtype)


# ----------------------------------------------------------------------------- max-pool
def maxpool_forward(r, size=2):
    """Non-overlapping max-pooling over the last two axes, keeping the argmax *switches*.

    A thin view of :func:`cnnlab.pool.maxpool2d` (the values) and
    :func:`cnnlab.pool.maxpool2d_backward` (which entry wins): the switch map is where a unit
    upstream gradient lands.

    Inputs:
    - r: array of shape (..., H, W)
    - size: int or (sh, sw), window = stride (non-overlapping)

    Returns ``(p, switch)``: ``p`` of shape (..., ⌊H/sh⌋, ⌊W/sw⌋) holding each window's maximum,
    and ``switch``, a boolean array shaped like ``r`` that is True at exactly one position per
    window: the first maximum in row-major window order (the tie rule of
    :func:`cnnlab.pool.maxpool2d_backward`).  Rows/columns that do not fill a window are dropped
    (Keras's 'valid') and their switches are False.
    """
    r = as_array(r, "r")
    if r.ndim < 2:
        raise ValueError(f"r must have at least 2 dimensions (..., H, W); got shape {shape_str(r.shape)}")
    sh, sw = positive_int_pair(size, "size")
    H, W = r.shape[-2:]
    if sh > H or sw > W:
        raise ValueError(f"size {(sh, sw)} is larger than the input's last two axes {(H, W)}")
    p = maxpool2d(r, (sh, sw))
    switch = maxpool2d_backward(np.ones(p.shape, r.dtype), r, (sh, sw)) != 0
    return p, switch


def maxpool_backward(dy, switch, size=2):
    """Backward pass of max-pooling: ``∂E/∂r = switch ∘ up(∂E/∂p)``.

    Each window's incoming gradient is copied to the window's winner; every other position
    gets 0.  (The local derivative ∂p/∂r is 1 at the winner and 0 elsewhere — the *gradient*
    at the winner is the upstream value ∂E/∂p, not 1.)

    Inputs:
    - dy: upstream gradient ∂E/∂p of shape (..., Ho, Wo)
    - switch: boolean array of shape (..., H, W) from :func:`maxpool_forward`
    - size: the same window size as in the forward pass (square: ``up`` needs one n)

    Returns ``∂E/∂r`` of shape (..., H, W).
    """
    dy = as_array(dy, "dy")
    switch = np.asarray(switch)
    if switch.dtype != bool:
        raise TypeError(f"switch must be a boolean array; got dtype {switch.dtype}")
    sh, sw = positive_int_pair(size, "size")
    H, W = switch.shape[-2:]
    expected = switch.shape[:-2] + (H // sh, W // sw)
    check_shape(dy, "dy", expected, f"switch has shape {shape_str(switch.shape)} and size {(sh, sw)}")
    upped = np.repeat(np.repeat(dy, sh, axis=-2), sw, axis=-1) if sh != sw else up(dy, sh)
    dr = np.zeros(switch.shape, dtype=dy.dtype)
    dr[..., :upped.shape[-2], :upped.shape[-1]] = upped
    return np.where(switch, dr, 0.0).astype(dr.dtype)


# ----------------------------------------------------------------------------- convolution
def conv_forward(x, w, b):
    """Convolution layer as frameworks define it (cross-correlation), one image.

    Inputs:
    - x: input of shape (C, H, W)
    - w: filters of shape (F, C, kh, kw)
    - b: biases of shape (F,)

    Returns ``u`` of shape (F, H − kh + 1, W − kw + 1) with
    ``u[f, i, j] = b[f] + Σ_{c,p,q} w[f, c, p, q] · x[c, i + p, j + q]``.
    """
    x = as_array(x, "x", ndim=3)
    w = as_array(w, "w", ndim=4)
    return _conv().conv2d(x, w, b)


def conv_weight_grad(x, delta):
    """Weight and bias gradients of a convolution layer, written as the chapter derives them.

    ``∂E/∂W[f, c, p, q] = Σ_{i,j} x[c, i + p, j + q] · δ[f, i, j]``, i.e. for every pair (f, c)
    the 'valid' cross-correlation of the input map with the residual map: ``x[c] ⋆ δ[f]``.
    ``∂E/∂b[f] = Σ_{i,j} δ[f, i, j]``.

    Inputs:
    - x: the layer's input, shape (C, H, W)
    - delta: residuals ``δ = ∂E/∂u``, shape (F, Ho, Wo)

    Returns ``(dW, db)`` of shapes (F, C, H − Ho + 1, W − Wo + 1) and (F,).
    """
    x = as_array(x, "x", ndim=3)
    delta = as_array(delta, "delta", ndim=3)
    C, H, W = x.shape
    F, Ho, Wo = delta.shape
    if Ho > H or Wo > W:
        raise ValueError(f"delta's maps {(Ho, Wo)} cannot be larger than x's maps {(H, W)}")
    corr = _conv().correlate2d
    dW = np.stack([np.stack([corr(x[c], delta[f], "valid") for c in range(C)]) for f in range(F)])
    return dW, delta.sum(axis=(1, 2))


def conv_input_grad(delta, w):
    """Gradient with respect to a convolution layer's input.

    ``∂E/∂x[c] = Σ_f δ[f] * W[f, c]`` ('full' true convolution)
    ``= Σ_f δ[f] ⋆ rot180(W[f, c])`` ('full' cross-correlation with the flipped kernel).

    Inputs:
    - delta: residuals of shape (F, Ho, Wo)
    - w: filters of shape (F, C, kh, kw)

    Returns ``∂E/∂x`` of shape (C, Ho + kh − 1, Wo + kw − 1).
    """
    delta = as_array(delta, "delta", ndim=3)
    w = as_array(w, "w", ndim=4)
    if w.shape[0] != delta.shape[0]:
        raise ValueError(f"w must have {delta.shape[0]} filters (delta has shape "
                         f"{shape_str(delta.shape)}); got w of shape {shape_str(w.shape)}")
    from .sampling import rot180
    corr = _conv().correlate2d
    F, C = w.shape[:2]
    return np.stack([sum(corr(delta[f], rot180(w[f, c]), "full") for f in range(F)) for c in range(C)])


def weight_grad_terms(x, delta, f, c, p, q):
    """The products whose sum is one weight's gradient ``∂E/∂W[f, c, p, q]``.

    Inputs:
    - x: layer input (C, H, W); delta: residuals (F, Ho, Wo)
    - f, c, p, q: the weight's filter, channel, row and column

    Returns an (Ho, Wo) array ``T[i, j] = x[c, i + p, j + q] · δ[f, i, j]``; ``T.sum()`` is the
    gradient.  Each term is one output position at which the weight touched the input.
    """
    x = as_array(x, "x", ndim=3)
    delta = as_array(delta, "delta", ndim=3)
    C, H, W = x.shape
    F, Ho, Wo = delta.shape
    kh, kw = H - Ho + 1, W - Wo + 1
    for name, v, hi in (("f", f, F), ("c", c, C), ("p", p, kh), ("q", q, kw)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{name} must be an int; got {v!r}")
        if not 0 <= v < hi:
            raise ValueError(f"{name} must be in [0, {hi}); got {v}")
    return x[c, p:p + Ho, q:q + Wo] * delta[f]


# ----------------------------------------------------------------------------- matrix form
def conv_matrices(x, w):
    """The two matrices of convolution-as-a-product (im2col), one image.

    Inputs:
    - x: input (C, H, W); w: filters (F, C, kh, kw)

    Returns ``(W_col, X_col)``: ``W_col`` of shape (F, C·kh·kw) — one filter per row — and
    ``X_col`` of shape (C·kh·kw, Ho·Wo) — one receptive field per column, entries in the order
    (c, p, q), columns in the row-major order of output positions (i, j).
    """
    x = as_array(x, "x", ndim=3)
    w = as_array(w, "w", ndim=4)
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"w must have {x.shape[0]} input channels to match x of shape "
                         f"{shape_str(x.shape)}; got w of shape {shape_str(w.shape)}")
    X_col = _conv().im2col(x, w.shape[2:])
    return w.reshape(w.shape[0], -1), X_col


def conv_forward_matrix(x, w, b):
    """Convolution as one matrix product: ``Y = W_col · X_col + b 1ᵀ``.

    Inputs: x (C, H, W), w (F, C, kh, kw), b (F,).

    Returns ``(u, X_col)``: u of shape (F, Ho, Wo) with Ho = H − kh + 1, Wo = W − kw + 1, and
    the im2col matrix (C·kh·kw, Ho·Wo) kept for the backward pass.
    """
    W_col, X_col = conv_matrices(x, w)
    b = as_array(b, "b", ndim=1)
    check_shape(b, "b", (w.shape[0],), "one bias per filter")
    Ho, Wo = x.shape[1] - w.shape[2] + 1, x.shape[2] - w.shape[3] + 1
    return (W_col @ X_col + b[:, None]).reshape(w.shape[0], Ho, Wo), X_col


def conv_backward_matrix(delta, x, w):
    """Backward pass of a convolution layer in matrix form.

    With ``D`` = delta reshaped to (F, Ho·Wo):
    ``dW_col = D · X_colᵀ`` (F, C·kh·kw); ``db = D · 1``; ``dX_col = W_colᵀ · D``
    (C·kh·kw, Ho·Wo), which ``col2im`` scatters back, adding the entries that came from the
    same input pixel.

    Inputs: delta (F, Ho, Wo), x (C, H, W), w (F, C, kh, kw).

    Returns ``(dx, dW, db)`` with the shapes of x, w and (F,).
    """
    delta = as_array(delta, "delta", ndim=3)
    W_col, X_col = conv_matrices(x, w)
    F = w.shape[0]
    expected = (F, x.shape[1] - w.shape[2] + 1, x.shape[2] - w.shape[3] + 1)
    check_shape(delta, "delta", expected, f"the conv output's shape for x of shape {shape_str(x.shape)} and w of "
                f"shape {shape_str(w.shape)}")
    D = delta.reshape(F, -1)
    dW = (D @ X_col.T).reshape(w.shape)
    dX_col = W_col.T @ D
    dx = _conv().col2im(dX_col, np.shape(x), w.shape[2:])
    return dx, dW, D.sum(axis=1)


# ----------------------------------------------------------------------------- the chain
@dataclass
class ChainTrace:
    """Everything the forward pass of :class:`Q3Chain` computed (shapes in ``Q3_SHAPES``)."""
    x: np.ndarray
    u1: np.ndarray
    r1: np.ndarray
    mask1: np.ndarray
    p1: np.ndarray
    switch1: np.ndarray
    u2: np.ndarray
    r2: np.ndarray
    mask2: np.ndarray
    p2: np.ndarray
    switch2: np.ndarray


@dataclass
class ChainGrads:
    """Every gradient of the backward pass, named after what it is the gradient *with respect to*.

    ``dp2 = ∂E/∂p²``, ``dr2 = ∂E/∂r²`` (after the switches), ``delta2 = ∂E/∂u²`` (after the mask),
    ``dW2, db2``, ``dp1 = ∂E/∂p¹`` (full convolution with W²), ``dr1``, ``delta1``, ``dW1, db1``,
    ``dx = ∂E/∂x``.
    """
    dp2: np.ndarray
    dr2: np.ndarray
    delta2: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray
    dp1: np.ndarray
    dr1: np.ndarray
    delta1: np.ndarray
    dW1: np.ndarray
    db1: np.ndarray
    dx: np.ndarray = field(default=None)

    def params(self):
        """The parameter gradients as a dict keyed like the parameters."""
        return {"W1": self.dW1, "b1": self.db1, "W2": self.dW2, "b2": self.db2}


class Q3Chain:
    """The seed's two-stage network with explicit forward and backward steps.

    Inputs to the constructor:
    - params: dict with W1 (3, 1, 3, 3), b1 (3,), W2 (10, 3, 4, 4), b2 (10,), or None for
      :func:`init_q3_params` with ``seed``

    The loss used by :meth:`loss_and_grads` is ``E = ½ Σ (p² − t)²`` for a target t shaped like
    p² (10, 5, 5); any other loss only changes ``∂E/∂p²``, the start of the backward pass.
    """

    def __init__(self, params=None, seed=0):
        if params is None:
            params = init_q3_params(seed)
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict with keys W1, b1, W2, b2; got {type(params).__name__}")
        self.params = {}
        for key in ("W1", "b1", "W2", "b2"):
            if key not in params:
                raise ValueError(f"params is missing {key!r}; expected keys W1, b1, W2, b2")
            a = as_array(params[key], f"params[{key!r}]").astype(np.float64)
            check_shape(a, f"params[{key!r}]", Q3_SHAPES[key])
            self.params[key] = a

    def forward(self, x):
        """Run the chain on one image x of shape (1, 28, 28); returns a :class:`ChainTrace`."""
        x = as_array(x, "x").astype(np.float64)
        check_shape(x, "x", Q3_SHAPES["x"], "one grey image, channels first")
        P = self.params
        u1 = conv_forward(x, P["W1"], P["b1"])
        r1, mask1 = relu_forward(u1)
        p1, switch1 = maxpool_forward(r1, 2)
        u2 = conv_forward(p1, P["W2"], P["b2"])
        r2, mask2 = relu_forward(u2)
        p2, switch2 = maxpool_forward(r2, 2)
        return ChainTrace(x, u1, r1, mask1, p1, switch1, u2, r2, mask2, p2, switch2)

    def backward(self, trace, dp2, matrix=False):
        """Backward pass from ``∂E/∂p²`` (10, 5, 5) through the stored switches and masks.

        With ``matrix=True`` the two convolution layers use the im2col form
        (:func:`conv_backward_matrix`) instead of the correlation formulas; results agree.

        Returns a :class:`ChainGrads`.
        """
        if not isinstance(trace, ChainTrace):
            raise TypeError(f"trace must be a ChainTrace from forward(); got {type(trace).__name__}")
        dp2 = as_array(dp2, "dp2").astype(np.float64)
        check_shape(dp2, "dp2", Q3_SHAPES["p2"], "the shape of the network's output")
        P = self.params
        dr2 = maxpool_backward(dp2, trace.switch2, 2)
        delta2 = relu_backward(dr2, trace.mask2)
        if matrix:
            dp1, dW2, db2 = conv_backward_matrix(delta2, trace.p1, P["W2"])
        else:
            dW2, db2 = conv_weight_grad(trace.p1, delta2)
            dp1 = conv_input_grad(delta2, P["W2"])
        dr1 = maxpool_backward(dp1, trace.switch1, 2)
        delta1 = relu_backward(dr1, trace.mask1)
        if matrix:
            dx, dW1, db1 = conv_backward_matrix(delta1, trace.x, P["W1"])
        else:
            dW1, db1 = conv_weight_grad(trace.x, delta1)
            dx = conv_input_grad(delta1, P["W1"])
        return ChainGrads(dp2, dr2, delta2, dW2, db2, dp1, dr1, delta1, dW1, db1, dx)

    @staticmethod
    def loss(p2, target):
        """``E = ½ Σ (p² − t)²``; returns ``(E, ∂E/∂p²)``."""
        p2 = as_array(p2, "p2")
        target = as_array(target, "target")
        check_shape(target, "target", p2.shape, "the shape of the network's output p2")
        diff = p2 - target
        return 0.5 * float(np.sum(diff * diff)), diff

    def loss_and_grads(self, x, target, matrix=False):
        """Forward, loss and backward in one call; returns ``(E, trace, grads)``."""
        trace = self.forward(x)
        E, dp2 = self.loss(trace.p2, target)
        return E, trace, self.backward(trace, dp2, matrix=matrix)

    def energy(self, x, target, **override):
        """The loss E as a plain function of the parameters (for finite differences).

        ``override`` replaces parameters by name, e.g. ``energy(x, t, W1=W1_perturbed)``.
        """
        params = dict(self.params, **override)
        trace = Q3Chain(params).forward(x)
        return self.loss(trace.p2, target)[0]


# ----------------------------------------------------------------------------- a classifier head
def softmax_head(p2, V, v, label):
    """Close the network with a classifier: flatten, dense layer, softmax, cross-entropy.

    ``z = V · vec(p²) + v``, ``ŷ = softmax(z)``, ``E = −log ŷ[label]``; the backward pass is
    ``∂E/∂z = ŷ − e_label`` and ``∂E/∂p² = reshape(Vᵀ (ŷ − e_label))`` — the only quantity the
    rest of the backward pass (:meth:`Q3Chain.backward`) needs from the head.

    Inputs:
    - p2: the network's output, shape (C, H, W) (the seed's (10, 5, 5))
    - V: dense weights of shape (K, C·H·W) for K classes
    - v: dense biases of shape (K,)
    - label: int in [0, K), the true class

    Returns ``(E, dp2, y_hat)``: the loss (float), ``∂E/∂p²`` shaped like p2, and the K
    probabilities.
    """
    p2 = as_array(p2, "p2", ndim=3)
    V = as_array(V, "V", ndim=2)
    v = as_array(v, "v", ndim=1)
    if V.shape[1] != p2.size:
        raise ValueError(f"V must have {p2.size} columns (p2 has shape {shape_str(p2.shape)}); "
                         f"got V of shape {shape_str(V.shape)}")
    check_shape(v, "v", (V.shape[0],), "one bias per row of V")
    if not isinstance(label, (int, np.integer)) or isinstance(label, bool):
        raise TypeError(f"label must be an int; got {label!r}")
    if not 0 <= label < V.shape[0]:
        raise ValueError(f"label must be in [0, {V.shape[0]}); got {label}")
    z = V @ p2.ravel() + v
    z = z - z.max()
    log_y = z - np.log(np.sum(np.exp(z)))
    y_hat = np.exp(log_y)
    dz = y_hat.copy()
    dz[label] -= 1.0
    return float(-log_y[label]), (V.T @ dz).reshape(p2.shape), y_hat
