#!/usr/bin/env python3
"""Write the student edition of the notebooks: worked solutions removed, self-checks kept.

Usage: ``python tools/student.py [BOOK_DIR] [OUT_DIR]`` (``make student``: ``book`` ->
``_build/student``).

For every notebook under BOOK_DIR (``.ipynb_checkpoints`` skipped), the copy in OUT_DIR
(same relative path):

* drops every cell tagged ``solution`` (the ``{solution}`` dropdown and the code that belongs
  to it, CONTRIBUTING.md), and, as a safety net, any markdown cell that still holds a
  ``{solution}`` directive without the tag (reported on stderr);
* keeps everything else, including the exercise statements and the self-check cells
  (``chNN.check_ex1(answer)``);
* clears outputs, execution counts and stored widget state, so students run the notebook
  themselves and no printed result gives an answer away.
"""
from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
SOLUTION_DIRECTIVE = re.compile(r"^\s*(```+|:::+)\s*\{solution(?:-start)?\}", re.M)


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def is_solution(cell) -> bool:
    if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
        return True
    return cell.get("cell_type") == "markdown" and bool(SOLUTION_DIRECTIVE.search(source(cell)))


def student_notebook(nb: dict) -> tuple[dict, int, list[int]]:
    """Return (student copy, number of cells removed, untagged solution cells found)."""
    out = copy.deepcopy(nb)
    kept, untagged = [], []
    for i, cell in enumerate(nb.get("cells", [])):
        if is_solution(cell):
            if SOLUTION_TAG not in cell.get("metadata", {}).get("tags", []):
                untagged.append(i)
            continue
        cell = copy.deepcopy(cell)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        kept.append(cell)
    out["cells"] = kept
    out.get("metadata", {}).pop("widgets", None)
    return out, len(nb.get("cells", [])) - len(kept), untagged


def build(book: Path, dest: Path) -> list[Path]:
    written = []
    for path in sorted(book.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        student, removed, untagged = student_notebook(nb)
        target = dest / path.relative_to(book)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        written.append(target)
        note = f"  (untagged solution cells {untagged}: tag them `solution`)" if untagged else ""
        print(f"{path.relative_to(book)}: {removed} solution cell(s) removed{note}",
              file=sys.stderr if untagged else sys.stdout)
    return written


def main(argv: list[str]) -> int:
    book = Path(argv[1]) if len(argv) > 1 else Path("book")
    dest = Path(argv[2]) if len(argv) > 2 else Path("_build/student")
    if not book.is_dir():
        print(f"student: BOOK_DIR {book} is not a directory", file=sys.stderr)
        return 2
    written = build(book, dest)
    print(f"student: {len(written)} notebook(s) written to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
