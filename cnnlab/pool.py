"""Max and average pooling over the last two axes, vectorised, with their backward passes.

For a window of ``kh × kw`` moved with stride ``(sh, sw)`` (the stride defaults to the window
size, i.e. non-overlapping windows, as in Keras and PyTorch)::

    maxpool: y[..., i, j] = max_{p<kh, q<kw} x[..., i·sh + p, j·sw + q]
    avgpool: y[..., i, j] = (1 / (kh·kw)) Σ_{p<kh, q<kw} x[..., i·sh + p, j·sw + q]

and ``Ho = ⌊(H − kh)/sh⌋ + 1``, ``Wo = ⌊(W − kw)/sw⌋ + 1`` (no padding; trailing rows/columns
that no window reaches are ignored, and receive zero gradient).  Any leading axes — (C, H, W),
(N, C, H, W), or just (H, W) — are carried along.

Backward: max pooling routes each ``dy[..., i, j]`` to the argmax of its window (on a tie, the
*first* maximum in row-major window order); average pooling spreads ``dy / (kh·kw)`` evenly over
the window.  Overlapping windows accumulate.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._validate import as_array, check_alloc, check_shape, positive_int_pair, shape_str, shape_tuple
from .shapes import padded_output_size, resolve_padding

__all__ = ["maxpool2d", "maxpool2d_backward", "avgpool2d", "avgpool2d_backward", "pool_output_shape",
           "pool_geometry"]


def _window_geometry(shape, size, stride, name):
    """((kh, kw), (sh, sw), (Ho, Wo)) over the last two entries of ``shape``; ``name`` says in
    messages what ``shape`` is (``"x of shape"``, ``"x_shape"``)."""
    kh, kw = positive_int_pair(size, "size")
    sh, sw = positive_int_pair(stride if stride is not None else (kh, kw), "stride")
    if len(shape) < 2:
        raise ValueError(f"{name.split()[0]} must have at least 2 dimensions (..., H, W); got shape {shape_str(shape)}")
    H, W = shape[-2:]
    if kh > H or kw > W:
        raise ValueError(
            f"pool window size (kh, kw) = ({kh}, {kw}) is larger than the input's spatial size "
            f"(H, W) = ({H}, {W}) ({name} {shape_str(shape)})"
        )
    return (kh, kw), (sh, sw), (padded_output_size(H, kh, sh), padded_output_size(W, kw, sw))


def pool_geometry(x_shape, size=2, stride=None):
    """Window, stride and output size of a pooling over the last two axes of ``x_shape``.

    Inputs: x_shape (..., H, W) with at least 2 entries; size int or (kh, kw); stride int or
    (sh, sw), default ``size``.  Returns ``((kh, kw), (sh, sw), (Ho, Wo))`` with
    ``Ho = ⌊(H − kh)/sh⌋ + 1`` from :func:`cnnlab.shapes.padded_output_size`.  Shared by the loop
    twins in :mod:`cnnlab.naive` and the widgets.
    """
    return _window_geometry(shape_tuple(x_shape, "x_shape"), size, stride, "x_shape")


def _geometry(x, size, stride):
    """:func:`pool_geometry` of the array ``x`` (messages name ``x``)."""
    return _window_geometry(x.shape, size, stride, "x of shape")


def pool_output_shape(x_shape, size=2, stride=None, padding=0):
    """Output shape of :func:`maxpool2d`/:func:`avgpool2d` for an input of shape ``x_shape``.

    Inputs: x_shape (..., H, W); size, stride, padding as for :func:`maxpool2d`.
    Returns the tuple (..., Ho, Wo).  Nothing is allocated.
    """
    x_shape = shape_tuple(x_shape, "x_shape")
    pt, pb, pl, pr = _pads(x_shape, size, stride, padding, "x_shape")
    padded = x_shape[:-2] + (x_shape[-2] + pt + pb, x_shape[-1] + pl + pr)
    name = f"x_shape padded by (top, bottom, left, right) = {(pt, pb, pl, pr)} to" if pt + pb + pl + pr else "x_shape"
    (_, _), (_, _), (Ho, Wo) = _window_geometry(padded, size, stride, name)
    return x_shape[:-2] + (Ho, Wo)


def _windows(x, kh, kw, sh, sw, Ho, Wo):
    """Read-only view (..., Ho, Wo, kh, kw): ``view[..., i, j, p, q] = x[..., i·sh+p, j·sw+q]``."""
    x = np.ascontiguousarray(x)
    st = x.strides
    sh, sw = (sh if Ho > 1 else 1), (sw if Wo > 1 else 1)   # one window: its stride is never used
    return as_strided(
        x, shape=x.shape[:-2] + (Ho, Wo, kh, kw),
        strides=st[:-2] + (st[-2] * sh, st[-1] * sw, st[-2], st[-1]), writeable=False,
    )


def _scatter(vals_by_offset, x_shape, dtype, kh, kw, sh, sw, Ho, Wo):
    """dx[..., i·sh+p, j·sw+q] += vals_by_offset(p, q)[..., i, j], looping over the kh·kw offsets."""
    dx = np.zeros(x_shape, dtype=dtype)
    for p in range(kh):
        for q in range(kw):
            dx[..., p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw] += vals_by_offset(p, q)
    return dx


def _maxpool2d(x, size=2, stride=None):
    """Max pooling over the last two axes.

    Inputs:
    - x: array of shape (..., H, W), e.g. (N, C, H, W) or (C, H, W)
    - size: int or (kh, kw), the window
    - stride: int or (sh, sw); defaults to ``size`` (non-overlapping windows)

    Returns ``y`` of shape (..., Ho, Wo), ``Ho = ⌊(H − kh)/sh⌋ + 1``, ``Wo = ⌊(W − kw)/sw⌋ + 1``.
    """
    x = as_array(x, "x")
    (kh, kw), (sh, sw), (Ho, Wo) = _geometry(x, size, stride)
    if (kh, kw) == (sh, sw):  # non-overlapping: a reshape, no copy of the windows
        lead = x.shape[:-2]
        xc = x[..., :Ho * kh, :Wo * kw].reshape(lead + (Ho, kh, Wo, kw))
        return xc.max(axis=(-3, -1))
    return _windows(x, kh, kw, sh, sw, Ho, Wo).max(axis=(-2, -1))


def _maxpool2d_backward(dy, x, size=2, stride=None):
    """Backward pass of :func:`maxpool2d`.

    Inputs:
    - dy: upstream gradient of shape (..., Ho, Wo)
    - x: the forward input (..., H, W)
    - size, stride: as given to :func:`maxpool2d`

    Returns ``dx`` with the shape of ``x``: each ``dy[..., i, j]`` is added at the position of the
    maximum of window (i, j); on a tie, at the first maximum in row-major order within the window.
    """
    x = as_array(x, "x")
    dy = as_array(dy, "dy")
    (kh, kw), (sh, sw), (Ho, Wo) = _geometry(x, size, stride)
    check_shape(dy, "dy", x.shape[:-2] + (Ho, Wo),
                f"the shape of maxpool2d's output for x of shape {shape_str(x.shape)}, size (kh, kw) = ({kh}, {kw}), "
                f"stride ({sh}, {sw})")
    win = _windows(x, kh, kw, sh, sw, Ho, Wo).reshape(x.shape[:-2] + (Ho, Wo, kh * kw))
    arg = win.argmax(axis=-1)  # first maximum in row-major window order
    dtype = np.result_type(x, dy)
    return _scatter(lambda p, q: np.where(arg == p * kw + q, dy, 0), x.shape, dtype, kh, kw, sh, sw, Ho, Wo)


def _avgpool2d(x, size=2, stride=None):
    """Average pooling over the last two axes.

    Inputs:
    - x: array of shape (..., H, W)
    - size: int or (kh, kw); stride: int or (sh, sw), default ``size``

    Returns ``y`` of shape (..., Ho, Wo), ``Ho = ⌊(H − kh)/sh⌋ + 1``, ``Wo = ⌊(W − kw)/sw⌋ + 1``.
    """
    x = as_array(x, "x")
    (kh, kw), (sh, sw), (Ho, Wo) = _geometry(x, size, stride)
    if (kh, kw) == (sh, sw):
        lead = x.shape[:-2]
        xc = x[..., :Ho * kh, :Wo * kw].reshape(lead + (Ho, kh, Wo, kw))
        return xc.mean(axis=(-3, -1))
    return _windows(x, kh, kw, sh, sw, Ho, Wo).mean(axis=(-2, -1))


def _avgpool2d_backward(dy, x, size=2, stride=None):
    """Backward pass of :func:`avgpool2d`: every window receives ``dy[..., i, j] / (kh·kw)`` on
    each of its pixels (overlaps add up).

    Inputs: dy (..., Ho, Wo); x (..., H, W), the forward input (only its shape is used);
    size, stride as given to :func:`avgpool2d`.  Returns ``dx`` with the shape of ``x``.
    """
    x = as_array(x, "x")
    dy = as_array(dy, "dy")
    (kh, kw), (sh, sw), (Ho, Wo) = _geometry(x, size, stride)
    check_shape(dy, "dy", x.shape[:-2] + (Ho, Wo),
                f"the shape of avgpool2d's output for x of shape {shape_str(x.shape)}, size (kh, kw) = ({kh}, {kw}), "
                f"stride ({sh}, {sw})")
    dtype = np.result_type(x, dy)
    share = dy / (kh * kw)
    return _scatter(lambda p, q: share, x.shape, dtype, kh, kw, sh, sw, Ho, Wo)


# ---------------------------------------------------------------------------------------------
# padding: "same" as Keras (max ignores the padded cells, average divides by the real cells)
# ---------------------------------------------------------------------------------------------
def _pads(shape, size, stride, padding, name="x"):
    kh, kw = positive_int_pair(size, "size")
    sh, sw = positive_int_pair(stride if stride is not None else (kh, kw), "stride")
    if len(shape) < 2:
        raise ValueError(f"{name} must have at least 2 dimensions (..., H, W); got shape {shape_str(shape)}")
    if isinstance(padding, str) and padding.lower() == "full":
        raise ValueError("padding='full' is not defined for pooling; use 'valid', 'same', an int or a pair")
    return resolve_padding(padding, (kh, kw), (sh, sw), input_size=shape[-2:])


def _pad(x, pads, fill):
    pt, pb, pl, pr = pads
    width = [(0, 0)] * (x.ndim - 2) + [(pt, pb), (pl, pr)]
    check_alloc(x.shape[:-2] + (x.shape[-2] + pt + pb, x.shape[-1] + pl + pr), x.itemsize, "pooling: the padded input")
    return np.pad(x, width, constant_values=fill)


def _crop(dx, pads):
    pt, pb, pl, pr = pads
    return dx[..., pt:dx.shape[-2] - pb, pl:dx.shape[-1] - pr]


def maxpool2d(x, size=2, stride=None, padding=0):
    """Max pooling over the last two axes.

    Inputs:
    - x: array of shape (..., H, W), e.g. (N, C, H, W) or (C, H, W)
    - size: int or (kh, kw), the window
    - stride: int or (sh, sw); defaults to ``size`` (non-overlapping windows)
    - padding: 0 (default), an int, a pair, ``"valid"`` or ``"same"`` (Keras's rule, see
      :func:`cnnlab.shapes.same_padding`); padded cells never win (they hold −∞)

    Returns ``y`` of shape (..., Ho, Wo), ``Ho = ⌊(H + pad_top + pad_bottom − kh)/sh⌋ + 1``.
    """
    x = as_array(x, "x")
    pads = _pads(x.shape, size, stride, padding)
    return _maxpool2d(_pad(x, pads, -np.inf) if any(pads) else x, size, stride)


def maxpool2d_backward(dy, x, size=2, stride=None, padding=0):
    """Backward pass of :func:`maxpool2d`.

    Inputs:
    - dy: upstream gradient of shape (..., Ho, Wo)
    - x: the forward input (..., H, W)
    - size, stride, padding: as given to :func:`maxpool2d`

    Returns ``dx`` with the shape of ``x``: each ``dy[..., i, j]`` is added at the position of the
    maximum of window (i, j); on a tie, at the first maximum in row-major order within the window.
    """
    x = as_array(x, "x")
    pads = _pads(x.shape, size, stride, padding)
    if not any(pads):
        return _maxpool2d_backward(dy, x, size, stride)
    return _crop(_maxpool2d_backward(dy, _pad(x, pads, -np.inf), size, stride), pads)


def avgpool2d(x, size=2, stride=None, padding=0, count_padding=True):
    """Average pooling over the last two axes.

    Inputs:
    - x: array of shape (..., H, W)
    - size: int or (kh, kw); stride: int or (sh, sw), default ``size``
    - padding: as for :func:`maxpool2d` (zeros)
    - count_padding: True divides every window by ``kh·kw`` (PyTorch's default); False divides by
      the number of real (unpadded) cells in the window, as Keras's ``padding="same"``

    Returns ``y`` of shape (..., Ho, Wo), ``Ho = ⌊(H + pad_top + pad_bottom − kh)/sh⌋ + 1``.
    """
    x = as_array(x, "x")
    pads = _pads(x.shape, size, stride, padding)
    if not any(pads):
        return _avgpool2d(x, size, stride)
    y = _avgpool2d(_pad(x, pads, 0.0), size, stride)
    return y if count_padding else (y / _real_fraction(x.shape[-2:], pads, size, stride)).astype(y.dtype, copy=False)


def _real_fraction(hw, pads, size, stride):
    """Fraction of each window that covers real (unpadded) cells, shape (Ho, Wo)."""
    return _avgpool2d(_pad(np.ones(hw), pads, 0.0), size, stride)


def avgpool2d_backward(dy, x, size=2, stride=None, padding=0, count_padding=True):
    """Backward pass of :func:`avgpool2d`: every window receives ``dy[..., i, j] / (kh·kw)`` on
    each of its pixels (overlaps add up; with ``count_padding=False``, ``dy / (real cells)``).

    Inputs: dy (..., Ho, Wo); x (..., H, W), the forward input (only its shape is used);
    size, stride, padding, count_padding as given to :func:`avgpool2d`.  Returns ``dx`` with the
    shape of ``x``.
    """
    x = as_array(x, "x")
    pads = _pads(x.shape, size, stride, padding)
    if not any(pads):
        return _avgpool2d_backward(dy, x, size, stride)
    dy = as_array(dy, "dy")
    xp = _pad(x, pads, 0.0)
    if not count_padding:
        (kh, kw), (sh, sw), (Ho, Wo) = _geometry(xp, size, stride)
        check_shape(dy, "dy", x.shape[:-2] + (Ho, Wo), f"the shape of avgpool2d's output for x of shape "
                    f"{shape_str(x.shape)}, size (kh, kw) = ({kh}, {kw}), stride ({sh}, {sw}), padding {padding!r}")
        dy = dy / _real_fraction(x.shape[-2:], pads, size, stride)
    return _crop(_avgpool2d_backward(dy, xp, size, stride), pads)
