"""The widget state a notebook stores, which is what the website shows: find the panel that a
code cell displays and measure it, without drawing it again (nbval re-runs the cell anyway)."""
import json
from dataclasses import dataclass
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BOOK = Path(__file__).resolve().parents[1] / "book"


@dataclass
class StoredPanel:
    models: int      # widget models reachable from the displayed one (layouts and styles too)
    bytes: int       # their JSON state, each model once: what the page carries
    frames: int      # HTML models holding a frame (the ``data-key`` of cnnlab.widgets._frames)


def _refs(value):
    """Model ids referenced from a state value ("IPY_MODEL_<id>", also inside lists)."""
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        yield value[len("IPY_MODEL_"):]
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)


def stored_panel(notebook, code):
    """The stored panel displayed by the one code cell of ``book/<notebook>`` whose source is
    ``code`` (stripped).  AssertionError if there is no such cell, view or state."""
    nb = json.loads((BOOK / notebook).read_text(encoding="utf-8"))
    state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip() == code]
    assert len(cells) == 1, f"{notebook}: {len(cells)} code cells are {code!r}"
    views = [o["data"][WIDGET_VIEW]["model_id"] for o in cells[0].get("outputs", [])
             if WIDGET_VIEW in o.get("data", {})]
    assert len(views) == 1, f"{notebook}: the cell {code!r} stores {len(views)} widget views"
    seen, todo = set(), [views[0]]
    while todo:
        mid = todo.pop()
        if mid in seen:
            continue
        assert mid in state, f"{notebook}: model {mid} is referenced but not stored"
        seen.add(mid)
        for v in state[mid]["state"].values():
            todo.extend(_refs(v))
    frames = sum(1 for m in seen if state[m]["model_name"] == "HTMLModel"
                 and "data-key=" in state[m]["state"].get("value", ""))
    size = sum(len(json.dumps(state[m]["state"])) for m in seen)
    return StoredPanel(models=len(seen), bytes=size, frames=frames)
