"""Which (input, residual) pairs add up to one kernel weight's gradient.

A convolution layer computes ``u = x * k`` ('valid'); the gradient of one kernel weight is a sum
of products, one per output position (u, v):

    dE/dk_pq = sum_{u,v} (delta)_{uv} (x)_{r(u,p), s(v,q)}

where the input cell (r, s) that met ``k_pq`` at output (u, v) depends on the convention:

- ``"matlab"`` (Bouvrie's, ``*`` = MATLAB's flipping ``conv2``): ``r = u + kh - 1 - p``,
  ``s = v + kw - 1 - q`` (0-based) -- weight k[0,0] (p = q = 1) meets the *bottom-right* block of x;
- ``"xcorr"`` (frameworks' ``⋆``): ``r = u + p``, ``s = v + q`` -- k[0,0] meets the top-left block.

The arguments ``p``, ``q`` are 1-based as in Bouvrie's notes and MATLAB (``p = q = 1`` is the
top-left kernel entry); the pictures and formulas label entries 0-based in the book's notation,
``k[p-1, q-1]`` and ``δ[u, v]`` (``k[0,0]`` is the top-left entry).
With the seed's sizes (4×4 input, 2×2 kernel, 3×3 residual) every weight collects 9 pairs.

* :class:`KernelGradPairs` -- the state: input, residual, convention, selected weight (p, q);
  :meth:`~KernelGradPairs.pairs` lists the products, :meth:`~KernelGradPairs.gradient` sums them;
* :func:`panel` -- the live widget (two sliders for p and q, a convention dropdown);
* :func:`static_kernel_grad_pairs` -- the static twin: every weight, both conventions.
"""
from numbers import Integral

import numpy as np

from .._validate import as_array, shape_str
from ..bouvrie import input_index, kernel_grad
from ._common import png as _png
from ._common import fmt as _fmt
from .._extras import require

__all__ = ["KernelGradPairs", "panel", "static_kernel_grad_pairs", "draw_kernel_grad_pairs",
           "DEFAULT_X", "DEFAULT_DELTA", "CONVENTIONS"]

CONVENTIONS = ("matlab", "xcorr")

#: the seed's 4×4 input, numbered 1..16 in reading order so that each cell shows where it is
DEFAULT_X = np.arange(1.0, 17.0).reshape(4, 4)
#: a 3×3 residual with small, distinct values
DEFAULT_DELTA = np.array([[1.0, 0.0, -1.0],
                          [2.0, 1.0, 0.0],
                          [0.0, -2.0, 1.0]])


