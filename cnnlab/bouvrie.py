"""Bouvrie's backpropagation formulas, written literally as code.

J. Bouvrie, "Notes on Convolutional Neural Networks" (2006) derives the gradients of a LeNet-like
network -- convolution layers, trainable subsampling layers, learned combinations of feature maps
-- and writes them in MATLAB terms: ``conv2`` (a *true* convolution, which flips its second
argument), ``rot180``, ``up`` and ``down``.  Each function here computes one of those formulas
exactly as printed, built from :func:`cnnlab.matlab.conv2` and :mod:`cnnlab.sampling`, so the
chapters can set "formula" next to "code" and check both against finite differences and PyTorch.

Notation (the book's, after Bouvrie):

- layer ``l``, map ``j``; pre-activation ``u_j^l``, output ``x_j^l = f(u_j^l)``;
- kernels ``k_ij^l`` connect input map ``i`` (layer ``l-1``) to output map ``j`` (layer ``l``);
- residuals (sensitivities) ``delta_j^l = dE/du_j^l``;
- a *connection table* ``table`` of shape ``(I, J)``, ``table[i, j]`` true when input map ``i``
  feeds output map ``j`` (``i in M_j`` in Bouvrie's notation).  ``None`` means "all connected".

Arrays are channels first: a stack of maps has shape ``(maps, rows, cols)``; kernels have shape
``(I, J, kh, kw)`` (unused entries of a sparse table are ignored).

Two conventions for the symbol ``*`` appear in the functions that need it:

- ``convention="matlab"``: the layer computes ``u_j = sum_i conv2(x_i, k_ij, 'valid') + b_j``
  with MATLAB's flipping ``conv2`` -- Bouvrie's convention, where his rot180 formulas hold as
  printed;
- ``convention="xcorr"``: the layer computes ``u_j = sum_i x_i ⋆ k_ij + b_j`` with the
  cross-correlation ``⋆`` every framework (PyTorch, Keras) calls "convolution".
"""
import numpy as np

from cnnlab._validate import as_array, check_int, check_ndim, check_real, check_shape, shape_str
from cnnlab.shapes import conv_output_size

__all__ = [
    "lenet_c3_table", "full_table", "check_table", "input_index", "kernel_index",
    "dense_forward", "dense_backward",
    "conv_layer_forward", "conv_residual", "bias_grad", "kernel_grad", "kernel_grad_sum",
    "kernel_grads", "subsampling_forward", "subsampling_residual",
    "subsampling_residual_as_printed", "beta_grad",
    "softmax_columns", "combination_forward", "alpha_grad", "c_grad",
    "l1_penalty", "l1_penalty_c_grad", "entropy_penalty", "entropy_penalty_c_grad",
]

_CONVENTIONS = ("matlab", "xcorr")


def input_index(u, p, kh, convention="matlab"):
    """The input row (or column) that kernel entry ``p`` multiplies at output row ``u``.

    The one place of the flip rule.  A 'valid' layer computes
    ``u_j[u] = Σ_p k[p] · x[input_index(u, p, kh)]`` with

    - ``convention="matlab"`` (MATLAB's flipping ``conv2``, Bouvrie's): ``u + kh − 1 − p``;
    - ``convention="xcorr"`` (cross-correlation ``⋆``, as frameworks): ``u + p``.

    Inputs: u (>= 0), p (0 <= p < kh), kh the kernel length; 0-based ints or integer arrays.
    Returns the 0-based input index.
    """
    _check_convention(convention)
    return u + kh - 1 - p if convention == "matlab" else u + p


def kernel_index(u, r, kh, convention="matlab"):
    """The inverse of :func:`input_index`: which kernel entry links input ``r`` to output ``u``
    (``u + kh − 1 − r`` for 'matlab', ``r − u`` for 'xcorr'); outside ``0..kh−1`` there is no
    link.  0-based ints or integer arrays."""
    _check_convention(convention)
    return u + kh - 1 - r if convention == "matlab" else r - u


def _conv2(a, b, shape):
    from cnnlab.matlab import conv2
    return conv2(a, b, shape)


def _sampling():
    from cnnlab import sampling
    return sampling


def _check_convention(convention):
    if convention not in _CONVENTIONS:
        raise ValueError(
            f"convention must be 'matlab' (flipping conv2, Bouvrie's) or 'xcorr' "
            f"(cross-correlation, as frameworks); got {convention!r}"
        )


