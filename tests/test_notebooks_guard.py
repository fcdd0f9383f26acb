"""Guard the notebooks against mistakes that nbval and the book build both let through.

* A notebook stored without outputs passes nbval silently (unexecuted cells are not compared).
* A widget view whose state is not stored in the notebook metadata vanishes from the website
  without a warning.
* A check cell (``assert`` / ``np.testing``) tagged ``nbval-ignore-output`` or ``nbval-skip``
  would no longer be checked by ``make test``.
* A notebook missing from ``_toc.yml`` is silently left out of the website.
* A stored error output means the committed notebook did not run cleanly.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stored_widgets import BOOK, WIDGET_STATE, WIDGET_VIEW  # one home of these names

ROOT = BOOK.parent
CHECK = re.compile(r"(^|\s)assert\b|\bnp\.testing\b|\bnumpy\.testing\b", re.M)
UNCHECKED_TAGS = {"nbval-ignore-output", "nbval-skip"}


def book_notebooks() -> list[Path]:
    return sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def toc_files() -> set[str]:
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    found.add(str(Path(node[key]).with_suffix("")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def code_cells(nb):
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            yield index, cell


NOTEBOOKS = book_notebooks()
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def unexecuted_cells(nb) -> list[int]:
    return [i for i, c in code_cells(nb)
            if source(c).strip() and c.get("execution_count") is None]


def views_without_state(nb) -> list[tuple[int, str]]:
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = []
    for i, cell in code_cells(nb):
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is not None and view.get("model_id") not in state:
                missing.append((i, view.get("model_id")))
    return missing


def unchecked_check_cells(nb) -> list[int]:
    return [i for i, c in code_cells(nb)
            if CHECK.search(source(c))
            and UNCHECKED_TAGS & set(c.get("metadata", {}).get("tags", []))]


def error_cells(nb) -> list[int]:
    return [i for i, c in code_cells(nb)
            if "raises-exception" not in c.get("metadata", {}).get("tags", [])
            and any(o.get("output_type") == "error" for o in c.get("outputs", []))]


# --- the guard's own checks, on small hand-made notebooks (so it cannot pass vacuously) -----

def _cell(src, count=1, outputs=(), tags=()):
    return {"cell_type": "code", "source": src, "execution_count": count,
            "outputs": list(outputs), "metadata": {"tags": list(tags)}}


def _view(model_id):
    return {"output_type": "display_data", "metadata": {},
            "data": {WIDGET_VIEW: {"model_id": model_id, "version_major": 2}}}


def test_guard_detects_each_problem():
    nb = {"metadata": {"widgets": {WIDGET_STATE: {"state": {"m1": {}}}}},
          "cells": [
              _cell("x = 1"),                                   # fine
              _cell("y = 2", count=None),                       # 1: not executed
              _cell("", count=None),                            # empty: fine
              _cell("ui", outputs=[_view("m1")]),               # stored state: fine
              _cell("ui2", outputs=[_view("m2")]),              # 4: state missing
              _cell("np.testing.assert_allclose(a, b)",
                    tags=["nbval-ignore-output"]),              # 5: unchecked check cell
              _cell("assert ok", tags=["nbval-skip"]),          # 6: unchecked check cell
              _cell("1/0", outputs=[{"output_type": "error"}]),  # 7: stored error
              _cell("1/0", outputs=[{"output_type": "error"}],
                    tags=["raises-exception"]),                 # meant: fine
              {"cell_type": "markdown", "source": "assert", "metadata": {}},
          ]}
    assert unexecuted_cells(nb) == [1]
    assert views_without_state(nb) == [(4, "m2")]
    assert unchecked_check_cells(nb) == [5, 6]
    assert error_cells(nb) == [7]


def test_check_cell_pattern():
    assert CHECK.search("np.testing.assert_allclose(a, b)")
    assert CHECK.search("x = 1\nassert x == 1")
    assert not CHECK.search("print('no checks here')  # assertive tone")


def test_toc_entries_exist():
    """Every page listed in _toc.yml exists (the build would fail later, less clearly)."""
    missing = [f for f in sorted(toc_files())
               if not any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


# --- per notebook in book/ ------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_code_cell_executed(path):
    bad = unexecuted_cells(load(path))
    assert not bad, (
        f"{path.name}: code cells {bad} (0-based) are not executed. Run "
        f"`make execute NB={path.relative_to(ROOT)}` and commit the notebook with its outputs.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_widget_views_have_stored_state(path):
    bad = views_without_state(load(path))
    assert not bad, (
        f"{path.name}: widget views without stored state (cell, model id): {bad}. "
        "Execute with `make execute NB=...` (it stores widget state); in Jupyter Lab: "
        "Settings > Save Widget State Automatically.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_check_cells_are_compared(path):
    bad = unchecked_check_cells(load(path))
    assert not bad, (
        f"{path.name}: check cells {bad} carry nbval-ignore-output/nbval-skip; a check cell "
        "must be compared. Move the widget or animation into its own cell and tag only that.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_stored_errors(path):
    bad = error_cells(load(path))
    assert not bad, f"{path.name}: cells {bad} store an error (tag `raises-exception` if meant)."


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_in_toc(path):
    rel = str(path.relative_to(ROOT).with_suffix(""))
    assert rel in toc_files(), f"{rel} is not in _toc.yml, so the website leaves it out."
