"""Output-size calculator: ``o = ⌊(i + 2p − d·(k − 1) − 1)/s⌋ + 1``, and where it floors.

Along one axis, an input of length ``i`` padded with ``p`` zeros on each side, a kernel of length
``k`` with dilation ``d`` (its taps are ``d`` apart, so it spans ``k_eff = d·(k − 1) + 1`` cells)
and stride ``s`` give windows starting at ``0, s, 2s, …`` as long as the window fits::

    o = ⌊(i + 2p − k_eff) / s⌋ + 1,      r = (i + 2p − k_eff) mod s.

When ``r > 0`` the division is not exact: every framework (PyTorch, Keras/TensorFlow, cnnlab)
silently *floors*, and the last ``r`` cells of the padded input are never read by any window.
The widget flags that case and draws, cell by cell, which windows cover what.

* :class:`OutputSize` — the state (``i, k, s, p, d``) with ``set_*`` methods and the answer;
* :func:`panel` — sliders for the five numbers, an HTML line with the arithmetic, and the
  coverage picture in an ``Image`` widget;
* :func:`static_output_size` — the static twin: three coverage pictures (exact fit, floored,
  dilated).
"""
from numbers import Integral

import numpy as np

from ..shapes import conv_output_size, window_taps
from ._common import png as _png
from .._extras import require

__all__ = ["OutputSize", "panel", "static_output_size", "draw_coverage"]


def _check_int(name, v, lo):
    if not isinstance(v, Integral) or isinstance(v, bool):
        raise TypeError(f"{name} must be an int; got {v!r} of type {type(v).__name__}")
    if v < lo:
        raise ValueError(f"{name} must be >= {lo}; got {v}")
    return int(v)


class OutputSize:
    """State of the calculator along one axis.

    Inputs (all ints):
    - i: input length (>= 1)
    - k: kernel length (>= 1)
    - s: stride (>= 1)
    - p: zero padding on each side (>= 0)
    - d: dilation (>= 1); the kernel spans ``k_eff = d·(k − 1) + 1`` cells

    The answer: ``o`` (output length, or 0 when the kernel does not fit), ``r`` (cells never
    read; ``r > 0`` means the size was floored), ``fits`` (False when ``k_eff > i + 2p``).
    """

    def __init__(self, i=7, k=3, s=2, p=0, d=1):
        self.i, self.k, self.s, self.p, self.d = (_check_int("i", i, 1), _check_int("k", k, 1),
                                                  _check_int("s", s, 1), _check_int("p", p, 0),
                                                  _check_int("d", d, 1))

    # controls
    def set(self, **values):
        """Change any of i, k, s, p, d, e.g. ``state.set(i=8)``."""
        lows = {"i": 1, "k": 1, "s": 1, "p": 0, "d": 1}
        for name, v in values.items():
            if name not in lows:
                raise ValueError(f"unknown control {name!r}; expected one of {sorted(lows)}")
            setattr(self, name, _check_int(name, v, lows[name]))

    # answers
    @property
    def k_eff(self):
        """Cells spanned by the (dilated) kernel: d·(k − 1) + 1."""
        return self.d * (self.k - 1) + 1

    @property
    def padded(self):
        """Length of the padded input, i + 2p."""
        return self.i + 2 * self.p

    @property
    def fits(self):
        """True when the dilated kernel fits in the padded input (k_eff <= i + 2p)."""
        return self.k_eff <= self.padded

    @property
    def o(self):
        """Output length (0 if the kernel does not fit)."""
        return conv_output_size(self.i, self.k, self.s, self.p, self.d) if self.fits else 0

    @property
    def r(self):
        """Trailing padded cells that no window reads; > 0 means the framework floors."""
        if not self.fits:
            return 0
        return conv_output_size(self.i, self.k, self.s, self.p, self.d, return_remainder=True)[1]

    @property
    def floors(self):
        """True when the division leaves a remainder: the output size is floored."""
        return self.r > 0

    def window_starts(self):
        """Start of every window in padded coordinates: 0, s, 2s, …, (o − 1)·s."""
        return [t * self.s for t in range(self.o)]

    def taps(self, t):
        """Padded-input cells read by window ``t``: start + d·q for q = 0 … k − 1."""
        return window_taps(t, self.k, self.s, self.d)

    def covered(self):
        """Boolean array over the padded input: True where some window reads the cell."""
        c = np.zeros(self.padded, dtype=bool)
        for t in range(self.o):
            c[self.taps(t)] = True
        return c

    def explain(self):
        """The arithmetic as one line of text, with a warning when the size is floored."""
        i, k, s, p, d = self.i, self.k, self.s, self.p, self.d
        if not self.fits:
            return (f"k_eff = {d}·({k}−1)+1 = {self.k_eff} > i + 2p = {self.padded}: the kernel does not fit, "
                    f"no output (frameworks raise an error)")
        num = self.padded - self.k_eff
        text = (f"o = ⌊(i + 2p − k_eff)/s⌋ + 1 = ⌊({i} + {2 * p} − {self.k_eff})/{s}⌋ + 1 "
                f"= ⌊{num}/{s}⌋ + 1 = {num // s} + 1 = {self.o}")
        if self.floors:
            text += (f"   ⚠ floored: {num}/{s} is not an integer; the last {self.r} padded cell"
                     f"{'s are' if self.r > 1 else ' is'} never read")
        else:
            text += "   ✓ exact: the last window ends on the last padded cell"
        skipped = [c for c in np.flatnonzero(~self.covered()) if c < self.padded - self.r]
        if skipped:
            text += (f"   (stride and dilation skip cell{'s' if len(skipped) > 1 else ''} "
                     f"{', '.join(map(str, skipped))} of the padded input)")
        return text