def lenet_c3_table():
    """LeNet-5's S2 -> C3 connection table (LeCun et al. 1998, Table I).

    Returns a boolean array of shape ``(6, 16)``: entry ``[i, j]`` is true when S2 map ``i`` feeds
    C3 map ``j`` (0-based).  60 connections in all.  The table itself lives once, in
    :data:`cnnlab.models.C3_TABLE`; this is its boolean view in Bouvrie's ``(I, J)`` orientation.
    """
    from .models import C3_TABLE

    return C3_TABLE.astype(bool)


def full_table(n_in, n_out):
    """The all-to-all connection table, shape ``(n_in, n_out)``, every entry true."""
    return np.ones((check_int(n_in, "n_in", 1), check_int(n_out, "n_out", 1)), dtype=bool)


def check_table(table, n_in, n_out, name="table"):
    """Return ``table`` as a boolean ``(n_in, n_out)`` array (``None`` -> all connected)."""
    n_in, n_out = check_int(n_in, "n_in", 1), check_int(n_out, "n_out", 1)
    if table is None:
        return full_table(n_in, n_out)
    t = np.asarray(table)
    if t.dtype.kind not in "biu":
        raise TypeError(f"{name} must be a boolean (or 0/1) array; got dtype {t.dtype}")
    check_shape(t, name, (n_in, n_out), "input maps x output maps")
    return t.astype(bool)


# --------------------------------------------------------------------------------------------
# Chapter 5: fully connected layers, the recursion
# --------------------------------------------------------------------------------------------

def dense_forward(x, weights, biases, f):
    """Forward pass of a fully connected network, keeping what backpropagation needs.

    ``u^l = W^l x^{l-1} + b^l``, ``x^l = f(u^l)``, ``x^0 = x``.

    Inputs:
    - x: input vector, shape (D0,)
    - weights: list of L matrices, ``weights[l]`` of shape (D_{l+1}, D_l)
    - biases: list of L vectors, ``biases[l]`` of shape (D_{l+1},)
    - f: the activation, a function applied elementwise

    Returns ``(us, xs)``: the L pre-activations and the L+1 outputs (``xs[0] = x``).
    """
    x = as_array(x, "x", ndim=1)
    if len(weights) != len(biases) or not weights:
        raise ValueError(f"weights and biases must be non-empty lists of equal length; got "
                         f"{len(weights)} weights and {len(biases)} biases")
    us, xs = [], [x]
    for l, (w, b) in enumerate(zip(weights, biases)):
        w = as_array(w, f"weights[{l}]", ndim=2)
        b = as_array(b, f"biases[{l}]", ndim=1)
        if w.shape[1] != xs[-1].shape[0] or b.shape[0] != w.shape[0]:
            raise ValueError(
                f"layer {l}: weights[{l}] has shape {shape_str(w.shape)} and biases[{l}] shape "
                f"{shape_str(b.shape)}, but the layer's input has {xs[-1].shape[0]} entries; "
                f"expected weights ({b.shape[0]}, {xs[-1].shape[0]})")
        u = w @ xs[-1] + b
        us.append(u)
        xs.append(f(u))
    return us, xs


def _len(v):
    return len(v) if isinstance(v, (list, tuple)) else f"not a list ({type(v).__name__})"


def dense_backward(us, xs, weights, t, fprime):
    """Bouvrie's recursion for the squared error ``E = 1/2 ||x^L - t||^2``.

    ``delta^L = f'(u^L) ∘ (x^L - t)``; ``delta^l = (W^{l+1})^T delta^{l+1} ∘ f'(u^l)``;
    ``dE/dW^l = delta^l (x^{l-1})^T`` (shape of ``W^l``); ``dE/db^l = delta^l``.

    Inputs:
    - us, xs: from :func:`dense_forward`
    - weights: the same list of L matrices
    - t: target, shape (D_L,)
    - fprime: derivative of the activation, elementwise

    Returns ``(deltas, dWs, dbs)``, lists of length L (index ``l`` = layer ``l+1`` in the text).
    """
    if not isinstance(us, (list, tuple)) or not isinstance(xs, (list, tuple)) or not us \
            or len(xs) != len(us) + 1 or len(weights) != len(us):
        raise ValueError("us, xs and weights must be the lists dense_forward used and returned "
                         "(L pre-activations, L + 1 outputs, L weight matrices); got lengths "
                         f"{_len(us)}, {_len(xs)} and {_len(weights)}")
    t = as_array(t, "t", ndim=1)
    check_shape(t, "t", np.shape(xs[-1]), "same as the network's output")
    L = len(us)
    deltas = [None] * L
    deltas[-1] = fprime(us[-1]) * (xs[-1] - t)
    for l in range(L - 2, -1, -1):
        deltas[l] = (weights[l + 1].T @ deltas[l + 1]) * fprime(us[l])
    dWs = [np.outer(deltas[l], xs[l]) for l in range(L)]
    dbs = [d.copy() for d in deltas]
    return deltas, dWs, dbs


