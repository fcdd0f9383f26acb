#!/usr/bin/env python3
"""Grade a folder of submitted assignment notebooks into a CSV gradebook (``make grade``).

Usage: ``python tools/grade.py SUBMISSIONS_DIR [ASSIGNMENTS_DIR] [OUT_CSV]``
(defaults: ``_build/assignments``, ``SUBMISSIONS_DIR/gradebook.csv``).

Each ``*.ipynb`` in SUBMISSIONS_DIR is an assignment written by ``tools/assignments.py``; its
metadata names the assignment (``chNN``), whose autograder zip is
``ASSIGNMENTS_DIR/chNN/dist/autograder/chNN-autograder.zip``. Every submission is graded with
``otter run`` — otter-grader's non-containerized grading, no Docker and no server — in its own
process; a submission that fails to run gets 0 for its autograded questions and the error in
the ``note`` column. One CSV row per submission: file, student id, assignment, the points of
each autograded question, the autograded total and maximum, and an empty column per
hand-graded question (its maximum in the header) for the teacher to fill in.
"""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assignment_name(nb: dict) -> str:
    name = nb.get("metadata", {}).get("otter", {}).get("assignment_name")
    if not name:
        raise ValueError("not an otter assignment notebook (no metadata.otter.assignment_name)")
    return name


def student_id(nb: dict) -> str:
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        m = re.search(r"^STUDENT_ID\s*=\s*['\"]([^'\"]*)['\"]", src, re.M)
        if m:
            return m.group(1)
    return ""


def manual_questions(master: Path) -> dict[str, float]:
    """Hand-graded questions of an assignment and their points (from its master notebook)."""
    nb = json.loads(master.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if cell["cell_type"] == "raw" and src.startswith("# BEGIN QUESTION") and "manual: true" in src:
            name = re.search(r"name:\s*(\S+)", src).group(1)
            pts = re.search(r"points:\s*([\d.]+)", src)
            out[name] = float(pts.group(1)) if pts else 0.0
    return out


def grade_one(sub: Path, autograder: Path, timeout: int = 900) -> dict:
    """``otter run`` on one submission → {question: (score, max)}, note."""
    otter = Path(sys.executable).with_name("otter")
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([str(otter), "run", "--no-logo", "-a", str(autograder), "-o", out,
                            str(sub)], capture_output=True, text=True, timeout=timeout)
        res = Path(out) / "results.json"
        if r.returncode != 0 or not res.exists():
            return {"scores": {}, "note": "could not be graded: " +
                    (r.stderr.strip().splitlines() or ["?"])[-1][:200]}
        data = json.loads(res.read_text(encoding="utf-8"))
    scores: dict[str, list[float]] = {}
    for t in data.get("tests", []):
        if t.get("name", "").startswith("Public Tests"):     # otter's summary of public output
            continue
        q = re.split(r"\s+-\s+", t.get("name", "?"))[0]
        s = scores.setdefault(q, [0.0, 0.0])
        s[0] += float(t.get("score") or 0.0)
        s[1] += float(t.get("max_score") or 0.0)
    return {"scores": {q: tuple(v) for q, v in scores.items()}, "note": ""}


def grade(submissions: Path, assignments: Path, out_csv: Path) -> list[dict]:
    rows, columns, manual_cols = [], [], {}
    for sub in sorted(Path(submissions).glob("*.ipynb")):
        nb = json.loads(sub.read_text(encoding="utf-8"))
        row = {"file": sub.name, "student_id": student_id(nb)}
        try:
            name = assignment_name(nb)
        except ValueError as e:
            row.update(assignment="?", note=str(e))
            rows.append(row)
            continue
        row["assignment"] = name
        d = Path(assignments) / name
        zip_ = d / "dist" / "autograder" / f"{name}-autograder.zip"
        if not zip_.exists():
            row["note"] = f"no autograder {zip_} (run make assignments)"
            rows.append(row)
            continue
        g = grade_one(sub, zip_)
        total = possible = 0.0
        for q, (s, m) in sorted(g["scores"].items()):
            col = f"{name}:{q} (/{m:g})"
            if col not in columns:
                columns.append(col)
            row[col] = round(s, 3)
            total, possible = total + s, possible + m
        for q, m in manual_questions(d / f"{name}.ipynb").items():
            col = f"{name}:{q} by hand (/{m:g})"
            manual_cols[col] = ""
        row["autograded"] = round(total, 3)
        row["autograded_max"] = round(possible, 3)
        row["note"] = g["note"]
        rows.append(row)
    header = ["file", "student_id", "assignment"] + columns + ["autograded", "autograded_max"] + \
        list(manual_cols) + ["note"]
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, restval="")
        w.writeheader()
        for row in rows:
            w.writerow(row)
    return rows


def main(argv) -> int:
    if len(argv) < 2:
        print("usage: python tools/grade.py SUBMISSIONS_DIR [ASSIGNMENTS_DIR] [OUT_CSV]",
              file=sys.stderr)
        return 2
    subs = Path(argv[1])
    if not subs.is_dir():
        print(f"grade: SUBMISSIONS {subs} is not a directory", file=sys.stderr)
        return 2
    asg = Path(argv[2]) if len(argv) > 2 else ROOT / "_build" / "assignments"
    out = Path(argv[3]) if len(argv) > 3 else subs / "gradebook.csv"
    rows = grade(subs, asg, out)
    print(f"grade: {len(rows)} submission(s) -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
