"""Bouvrie's helpers ``up``, ``down``, ``rot180`` and LeNet's trainable subsampling.

Following Bouvrie, *Notes on Convolutional Neural Networks* (2006), on the last two axes:

* ``up(x, n)``: the Kronecker product ``x ⊗ 1_{n×n}`` — every entry becomes an ``n × n`` block;
* ``down(x, n)``: the sum over non-overlapping ``n × n`` blocks (sizes must divide);
* ``rot180(k)``: ``k`` flipped in both axes.

``up`` and ``down`` are adjoint: ``<up(a, n), b> = <a, down(b, n)>``, which is why the gradient
of a ``down`` is an ``up`` and vice versa.  A subsampling map (LeNet's S2/S4 layers, one
coefficient ``β_j`` and one bias ``b_j`` per map ``j``) computes::

    u_j = β_j · down(x_j, n) + b_j

and its backward pass, for ``δ_j = ∂E/∂u_j``, is::

    ∂E/∂x_j = β_j · up(δ_j, n),   ∂E/∂β_j = Σ δ_j ∘ down(x_j, n),   ∂E/∂b_j = Σ δ_j.
"""
import numpy as np

from ._validate import as_array, check_alloc, check_shape, positive_int_pair, shape_str

__all__ = ["up", "down", "rot180", "subsample", "subsample_backward"]


def up(x, n):
    """Upsample by copying: ``up(x, n) = x ⊗ 1_{n×n}`` over the last two axes.

    Inputs:
    - x: array of shape (..., H, W), at least 2-D
    - n: int or (nh, nw), each >= 1

    Returns an array of shape (..., H·nh, W·nw) with ``out[..., i, j] = x[..., i // nh, j // nw]``.
    """
    x = as_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (..., H, W); got shape {shape_str(x.shape)}")
    nh, nw = positive_int_pair(n, "n")
    check_alloc(x.shape[:-2] + (x.shape[-2] * nh, x.shape[-1] * nw), x.itemsize, "up: the output")
    return _up(x, nh, nw)


def _up(x, nh, nw, scale=None, channels_last=False):
    """``up`` without the checks, optionally times ``scale`` (broadcast against x) in the same
    pass: every entry written once through a (…, H, nh, W, nw) view of the output.  With
    ``channels_last`` the two axes are the ones before the last: x (N, H, W, C)."""
    src = x if scale is None else x * scale
    if channels_last:
        N, H, W, C = x.shape
        out = np.empty((N, H, nh, W, nw, C), dtype=src.dtype)
        out[...] = src[:, :, None, :, None, :]
        return out.reshape(N, H * nh, W * nw, C)
    H, W = x.shape[-2:]
    out = np.empty(x.shape[:-2] + (H, nh, W, nw), dtype=src.dtype)
    out[...] = src[..., :, None, :, None]
    return out.reshape(x.shape[:-2] + (H * nh, W * nw))


def down(x, n):
    """Sum over non-overlapping ``n × n`` blocks of the last two axes.

    Inputs:
    - x: array of shape (..., H, W) with H divisible by nh and W by nw
    - n: int or (nh, nw), each >= 1

    Returns an array of shape (..., H/nh, W/nw):
    ``out[..., i, j] = Σ_{p<nh, q<nw} x[..., i·nh + p, j·nw + q]``.
    """
    x = as_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (..., H, W); got shape {shape_str(x.shape)}")
    nh, nw = positive_int_pair(n, "n")
    H, W = x.shape[-2:]
    if H % nh or W % nw:
        raise ValueError(
            f"down needs the block size n = ({nh}, {nw}) to divide the last two axes of x; got "
            f"x shape {shape_str(x.shape)} (H={H}, W={W})"
        )
    return _down(x, nh, nw)


