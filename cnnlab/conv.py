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

The implementation is *im2col*: every receptive field is copied into one column of a matrix,
and the whole layer becomes one matrix product (the backward pass two more, plus ``col2im``,
which adds the columns back onto the pixels).  Internally the batch index is kept *last*
(columns in the order (i, j, n)), so that these copies and adds move long contiguous runs of
memory; see :func:`_cols`.  The explicit-loop versions that read like the formula are in
:mod:`cnnlab.naive`; the tests check that both agree.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import as_array, check_alloc, check_shape, nonneg_int_pair, positive_int_pair, shape_str
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


def _geometry(x_shape, w_shape, stride, padding):
    """Validate shapes and return (sh, sw), pads, (Ho, Wo)."""
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
            f"kernel larger than the padded input: w has kernel (kh, kw) = ({kh}, {kw}) but the "
            f"padded input is ({Hp}, {Wp}) (x spatial size ({H}, {W}), padding {padding!r})"
        )
    Ho, Wo = (Hp - kh) // sh + 1, (Wp - kw) // sw + 1
    check_alloc((N, C, Hp, Wp), 8, "conv2d: the zero-padded input") and check_alloc((C * kh * kw, Ho * Wo * N), 8, "conv2d: the im2col matrix (C·kh·kw, Ho·Wo·N)")
    return (sh, sw), (pt, pb, pl, pr), (Ho, Wo)


def _batch_last(x4, pads):
    """The zero-padded input in the *batch-last* layout ``(C, Hp, Wp, N)``:
    ``xt[c, u, v, n] = x̃[n, c, u, v]`` with ``Hp = H + pad_top + pad_bottom`` (likewise ``Wp``)."""
    N, C, H, W = x4.shape
    pt, pb, pl, pr = pads
    xt = np.zeros((C, H + pt + pb, W + pl + pr, N), dtype=x4.dtype)
    xt[:, pt:pt + H, pl:pl + W, :] = x4.transpose(1, 2, 3, 0)
    return xt


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


