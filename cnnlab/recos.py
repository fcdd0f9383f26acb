"""The RECOS model (REctified COrrelations on a Sphere) of Kuo (2016), in NumPy.

Kuo reads a convolutional layer as follows.  Flatten an input patch to a vector
``x ∈ R^D`` (``D = kh·kw·C``) and each filter of the layer to an *anchor vector* ``a_k ∈ R^D``.
The filter's response is

    u_k = a_k · x + b_k = ‖a_k‖ ‖x‖ cos θ_k + b_k,

so, up to the two lengths and the bias, a filter measures the *correlation* ``cos θ_k`` between
the patch and its anchor: both live, once normalised, on the unit sphere ``S^{D-1}``.  The
rectification ``f(u) = max(0, u)`` then keeps the positive correlations and discards the negative
ones.  The functions here compute those quantities, the anchors of a trained layer, k-means
centres of normalised patches, the thresholded ReLU (TReLU), a constructed example of why the
rectification matters, a convolution layer that outputs the correlations themselves
(:func:`cosine_correlate` and its backward pass, :class:`CosineConv2D`, anchors started at the
data's k-means centres by :func:`init_anchors_from_data`) so that TReLU can threshold ``cos θ``,
and the experiments of the chapter (with an on-disk cache).

Conventions: vectors are rows (``(N, D)`` arrays); images for patch extraction are
``(N, H, W)`` or channels-last ``(N, H, W, C)``, as the Keras-like model uses.
"""
from numbers import Real

import numpy as np

from ._validate import as_array, check_ndim, positive_int_pair, shape_str
from .layers import Conv2D, Layer, _act_mixin_forward

__all__ = [
    "unit_vectors", "correlations", "recos_response", "relu", "trelu", "trelu_grad", "TReLU",
    "trelu_activation",
    "extract_patches", "normalized_patches", "kmeans_anchors", "anchor_vectors",
    "match_anchors", "invert_gray", "pattern_vs_negative_example",
    "cosine_correlate", "cosine_correlate_backward", "CosineConv2D", "COSINE_EPS", "COSINE_PHIS",
    "active_fractions", "init_anchors_from_data", "cosine_sweep_verdict",
]


# ---------------------------------------------------------------------------------------------
# Points on the sphere and correlations
# ---------------------------------------------------------------------------------------------

def unit_vectors(x, remove_mean=False, name="x"):
    """Project vectors onto the unit sphere (optionally after removing their mean).

    Inputs:
    - x: array of shape (D,) or (N, D), one vector per row
    - remove_mean: if True, subtract each vector's mean first (its "DC" part), so that the result
      lies on the sphere inside the hyperplane ``sum(x) = 0``
    - name: argument name used in error messages

    Returns an array of the same shape whose rows have Euclidean norm 1.
    Raises ValueError if a row has (numerically) zero norm: it has no direction.
    """
    a = as_array(x, name, ndim=(1, 2)).astype(np.float64)
    if remove_mean:
        a = a - a.mean(axis=-1, keepdims=True)
    norms = np.linalg.norm(a, axis=-1, keepdims=True)
    scale = max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0
    bad = norms[..., 0] <= 1e-12 * scale
    if np.any(bad):
        where = int(np.flatnonzero(np.atleast_1d(bad))[0])
        raise ValueError(
            f"{name} has a row of zero norm (row {where}{' after removing its mean' if remove_mean else ''}); "
            "expected non-zero vectors, which have a direction on the sphere"
        )
    return a / norms


def correlations(x, anchors):
    """Correlations (cosines of angles) between input vectors and anchor vectors.

    ``c_k = a_k · x / (‖a_k‖ ‖x‖) = cos θ_k`` — the RECOS correlation, in ``[-1, 1]``.

    Inputs:
    - x: input vector(s), shape (D,) or (N, D)
    - anchors: anchor vectors, shape (K, D)

    Returns shape (K,) for one input, (N, K) for N inputs.
    """
    a = unit_vectors(anchors, name="anchors")
    check_ndim(a, "anchors", 2)
    xs = as_array(x, "x", ndim=(1, 2))
    if xs.shape[-1] != a.shape[1]:
        raise ValueError(
            f"x must have {a.shape[1]} components per vector to match anchors of shape "
            f"{shape_str(a.shape)}; got x of shape {shape_str(xs.shape)}"
        )
    u = unit_vectors(xs)
    return np.clip(u @ a.T, -1.0, 1.0)


def recos_response(x, anchors, bias=0.0, activation="relu", phi=0.0):
    """A RECOS unit's output ``f(a_k · x + b_k)`` for each anchor ``a_k``.

    Inputs:
    - x: input vector(s), shape (D,) or (N, D) (not normalised: lengths count here)
    - anchors: shape (K, D), the filters (not normalised)
    - bias: scalar or shape (K,)
    - activation: "relu", "linear" (no rectification) or "trelu" (with threshold ``phi``)

    Returns shape (K,) or (N, K).
    """
    a = as_array(anchors, "anchors", ndim=2)
    xs = as_array(x, "x", ndim=(1, 2))
    if xs.shape[-1] != a.shape[1]:
        raise ValueError(
            f"x must have {a.shape[1]} components per vector to match anchors of shape "
            f"{shape_str(a.shape)}; got x of shape {shape_str(xs.shape)}"
        )
    b = as_array(bias, "bias", ndim=(0, 1))
    if b.ndim == 1 and b.shape != (a.shape[0],):
        raise ValueError(f"bias must be a scalar or have shape ({a.shape[0]},); got shape {shape_str(b.shape)}")
    u = xs @ a.T + b
    if activation == "linear":
        return u
    if activation == "relu":
        return relu(u)
    if activation == "trelu":
        return trelu(u, phi)
    raise ValueError(f"activation must be 'relu', 'linear' or 'trelu'; got {activation!r}")


# ---------------------------------------------------------------------------------------------
# Rectifiers
# ---------------------------------------------------------------------------------------------

def relu(u):
    """``max(0, u)`` elementwise (the rectification of RECOS)."""
    return np.maximum(as_array(u, "u"), 0.0)


def _check_phi(phi):
    if isinstance(phi, bool) or not isinstance(phi, (Real, np.floating, np.integer)):
        raise TypeError(f"phi must be a real number in [0, 1); got {phi!r} (type {type(phi).__name__})")
    phi = float(phi)
    if not (0.0 <= phi < 1.0):
        raise ValueError(
            f"phi must lie in [0, 1) (TReLU divides by 1 - phi, so phi = 1 is undefined); got {phi!r}"
        )
    return phi


def trelu(u, phi):
    """Thresholded ReLU of Kuo (2017): ``0`` for ``u < phi``, ``(u - phi)/(1 - phi)`` otherwise.

    The formula is defined for ``phi < 1`` only (at ``phi = 1`` it divides by zero); we accept
    ``0 <= phi < 1`` and raise ``ValueError`` otherwise.  ``phi = 0`` is the ordinary ReLU.  On a
    correlation ``u ∈ [-1, 1]`` it maps ``[phi, 1]`` onto ``[0, 1]``: correlations weaker than
    ``phi`` are discarded, the rest are stretched to use the full range.

    Inputs:
    - u: array of any shape
    - phi: threshold, a float in [0, 1)

    Returns an array of the same shape as ``u``.
    """
    phi = _check_phi(phi)
    a = as_array(u, "u")
    return np.where(a < phi, 0.0, (a - phi) / (1.0 - phi)).astype(a.dtype, copy=False)


