"""Shape arithmetic and array layouts: the one place that computes output sizes and paddings.

Every other module of :mod:`cnnlab` (the functional core, the Keras-like layers, the widgets)
imports its sizes from here, so there is one output-size formula and one "same" rule.

Output size along one axis (input length ``i``, kernel ``k``, stride ``s``, dilation ``d``,
zero padding ``p_before`` and ``p_after``)::

    o = ⌊(i + p_before + p_after − d·(k − 1) − 1) / s⌋ + 1

"same" padding is TensorFlow/Keras's rule, for any stride: the output has ``⌈i/s⌉`` entries and
the total padding is ``max((⌈i/s⌉ − 1)·s + k − i, 0)``, of which ``⌊total/2⌋`` goes before
(top/left) and the rest — one more when the total is odd — after (bottom/right).

Kernel layouts
--------------
The book meets three layouts of a bank of 2-D kernels; each axis name below is the size of
that axis:

=============  ===================  ==============================================================
layout         shape                used by
=============  ===================  ==============================================================
functional     ``(F, C, kh, kw)``   :func:`cnnlab.conv2d`, :mod:`cnnlab.naive`, PyTorch's ``Conv2d``
keras          ``(kh, kw, C, F)``   :class:`cnnlab.layers.Conv2D` weights, ``get_weights``, Keras
bouvrie        ``(C, F, kh, kw)``   :mod:`cnnlab.bouvrie` (``k[i, j]`` is the kernel from input
                                    map ``i`` to output map ``j``, as in Bouvrie's notes)
=============  ===================  ==============================================================

``C`` is the number of input maps, ``F`` the number of output maps (filters).  The converters
:func:`kernel_to_keras`, :func:`kernel_from_keras`, :func:`kernel_to_bouvrie` and
:func:`kernel_from_bouvrie` only move axes (no flip); Bouvrie's MATLAB convention additionally
rotates each kernel by 180° (see :func:`cnnlab.sampling.rot180` and :func:`cnnlab.bouvrie.input_index`).
"""
from numbers import Integral

import numpy as np

from ._validate import as_array, nonneg_int_pair, positive_int_pair, shape_str

__all__ = [
    "conv_output_size", "conv_floors", "same_padding", "resolve_padding", "padded_output_size",
    "window_taps",
    "KERNEL_LAYOUTS", "kernel_to_keras", "kernel_from_keras", "kernel_to_bouvrie",
    "kernel_from_bouvrie",
]


def _check_int(name, v, lo):
    if not isinstance(v, Integral) or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int; got {v!r} of type {type(v).__name__}")
    if v < lo:
        raise ValueError(f"{name} must be >= {lo}; got {v}")
    return int(v)


# ---------------------------------------------------------------------------------------------
# output sizes
# ---------------------------------------------------------------------------------------------
def conv_output_size(i, k, s=1, p=0, d=1, return_remainder=False):
    """Output length of a convolution (or pooling) along one axis.

    ``o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1``  (with ``d = 1``: ``⌊(i + 2p − k) / s⌋ + 1``).

    Inputs:
    - i: input length (>= 1); k: kernel length (>= 1); s: stride (>= 1);
      p: zero padding on *each* side (>= 0); d: dilation (>= 1).  Python or NumPy ints.
    - return_remainder: if True, also return ``r = (i + 2p − d·(k − 1) − 1) mod s``, the number
      of trailing input positions that no window reaches.  ``r > 0`` means a framework silently
      *floors*: the last ``r`` rows (columns) of the padded input are ignored
      (:func:`conv_floors` returns just ``r > 0``).

    Returns ``o`` (int), or ``(o, r)`` when ``return_remainder`` is True.

    >>> conv_output_size(32, 5)            # LeNet C1
    28
    >>> conv_output_size(28, 3, s=2, return_remainder=True)
    (13, 1)
    """
    i, k, s = _check_int("i", i, 1), _check_int("k", k, 1), _check_int("s", s, 1)
    p, d = _check_int("p", p, 0), _check_int("d", d, 1)
    return padded_output_size(i, k, s, p, p, d, return_remainder=return_remainder)