def draw_coverage(state, ax):
    """Draw the padded input as a row of cells and each window as a bar with its taps below it."""
    Rectangle = require("matplotlib.patches", "(widgets)").Rectangle
    n = state.padded
    covered = state.covered() if state.fits else np.zeros(n, bool)
    for c in range(n):
        pad = c < state.p or c >= state.p + state.i
        if not covered[c] and state.fits:
            face = (1.0, 0.75, 0.75)
        else:
            face = (0.86, 0.86, 0.86) if pad else (1.0, 1.0, 1.0)
        ax.add_patch(Rectangle((c, 0), 1, 1, facecolor=face, edgecolor="0.4"))
        label = "0" if pad else f"x{c - state.p}"
        ax.text(c + 0.5, 0.5, label, ha="center", va="center", fontsize=7)
    for t in range(state.o):
        y = -1.0 - 0.8 * t
        taps = state.taps(t)
        ax.plot([taps[0] + 0.5, taps[-1] + 0.5], [y, y], color="tab:blue", linewidth=1.5)
        ax.plot([q + 0.5 for q in taps], [y] * len(taps), "o", color="tab:blue", markersize=4)
        ax.text(-0.3, y, f"y{t}", ha="right", va="center", fontsize=7, color="tab:blue")
    bottom = -1.0 - 0.8 * max(state.o, 1)
    ax.set_xlim(-1.5, n + 0.5)
    ax.set_ylim(bottom, 1.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    tag = "floored" if state.floors else ("does not fit" if not state.fits else "exact")
    ax.set_title(f"i={state.i}, k={state.k}, s={state.s}, p={state.p}, d={state.d}: o={state.o} ({tag})",
                 fontsize=9)


def frame(state):
    """One frame of the panel for ``state`` (an :class:`OutputSize`): (PNG bytes, alt text,
    caption HTML), the coverage picture drawn by :func:`draw_coverage`."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=(7.5, 3.2))
    draw_coverage(state, fig.add_subplot(1, 1, 1))
    colour = "#b00" if state.floors or not state.fits else "#070"
    alt = (f"Coverage of an input of {state.i} cells (padding {state.p} each side) by a kernel "
           f"of {state.k} taps, stride {state.s}, dilation {state.d}: {state.explain()}")
    return _frames.png(fig), alt, f"<span style='color:{colour}'><code>{state.explain()}</code></span>"


#: the grid of the panel (every combination is drawn when the cell runs)
PANEL_GRID = {"i": (5, 6, 7, 8), "k": (2, 3), "s": (1, 2), "p": (0, 1), "d": (1, 2)}
_PANEL_LABELS = {"i": "input i", "k": "kernel k", "s": "stride s", "p": "padding p",
                 "d": "dilation d"}


def panel(i=7, k=3, s=2, p=0, d=1, grid=None):
    """The calculator, with every frame drawn ahead: one slider per quantity over ``grid``
    (default :data:`PANEL_GRID`, 64 combinations); the controls pick the frame in the browser,
    so it works on the website with no kernel.  Returns the panel ``VBox`` (``.choices``,
    ``.select(...)``, ``.current()``, ``.frames``; see :mod:`cnnlab.widgets._frames`)."""
    from . import _frames

    grid = dict(PANEL_GRID if grid is None else grid)
    start = {"i": i, "k": k, "s": s, "p": p, "d": d}
    choices = [_frames.Choice(n, grid[n], value=start[n] if start[n] in grid[n] else None,
                              description=_PANEL_LABELS[n]) for n in ("i", "k", "s", "p", "d")]

    def render(**v):
        return frame(OutputSize(v["i"], v["k"], v["s"], v["p"], v["d"]))

    return _frames.frame_panel([choices], render)


def static_output_size(cases=((7, 3, 2, 0, 1), (8, 3, 2, 0, 1), (7, 3, 2, 1, 1), (7, 3, 1, 0, 2))):
    """The static twin: one coverage picture per ``(i, k, s, p, d)`` case (default: an exact fit,
    a floored size, zero padding, a dilated kernel).  Returns a ``matplotlib.figure.Figure``."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    fig = Figure(figsize=(6.5, 2.3 * len(cases)))
    axes = np.atleast_1d(fig.subplots(len(cases), 1))
    for ax, case in zip(axes, cases):
        draw_coverage(OutputSize(*case), ax)
    fig.text(0.5, 0.02, "grey: zero padding · red: read by no window · dots: the taps of each window",
             ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