class KernelGradPairs:
    """State of the picture.

    Inputs:
    - x: input map, shape (H, W)
    - delta: residual of the layer's output, shape (H - kh + 1, W - kw + 1); this fixes the
      kernel size kh = H - Hd + 1, kw = W - Wd + 1
    - convention: "matlab" or "xcorr" (see the module docstring)
    - p, q: the selected kernel weight, 1-based (1 <= p <= kh, 1 <= q <= kw)
    """

    def __init__(self, x=DEFAULT_X, delta=DEFAULT_DELTA, convention="matlab", p=1, q=1):
        self.x = as_array(x, "x", ndim=2).astype(np.float64)
        self.delta = as_array(delta, "delta", ndim=2).astype(np.float64)
        H, W = self.x.shape
        Hd, Wd = self.delta.shape
        if not (1 <= Hd <= H and 1 <= Wd <= W):
            raise ValueError(f"delta must be a non-empty 'valid' output of x {shape_str(self.x.shape)}, "
                             f"so at most that size; got {shape_str(self.delta.shape)}")
        self.kernel_shape = (H - Hd + 1, W - Wd + 1)
        self.set_convention(convention)
        self.select(p, q)

    def set_convention(self, convention):
        """Choose the layer's convention: "matlab" (conv2, flipped) or "xcorr" (frameworks)."""
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}; got {convention!r}")
        self.convention = convention

    def select(self, p, q):
        """Select kernel weight k_pq (1-based)."""
        kh, kw = self.kernel_shape
        for name, v, top in (("p", p, kh), ("q", q, kw)):
            if not isinstance(v, Integral) or isinstance(v, bool):
                raise TypeError(f"{name} must be an int (1-based kernel index); got {v!r}")
            if not 1 <= v <= top:
                raise ValueError(f"{name} must lie in 1..{top} for a {kh}x{kw} kernel; got {v}")
        self.p, self.q = int(p), int(q)

    def input_cell(self, u, v, p=None, q=None):
        """0-based input cell (r, s) that met kernel weight (p, q) (1-based) at output (u, v) (0-based)."""
        p = self.p if p is None else p
        q = self.q if q is None else q
        kh, kw = self.kernel_shape
        # the flip rule lives once, in cnnlab.bouvrie.input_index (0-based kernel entries)
        return (input_index(u, p - 1, kh, self.convention), input_index(v, q - 1, kw, self.convention))

    def pairs(self, p=None, q=None):
        """The products that make up dE/dk_pq: a list of dicts with 1-based ``residual`` (u, v),
        1-based ``input`` (r, s), the two values and their ``product``, in reading order of u, v."""
        out = []
        Hd, Wd = self.delta.shape
        for u in range(Hd):
            for v in range(Wd):
                r, s = self.input_cell(u, v, p, q)
                d, xv = self.delta[u, v], self.x[r, s]
                out.append({"residual": (u + 1, v + 1), "input": (r + 1, s + 1),
                            "delta": d, "x": xv, "product": d * xv})
        return out

    def gradient(self, p=None, q=None):
        """dE/dk_pq as the sum of :meth:`pairs`."""
        return float(sum(t["product"] for t in self.pairs(p, q)))

    def gradient_all(self):
        """The whole kernel gradient, shape (kh, kw), entry [p-1, q-1] = dE/dk_pq, from the core:
        :func:`cnnlab.bouvrie.kernel_grad` (Bouvrie's rot180/conv2 formula)."""
        return kernel_grad(self.x, self.delta, self.convention)

    def used_mask(self):
        """Boolean (H, W): the input cells that pair with a residual for the selected weight."""
        m = np.zeros(self.x.shape, dtype=bool)
        for t in self.pairs():
            m[t["input"][0] - 1, t["input"][1] - 1] = True
        return m

    def formula(self):
        """The sum written out, e.g. ``∂E/∂k[0,0] = 1·6 + 0·7 + … = 12`` (0-based label)."""
        terms = " + ".join(f"{_paren(t['delta'])}·{_paren(t['x'])}" for t in self.pairs())
        return f"∂E/∂{self.weight_label()} = {terms} = {_fmt(self.gradient())}"

    def weight_label(self):
        """The selected weight in the book's 0-based notation, e.g. ``k[0,1]`` for p=1, q=2."""
        return f"k[{self.p - 1},{self.q - 1}]"




def _paren(v):
    s = _fmt(v)
    return f"({s})" if s.startswith("-") else s


def _grid(ax, values, title, colours, fontsize, labels=None):
    H, W = values.shape
    ax.imshow(colours, interpolation="nearest")
    for r in range(H):
        for c in range(W):
            txt = _fmt(values[r, c]) if labels is None else labels[r][c]
            ax.text(c, r, txt, ha="center", va="center", fontsize=fontsize)
    for r in range(H + 1):
        ax.axhline(r - 0.5, color="0.35", linewidth=0.8)
    for c in range(W + 1):
        ax.axvline(c - 0.5, color="0.35", linewidth=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=fontsize + 1)


