"""Which residuals of a convolution layer reach one node of the subsampling map before it.

A subsampling map ``x`` (layer l, H×W) feeds a convolution layer (l+1) with a kh×kw kernel; the
output map has (H - kh + 1)×(W - kw + 1) nodes.  Node n of ``x`` reaches every output node whose
window covers it, each time through one kernel weight, so its residual collects

    delta_n = f'(u_n) * sum over connections (kernel weight) · (residual of that output node).

The seed (a blog post on Bouvrie's notes) numbers a 4×4 map 1..16 and a 3×3 map 1..9 in reading
order and finds that node 7 connects to ``{k22,2; k21,3; k12,5; k11,6}``.  That list holds when the
kernel labels are those of the kernel *as applied* (cross-correlation, ``⋆`` -- the seed says its
example kernel is "already rotated 180 degrees").  If instead k is the kernel handed to MATLAB's
flipping ``conv2`` (``*``), the same node gets ``{k11,2; k12,3; k21,5; k22,6}``: the output nodes are
the same, the kernel labels are rotated by 180°.  With MATLAB's column-major numbering the
labels change again; :class:`NodeConnections` computes all of these.

* :class:`NodeConnections` -- state: sizes, numbering ("row" = reading order, as the seed;
  "column" = MATLAB's linear indices), convention ("xcorr" or "matlab"), selected node (1-based);
* :func:`panel` -- the live widget; :func:`static_node_connections` -- the static twin.
"""
from numbers import Integral

import numpy as np

from ..bouvrie import kernel_index
from ..shapes import conv_output_size
from ._common import png as _png
from .._extras import require

__all__ = ["NodeConnections", "panel", "static_node_connections", "draw_node_connections",
           "CONVENTIONS", "NUMBERINGS"]

CONVENTIONS = ("xcorr", "matlab")
NUMBERINGS = ("row", "column")


def _pair(v, name):
    if isinstance(v, Integral) and not isinstance(v, bool):
        v = (v, v)
    if (not isinstance(v, (tuple, list)) or len(v) != 2
            or not all(isinstance(a, Integral) and not isinstance(a, bool) and a >= 1 for a in v)):
        raise TypeError(f"{name} must be a positive int or a pair of positive ints; got {v!r}")
    return int(v[0]), int(v[1])


