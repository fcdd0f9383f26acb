"""Which inputs feed each pooled output, and where a gradient goes back.

Five operations over the last two axes of one map ``x`` of shape ``(H, W)``, windows of
``n × n`` cells moved by stride ``s`` (default ``s = n``; ``H_out = ⌊(H − n)/s⌋ + 1``):

====================  ===========================================  ==========================================
kind                  forward ``y[r, c]``                          backward ``∂E/∂x`` given ``δ = ∂E/∂y``
====================  ===========================================  ==========================================
``"max"``             max of the window                            ``δ[r, c]`` to the (first) arg-max only
``"avg"``             mean of the window                           ``δ[r, c] / n²`` to every cell of it
``"down"``            sum of the window (Bouvrie's ``down``)       ``up(δ)``: ``δ[r, c]`` to every cell
``"subsample"``       ``β·down(x)[r, c] + b`` (LeNet, trainable)   ``β·up(δ)``; also ``∂E/∂β = Σ δ∘down(x)``,
                                                                   ``∂E/∂b = Σ δ``
``"up"``              ``x[r // n, c // n]`` (Kronecker with ones)  ``down(δ)``: each input gets the sum of its
                                                                   ``n × n`` block
====================  ===========================================  ==========================================

``down``, ``subsample`` and ``up`` need ``s = n`` and sizes that ``n`` divides (as Bouvrie).  For
``max`` a tie sends the gradient to the first maximum in row-major order (as ``cnnlab.maxpool2d``).

* :class:`PoolRoutes` — the state (kind, window size, stride, β, b and a selected output cell),
  with :meth:`PoolRoutes.forward`, :meth:`PoolRoutes.local_grad` (∂y[r, c]/∂x for one output)
  and :meth:`PoolRoutes.backward`;
* :func:`panel` — an ipywidgets panel (kind, selected output, stride, β) drawing x, y, δ and
  ∂E/∂x into an ``Image`` widget;
* :func:`static_pool_routes` — the static twin: one row of pictures per kind.
"""
from numbers import Integral, Real

import numpy as np

from .._validate import as_array, shape_str
from ..pool import avgpool2d, avgpool2d_backward, maxpool2d, maxpool2d_backward, pool_geometry
from ..sampling import down, up
from ._common import fmt as _fmt
from ._common import number_grid as _grid
from ._common import png as _png
from .._extras import require

__all__ = ["PoolRoutes", "KINDS", "panel", "static_pool_routes", "draw_pool_routes", "DEFAULT_X", "DEFAULT_DY"]

KINDS = ("max", "avg", "down", "subsample", "up")

#: default input: 4×4 with a three-way tie (value 3) in the bottom-right window
DEFAULT_X = np.array([[1, 3, 2, 0],
                      [4, 2, 1, 5],
                      [0, 1, 3, 3],
                      [2, 6, 3, 1]], dtype=float)
#: default upstream gradient δ = ∂E/∂y for a 2×2 output
DEFAULT_DY = np.array([[1, -2],
                       [3, 4]], dtype=float)


