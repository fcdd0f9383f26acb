"""The RECOS model (REctified COrrelations on a Sphere) of Kuo (2016), in NumPy — the mathematics only.

In the RECOS model (named in the abstract of Kuo 2016, the only part of the paper we hold)
"the converged filter weights define a set of anchor vectors".  We read a convolutional layer
accordingly.  Flatten an input patch to a vector
``x ∈ R^D`` (``D = kh·kw·C``) and each filter of the layer to an *anchor vector* ``a_k ∈ R^D``.
The filter's response is

    u_k = a_k · x + b_k = ‖a_k‖ ‖x‖ cos θ_k + b_k,

so, up to the two lengths and the bias, a filter measures the *correlation* ``cos θ_k`` between
the patch and its anchor: both live, once normalised, on the unit sphere ``S^{D-1}``.  The
rectification ``f(u) = max(0, u)`` then keeps the positive correlations and discards the negative
ones.  The functions here compute those quantities, the anchors of a trained layer, k-means
centres of normalised patches (Euclidean and spherical k-means), the thresholded ReLU (TReLU),
a constructed example of why the rectification matters, a convolution layer that outputs the
correlations themselves (:func:`cosine_correlate` and its backward pass, :class:`CosineConv2D`,
anchors started at the data's k-means centres by :func:`init_anchors_from_data`) so that TReLU
can threshold ``cos θ``, and the LeNet-shaped network of the chapter (:func:`recos_lenet`).
The chapter's experiment runner, its cache and its verdicts live next to the book, in
``book/experiments/recos_runs.py``.

Conventions: vectors are rows (``(N, D)`` arrays); images for patch extraction are
``(N, H, W)`` or channels-last ``(N, H, W, C)``, as the Keras-like model uses.
"""
from numbers import Real

import numpy as np

from ._extras import require
from ._validate import as_array, check_choice, check_ndim, positive_int_pair, shape_str
from . import activations as _act
from .shapes import conv_output_size, kernel_from_keras, kernel_to_keras
from .layers import Conv2D, Layer, _act_mixin_forward

