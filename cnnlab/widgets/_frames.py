"""Precomputed frames: one widget panel that works the same in Jupyter and on the static website.

A panel here is a set of *controls* (sliders, dropdowns, toggle buttons, each choosing one value
from a finite list) and a *frame* for every combination of their values.  Every frame is drawn
when the notebook runs, by the same drawing function a live redraw would call, and stored in
the page as a PNG inside an ``ipywidgets.HTML`` widget (an ``<img>`` with an ``alt`` text, and a
line of text under it).  The frames sit in nested ``ipywidgets.Stack`` widgets, one level per
control, and each control is linked to the ``selected_index`` of every stack of its level with
``ipywidgets.jslink``.  A link made with ``jslink`` runs in the browser, so on the website (no
kernel, widget state only) moving a control shows the matching frame; in Jupyter the same
links run in the front end, and a Python observer keeps the kernel's copy in step (that is also
what tests use, without a browser).

Controls whose range depends on other controls (the window position when the padding changes)
go into a *level* built per combination of the controls before it: :func:`frame_panel` takes
``levels``, a list whose items are either a list of :class:`Choice` (controls shown once, at the
top) or a function ``values -> list of Choice`` (controls built inside every child of the
previous level, with the options that fit).

Each frame's outer element carries ``data-key="name=label|name=label…"``, the labels of the
control values it was drawn for; the browser tests compare it with what the controls show.
"""
from __future__ import annotations

import base64
import html as _html
import io
import itertools

from .._extras import require

__all__ = ["Choice", "frame_panel", "png", "frame_html", "frame_key", "png_of_frame",
           "state_bytes", "kernel_only"]

#: class of every panel made here (the site's script and the browser tests find panels by it)
PANEL_CLASS = "cnnlab-panel"


def png(fig, dpi=72, colors=16):
    """The Matplotlib figure ``fig`` as PNG bytes with a palette of at most ``colors`` colours.

    The palette keeps a frame about a quarter of the size of a full-colour PNG (the frames of a
    chapter share a budget of about 2 MB of widget state); the figures are flat colours and text.
    Deterministic: the same figure gives the same bytes."""
    Image = require("PIL.Image", "(widgets)")

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    im = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out = io.BytesIO()
    im.quantize(colors=int(colors), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) \
      .save(out, format="PNG", optimize=True)
    return out.getvalue()


class Choice:
    """One control: a name, the values it can take, their labels and the widget.

    Inputs:
    - name: key of the value passed to the drawing function (letters, digits, ``_``)
    - values: the finite list of values (the grid of this control)
    - labels: what the control shows for each value (default ``str(value)``); no ``|``
    - value: the value selected first (default the first)
    - description: the control's label (also its accessible name)
    - kind: "slider" (``SelectionSlider``), "dropdown" (``Dropdown``) or "toggle"
      (``ToggleButtons``)

    The widget's options are ``(label, index)`` pairs, so its ``index`` (what ``jslink`` links to
    the stacks' ``selected_index``) and its ``value`` are the position in ``values``.
    """

    def __init__(self, name, values, labels=None, value=None, description=None, kind="slider"):
        w = require("ipywidgets", "(widgets)")

        self.name = str(name)
        if not self.name.replace("_", "").isalnum():
            raise ValueError(f"name must be letters, digits or '_'; got {name!r}")
        self.values = list(values)
        if not self.values:
            raise ValueError(f"values of control {name!r} must not be empty")
        self.labels = [str(v) for v in self.values] if labels is None else [str(s) for s in labels]
        if len(self.labels) != len(self.values):
            raise ValueError(f"labels of control {name!r}: {len(self.labels)} labels for "
                             f"{len(self.values)} values")
        bad = [s for s in self.labels if "|" in s]
        if bad or len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels of control {name!r} must be distinct and free of '|'; "
                             f"got {self.labels}")
        start = 0 if value is None else self._position(value)
        desc = self.name if description is None else description
        options = list(zip(self.labels, range(len(self.values))))
        style = {"description_width": "initial"}
        if kind == "slider":
            self.widget = w.SelectionSlider(options=options, value=start, description=desc,
                                            continuous_update=True, style=style)
        elif kind == "dropdown":
            self.widget = w.Dropdown(options=options, value=start, description=desc, style=style)
        elif kind == "toggle":
            self.widget = w.ToggleButtons(options=options, value=start, description=desc,
                                          style=style)
        else:
            raise ValueError(f"kind must be 'slider', 'dropdown' or 'toggle'; got {kind!r}")
        self.kind = kind
        self.widget.add_class(f"cnnlab-ctl-{self.name}")

    def _position(self, value):
        for i, v in enumerate(self.values):
            if v == value or (isinstance(v, float) and isinstance(value, (int, float))
                              and abs(v - value) < 1e-12):
                return i
        raise ValueError(f"value of control {self.name!r} must be one of {self.values}; "
                         f"got {value!r}")

    @property
    def index(self):
        """Position of the selected value in ``values`` (the widget's ``index``)."""
        return self.widget.index

    @property
    def value(self):
        """The value now selected (from ``values``)."""
        return self.values[self.widget.index]

    def select(self, value):
        """Select ``value`` (one of ``values``), as a reader moving the control would."""
        self.widget.index = self._position(value)