def draw_kernel_grad_pairs(state, axes=None, fig=None, fontsize=9, compact=False):
    """Draw the input x (cells paired with the selected weight shaded, each tagged with its
    residual), the residual δ, and the kernel gradient (selected weight shaded)."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    if axes is None:
        if fig is None:
            fig = Figure(figsize=(9.0, 3.0))
        fig.clear()
        axes = fig.subplots(1, 3 if not compact else 1)
    axes = np.atleast_1d(axes)
    H, W = state.x.shape
    col = np.ones((H, W, 3))
    labels = [[_fmt(state.x[r, c]) for c in range(W)] for r in range(H)]
    for t in state.pairs():
        r, s = t["input"][0] - 1, t["input"][1] - 1
        col[r, s] = (1.0, 0.78, 0.55)
        if not compact:
            labels[r][s] = (f"{_fmt(state.x[r, s])}\n"
                            f"·δ[{t['residual'][0] - 1},{t['residual'][1] - 1}]")
    name = "conv2 (MATLAB, *)" if state.convention == "matlab" else "cross-corr. (⋆)"
    _grid(axes[0], state.x, f"input x: cells met by {state.weight_label()}\n[{name}]",
          col, fontsize, labels)
    if compact:
        axes[0].set_xlabel(f"∂E/∂{state.weight_label()} = {_fmt(state.gradient())}",
                           fontsize=fontsize)
        return axes
    Hd, Wd = state.delta.shape
    _grid(axes[1], state.delta, "residual δ (output side)\nevery entry used once",
          np.tile(np.array([0.75, 0.85, 1.0]), (Hd, Wd, 1)), fontsize,
          [[f"δ[{u},{v}]={_fmt(state.delta[u, v])}" for v in range(Wd)] for u in range(Hd)])
    kh, kw = state.kernel_shape
    kcol = np.ones((kh, kw, 3))
    kcol[state.p - 1, state.q - 1] = (1.0, 0.78, 0.55)
    g = state.gradient_all()
    _grid(axes[2], g, "kernel gradient ∂E/∂k", kcol, fontsize,
          [[f"k[{p},{q}]: {_fmt(g[p, q])}" for q in range(kw)] for p in range(kh)])
    return axes


def frame(state):
    """One frame of the panel for ``state`` (a :class:`KernelGradPairs`): (PNG bytes, alt
    text, caption HTML), drawn by :func:`draw_kernel_grad_pairs`."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=(9.0, 3.2))
    fig.subplots_adjust(left=0.02, right=0.98, top=0.8, bottom=0.02, wspace=0.15)
    draw_kernel_grad_pairs(state, fig=fig)
    conv = "MATLAB conv2 (*)" if state.convention == "matlab" else "cross-correlation (⋆)"
    alt = (f"Kernel gradient entry {state.weight_label()} for a layer using {conv}: "
           f"the input cells and residuals it pairs, highlighted. {state.formula()}")
    return _frames.png(fig), alt, f"<code>{state.formula()}</code>"


def panel(x=DEFAULT_X, delta=DEFAULT_DELTA, convention="matlab"):
    """The widget, every frame drawn ahead (works on the website with no kernel): row p and
    column q of the kernel entry (values 1-based, shown 0-based: ``k[μ, ν]`` with μ = p - 1,
    ν = q - 1) and the convention the layer uses.  Returns the
    panel ``VBox`` (``.choices``, ``.select(...)``, ``.current()``, ``.frames``)."""
    from . import _frames

    base = KernelGradPairs(x, delta, convention)
    kh, kw = base.kernel_shape
    c_p = _frames.Choice("p", range(1, kh + 1), [str(i) for i in range(kh)],
                         description="kernel row μ")
    c_q = _frames.Choice("q", range(1, kw + 1), [str(i) for i in range(kw)],
                         description="kernel column ν")
    c_conv = _frames.Choice("convention", ("matlab", "xcorr"),
                            ["MATLAB conv2 (*), Bouvrie", "cross-correlation (⋆), frameworks"],
                            value=convention, description="layer uses", kind="dropdown")

    def render(p, q, convention):
        st = KernelGradPairs(x, delta, convention)
        st.select(p, q)
        return frame(st)

    return _frames.frame_panel([[c_p, c_q, c_conv]], render)


def static_kernel_grad_pairs(x=DEFAULT_X, delta=DEFAULT_DELTA):
    """The static twin: one small picture per kernel weight (columns) and convention (rows),
    the input cells that weight meets shaded, its gradient underneath.  Returns a Figure."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    st = KernelGradPairs(x, delta)
    kh, kw = st.kernel_shape
    n = kh * kw
    fig = Figure(figsize=(2.1 * n, 5.0))
    axes = fig.subplots(2, n)
    axes = np.asarray(axes).reshape(2, n)
    for r, conv in enumerate(CONVENTIONS):
        st.set_convention(conv)
        for i in range(n):
            st.select(i // kw + 1, i % kw + 1)
            draw_kernel_grad_pairs(st, axes=axes[r, i], fontsize=8, compact=True)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.88, bottom=0.08, hspace=0.55, wspace=0.15)
    return fig
