"""A convolution layer as one sparse matrix: the doubly block Toeplitz matrix ``T(k)``.

A convolution layer is linear in its input. Flatten the input maps row by row (channels first,
``(C, H, W)`` → a vector of ``C·H·W`` numbers) and the output maps the same way; then

    vec(conv2d(x, w, stride, padding)) = T(w) · vec(x)           (bias aside)

for one matrix ``T(w)`` of shape ``(F·Ho·Wo, C·H·W)``. Each row is one output position of one
filter; it holds that filter's ``C·kh·kw`` weights in the columns of the input pixels its window
covers (fewer where the window hangs over the zero padding, whose columns do not exist).

For one map and one kernel at stride 1 without padding, the rows of ``T`` split into ``Ho``
blocks of ``Wo`` rows and its columns into ``H`` blocks of ``W`` columns; block ``(m, m')`` is
zero unless ``0 ≤ m' − m < kh``, and then it is the ``Wo × W`` Toeplitz matrix built from kernel
row ``m' − m``. The blocks are constant along block diagonals: ``T`` is *block Toeplitz with
Toeplitz blocks*, "doubly block Toeplitz" (Dumoulin & Visin 2016, §2 and ch. 4, unroll the
kernel into such a sparse matrix; Zhang et al., *Dive into Deep Learning*, §14.10 (transposed
convolution), build the same kind of weight matrix). Its transpose ``T(w)ᵀ`` maps an
output-shaped array back to the input's shape: it is the *transposed convolution*, which is
exactly the input gradient of the layer (``dx = Tᵀ dy``).

Functions:

- :func:`conv_matrix` — ``T(w)`` as a ``scipy.sparse.csr_matrix``;
- :func:`conv_matrix_shape` — its shape without building it;
- :func:`transposed_conv2d` — ``Tᵀ dy`` reshaped to the input's shape;
- :func:`toeplitz_blocks` — the ``(Ho, H)`` grid of ``Wo × W`` blocks of a one-map matrix, to
  display (and test) its structure.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validate import as_array, positive_int_pair, shape_str, shape_tuple
from .shapes import padded_output_size, resolve_padding

__all__ = ["conv_matrix", "conv_matrix_shape", "transposed_conv2d", "toeplitz_blocks"]


def _kernel(w):
    w = as_array(w, "w", ndim=(2, 4))
    if w.ndim == 2:
        w = w[None, None]
    if min(w.shape) < 1:
        raise ValueError(f"w must have no empty axis; got shape {shape_str(w.shape)}")
    return w


def _input_shape(input_shape, C):
    try:
        shape = tuple(int(v) for v in input_shape)
    except TypeError:
        raise TypeError(f"input_shape must be (H, W) or (C, H, W); got {input_shape!r}") from None
    if len(shape) == 2:
        shape = (C,) + shape
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (H, W) or (C, H, W) of positive ints; got {input_shape!r}")
    if shape[0] != C:
        raise ValueError(
            f"input_shape has {shape[0]} channels but w of shape (F, C, kh, kw) expects C = {C}")
    return shape


def _pads(padding, kh, kw, stride, H, W):
    """(top, bottom, left, right): conv2d's padding words/ints/pairs, or an explicit 4-tuple."""
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        pads = tuple(padding)
        if not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0 for p in pads):
            raise ValueError(f"padding as (top, bottom, left, right) must be 4 ints >= 0; got {padding!r}")
        return tuple(int(p) for p in pads)
    return resolve_padding(padding, (kh, kw), stride, input_size=(H, W))


def _geometry(w, input_shape, stride, padding):
    w = _kernel(w)
    F, C, kh, kw = w.shape
    C, H, W = _input_shape(input_shape, C)
    sh, sw = positive_int_pair(stride, "stride")
    pt, pb, pl, pr = _pads(padding, kh, kw, (sh, sw), H, W)
    try:
        Ho = padded_output_size(H, kh, sh, pt, pb)
        Wo = padded_output_size(W, kw, sw, pl, pr)
    except ValueError as exc:
        raise ValueError(f"w of shape {shape_str(w.shape)} does not fit input_shape "
                         f"{shape_str((C, H, W))} with padding {padding!r}: {exc}") from None
    return w, (F, C, kh, kw), (C, H, W), (sh, sw), (pt, pb, pl, pr), (Ho, Wo)


def conv_matrix_shape(w_shape, input_shape, stride=1, padding=0):
    """The shape ``(F·Ho·Wo, C·H·W)`` of :func:`conv_matrix` for these sizes (nothing built)."""
    w_shape = shape_tuple(w_shape, "w_shape")
    if len(w_shape) not in (2, 4) or min(w_shape) < 1:
        raise ValueError(f"w_shape must be (F, C, kh, kw) or (kh, kw) of positive ints; got {shape_str(w_shape)}")
    w = np.broadcast_to(np.float64(0), w_shape)          # a view: nothing allocated
    _, (F, C, _, _), (_, H, W), _, _, (Ho, Wo) = _geometry(w, input_shape, stride, padding)
    return F * Ho * Wo, C * H * W


