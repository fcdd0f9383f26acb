"""Network builder: add layers one by one and watch shapes, parameter counts and their arithmetic.

Chapter 3 ("Counting parameters").  The state object :class:`NetworkBuilder` keeps an input shape
and a list of layer descriptions; every change rebuilds a :class:`cnnlab.Sequential` (float32,
weights initialised to zeros, which costs no time even for a dense layer with millions of
weights: only shapes and counts are needed) and reads, layer by layer, the output shape, the
parameter count with its arithmetic (``(7·7·1 + 1)·60 = 3000``), the multiply-adds for one image
and the activation memory.  :func:`panel` shows it twice: :func:`readings_panel`, every reading
of the seed ``q2``'s question built layer by layer, with every frame drawn ahead (it works on the
website, with no kernel), and :func:`builder_controls`, a free builder that needs Python running
(on the website it is switched off, with one sentence saying why).  :func:`draw_network` draws
the counts; :func:`static_network_builder` is the same drawing as a figure.

Layer descriptions are plain dicts, e.g. ``{"kind": "conv", "filters": 60, "kernel": 7,
"padding": "same", "stride": 1, "activation": "relu"}``; kinds: ``conv``, ``maxpool``,
``avgpool``, ``subsampling``, ``flatten``, ``dense``.
"""
from numbers import Integral

import numpy as np

from .._extras import require

__all__ = ["NetworkBuilder", "panel", "readings_panel", "builder_controls", "q2_reading", "frame",
           "draw_network", "static_network_builder", "picture_weight_sharing", "Q2_AS_CODED",
           "KINDS", "PANEL_GRID"]

KINDS = ("conv", "maxpool", "avgpool", "subsampling", "flatten", "dense")

#: The seed q2's Keras code, layer by layer, as builder descriptions.
Q2_AS_CODED = (
    {"kind": "conv", "filters": 60, "kernel": 7, "padding": "same", "activation": "relu"},
    {"kind": "conv", "filters": 100, "kernel": 5, "padding": "same", "activation": "relu"},
    {"kind": "maxpool", "pool": 2},
    {"kind": "dense", "units": 250},
    {"kind": "dense", "units": 200},
)

_DEFAULTS = {
    "conv": {"filters": 8, "kernel": 3, "padding": "valid", "stride": 1, "activation": "relu"},
    "maxpool": {"pool": 2},
    "avgpool": {"pool": 2},
    "subsampling": {"pool": 2},
    "flatten": {},
    "dense": {"units": 10, "activation": None},
}


def _pos_int(v, name):
    if not isinstance(v, Integral) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive int; got {v!r}")
    return int(v)


def _layer_from(desc):
    """A cnnlab layer from a description dict (validated)."""
    from cnnlab import layers as L

    if not isinstance(desc, dict) or desc.get("kind") not in KINDS:
        raise ValueError(f"layer description must be a dict with 'kind' in {KINDS}; got {desc!r}")
    kind = desc["kind"]
    d = dict(_DEFAULTS[kind])
    d.update({k: v for k, v in desc.items() if k != "kind"})
    unknown = set(d) - set(_DEFAULTS[kind])
    if unknown:
        raise ValueError(f"layer description: unknown keys {sorted(unknown)} for kind {kind!r}; "
                         f"expected some of {sorted(_DEFAULTS[kind])}")
    if kind == "conv":
        k, s = _pos_int(d["kernel"], "kernel"), _pos_int(d["stride"], "stride")
        return L.Conv2D(_pos_int(d["filters"], "filters"), (k, k), strides=(s, s),
                        padding=d["padding"], activation=d["activation"],
                        kernel_initializer="zeros"), {"kind": kind, **d}
    if kind in ("maxpool", "avgpool"):
        p = _pos_int(d["pool"], "pool")
        cls = L.MaxPooling2D if kind == "maxpool" else L.AveragePooling2D
        return cls(pool_size=(p, p)), {"kind": kind, **d}
    if kind == "subsampling":
        return L.Subsampling(_pos_int(d["pool"], "pool")), {"kind": kind, **d}
    if kind == "flatten":
        return L.Flatten(), {"kind": kind}
    return (L.Dense(_pos_int(d["units"], "units"), activation=d["activation"],
                    kernel_initializer="zeros"), {"kind": kind, **d})