def padded_output_size(i, k, s=1, p_before=0, p_after=0, d=1, return_remainder=False):
    """Like :func:`conv_output_size` with possibly unequal padding before and after.

    ``o = ⌊(i + p_before + p_after − d·(k − 1) − 1) / s⌋ + 1``; ``ValueError`` when the
    (dilated) kernel is longer than the padded input.  Returns ``o`` or ``(o, r)``.
    """
    i, k, s = _check_int("i", i, 1), _check_int("k", k, 1), _check_int("s", s, 1)
    pb, pa, d = _check_int("p_before", p_before, 0), _check_int("p_after", p_after, 0), _check_int("d", d, 1)
    span = i + pb + pa - d * (k - 1) - 1
    if span < 0:
        raise ValueError(
            f"kernel larger than the padded input: effective kernel length d·(k−1)+1 = "
            f"{d * (k - 1) + 1} > padded length {i + pb + pa} (i={i}, k={k}, padding "
            f"({pb}, {pa}), d={d})"
        )
    o, r = span // s + 1, span % s
    return (int(o), int(r)) if return_remainder else int(o)


def window_taps(t, k, s=1, d=1):
    """The padded-input positions read by window ``t`` along one axis: ``t·s + d·q`` for
    ``q = 0 … k − 1`` (window ``t`` starts at ``t·s``; a dilation ``d`` spreads its taps).

    Inputs: t window index (>= 0), k kernel length, s stride, d dilation (>= 1).
    Returns a list of k ints.

    >>> window_taps(2, 3, s=2, d=2)
    [4, 6, 8]
    """
    t = _check_int("t", t, 0)
    k, s, d = _check_int("k", k, 1), _check_int("s", s, 1), _check_int("d", d, 1)
    return [t * s + d * q for q in range(k)]


def conv_floors(i, k, s=1, p=0, d=1):
    """True when ``(i + 2p − d(k−1) − 1)`` is not a multiple of ``s``: the output size is floored
    and some input rows/columns are never used (see :func:`conv_output_size`)."""
    return conv_output_size(i, k, s, p, d, return_remainder=True)[1] > 0


