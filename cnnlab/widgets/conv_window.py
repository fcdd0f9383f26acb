"""The sliding window: move a kernel over an input and see every product and their sum.

Three layers, as every widget of the book:

* :class:`ConvWindow` — the state, plain NumPy.  It knows the (padded) input, the kernel, the
  stride, and which output position is being computed; its methods are the "controls" a test
  (or the panel) moves: :meth:`ConvWindow.move_to`, :meth:`ConvWindow.step`,
  :meth:`ConvWindow.set_index`, :meth:`ConvWindow.set_padding`, :meth:`ConvWindow.set_stride`,
  :meth:`ConvWindow.set_flip`.
* :func:`panel` — an ipywidgets panel (padding, stride, "flip the kernel" and a position slider)
  that redraws a Matplotlib figure into an ``Image`` widget and writes the sum of products into an
  ``HTML`` widget.
* :func:`static_conv_window` — the static twin: one small panel per output position (a filmstrip)
  plus the finished output, for the website where no kernel runs.

For an input ``x`` of shape ``(H, W)``, kernel ``w`` of shape ``(kh, kw)``, stride ``(sh, sw)``
and the zero-padded input ``x̃`` (``pt`` rows on top, ``pb`` below, ``pl`` columns left, ``pr``
right), the window at output position ``(i, j)`` covers ``x̃[i·sh : i·sh + kh, j·sw : j·sw + kw]``
and::

    y[i, j] = Σ_p Σ_q  x̃[i·sh + p, j·sw + q] · w[p, q]          (cross-correlation, x ⋆ w)

With ``flip=True`` the kernel is first rotated by 180°, which turns the same sliding window into a
true convolution ``x * w`` (what MATLAB's ``conv2`` and SciPy's ``convolve2d`` compute).  The
output size is ``H_out = ⌊(H + pt + pb − kh)/sh⌋ + 1`` (likewise for the width).
"""

import numpy as np

from .._validate import as_array, positive_int_pair, shape_str
from ..conv import conv2d
from ..shapes import padded_output_size, resolve_padding
from ._common import number_grid as _grid
from ._common import png as _png
from ._common import fmt as _fmt
from .._extras import require

__all__ = ["ConvWindow", "panel", "frame", "static_conv_window", "static_modes", "draw_conv_window", "DEFAULT_X", "DEFAULT_K"]

#: default input: a 5×5 image with a bright vertical bar (small integers so sums are readable)
DEFAULT_X = np.array([[0, 1, 2, 1, 0],
                      [0, 2, 3, 1, 0],
                      [1, 3, 4, 2, 1],
                      [0, 2, 3, 1, 0],
                      [0, 1, 2, 1, 0]], dtype=float)
#: default kernel: not symmetric under a 180° turn, so ⋆ and * give different answers
DEFAULT_K = np.array([[1, 0, -1],
                      [2, 0, -1],
                      [1, 0, 0]], dtype=float)




