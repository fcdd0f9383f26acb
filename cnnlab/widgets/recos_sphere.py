"""Widget: an input vector on the unit circle (2-D) or sphere (3-D), its correlations with a few
anchor vectors, before and after rectification.

- :class:`RecosSphereState` — plain state: anchors, the input's direction (angles), whether the
  input is negated, the threshold ``phi`` of the rectifier (``phi = 0``: ReLU), and the weights
  ``w`` of one next-layer unit.  Tests move the controls with its ``set_*`` methods and read
  ``x``, ``correlations``, ``rectified``, ``firing_arc(k)`` and ``next_layer()``.
- The next layer: a unit with weights ``w`` reads the first layer's responses.  Without
  rectification the mirrored unit ``-w`` answers ``-x`` exactly as ``w`` answers ``x`` (the
  pattern and its negative are the same evidence up to a sign flip of a weight); with the
  rectifier they differ.  Each anchor's firing arc (the directions whose correlation with it
  reaches ``phi``) is shaded on the circle, its cap outlined on the sphere.
- :func:`panel` — the panel over a grid of θ, φ and x/−x (and the elevation in 3-D), every
  frame drawn ahead by :func:`frame` with the same drawing as the live panel (it works on the
  website, with no kernel); :func:`build` — the continuous panel (any angle, any φ; sliders
  wired with ``observe``, it needs a running kernel).
- :func:`static_recos_sphere` — the static twin: the input and its negative, side by side.
"""
import io

import numpy as np

from ..recos import correlations, trelu, unit_vectors
from .._extras import require

__all__ = ["RecosSphereState", "RecosSpherePanel", "build", "panel", "frame", "static_recos_sphere",
           "DEFAULT_ANCHORS_2D", "DEFAULT_ANCHORS_3D", "PANEL_GRID", "PANEL_GRID_3D"]

#: Three anchors 120° apart on the circle (at 0°, 120°, 240°).
DEFAULT_ANCHORS_2D = np.array([[np.cos(t), np.sin(t)] for t in np.deg2rad([0.0, 120.0, 240.0])])
#: Four anchors on the sphere: the corners of a regular tetrahedron.
DEFAULT_ANCHORS_3D = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / np.sqrt(3)


def default_next_weights(k):
    """Weights of the default next-layer unit for ``k`` anchors: ``(1, -1, 0, …)`` — "anchor 1
    matches and anchor 2 does not"."""
    w = np.zeros(int(k))
    w[0], w[1] = 1.0, -1.0
    return w