# ---------------------------------------------------------------------------------------------
# padding
# ---------------------------------------------------------------------------------------------
def same_padding(i, k, s=1):
    """TensorFlow/Keras's ``padding="same"`` along one axis, for any stride.

    The output has ``⌈i/s⌉`` entries; the total padding is ``max((⌈i/s⌉ − 1)·s + k − i, 0)``,
    ``before = ⌊total/2⌋`` (top/left) and ``after = total − before`` (bottom/right: the extra
    one goes there when the total is odd).

    Inputs: i input length (>= 1), k kernel length (>= 1), s stride (>= 1).
    Returns ``(before, after)``, two ints.

    >>> same_padding(6, 3, 2)     # output 3: windows start at 0, 2, 4; one zero at the bottom
    (0, 1)
    >>> same_padding(5, 3)        # stride 1: (k − 1) split evenly
    (1, 1)
    """
    i, k, s = _check_int("i", i, 1), _check_int("k", k, 1), _check_int("s", s, 1)
    out = -(-i // s)
    total = max((out - 1) * s + k - i, 0)
    return total // 2, total - total // 2


_PADDING_WORDS = "'valid', 'same', 'full'"


def resolve_padding(padding, kernel_size, stride=1, input_size=None):
    """Turn a ``padding`` argument into explicit zero counts ``(top, bottom, left, right)``.

    Inputs:
    - padding: an int ``p`` (``p`` on every side), a pair ``(ph, pw)``, or one of the words
      ``"valid"`` (no padding), ``"same"`` (TensorFlow/Keras's rule for any stride, see
      :func:`same_padding`; the extra row/column goes bottom/right) and ``"full"`` (``kh − 1``
      rows and ``kw − 1`` columns on every side)
    - kernel_size: ``(kh, kw)`` (an int means square)
    - stride: int or pair ``(sh, sw)``
    - input_size: ``(H, W)`` of the (unpadded) input; needed for ``"same"`` with a stride > 1,
      where the padding depends on the input size.  With stride 1 it is not needed ("same" is
      then ``kh − 1`` rows, ``(kh − 1)//2`` on top).

    Returns a tuple of four non-negative ints.

    >>> resolve_padding("same", (3, 3), stride=2, input_size=(6, 6))
    (0, 1, 0, 1)
    """
    kh, kw = positive_int_pair(kernel_size, "kernel_size")
    if isinstance(padding, str):
        word = padding.lower()
        if word == "valid":
            return 0, 0, 0, 0
        if word == "full":
            return kh - 1, kh - 1, kw - 1, kw - 1
        if word == "same":
            sh, sw = positive_int_pair(stride, "stride")
            if input_size is None:
                if (sh, sw) != (1, 1):
                    raise ValueError(
                        f"padding='same' with stride {(sh, sw)} depends on the input size; pass "
                        f"input_size=(H, W) (got input_size=None)"
                    )
                return (kh - 1) // 2, kh - 1 - (kh - 1) // 2, (kw - 1) // 2, kw - 1 - (kw - 1) // 2
            H, W = positive_int_pair(input_size, "input_size")
            return same_padding(H, kh, sh) + same_padding(W, kw, sw)
        raise ValueError(
            f"padding must be an int, a pair (ph, pw) or one of {_PADDING_WORDS}; got {padding!r}")
    try:
        ph, pw = nonneg_int_pair(padding, "padding")
    except TypeError:
        raise TypeError(
            f"padding must be an int, a pair (ph, pw) or one of {_PADDING_WORDS}; got "
            f"{type(padding).__name__} {padding!r}"
        ) from None
    return ph, ph, pw, pw


# ---------------------------------------------------------------------------------------------
# kernel layouts
# ---------------------------------------------------------------------------------------------
#: layout name -> its axes, as documented in the module docstring
KERNEL_LAYOUTS = {
    "functional": ("F", "C", "kh", "kw"),
    "keras": ("kh", "kw", "C", "F"),
    "bouvrie": ("C", "F", "kh", "kw"),
}


def _kernel4(w, name):
    return as_array(w, name, ndim=4)


def kernel_to_keras(w):
    """Functional kernels ``(F, C, kh, kw)`` -> Keras layout ``(kh, kw, C, F)`` (a view).

    ``out[p, q, c, f] = w[f, c, p, q]``."""
    return _kernel4(w, "w").transpose(2, 3, 1, 0)


def kernel_from_keras(w):
    """Keras kernels ``(kh, kw, C, F)`` -> functional layout ``(F, C, kh, kw)`` (a view).

    ``out[f, c, p, q] = w[p, q, c, f]``; the inverse of :func:`kernel_to_keras`."""
    return _kernel4(w, "w").transpose(3, 2, 0, 1)


def kernel_to_bouvrie(w):
    """Functional kernels ``(F, C, kh, kw)`` -> Bouvrie's ``(C, F, kh, kw)`` (a view; no flip).

    ``out[i, j] = w[j, i]``: the kernel from input map ``i`` to output map ``j``."""
    return _kernel4(w, "w").transpose(1, 0, 2, 3)


def kernel_from_bouvrie(k):
    """Bouvrie's kernels ``(C, F, kh, kw)`` -> functional ``(F, C, kh, kw)`` (a view; no flip);
    the inverse of :func:`kernel_to_bouvrie`."""
    return _kernel4(k, "k").transpose(1, 0, 2, 3)