def frame_key(choices, indices):
    """``"name=label|…"`` for the controls ``choices`` at positions ``indices``."""
    return "|".join(f"{c.name}={c.labels[i]}" for c, i in zip(choices, indices))


def frame_html(png_bytes, alt, caption="", key=""):
    """The HTML of one frame: the PNG inline (``data:`` URI) with its ``alt`` text, then the
    caption (HTML, may hold ``$…$`` maths)."""
    if not alt or not str(alt).strip():
        raise ValueError("alt must describe the frame (a non-empty text)")
    src = "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")
    cap = f'<div class="cnnlab-caption">{caption}</div>' if caption else ""
    return (f'<div class="cnnlab-frame" data-key="{_html.escape(key, quote=True)}">'
            f'<img src="{src}" alt="{_html.escape(str(alt), quote=True)}" '
            f'style="max-width:100%;height:auto">{cap}</div>')


def png_of_frame(frame):
    """The PNG bytes inside a frame widget's HTML (what the website shows)."""
    value = frame.value
    start = value.index("data:image/png;base64,") + len("data:image/png;base64,")
    return base64.b64decode(value[start:value.index('"', start)])


def _link(choice, stacks):
    """Link ``choice`` to the ``selected_index`` of every stack: jslink for the browser, an
    observer for the kernel's copy."""
    w = require("ipywidgets", "(widgets)")

    for st in stacks:
        w.jslink((choice.widget, "index"), (st, "selected_index"))

    def mirror(change):
        for st in stacks:
            st.selected_index = change["new"]

    choice.widget.observe(mirror, names="index")


def kernel_only(widgets, reason):
    """Controls that need Python running (free text, buttons that rebuild a model): they work
    in Jupyter; on the website the site's script switches them off and ``reason`` (one
    sentence, shown under them) says why.  Returns a ``VBox``."""
    w = require("ipywidgets", "(widgets)")

    note = w.HTML(f'<p class="cnnlab-kernel-note">{_html.escape(reason)}</p>')
    box = w.VBox(list(widgets) + [note])
    box.add_class("cnnlab-kernel-only")
    return box


class _Level:
    def __init__(self, spec):
        self.fixed = not callable(spec)
        self.spec = spec