class RecosSphereState:
    """What the widget shows, without any widget.

    Inputs:
    - anchors: (K, 2) or (K, 3) anchor vectors (normalised here); default three anchors 120°
      apart in 2-D
    - theta: azimuth of the input in degrees
    - elevation: elevation in degrees (3-D only; ignored in 2-D)
    - phi: rectifier threshold in [0, 1) (TReLU; 0 is ReLU)
    - negate: if True the input is ``-x`` (the pattern's negative)
    - next_weights: (K,) weights ``w`` of one next-layer unit (default
      :func:`default_next_weights`)
    """

    def __init__(self, anchors=None, theta=30.0, elevation=20.0, phi=0.0, negate=False, next_weights=None):
        a = DEFAULT_ANCHORS_2D if anchors is None else anchors
        a = unit_vectors(a, name="anchors")
        if a.ndim != 2 or a.shape[1] not in (2, 3):
            raise ValueError(f"anchors must have shape (K, 2) or (K, 3); got shape {a.shape}")
        self.anchors = a
        self.dim = a.shape[1]
        self.theta = 0.0
        self.elevation = 0.0
        self.phi = 0.0
        self.negate = False
        self.set_theta(theta)
        self.set_elevation(elevation)
        self.set_phi(phi)
        self.set_negate(negate)
        self.set_next_weights(default_next_weights(len(a)) if next_weights is None else next_weights)

    # controls --------------------------------------------------------------------------------
    def set_theta(self, degrees):
        """Set the angle θ (degrees) of the input on the circle."""
        self.theta = float(degrees)

    def set_elevation(self, degrees):
        """Set the elevation (degrees, in [-90, 90]) of the input above the plane."""
        d = float(degrees)
        if not -90.0 <= d <= 90.0:
            raise ValueError(f"elevation must lie in [-90, 90] degrees; got {degrees!r}")
        self.elevation = d

    def set_phi(self, phi):
        """Set TReLU's threshold φ in [0, 1) (validated by the activation registry)."""
        trelu(0.0, phi)  # validates: phi in [0, 1)
        self.phi = float(phi)

    def set_negate(self, flag):
        """Show the input ``x`` (False) or its negative ``-x`` (True)."""
        self.negate = bool(flag)

    def set_next_weights(self, w):
        """Set the next layer's weights, one per anchor (shape ``(len(anchors),)``)."""
        w = np.asarray(w, dtype=float)
        if w.shape != (len(self.anchors),):
            raise ValueError(f"next_weights must have shape ({len(self.anchors)},), one weight per anchor; "
                             f"got shape {w.shape}")
        self.next_weights = w

    # derived quantities -----------------------------------------------------------------------
    @property
    def x(self):
        """The input unit vector (negated when ``negate``)."""
        t = np.deg2rad(self.theta)
        if self.dim == 2:
            v = np.array([np.cos(t), np.sin(t)])
        else:
            e = np.deg2rad(self.elevation)
            v = np.array([np.cos(e) * np.cos(t), np.cos(e) * np.sin(t), np.sin(e)])
        return -v if self.negate else v

    @property
    def correlations(self):
        """``cos θ_k`` between the input and each anchor, shape (K,)."""
        return correlations(self.x, self.anchors)

    @property
    def rectified(self):
        """The correlations after TReLU with threshold ``phi`` (ReLU when ``phi = 0``), shape (K,)."""
        return trelu(self.correlations, self.phi)

    def firing_arc(self, k):
        """2-D only: the arc of input directions for which anchor ``k`` fires (``cos θ_k > phi``),
        as ``(start, end)`` in degrees, centred on the anchor, half-width ``arccos(phi)``."""
        if self.dim != 2:
            raise ValueError("firing_arc is defined for 2-D anchors; in 3-D the firing set is a cap")
        centre = np.degrees(np.arctan2(self.anchors[k, 1], self.anchors[k, 0]))
        half = np.degrees(np.arccos(self.phi))
        return centre - half, centre + half

    def next_layer(self):
        """What the next-layer unit ``w`` and its mirror ``-w`` output, with and without the rectifier.

        Returns a dict with, for the input ``x`` (ignoring ``negate``): ``linear_w_x`` = w·c(x),
        ``linear_mirror_negx`` = (−w)·c(−x), ``rect_w_x`` = w·f(c(x)) and ``rect_mirror_negx`` =
        (−w)·f(c(−x)), f the TReLU with threshold ``phi``.  The two ``linear_*`` values are always
        equal (c(−x) = −c(x)); the ``rect_*`` ones need not be.
        """
        v = -self.x if self.negate else self.x
        c_pos, c_neg = correlations(v, self.anchors), correlations(-v, self.anchors)
        w = self.next_weights
        return {"linear_w_x": float(w @ c_pos), "linear_mirror_negx": float(-w @ c_neg),
                "rect_w_x": float(w @ trelu(c_pos, self.phi)),
                "rect_mirror_negx": float(-w @ trelu(c_neg, self.phi))}

    def describe(self):
        """One line of text: the correlations before and after rectification (rounded)."""
        c = np.round(self.correlations, 2) + 0.0
        r = np.round(self.rectified, 2) + 0.0
        who = "-x" if self.negate else "x"
        return f"{who}: correlations {c.tolist()} -> rectified (phi={self.phi:g}) {r.tolist()}"


# ---------------------------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------------------------

def _axes(state, fig, rows=1, row=0):
    """Create the three axes of one row of the figure (circle/sphere, bars, next layer)."""
    if state.dim == 2:
        ax0 = fig.add_subplot(rows, 3, 3 * row + 1)
    else:
        ax0 = fig.add_subplot(rows, 3, 3 * row + 1, projection="3d")
    return ax0, fig.add_subplot(rows, 3, 3 * row + 2), fig.add_subplot(rows, 3, 3 * row + 3)