class NetworkBuilder:
    """State of the network-builder widget (no ipywidgets needed).

    Inputs:
    - input_shape: ``(rows, cols, channels)``, channels last as Keras
    - layers: optional iterable of layer descriptions (see the module notes)

    After every change, :attr:`rows` lists one dict per layer with keys ``name``,
    ``output_shape`` (Keras style, ``None`` for the batch), ``params``, ``arithmetic``,
    ``macs`` (multiply-adds for one image) and ``activations`` (numbers in the output map);
    :attr:`total_params` and :attr:`total_macs` sum them.
    """

    def __init__(self, input_shape=(28, 28, 1), layers=()):
        self.input_shape = self._check_shape(input_shape)
        self.descriptions = []
        self.rows = []
        self.error = ""
        for desc in layers:
            self.add(desc)

    @staticmethod
    def _check_shape(shape):
        if (not isinstance(shape, (tuple, list)) or len(shape) != 3
                or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1
                           for s in shape)):
            raise ValueError(f"input_shape must be (rows, cols, channels) of positive ints; "
                             f"got {shape!r}")
        return tuple(int(s) for s in shape)

    def model(self, descriptions=None):
        """A freshly built :class:`cnnlab.Sequential` (float32) for the current layers."""
        from cnnlab import Sequential

        descs = self.descriptions if descriptions is None else descriptions
        m = Sequential(dtype=np.float32)
        for desc in descs:
            m.add(_layer_from(desc)[0])
        if descs:
            m.build(self.input_shape)
        return m

    def _recompute(self):
        if not self.descriptions:
            self.rows = []
            return
        m = self.model()
        rows = []
        for layer in m.layers:
            shape = layer.output_shape
            rows.append({
                "name": layer.name,
                "output_shape": shape,
                "params": int(layer.count_params()),
                "arithmetic": layer.arithmetic(),
                "macs": int(layer.macs()),
                "activations": int(np.prod(shape[1:])),
            })
        self.rows = rows

    def add(self, desc=None, **kwargs):
        """Append a layer, e.g. ``add(kind="conv", filters=60, kernel=7, padding="same")``.

        An impossible layer (a pool window larger than the map, a conv on a flat vector...)
        raises ``ValueError`` and leaves the network unchanged."""
        desc = dict(desc or {}, **kwargs)
        _, clean = _layer_from(desc)
        old = list(self.descriptions)
        self.descriptions.append(clean)
        try:
            self._recompute()
        except ValueError:
            self.descriptions = old
            self._recompute()
            raise
        return self

    def pop(self):
        """Remove the last layer (nothing happens if there is none)."""
        if self.descriptions:
            self.descriptions.pop()
            self._recompute()
        return self

    def reset(self, input_shape=None, layers=()):
        """Start again, optionally with a new input shape and layers."""
        if input_shape is not None:
            self.input_shape = self._check_shape(input_shape)
        self.descriptions = []
        self._recompute()
        for desc in layers:
            self.add(desc)
        return self

    def set_input_shape(self, input_shape):
        """Change the input shape, keeping the layers (ValueError if they no longer fit)."""
        new = self._check_shape(input_shape)
        old = self.input_shape
        self.input_shape = new
        try:
            self._recompute()
        except ValueError:
            self.input_shape = old
            self._recompute()
            raise
        return self

    @property
    def total_params(self):
        """The number of parameters of the network built so far (sum over its rows)."""
        return sum(r["params"] for r in self.rows)

    @property
    def total_macs(self):
        """The multiply-adds of one forward pass of one image through the network built so far."""
        return sum(r["macs"] for r in self.rows)

    def table_html(self):
        """The current table as HTML (what the panel shows)."""
        head = ("<tr><th>layer</th><th>output shape</th><th>parameters</th>"
                "<th>arithmetic</th><th>multiply-adds</th><th>activations</th></tr>")
        body = [f"<tr><td>input</td><td>(None, {', '.join(map(str, self.input_shape))})</td>"
                f"<td>0</td><td></td><td></td><td>{int(np.prod(self.input_shape)):,}</td></tr>"]
        for r in self.rows:
            shape = "(" + ", ".join("None" if s is None else str(s) for s in r["output_shape"]) + ")"
            body.append(f"<tr><td>{r['name']}</td><td>{shape}</td><td>{r['params']:,}</td>"
                        f"<td>{r['arithmetic']}</td><td>{r['macs']:,}</td>"
                        f"<td>{r['activations']:,}</td></tr>")
        foot = (f"<tr><th>total</th><th></th><th>{self.total_params:,}</th><th></th>"
                f"<th>{self.total_macs:,}</th><th></th></tr>")
        err = f"<p style='color:#b00'>{self.error}</p>" if self.error else ""
        return (err + "<table style='font-family:monospace'>" + head + "".join(body) + foot
                + "</table>")