def trelu_grad(u, phi):
    """Derivative of :func:`trelu`: ``0`` for ``u < phi``, ``1/(1 - phi)`` for ``u > phi``.

    At the kink ``u = phi`` we return ``1/(1 - phi)`` (the right derivative), as frameworks do
    for ReLU's kink with the opposite choice; the set has measure zero in training.
    """
    phi = _check_phi(phi)
    a = as_array(u, "u")
    return np.where(a < phi, 0.0, 1.0 / (1.0 - phi)).astype(a.dtype, copy=False)


class TReLU:
    """Thresholded ReLU as an activation object: ``TReLU(phi)(u)`` and ``.derivative(u)``.

    ``forward(u)``/``__call__(u)`` give :func:`trelu`; ``derivative(u)`` gives :func:`trelu_grad`;
    ``backward(u, dy)`` returns ``dy * derivative(u)``.  ``name`` is ``"trelu(phi)"``.
    """

    def __init__(self, phi=0.5):
        self.phi = _check_phi(phi)
        self.name = f"trelu({self.phi:g})"
        self.__name__ = self.name

    def __call__(self, u):
        return trelu(u, self.phi)

    forward = __call__

    def derivative(self, u):
        return trelu_grad(u, self.phi)

    def backward(self, u, dy):
        return as_array(dy, "dy") * trelu_grad(u, self.phi)

    def __repr__(self):
        return f"TReLU(phi={self.phi:g})"


def trelu_activation(phi):
    """TReLU as a :class:`cnnlab.layers.ActivationSpec`, to pass as ``activation=`` to
    ``Conv2D``/``Dense``/``Activation``: forward :func:`trelu`, backward ``dy ·`` :func:`trelu_grad`.
    """
    from .layers import ActivationSpec

    phi = _check_phi(phi)
    return ActivationSpec(
        f"trelu(phi={phi:g})",
        lambda u: trelu(u, phi),
        lambda u, y, dy: dy * trelu_grad(u, phi),
        lambda a: rf"\operatorname{{TReLU}}_{{{phi:g}}}\!\left({a}\right)",
    )


# ---------------------------------------------------------------------------------------------
# Patches, k-means, anchors of a trained layer
# ---------------------------------------------------------------------------------------------

def _images_2d(images):
    x = as_array(images, "images", ndim=(2, 3, 4))
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 4:
        if x.shape[-1] != 1:
            raise ValueError(
                f"images must have one channel (shape (N, H, W) or (N, H, W, 1)); got shape {shape_str(x.shape)}"
            )
        x = x[..., 0]
    return x


def extract_patches(images, size=5, stride=1):
    """All ``size × size`` patches of a stack of gray images, flattened row-major.

    Inputs:
    - images: shape (N, H, W) or channels-last (N, H, W, 1), or one image (H, W)
    - size: patch side ``k``
    - stride: step between patches

    Returns shape (N · H' · W', k·k) with ``H' = (H - k)//stride + 1`` (and the same for W'),
    the rows being the vectors a ``k × k`` convolution filter correlates with.
    """
    x = _images_2d(images)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int; got {size!r}")
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive int; got {stride!r}")
    if size > min(x.shape[1:]):
        raise ValueError(f"size must be at most the image side {min(x.shape[1:])}; got {size}")
    win = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return win.reshape(-1, size * size)


def normalized_patches(images, size=5, stride=1, remove_mean=True, min_norm=0.5, max_patches=None, seed=0):
    """Patches projected onto the unit sphere, after dropping nearly flat ones.

    A flat patch (blank background) has no direction: its norm after removing the mean is near 0.
    We keep patches whose norm (after mean removal if ``remove_mean``) is at least ``min_norm``
    (pixels in [0, 1]: a 5×5 patch containing a clear stroke has norm above 1).

    Inputs:
    - images: (N, H, W) or (N, H, W, 1)
    - size, stride: as :func:`extract_patches`
    - remove_mean: subtract each patch's mean first (the DC part, which a bias can absorb)
    - min_norm: threshold on the norm of the (centred) patch
    - max_patches: if given, a seeded random subset of at most this many rows
    - seed: seed of that subset

    Returns an array (M, size·size) of unit vectors.
    """
    p = extract_patches(images, size, stride).astype(np.float64)
    if remove_mean:
        p = p - p.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(p, axis=1)
    keep = norms >= float(min_norm)
    if not np.any(keep):
        raise ValueError(f"no patch has norm >= min_norm={min_norm}; lower min_norm or check the image scale")
    p = p[keep] / norms[keep, None]
    if max_patches is not None and len(p) > max_patches:
        idx = np.random.default_rng(seed).choice(len(p), size=int(max_patches), replace=False)
        p = p[np.sort(idx)]
    return p


def kmeans_anchors(vectors, k, seed=0, n_init=4):
    """Frequently occurring directions: k-means centres of unit vectors, renormalised.

    Uses scikit-learn's ``KMeans`` (Euclidean k-means; on the sphere ``‖x - c‖² = 2 - 2 x·c`` for
    unit ``c``, so nearest centre = most correlated one) and then projects the centres back onto
    the sphere.  Seeded.

    Inputs:
    - vectors: (M, D) unit vectors (e.g. from :func:`normalized_patches`)
    - k: number of centres
    - seed: random state of the k-means initialisation

    Returns ``(centres, counts)``: centres (k, D) unit vectors sorted by cluster size, largest
    first, and counts (k,) the cluster sizes.
    """
    from sklearn.cluster import KMeans

    v = as_array(vectors, "vectors", ndim=2)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(v):
        raise ValueError(f"k must be an int between 1 and the number of vectors ({len(v)}); got {k!r}")
    km = KMeans(n_clusters=int(k), n_init=n_init, random_state=seed).fit(v)
    counts = np.bincount(km.labels_, minlength=k)
    order = np.argsort(-counts, kind="stable")
    return unit_vectors(km.cluster_centers_[order], name="centres"), counts[order]


def anchor_vectors(kernel, layout="keras"):
    """Anchor vectors of a convolution layer: its filters, flattened and normalised.

    Inputs:
    - kernel: the layer's weights, shape (kh, kw, C, F) with ``layout="keras"`` (what
      ``get_weights()`` returns) or (F, C, kh, kw) with ``layout="channels_first"``
    - layout: "keras" or "channels_first"

    Returns (F, kh·kw·C) unit vectors, each flattened in the (C, kh, kw) row-major order — for one
    channel, the same order as :func:`extract_patches` uses.
    """
    w = as_array(kernel, "kernel", ndim=4)
    if layout == "keras":
        w = np.transpose(w, (3, 2, 0, 1))
    elif layout != "channels_first":
        raise ValueError(f"layout must be 'keras' or 'channels_first'; got {layout!r}")
    return unit_vectors(w.reshape(w.shape[0], -1), name="kernel")


