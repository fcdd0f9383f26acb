"""What the widget panels share: PNG rendering, the one number format of the figures and the
table of numbers that the convolution and pooling figures draw."""
import io

import numpy as np


def png(fig, dpi=72):
    """The Matplotlib figure ``fig`` rendered as PNG bytes, for an ``ipywidgets.Image``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def fmt(v, digits=2):
    """A number as the widgets print it: at most ``digits`` decimals, trailing zeros dropped,
    integers without a decimal point, never ``-0`` (``fmt(3.0) == '3'``, ``fmt(0.125) == '0.12'``,
    ``fmt(-0.001) == '0'``).  Input: a real number (Python or NumPy); returns a str."""
    s = f"{float(v):.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "", "+0") else s


def fmt_fixed(v, digits=3):
    """A number with exactly ``digits`` decimals (columns line up), zero printed without a sign."""
    s = f"{float(v):.{digits}f}"
    return f"{0.0:.{digits}f}" if float(s) == 0.0 else s


def number_grid(ax, a, title, colors=None, fontsize=9, bold=None):
    """Draw the 2-D array ``a`` on the Matplotlib axes ``ax`` as a table of numbers: one cell per
    entry, coloured by ``colors`` (an (h, w, 3) RGB array; white when None), the entry in it
    (:func:`fmt`; NaN cells left blank, ``bold`` an optional (h, w) mask of bold entries), grey
    lines between the cells, no ticks, ``title`` above.

    The cell lines are two line collections, not a minor-tick grid: Matplotlib lays out every
    tick of every frame, which made a frame a third slower to draw."""
    h, w = a.shape
    face = np.ones((h, w, 3)) if colors is None else colors
    ax.imshow(face, interpolation="nearest", extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    for i in range(h):
        for j in range(w):
            if not np.isnan(a[i, j]):
                weight = "bold" if bold is not None and bold[i, j] else "normal"
                ax.text(j, i, fmt(a[i, j]), ha="center", va="center", fontsize=fontsize, fontweight=weight)
    ax.hlines(np.arange(-0.5, h, 1), -0.5, w - 0.5, color="0.6", linewidth=0.6)
    ax.vlines(np.arange(-0.5, w, 1), -0.5, h - 0.5, color="0.6", linewidth=0.6)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_title(title, fontsize=fontsize + 1)