def _draw_firing_sets(state, ax0):
    """Shade each anchor's firing arc (2-D) or outline its cap ``cos θ_k = phi`` (3-D)."""
    alpha = np.arccos(state.phi)
    for k, a in enumerate(state.anchors):
        if state.dim == 2:
            lo, hi = np.deg2rad(state.firing_arc(k))
            t = np.linspace(lo, hi, 60)
            r = 1.0 + 0.06 * (k + 1)
            ax0.plot(r * np.cos(t), r * np.sin(t), color=f"C{k}", lw=5, alpha=0.35, solid_capstyle="butt")
        else:
            u = np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0])
            u /= np.linalg.norm(u)
            v = np.cross(a, u)
            t = np.linspace(0, 2 * np.pi, 60)[:, None]
            ring = np.cos(alpha) * a + np.sin(alpha) * (np.cos(t) * u + np.sin(t) * v)
            ax0.plot(ring[:, 0], ring[:, 1], ring[:, 2], color=f"C{k}", lw=1.2, alpha=0.6)


def _draw_next_layer(state, ax2):
    """The next-layer unit ``w`` on ``x`` and its mirror ``-w`` on ``-x``, without and with the
    rectifier (grey and coloured bars).  Returns the bar container."""
    n = state.next_layer()
    vals = [n["linear_w_x"], n["linear_mirror_negx"], n["rect_w_x"], n["rect_mirror_negx"]]
    bars = ax2.bar([0, 1, 2.5, 3.5], vals, width=0.8, color=["0.6", "0.6", "C3", "C2"])
    ax2.axhline(0, color="k", lw=0.8)
    ax2.set_xticks([0, 1, 2.5, 3.5], ["$w$ on $x$", "$-w$ on $-x$", "$w$ on $x$", "$-w$ on $-x$"], fontsize=7)
    lim = max(1.0, 1.05 * float(np.max(np.abs(vals))))
    ax2.set_ylim(-lim, lim)
    ax2.text(0.5, -0.9 * lim, "no rectifier", ha="center", fontsize=7)
    ax2.text(3.0, -0.9 * lim, f"TReLU, $\\varphi={state.phi:g}$", ha="center", fontsize=7)
    w = ", ".join(f"{v:g}" for v in state.next_weights)
    ax2.set_xlabel(f"next-layer unit, $w = ({w})$")
    ax2.set_ylabel("next-layer input $w^\\top f(c)$")
    ax2.set_title("output: the next layer", fontsize=9)
    return bars


def _draw_axes(state, ax0, ax1, ax2=None):
    """Draw ``state``: the input, anchors and firing sets in ``ax0``, the two bar groups in
    ``ax1``, the next layer in ``ax2`` (if given).

    Returns a dict of artists: the bar containers ``before``, ``after`` (and ``next``) and the
    input's line.
    """
    who = "$-x$" if state.negate else "$x$"
    x = state.x
    if state.dim == 2:
        t = np.linspace(0, 2 * np.pi, 200)
        ax0.plot(np.cos(t), np.sin(t), color="0.8", lw=1)
        for k, a in enumerate(state.anchors):
            ax0.annotate("", xy=a, xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=f"C{k}", lw=2))
            ax0.text(*(1.18 * a), f"$a_{k + 1}$", color=f"C{k}", ha="center", va="center")
        line, = ax0.plot([0, x[0]], [0, x[1]], color="k", lw=2.5)
        ax0.plot(*x, "ko")
        ax0.text(*(1.25 * x), who, ha="center", va="center")
        ax0.set_xlim(-1.4, 1.4)
        ax0.set_ylim(-1.4, 1.4)
        ax0.set_aspect("equal")
        ax0.set_xticks([])
        ax0.set_yticks([])
        ax0.set_title(f"input {who} on the unit circle", fontsize=9)
    else:
        u, v = np.mgrid[0:2 * np.pi:24j, 0:np.pi:12j]
        ax0.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.85", lw=0.5)
        for k, a in enumerate(state.anchors):
            ax0.plot([0, a[0]], [0, a[1]], [0, a[2]], color=f"C{k}", lw=2)
            ax0.text(*(1.15 * a), f"$a_{k + 1}$", color=f"C{k}")
        line, = ax0.plot([0, x[0]], [0, x[1]], [0, x[2]], color="k", lw=2.5)
        ax0.text(*(1.2 * x), who)
        ax0.set_axis_off()
        ax0.set_title(f"input {who} on the unit sphere", fontsize=9)
    k = np.arange(len(state.anchors))
    before = ax1.bar(k - 0.2, state.correlations, width=0.38, color="0.6", label=r"before: $\cos\theta_k$")
    after = ax1.bar(k + 0.2, state.rectified, width=0.38, color=[f"C{i}" for i in k],
                    label=rf"after: TReLU, $\varphi={state.phi:g}$")
    ax1.axhline(0, color="k", lw=0.8)
    if state.phi > 0:
        ax1.axhline(state.phi, color="0.4", lw=0.8, ls=":")
    ax1.set_ylim(-1.05, 1.05)
    ax1.set_xticks(k, [f"$a_{i + 1}$" for i in k])
    ax1.set_xlabel("anchor")
    ax1.set_ylabel("response")
    ax1.set_title("output: correlation with each anchor", fontsize=9)
    ax1.legend(fontsize=7, loc="lower right")
    _draw_firing_sets(state, ax0)
    out = {"before": before, "after": after, "line": line}
    if ax2 is not None:
        out["next"] = _draw_next_layer(state, ax2)
    return out


