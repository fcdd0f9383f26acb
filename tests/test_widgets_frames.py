"""The precomputed-frame mechanism (cnnlab.widgets._frames): controls pick frames through
nested stacks linked in the browser (jslink) and, without a browser, through the kernel mirror."""
import base64
import json

import numpy as np
import pytest

w = pytest.importorskip("ipywidgets")
from matplotlib.figure import Figure  # noqa: E402

from cnnlab.widgets import _frames  # noqa: E402


def _render_counter(calls):
    def render(**v):
        calls.append(dict(v))
        fig = Figure(figsize=(1, 1))
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, repr(sorted(v.items())), ha="center")
        return _frames.png(fig), f"frame {sorted(v.items())}", f"<b>{sorted(v.items())}</b>"
    return render


def test_every_combination_drawn_once_and_selected_by_the_controls():
    calls = []
    a = _frames.Choice("a", [1, 2, 3], kind="toggle")
    b = _frames.Choice("b", ["x", "y"], kind="dropdown")
    box = _frames.frame_panel([[a, b]], _render_counter(calls))
    assert sorted(map(lambda d: (d["a"], d["b"]), calls)) == [(i, s) for i in (1, 2, 3) for s in "xy"]
    assert len(box.frames) == 6
    for i in (1, 2, 3):
        for s in "xy":
            box.select(a=i, b=s)
            assert box.current_values() == {"a": str(i), "b": s}
            assert f"[(&#x27;a&#x27;, {i}), (&#x27;b&#x27;, &#x27;{s}&#x27;)]" in box.current().value


def test_links_are_jslinks_from_each_control_to_every_stack_of_its_level():
    """What the website runs: one LinkModel per (control, stack), control ``index`` ->
    stack ``selected_index``; the stacks nest a (outer) then b."""
    from ipywidgets.widgets.widget_link import Link
    a = _frames.Choice("a", [1, 2, 3])
    b = _frames.Choice("b", [0, 1])
    before = set(w.Widget.widgets)
    box = _frames.frame_panel([[a, b]], _render_counter([]))
    links = [x for k, x in w.Widget.widgets.items() if k not in before and isinstance(x, Link)]
    pairs = [(l.source[0], l.source[1], l.target[0], l.target[1]) for l in links]
    outer = box.body
    assert isinstance(outer, w.Stack) and len(outer.children) == 3
    assert (a.widget, "index", outer, "selected_index") in pairs
    for inner in outer.children:
        assert isinstance(inner, w.Stack) and len(inner.children) == 2
        assert (b.widget, "index", inner, "selected_index") in pairs
    assert len(pairs) == 4


def test_local_level_has_its_own_range():
    calls = []
    n = _frames.Choice("n", [1, 3])
    box = _frames.frame_panel([[n], lambda v: [_frames.Choice("i", range(v["n"]))]],
                              _render_counter(calls))
    assert len(box.frames) == 1 + 3
    box.select(n=3)
    (i,) = box.local_choices()
    assert i.values == [0, 1, 2]
    box.select(i=2)
    assert box.current_values() == {"n": "3", "i": "2"}
    box.select(n=1)
    assert box.current_values() == {"n": "1", "i": "0"}


def test_frame_html_holds_png_and_alt():
    fig = Figure(figsize=(1, 1))
    png = _frames.png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert _frames.png(fig) == png  # deterministic
    h = _frames.frame_html(png, 'a "quoted" alt', "cap", "k=v")
    assert 'alt="a &quot;quoted&quot; alt"' in h and 'data-key="k=v"' in h
    fr = w.HTML(h)
    assert _frames.png_of_frame(fr) == png
    with pytest.raises(ValueError, match="alt"):
        _frames.frame_html(png, "  ")


def test_bad_choices():
    with pytest.raises(ValueError, match="values"):
        _frames.Choice("a", [])
    with pytest.raises(ValueError, match="labels"):
        _frames.Choice("a", [1, 2], labels=["x|1", "y"])
    with pytest.raises(ValueError, match="labels"):
        _frames.Choice("a", [1, 2], labels=["x"])
    with pytest.raises(ValueError, match="kind"):
        _frames.Choice("a", [1, 2], kind="knob")
    with pytest.raises(ValueError, match="one of"):
        _frames.Choice("a", [1, 2], value=5)
    with pytest.raises(ValueError, match="name"):
        _frames.Choice("a b", [1])
    a = _frames.Choice("a", [1, 2])
    box = _frames.frame_panel([[a]], _render_counter([]))
    with pytest.raises(ValueError, match="no control named"):
        box.select(z=1)


def test_kernel_only_note():
    box = _frames.kernel_only([w.Button(description="go")], "Runs Python: Jupyter only.")
    assert "cnnlab-kernel-only" in box._dom_classes
    assert "Runs Python: Jupyter only." in box.children[-1].value


def test_state_bytes_counts_the_frames():
    a = _frames.Choice("a", [1, 2])
    box = _frames.frame_panel([[a]], _render_counter([]))
    n = _frames.state_bytes(box)
    frames = sum(len(json.dumps(f.get_state())) for f in box.frames.values())
    assert n > frames > 0


def test_frames_share_one_layout_and_style():
    """Every frame (and every stack) of a panel points at one Layout and one style model, so
    the stored state holds them once; state_bytes counts each shared model once."""
    a = _frames.Choice("a", [1, 2, 3, 4])
    b = _frames.Choice("b", [0, 1, 2])
    box = _frames.frame_panel([[a, b]], _render_counter([]))
    frames = list(box.frames.values())
    assert len({id(f.layout) for f in frames}) == 1
    assert len({id(f.style) for f in frames}) == 1
    stacks = [box.body] + list(box.body.children)
    assert len({id(s.layout) for s in stacks}) == 1
    # state_bytes counts the layout and style models, each shared one once
    seen, todo = {}, [box]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen[id(x)] = x
        todo.extend(getattr(x, "children", ()))
        todo.extend(v for v in (getattr(x, "layout", None), getattr(x, "style", None))
                    if isinstance(v, w.Widget))
    assert frames[0].layout in seen.values() and frames[0].style in seen.values()
    assert _frames.state_bytes(box) == sum(len(json.dumps(x.get_state(), default=str))
                                           for x in seen.values())
    # frames 1, stacks 1, two controls, the controls' row and the panel: 6 for 12 frames
    assert sum(isinstance(x, w.Layout) for x in seen.values()) == 6 < len(frames) == 12