# --------------------------------------------------------------------------------------------
# Chapter 6: a convolution layer followed by subsampling
# --------------------------------------------------------------------------------------------

def _stack(x, name):
    x = as_array(x, name)
    check_ndim(x, name, 3)
    return x


def _kernels(k, n_in, n_out, name="k"):
    k = as_array(k, name)
    check_ndim(k, name, 4)
    if k.shape[:2] != (n_in, n_out):
        raise ValueError(f"{name} must have shape ({n_in}, {n_out}, kh, kw) (input maps, output "
                         f"maps, kernel rows, kernel cols); got {shape_str(k.shape)}")
    return k


def conv_layer_forward(x_prev, k, b, table=None, convention="matlab"):
    """Pre-activations of a convolution layer, Bouvrie's eq.: ``u_j = sum_{i in M_j} x_i * k_ij + b_j``.

    Inputs:
    - x_prev: input maps ``x^{l-1}``, shape (I, H, W)
    - k: kernels, shape (I, J, kh, kw)
    - b: biases, shape (J,)
    - table: connection table (I, J) or None (all connected)
    - convention: 'matlab' (``*`` is ``conv2``, flipping) or 'xcorr' (cross-correlation ``⋆``)

    Returns ``u`` of shape (J, H - kh + 1, W - kw + 1) ('valid' output size).
    """
    _check_convention(convention)
    x_prev = _stack(x_prev, "x_prev")
    n_in = x_prev.shape[0]
    k = as_array(k, "k")
    check_ndim(k, "k", 4)
    n_out = k.shape[1]
    k = _kernels(k, n_in, n_out)
    b = as_array(b, "b", ndim=1)
    check_shape(b, "b", (n_out,), "one bias per output map")
    table = check_table(table, n_in, n_out)
    kh, kw = k.shape[2:]
    H, W = x_prev.shape[1:]
    if kh > H or kw > W:
        raise ValueError(f"k's kernels {kh}x{kw} are larger than the input maps {H}x{W}")
    u = np.zeros((n_out, conv_output_size(H, kh), conv_output_size(W, kw)), dtype=np.result_type(x_prev, k))
    sampling = _sampling()
    for j in range(n_out):
        for i in range(n_in):
            if table[i, j]:
                kij = k[i, j] if convention == "matlab" else sampling.rot180(k[i, j])
                u[j] += _conv2(x_prev[i], kij, "valid")
        u[j] += b[j]
    return u