def match_anchors(filters, centres):
    """Pair each filter with a distinct centre so that the summed correlation is largest.

    Inputs:
    - filters: (F, D) vectors
    - centres: (K, D) vectors, K >= F

    Returns ``(pairs, cos)``: ``pairs`` (F,) the centre index matched to each filter, ``cos`` (F,)
    the correlation of each pair (the Hungarian assignment of SciPy's ``linear_sum_assignment``).
    """
    from scipy.optimize import linear_sum_assignment

    f = unit_vectors(filters, name="filters")
    c = unit_vectors(centres, name="centres")
    if f.ndim != 2 or c.ndim != 2 or f.shape[1] != c.shape[1] or c.shape[0] < f.shape[0]:
        raise ValueError(
            f"filters (F, D) and centres (K, D) with K >= F expected; got filters {shape_str(f.shape)}, "
            f"centres {shape_str(c.shape)}"
        )
    sim = f @ c.T
    rows, cols = linear_sum_assignment(-sim)
    pairs = np.empty(f.shape[0], dtype=int)
    pairs[rows] = cols
    return pairs, sim[np.arange(f.shape[0]), pairs]


def invert_gray(images, lo=0.0, hi=1.0):
    """Gray-level inversion ``hi + lo - x``: black ↔ white, the "negative" of an image.

    Inputs:
    - images: any shape, values in ``[lo, hi]``
    - lo, hi: the pixel range (default [0, 1])

    Returns an array of the same shape.
    """
    x = as_array(images, "images")
    if not hi > lo:
        raise ValueError(f"hi must be greater than lo; got lo={lo!r}, hi={hi!r}")
    return (hi + lo) - x


# ---------------------------------------------------------------------------------------------
# The constructed example: a pattern and a negative pattern confused without rectification
# ---------------------------------------------------------------------------------------------

