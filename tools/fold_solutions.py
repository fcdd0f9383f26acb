#!/usr/bin/env python3
"""Fold the solution code in Jupyter Lab: mark every code cell tagged ``solution`` as collapsed.

Usage::

    python tools/fold_solutions.py [--check] [NOTEBOOK_OR_DIR ...]     (default: book)

Jupyter Book hides these cells by their tags (``hide-cell``, or the ``{solution}`` dropdown the
code belongs to), but Jupyter Lab reads only the cell metadata ``jupyter.source_hidden`` /
``jupyter.outputs_hidden``.  For every code cell tagged ``solution`` this tool

* sets ``metadata.jupyter.source_hidden = true`` (Lab shows a collapsed input; a click on it
  unfolds the code);
* puts :data:`MARKER` (a comment) as the cell's first line: a collapsed input in Lab still shows
  its first line, which in most solution cells *is* the answer
  (``ch01.check_ex1(signal.correlate2d(...)[1, 2])``);
* sets ``metadata.jupyter.outputs_hidden = true`` as well when the cell is also tagged
  ``hide-cell`` or ``hide-output`` (the book hides its output too).  Lab folds the stored output
  when it opens the notebook, but running the cell shows its new output: JupyterLab's
  ``CodeCell.execute`` unfolds the output of every cell it runs (a reader who must not see the
  answers uses the student edition, ``make student``).

Markdown solution cells are left alone: their ``{solution}`` directive already renders as a
closed dropdown with jupyterlab-myst, and a collapsed markdown cell would hide even the
dropdown's title.  Nothing else in the notebook changes (the file is written back in
nbformat's layout: one-space indent, sorted keys, a final newline), so running it twice
changes nothing the second time.

It prints one line per cell it changes (``path: cell N (id): marker, source_hidden``).  With
``--check`` it writes nothing, prints the same lines and exits 1 if any notebook needs folding
(0 otherwise).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
HIDE_OUTPUT_TAGS = ("hide-cell", "hide-output")
#: first line of every solution code cell (what Lab shows of the collapsed input)
MARKER = "# Solution (folded: click to show the code)"


def wanted(cell) -> dict:
    """The ``jupyter`` metadata flags ``cell`` must carry (empty for a cell that is not
    solution code)."""
    tags = cell.get("metadata", {}).get("tags", [])
    if cell.get("cell_type") != "code" or SOLUTION_TAG not in tags:
        return {}
    flags = {"source_hidden": True}
    if any(t in tags for t in HIDE_OUTPUT_TAGS):
        flags["outputs_hidden"] = True
    return flags


def has_marker(cell) -> bool:
    src = cell.get("source", "")
    text = "".join(src) if isinstance(src, list) else src
    return text.split("\n", 1)[0].rstrip() == MARKER


def add_marker(cell):
    """Put :data:`MARKER` on a line of its own before the cell's source (kept as a list of
    lines or a string, as it was)."""
    src = cell.get("source", "")
    if isinstance(src, list):
        cell["source"] = [MARKER + "\n"] + src
    else:
        cell["source"] = MARKER + "\n" + src


def fold(nb: dict) -> list:
    """Fold the solution code of ``nb`` (a notebook as a dict, changed in place).  Returns a
    list of ``(index, cell id, [what changed: "marker" and/or flag names])`` for the cells that
    changed."""
    changed = []
    for i, cell in enumerate(nb.get("cells", [])):
        flags = wanted(cell)
        if not flags:
            continue
        meta = cell.setdefault("metadata", {})
        jup = meta.get("jupyter")
        if not isinstance(jup, dict):
            jup = meta["jupyter"] = {}
        set_now = [k for k, v in flags.items() if jup.get(k) is not v]
        for k in set_now:
            jup[k] = flags[k]
        if not has_marker(cell):
            add_marker(cell)
            set_now.insert(0, "marker")
        if set_now:
            changed.append((i, cell.get("id", "?"), set_now))
    return changed


def dumps(nb: dict) -> str:
    """The notebook text as nbformat writes it (the layout of the book's files)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def notebooks(paths):
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.glob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.suffix == ".ipynb" and p.is_file():
            yield p
        else:
            raise SystemExit(f"fold_solutions: {p} is neither a notebook nor a folder")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", default=["book"], help="notebooks or folders (default: book)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if a notebook needs folding")
    args = ap.parse_args(argv)
    pending = 0
    for path in notebooks(args.paths):
        nb = json.loads(path.read_text(encoding="utf-8"))
        changed = fold(nb)
        for i, cid, names in changed:
            print(f"{path}: cell {i} ({cid}): {', '.join(names)}"
                  + (" needed" if args.check else ""))
        if changed:
            pending += 1
            if not args.check:
                path.write_text(dumps(nb), encoding="utf-8")
    if args.check:
        print(f"fold_solutions --check: {pending} notebook(s) need folding", file=sys.stderr)
        return 1 if pending else 0
    print(f"fold_solutions: {pending} notebook(s) changed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
