"""Convolution and cross-correlation, vectorised.

Two families live here.

* ``correlate2d`` / ``convolve2d`` work on one 2-D image and one 2-D kernel and give exactly
  SciPy's ``scipy.signal.correlate2d`` / ``convolve2d`` (zero fill) in the modes ``"valid"``,
  ``"same"`` and ``"full"``.
* ``conv2d`` / ``conv2d_backward`` are the layer operation of every deep-learning framework: a
  **cross-correlation** (``⋆``, the kernel is *not* flipped) of a stack of ``C`` input maps with
  ``F`` kernels of depth ``C``, with stride, zero padding and a bias per output map.

For one sample ``x`` of shape ``(C, H, W)``, kernels ``w`` of shape ``(F, C, kh, kw)``, stride
``(sh, sw)`` and the zero-padded input ``x̃``::

    y[f, i, j] = b[f] + Σ_c Σ_p Σ_q  w[f, c, p, q] · x̃[c, i·sh + p, j·sw + q]

and the output size along each axis is (see :func:`conv_output_size`)::

    H_out = ⌊(H + pad_top + pad_bottom − kh) / sh⌋ + 1.

This module says what the layer computes, as the formulas read: :func:`conv2d` pads the input,
slides a window over every output position and sums the products with the kernel; and
:func:`conv2d_backward` is the three formulas of its gradients.  By default both hand the
arrays, once checked, to :mod:`cnnlab.fastconv`, which computes the same numbers faster
(im2col with the batch index last, one matrix product per pass, the batch split across
threads); ``fast=False`` runs the formulas as written here.  The explicit loops are in
:mod:`cnnlab.naive`; the tests check all three against each other and against SciPy, finite
differences and PyTorch.
"""
import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import fastconv as _fastconv
from ._validate import (as_array, check_alloc, check_shape, nonneg_int_pair, positive_int_pair, shape_str,
                        shape_tuple)
from .shapes import conv_floors, conv_output_size, resolve_padding  # noqa: F401 (re-exported)

__all__ = [
    "correlate2d", "convolve2d", "conv2d", "conv2d_backward", "conv_output_size",
    "conv_floors", "resolve_padding", "im2col", "col2im",
]

_MODES = ("valid", "same", "full")


# ---------------------------------------------------------------------------------------------
# single-channel 2-D correlation and convolution (SciPy semantics)
# ---------------------------------------------------------------------------------------------
def _check_mode(mode, name="mode"):
    if not isinstance(mode, str):
        raise TypeError(f"{name} must be one of {_MODES}; got {mode!r} of type {type(mode).__name__}")
    if mode not in _MODES:
        raise ValueError(f"{name} must be one of {_MODES}; got {mode!r}")
    return mode


def _full_correlation(x, k):
    """Full 2-D cross-correlation of 2-D ``x`` (H, W) with ``k`` (kh, kw): (H+kh-1, W+kw-1).

    ``out[i, j] = Σ_p Σ_q x̃[i + p, j + q] k[p, q]`` where ``x̃`` is ``x`` with ``kh-1`` zero rows
    above and below and ``kw-1`` zero columns left and right.
    """
    kh, kw = k.shape
    H, W = x.shape
    dtype = np.result_type(x, k)
    xp = np.zeros((H + 2 * (kh - 1), W + 2 * (kw - 1)), dtype=dtype)
    xp[kh - 1:kh - 1 + H, kw - 1:kw - 1 + W] = x
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw))  # (H+kh-1, W+kw-1, kh, kw)
    return np.tensordot(win, k.astype(dtype, copy=False), axes=([2, 3], [0, 1]))


def _slice_mode(full, in_shape, k_shape, mode, same_offset):
    """Cut the ``valid`` or ``same`` part out of a full result (SciPy's rules)."""
    if mode == "full":
        return full
    (H, W), (kh, kw) = in_shape, k_shape
    if mode == "same":
        r0, c0 = same_offset
        return full[r0:r0 + H, c0:c0 + W]
    # valid: the positions where one array lies entirely inside the other.  SciPy allows the
    # kernel to be the larger one (it swaps the inputs), but not a mixture.
    if not ((H >= kh and W >= kw) or (H <= kh and W <= kw)):
        raise ValueError(
            f"mode='valid' needs x to be at least as large as k in every dimension (or k at "
            f"least as large as x in every dimension); got x shape {shape_str(in_shape)} and k "
            f"shape {shape_str(k_shape)}"
        )
    return full[min(H, kh) - 1:max(H, kh), min(W, kw) - 1:max(W, kw)]