def conv_matrix(w, input_shape, stride=1, padding=0):
    """The sparse matrix ``T`` with ``T @ x.ravel() == conv2d(x, w, stride=..., padding=...).ravel()``.

    Inputs:
    - w: kernels, ``(F, C, kh, kw)``, or one ``(kh, kw)`` kernel (``F = C = 1``);
      cross-correlation, no flip, as :func:`cnnlab.conv2d` and every framework.
    - input_shape: ``(C, H, W)`` (or ``(H, W)`` when ``C = 1``) of one unbatched input.
    - stride: int or ``(sh, sw)``.
    - padding: as :func:`cnnlab.conv2d` (int, ``(ph, pw)``, "valid", "same", "full") or an explicit
      ``(top, bottom, left, right)``.

    Returns a ``scipy.sparse.csr_matrix`` of shape ``(F·Ho·Wo, C·H·W)`` with
    ``Ho = ⌊(H + top + bottom − kh)/sh⌋ + 1`` (and ``Wo`` alike); rows ordered ``(f, m, n)``,
    columns ``(c, m', n')``, both row-major. Entries that would read padding are left out.

    >>> conv_matrix(np.ones((2, 2)), (3, 3)).shape
    (4, 9)
    """
    w, (F, C, kh, kw), (C, H, W), (sh, sw), (pt, _, pl, _), (Ho, Wo) = _geometry(
        w, input_shape, stride, padding)
    f, c, mu, nu, m, n = np.meshgrid(np.arange(F), np.arange(C), np.arange(kh), np.arange(kw),
                                     np.arange(Ho), np.arange(Wo), indexing="ij")
    r_in = m * sh + mu - pt             # input row read by output (m, n) at offset (mu, nu)
    c_in = n * sw + nu - pl
    keep = (r_in >= 0) & (r_in < H) & (c_in >= 0) & (c_in < W)
    rows = (f * Ho + m) * Wo + n
    cols = (c * H + r_in) * W + c_in
    vals = np.broadcast_to(w[:, :, :, :, None, None], rows.shape)
    T = sp.coo_matrix((vals[keep], (rows[keep], cols[keep])), shape=(F * Ho * Wo, C * H * W))
    return T.tocsr()


def transposed_conv2d(dy, w, input_shape, stride=1, padding=0):
    """The transposed convolution ``Tᵀ dy``, reshaped to ``input_shape``.

    Inputs: ``dy`` of the layer's output shape ``(F, Ho, Wo)`` (or ``(Ho, Wo)`` when ``F = 1``);
    ``w``, ``input_shape``, ``stride``, ``padding`` as :func:`conv_matrix`.
    Returns an array of shape ``(C, H, W)``: the gradient ``∂E/∂x`` of a convolution layer whose
    output receives ``∂E/∂y = dy`` (the input gradient of :func:`cnnlab.conv2d_backward`).
    """
    T = conv_matrix(w, input_shape, stride, padding)
    F = _kernel(w).shape[0]
    C, H, W = _input_shape(input_shape, _kernel(w).shape[1])
    dy = as_array(dy, "dy", ndim=(2, 3))
    if dy.ndim == 2:
        dy = dy[None]
    if dy.size != T.shape[0] or dy.shape[0] != F:
        raise ValueError(f"dy must have the layer's output shape (F, Ho, Wo) with F = {F} and "
                         f"F·Ho·Wo = {T.shape[0]}; got shape {shape_str(dy.shape)}")
    return np.asarray(T.T @ dy.reshape(-1)).reshape(C, H, W)


def toeplitz_blocks(T, input_hw, output_hw):
    """Cut a one-map ``T`` (shape ``(Ho·Wo, H·W)``) into its ``(Ho, H)`` grid of ``Wo × W`` blocks.

    Returns a dense array of shape ``(Ho, H, Wo, W)``: ``blocks[m, m']`` is the block that maps
    input row ``m'`` to output row ``m``.
    """
    H, W = positive_int_pair(input_hw, "input_hw")
    Ho, Wo = positive_int_pair(output_hw, "output_hw")
    if T.shape != (Ho * Wo, H * W):
        raise ValueError(f"T must have shape (Ho·Wo, H·W) = {shape_str((Ho * Wo, H * W))}; "
                         f"got {shape_str(T.shape)}")
    dense = T.toarray() if sp.issparse(T) else np.asarray(T)
    return dense.reshape(Ho, Wo, H, W).transpose(0, 2, 1, 3)