class ConvWindow:
    """State of the sliding-window picture.

    Inputs:
    - x: input image, array of shape (H, W)
    - k: kernel, array of shape (kh, kw)
    - padding: "valid", "same" (stride 1; the extra row/column of an even kernel goes
      bottom/right, as Keras), "full", an int p, or a pair (ph, pw) — as ``cnnlab.conv2d``
    - stride: int or pair (sh, sw), each >= 1
    - flip: if True, slide ``rot180(k)`` (true convolution ``*``) instead of ``k`` (``⋆``)

    Attributes (read-only views of the state): ``pads`` = (top, bottom, left, right),
    ``padded`` (H + pt + pb, W + pl + pr), ``out_shape`` = (H_out, W_out),
    ``row``, ``col`` (current output position), ``index`` = row·W_out + col.
    """

    def __init__(self, x=DEFAULT_X, k=DEFAULT_K, padding="valid", stride=1, flip=False):
        self.x = as_array(x, "x", ndim=2).astype(np.float64)
        self.k = as_array(k, "k", ndim=2).astype(np.float64)
        if 0 in self.x.shape or 0 in self.k.shape:
            raise ValueError(f"x and k must not be empty; got x shape {shape_str(self.x.shape)}, "
                             f"k shape {shape_str(self.k.shape)}")
        self.flip = bool(flip)
        self._padding, self._stride = "valid", (1, 1)
        self.row = self.col = 0
        self._configure(padding, stride)

    # -- configuration ------------------------------------------------------------------------
    def _configure(self, padding, stride):
        stride = positive_int_pair(stride, "stride")
        pads = resolve_padding(padding, self.k.shape, stride, input_size=self.x.shape)
        pt, pb, pl, pr = pads
        H, W = self.x.shape
        kh, kw = self.k.shape
        if kh > H + pt + pb or kw > W + pl + pr:
            raise ValueError(
                f"kernel k of shape {shape_str(self.k.shape)} is larger than the padded input "
                f"({H + pt + pb}, {W + pl + pr}) (x shape {shape_str(self.x.shape)}, padding {padding!r})"
            )
        self._padding, self._stride, self.pads = padding, stride, pads
        self.padded = np.pad(self.x, ((pt, pb), (pl, pr)))
        self.out_shape = (padded_output_size(H, kh, stride[0], pt, pb),
                          padded_output_size(W, kw, stride[1], pl, pr))
        self.row = min(self.row, self.out_shape[0] - 1)
        self.col = min(self.col, self.out_shape[1] - 1)

    @property
    def padding(self):
        """The padding as given ("valid", "same", "full", an int or a pair)."""
        return self._padding

    @property
    def stride(self):
        """The stride as a pair (sh, sw)."""
        return self._stride

    def set_padding(self, padding):
        """Change the padding ("valid", "same", "full", int or pair); the position is clamped."""
        self._configure(padding, self._stride)

    def set_stride(self, stride):
        """Change the stride (int or pair); the position is clamped into the new output."""
        self._configure(self._padding, stride)

    def set_flip(self, flip):
        """True: slide the 180°-rotated kernel (convolution ``*``); False: cross-correlation ``⋆``."""
        self.flip = bool(flip)

    # -- moving the window --------------------------------------------------------------------
    @property
    def positions(self):
        """Number of output positions, H_out · W_out."""
        return self.out_shape[0] * self.out_shape[1]

    @property
    def index(self):
        """The current position in reading order, row·W_out + col."""
        return self.row * self.out_shape[1] + self.col

    def move_to(self, row, col):
        """Put the window on output position (row, col); ``ValueError`` outside the output."""
        Ho, Wo = self.out_shape
        if not (0 <= row < Ho and 0 <= col < Wo):
            raise ValueError(f"position (row, col) must lie in the output of shape ({Ho}, {Wo}); "
                             f"got ({row}, {col})")
        self.row, self.col = int(row), int(col)

    def set_index(self, n):
        """Move to the n-th position in row-major (reading) order, 0 <= n < positions."""
        if not 0 <= n < self.positions:
            raise ValueError(f"n must be in [0, {self.positions - 1}] (positions of an output of "
                             f"shape {self.out_shape}); got {n}")
        self.move_to(*divmod(int(n), self.out_shape[1]))

    def step(self):
        """Advance one position in reading order (wraps to the start after the last)."""
        self.set_index((self.index + 1) % self.positions)

    # -- what the window sees -----------------------------------------------------------------
    @property
    def kernel_used(self):
        """The kernel actually slid: ``k`` for ⋆, ``rot180(k)`` for *."""
        return self.k[::-1, ::-1] if self.flip else self.k

    def window_slice(self, row=None, col=None):
        """(row slice, col slice) of the window in padded-input coordinates."""
        row = self.row if row is None else row
        col = self.col if col is None else col
        (sh, sw), (kh, kw) = self._stride, self.k.shape
        return slice(row * sh, row * sh + kh), slice(col * sw, col * sw + kw)

    def window(self, row=None, col=None):
        """The (kh, kw) patch of the padded input under the window."""
        return self.padded[self.window_slice(row, col)]

    def products(self, row=None, col=None):
        """Element-wise products patch ∘ kernel_used, shape (kh, kw)."""
        return self.window(row, col) * self.kernel_used

    def value(self, row=None, col=None):
        """The output value y[row, col]: the sum of :meth:`products`."""
        return float(self.products(row, col).sum())

    def output(self):
        """The whole output, shape ``out_shape``: :func:`cnnlab.conv2d` of the padded input with
        the kernel used (``k`` for ⋆, ``rot180(k)`` for *)."""
        return conv2d(self.padded[None], self.kernel_used[None, None], stride=self._stride)[0]

    def output_so_far(self):
        """The output with the positions not yet reached (after ``index``) set to NaN."""
        y = self.output().ravel()
        y[self.index + 1:] = np.nan
        return y.reshape(self.out_shape)

    def padding_mask(self):
        """Boolean array over the padded input, True where the cell is padding (a zero we added)."""
        pt, pb, pl, pr = self.pads
        m = np.ones(self.padded.shape, dtype=bool)
        m[pt:pt + self.x.shape[0], pl:pl + self.x.shape[1]] = False
        return m

    def equation(self):
        """The sum at the current position written out, e.g. ``y[0,1] = 1·1 + 2·0 + … = 3``."""
        terms = [f"{_fmt(a)}·{_fmt(b)}" if b >= 0 else f"{_fmt(a)}·({_fmt(b)})"
                 for a, b in zip(self.window().ravel(), self.kernel_used.ravel())]
        op = "*" if self.flip else "⋆"
        return f"y[{self.row},{self.col}] = " + " + ".join(terms) + f" = {_fmt(self.value())}   (x {op} w)"