def frame_panel(levels, render, header=None, footer=None, math=False):
    """Build the panel.

    Inputs:
    - levels: list; each item a list of :class:`Choice` (shown at the top of the panel) or a
      function ``values -> list of Choice`` called for each combination of the values of the
      levels before it (those controls are shown inside that combination's child)
    - render: ``render(**values) -> (png_bytes, alt, caption_html)`` — draws one frame with
      the widget's drawing function (``values`` maps every control name to its value)
    - header, footer: optional widgets placed above the controls / below the frames
    - math: frames are ``HTMLMath`` widgets (captions with ``\\(…\\)``/``\\[…\\]`` maths,
      typeset by Jupyter's MathJax and by the website's)

    Returns an ``ipywidgets.VBox`` (class ``cnnlab-panel``) with the attributes
    ``.choices`` (dict name -> :class:`Choice` of the top-level controls), ``.frames`` (dict
    frame key -> frame widget), ``.current()`` (the frame the controls select now),
    ``.current_values()`` (dict of the values now selected, all levels) and
    ``.select(**values)`` (move the controls, top level first).
    """
    w = require("ipywidgets", "(widgets)")

    levels = [_Level(s) for s in levels]
    frames = {}
    top = [c for lv in levels if lv.fixed for c in lv.spec]
    if len({c.name for c in top}) != len(top):
        raise ValueError("control names must be distinct")

    # Build level by level so each choice is linked to every stack of its own position.
    registry = {}
    # One Layout and one style shared by every frame (and one Layout by every stack): each
    # widget otherwise stores its own models, ~1.6 kB of JSON per frame (a fifth of ch01's state).
    frame_cls = w.HTMLMath if math else w.HTML
    frame_layout, stack_layout = w.Layout(), w.Layout()
    HTMLMathStyle = require("ipywidgets.widgets.widget_string", "(widgets)").HTMLMathStyle
    HTMLStyle = require("ipywidgets.widgets.widget_string", "(widgets)").HTMLStyle

    frame_style = (HTMLMathStyle if math else HTMLStyle)()

    def build_linked(li, chosen, values):
        if li == len(levels):
            key = frame_key([c for c, _ in chosen], [i for _, i in chosen])
            png_bytes, alt, caption = render(**values)
            fr = frame_cls(frame_html(png_bytes, alt, caption, key), layout=frame_layout,
                           style=frame_style)
            fr.add_class("cnnlab-frame-box")
            frames[key] = fr
            return fr
        lv = levels[li]
        choices = lv.spec if lv.fixed else lv.spec(dict(values))
        names = {c.name for c, _ in chosen}
        if any(c.name in names for c in choices):
            raise ValueError("control names must be distinct across levels")
        body = nest_linked(li, choices, 0, chosen, values)
        if lv.fixed or not choices:
            return body
        box = w.VBox([w.HBox([c.widget for c in choices]), body])
        box.add_class("cnnlab-local")
        return box

    def nest_linked(li, choices, ci, chosen, values):
        if ci == len(choices):
            return build_linked(li + 1, chosen, values)
        c = choices[ci]
        children = [nest_linked(li, choices, ci + 1, chosen + [(c, i)], {**values, c.name: v})
                    for i, v in enumerate(c.values)]
        st = w.Stack(children, selected_index=c.index, layout=stack_layout)
        registry.setdefault(id(c), (c, []))[1].append(st)
        return st

    body = build_linked(0, [], {})
    for c, stacks in registry.values():
        _link(c, stacks)
    parts = [] if header is None else [header]
    if top:
        parts.append(w.HBox([c.widget for c in top], layout=w.Layout(flex_flow="row wrap")))
    parts.append(body)
    if footer is not None:
        parts.append(footer)
    box = w.VBox(parts)
    box.add_class(PANEL_CLASS)
    box.choices = {c.name: c for c in top}
    box.frames = frames
    box.body = body

    def walk():
        """(frame widget, values) that the controls select now, following the stacks."""
        node, vals = body, {}
        while True:
            if isinstance(node, w.Stack):
                node = node.children[node.selected_index]
            elif isinstance(node, w.VBox) and "cnnlab-local" in node._dom_classes:
                node = node.children[1]
            else:
                return node

    def current_values():
        fr = walk()
        key = _html.unescape(fr.value.split('data-key="', 1)[1].split('"', 1)[0])
        out = {}
        for part in key.split("|") if key else []:
            name, label = part.split("=", 1)
            out[name] = label
        return out

    def select(**values):
        """Move the controls to ``values`` (names of any level; top-level first)."""
        pending = dict(values)
        for name in list(pending):
            if name in box.choices:
                box.choices[name].select(pending.pop(name))
        if pending:
            for c in local_choices():
                if c.name in pending:
                    c.select(pending.pop(c.name))
        if pending:
            raise ValueError(f"no control named {sorted(pending)} in this panel "
                             f"(controls: {sorted(box.choices)} and local ones)")

    def local_choices():
        """The local controls visible now (those of the selected children)."""
        out, node = [], body
        while True:
            if isinstance(node, w.Stack):
                node = node.children[node.selected_index]
            elif isinstance(node, w.VBox) and "cnnlab-local" in node._dom_classes:
                for ctl in node.children[0].children:
                    for c, _ in registry.values():
                        if c.widget is ctl:
                            out.append(c)
                node = node.children[1]
            else:
                return out

    box.current = walk
    box.current_values = current_values
    box.select = select
    box.local_choices = local_choices
    return box


def state_bytes(widget):
    """Bytes of the JSON widget state of ``widget`` and every widget below it, their layout and
    style models included (each shared model once): about what a notebook stores for it; the
    frames' PNGs are base64 text inside the HTML values.  The ``jslink`` models are not
    counted (about 500 bytes per stack)."""
    import json

    w = require("ipywidgets", "(widgets)")

    seen, todo, total = set(), [widget], 0
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        todo.extend(getattr(x, "children", ()))
        todo.extend(v for v in (getattr(x, "layout", None), getattr(x, "style", None))
                    if isinstance(v, w.Widget))
        total += len(json.dumps(x.get_state(), default=str))
    return total