def q2_reading(padding="same", pool=2, flatten=False, output_unit=False):
    """The seed q2's network under one reading of the question, as builder descriptions.

    Inputs: ``padding`` of both convolutions ("valid" or "same"), the pooling size ``pool``
    (an int), whether a ``Flatten`` comes before the dense layers, whether the single sigmoid
    output unit is there.  ``q2_reading()`` is :data:`Q2_AS_CODED`."""
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}")
    descs = [dict(d, padding=padding) if d["kind"] == "conv" else dict(d) for d in Q2_AS_CODED]
    descs[2]["pool"] = _pos_int(pool, "pool")
    if flatten:
        descs.insert(3, {"kind": "flatten"})
    if output_unit:
        descs.append({"kind": "dense", "units": 1, "activation": "sigmoid"})
    return descs


def draw_network(builder, ax):
    """Parameters per layer of ``builder`` as bars on ``ax`` (log scale), each labelled with its
    arithmetic and output shape; the title gives the input and the totals.  Bar ``i`` has
    height ``rows[i]['params']`` (a zero is drawn as a grey stub).  Returns ``ax``."""
    b = builder
    names = [r["name"] for r in b.rows]
    params = [r["params"] for r in b.rows]
    heights = [max(p, 0.8) for p in params]  # a zero still shows as a stub on the log axis
    bars = ax.bar(range(len(names)), heights, color=["#4c72b0" if p else "#bbbbbb" for p in params])
    ax.set_yscale("log")
    ax.set_ylim(0.5, max(heights + [1.0]) * 60)
    for i, (bar, r) in enumerate(zip(bars, b.rows)):
        shape = "×".join(str(s) for s in r["output_shape"][1:])
        ax.text(i, bar.get_height() * 1.4, f"{r['arithmetic']}\nout {shape}", ha="center",
                va="bottom", fontsize=7)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel("trainable parameters (log)")
    ax.set_title(f"input {'×'.join(map(str, b.input_shape))} → {len(b.rows)} layers: "
                 f"{b.total_params:,} parameters, {b.total_macs:,} multiply-adds", fontsize=9)
    return ax


#: size of the panel's figure in inches
FIGSIZE = (8.5, 3.6)