def _cols(x4, w_shape, stride, padding):
    """Batched im2col, batch index last: a C-contiguous (C·kh·kw, Ho·Wo·N) matrix and the geometry.

    ``cols[(c, p, q), (i, j, n)] = x̃[n, c, i·sh + p, j·sw + q]``, rows in the order (c, p, q) of
    ``w[f].ravel()`` and columns in the order (i, j, n); the whole layer is then the single
    matrix product ``w.reshape(F, C·kh·kw) @ cols`` of shape (F, Ho·Wo·N).

    Why the batch index last: for one kernel offset (p, q), the pixels read by all windows,
    ``x̃[n, c, i·sh + p, j·sw + q]`` over (c, i, j, n), are a strided block of the batch-last input
    ``xt`` (see :func:`_batch_last`) whose rows of Wo·N numbers are contiguous (for stride 1).  So
    copying the windows (and adding them back in :func:`_col2im`) moves long runs of memory, where
    the (n, c, i, j) order would move N·C·Ho runs of only Wo numbers each.
    """
    (sh, sw), pads, (Ho, Wo) = _geometry(x4.shape, w_shape, stride, padding)
    N = x4.shape[0]
    _, C, kh, kw = w_shape
    # win[c, i, j, n, p, q] = xt[c, i·sh + p, j·sw + q, n]: a view, nothing copied yet
    win = sliding_window_view(_batch_last(x4, pads), (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    cols = win.transpose(0, 4, 5, 1, 2, 3).reshape(C * kh * kw, Ho * Wo * N)  # copies: this *is* im2col
    return cols, (sh, sw), pads, (Ho, Wo)


def _col2im(rows, x_shape, kh, kw, stride, pads, out_hw):
    """Adjoint of :func:`_cols`: add every entry of a (C·kh·kw, Ho·Wo·N) matrix ``dcols`` back
    onto the input pixel it was read from; returns ``dx`` of shape ``x_shape`` = (N, C, H, W).

    ``rows(p, q)`` returns the C rows (c, p, q) of ``dcols`` for one kernel offset, shape
    (C, Ho·Wo·N) — a slice of a stored matrix, or computed on the spot (see
    :func:`_input_gradient`).  One whole-batch strided slice add per kernel offset, kh·kw in all,
    always in the same order.
    """
    N, C, H, W = x_shape
    sh, sw = stride
    Ho, Wo = out_hw
    pt, pb, pl, pr = pads
    dxt = np.zeros((C, H + pt + pb, W + pl + pr, N), dtype=rows(0, 0).dtype)  # batch last, padded
    for p in range(kh):
        for q in range(kw):
            dxt[:, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw, :] += rows(p, q).reshape(C, Ho, Wo, N)
    return np.ascontiguousarray(dxt[:, pt:pt + H, pl:pl + W, :].transpose(3, 0, 1, 2))


# Above this size the matrix w2ᵀ·dY of conv2d_backward is not stored but made kh·kw rows-blocks at
# a time (about an L3 cache: past it, writing the matrix out and reading it back costs more than
# the kh·kw smaller products).
_DCOLS_MAX_BYTES = 8 * 2**20


def _input_gradient(w, dY, x_shape, stride, pads, out_hw):
    """``dx = col2im(w2ᵀ · dY)``: the gradient of the input, shape ``x_shape`` = (N, C, H, W).

    ``w``: kernels (F, C, kh, kw), ``w2 = w.reshape(F, C·kh·kw)``; ``dY``: (F, Ho·Wo·N), the
    upstream gradient with its columns in the order (i, j, n) of :func:`_cols`.
    """
    F, C, kh, kw = w.shape
    if C * kh * kw * dY.shape[1] * dY.itemsize <= _DCOLS_MAX_BYTES:
        dcols = (w.reshape(F, C * kh * kw).T @ dY).reshape(C, kh, kw, -1)  # one product
        return _col2im(lambda p, q: dcols[:, p, q], x_shape, kh, kw, stride, pads, out_hw)
    wt = w.transpose(2, 3, 1, 0)  # wt[p, q] = w[:, :, p, q]ᵀ, (C, F)
    return _col2im(lambda p, q: wt[p, q] @ dY, x_shape, kh, kw, stride, pads, out_hw)


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
    (Internally :func:`conv2d` orders the columns (i, j, n) instead, which is faster to build.)
    """
    x4, unbatched = _as_batch(x)
    kh, kw = positive_int_pair(kernel_size, "kernel_size")
    N, C = x4.shape[:2]
    cols, _, _, (Ho, Wo) = _cols(x4, (1, C, kh, kw), stride, padding)
    # columns (i, j, n) -> (n, i, j)
    return np.ascontiguousarray(cols.reshape(C * kh * kw, Ho * Wo, N).transpose(0, 2, 1)).reshape(C * kh * kw, -1)


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
    if not isinstance(x_shape, (tuple, list)) or len(x_shape) not in (3, 4):
        raise ValueError(f"x_shape must be (N, C, H, W) or (C, H, W); got {x_shape!r}")
    unbatched = len(x_shape) == 3
    shape4 = (1, *x_shape) if unbatched else tuple(x_shape)
    kh, kw = positive_int_pair(kernel_size, "kernel_size")
    N, C = shape4[:2]
    sts, pads, (Ho, Wo) = _geometry(shape4, (1, C, kh, kw), stride, padding)
    check_shape(cols, "cols", (C * kh * kw, N * Ho * Wo), "(C·kh·kw, N·Ho·Wo)")
    # columns (n, i, j) -> (i, j, n), the order _col2im expects
    dcols = cols.reshape(C, kh, kw, N, Ho * Wo).transpose(0, 1, 2, 4, 3)
    dx = _col2im(lambda p, q: dcols[:, p, q], shape4, kh, kw, sts, pads, (Ho, Wo))
    return dx[0] if unbatched else dx


# ---------------------------------------------------------------------------------------------
# the convolution layer
# ---------------------------------------------------------------------------------------------
def conv2d(x, w, b=None, stride=1, padding=0):
    """Forward pass of a convolution layer (cross-correlation, as every framework computes it).

    ``y[n, f, i, j] = b[f] + Σ_c Σ_p Σ_q w[f, c, p, q] · x̃[n, c, i·sh + p, j·sw + q]``
    where ``x̃`` is ``x`` zero-padded.

    Inputs:
    - x: input of shape (N, C, H, W), or one sample (C, H, W)
    - w: kernels of shape (F, C, kh, kw)
    - b: biases of shape (F,), or None for no bias
    - stride: int or (sh, sw), each >= 1
    - padding: int ``p`` (p zeros on every side), pair ``(ph, pw)``, ``"valid"`` (= 0),
      ``"same"`` (stride 1 only; output H×W; for an even kernel the extra row goes to the bottom
      and the extra column to the right, as in Keras/TensorFlow) or ``"full"`` (kh−1, kw−1 on
      every side)

    Returns ``y`` of shape (N, F, Ho, Wo) (or (F, Ho, Wo) for unbatched ``x``) with
    ``Ho = ⌊(H + pad_top + pad_bottom − kh)/sh⌋ + 1`` and ``Wo = ⌊(W + pad_left + pad_right − kw)/sw⌋ + 1``.
    The dtype is float32 when ``x`` and ``w`` are float32, float64 otherwise.
    """
    x4, unbatched = _as_batch(x)
    w = _as_weights(w)
    dtype = np.result_type(x4, w)
    x4, w = x4.astype(dtype, copy=False), w.astype(dtype, copy=False)
    F = w.shape[0]
    if b is not None:
        b = as_array(b, "b")
        check_shape(b, "b", (F,), "one bias per filter, F = w.shape[0]")
    N = x4.shape[0]
    cols, _, _, (Ho, Wo) = _cols(x4, w.shape, stride, padding)  # (C·kh·kw, Ho·Wo·N)
    # y = w2 @ cols, computed transposed: (Ho·Wo·N, C·kh·kw) @ (C·kh·kw, F).  Same numbers, but
    # BLAS is faster when the long dimension Ho·Wo·N indexes the rows of the result.
    yt = cols.T @ w.reshape(F, -1).T  # (Ho·Wo·N, F)
    # (Ho·Wo, N, F) -> (N, F, Ho·Wo) in two steps, each reading whole rows of F numbers or one
    # sample at a time; a single transpose would read with a stride of N·F numbers (4 KiB for
    # LeNet's C3), which the CPU caches handle badly
    y = np.ascontiguousarray(yt.reshape(Ho * Wo, N, F).transpose(1, 0, 2))  # (N, Ho·Wo, F)
    y = np.ascontiguousarray(y.transpose(0, 2, 1)).reshape(N, F, Ho, Wo)
    if b is not None:
        y += b.astype(dtype, copy=False)[:, None, None]
    return y[0] if unbatched else y


def conv2d_backward(dy, x, w, stride=1, padding=0):
    """Backward pass of :func:`conv2d`.

    With ``L = Σ dy ∘ conv2d(x, w, b, stride, padding)``:

    * ``db[f] = Σ_{n,i,j} dy[n, f, i, j]``
    * ``dw[f, c, p, q] = Σ_{n,i,j} dy[n, f, i, j] · x̃[n, c, i·sh + p, j·sw + q]``
      (for stride 1: ``dw = x̃ ⋆ dy``, a correlation of the input with the upstream gradient)
    * ``dx̃[n, c, u, v] = Σ_{f,i,j,p,q : i·sh+p=u, j·sw+q=v} dy[n, f, i, j] · w[f, c, p, q]``
      (for stride 1: the *full* correlation of ``dy`` with ``rot180(w)``, i.e. a full
      convolution with ``w``), and ``dx`` is ``dx̃`` with the padding cut off.

    In matrix form, with ``cols`` the im2col matrix of ``x`` (C·kh·kw, Ho·Wo·N) and ``dY`` the
    matrix (F, Ho·Wo·N) of ``dy`` in the same column order: ``dw = dY · colsᵀ`` and
    ``dx = col2im(w2ᵀ · dY)`` where ``w2 = w.reshape(F, C·kh·kw)``.

    Inputs:
    - dy: upstream gradient of shape (N, F, Ho, Wo) (or (F, Ho, Wo) for unbatched ``x``)
    - x: the forward input, (N, C, H, W) or (C, H, W)
    - w: kernels (F, C, kh, kw)
    - stride, padding: exactly as given to :func:`conv2d`

    Returns ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and (F,).
    """
    x4, unbatched = _as_batch(x)
    w = _as_weights(w)
    dy = as_array(dy, "dy")
    dtype = np.result_type(x4, w, dy)
    x4, w, dy = (a.astype(dtype, copy=False) for a in (x4, w, dy))
    F, C, kh, kw = w.shape
    cols, sts, pads, (Ho, Wo) = _cols(x4, w.shape, stride, padding)  # (C·kh·kw, Ho·Wo·N)
    N = x4.shape[0]
    expected = (F, Ho, Wo) if unbatched else (N, F, Ho, Wo)
    check_shape(dy, "dy", expected, "the shape of conv2d's output")
    dy4 = dy.reshape(N, F, Ho, Wo)
    db = dy4.reshape(N, F, Ho * Wo).sum(axis=(0, 2))
    dY = dy4.transpose(1, 2, 3, 0).reshape(F, Ho * Wo * N)  # columns (i, j, n) like cols; copies
    # dw = dY @ colsᵀ, computed transposed as cols @ dYᵀ (C·kh·kw, F): BLAS prefers the long
    # dimension of the result first
    dw = np.ascontiguousarray((cols @ dY.T).T).reshape(w.shape)
    # free cols before the matrix of the same size, w2ᵀ @ dY, is made: a lower peak of memory,
    # and (with glibc's malloc) no fresh pages to fault in on every call
    del cols
    dx = _input_gradient(w, dY, x4.shape, sts, pads, (Ho, Wo))
    return (dx[0] if unbatched else dx), dw, db
