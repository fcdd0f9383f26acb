"""Formula explorer: pick depth and width of a dense network, see its formula and how long it is.

Chapter 4 ("The network as a formula").  :class:`FormulaExplorer` holds the number of inputs,
the hidden width and the number of hidden layers of a fully connected network with one output.
For that network it reports three sizes (see :mod:`cnnlab.expand`):

- ``parameters``: weights + biases, about the length of the *layered* formula;
- ``nested_leaves``: symbol occurrences when the output is written as one nested formula;
- ``expanded_terms``: monomials after multiplying everything out (linear activations only).

It also gives the formula itself in LaTeX: the layered form always, and the single nested
formula written out in full by SymPy while it is short enough to read (else a note saying how
long it would be).  :func:`panel` adds sliders and a log-scale plot; :func:`static_formula_explorer`
draws the plot at default values (the static twin).
"""
from numbers import Integral

import numpy as np

from cnnlab.expand import (dense_spec, expanded_terms, nested_leaves, parameter_count,
                           symbolic_dense)

from .._extras import require
from .._extras import require

sp = require("sympy", "(the formula explorer widget)")   # extra cnnlab[book]

__all__ = ["FormulaExplorer", "panel", "static_formula_explorer", "MAX_DEPTH", "MAX_SHOWN"]

MAX_DEPTH = 8
#: the nested formula is printed in full only up to this many symbol occurrences
MAX_SHOWN = 120


def _check(v, name, lo, hi):
    if not isinstance(v, Integral) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError(f"{name} must be an int in [{lo}, {hi}]; got {v!r}")
    return int(v)