class PoolRoutes:
    """State of the routing picture.

    Inputs:
    - x: input map, array of shape (H, W) (for ``kind="up"``, the small map)
    - kind: one of ``KINDS``
    - size: window side n (>= 1); for ``"up"``, the expansion factor
    - stride: window step s (>= 1), default n; only ``"max"``/``"avg"`` accept s != n
    - beta, bias: LeNet's trainable coefficient and bias (``"subsample"`` only)
    - dy: upstream gradient δ = ∂E/∂y, shape ``out_shape`` (default: ``DEFAULT_DY`` when it
      fits, else ones)

    The selected output cell is ``(row, col)``; move it with :meth:`select`.
    """

    def __init__(self, x=DEFAULT_X, kind="max", size=2, stride=None, beta=0.5, bias=0.0, dy=None):
        self.x = as_array(x, "x", ndim=2).astype(np.float64)
        if 0 in self.x.shape:
            raise ValueError(f"x must not be empty; got shape {shape_str(self.x.shape)}")
        for name, v in (("beta", beta), ("bias", bias)):
            if not isinstance(v, Real) or isinstance(v, bool):
                raise TypeError(f"{name} must be a real number; got {v!r}")
        self.beta, self.bias = float(beta), float(bias)
        self.row = self.col = 0
        self._dy_given = dy
        self.configure(kind, size, stride)

    # -- controls -----------------------------------------------------------------------------
    def configure(self, kind=None, size=None, stride=None):
        """Change kind, window size and stride together (stride None means = size)."""
        kind = getattr(self, "kind", "max") if kind is None else kind
        size = getattr(self, "size", 2) if size is None else size
        if not isinstance(kind, str) or kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
        if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
            raise ValueError(f"size must be an int >= 1; got {size!r}")
        stride = size if stride is None else stride
        if not isinstance(stride, Integral) or isinstance(stride, bool) or stride < 1:
            raise ValueError(f"stride must be an int >= 1; got {stride!r}")
        H, W = self.x.shape
        if kind in ("down", "subsample", "up"):
            if stride != size:
                raise ValueError(f"stride must equal size for kind={kind!r} (non-overlapping blocks); "
                                 f"got size={size}, stride={stride}")
            if kind != "up" and (H % size or W % size):
                raise ValueError(f"for kind={kind!r} the window size must divide the input: x has shape "
                                 f"{shape_str(self.x.shape)}, size={size}")
        elif size > H or size > W:
            raise ValueError(f"size={size} is larger than x of shape {shape_str(self.x.shape)}")
        self.kind, self.size, self.stride = kind, int(size), int(stride)
        if kind == "up":
            self.out_shape = (H * size, W * size)
        else:
            self.out_shape = pool_geometry(self.x.shape, size, stride)[2]
        self.row = min(self.row, self.out_shape[0] - 1)
        self.col = min(self.col, self.out_shape[1] - 1)
        self._set_dy(self._dy_given)

    def _set_dy(self, dy):
        if dy is None:
            dy = DEFAULT_DY if DEFAULT_DY.shape == self.out_shape else np.ones(self.out_shape)
        dy = as_array(dy, "dy", ndim=2).astype(np.float64)
        if dy.shape != self.out_shape:
            raise ValueError(f"dy must have the output's shape {shape_str(self.out_shape)}; got {shape_str(dy.shape)}")
        self.dy = dy

    def set_dy(self, dy):
        """Set the upstream gradient δ (shape ``out_shape``)."""
        self._dy_given = dy
        self._set_dy(dy)

    def set_kind(self, kind):
        """Switch operation; the stride is reset to the window size."""
        self.configure(kind, self.size, None)

    def set_beta(self, beta):
        """Set the subsampling weight β (a number)."""
        self.beta = float(beta)

    def select(self, row, col):
        """Select output cell (row, col) — the one whose routes are highlighted."""
        Ho, Wo = self.out_shape
        if not (0 <= row < Ho and 0 <= col < Wo):
            raise ValueError(f"(row, col) must lie in the output of shape ({Ho}, {Wo}); got ({row}, {col})")
        self.row, self.col = int(row), int(col)

    # -- the operation ------------------------------------------------------------------------
    def window_cells(self, row=None, col=None):
        """Input cells (i, j) read by output (row, col), in row-major order."""
        row = self.row if row is None else row
        col = self.col if col is None else col
        n, s = self.size, self.stride
        if self.kind == "up":
            return [(row // n, col // n)]
        return [(row * s + a, col * s + b) for a in range(n) for b in range(n)]

    def local_grad(self, row=None, col=None):
        """∂y[row, col] / ∂x, an array of x's shape: which inputs the output depends on, and how
        (the core's backward pass applied to a one-hot upstream gradient)."""
        row = self.row if row is None else row
        col = self.col if col is None else col
        onehot = np.zeros(self.out_shape)
        onehot[row, col] = 1.0
        return self.backward(onehot)

    def forward(self):
        """The output y, shape ``out_shape`` — computed by the core (:mod:`cnnlab.pool`,
        :mod:`cnnlab.sampling`)."""
        n, s, x = self.size, self.stride, self.x
        if self.kind == "max":
            return maxpool2d(x, n, s)
        if self.kind == "avg":
            return avgpool2d(x, n, s)
        if self.kind == "down":
            return down(x, n)
        if self.kind == "subsample":
            return self.beta * down(x, n) + self.bias
        return up(x, n)

    def backward(self, dy=None):
        """∂E/∂x for δ = ``dy`` (default: the stored δ), from the core's backward passes:
        max/avg → :func:`cnnlab.pool.maxpool2d_backward` / ``avgpool2d_backward``, down → ``up(δ)``,
        subsample → ``β·up(δ)``, up → ``down(δ)``."""
        dy = self.dy if dy is None else as_array(dy, "dy", ndim=2)
        if dy.shape != self.out_shape:
            raise ValueError(f"dy must have shape {shape_str(self.out_shape)}; got {shape_str(dy.shape)}")
        n, s, x = self.size, self.stride, self.x
        if self.kind == "max":
            return maxpool2d_backward(dy, x, n, s)
        if self.kind == "avg":
            return avgpool2d_backward(dy, x, n, s)
        if self.kind == "down":
            return up(dy, n)
        if self.kind == "subsample":
            return self.beta * up(dy, n)
        return down(dy, n)

    def param_grads(self, dy=None):
        """For ``"subsample"``: ``(∂E/∂β, ∂E/∂b) = (Σ δ∘down(x), Σ δ)``; None for other kinds."""
        if self.kind != "subsample":
            return None
        dy = self.dy if dy is None else as_array(dy, "dy", ndim=2)
        n = self.size
        return float((dy * down(self.x, n)).sum()), float(dy.sum())

    def describe(self):
        """One line on the selected output: its formula and where its gradient goes."""
        r, c = self.row, self.col
        cells = self.window_cells()
        g = self.local_grad()
        names = ", ".join(f"x[{i},{j}]" for i, j in cells)
        dest = ", ".join(f"x[{i},{j}] gets {_fmt(self.dy[r, c] * g[i, j])}" for i, j in cells if g[i, j] != 0)
        y = self.forward()[r, c]
        what = {"max": f"max({names})", "avg": f"mean({names})", "down": f"sum({names})",
                "subsample": f"{_fmt(self.beta)}·sum({names}) + {_fmt(self.bias)}", "up": names}[self.kind]
        return f"y[{r},{c}] = {what} = {_fmt(y)};  δ[{r},{c}] = {_fmt(self.dy[r, c])} goes back: {dest}"


# ---------------------------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------------------------
_OPNAME = {"max": "max pooling", "avg": "average pooling", "down": "down(x)  (block sums)",
           "subsample": "β·down(x) + b", "up": "up(x)  (copy into blocks)"}


def draw_pool_routes(state, axes=None, fig=None, fontsize=9):
    """Draw x (window of the selected output shaded, cells it depends on in bold), y (selected
    cell shaded), δ and ∂E/∂x (cells that receive the selected δ shaded) on four axes."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    if axes is None:
        if fig is None:
            fig = Figure(figsize=(10.0, 3.0))
        fig.clear()
        axes = fig.subplots(1, 4)
    ax_x, ax_y, ax_dy, ax_dx = axes
    g = state.local_grad()
    xcol = np.ones(state.x.shape + (3,))
    for cell in state.window_cells():
        xcol[cell] = (1.0, 0.88, 0.7)
    xcol[g != 0] = (1.0, 0.7, 0.55)
    _grid(ax_x, state.x, "input x", xcol, fontsize, bold=g != 0)
    ycol = np.ones(state.out_shape + (3,))
    ycol[state.row, state.col] = (1.0, 0.7, 0.55)
    _grid(ax_y, state.forward(), f"y = {_OPNAME[state.kind]}", ycol, fontsize)
    dcol = np.ones(state.out_shape + (3,))
    dcol[state.row, state.col] = (0.7, 0.82, 1.0)
    _grid(ax_dy, state.dy, "δ = ∂E/∂y (given)", dcol, fontsize)
    gcol = np.ones(state.x.shape + (3,))
    gcol[g != 0] = (0.7, 0.82, 1.0)
    _grid(ax_dx, state.backward(), "∂E/∂x (routed back)", gcol, fontsize, bold=g != 0)
    return axes


def frame(state):
    """One frame of the panel for ``state`` (a :class:`PoolRoutes`): (PNG bytes, alt text,
    caption HTML), drawn by :func:`draw_pool_routes` on a 10×3 inch figure."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=(10.0, 3.0))
    draw_pool_routes(state, fig=fig)
    extra = ""
    if state.kind == "subsample":
        dbeta, db = state.param_grads()
        extra = f"<br><code>∂E/∂β = Σ δ∘down(x) = {_fmt(dbeta)},  ∂E/∂b = Σ δ = {_fmt(db)}</code>"
    alt = (f"{state.kind} over {state.size}×{state.size} windows, stride {state.stride}: input x, "
           f"output y, residual δ and ∂E/∂x, with output cell ({state.row}, {state.col}) "
           f"selected. {state.describe()}")
    return _frames.png(fig), alt, f"<code>{state.describe()}</code>{extra}"


#: the panel's grid: kinds, strides of max/avg, β of subsample (every output cell of each)
PANEL_KINDS = ("max", "avg", "down", "subsample")
PANEL_STRIDES = (2, 1)
PANEL_BETAS = (0.5, 1.0, 2.0, -1.0)


def panel(x=DEFAULT_X, kind="max", size=2, beta=0.5, bias=0.0, kinds=PANEL_KINDS):
    """The widget, with every frame drawn ahead (works on the website with no kernel).

    Controls: the operation (``kinds``; ``up`` is in the static figure), then per operation
    the stride (max/avg: 2 or 1) or β (subsample: 0.5, 1, 2, −1), then the output cell in
    reading order.  Every frame is drawn by :func:`draw_pool_routes`.  Returns the panel
    ``VBox`` (``.choices``, ``.select(...)``, ``.current()``, ``.frames``)."""
    from . import _frames

    PoolRoutes(x, kind=kind, size=size, beta=beta, bias=bias)  # checks the arguments
    c_kind = _frames.Choice("kind", kinds, value=kind, description="operation",
                            kind="dropdown")

    def second(v):
        if v["kind"] in ("max", "avg"):
            return [_frames.Choice("stride", PANEL_STRIDES, description="stride", kind="toggle")]
        if v["kind"] == "subsample":
            betas = PANEL_BETAS if beta in PANEL_BETAS else (beta,) + PANEL_BETAS
            return [_frames.Choice("beta", betas, [_fmt(b) for b in betas], value=beta,
                                   description="β", kind="toggle")]
        return []

    def state_for(v):
        st = PoolRoutes(x, kind=v["kind"], size=size, stride=v.get("stride"),
                        beta=v.get("beta", beta), bias=bias)
        if "output" in v:
            st.select(*divmod(v["output"], st.out_shape[1]))
        return st

    def cells(v):
        Ho, Wo = state_for(v).out_shape
        return [_frames.Choice("output", range(Ho * Wo),
                               [f"({r}, {c})" for r in range(Ho) for c in range(Wo)],
                               description="output cell")]

    return _frames.frame_panel([[c_kind], second, cells], lambda **v: frame(state_for(v)))


def static_pool_routes(x=DEFAULT_X, kinds=("max", "avg", "subsample"), row=1, col=1, beta=0.5):
    """The static twin: one row per kind (x, y, δ, ∂E/∂x) with output cell (row, col) selected,
    plus a last row for ``up`` on a 2×2 residual.  Returns a ``matplotlib.figure.Figure``."""
    Figure = require("matplotlib.figure", "(widgets)").Figure
    rows = len(kinds) + 1
    fig = Figure(figsize=(8.4, 2.25 * rows))
    axes = fig.subplots(rows, 4)
    for r, kind in enumerate(kinds):
        st = PoolRoutes(x, kind=kind, beta=beta)
        st.select(row, col)
        draw_pool_routes(st, axes=axes[r], fontsize=8)
        axes[r, 0].set_ylabel(kind, fontsize=10)
        axes[r, 1].set_title(f"y = {_OPNAME[kind]}", fontsize=9)
    st = PoolRoutes(DEFAULT_DY, kind="up", dy=np.arange(16.0).reshape(4, 4) % 3)
    st.select(2 * row, 2 * col)
    draw_pool_routes(st, axes=axes[-1], fontsize=8)
    axes[-1, 0].set_ylabel("up", fontsize=10)
    fig.suptitle(f"orange: what output ({row},{col}) reads; blue: where its δ goes back", fontsize=10)
    fig.tight_layout()
    return fig