# ---------------------------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------------------------
def _rect(ax, r0, c0, h, w, color="tab:red", lw=2.5):
    Rectangle = require("matplotlib.patches", "(widgets)").Rectangle
    ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), w, h, fill=False, edgecolor=color, linewidth=lw))


def draw_conv_window(state, fig=None, show_equation=True):
    """Draw ``state`` (a :class:`ConvWindow`) on a Matplotlib figure: padded input with the
    window, the kernel slid, and the output filled up to the current position.

    Returns the figure (a new ``matplotlib.figure.Figure`` when ``fig`` is None; no pyplot, so
    nothing is shown twice in a notebook)."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    if fig is None:
        fig = Figure(figsize=(9.0, 3.6))
    fig.clear()
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [state.padded.shape[1], state.k.shape[1] + 1,
                                                            max(state.out_shape[1], 2) + 1]})
    colors = np.ones(state.padded.shape + (3,))
    colors[state.padding_mask()] = (0.86, 0.86, 0.86)
    rs, cs = state.window_slice()
    colors[rs, cs] = colors[rs, cs] * np.array([1.0, 0.85, 0.85])
    pt, pb, pl, pr = state.pads
    ptxt = "no padding" if not any(state.pads) else f"zero padding (grey) {pt},{pb},{pl},{pr}"
    _grid(axes[0], state.padded, f"input x, {ptxt}", colors)
    _rect(axes[0], rs.start, cs.start, state.k.shape[0], state.k.shape[1])
    kname = "rot180(w)  (convolution *)" if state.flip else "kernel w  (cross-corr. ⋆)"
    _grid(axes[1], state.kernel_used, kname, np.tile([1.0, 0.93, 0.93], state.k.shape + (1,)))
    ocol = np.ones(state.out_shape + (3,))
    ocol[state.row, state.col] = (1.0, 0.85, 0.85)
    op = "*" if state.flip else "⋆"
    _grid(axes[2], state.output_so_far(), f"output y = x {op} w  {state.out_shape[0]}×{state.out_shape[1]}", ocol)
    _rect(axes[2], state.row, state.col, 1, 1)
    sh, sw = state.stride
    fig.suptitle(f"stride ({sh}, {sw}), padding {state.padding!r}: position {state.index + 1} of {state.positions}",
                 fontsize=10)
    if show_equation:
        eq = state.equation()
        if len(eq) > 110:
            eq = eq[:60] + " … " + eq[eq.rfind(" = ", 0, len(eq) - 12):]
        fig.text(0.5, 0.02, eq, ha="center", fontsize=9)
    return fig


def _frame_state(x, k, padding, stride, flip, position):
    """The :class:`ConvWindow` a frame of :func:`panel` is drawn from."""
    state = ConvWindow(x, k, padding=padding, stride=stride, flip=flip)
    state.set_index(position)
    return state


def frame(state):
    """One frame of the panel for ``state``: (PNG bytes, alt text, caption HTML), drawn by
    :func:`draw_conv_window` (the same call whether in Jupyter or for the website)."""
    from . import _frames

    # The sum of products goes under the picture as text (the caption), not into the PNG:
    # readable by a screen reader, and 12% fewer bytes per frame (ch01 stays under 2 MB).
    fig = draw_conv_window(state, show_equation=False)
    op = "convolution *, kernel turned 180°" if state.flip else "cross-correlation ⋆"
    alt = (f"Sliding window ({op}), padding {state.padding!r}, stride {state.stride[0]}: the "
           f"{state.k.shape[0]}×{state.k.shape[1]} window at output position "
           f"({state.row}, {state.col}) of {state.out_shape[0]}×{state.out_shape[1]}, "
           f"sum of products {_fmt(state.value())}.")
    return _frames.png(fig), alt, f"<code>{state.equation()}</code>"


#: the grid of the panel: every padding word, flip off/on, every position (stride: the
#: output-size widget of the same chapter varies it; ``panel(strides=(1, 2))`` adds it here)
PANEL_PADDINGS = ("valid", "same", "full")


def panel(x=DEFAULT_X, k=DEFAULT_K, padding="valid", stride=1, flip=False, strides=None,
          paddings=PANEL_PADDINGS):
    """The widget: padding, stride, flip and the window position, with every frame drawn ahead.

    Works without a kernel (the website): each combination of padding ("valid", "same",
    "full"), flip (off/on), stride (``strides``, default ``(stride,)``; a control only when
    there are several) and position is drawn by :func:`draw_conv_window` when the cell runs,
    and the controls pick the frame in the browser (:mod:`cnnlab.widgets._frames`).  The
    position slider of each (padding, stride) has that output's number of positions (166
    frames for the defaults, about 1.5 MB of widget state).  Returns the panel ``VBox`` with
    ``.choices``, ``.select(...)``, ``.current()``, ``.current_values()`` and ``.frames``.
    """
    from . import _frames

    base = ConvWindow(x, k)  # checks x and k
    c_pad = _frames.Choice("padding", paddings, value=padding, description="padding",
                           kind="dropdown")
    strides = (stride,) if strides is None else tuple(strides)
    c_stride = _frames.Choice("stride", strides, value=stride, description="stride",
                              kind="toggle")
    c_flip = _frames.Choice("flip", (False, True), ["⋆ (as frameworks)", "* (flipped kernel)"],
                            value=bool(flip), description="kernel", kind="toggle")

    def positions(v):
        st = ConvWindow(base.x, base.k, padding=v["padding"], stride=v.get("stride", stride))
        n = st.positions
        labels = [f"{i + 1} of {n}" for i in range(n)]
        return [_frames.Choice("position", range(n), labels, description="window position")]

    def render(padding, flip, position, stride=strides[0]):
        return frame(_frame_state(base.x, base.k, padding, stride, flip, position))

    top = [c_pad, c_flip] + ([c_stride] if len(strides) > 1 else [])
    return _frames.frame_panel([top, positions], render)


def static_conv_window(x=DEFAULT_X, k=DEFAULT_K, padding="valid", stride=1, flip=False, max_panels=9):
    """The static twin: a filmstrip with one small panel per output position (at most
    ``max_panels``, in reading order) and a last panel with the finished output.

    Each panel shows the padded input with the window, and the sum under it.  Returns a
    ``matplotlib.figure.Figure``.
    """
    Figure = require("matplotlib.figure", "(widgets)").Figure
    state = ConvWindow(x, k, padding=padding, stride=stride, flip=flip)
    n = min(state.positions, int(max_panels))
    cols = min(n + 1, 4)
    rows = -(-(n + 1) // cols)
    fig = Figure(figsize=(2.2 * cols, 2.3 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    base = np.ones(state.padded.shape + (3,))
    base[state.padding_mask()] = (0.86, 0.86, 0.86)
    op = "*" if state.flip else "⋆"
    for t in range(n):
        state.set_index(t)
        rs, cs = state.window_slice()
        colors = base.copy()
        colors[rs, cs] *= np.array([1.0, 0.85, 0.85])
        _grid(axes[t], state.padded, f"y[{state.row},{state.col}] = {_fmt(state.value())}", colors, fontsize=7)
        _rect(axes[t], rs.start, cs.start, *state.k.shape, lw=2)
    _grid(axes[n], state.output(), f"output x {op} w", np.tile([1.0, 0.93, 0.93], state.out_shape + (1,)),
          fontsize=8)
    for ax in axes[n + 1:]:
        ax.set_axis_off()
    fig.suptitle(f"the window visits every position (kernel {state.k.shape[0]}×{state.k.shape[1]}, "
                 f"stride {state.stride[0]}, padding {state.padding!r})", fontsize=9)
    fig.tight_layout()
    return fig


def static_modes(x=None, kernel_shapes=((3, 3), (2, 2))):
    """Picture of the three modes: for each kernel shape (one row) and each of "valid", "same",
    "full" (one column), the padded input (padding grey) with the first window (red) and the last
    window (blue), titled with the output size.  ``x`` defaults to a 4×4 input.  Returns a
    ``matplotlib.figure.Figure``."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    x = np.arange(1.0, 17.0).reshape(4, 4) if x is None else x
    modes = ("valid", "same", "full")
    fig = Figure(figsize=(2.6 * len(modes), 2.7 * len(kernel_shapes)))
    axes = np.atleast_2d(fig.subplots(len(kernel_shapes), len(modes)))
    for r, shape in enumerate(kernel_shapes):
        k = np.ones(shape)
        for c, mode in enumerate(modes):
            st = ConvWindow(x, k, padding=mode)
            colors = np.ones(st.padded.shape + (3,))
            colors[st.padding_mask()] = (0.86, 0.86, 0.86)
            H, W = st.x.shape
            Ho, Wo = st.out_shape
            _grid(axes[r, c], st.padded, f"{mode}, kernel {shape[0]}×{shape[1]}: {H}×{W} → {Ho}×{Wo}", colors,
                  fontsize=7)
            _rect(axes[r, c], 0, 0, *shape, color="tab:red", lw=2)
            rs, cs = st.window_slice(Ho - 1, Wo - 1)
            _rect(axes[r, c], rs.start, cs.start, *shape, color="tab:blue", lw=2)
    fig.suptitle("zero padding (grey); first window (red) and last window (blue)", fontsize=9)
    fig.tight_layout()
    return fig
