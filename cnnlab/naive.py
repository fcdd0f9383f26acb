"""Explicit-loop references that read like the formulas.

These functions are slow on purpose: one Python loop per index of the formula, so that a reader
can put the code next to the equation and check it line by line.  The vectorised versions in
:mod:`cnnlab.conv` and :mod:`cnnlab.pool` are tested equal to these.

Notation (one sample ``n``): input maps ``x[n, c]``, kernels ``w[f, c]`` of size ``kh × kw``,
stride ``(sh, sw)``, zero-padded input ``x̃``:

    y[n, f, i, j] = b[f] + Σ_c Σ_p Σ_q w[f, c, p, q] · x̃[n, c, i·sh + p, j·sw + q]
"""
import numpy as np

from ._validate import as_array, as_batch, as_kernels, check_shape, shape_str
from .conv import _geometry
from .pool import _geometry as _pool_geometry   # one output-size rule: cnnlab.pool / shapes

__all__ = ["conv2d_naive", "conv2d_backward_naive", "maxpool2d_naive", "maxpool2d_backward_naive",
           "avgpool2d_naive", "avgpool2d_backward_naive"]


def _pad(x, pads):
    pt, pb, pl, pr = pads
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def conv2d_naive(x, w, b=None, stride=1, padding=0):
    """Convolution layer forward pass (cross-correlation) with explicit loops.

    Same arguments, shapes and result as :func:`cnnlab.conv.conv2d`:
    x (N, C, H, W) or (C, H, W); w (F, C, kh, kw); b (F,) or None; output (N, F, Ho, Wo) with
    ``Ho = ⌊(H + pad_top + pad_bottom − kh)/sh⌋ + 1``.
    """
    x, unbatched = as_batch(x)
    w = as_kernels(w)
    (sh, sw), pads, (Ho, Wo) = _geometry(x.shape, w.shape, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    if b is None:
        b = np.zeros(F)
    b = as_array(b, "b")
    check_shape(b, "b", (F,))
    xp = _pad(x, pads)
    y = np.zeros((N, F, Ho, Wo), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[f]
                    for c in range(C):
                        for p in range(kh):
                            for q in range(kw):
                                total += w[f, c, p, q] * xp[n, c, i * sh + p, j * sw + q]
                    y[n, f, i, j] = total
    return y[0] if unbatched else y


def conv2d_backward_naive(dy, x, w, stride=1, padding=0):
    """Backward pass of the convolution layer with explicit loops.

    Every output ``y[n, f, i, j]`` received ``dy[n, f, i, j]``; by the chain rule it passes
    ``dy · x̃[n, c, i·sh+p, j·sw+q]`` to ``w[f, c, p, q]``, ``dy · w[f, c, p, q]`` to
    ``x̃[n, c, i·sh+p, j·sw+q]`` and ``dy`` to ``b[f]``.

    Returns ``(dx, dw, db)`` with the shapes of x, w and (F,).
    """
    x, unbatched = as_batch(x)
    w = as_kernels(w)
    dy = as_array(dy, "dy")
    (sh, sw), pads, (Ho, Wo) = _geometry(x.shape, w.shape, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    check_shape(dy, "dy", (F, Ho, Wo) if unbatched else (N, F, Ho, Wo),
                f"the output shape for x of shape {shape_str(x.shape)}, w of shape {shape_str(w.shape)}, "
                f"stride ({sh}, {sw}) and padding {padding!r}")
    dy = dy.reshape(N, F, Ho, Wo)
    xp = _pad(x, pads)
    dtype = np.result_type(x, w, dy)
    dxp = np.zeros(xp.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    db = np.zeros(F, dtype=dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    g = dy[n, f, i, j]
                    db[f] += g
                    for c in range(C):
                        for p in range(kh):
                            for q in range(kw):
                                dw[f, c, p, q] += g * xp[n, c, i * sh + p, j * sw + q]
                                dxp[n, c, i * sh + p, j * sw + q] += g * w[f, c, p, q]
    pt, pb, pl, pr = pads
    dx = dxp[:, :, pt:pt + H, pl:pl + W]
    return (dx[0] if unbatched else dx), dw, db


def maxpool2d_naive(x, size=2, stride=None):
    """Max pooling over the last two axes, with explicit loops.

    ``y[..., i, j] = max_{p < kh, q < kw} x[..., i·sh + p, j·sw + q]``; the output size is
    ``Ho = ⌊(H − kh)/sh⌋ + 1``.  ``x`` has at least 2 dimensions; ``stride`` defaults to ``size``.
    """
    x = as_array(x, "x")
    (kh, kw), (sh, sw), (Ho, Wo) = _pool_geometry(x, size, stride)
    lead = x.shape[:-2]
    y = np.empty(lead + (Ho, Wo), dtype=x.dtype)
    for idx in np.ndindex(*lead):
        for i in range(Ho):
            for j in range(Wo):
                best = -np.inf
                for p in range(kh):
                    for q in range(kw):
                        best = max(best, x[idx + (i * sh + p, j * sw + q)])
                y[idx + (i, j)] = best
    return y


def maxpool2d_backward_naive(dy, x, size=2, stride=None):
    """Backward pass of max pooling, with explicit loops.

    Each ``dy[..., i, j]`` goes entirely to the position of its window's maximum; on a tie, to
    the first maximum in row-major window order (scan rows top to bottom, each row left to
    right).  Overlapping windows add up.  Returns ``dx`` with the shape of ``x``.
    """
    x = as_array(x, "x")
    dy = as_array(dy, "dy")
    (kh, kw), (sh, sw), (Ho, Wo) = _pool_geometry(x, size, stride)
    lead = x.shape[:-2]
    check_shape(dy, "dy", lead + (Ho, Wo), f"the output shape for x of shape {shape_str(x.shape)}, size ({kh}, {kw}), stride ({sh}, {sw})")
    dx = np.zeros(x.shape, dtype=np.result_type(x, dy))
    for idx in np.ndindex(*lead):
        for i in range(Ho):
            for j in range(Wo):
                best, arg = -np.inf, None
                for p in range(kh):
                    for q in range(kw):
                        v = x[idx + (i * sh + p, j * sw + q)]
                        if arg is None or v > best:  # strict '>' keeps the first maximum
                            best, arg = v, (i * sh + p, j * sw + q)
                dx[idx + arg] += dy[idx + (i, j)]
    return dx


def avgpool2d_naive(x, size=2, stride=None):
    """Average pooling over the last two axes, with explicit loops.

    ``y[..., i, j] = (1/(kh·kw)) Σ_{p < kh} Σ_{q < kw} x[..., i·sh + p, j·sw + q]``; output
    (..., Ho, Wo) with ``Ho = ⌊(H − kh)/sh⌋ + 1``.  The loop twin of :func:`cnnlab.pool.avgpool2d`.
    """
    x = as_array(x, "x")
    (kh, kw), (sh, sw), (Ho, Wo) = _pool_geometry(x, size, stride)
    lead = x.shape[:-2]
    y = np.zeros(lead + (Ho, Wo), dtype=x.dtype)
    for idx in np.ndindex(*lead):
        for i in range(Ho):
            for j in range(Wo):
                total = 0.0
                for p in range(kh):
                    for q in range(kw):
                        total += x[idx + (i * sh + p, j * sw + q)]
                y[idx + (i, j)] = total / (kh * kw)
    return y


def avgpool2d_backward_naive(dy, x, size=2, stride=None):
    """Backward pass of average pooling, with explicit loops: each ``dy[..., i, j]`` is shared
    equally, ``dy/(kh·kw)``, by the pixels of its window; overlaps add up.  Returns ``dx``
    shaped like ``x``; the loop twin of :func:`cnnlab.pool.avgpool2d_backward`."""
    x = as_array(x, "x")
    dy = as_array(dy, "dy")
    (kh, kw), (sh, sw), (Ho, Wo) = _pool_geometry(x, size, stride)
    lead = x.shape[:-2]
    check_shape(dy, "dy", lead + (Ho, Wo), f"the output shape for x of shape {shape_str(x.shape)}, size ({kh}, {kw}), stride ({sh}, {sw})")
    dx = np.zeros(x.shape, dtype=np.result_type(x, dy))
    for idx in np.ndindex(*lead):
        for i in range(Ho):
            for j in range(Wo):
                for p in range(kh):
                    for q in range(kw):
                        dx[idx + (i * sh + p, j * sw + q)] += dy[idx + (i, j)] / (kh * kw)
    return dx