def _down(x, nh, nw, channels_last=False):
    """``down`` without the checks: the nh·nw strided slices ``x[..., p::nh, q::nw]`` added
    up (each add one vectorised pass; a reshape-and-sum over the two short block axes is
    about 17 times slower).  Integers and booleans add in NumPy's default integer, as ``sum``.
    With ``channels_last`` the two axes are the ones before the last: x (N, H, W, C)."""
    dtype = x.dtype if x.dtype.kind in "fc" else np.add.reduce(np.zeros(1, x.dtype)).dtype

    def block(p, q):
        return x[:, p::nh, q::nw, :] if channels_last else x[..., p::nh, q::nw]

    out = block(0, 0).astype(dtype, copy=True)
    for p in range(nh):
        for q in range(nw):
            if p or q:
                out += block(p, q)
    return out


def rot180(k):
    """Rotate by 180° over the last two axes: ``out[..., p, q] = k[..., kh−1−p, kw−1−q]``.

    Input: ``k`` of shape (..., kh, kw), at least 2-D.  Returns a new array of the same shape.
    """
    k = as_array(k, "k")
    if k.ndim < 2:
        raise ValueError(f"k must have at least 2 dimensions (..., kh, kw); got shape {shape_str(k.shape)}")
    return k[..., ::-1, ::-1].copy()


def _maps(x, name):
    x = as_array(x, name)
    if x.ndim not in (3, 4):
        raise ValueError(f"{name} must be 3-D (C, H, W) or 4-D (N, C, H, W); got a {x.ndim}-D array of shape {shape_str(x.shape)}")
    return x


def _per_channel(v, name, C):
    v = as_array(v, name)
    if v.ndim == 0:
        raise ValueError(f"{name} must have shape ({C},), one value per channel; got a scalar (use np.full({C}, value))")
    check_shape(v, name, (C,), "one value per channel of x")
    return v


def subsample(x, beta, b, n):
    """LeNet/Bouvrie trainable subsampling: ``u = β · down(x, n) + b`` per channel.

    Inputs:
    - x: maps of shape (C, H, W) or (N, C, H, W); H, W divisible by the block size
    - beta: coefficients of shape (C,), one per map
    - b: biases of shape (C,), one per map
    - n: block size, int or (nh, nw)

    Returns ``u`` of shape (C, H/nh, W/nw) or (N, C, H/nh, W/nw).  (No activation is applied;
    LeNet follows it with a squashing function.)
    """
    x = _maps(x, "x")
    C = x.shape[-3]
    beta = _per_channel(beta, "beta", C)
    b = _per_channel(b, "b", C)
    return beta[:, None, None] * down(x, n) + b[:, None, None]


def subsample_backward(dy, x, beta, n):
    """Backward pass of :func:`subsample`.

    Inputs:
    - dy: upstream gradient ``δ = ∂E/∂u`` of shape (C, H/nh, W/nw) or (N, C, H/nh, W/nw)
    - x: the forward input (C, H, W) or (N, C, H, W)
    - beta: the coefficients (C,)
    - n: the block size given to :func:`subsample`

    Returns ``(dx, dbeta, db)``:
    ``dx = β · up(δ, n)`` (shape of x), ``dbeta[c] = Σ δ[c] ∘ down(x[c], n)`` and
    ``db[c] = Σ δ[c]`` (both (C,); the sums run over the batch and both spatial axes).
    """
    x = _maps(x, "x")
    C = x.shape[-3]
    beta = _per_channel(beta, "beta", C)
    dy = as_array(dy, "dy")
    xd = down(x, n)
    check_shape(dy, "dy", xd.shape, f"the shape of subsample's output for x of shape {shape_str(x.shape)} "
                f"and n = {n!r}")
    axes = tuple(a for a in range(dy.ndim) if a != dy.ndim - 3)
    nh, nw = positive_int_pair(n, "n")
    dx = _up(dy, nh, nw, scale=beta[:, None, None])             # β · up(δ, n)
    dbeta = (dy * xd).sum(axis=axes)
    db = dy.sum(axis=axes)
    return dx, dbeta, db