class NodeConnections:
    """State of the picture.

    Inputs:
    - in_shape: (H, W) of the subsampling map (default the seed's 4×4)
    - kernel_shape: (kh, kw) of the next layer's kernel (default 2×2)
    - numbering: "row" (1..H·W in reading order, as the seed) or "column" (MATLAB's linear index)
    - convention: "xcorr" (kernel labels as applied) or "matlab" (labels of the kernel given to conv2)
    - node: the selected node of the subsampling map, 1-based in the chosen numbering
    """

    def __init__(self, in_shape=(4, 4), kernel_shape=(2, 2), numbering="row", convention="xcorr",
                 node=7):
        self.in_shape = _pair(in_shape, "in_shape")
        self.kernel_shape = _pair(kernel_shape, "kernel_shape")
        (H, W), (kh, kw) = self.in_shape, self.kernel_shape
        if kh > H or kw > W:
            raise ValueError(f"kernel_shape {self.kernel_shape} must fit inside in_shape {self.in_shape}")
        self.out_shape = (conv_output_size(H, kh), conv_output_size(W, kw))
        self.set_numbering(numbering)
        self.set_convention(convention)
        self.select(node)

    # -- controls -------------------------------------------------------------------------------
    def set_numbering(self, numbering):
        """Choose how nodes are numbered (one of ``NUMBERINGS``)."""
        if numbering not in NUMBERINGS:
            raise ValueError(f"numbering must be one of {NUMBERINGS}; got {numbering!r}")
        self.numbering = numbering

    def set_convention(self, convention):
        """Choose how the kernel entries are labelled (one of ``CONVENTIONS``)."""
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}; got {convention!r}")
        self.convention = convention

    def select(self, node):
        """Select node ``node`` (1-based in the current numbering) of the subsampling map."""
        H, W = self.in_shape
        if not isinstance(node, Integral) or isinstance(node, bool):
            raise TypeError(f"node must be an int (1-based); got {node!r}")
        if not 1 <= node <= H * W:
            raise ValueError(f"node must lie in 1..{H * W} for a {H}x{W} map; got {node}")
        self.node = int(node)

    # -- numbering ------------------------------------------------------------------------------
    def label(self, r, c, shape):
        """1-based label of 0-based cell (r, c) in a map of ``shape``."""
        return r * shape[1] + c + 1 if self.numbering == "row" else c * shape[0] + r + 1

    def cell(self, label, shape):
        """0-based (r, c) of a 1-based label."""
        i = label - 1
        return divmod(i, shape[1]) if self.numbering == "row" else (i % shape[0], i // shape[0])

    # -- the connections ------------------------------------------------------------------------
    def connections(self, node=None):
        """List of (kernel label, residual label) for the node, e.g. ``[("k22", 2), ...]``,
        sorted by residual label; labels are 1-based (kernel entries row, column)."""
        node = self.node if node is None else node
        r, s = self.cell(node, self.in_shape)
        kh, kw = self.kernel_shape
        Ho, Wo = self.out_shape
        out = []
        for a in range(Ho):
            for b in range(Wo):
                # which kernel entry links input (r, s) to output (a, b): cnnlab.bouvrie's flip rule
                p, q = kernel_index(a, r, kh, self.convention), kernel_index(b, s, kw, self.convention)
                if 0 <= p < kh and 0 <= q < kw:
                    out.append((f"k{p + 1}{q + 1}", self.label(a, b, self.out_shape)))
        return sorted(out, key=lambda t: t[1])

    def describe(self, node=None):
        """The seed's notation: ``node 7 → {k22,2; k21,3; k12,5; k11,6}``."""
        node = self.node if node is None else node
        body = "; ".join(f"{k},{n}" for k, n in self.connections(node))
        return f"node {node} → {{{body}}}"

    def residual_sum(self, delta, k, node=None):
        """``sum over connections k_pq · delta_n`` for the node, with ``delta`` the output map's
        residual (out_shape) and ``k`` the kernel in this convention's labelling."""
        delta = np.asarray(delta, dtype=float)
        k = np.asarray(k, dtype=float)
        if delta.shape != self.out_shape or k.shape != self.kernel_shape:
            raise ValueError(f"delta must have shape {self.out_shape} and k shape {self.kernel_shape}; "
                             f"got {delta.shape} and {k.shape}")
        tot = 0.0
        for lab, n in self.connections(node):
            p, q = int(lab[1]) - 1, int(lab[2]) - 1
            tot += k[p, q] * delta[self.cell(n, self.out_shape)]
        return tot


def _grid(ax, labels, colours, title, fontsize):
    H, W = colours.shape[:2]
    ax.imshow(colours, interpolation="nearest")
    for r in range(H):
        for c in range(W):
            ax.text(c, r, labels[r][c], ha="center", va="center", fontsize=fontsize)
    for r in range(H + 1):
        ax.axhline(r - 0.5, color="0.35", linewidth=0.8)
    for c in range(W + 1):
        ax.axvline(c - 0.5, color="0.35", linewidth=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=fontsize + 1)


def draw_node_connections(state, axes=None, fig=None, fontsize=9):
    """Left: the subsampling map, nodes numbered, the selected one shaded.  Right: the convolution
    layer's output map, the residuals that reach the node shaded and tagged with the kernel weight."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    if axes is None:
        if fig is None:
            fig = Figure(figsize=(7.0, 3.4))
        fig.clear()
        axes = fig.subplots(1, 2)
    H, W = state.in_shape
    col = np.ones((H, W, 3))
    col[state.cell(state.node, state.in_shape)] = (1.0, 0.78, 0.55)
    _grid(axes[0], [[str(state.label(r, c, state.in_shape)) for c in range(W)] for r in range(H)],
          col, f"layer l (subsampling), node {state.node}", fontsize)
    Ho, Wo = state.out_shape
    ocol = np.ones((Ho, Wo, 3))
    olab = [[str(state.label(a, b, state.out_shape)) for b in range(Wo)] for a in range(Ho)]
    for k, n in state.connections():
        a, b = state.cell(n, state.out_shape)
        ocol[a, b] = (0.75, 0.85, 1.0)
        olab[a][b] = f"{n}\nvia {k}"
    conv = "x ⋆ k (labels as applied)" if state.convention == "xcorr" else "conv2(x, k), flips k"
    _grid(axes[1], olab, ocol, f"layer l+1 residuals δ\n{conv}", fontsize)
    return axes


def frame(state):
    """One frame of the panel for ``state`` (a :class:`NodeConnections`): (PNG bytes, alt
    text, caption HTML), drawn by :func:`draw_node_connections`."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=(7.0, 3.4))
    fig.subplots_adjust(left=0.02, right=0.98, top=0.82, bottom=0.02, wspace=0.1)
    draw_node_connections(state, fig=fig)
    alt = (f"Input node {state.node} of a {state.in_shape[0]}×{state.in_shape[1]} map "
           f"(numbering: {state.numbering}, kernel labels: {state.convention}) and the output "
           f"nodes it feeds, each with the kernel entry used: {state.describe()}")
    return _frames.png(fig), alt, f"<code>{state.describe()}</code>"


def panel(in_shape=(4, 4), kernel_shape=(2, 2), numbering="row", convention="xcorr", node=7):
    """The widget, every frame drawn ahead (works on the website with no kernel): the input
    node (1-based), the kernel labels and the numbering.  Returns the panel ``VBox``
    (``.choices``, ``.select(...)``, ``.current()``, ``.frames``)."""
    from . import _frames

    base = NodeConnections(in_shape, kernel_shape, numbering, convention, node)
    H, W = base.in_shape
    c_node = _frames.Choice("node", range(1, H * W + 1), value=node, description="node")
    c_conv = _frames.Choice("convention", ("xcorr", "matlab"),
                            ["labels as applied (⋆), the seed's", "kernel given to conv2 (*)"],
                            value=convention, description="k labels", kind="dropdown")
    c_num = _frames.Choice("numbering", ("row", "column"),
                           ["reading order (seed)", "MATLAB column-major"], value=numbering,
                           description="numbering", kind="dropdown")

    def render(node, convention, numbering):
        return frame(NodeConnections(in_shape, kernel_shape, numbering, convention, node))

    return _frames.frame_panel([[c_node, c_conv, c_num]], render)


def static_node_connections(node=7, in_shape=(4, 4), kernel_shape=(2, 2)):
    """The static twin: the seed's node (default 7), once with the seed's labelling (kernel as
    applied, ⋆) and once with the kernel given to MATLAB's conv2.  Returns a Figure."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    fig = Figure(figsize=(7.0, 6.6))
    axes = fig.subplots(2, 2)
    for r, conv in enumerate(CONVENTIONS):
        st = NodeConnections(in_shape, kernel_shape, "row", conv, node)
        draw_node_connections(st, axes=axes[r], fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.92, bottom=0.02, hspace=0.3, wspace=0.1)
    return fig