def conv_residual(beta_next, fprime_u, delta_next, n):
    """Residual of a convolution layer followed by subsampling (Bouvrie, section 3.1):

    ``delta_j^l = beta_j^{l+1} ( f'(u_j^l) ∘ up(delta_j^{l+1}, n) )``.

    Inputs:
    - beta_next: subsampling coefficients of layer l+1, shape (J,)
    - fprime_u: ``f'(u^l)``, shape (J, H, W)
    - delta_next: residuals of the subsampling layer, shape (J, H/n, W/n)
    - n: the subsampling factor

    Returns ``delta^l`` of shape (J, H, W).
    """
    fprime_u = _stack(fprime_u, "fprime_u")
    delta_next = _stack(delta_next, "delta_next")
    beta_next = as_array(beta_next, "beta_next", ndim=1)
    J, H, W = fprime_u.shape
    check_shape(beta_next, "beta_next", (J,), "one coefficient per map")
    check_shape(delta_next, "delta_next", (J, H // n, W // n), f"fprime_u's maps divided by n={n}")
    up = _sampling().up(delta_next, n)
    return beta_next[:, None, None] * (fprime_u * up)


def bias_grad(delta):
    """``dE/db_j = sum_{u,v} (delta_j)_{uv}``.  delta: (J, H, W) -> returns (J,)."""
    delta = _stack(delta, "delta")
    return delta.sum(axis=(1, 2))


def kernel_grad(x_prev_i, delta_j, convention="matlab"):
    """Gradient of one kernel ``k_ij`` (Bouvrie, section 3.1, and his MATLAB line).

    - 'matlab': ``dE/dk_ij = rot180( conv2( x_i^{l-1}, rot180(delta_j^l), 'valid' ) )`` -- the
      inner rot180 undoes conv2's flip (so conv2 correlates x with delta), the outer one turns the
      result into the kernel's orientation, because the forward ``conv2(x, k_ij)`` flipped k_ij.
    - 'xcorr': ``dE/dk_ij = x_i^{l-1} ⋆ delta_j^l`` = ``conv2(x_i, rot180(delta_j), 'valid')``
      (no outer rot180: the forward pass never flipped the kernel).

    Inputs:
    - x_prev_i: one input map, shape (H, W)
    - delta_j: the residual of one output map, shape (H - kh + 1, W - kw + 1)

    Returns the kernel gradient, shape (kh, kw) = (H - Hd + 1, W - Wd + 1).
    """
    _check_convention(convention)
    x = as_array(x_prev_i, "x_prev_i", ndim=2)
    d = as_array(delta_j, "delta_j", ndim=2)
    if d.shape[0] > x.shape[0] or d.shape[1] > x.shape[1]:
        raise ValueError(f"delta_j {shape_str(d.shape)} cannot be larger than x_prev_i "
                         f"{shape_str(x.shape)} (a 'valid' output is never larger than its input)")
    rot180 = _sampling().rot180
    g = _conv2(x, rot180(d), "valid")
    return rot180(g) if convention == "matlab" else g


def kernel_grad_sum(x_prev_i, delta_j, kernel_shape, convention="matlab"):
    """The same gradient as a plain double sum: ``dE/dk_ij = sum_{u,v} (delta_j)_{uv} (p_i)_{uv}``.

    ``(p_i)_{uv}`` is the patch of ``x_i`` that multiplied kernel entry (p, q) when output (u, v)
    was computed.  Loops only, no convolution routine: an independent reference.

    Inputs: x_prev_i (H, W); delta_j (Ho, Wo); kernel_shape (kh, kw) with Ho = H - kh + 1.
    Returns (kh, kw).
    """
    _check_convention(convention)
    x = as_array(x_prev_i, "x_prev_i", ndim=2)
    d = as_array(delta_j, "delta_j", ndim=2)
    kh, kw = kernel_shape
    check_shape(d, "delta_j", (conv_output_size(x.shape[0], kh), conv_output_size(x.shape[1], kw)),
                f"'valid' output size of x_prev_i of shape {shape_str(x.shape)} and kernel_shape ({kh}, {kw})")
    g = np.zeros((kh, kw))
    for p in range(kh):
        for q in range(kw):
            for u in range(d.shape[0]):
                for v in range(d.shape[1]):
                    # conv2: x_{u+kh-1-p, v+kw-1-q};  ⋆: x_{u+p, v+q}  (see input_index)
                    g[p, q] += d[u, v] * x[input_index(u, p, kh, convention),
                                           input_index(v, q, kw, convention)]
    return g


def kernel_grads(x_prev, delta, table=None, convention="matlab"):
    """All kernel gradients of a layer: (I, H, W) inputs, (J, Ho, Wo) residuals -> (I, J, kh, kw).

    Entries of unconnected pairs (``table[i, j]`` false) are zero.
    """
    x_prev = _stack(x_prev, "x_prev")
    delta = _stack(delta, "delta")
    n_in, n_out = x_prev.shape[0], delta.shape[0]
    table = check_table(table, n_in, n_out)
    kh = x_prev.shape[1] - delta.shape[1] + 1
    kw = x_prev.shape[2] - delta.shape[2] + 1
    g = np.zeros((n_in, n_out, kh, kw))
    for i in range(n_in):
        for j in range(n_out):
            if table[i, j]:
                g[i, j] = kernel_grad(x_prev[i], delta[j], convention)
    return g


# --------------------------------------------------------------------------------------------
# Chapter 7: a subsampling layer followed by convolution
# --------------------------------------------------------------------------------------------

def subsampling_forward(x_prev, beta, b, n):
    """``u_j^l = beta_j^l down(x_j^{l-1}, n) + b_j^l``.

    Inputs: x_prev (J, H, W) with n dividing H and W; beta (J,); b (J,).
    Returns (J, H/n, W/n).
    """
    x_prev = _stack(x_prev, "x_prev")
    return _sampling().subsample(x_prev, beta, b, n)   # the one implementation, cnnlab.sampling


def subsampling_residual(fprime_u, delta_next, k_next, table=None, convention="matlab"):
    """Residual of a subsampling layer followed by a convolution layer, through the table:

    ``delta_i^l = f'(u_i^l) ∘ sum_{j : i in M_j} conv2(delta_j^{l+1}, rot180(k_ij^{l+1}), 'full')``
    ('matlab'), or with ``conv2(delta_j, k_ij, 'full')`` when the forward pass was a
    cross-correlation ('xcorr').

    Inputs:
    - fprime_u: ``f'(u^l)`` of the subsampling layer, shape (I, H, W)
    - delta_next: residuals of the convolution layer, shape (J, H - kh + 1, W - kw + 1)
    - k_next: the convolution layer's kernels, shape (I, J, kh, kw)
    - table: connection table (I, J) or None

    Returns ``delta^l``, shape (I, H, W).
    """
    _check_convention(convention)
    fprime_u = _stack(fprime_u, "fprime_u")
    delta_next = _stack(delta_next, "delta_next")
    n_in, n_out = fprime_u.shape[0], delta_next.shape[0]
    k_next = _kernels(k_next, n_in, n_out, "k_next")
    table = check_table(table, n_in, n_out)
    kh, kw = k_next.shape[2:]
    check_shape(delta_next, "delta_next",
                (n_out, conv_output_size(fprime_u.shape[1], kh), conv_output_size(fprime_u.shape[2], kw)),
                f"the 'valid' output size of the next convolution, for fprime_u of shape "
                f"{shape_str(fprime_u.shape)} and k_next of shape {shape_str(k_next.shape)}")
    rot180 = _sampling().rot180
    total = np.zeros(fprime_u.shape)
    for i in range(n_in):
        for j in range(n_out):
            if table[i, j]:
                kk = rot180(k_next[i, j]) if convention == "matlab" else k_next[i, j]
                total[i] += _conv2(delta_next[j], kk, "full")
    return fprime_u * total


def subsampling_residual_as_printed(fprime_u_j, delta_next_j, k_next_j):
    """The notes' formula with its single index: ``f'(u_j^l) ∘ conv2(delta_j^{l+1}, rot180(k_j^{l+1}), 'full')``.

    Correct only when map j of the subsampling layer feeds exactly one map of the next layer
    (one-to-one); in general use :func:`subsampling_residual`, which sums over the table.
    Inputs: fprime_u_j (H, W); delta_next_j (Ho, Wo); k_next_j (kh, kw).  Returns (H, W).
    """
    f = as_array(fprime_u_j, "fprime_u_j", ndim=2)
    d = as_array(delta_next_j, "delta_next_j", ndim=2)
    k = as_array(k_next_j, "k_next_j", ndim=2)
    full = _conv2(d, _sampling().rot180(k), "full")
    check_shape(f, "fprime_u_j", full.shape, "the 'full' size of delta_next_j and k_next_j")
    return f * full


def beta_grad(delta, x_prev, n):
    """``dE/dbeta_j = sum_{u,v} (delta_j^l ∘ d_j^l)_{uv}`` with ``d_j^l = down(x_j^{l-1}, n)``.

    Inputs: delta (J, H/n, W/n), the subsampling layer's residuals; x_prev (J, H, W).
    Returns (J,).
    """
    delta = _stack(delta, "delta")
    x_prev = _stack(x_prev, "x_prev")
    d = _sampling().down(x_prev, n)
    check_shape(delta, "delta", d.shape, f"down(x_prev, {n})")
    # the one implementation: cnnlab.sampling.subsample_backward (beta only scales dx)
    return _sampling().subsample_backward(delta, x_prev, np.ones(x_prev.shape[0]), n)[1]


# --------------------------------------------------------------------------------------------
# Chapter 8: learning combinations of feature maps
# --------------------------------------------------------------------------------------------

def softmax_columns(c):
    """``alpha_ij = exp(c_ij) / sum_k exp(c_kj)``: a softmax over the input maps i (axis 0).

    c: (I, J) -> alpha (I, J), each column positive and summing to 1.
    """
    c = as_array(c, "c", ndim=2)
    e = np.exp(c - c.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def combination_forward(x_prev, k, c, b, convention="matlab"):
    """Bouvrie's learned combinations: ``u_j = sum_i alpha_ij (x_i * k_i) + b_j``, ``alpha = softmax_i(c)``.

    One kernel per *input* map (``k_i``), shared by every output map; the maps are mixed with
    learned weights alpha.

    Inputs: x_prev (I, H, W); k (I, kh, kw); c (I, J); b (J,).
    Returns ``(u, conv)``: u of shape (J, Ho, Wo) and the convolved inputs ``x_i * k_i``, (I, Ho, Wo).
    """
    _check_convention(convention)
    x_prev = _stack(x_prev, "x_prev")
    k = _stack(k, "k")
    c = as_array(c, "c", ndim=2)
    n_in = x_prev.shape[0]
    if k.shape[0] != n_in or c.shape[0] != n_in:
        raise ValueError(f"k (got {shape_str(k.shape)}) and c (got {shape_str(c.shape)}) need one "
                         f"row per input map ({n_in})")
    b = as_array(b, "b", ndim=1)
    check_shape(b, "b", (c.shape[1],), "one bias per output map")
    rot180 = _sampling().rot180
    conv = np.stack([_conv2(x_prev[i], k[i] if convention == "matlab" else rot180(k[i]), "valid")
                     for i in range(n_in)])
    alpha = softmax_columns(c)
    u = np.einsum("ij,ihw->jhw", alpha, conv) + b[:, None, None]
    return u, conv


def alpha_grad(delta, conv):
    """``dE/dalpha_ij = sum_{u,v} (delta_j ∘ (x_i * k_i))_{uv}``.  delta (J, Ho, Wo), conv (I, Ho, Wo) -> (I, J)."""
    delta = _stack(delta, "delta")
    conv = _stack(conv, "conv")
    if delta.shape[1:] != conv.shape[1:]:
        raise ValueError(f"delta {shape_str(delta.shape)} and conv {shape_str(conv.shape)} must "
                         f"share their map size")
    return np.einsum("jhw,ihw->ij", delta, conv)


def c_grad(dE_dalpha, c):
    """Chain rule through the softmax: ``dE/dc_ij = sum_k dE/dalpha_kj dalpha_kj/dc_ij``, with
    ``dalpha_kj/dc_ij = alpha_ij ([k = i] - alpha_kj)``, so
    ``dE/dc_ij = alpha_ij (dE/dalpha_ij - sum_k alpha_kj dE/dalpha_kj)``.

    Inputs: dE_dalpha (I, J); c (I, J).  Returns (I, J).
    """
    g = as_array(dE_dalpha, "dE_dalpha", ndim=2)
    c = as_array(c, "c", ndim=2)
    check_shape(g, "dE_dalpha", c.shape, "same as c")
    alpha = softmax_columns(c)
    return alpha * (g - (alpha * g).sum(axis=0, keepdims=True))


def l1_penalty(c, lam):
    """The notes' sparsity penalty ``Omega = lam sum_ij |alpha_ij|`` with ``alpha = softmax_i(c)``.

    Under the softmax every column sums to 1 with positive entries, so Omega = lam * J whatever c.
    """
    return check_real(lam, "lam") * np.abs(softmax_columns(c)).sum()


def l1_penalty_c_grad(c, lam):
    """The notes' gradient, literally: ``dOmega/dalpha = lam sign(alpha)``, then through the softmax.

    Returns (I, J) -- zero up to rounding, as the chapter shows.
    """
    alpha = softmax_columns(c)
    return c_grad(check_real(lam, "lam") * np.sign(alpha), c)


def entropy_penalty(c, lam):
    """A penalty that does push each column of alpha towards one input map:
    ``lam sum_j H(alpha_.j) = -lam sum_ij alpha_ij log alpha_ij`` (zero for a one-hot column)."""
    alpha = softmax_columns(c)
    return -check_real(lam, "lam") * float((alpha * np.log(alpha)).sum())


def entropy_penalty_c_grad(c, lam):
    """Gradient of :func:`entropy_penalty` w.r.t. c: ``dOmega/dalpha = -lam (log alpha + 1)`` through the softmax."""
    alpha = softmax_columns(c)
    return c_grad(-check_real(lam, "lam") * (np.log(alpha) + 1.0), c)