def frame(builder, figsize=FIGSIZE):
    """One frame of the panel for ``builder``: (PNG bytes, alt text, caption HTML with the
    table), the figure drawn by :func:`draw_network`."""
    Figure = require("matplotlib.figure", "(widgets)").Figure

    from . import _frames

    fig = Figure(figsize=figsize)
    draw_network(builder, fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    parts = ", ".join(f"{r['name']} {r['params']:,}" for r in builder.rows)
    alt = (f"Bar chart on a log scale of the parameters per layer for input "
           f"{'×'.join(map(str, builder.input_shape))}: {parts}; in all {builder.total_params:,} "
           f"parameters and {builder.total_macs:,} multiply-adds per image.")
    return _frames.png(fig), alt, builder.table_html()


#: the panel's grid: every reading of the question (2 × 2 × 2 × 2), each built layer by layer
PANEL_GRID = {"padding": ("same", "valid"), "pool": (2, 4), "flatten": (False, True),
              "output_unit": (False, True)}

#: the sentence under the free builder's controls on the website
KERNEL_REASON = ("Building a network of your own runs Python: these controls work in Jupyter "
                 "(Lab, Binder, Colab), not on this website, which shows the readings above.")


def builder_controls(builder=None):
    """The free builder (needs a running kernel): input rows/cols/channels, a layer kind,
    filters/units, kernel/pool size, padding, activation, and the buttons *add*, *remove last*,
    *reset*.  Returns the ``VBox``; the state is ``box.builder``, the controls ``box.controls``
    (a dict) and the table ``box.html``."""
    W = require("ipywidgets", "(widgets)")

    b = builder if builder is not None else NetworkBuilder((100, 100, 1), Q2_AS_CODED)
    c = {
        "rows": W.BoundedIntText(value=b.input_shape[0], min=1, max=512, description="rows"),
        "cols": W.BoundedIntText(value=b.input_shape[1], min=1, max=512, description="cols"),
        "channels": W.BoundedIntText(value=b.input_shape[2], min=1, max=512,
                                     description="channels"),
        "kind": W.Dropdown(options=list(KINDS), value="conv", description="layer"),
        "size": W.BoundedIntText(value=16, min=1, max=4096, description="filters/units"),
        "kernel": W.BoundedIntText(value=3, min=1, max=64, description="kernel/pool"),
        "padding": W.Dropdown(options=["valid", "same"], value="valid", description="padding"),
        "activation": W.Dropdown(options=["relu", "tanh", "sigmoid", "softmax", "linear"],
                                 value="relu", description="activation"),
        "add": W.Button(description="add layer", button_style="success"),
        "pop": W.Button(description="remove last"),
        "reset": W.Button(description="reset"),
    }
    html = W.HTML(b.table_html())

    def refresh():
        html.value = b.table_html()

    def on_add(_):
        kind = c["kind"].value
        desc = {"kind": kind}
        if kind == "conv":
            desc.update(filters=c["size"].value, kernel=c["kernel"].value,
                        padding=c["padding"].value, activation=c["activation"].value)
        elif kind in ("maxpool", "avgpool", "subsampling"):
            desc.update(pool=c["kernel"].value)
        elif kind == "dense":
            desc.update(units=c["size"].value, activation=c["activation"].value)
        try:
            b.add(desc)
            b.error = ""
        except ValueError as exc:
            b.error = f"not added: {exc}"
        refresh()

    def on_pop(_):
        b.pop()
        b.error = ""
        refresh()

    def on_reset(_):
        b.reset()
        b.error = ""
        refresh()

    def on_shape(_):
        try:
            b.set_input_shape((c["rows"].value, c["cols"].value, c["channels"].value))
            b.error = ""
        except ValueError as exc:
            b.error = f"input shape not changed: {exc}"
        refresh()

    c["add"].on_click(on_add)
    c["pop"].on_click(on_pop)
    c["reset"].on_click(on_reset)
    for key in ("rows", "cols", "channels"):
        c[key].observe(on_shape, names="value")

    box = W.VBox([
        W.HBox([c["rows"], c["cols"], c["channels"]]),
        W.HBox([c["kind"], c["size"], c["kernel"]]),
        W.HBox([c["padding"], c["activation"]]),
        W.HBox([c["add"], c["pop"], c["reset"]]),
        html,
    ])
    box.builder, box.controls, box.html = b, c, html
    return box


def readings_panel(grid=None, figsize=FIGSIZE):
    """The seed q2's network under every reading in ``grid`` (default :data:`PANEL_GRID`: padding,
    pooling size, ``Flatten``, output unit), built one layer at a time: a slider *layers built*
    per reading (starting at the whole network).  Every frame is drawn ahead by :func:`frame`
    (works on the website with no kernel).  Returns the panel ``VBox`` (``.choices``,
    ``.select(...)``, ``.current()``, ``.current_values()``, ``.frames``)."""
    from . import _frames

    grid = dict(PANEL_GRID if grid is None else grid)
    names = ("padding", "pool", "flatten", "output_unit")
    if set(grid) != set(names):
        raise ValueError(f"grid must have the keys {names}; got {sorted(grid)}")
    yes_no = lambda vals: ["yes" if v else "no" for v in vals]  # noqa: E731
    top = [_frames.Choice("padding", grid["padding"], description="padding", kind="toggle"),
           _frames.Choice("pool", grid["pool"], [f"{p}×{p}" for p in grid["pool"]],
                          description="pooling", kind="toggle"),
           _frames.Choice("flatten", grid["flatten"], yes_no(grid["flatten"]),
                          description="Flatten before Dense", kind="toggle"),
           _frames.Choice("output_unit", grid["output_unit"], yes_no(grid["output_unit"]),
                          description="output unit", kind="toggle")]

    def reading(v):
        return q2_reading(v["padding"], v["pool"], v["flatten"], v["output_unit"])

    def depth(v):
        n = len(reading(v))
        return [_frames.Choice("layers", range(1, n + 1), value=n, description="layers built")]

    def render(layers, **v):
        return frame(NetworkBuilder((100, 100, 1), reading(v)[:layers]), figsize)

    return _frames.frame_panel([top, depth], render)


def panel(builder=None, grid=None):
    """The chapter's panel: :func:`readings_panel` (every control works on the website), then the
    free builder :func:`builder_controls` around ``builder`` (default: q2's code as written),
    which needs a running kernel and is switched off on the website with one sentence why
    (:data:`KERNEL_REASON`).

    Returns a ``VBox`` with ``.readings`` (the frame panel), and, for the free builder,
    ``.builder``, ``.controls`` (a dict) and ``.html``."""
    W = require("ipywidgets", "(widgets)")

    from . import _frames

    readings = readings_panel(grid)
    free = builder_controls(builder)
    box = W.VBox([readings, W.HTML("<p><b>Your own network</b> (add layers one by one):</p>"),
                  _frames.kernel_only([free], KERNEL_REASON)])
    box.readings = readings
    box.builder, box.controls, box.html = free.builder, free.controls, free.html
    return box


def static_network_builder(builder=None, figsize=(8.5, 3.6)):
    """Parameters per layer (log scale) with the arithmetic and output shapes, as a figure.

    Inputs:
    - builder: a :class:`NetworkBuilder` (default: the seed q2's code as written, 100x100x1)
    - figsize: Matplotlib figure size in inches

    Returns the Matplotlib figure (one axis; bar ``i`` has height ``rows[i]['params']``),
    drawn by :func:`draw_network`.
    """
    plt = require("matplotlib.pyplot", "(widgets)")

    b = builder if builder is not None else NetworkBuilder((100, 100, 1), Q2_AS_CODED)
    fig, ax = plt.subplots(figsize=figsize)
    draw_network(b, ax)
    fig.tight_layout()
    return fig


def picture_weight_sharing(n=8, k=3, figsize=(8.5, 3.0)):
    """Intuition picture for chapter 3: one kernel, reused at every position of the input.

    Draws an ``n``×``n`` input map with two ``k``×``k`` windows, the single ``k``×``k`` kernel
    they both use, and the ``(n-k+1)``×``(n-k+1)`` output map with the two results.  Returns the
    figure (three axes: input, kernel, output)."""
    plt = require("matplotlib.pyplot", "(widgets)")
    Rectangle = require("matplotlib.patches", "(widgets)").Rectangle

    from ..shapes import conv_output_size

    m = conv_output_size(n, k)
    fig, axes = plt.subplots(1, 3, figsize=figsize,
                             gridspec_kw={"width_ratios": [n, k + 2, m]})
    spots = [((0, 0), "#d62728"), ((3, 4), "#1f77b4")]

    def grid(ax, size, title):
        for i in range(size + 1):
            ax.plot([0, size], [i, i], color="#999999", lw=0.6)
            ax.plot([i, i], [0, size], color="#999999", lw=0.6)
        ax.set_xlim(-0.2, size + 0.2)
        ax.set_ylim(size + 0.2, -0.2)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=9)

    grid(axes[0], n, f"input map {n}×{n} (one of c_in)")
    for (r, c), col in spots:
        axes[0].add_patch(Rectangle((c, r), k, k, fill=True, alpha=0.25, color=col))
        axes[0].add_patch(Rectangle((c, r), k, k, fill=False, lw=2, color=col))
    ax = axes[1]
    for i in range(k + 1):
        ax.plot([1, k + 1], [i + 1, i + 1], color="k", lw=0.8)
        ax.plot([i + 1, i + 1], [1, k + 1], color="k", lw=0.8)
    for a in range(k):
        for b in range(k):
            ax.text(b + 1.5, a + 1.5, f"$k_{{{a}{b}}}$", ha="center", va="center", fontsize=8)
    ax.set_xlim(0, k + 2)
    ax.set_ylim(k + 2, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"one kernel: {k}·{k} weights\nper input map, + 1 bias", fontsize=9)
    grid(axes[2], m, f"output map {m}×{m}")
    for (r, c), col in spots:
        axes[2].add_patch(Rectangle((c, r), 1, 1, color=col, alpha=0.8))
    fig.suptitle("the same weights are used at every position: the count does not depend on "
                 "the image size", fontsize=9)
    fig.tight_layout()
    return fig