def correlate2d(x, k, mode="valid"):
    """2-D cross-correlation ``x ⋆ k`` with zero fill; the same result as SciPy's.

    ``(x ⋆ k)[i, j] = Σ_p Σ_q x[i + p, j + q] · k[p, q]`` (indices into the zero-extended ``x``;
    the kernel is **not** flipped, as in every deep-learning framework).

    Inputs:
    - x: array of shape (H, W)
    - k: kernel of shape (kh, kw)
    - mode: ``"valid"`` (output (H − kh + 1, W − kw + 1), only full overlaps), ``"same"``
      (output (H, W), centred like SciPy: for an even kernel the window is anchored one place
      *after* its centre, i.e. the output is ``full[kh//2 : kh//2 + H, kw//2 : kw//2 + W]``) or
      ``"full"`` (output (H + kh − 1, W + kw − 1), every partial overlap).

    Returns an array of the output shape above (float64, or float32 if both inputs are float32).
    """
    mode = _check_mode(mode)
    x = as_array(x, "x", ndim=2)
    k = as_array(k, "k", ndim=2)
    if 0 in x.shape or 0 in k.shape:
        raise ValueError(f"x and k must not be empty; got x shape {shape_str(x.shape)}, k shape {shape_str(k.shape)}")
    full = _full_correlation(x, k)
    return _slice_mode(full, x.shape, k.shape, mode, (k.shape[0] // 2, k.shape[1] // 2))


def convolve2d(x, k, mode="valid"):
    """2-D (true) convolution ``x * k`` with zero fill; the same result as SciPy's.

    ``(x * k)[i, j] = Σ_p Σ_q x[i − p, j − q] · k[p, q]``: the kernel is flipped in both axes
    (rotated by 180°), so ``x * k = x ⋆ rot180(k)`` in modes ``"valid"`` and ``"full"``.

    Inputs:
    - x: array of shape (H, W)
    - k: kernel of shape (kh, kw)
    - mode: ``"valid"`` (H − kh + 1, W − kw + 1), ``"full"`` (H + kh − 1, W + kw − 1) or
      ``"same"`` (H, W): SciPy keeps ``full[(kh−1)//2 : (kh−1)//2 + H, ...]``.  For an even
      kernel that is one row (column) *earlier* than MATLAB's ``conv2(..., 'same')``, which keeps
      ``full[kh//2 : kh//2 + H, ...]`` — see :func:`cnnlab.matlab.conv2`.

    Returns an array of the output shape above.
    """
    mode = _check_mode(mode)
    x = as_array(x, "x", ndim=2)
    k = as_array(k, "k", ndim=2)
    if 0 in x.shape or 0 in k.shape:
        raise ValueError(f"x and k must not be empty; got x shape {shape_str(x.shape)}, k shape {shape_str(k.shape)}")
    full = _full_correlation(x, k[::-1, ::-1])
    return _slice_mode(full, x.shape, k.shape, mode, ((k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2))


# ---------------------------------------------------------------------------------------------
# output sizes and padding
# ---------------------------------------------------------------------------------------------
# conv_output_size, conv_floors and resolve_padding live in cnnlab.shapes (one home for the
# output-size formula and the "same" rule); they are re-exported here for old imports.


def _typed(v):
    """A hashable key for an argument that tells 1 from True and (1, 2) from [1, 2]."""
    if isinstance(v, tuple):
        return tuple, tuple(_typed(e) for e in v)
    hash(v)                                     # TypeError for lists etc.: not cached
    return type(v), v


@functools.lru_cache(maxsize=256)
def _geometry_cached(key, x_shape, w_shape, stride, padding):
    return _geometry_checked(x_shape, w_shape, stride, padding)


def _geometry(x_shape, w_shape, stride, padding):
    """Validate shapes and return (sh, sw), pads, (Ho, Wo).  The same arguments give the same
    answer, so answers are kept (a training loop asks the same question for every batch);
    arguments that cannot be hashed are checked afresh."""
    try:
        key = _typed((tuple(x_shape), tuple(w_shape), stride, padding))
    except TypeError:
        return _geometry_checked(x_shape, w_shape, stride, padding)
    return _geometry_cached(key, tuple(x_shape), tuple(w_shape), stride, padding)


def _geometry_checked(x_shape, w_shape, stride, padding):
    N, C, H, W = x_shape
    F, Cw, kh, kw = w_shape
    if Cw != C:
        raise ValueError(
            f"channel mismatch: x has C={C} channels (shape {shape_str(x_shape)}) but w expects "
            f"C={Cw} (shape {shape_str(w_shape)} = (F, C, kh, kw))"
        )
    if 0 in w_shape or 0 in x_shape:
        raise ValueError(f"x and w must not be empty; got x shape {shape_str(x_shape)}, w shape {shape_str(w_shape)}")
    sh, sw = positive_int_pair(stride, "stride")
    pt, pb, pl, pr = resolve_padding(padding, (kh, kw), (sh, sw), input_size=(H, W))
    Hp, Wp = H + pt + pb, W + pl + pr
    if kh > Hp or kw > Wp:
        raise ValueError(
            f"kernel larger than the padded input: the kernel (kh, kw) = ({kh}, {kw}) (of w, or kernel_size) but the "
            f"padded input is ({Hp}, {Wp}) (spatial size ({H}, {W}) of x, or x_shape, padding {padding!r})"
        )
    Ho, Wo = conv_output_size(Hp, kh, sh), conv_output_size(Wp, kw, sw)  # on the padded input
    args = f"x of shape {shape_str(x_shape)}, kernel ({kh}, {kw}), stride ({sh}, {sw}), padding {padding!r}"
    check_alloc((N, C, Hp, Wp), 8, f"conv2d ({args}): the zero-padded input")
    check_alloc((C * kh * kw, Ho * Wo * N), 8, f"conv2d ({args}): the im2col matrix (C·kh·kw, Ho·Wo·N)")
    return (sh, sw), (pt, pb, pl, pr), (Ho, Wo)


def _as_batch(x, name="x"):
    x = as_array(x, name)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{name} must be 4-D (N, C, H, W) or 3-D (C, H, W); got a {x.ndim}-D array of shape {shape_str(x.shape)}"
        )
    return (x[None], True) if x.ndim == 3 else (x, False)


def _as_weights(w):
    w = as_array(w, "w")
    if w.ndim != 4:
        raise ValueError(f"w must be 4-D (F, C, kh, kw); got a {w.ndim}-D array of shape {shape_str(w.shape)}")
    return w


def _check_flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return bool(value)


# ---------------------------------------------------------------------------------------------
# the definition: pad, slide the windows, sum the products
# ---------------------------------------------------------------------------------------------
def _pad(x4, pads):
    """``x̃``: ``x`` (N, C, H, W) with pad_top/bottom zero rows and pad_left/right zero columns."""
    pt, pb, pl, pr = pads
    return np.pad(x4, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def _windows(xp, kh, kw, stride, out_hw):
    """``win[n, c, i, j, p, q] = x̃[n, c, i·sh + p, j·sw + q]``, shape (N, C, Ho, Wo, kh, kw):
    the window under every output position, as a view of the padded input (nothing copied)."""
    (sh, sw), (Ho, Wo) = stride, out_hw
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :Ho, :Wo]


def _conv2d_formula(x4, w, b, stride, pads, out_hw):
    """``y[n, f, i, j] = b[f] + Σ_c Σ_p Σ_q w[f, c, p, q] · x̃[n, c, i·sh + p, j·sw + q]``."""
    kh, kw = w.shape[2:]
    win = _windows(_pad(x4, pads), kh, kw, stride, out_hw)
    y = np.einsum("ncijpq,fcpq->nfij", win, w, optimize=True)
    return y if b is None else y + b[:, None, None]


def _conv2d_backward_formula(dy, x4, w, stride, pads, out_hw, need_dx):
    """The three gradients of ``Σ dy ∘ y`` (see :func:`conv2d_backward`), each as written there."""
    N, C, H, W = x4.shape
    F, _, kh, kw = w.shape
    (sh, sw), (Ho, Wo) = stride, out_hw
    pt, pb, pl, pr = pads
    db = dy.sum(axis=(0, 2, 3))                                      # Σ over n, i, j
    win = _windows(_pad(x4, pads), kh, kw, stride, out_hw)
    dw = np.einsum("nfij,ncijpq->fcpq", dy, win, optimize=True)     # Σ_{n,i,j} dy · x̃[window]
    if not need_dx:
        return None, dw, db
    dxp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=dy.dtype)
    for p in range(kh):                                             # every pixel a window read
        for q in range(kw):                                         # gets back dy · w, summed
            dxp[:, :, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw] += np.einsum(
                "nfij,fc->ncij", dy, w[:, :, p, q], optimize=True)
    return dxp[:, :, pt:pt + H, pl:pl + W], dw, db


# ---------------------------------------------------------------------------------------------
# im2col / col2im
# ---------------------------------------------------------------------------------------------
def im2col(x, kernel_size, stride=1, padding=0):
    """Lay every receptive field of ``x`` out as one column of a matrix.

    Inputs:
    - x: input of shape (N, C, H, W) or (C, H, W)
    - kernel_size: int or (kh, kw)
    - stride: int or (sh, sw), each >= 1
    - padding: as in :func:`conv2d`

    Returns ``cols`` of shape (C·kh·kw, N·Ho·Wo) (or (C·kh·kw, Ho·Wo) for unbatched input) with
    ``Ho = ⌊(H + pad_top + pad_bottom − kh)/sh⌋ + 1`` (likewise ``Wo``).  Column
    ``n·Ho·Wo + i·Wo + j`` holds the window under output position (n, i, j), flattened in the
    order (c, p, q), so that ``conv2d(x, w)`` equals ``w.reshape(F, -1) @ cols`` reshaped.
    (:mod:`cnnlab.fastconv` orders the columns (i, j, n) instead, which is faster to build.)
    """
    x4, unbatched = _as_batch(x)
    kh, kw = positive_int_pair(kernel_size, "kernel_size")
    N, C = x4.shape[:2]
    sts, pads, out_hw = _geometry(x4.shape, (1, C, kh, kw), stride, padding)
    win = _windows(_pad(x4, pads), kh, kw, sts, out_hw)              # (N, C, Ho, Wo, kh, kw)
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(C * kh * kw, -1)  # rows (c, p, q), cols (n, i, j)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    """Adjoint of :func:`im2col`: add every column back onto the pixels it was read from.

    Overlapping windows *accumulate*, so ``col2im(im2col(x))`` is not ``x`` but ``x`` times the
    number of windows covering each pixel; what holds is ``<im2col(x), c> = <x, col2im(c)>``.

    Inputs:
    - cols: (C·kh·kw, N·Ho·Wo) as returned by :func:`im2col`
    - x_shape: (N, C, H, W) or (C, H, W), the shape of the image to rebuild
    - kernel_size, stride, padding: as for :func:`im2col`

    Returns an array of shape ``x_shape``.
    """
    cols = as_array(cols, "cols", ndim=2)
    x_shape = shape_tuple(x_shape, "x_shape")
    if len(x_shape) not in (3, 4) or 0 in x_shape:
        raise ValueError(f"x_shape must be (N, C, H, W) or (C, H, W) with no zero entry; got {x_shape!r}")
    unbatched = len(x_shape) == 3
    N, C, H, W = (1, *x_shape) if unbatched else tuple(x_shape)
    kh, kw = positive_int_pair(kernel_size, "kernel_size")
    (sh, sw), (pt, pb, pl, pr), (Ho, Wo) = _geometry((N, C, H, W), (1, C, kh, kw), stride, padding)
    check_shape(cols, "cols", (C * kh * kw, N * Ho * Wo),
                f"(C·kh·kw, N·Ho·Wo) for x_shape {shape_str((N, C, H, W))}, kernel_size ({kh}, {kw}), "
                f"stride ({sh}, {sw}) and padding {padding!r}")
    blocks = cols.reshape(C, kh, kw, N, Ho, Wo)
    dxp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            dxp[:, :, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw] += blocks[:, p, q].transpose(1, 0, 2, 3)
    dx = dxp[:, :, pt:pt + H, pl:pl + W]
    return dx[0] if unbatched else dx


# ---------------------------------------------------------------------------------------------
# the convolution layer
# ---------------------------------------------------------------------------------------------
def conv2d(x, w, b=None, stride=1, padding=0, *, fast=True):
    """Forward pass of a convolution layer (cross-correlation, as every framework computes it).

    ``y[n, f, i, j] = b[f] + Σ_c Σ_p Σ_q w[f, c, p, q] · x̃[n, c, i·sh + p, j·sw + q]``
    where ``x̃`` is ``x`` zero-padded: pad, slide a window over every output position, sum the
    products with the kernel (:func:`_conv2d_formula` says exactly this in NumPy).

    Inputs:
    - x: input of shape (N, C, H, W), or one sample (C, H, W)
    - w: kernels of shape (F, C, kh, kw)
    - b: biases of shape (F,), or None for no bias
    - stride: int or (sh, sw), each >= 1
    - padding: int ``p`` (p zeros on every side), pair ``(ph, pw)``, ``"valid"`` (= 0),
      ``"same"`` (any stride, TensorFlow/Keras's rule: output ⌈H/sh⌉×⌈W/sw⌉, total padding
      ``max((⌈i/s⌉ − 1)·s + k − i, 0)`` with the extra row/column at the bottom/right, see
      :func:`cnnlab.shapes.same_padding`) or ``"full"`` (kh−1, kw−1 on every side)
    - fast: True (default) computes it with :mod:`cnnlab.fastconv` (im2col, threads); False
      with the formula as written — the same numbers up to rounding, the tests check it

    Returns ``y`` of shape (N, F, Ho, Wo) (or (F, Ho, Wo) for unbatched ``x``) with
    ``Ho = ⌊(H + pad_top + pad_bottom − kh)/sh⌋ + 1`` and ``Wo = ⌊(W + pad_left + pad_right − kw)/sw⌋ + 1``.
    The dtype is float32 when ``x`` and ``w`` are float32, float64 otherwise.
    """
    fast = _check_flag(fast, "fast")
    x4, unbatched = _as_batch(x)
    w = _as_weights(w)
    dtype = np.result_type(x4, w)
    x4, w = x4.astype(dtype, copy=False), w.astype(dtype, copy=False)
    F = w.shape[0]
    if b is not None:
        b = as_array(b, "b")
        check_shape(b, "b", (F,), "one bias per filter, F = w.shape[0]")
        b = b.astype(dtype, copy=False)
    sts, pads, out_hw = _geometry(x4.shape, w.shape, stride, padding)
    if fast:
        y = _fastconv.conv2d_forward(x4, w, b, sts, pads, out_hw)
    else:
        y = _conv2d_formula(x4, w, b, sts, pads, out_hw)
    return y[0] if unbatched else y


def conv2d_backward(dy, x, w, stride=1, padding=0, *, need_dx=True, fast=True):
    """Backward pass of :func:`conv2d`.

    With ``L = Σ dy ∘ conv2d(x, w, b, stride, padding)``:

    * ``db[f] = Σ_{n,i,j} dy[n, f, i, j]``
    * ``dw[f, c, p, q] = Σ_{n,i,j} dy[n, f, i, j] · x̃[n, c, i·sh + p, j·sw + q]``
      (for stride 1: ``dw = x̃ ⋆ dy``, a correlation of the input with the upstream gradient)
    * ``dx̃[n, c, u, v] = Σ_{f,i,j,p,q : i·sh+p=u, j·sw+q=v} dy[n, f, i, j] · w[f, c, p, q]``
      (for stride 1: the *full* correlation of ``dy`` with ``rot180(w)``, i.e. a full
      convolution with ``w``), and ``dx`` is ``dx̃`` with the padding cut off.

    In matrix form, with ``cols`` the im2col matrix of ``x`` (C·kh·kw, N·Ho·Wo) and ``dY`` the
    matrix (F, N·Ho·Wo) of ``dy`` in the same column order: ``dw = dY · colsᵀ`` and
    ``dx = col2im(w2ᵀ · dY)`` where ``w2 = w.reshape(F, C·kh·kw)``.

    Inputs:
    - dy: upstream gradient of shape (N, F, Ho, Wo) (or (F, Ho, Wo) for unbatched ``x``)
    - x: the forward input, (N, C, H, W) or (C, H, W)
    - w: kernels (F, C, kh, kw)
    - stride, padding: exactly as given to :func:`conv2d`
    - need_dx: False skips ``dx`` (returned as None) — the first layer of a network needs no
      gradient of its input, and ``dx`` costs about a third of the backward pass
    - fast: as in :func:`conv2d`

    Returns ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and (F,).
    """
    need_dx = _check_flag(need_dx, "need_dx")
    fast = _check_flag(fast, "fast")
    x4, unbatched = _as_batch(x)
    w = _as_weights(w)
    dy = as_array(dy, "dy")
    dtype = np.result_type(x4, w, dy)
    x4, w, dy = (a.astype(dtype, copy=False) for a in (x4, w, dy))
    sts, pads, (Ho, Wo) = _geometry(x4.shape, w.shape, stride, padding)
    N, F = x4.shape[0], w.shape[0]
    expected = (F, Ho, Wo) if unbatched else (N, F, Ho, Wo)
    check_shape(dy, "dy", expected, f"the shape of conv2d's output for x of shape {shape_str(x4.shape)}, "
                f"w of shape {shape_str(w.shape)}, stride {stride!r} and padding {padding!r}")
    dy4 = dy.reshape(N, F, Ho, Wo)
    if fast:
        dx, dw, db = _fastconv.conv2d_backward(dy4, x4, w, sts, pads, (Ho, Wo), need_dx)
    else:
        dx, dw, db = _conv2d_backward_formula(dy4, x4, w, sts, pads, (Ho, Wo), need_dx)
    if dx is not None and unbatched:
        dx = dx[0]
    return dx, dw, db