def _draw(state, fig=None):
    """Draw ``state`` into ``fig`` (a new figure if None; cleared otherwise).

    Returns ``(fig, artists)``; see :func:`_draw_axes`.
    """
    plt = require("matplotlib.pyplot", "(widgets)")

    if fig is None:
        fig = plt.figure(figsize=(10.0, 3.0))
    fig.clf()
    artists = _draw_axes(state, *_axes(state, fig))
    fig.tight_layout()
    return fig, artists


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


class RecosSpherePanel:
    """The continuous ipywidgets panel around a :class:`RecosSphereState` (any angle, any φ; its
    sliders redraw in Python, so it needs a running kernel; :func:`panel` is the one that also
    works on the website).

    Attributes: ``state``; ``sliders`` (dict: "theta", "elevation" (3-D only), "phi", "negate");
    ``fig`` and ``artists`` (the Matplotlib figure and its bar containers, updated on every
    change); ``image`` (an ``ipywidgets.Image`` with the figure as PNG); ``text`` (an HTML line);
    ``widget`` (the ``VBox`` to display).
    """

    def __init__(self, state=None):
        w = require("ipywidgets", "(widgets)")
        plt = require("matplotlib.pyplot", "(widgets)")

        self.state = state or RecosSphereState()
        s = self.state
        self.sliders = {
            "theta": w.FloatSlider(value=s.theta, min=-180, max=180, step=5, description="θ (deg)"),
            "phi": w.FloatSlider(value=s.phi, min=0.0, max=0.9, step=0.05, description="φ"),
            "negate": w.Checkbox(value=s.negate, description="negate input (−x)"),
        }
        if s.dim == 3:
            self.sliders["elevation"] = w.FloatSlider(value=s.elevation, min=-90, max=90, step=5,
                                                      description="elev. (deg)")
        self.fig, self.artists = _draw(s)
        plt.close(self.fig)
        self.image = w.Image(value=_png(self.fig), format="png")
        self.text = w.HTML(value=self.state.describe())
        for name, slider in self.sliders.items():
            slider.observe(self._on_change, names="value")
        controls = w.VBox(list(self.sliders.values()))
        self.widget = w.VBox([w.HBox([controls, self.image]), self.text])

    def _on_change(self, change):
        s = self.state
        values = {name: sl.value for name, sl in self.sliders.items()}
        s.set_theta(values["theta"])
        if "elevation" in values:
            s.set_elevation(values["elevation"])
        s.set_phi(values["phi"])
        s.set_negate(values["negate"])
        self.fig, self.artists = _draw(s, self.fig)
        self.image.value = _png(self.fig)
        self.text.value = s.describe()

    def _ipython_display_(self):
        display = require("IPython.display", "(widgets)").display

        display(self.widget)


def build(anchors=None, **kwargs):
    """Make the continuous panel (a :class:`RecosSpherePanel`, any angle and any φ; it needs a
    running kernel); display it with ``panel.widget``.

    ``anchors`` (K, 2) or (K, 3) and keyword arguments are passed to :class:`RecosSphereState`.
    """
    return RecosSpherePanel(RecosSphereState(anchors=anchors, **kwargs))


#: size of the panels' figure in inches
FIGSIZE = (10.0, 3.0)