def pattern_vs_negative_example(size=5):
    """A two-layer toy system in which a pattern and a *negative* pattern collide unless rectified.

    Layer 1 has one anchor ``a`` (a vertical bar in a ``size × size`` patch, zero-mean, unit
    norm) applied to the left and to the right half of a ``size × 2·size`` image: responses
    ``(r_L, r_R) = (a·x_L, a·x_R)``.  Layer 2 has one unit with weights ``w = (1, -1)`` — "a bar on
    the left and none on the right".  Two inputs:

    - ``P``: the bar on the left, blank on the right: ``r = (1, 0)``;
    - ``Q``: blank on the left, the *negative* bar on the right: ``r = (0, -1)``.

    Without rectification layer 2 sees ``w·r = 1`` for both, although P and Q share no pixel;
    with ReLU after layer 1, ``r_Q = (0, 0)`` and layer 2 gives 1 for P, 0 for Q.

    Returns a dict with the images ``P``, ``Q`` (size, 2·size), the anchor (size, size), the
    layer-2 weights, the layer-1 responses and layer-2 outputs ``linear`` and ``relu`` for each.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 3:
        raise ValueError(f"size must be an int >= 3; got {size!r}")
    bar = np.zeros((size, size))
    bar[:, size // 2] = 1.0
    anchor = bar - bar.mean()
    anchor /= np.linalg.norm(anchor)
    blank = np.zeros((size, size))
    P = np.hstack([anchor, blank])
    Q = np.hstack([blank, -anchor])
    w = np.array([1.0, -1.0])
    out = {"anchor": anchor, "w": w, "P": P, "Q": Q}
    for key, img in (("P", P), ("Q", Q)):
        r = np.array([np.sum(anchor * img[:, :size]), np.sum(anchor * img[:, size:])])
        out[f"r_{key}"] = r
        out[f"y_{key}_linear"] = float(w @ r)
        out[f"y_{key}_relu"] = float(w @ np.maximum(r, 0.0))
    return out


# ---------------------------------------------------------------------------------------------
# A convolution layer that outputs correlations: the RECOS reading taken literally
# ---------------------------------------------------------------------------------------------

#: Default softening of the patch length in :func:`cosine_correlate` (pixels in [0, 1]).
COSINE_EPS = 0.1


def _cosine_args(x, w, eps):
    x = as_array(x, "x", ndim=4)
    w = as_array(w, "w", ndim=4)
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w must have shape (F, C, kh, kw) with C = {x.shape[1]} input channels of x "
                         f"(N, C, H, W) = {shape_str(x.shape)}; got w of shape {shape_str(w.shape)}")
    if w.shape[2] > x.shape[2] or w.shape[3] > x.shape[3]:
        raise ValueError(f"w's kernel {w.shape[2:]} is larger than x's image {x.shape[2:]}")
    return x, w, _check_eps(eps)


def _check_eps(eps):
    if isinstance(eps, bool) or not isinstance(eps, (Real, np.floating, np.integer)) or not eps > 0:
        raise ValueError(f"eps must be a positive number (it keeps blank patches at correlation 0); got {eps!r}")
    return float(eps)


def cosine_correlate(x, w, stride=1, eps=COSINE_EPS, return_cache=False):
    """The normalised correlation ("cosine convolution") of every patch of ``x`` with every filter.

    For the patch ``p`` under output position (i, j) (all channels, flattened in (c, p, q) order,
    as :func:`cnnlab.conv.im2col` lays it out) and filter ``a_f = w[f].ravel()``:

        c[n, f, i, j] = a_f · p / (‖a_f‖ · sqrt(‖p‖² + eps²))

    which is ``cos θ`` of the RECOS model (the chapter's equation ch11-corr) softened for faint patches: equal to
    ``cos θ`` up to a factor ``‖p‖/sqrt(‖p‖² + eps²)`` (above 0.99 once ``‖p‖ > 7·eps``), always in
    [-1, 1], and exactly 0 for a blank patch (which has no direction).  No bias: see
    :class:`CosineConv2D`.

    Inputs:
    - x: (N, C, H, W), channels first
    - w: (F, C, kh, kw) filters (anchor vectors); need not be normalised
    - stride: int or (sh, sw)
    - eps: positive softening of the patch length
    - return_cache: also return what :func:`cosine_correlate_backward` needs

    Returns ``c`` of shape (N, F, Ho, Wo), ``Ho = (H - kh)//sh + 1`` (no padding), or
    ``(c, cache)``.
    """
    from .conv import im2col

    x, w, eps = _cosine_args(x, w, eps)
    F, C, kh, kw = w.shape
    N = x.shape[0]
    cols = im2col(x, (kh, kw), stride)                                      # (D, N·Ho·Wo)
    A = w.reshape(F, -1)                                                    # (F, D)
    na = np.sqrt(np.sum(A * A, axis=1, keepdims=True) + 1e-24)              # (F, 1)
    nx = np.sqrt(np.sum(cols * cols, axis=0, keepdims=True) + eps * eps)    # (1, N·Ho·Wo)
    c = (A @ cols) / (na * nx)                                              # (F, N·Ho·Wo)
    sh, sw = positive_int_pair(stride, "stride")
    Ho, Wo = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    out = np.ascontiguousarray(c.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3))
    if return_cache:
        return out, dict(cols=cols, A=A, na=na, nx=nx, c=c, x_shape=x.shape, w_shape=w.shape,
                         stride=stride)
    return out


def cosine_correlate_backward(dc, cache):
    """Gradients of ``E = sum(dc * cosine_correlate(x, w))`` with respect to ``x`` and ``w``.

    With ``c = a·p / (‖a‖ n)``, ``n = sqrt(‖p‖² + eps²)`` (so ``∂n/∂p = p/n`` and
    ``∂‖a‖/∂a = a/‖a‖``), the quotient rule gives, per patch and filter,

        ∂c/∂a = p / (‖a‖ n) − c · a / ‖a‖²,        ∂c/∂p = a / (‖a‖ n) − c · p / n²,

    and the chain rule sums them over positions (for ``a``) and over filters (for ``p``); the patch
    gradients go back onto the pixels with :func:`cnnlab.conv.col2im` (overlapping windows add).
    Note ``a · ∂c/∂a = 0``: the correlation does not change when a filter is rescaled.

    Inputs:
    - dc: (N, F, Ho, Wo), the upstream gradient ``dE/dc``
    - cache: from ``cosine_correlate(..., return_cache=True)``

    Returns ``(dx, dw)`` of shapes (N, C, H, W) and (F, C, kh, kw).
    """
    from .conv import col2im

    cols, A, na, nx, c = (cache[k] for k in ("cols", "A", "na", "nx", "c"))
    F = A.shape[0]
    dc = as_array(dc, "dc", ndim=4)
    if dc.shape[1] != F or dc.shape[0] * dc.shape[2] * dc.shape[3] != c.shape[1]:
        raise ValueError(f"dc must have the shape of the forward output (N, {F}, Ho, Wo); got {shape_str(dc.shape)}")
    G = dc.transpose(1, 0, 2, 3).reshape(F, -1)                             # (F, N·Ho·Wo)
    H = G / (na * nx)
    Gc = G * c
    dA = (cols @ H.T).T - np.sum(Gc, axis=1, keepdims=True) * A / (na * na)  # Σ over positions
    dcols = A.T @ H - np.sum(Gc, axis=0, keepdims=True) * cols / (nx * nx)  # Σ over filters
    kh, kw = cache["w_shape"][2:]
    dx = col2im(dcols, tuple(cache["x_shape"]), (kh, kw), cache["stride"])
    return dx, dA.reshape(cache["w_shape"])


class CosineConv2D(Layer):
    """A convolution layer whose pre-activation is the RECOS correlation ``cos θ``.

    ``u[n, i, j, f] = cosine_correlate(x, K)`` — each patch and each filter normalised to
    unit length before the dot product (patch length softened by ``eps``), so ``u ∈ [-1, 1]``
    whatever the scale of the input or of the filter — then ``y = act(u)``, e.g.
    ``act = trelu_activation(phi)``: a unit fires only for patches within ``arccos(phi)`` of
    its anchor.  **No bias**: with a trainable bias ``b``, ``TReLU_phi(u + b)`` is a ReLU with
    bias ``b - phi`` (the chapter's equation ch11-trelu-bias) and ``phi`` would only set where
    ``b`` starts; here ``phi`` *is* the threshold, fixed.

    Same arguments, weights (kernel ``(kh, kw, C_in, F)`` only), shapes, parameter arithmetic and
    Keras layout as :class:`cnnlab.layers.Conv2D` with ``padding="valid"`` and ``use_bias=False``;
    extra ``eps`` (default :data:`COSINE_EPS`).  Not a ``Conv2D`` subclass on purpose: code that
    handles ``Conv2D`` (e.g. ``model.formula()``) must not mistake it for an affine layer.
    """

    keras_name = "cosine_conv2d"

    def __init__(self, filters, kernel_size, strides=(1, 1), activation=None, eps=COSINE_EPS,
                 input_shape=None, kernel_initializer="glorot_uniform", name=None):
        super().__init__(name, input_shape)
        conv = Conv2D(filters, kernel_size, strides=strides, padding="valid", activation=activation,
                      use_bias=False, kernel_initializer=kernel_initializer)   # checks the arguments
        for k in ("filters", "kernel_size", "strides", "padding", "act", "activation", "use_bias",
                  "kernel_initializer", "bias_initializer", "connections"):
            setattr(self, k, getattr(conv, k))
        self.eps = _check_eps(eps)

    _build = Conv2D._build
    arithmetic = Conv2D.arithmetic
    rf_params = Conv2D.rf_params

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> y (N, Ho, Wo, F)."""
        xc = np.transpose(as_array(x, "x", ndim=4), (0, 3, 1, 2))
        w = np.transpose(self.weights[0], (3, 2, 0, 1))
        c, cache = cosine_correlate(xc, w, self.strides, self.eps, return_cache=True)
        if training:
            self._cos_cache = cache
        return _act_mixin_forward(self, np.transpose(c, (0, 2, 3, 1)), training)

    def backward(self, dy, preactivation=False):
        """dy: (N, Ho, Wo, F) = dE/dy (or dE/du) -> dE/dx (N, H, W, C); fills ``grads``."""
        du = dy if preactivation else self.act.grad(self._u, self._y, dy)
        dxc, dw = cosine_correlate_backward(np.transpose(du, (0, 3, 1, 2)), self._cos_cache)
        self.grads[0] = np.transpose(dw, (2, 3, 1, 0)).astype(self.weights[0].dtype, copy=False)
        return np.transpose(dxc, (0, 2, 3, 1))

    def macs(self):
        _, Ho, Wo, F = self.output_shape
        kh, kw = self.kernel_size
        return Ho * Wo * kh * kw * self.in_channels * (F + 1)   # dot products and patch lengths

    def get_config(self):
        return dict(Conv2D.get_config(self), eps=self.eps)


# ---------------------------------------------------------------------------------------------
# Networks and experiments
# ---------------------------------------------------------------------------------------------

def _activation(name):
    """Map an experiment's activation word to what ``Conv2D``/``Dense`` accept."""
    if isinstance(name, str) and name.startswith("trelu"):
        return trelu_activation(float(name.split(":", 1)[1]))
    return name


def recos_lenet(activation="relu", dense_activation=None, conv_layers=2, seed=0, dtype=np.float32,
                input_shape=(32, 32, 1), conv="affine"):
    """The LeNet-5-shaped network of the chapter's experiments (Keras-like, channels last).

    ``conv_layers=2`` (LeNet-5's shape, with the modern simplifications Kuo's experiments also
    use: a full C3 connection table, average pooling without trainable coefficients, a softmax
    output)::

        input 32×32×1 → C1 6@5×5 → avg-pool 2 → C3 16@5×5 → avg-pool 2      (→ 5×5×16)
                      → flatten → F5 120 → F6 84 → 10 (softmax)

    ``conv_layers=1``: one convolution layer with the same receptive field and the same output
    map as the cascade, about as many weights and as many multiply-adds::

        input 32×32×1 → C 16@14×14, stride 2 → avg-pool 2                  (→ 5×5×16)
                      → flatten → F5 120 → F6 84 → 10 (softmax)

    (receptive fields: the cascade's S4 unit sees ``5 → 5 + 1 = 6 → 6 + 4·2 = 14 → 14 + 1·2 = 16``
    pixels across, the single layer's ``14 → 14 + 1·2 = 16``; convolution weights
    ``156 + 2 416 = 2 572`` vs ``(14·14 + 1)·16 = 3 152``; multiply-adds per image
    ``28²·6·25 + 10²·16·150 = 357 600`` vs ``10²·16·196 = 313 600``).

    Inputs:
    - activation: after each convolution: "relu", "linear" (no rectification), "tanh",
      "lecun_tanh", "trelu:<phi>" (e.g. "trelu:0.5") or an :class:`cnnlab.layers.ActivationSpec`
    - dense_activation: after F5 and F6 (default: the same as ``activation``)
    - conv_layers: 1 or 2
    - conv: "affine" (``Conv2D``: ``a·x + b``, the usual layer) or "cosine" (:class:`CosineConv2D`:
      the correlation ``cos θ`` of patch and filter, no bias — the RECOS reading taken literally)
    - seed: seed of the weight initialisation
    - dtype: np.float32 (default, faster) or np.float64

    Returns a built :class:`cnnlab.Sequential`.
    """
    from .layers import AveragePooling2D, Dense, Flatten
    from .model import Sequential

    act = _activation(activation)
    dact = act if dense_activation is None else _activation(dense_activation)
    if conv not in ("affine", "cosine"):
        raise ValueError(f"conv must be 'affine' or 'cosine'; got {conv!r}")
    Conv = Conv2D if conv == "affine" else CosineConv2D
    if conv_layers == 2:
        convs = [Conv(6, 5, activation=act, input_shape=input_shape, name="C1"),
                 AveragePooling2D(2, name="S2"),
                 Conv(16, 5, activation=act, name="C3"),
                 AveragePooling2D(2, name="S4")]
    elif conv_layers == 1:
        convs = [Conv(16, 14, strides=2, activation=act, input_shape=input_shape, name="C1"),
                 AveragePooling2D(2, name="S2")]
    else:
        raise ValueError(f"conv_layers must be 1 or 2; got {conv_layers!r}")
    return Sequential(convs + [Flatten(name="flatten"), Dense(120, activation=dact, name="F5"),
                               Dense(84, activation=dact, name="F6"),
                               Dense(10, activation="softmax", name="output")],
                      seed=seed, dtype=dtype)


def active_fractions(model, x, names=("C1", "C3", "F5", "F6")):
    """Fraction of the outputs of the layers ``names`` that are positive on the images ``x``.

    A unit whose output is 0 passes no gradient (ReLU and TReLU are flat there); if a layer's
    fraction is 0 at initialisation, nothing below it can learn.  Returns ``{name: fraction}``,
    rounded to 3 decimals.
    """
    h, out = model._check_x(x), {}
    for layer in model.layers:
        h = layer.forward(h)
        if layer.name in names:
            out[layer.name] = round(float(np.mean(h > 0)), 3)
    return out


def init_anchors_from_data(model, x, seed=0, max_patches=4000):
    """Start every :class:`CosineConv2D` layer of ``model`` at the data: anchors = k-means centres.

    RECOS reads trained filters as "frequently occurring patterns"; this puts them there from the
    start, so that a threshold ``phi`` on the correlation meets correlations of the data's own
    size (random anchors in 25 or 150 dimensions correlate with any patch by about ±0.2 or less,
    so with ``phi >= 0.25`` no unit would fire and no gradient would flow).  Layer by layer, in
    order: push ``x`` through the layers before it (already initialised, with their activations),
    cut every patch the layer sees (:func:`cnnlab.conv.im2col`), keep the stronger half of the
    non-blank ones (length above the median of those longer than ``eps``), project them onto the
    sphere, take a seeded subset of at most ``max_patches`` and set the layer's filters to the
    :func:`kmeans_anchors` centres (as many as it has filters, unit length).

    Inputs:
    - model: a built :class:`cnnlab.Sequential`; layers other than ``CosineConv2D`` are untouched
    - x: (N, H, W, C) training images, channels last
    - seed: seed of the subset and of k-means
    - max_patches: size of the subset

    Returns ``model`` (changed in place).
    """
    from .conv import im2col

    h = model._check_x(x)
    for layer in model.layers:
        if isinstance(layer, CosineConv2D):
            kh, kw = layer.kernel_size
            cols = im2col(np.transpose(h, (0, 3, 1, 2)).astype(np.float64), (kh, kw), layer.strides).T
            norms = np.linalg.norm(cols, axis=1)
            live = norms > layer.eps
            if np.count_nonzero(live) < layer.filters:
                raise ValueError(f"layer {layer.name!r}: only {np.count_nonzero(live)} non-blank patches "
                                 f"for {layer.filters} anchors; give more images")
            keep = live & (norms >= np.median(norms[live]))
            v = cols[keep] / norms[keep, None]
            if len(v) > max_patches:
                v = v[np.sort(np.random.default_rng(seed).choice(len(v), size=int(max_patches), replace=False))]
            centres, _ = kmeans_anchors(v, layer.filters, seed=seed, n_init=2)
            C = h.shape[-1]
            kernel = centres.reshape(layer.filters, C, kh, kw).transpose(2, 3, 1, 0)
            layer.set_weights([kernel.astype(layer.weights[0].dtype)])
        h = layer.forward(h)
    return model


#: The chapter's experiments: name -> network options and training set.
#: ``train_on``: "normal" (the training images) or "both" (the training images and their
#: gray-level inversions).
EXPERIMENTS = {
    "relu": dict(activation="relu", conv_layers=2, train_on="normal"),
    "linear": dict(activation="linear", conv_layers=2, train_on="normal"),
    "one_conv": dict(activation="relu", conv_layers=1, train_on="normal"),
    "trelu:0.25": dict(activation="trelu:0.25", conv_layers=2, train_on="normal"),
    "trelu:0.5": dict(activation="trelu:0.5", conv_layers=2, train_on="normal"),
    "trelu:0.75": dict(activation="trelu:0.75", conv_layers=2, train_on="normal"),
    "relu_both": dict(activation="relu", conv_layers=2, train_on="both"),
    "linear_both": dict(activation="linear", conv_layers=2, train_on="both"),
    "linear_conv": dict(activation="linear", dense_activation="relu", conv_layers=2, train_on="normal"),
    "lecun_tanh": dict(activation="lecun_tanh", conv_layers=2, train_on="normal"),
    "trelu_conv:0.25": dict(activation="trelu:0.25", dense_activation="relu", conv_layers=2, train_on="normal"),
    "trelu_conv:0.5": dict(activation="trelu:0.5", dense_activation="relu", conv_layers=2, train_on="normal"),
    "trelu_conv:0.75": dict(activation="trelu:0.75", dense_activation="relu", conv_layers=2, train_on="normal"),
}
#: TReLU on the correlation itself: cosine convolutions (no bias) with anchors started at the
#: data's k-means centres (``init="data"``, :func:`init_anchors_from_data`), ReLU dense layers.
COSINE_PHIS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9)
EXPERIMENTS.update({
    f"cos:{p:g}": dict(activation=f"trelu:{p:g}", dense_activation="relu", conv="cosine", init="data",
                       conv_layers=2, train_on="normal")
    for p in COSINE_PHIS})

#: Training budget shared by every run (Adam, minibatches of 32).
TRAINING = dict(epochs=5, batch_size=32, learning_rate=2e-3, seeds=(0, 1, 2), data_seed=0)

#: Runs whose trained weights are stored (seed 0), for the chapter's figures and checks.
KEEP_WEIGHTS = ("relu", "linear")


def default_cache_dir():
    """``<repository root>/cache`` (the package is installed editable from the repository)."""
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "cache"


def digits_data(data_seed=0):
    """The chapter's data: :func:`cnnlab.data.load_digits` (8×8 digits enlarged to 28×28 and
    centred in 32×32, pixels in [0, 1], stratified split seeded by ``data_seed``), float32.

    Returns ``(x_train, y_train), (x_test, y_test)``; x of shape (N, 32, 32, 1).
    """
    from .data import load_digits

    return load_digits(size=32, seed=data_seed, normalize="unit", dtype=np.float32)


def data_fingerprint(data):
    """Sizes of the split and a SHA-1 of the test images and labels, to tie a cache to its data."""
    import hashlib

    (xtr, ytr), (xte, yte) = data
    h = hashlib.sha1(np.ascontiguousarray(xte, dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(yte, dtype=np.int64).tobytes())
    return {"n_train": int(len(xtr)), "n_test": int(len(xte)), "test_sha1": h.hexdigest()[:16]}


def train_run(name, seed, data=None, epochs=None, batch_size=None, learning_rate=None, verbose=0):
    """Train one experiment ``name`` (a key of :data:`EXPERIMENTS`) with one seed.

    Returns ``(record, model)``; ``record`` is a dict with ``name``, ``seed``, ``acc_normal``
    and ``acc_inverted`` (test accuracy on the test images and on their gray-level inversions),
    ``inverted_pred_counts`` (how many inverted test images went to each class), ``train_acc``,
    ``epochs`` and ``seconds`` (initialisation and training); for the cosine runs also
    ``active_at_init`` (:func:`active_fractions` of the started network on 100 training images).
    """
    import time

    from .optim import Adam

    if name not in EXPERIMENTS:
        raise ValueError(f"name must be one of {sorted(EXPERIMENTS)}; got {name!r}")
    spec = dict(EXPERIMENTS[name])
    train_on = spec.pop("train_on")
    init = spec.pop("init", "random")
    epochs = TRAINING["epochs"] if epochs is None else epochs
    batch_size = TRAINING["batch_size"] if batch_size is None else batch_size
    learning_rate = TRAINING["learning_rate"] if learning_rate is None else learning_rate
    (xtr, ytr), (xte, yte) = digits_data(TRAINING["data_seed"]) if data is None else data
    if train_on == "both":
        xtr, ytr = np.concatenate([xtr, invert_gray(xtr)]), np.concatenate([ytr, ytr])
    t0 = time.perf_counter()
    model = recos_lenet(seed=seed, **spec)
    if init == "data":
        init_anchors_from_data(model, xtr, seed=seed)
    active = active_fractions(model, xtr[:100]) if spec.get("conv") == "cosine" else None
    model.compile(loss="sparse_categorical_crossentropy", optimizer=Adam(learning_rate),
                  metrics=["accuracy"])
    hist = model.fit(xtr, ytr, epochs=epochs, batch_size=batch_size, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - t0
    pred_inv = model.predict(invert_gray(xte)).argmax(axis=-1)
    record = dict(name=name, seed=int(seed), epochs=int(epochs),
                  train_acc=float(hist.history["accuracy"][-1]) if epochs else None,
                  acc_normal=float(model.evaluate(xte, yte)[1]),
                  acc_inverted=float(np.mean(pred_inv == yte)),
                  inverted_pred_counts=np.bincount(pred_inv, minlength=10).tolist(),
                  seconds=round(seconds, 1))
    if active is not None:
        record["active_at_init"] = active
    return record, model


def run_experiments(names=None, seeds=None, cache_dir=None, retrain=False, verbose=0, log=print):
    """Run (or load) the chapter's experiments, caching every result on disk.

    Results go to ``<cache_dir>/recos_results.json`` after each run (so an interrupted run
    resumes); seed-0 weights of :data:`KEEP_WEIGHTS` go to ``<cache_dir>/recos_weights.npz``.
    Runs already in the cache are skipped unless ``retrain=True`` — so **one call re-trains
    everything**: ``run_experiments(retrain=True)``.

    Inputs:
    - names: experiment names (default: all of :data:`EXPERIMENTS`)
    - seeds: seeds (default ``TRAINING["seeds"]``)
    - cache_dir: folder of the cache (default :func:`default_cache_dir`)
    - retrain: ignore the cache and train again
    - verbose: passed to ``fit``
    - log: function called with one line per finished run (``None``: silent)

    Returns the results dict (see :func:`load_results`).
    """
    import json
    from pathlib import Path

    names = list(EXPERIMENTS) if names is None else list(names)
    seeds = list(TRAINING["seeds"] if seeds is None else seeds)
    for n in names:
        if n not in EXPERIMENTS:
            raise ValueError(f"names: unknown experiment {n!r}; expected some of {sorted(EXPERIMENTS)}")
    cache = Path(default_cache_dir() if cache_dir is None else cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / "recos_results.json"
    results = {"training": {k: (list(v) if isinstance(v, tuple) else v) for k, v in TRAINING.items()},
               "experiments": {k: v for k, v in EXPERIMENTS.items()}, "runs": []}
    if path.exists() and not retrain:
        results["runs"] = json.loads(path.read_text())["runs"]
    done = {(r["name"], r["seed"]) for r in results["runs"]}
    wpath = cache / "recos_weights.npz"
    weights = dict(np.load(wpath)) if (wpath.exists() and not retrain) else {}
    data = digits_data(TRAINING["data_seed"])
    results["data"] = data_fingerprint(data)
    if results["runs"] and json.loads(path.read_text()).get("data") != results["data"]:
        raise ValueError(f"{path} was made with other data ({json.loads(path.read_text()).get('data')}); "
                         f"now {results['data']}: call run_experiments(retrain=True)")
    for seed in seeds:
        for name in names:
            if (name, seed) in done:
                continue
            record, model = train_run(name, seed, data=data, verbose=verbose)
            results["runs"] = [r for r in results["runs"] if (r["name"], r["seed"]) != (name, seed)]
            results["runs"].append(record)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(results, indent=1))
            tmp.replace(path)  # atomic: an interrupted run never leaves a half-written cache
            if seed == 0 and name in KEEP_WEIGHTS:
                for i, w in enumerate(model.get_weights()):
                    weights[f"{name}/{i}"] = w.astype(np.float32)
                np.savez_compressed(wpath.with_suffix(".tmp.npz"), **weights)
                wpath.with_suffix(".tmp.npz").replace(wpath)
            if log is not None:
                log(f"{name:12s} seed {seed}: test {record['acc_normal']:.3f}, inverted "
                    f"{record['acc_inverted']:.3f} ({record['seconds']:.0f} s)")
    return results


def load_results(cache_dir=None):
    """The cached results: a dict with ``training`` (the budget), ``experiments`` and ``runs``
    (one dict per (experiment, seed), see :func:`train_run`).  Raises ``FileNotFoundError`` with
    the command that makes the cache when it is missing.
    """
    import json
    from pathlib import Path

    path = Path(default_cache_dir() if cache_dir is None else cache_dir) / "recos_results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run cnnlab.recos.run_experiments() to train "
                                "and cache the experiments")
    return json.loads(path.read_text())


def load_model(name, cache_dir=None):
    """The cached seed-0 network of experiment ``name`` (one of :data:`KEEP_WEIGHTS`)."""
    from pathlib import Path

    if name not in KEEP_WEIGHTS:
        raise ValueError(f"name must be one of {KEEP_WEIGHTS} (the runs whose weights are kept); got {name!r}")
    path = Path(default_cache_dir() if cache_dir is None else cache_dir) / "recos_weights.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run cnnlab.recos.run_experiments() first")
    store = np.load(path)
    keys = sorted((k for k in store.files if k.startswith(name + "/")), key=lambda k: int(k.split("/")[1]))
    if not keys:
        raise FileNotFoundError(f"{path} holds no weights for {name!r}; run run_experiments([{name!r}], [0])")
    spec = {k: v for k, v in EXPERIMENTS[name].items() if k not in ("train_on", "init")}
    model = recos_lenet(seed=0, **spec)
    model.set_weights([store[k] for k in keys])
    return model


def summarize(results, names=None):
    """Mean and spread of each experiment's test accuracies over its seeds.

    Returns a list of dicts: ``name``, ``n`` (seeds), ``normal_mean``, ``normal_min``,
    ``normal_max``, ``inverted_mean``, ``inverted_min``, ``inverted_max`` (fractions).
    """
    runs = results["runs"]
    names = [n for n in results["experiments"] if any(r["name"] == n for r in runs)] if names is None else names
    rows = []
    for n in names:
        rs = [r for r in runs if r["name"] == n]
        if not rs:
            raise ValueError(f"names: no cached run of {n!r}")
        row = {"name": n, "n": len(rs)}
        for key in ("normal", "inverted"):
            v = np.array([r[f"acc_{key}"] for r in rs])
            row.update({f"{key}_mean": float(v.mean()), f"{key}_min": float(v.min()),
                        f"{key}_max": float(v.max())})
        rows.append(row)
    return rows


def format_pm(mean, lo, hi):
    """``'97.2 % (96.9–97.5)'``: mean and range over seeds, in percent, one decimal."""
    return f"{100 * mean:.1f} % ({100 * lo:.1f}–{100 * hi:.1f})"


def centred_logits(model, x):
    """The network's logits minus their mean over the classes, from its softmax output.

    ``log softmax(z) = z - logsumexp(z)``, so ``log p - mean(log p) = z - mean(z)``: the logits up
    to the one constant per sample that softmax ignores.  Centring is linear, so an affine network
    ``z = F(x)`` keeps the identity ``c(1 - x) = c(1) + c(0) - c(x)``.

    Inputs:
    - model: a network ending in a softmax
    - x: (N, H, W, C) images
    Returns (N, classes).
    """
    p = np.asarray(model.predict(x), dtype=np.float64)
    logp = np.log(np.clip(p, 1e-300, None))
    return logp - logp.mean(axis=-1, keepdims=True)


def inversion_identity_error(model, x):
    """How far ``model`` is from the affine identity ``c(1 - x) + c(x) = c(1) + c(0)``.

    Returns the largest absolute deviation over the images and classes (``c`` from
    :func:`centred_logits`): about 1e-5 in float32 for a network without rectification
    (affine), order 1 or more for a rectified one.
    """
    xs = as_array(x, "x", ndim=4)
    ones, zeros = np.ones_like(xs[:1]), np.zeros_like(xs[:1])
    lhs = centred_logits(model, invert_gray(xs)) + centred_logits(model, xs)
    rhs = centred_logits(model, ones) + centred_logits(model, zeros)
    return float(np.max(np.abs(lhs - rhs)))


def compare(a, b):
    """Compare two sets of per-seed accuracies conservatively by their ranges.

    Returns ``"higher"`` if every value of ``a`` exceeds every value of ``b`` (ranges do not
    overlap), ``"lower"`` in the opposite case, ``"overlap"`` otherwise.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size == 0 or b.size == 0:
        raise ValueError(f"a and b must be non-empty; got sizes {a.size} and {b.size}")
    if a.min() > b.max():
        return "higher"
    if a.max() < b.min():
        return "lower"
    return "overlap"


def _accs(results, name, key="normal"):
    return [r[f"acc_{key}"] for r in results["runs"] if r["name"] == name]


def _pm(v):
    v = np.asarray(v, float)
    return format_pm(v.mean(), v.min(), v.max()) + f", {v.size} seed{'s' if v.size != 1 else ''}"


def claims_table(results):
    """Each claim of Kuo's papers that the chapter tests, our measurement and a verdict.

    The verdict is computed from the cached runs with :func:`compare` (ranges over seeds must
    not overlap for a claim to count as confirmed), so it changes if the experiments are re-run
    with another budget.  Returns a list of dicts with keys ``claim``, ``source``, ``measured``,
    ``verdict``; experiments missing from ``results`` are skipped.
    """
    have = {r["name"] for r in results["runs"]}
    rows = []
    if {"relu", "linear"} <= have:
        c = compare(_accs(results, "relu"), _accs(results, "linear"))
        extra = ""
        if "linear_conv" in have:
            extra = f"; linear convolutions + ReLU dense layers: {_pm(_accs(results, 'linear_conv'))}"
        rows.append(dict(
            claim="A nonlinear rectification at the convolution outputs is essential for accuracy",
            source="Kuo 2016 (abstract)",
            measured=f"ReLU: {_pm(_accs(results, 'relu'))}; no rectification (affine network): "
                     f"{_pm(_accs(results, 'linear'))}{extra}",
            verdict={"higher": "holds on our digits (ReLU better, ranges apart)",
                     "lower": "does not hold on our digits: the affine network is better",
                     "overlap": "not confirmed on our digits: the accuracies overlap"}[c]))
    if {"relu_both", "linear_both"} <= have:
        rb = np.add(_accs(results, "relu_both"), _accs(results, "relu_both", "inverted")) / 2
        lb = np.add(_accs(results, "linear_both"), _accs(results, "linear_both", "inverted")) / 2
        c = compare(rb, lb)
        rows.append(dict(
            claim="Without rectification the next layers confuse a pattern with its negative",
            source="Kuo 2016 (RECOS argument)",
            measured=f"trained on digits and their inversions, mean of normal and inverted test accuracy: "
                     f"ReLU {_pm(rb)}; no rectification {_pm(lb)}",
            verdict={"higher": "holds: only the rectified network learns both polarities",
                     "lower": "does not hold",
                     "overlap": "not confirmed: the accuracies overlap"}[c]))
    if {"relu", "one_conv"} <= have:
        c = compare(_accs(results, "relu"), _accs(results, "one_conv"))
        rows.append(dict(
            claim="A two-layer cascade does better than one layer",
            source="Kuo 2016 (abstract)",
            measured=f"C1 5×5 → C3 5×5: {_pm(_accs(results, 'relu'))}; one 14×14 stride-2 layer, same receptive "
                     f"field and output size: {_pm(_accs(results, 'one_conv'))}",
            verdict={"higher": "holds on our digits", "lower": "does not hold on our digits: one layer is better",
                     "overlap": "not confirmed on our digits: the accuracies overlap"}[c]))
    phis = [("relu", 0.0)] + [(f"trelu:{p:g}", p) for p in (0.25, 0.5, 0.75)]
    if all(n in have for n, _ in phis):
        up = compare(_accs(results, "trelu:0.5"), _accs(results, "relu"))
        down = compare(_accs(results, "trelu:0.75"), _accs(results, "trelu:0.5"))
        means = ", ".join(f"φ={p:g}: {100 * np.mean(_accs(results, n)):.1f} %" for n, p in phis)
        collapsed = [p for n, p in phis[1:] if np.mean(_accs(results, n)) < 0.2]
        conv = [(f"trelu_conv:{p:g}", p) for p in (0.25, 0.5, 0.75) if f"trelu_conv:{p:g}" in have]
        conv_alive = [(n, p) for n, p in conv if np.mean(_accs(results, n)) >= 0.2]
        if conv:
            means += ("; TReLU after the convolutions only (ReLU in the dense layers): "
                      + ", ".join(f"φ={p:g}: {100 * np.mean(_accs(results, n)):.1f} %" for n, p in conv))
        if collapsed:
            verdict = ("not testable on raw pre-activations: with TReLU everywhere, φ = "
                       + ", ".join(f"{p:g}" for p in collapsed)
                       + " kept training at chance (every unit starts below the threshold, so no gradient flows)")
            if conv:
                dead = [p for n, p in conv if (n, p) not in conv_alive]
                verdict += ("; after the convolutions only, " + (
                    "φ = " + ", ".join(f"{p:g}" for p in dead) + " still stays at chance" if dead else "every φ trains"))
                for n, p in conv_alive:
                    c = compare(_accs(results, n), _accs(results, "relu"))
                    verdict += f", φ = {p:g} " + {"higher": "beats ReLU", "lower": "is worse than ReLU",
                                                   "overlap": "overlaps with ReLU"}[c]
        elif up == "higher" and down == "lower":
            verdict = "holds on our digits"
        else:
            parts = [{"higher": "φ=0.5 beats ReLU", "lower": "φ=0.5 is worse than ReLU",
                      "overlap": "φ=0.5 and ReLU overlap"}[up],
                     {"higher": "φ=0.75 beats φ=0.5", "lower": "φ=0.75 is worse than φ=0.5",
                      "overlap": "φ=0.75 and φ=0.5 overlap"}[down]]
            verdict = "not confirmed on our digits: " + "; ".join(parts)
        rows.append(dict(
            claim="With TReLU, accuracy rises as φ goes from 0 to 0.5, then falls — "
                  "TReLU on raw pre-activations",
            source="Kuo 2017 (Signal Processing Magazine), LeNet-5 on MNIST",
            measured="mean test accuracy, TReLU everywhere: " + means, verdict=verdict))
    cos = [(f"cos:{p:g}", p) for p in COSINE_PHIS if f"cos:{p:g}" in have]
    if {"cos:0", "cos:0.5", "cos:0.75"} <= {n for n, _ in cos}:
        rows.append(dict(
            claim="With TReLU, accuracy rises as φ goes from 0 to 0.5, then falls — "
                  "TReLU on the correlation cos θ",
            source="Kuo 2017 (Signal Processing Magazine), LeNet-5 on MNIST",
            measured="cosine convolutions (patch and filter normalised, no bias, anchors started at k-means "
                     "centres), ReLU dense layers: " + "; ".join(f"φ={p:g}: {_pm(_accs(results, n))}" for n, p in cos),
            verdict=cosine_sweep_verdict(results)))
    return rows


def cosine_sweep_verdict(results):
    """The verdict on Kuo's TReLU claim from the cosine runs ``cos:<phi>`` of ``results``.

    The claim as stated: φ = 0.5 beats φ = 0 *and* φ = 0.75 is below φ = 0.5, both with seed
    ranges apart (:func:`compare`) — then "holds".  Otherwise, if the *shape* is there with
    another peak (the φ of highest mean beats φ = 0 and a larger φ falls below it, ranges apart),
    "the shape holds, peak at φ = …"; else "not confirmed".  The comparisons are spelled out, with
    the thresholds that stayed at chance (mean below 20 %), if any.
    """
    accs = {p: _accs(results, f"cos:{p:g}") for p in COSINE_PHIS if _accs(results, f"cos:{p:g}")}
    for p in (0.0, 0.5, 0.75):
        if p not in accs:
            raise ValueError(f"results: no cached run of 'cos:{p:g}'")
    up, down = compare(accs[0.5], accs[0.0]), compare(accs[0.75], accs[0.5])
    parts = [{"higher": "φ = 0.5 beats φ = 0", "lower": "φ = 0.5 is worse than φ = 0",
              "overlap": "φ = 0.5 and φ = 0 overlap"}[up],
             {"higher": "φ = 0.75 beats φ = 0.5", "lower": "φ = 0.75 falls below φ = 0.5",
              "overlap": "φ = 0.75 and φ = 0.5 overlap"}[down]]
    best = max(accs, key=lambda p: np.mean(accs[p]))
    falls = [p for p in accs if p > best and compare(accs[p], accs[best]) == "lower"]
    dead = [p for p in accs if np.mean(accs[p]) < 0.2]
    tail = "; at chance: φ = " + ", ".join(f"{p:g}" for p in dead) if dead else ""
    if up == "higher" and down == "lower":
        return ("holds on our digits: φ = 0.5 beats φ = 0 and φ = 0.75 falls below φ = 0.5, ranges apart; "
                f"highest mean at φ = {best:g}" + tail)
    if best > 0 and compare(accs[best], accs[0.0]) == "higher" and falls:
        return (f"the shape holds on our digits, but the peak of our grid is at φ = {best:g}, not 0.5: "
                f"φ = {best:g} beats φ = 0 and φ = {falls[0]:g} falls below φ = {best:g}, ranges apart; "
                "as stated, " + "; ".join(parts) + tail)
    return "not confirmed on our digits: " + "; ".join(parts) + f"; highest mean at φ = {best:g}" + tail


def markdown_table(rows, columns):
    """A Markdown table of ``rows`` (dicts) with ``columns`` (list of (key, header))."""
    head = "| " + " | ".join(h for _, h in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(str(r[k]).replace("|", "\\|") for k, _ in columns) + " |" for r in rows]
    return "\n".join([head, rule] + body)


def html_table(rows, columns):
    """An HTML table of ``rows`` (dicts) with ``columns`` (list of (key, header)), for notebooks
    (Jupyter Book renders Markdown outputs as CommonMark, which has no tables)."""
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for _, h in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(r[k]))}</td>" for k, _ in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