__all__ = [
    "unit_vectors", "correlations", "recos_response", "relu", "trelu", "trelu_grad", "TReLU",
    "trelu_activation",
    "extract_patches", "normalized_patches", "kmeans_anchors", "anchor_vectors",
    "spherical_kmeans", "antipodal_pairs", "mean_abs_cos_random",
    "match_anchors", "invert_gray", "pattern_vs_negative_example",
    "cosine_correlate", "cosine_correlate_backward", "CosineConv2D", "COSINE_EPS",
    "recos_lenet", "active_fractions", "init_anchors_from_data", "centred_logits", "inversion_identity_error",
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
    check_choice(activation, "activation", ("relu", "linear", "trelu"))
    f = _act.trelu_activation(phi) if activation == "trelu" else _act.get_activation(activation)
    return f(xs @ a.T + b)


# ---------------------------------------------------------------------------------------------
# Rectifiers
# ---------------------------------------------------------------------------------------------

relu = _act.relu          #: ``max(0, u)`` elementwise (the rectification of RECOS): the registry's
trelu = _act.trelu        #: the thresholded ReLU, from the one activation registry (cnnlab.activations)
trelu_grad = _act.trelu_grad
trelu_activation = _act.trelu_activation
# ``trelu(u, phi)``: 0 for ``u < phi``, ``(u - phi)/(1 - phi)`` otherwise, for ``0 <= phi < 1``
# (at phi = 1 it divides by zero; phi = 0 is ReLU); on a correlation in [-1, 1] it maps
# [phi, 1] onto [0, 1].  The chapter defines it as its own construction (it has not read Kuo's
# 2017 article, to which the name is sometimes attached).


class TReLU:
    """Thresholded ReLU as an object: ``TReLU(phi)(u)``, ``.derivative(u)`` and, in the package's
    one convention, ``backward(dy, u) = dy * derivative(u)`` (dy first).  ``name`` is
    ``"trelu(phi)"``.  A thin view over :func:`cnnlab.activations.trelu_activation`.
    """

    def __init__(self, phi=0.5):
        self._act = trelu_activation(phi)
        self.phi = float(phi)
        self.name = f"trelu({self.phi:g})"
        self.__name__ = self.name

    def __call__(self, u):
        return self._act(u)

    forward = __call__

    def derivative(self, u):
        """``f'(u)``: 0 below ``phi``, ``1/(1 − phi)`` from ``phi`` on (shape of u)."""
        return trelu_grad(u, self.phi)

    def backward(self, dy, u):
        """``dE/du = dy · f'(u)`` for the upstream gradient ``dy`` of u's shape."""
        return self._act.backward(dy, u)

    def __repr__(self):
        return f"TReLU(phi={self.phi:g})"


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
    """Frequently occurring directions: Euclidean k-means centres of unit vectors, renormalised.

    Uses scikit-learn's ``KMeans`` (Euclidean k-means) and then projects the centres back onto the
    sphere.  Caution: during k-means the centres are means of unit vectors, *shorter* than 1, and
    ``‖x - c‖² = ‖x‖² - 2 x·c + ‖c‖²`` favours short centres, so "nearest centre = most
    correlated centre" is not what Euclidean k-means optimises; it holds only for unit-norm
    centres — use :func:`spherical_kmeans` for that.  Seeded.

    Inputs:
    - vectors: (M, D) unit vectors (e.g. from :func:`normalized_patches`)
    - k: number of centres
    - seed: random state of the k-means initialisation

    Returns ``(centres, counts)``: centres (k, D) unit vectors sorted by cluster size, largest
    first, and counts (k,) the cluster sizes.
    """
    KMeans = require("sklearn.cluster", "(recos.kmeans_anchors)").KMeans

    v = as_array(vectors, "vectors", ndim=2)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(v):
        raise ValueError(f"k must be an int between 1 and the number of vectors ({len(v)}); got {k!r}")
    km = KMeans(n_clusters=int(k), n_init=n_init, random_state=seed).fit(v)
    counts = np.bincount(km.labels_, minlength=k)
    order = np.argsort(-counts, kind="stable")
    return unit_vectors(km.cluster_centers_[order], name="centres"), counts[order]


def spherical_kmeans(vectors, k, seed=0, n_init=4, max_iter=100):
    """Spherical k-means: unit-norm centres, each point assigned to its *most correlated* centre.

    Lloyd's iteration on the sphere (Dhillon and Modha 2001): assign every unit vector ``x`` to
    ``argmax_j c_j · x``; replace each centre by the normalised sum of its members; repeat until
    no assignment changes.  It maximises ``Σ_x max_j c_j · x`` — for unit centres
    ``‖x − c‖² = 2 − 2 x·c``, so here nearest centre and most correlated centre are the same.
    An empty cluster is restarted at the point least correlated with its own centre.  The best
    of ``n_init`` seeded starts (random distinct points) is kept.

    Inputs:
    - vectors: (M, D) unit vectors (e.g. from :func:`normalized_patches`)
    - k: number of centres, 1 <= k <= M
    - seed: seed of the starts
    - n_init: number of starts
    - max_iter: iteration cap per start

    Returns ``(centres, counts)``: centres (k, D) unit vectors sorted by cluster size, largest
    first, and counts (k,) the cluster sizes.
    """
    v = unit_vectors(as_array(vectors, "vectors", ndim=2), name="vectors")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(v):
        raise ValueError(f"k must be an int between 1 and the number of vectors ({len(v)}); got {k!r}")
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(int(n_init)):
        c = v[rng.choice(len(v), size=int(k), replace=False)]
        labels = None
        for _ in range(int(max_iter)):
            sim = v @ c.T
            new = sim.argmax(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            sums = np.zeros_like(c)
            np.add.at(sums, labels, v)
            counts = np.bincount(labels, minlength=k)
            for j in np.flatnonzero(counts == 0):                 # restart an empty cluster
                own = sim[np.arange(len(v)), labels].copy()
                own[counts[labels] < 2] = np.inf                  # never empty another cluster
                worst = int(np.argmin(own))
                sums[labels[worst]] -= v[worst]
                counts[labels[worst]] -= 1
                sums[j], labels[worst], counts[j] = v[worst], j, 1
            c = sums / np.linalg.norm(sums, axis=1, keepdims=True)
        sim = v @ c.T
        labels = sim.argmax(axis=1)
        score = float(sim[np.arange(len(v)), labels].sum())
        if best is None or score > best[0]:
            best = (score, c, labels)
    _, c, labels = best
    counts = np.bincount(labels, minlength=k)
    order = np.argsort(-counts, kind="stable")
    return c[order], counts[order]


def antipodal_pairs(centres):
    """For each centre, the other centre it is *least* correlated with, and that correlation.

    A pair with correlation near −1 is near-antipodal: one centre is (almost) the negative of the
    other, a pattern and its polarity-reversed twin.

    Inputs:
    - centres: (K, D) vectors, K >= 2 (normalised here)

    Returns ``(partner, cos)``: ``partner`` (K,) the index of the least correlated other centre,
    ``cos`` (K,) its correlation, in [-1, 1].
    """
    c = unit_vectors(centres, name="centres")
    if c.ndim != 2 or c.shape[0] < 2:
        raise ValueError(f"centres must have shape (K, D) with K >= 2; got {shape_str(c.shape)}")
    sim = c @ c.T
    np.fill_diagonal(sim, np.inf)
    partner = sim.argmin(axis=1)
    return partner, np.clip(sim[np.arange(len(c)), partner], -1.0, 1.0)


def mean_abs_cos_random(d):
    """Mean of ``|cos θ|`` between two independent uniformly random directions in ``R^d``.

    ``cos θ`` is distributed as one coordinate ``x_1`` of a uniform point on ``S^{d-1}``, whose
    density is proportional to ``(1 - t²)^{(d-3)/2}``; integrating gives
    ``E|x_1| = Γ(d/2) / (√π Γ((d+1)/2))`` (``2/π`` for d = 2, ``1/2`` for d = 3, about
    ``sqrt(2/(π d))`` for large d).  Its root mean square is ``1/√d`` (since ``E x_1² = 1/d``),
    always larger.

    Inputs:
    - d: dimension, an int >= 2

    Returns a float.
    """
    from scipy.special import gammaln

    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise ValueError(f"d must be an int >= 2; got {d!r}")
    return float(np.exp(gammaln(d / 2) - gammaln((d + 1) / 2)) / np.sqrt(np.pi))


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
    if check_choice(layout, "layout", ("keras", "channels_first")) == "keras":
        w = kernel_from_keras(w)
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
    Ho, Wo = conv_output_size(x.shape[2], kh, sh), conv_output_size(x.shape[3], kw, sw)
    out = np.ascontiguousarray(c.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3))
    if return_cache:
        return out, dict(cols=cols, A=A, na=na, nx=nx, c=c, x_shape=x.shape, w_shape=w.shape,
                         stride=stride)
    return out


def cosine_correlate_backward(dy, cache):
    """Gradients of ``E = sum(dy * cosine_correlate(x, w))`` with respect to ``x`` and ``w``.

    With ``c = a·p / (‖a‖ n)``, ``n = sqrt(‖p‖² + eps²)`` (so ``∂n/∂p = p/n`` and
    ``∂‖a‖/∂a = a/‖a‖``), the quotient rule gives, per patch and filter,

        ∂c/∂a = p / (‖a‖ n) − c · a / ‖a‖²,        ∂c/∂p = a / (‖a‖ n) − c · p / n²,

    and the chain rule sums them over positions (for ``a``) and over filters (for ``p``); the patch
    gradients go back onto the pixels with :func:`cnnlab.conv.col2im` (overlapping windows add).
    Note ``a · ∂c/∂a = 0``: the correlation does not change when a filter is rescaled.

    Inputs:
    - dy: (N, F, Ho, Wo), the upstream gradient ``dE/dc`` (named ``dy`` as every backward pass)
    - cache: from ``cosine_correlate(..., return_cache=True)``

    Returns ``(dx, dw)`` of shapes (N, C, H, W) and (F, C, kh, kw).
    """
    from .conv import col2im

    keys = ("cols", "A", "na", "nx", "c")
    if not isinstance(cache, dict) or not all(k in cache for k in keys):
        raise TypeError(f"cache must be the dict returned by cosine_correlate(..., return_cache=True) "
                        f"(keys {keys}); got {type(cache).__name__}")
    cols, A, na, nx, c = (cache[k] for k in keys)
    F = A.shape[0]
    dy = as_array(dy, "dy", ndim=4)
    if dy.shape[1] != F or dy.shape[0] * dy.shape[2] * dy.shape[3] != c.shape[1]:
        raise ValueError(f"dy must have the shape of the forward output (N, {F}, Ho, Wo); got {shape_str(dy.shape)}")
    G = dy.transpose(1, 0, 2, 3).reshape(F, -1)                             # (F, N·Ho·Wo)
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
        w = kernel_from_keras(self.weights[0])
        c, cache = cosine_correlate(xc, w, self.strides, self.eps, return_cache=True)
        if training:
            self._cos_cache = cache
        return _act_mixin_forward(self, np.transpose(c, (0, 2, 3, 1)), training)

    def backward(self, dy, preactivation=False):
        """dy: (N, Ho, Wo, F) = dE/dy (or dE/du) -> dE/dx (N, H, W, C); fills ``grads``."""
        du = dy if preactivation else self.act.grad(self._u, self._y, dy)
        dxc, dw = cosine_correlate_backward(np.transpose(du, (0, 3, 1, 2)), self._cos_cache)
        self.grads[0] = kernel_to_keras(dw).astype(self.weights[0].dtype, copy=False)
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
    """An experiment's activation word as the registry reads it (``"trelu:0.5"`` included)."""
    return _act.get_activation(name)


def recos_lenet(activation="relu", dense_activation=None, conv_layers=2, seed=0, dtype=np.float32,
                input_shape=(32, 32, 1), conv="affine"):
    """The LeNet-5-shaped network of the chapter's experiments (Keras-like, channels last).

    ``conv_layers=2`` (LeNet-5's shape, simplified: a full C3 connection table, average pooling
    without trainable coefficients, a softmax output)::

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
    check_choice(conv, "conv", ("affine", "cosine"))
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


def _check_model(model):
    from .model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a cnnlab.Sequential; got {type(model).__name__}")
    return model


def active_fractions(model, x, names=("C1", "C3", "F5", "F6")):
    """Fraction of the outputs of the layers ``names`` that are positive on the images ``x``.

    A unit whose output is 0 passes no gradient (ReLU and TReLU are flat there); if a layer's
    fraction is 0 at initialisation, nothing below it can learn.  Returns ``{name: fraction}``,
    rounded to 3 decimals.
    """
    h, out = _check_model(model)._check_x(x), {}
    for layer in model.layers:
        h = layer.forward(h)
        if layer.name in names:
            out[layer.name] = round(float(np.mean(h > 0)), 3)
    return out


def init_anchors_from_data(model, x, seed=0, max_patches=4000):
    """Start every :class:`CosineConv2D` layer of ``model`` at the data: anchors = k-means centres.

    RECOS reads trained filters as "frequently occurring patterns"; this puts them there from the
    start, so that a threshold ``phi`` on the correlation meets correlations of the data's own
    size (random anchors in 25 or 150 dimensions correlate with any patch by a root mean square of
    ``1/√D`` = 0.2 or 0.08,
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

    h = _check_model(model)._check_x(x)
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
            kernel = kernel_to_keras(centres.reshape(layer.filters, C, kh, kw))
            layer.set_weights([kernel.astype(layer.weights[0].dtype)])
        h = layer.forward(h)
    return model

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
    p = np.asarray(_check_model(model).predict(x), dtype=np.float64)
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