def frame(state):
    """One frame of :func:`panel` for ``state``: (PNG bytes, alt text, caption HTML), drawn by
    the live panel's drawing (``_draw``) on a :data:`FIGSIZE` figure."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig, _ = _draw(state, Figure(figsize=FIGSIZE))
    n = state.next_layer()
    where = (f"azimuth {state.theta:g}°, elevation {state.elevation:g}°" if state.dim == 3
             else f"angle {state.theta:g}°")
    r = lambda v: ", ".join(f"{a:.2f}" for a in np.round(v, 2) + 0.0)  # noqa: E731
    alt = (f"The unit {'sphere' if state.dim == 3 else 'circle'} with {len(state.anchors)} anchors "
           f"and the input {'-x' if state.negate else 'x'} at {where}, each anchor's firing set "
           f"for phi = {state.phi:g} marked; bars of the correlations ({r(state.correlations)}) "
           f"and of the responses after TReLU ({r(state.rectified)}); the next-layer unit w on x "
           f"and its mirror -w on -x: {n['linear_w_x']:.2f} and {n['linear_mirror_negx']:.2f} "
           f"without the rectifier, {n['rect_w_x']:.2f} and {n['rect_mirror_negx']:.2f} with it.")
    return _frames.png(fig, dpi=80), alt, f"<code>{state.describe()}</code>"


#: the panel's grid in 2-D: θ every 30°, φ as in the chapter's TReLU runs, x or −x (96 frames)
PANEL_GRID = {"theta": tuple(range(-150, 181, 30)), "phi": (0.0, 0.25, 0.5, 0.75),
              "negate": (False, True)}
#: the panel's grid in 3-D (elevation added, fewer directions: 6 × 3 × 3 × 2 = 108 frames,
#: about 1.5 MB of widget state; it holds the chapter's 3-D figure, θ = 30°, 20°, φ = 0.3)
PANEL_GRID_3D = {"theta": tuple(range(30, 360, 60)), "elevation": (-30, 20, 60),
                 "phi": (0.0, 0.3, 0.6), "negate": (False, True)}


def panel(anchors=None, grid=None, **kwargs):
    """The panel, every frame drawn ahead (works on the website with no kernel).

    Controls over ``grid`` (default :data:`PANEL_GRID` in 2-D, :data:`PANEL_GRID_3D` in 3-D):
    the input's direction θ (and its elevation in 3-D), the threshold φ and x or −x.  Every
    frame is :func:`frame` of a :class:`RecosSphereState` moved with its ``set_*`` methods;
    ``anchors`` and the keyword arguments (e.g. ``next_weights``) go to that state.  Returns the
    panel ``VBox`` (``.choices``, ``.select(...)``, ``.current()``, ``.current_values()``,
    ``.frames``) with ``.state``.
    """
    from . import _frames
    from ._common import fmt

    st = RecosSphereState(anchors=anchors, **kwargs)
    default = PANEL_GRID_3D if st.dim == 3 else PANEL_GRID
    grid = dict(default if grid is None else grid)
    if set(grid) != set(default):
        raise ValueError(f"grid must have the keys {sorted(default)} for {st.dim}-D anchors; "
                         f"got {sorted(grid)}")
    deg = lambda vals: [f"{fmt(v)}°" for v in vals]  # noqa: E731

    def start(name, value):
        return value if value in grid[name] else None

    choices = [_frames.Choice("theta", grid["theta"], deg(grid["theta"]), start("theta", st.theta),
                              description="θ (direction)")]
    if st.dim == 3:
        choices.append(_frames.Choice("elevation", grid["elevation"], deg(grid["elevation"]),
                                      start("elevation", st.elevation), description="elevation"))
    choices += [_frames.Choice("phi", grid["phi"], [fmt(v) for v in grid["phi"]],
                               start("phi", st.phi), description="φ (threshold)", kind="toggle"),
                _frames.Choice("negate", grid["negate"],
                               ["−x" if v else "x" for v in grid["negate"]],
                               start("negate", st.negate), description="input", kind="toggle")]

    def render(theta, phi, negate, elevation=None):
        st.set_theta(theta)
        if elevation is not None:
            st.set_elevation(elevation)
        st.set_phi(phi)
        st.set_negate(negate)
        return frame(st)

    box = _frames.frame_panel([choices], render)
    box.state = st
    return box


def static_recos_sphere(anchors=None, theta=30.0, elevation=20.0, phi=0.0):
    """The static twin: the input ``x`` (top row) and its negative ``-x`` (bottom row), with their
    correlations with each anchor before and after rectification.  Returns a Matplotlib figure.
    """
    plt = require("matplotlib.pyplot", "(widgets)")

    fig = plt.figure(figsize=(10.0, 5.6))
    for row, neg in enumerate((False, True)):
        st = RecosSphereState(anchors, theta=theta, elevation=elevation, phi=phi, negate=neg)
        _draw_axes(st, *_axes(st, fig, rows=2, row=row))
    fig.tight_layout()
    return fig