class FormulaExplorer:
    """State of the formula explorer (no ipywidgets needed).

    Inputs:
    - depth: number of hidden layers, 0..MAX_DEPTH
    - width: units per hidden layer, 1..64
    - n_inputs: number of inputs, 1..64
    """

    def __init__(self, depth=2, width=3, n_inputs=2):
        self.depth = _check(depth, "depth", 0, MAX_DEPTH)
        self.width = _check(width, "width", 1, 64)
        self.n_inputs = _check(n_inputs, "n_inputs", 1, 64)

    def set(self, depth=None, width=None, n_inputs=None):
        """Move any of the three controls; returns ``self``."""
        if depth is not None:
            self.depth = _check(depth, "depth", 0, MAX_DEPTH)
        if width is not None:
            self.width = _check(width, "width", 1, 64)
        if n_inputs is not None:
            self.n_inputs = _check(n_inputs, "n_inputs", 1, 64)
        return self

    @property
    def widths(self):
        """``[n_inputs, width, ..., width, 1]`` with ``depth`` hidden layers."""
        return [self.n_inputs] + [self.width] * self.depth + [1]

    def counts(self, depth=None):
        """Sizes of the formula for the current width/inputs at ``depth`` (default: current)."""
        d = self.depth if depth is None else depth
        widths = [self.n_inputs] + [self.width] * d + [1]
        spec = dense_spec(widths)
        return {"parameters": parameter_count(widths), "nested_leaves": nested_leaves(spec),
                "expanded_terms": expanded_terms(spec)}

    def curves(self):
        """``(depths, {name: counts})`` for depths 0..MAX_DEPTH at the current width/inputs."""
        depths = np.arange(MAX_DEPTH + 1)
        rows = [self.counts(int(d)) for d in depths]
        return depths, {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}

    def layered_latex(self):
        """The layered formula: one line per layer, intermediate results named ``h^{(l)}``."""
        L = self.depth + 1
        lines = []
        for l in range(1, L + 1):
            prev = "x" if l == 1 else f"h^{{({l - 1})}}"
            n_prev = self.widths[l - 1]
            body = rf"\sum_{{i=1}}^{{{n_prev}}} w^{{({l})}}_{{j,i}}\,{prev}_i + b^{{({l})}}_j"
            if l < L:
                lines.append(rf"h^{{({l})}}_j &= f\Big({body}\Big), \quad j = 1,\dots,{self.width}")
            else:
                lines.append(rf"y &= {body.replace('_{j,i}', '_{1,i}').replace('_j', '_1')}")
        return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"

    def nested_latex(self):
        """The single nested formula in full (SymPy), or ``None`` if longer than MAX_SHOWN."""
        if self.counts()["nested_leaves"] > MAX_SHOWN:
            return None
        net = symbolic_dense(self.widths, activation="f")
        return "y = " + sp.latex(net["outputs"][0])

    def html(self):
        """What the panel shows: counts, the layered formula and (if short) the nested one."""
        c = self.counts()
        nested = self.nested_latex()
        if nested is None:
            nested_html = (f"<p>The nested formula has {c['nested_leaves']:,} symbol occurrences: "
                           f"too long to print here.</p>")
        else:
            nested_html = f"<p>As one nested formula:</p><p>$${nested}$$</p>"
        return (f"<p>Widths {self.widths}: <b>{c['parameters']:,}</b> parameters (layered "
                f"formula), <b>{c['nested_leaves']:,}</b> symbol occurrences (one nested "
                f"formula), <b>{c['expanded_terms']:,}</b> monomials (fully expanded, linear "
                f"activations).</p><p>$${self.layered_latex()}$$</p>" + nested_html)

    def draw(self, ax):
        """Draw the three curves against depth on ``ax``, the current depth marked."""
        depths, curves = self.curves()
        styles = {"parameters": ("o-", "parameters (layered)"),
                  "nested_leaves": ("s-", "symbols in one nested formula"),
                  "expanded_terms": ("^-", "monomials, fully expanded (linear)")}
        for key, (st, label) in styles.items():
            ax.plot(depths, curves[key], st, ms=4, label=label)
        c = self.counts()
        ax.plot([self.depth] * 3, [c["parameters"], c["nested_leaves"], c["expanded_terms"]],
                "o", ms=11, mfc="none", mec="k", label="current network")
        ax.set_yscale("log")
        ax.set_xlabel("hidden layers (depth)")
        ax.set_ylabel("size of the formula")
        ax.set_title(f"{self.n_inputs} inputs, width {self.width}, one output", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        return ax


def _png(explorer, figsize):
    import io

    Figure = require("matplotlib.figure", "(widgets)").Figure

    fig = Figure(figsize=figsize)
    explorer.draw(fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def frame(explorer, figsize=(5.5, 3.4)):
    """One frame of the panel for ``explorer``: (PNG bytes, alt text, caption HTML with the
    formulas).  The plot is :meth:`FormulaExplorer.draw`; display maths is written ``\\[…\\]``
    (typeset by Jupyter's and by the website's MathJax)."""
    import re

    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=figsize)
    explorer.draw(fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    c = explorer.counts()
    alt = (f"Size of the formula against depth (log scale) for {explorer.n_inputs} inputs and "
           f"width {explorer.width}; the current network (depth {explorer.depth}) has "
           f"{c['parameters']:,} parameters, {c['nested_leaves']:,} symbols as one nested "
           f"formula and {c['expanded_terms']:,} monomials fully expanded.")
    html = re.sub(r"\$\$(.+?)\$\$", lambda m: "\\[" + m.group(1) + "\\]", explorer.html(),
                  flags=re.S)
    return _frames.png(fig, dpi=80), alt, html


#: the panel's grid (every combination is drawn when the cell runs)
PANEL_GRID = {"depth": (0, 1, 2, 3, 4), "width": (1, 2, 3, 4), "n_inputs": (1, 2, 3)}


def panel(explorer=None, figsize=(5.5, 3.4), grid=None):
    """Sliders for depth, width and inputs over ``grid`` (default :data:`PANEL_GRID`, 60
    networks), every frame drawn ahead (works on the website with no kernel): the growth
    curves and the formulas.  Returns the panel ``VBox`` (``.choices``, ``.select(...)``,
    ``.current()``, ``.frames``)."""
    from . import _frames

    ex = explorer if explorer is not None else FormulaExplorer()
    grid = dict(PANEL_GRID if grid is None else grid)
    labels = {"depth": "hidden layers", "width": "width", "n_inputs": "inputs"}
    choices = [_frames.Choice(n, grid[n], value=getattr(ex, n) if getattr(ex, n) in grid[n]
                              else None, description=labels[n]) for n in grid]

    def render(**v):
        return frame(FormulaExplorer(**v), figsize)

    return _frames.frame_panel([choices], render, math=True)


def static_formula_explorer(explorer=None, figsize=(6, 3.4)):
    """Static twin: the growth curves for the default network (2 inputs, width 3, depth 2).

    Returns the Matplotlib figure."""
    plt = require("matplotlib.pyplot", "(widgets)")

    ex = explorer if explorer is not None else FormulaExplorer()
    fig, ax = plt.subplots(figsize=figsize)
    ex.draw(ax)
    fig.tight_layout()
    return fig
