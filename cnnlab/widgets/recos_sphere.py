"""Widget: an input vector on the unit circle (2-D) or sphere (3-D), its correlations with a few
anchor vectors, before and after rectification.

- :class:`RecosSphereState` — plain state: anchors, the input's direction (angles), whether the
  input is negated, the threshold ``phi`` of the rectifier (``phi = 0``: ReLU).  Tests move the
  controls with its ``set_*`` methods and read ``x``, ``correlations`` and ``rectified``.
- :func:`build` / :func:`panel` — the ipywidgets panel (sliders wired with ``observe``), drawing
  into a Matplotlib figure shown as a PNG in an ``ipywidgets.Image``.
- :func:`static_recos_sphere` — the static twin: the input and its negative, side by side.
"""
import io

import numpy as np

from ..recos import correlations, trelu, unit_vectors

__all__ = ["RecosSphereState", "RecosSpherePanel", "build", "panel", "static_recos_sphere",
           "DEFAULT_ANCHORS_2D", "DEFAULT_ANCHORS_3D"]

#: Three anchors 120° apart on the circle (at 0°, 120°, 240°).
DEFAULT_ANCHORS_2D = np.array([[np.cos(t), np.sin(t)] for t in np.deg2rad([0.0, 120.0, 240.0])])
#: Four anchors on the sphere: the corners of a regular tetrahedron.
DEFAULT_ANCHORS_3D = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / np.sqrt(3)


class RecosSphereState:
    """What the widget shows, without any widget.

    Inputs:
    - anchors: (K, 2) or (K, 3) anchor vectors (normalised here); default three anchors 120°
      apart in 2-D
    - theta: azimuth of the input in degrees
    - elevation: elevation in degrees (3-D only; ignored in 2-D)
    - phi: rectifier threshold in [0, 1) (TReLU; 0 is ReLU)
    - negate: if True the input is ``-x`` (the pattern's negative)
    """

    def __init__(self, anchors=None, theta=30.0, elevation=20.0, phi=0.0, negate=False):
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

    # controls --------------------------------------------------------------------------------
    def set_theta(self, degrees):
        self.theta = float(degrees)

    def set_elevation(self, degrees):
        d = float(degrees)
        if not -90.0 <= d <= 90.0:
            raise ValueError(f"elevation must lie in [-90, 90] degrees; got {degrees!r}")
        self.elevation = d

    def set_phi(self, phi):
        trelu(0.0, phi)  # validates: phi in [0, 1)
        self.phi = float(phi)

    def set_negate(self, flag):
        self.negate = bool(flag)

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
    """Create the two axes of one row of the figure (circle/sphere, bars)."""
    if state.dim == 2:
        ax0 = fig.add_subplot(rows, 2, 2 * row + 1)
    else:
        ax0 = fig.add_subplot(rows, 2, 2 * row + 1, projection="3d")
    return ax0, fig.add_subplot(rows, 2, 2 * row + 2)


def _draw_axes(state, ax0, ax1):
    """Draw ``state``: the input and anchors in ``ax0``, the two bar groups in ``ax1``.

    Returns a dict of artists: the bar containers ``before`` and ``after`` and the input's line.
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
    return {"before": before, "after": after, "line": line}


def _draw(state, fig=None):
    """Draw ``state`` into ``fig`` (a new figure if None; cleared otherwise).

    Returns ``(fig, artists)``; see :func:`_draw_axes`.
    """
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(7.2, 3.0))
    fig.clf()
    artists = _draw_axes(state, *_axes(state, fig))
    fig.tight_layout()
    return fig, artists


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


class RecosSpherePanel:
    """The ipywidgets panel around a :class:`RecosSphereState`.

    Attributes: ``state``; ``sliders`` (dict: "theta", "elevation" (3-D only), "phi", "negate");
    ``fig`` and ``artists`` (the Matplotlib figure and its bar containers, updated on every
    change); ``image`` (an ``ipywidgets.Image`` with the figure as PNG); ``text`` (an HTML line);
    ``widget`` (the ``VBox`` to display).
    """

    def __init__(self, state=None):
        import ipywidgets as w
        import matplotlib.pyplot as plt

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
        from IPython.display import display

        display(self.widget)


def build(anchors=None, **kwargs):
    """Make the panel (a :class:`RecosSpherePanel`); display it with ``panel.widget``.

    ``anchors`` (K, 2) or (K, 3) and keyword arguments are passed to :class:`RecosSphereState`.
    """
    return RecosSpherePanel(RecosSphereState(anchors=anchors, **kwargs))


def panel(anchors=None, **kwargs):
    """The displayable ``ipywidgets.VBox`` of :func:`build`."""
    return build(anchors, **kwargs).widget


def static_recos_sphere(anchors=None, theta=30.0, elevation=20.0, phi=0.0):
    """The static twin: the input ``x`` (top row) and its negative ``-x`` (bottom row), with their
    correlations with each anchor before and after rectification.  Returns a Matplotlib figure.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(7.2, 5.6))
    for row, neg in enumerate((False, True)):
        st = RecosSphereState(anchors, theta=theta, elevation=elevation, phi=phi, negate=neg)
        _draw_axes(st, *_axes(st, fig, rows=2, row=row))
    fig.tight_layout()
    return fig
