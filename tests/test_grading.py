"""`make assignments` / `make grade`: one otter-grader assignment (chapter 5's, with its coding
task) is written, and a correct, a wrong and an empty submission are graded by `otter run` (no
Docker) into a CSV gradebook. About 90 s (otter runs each submission in a fresh kernel)."""
import csv
import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("otter")

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


assignments, grade = _load("assignments"), _load("grade")


def _src(cell):
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _with_id(nb, sid):
    nb = json.loads(json.dumps(nb))
    for c in nb["cells"]:
        if _src(c).startswith("STUDENT_ID"):
            c["source"] = f'STUDENT_ID = "{sid}"'
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    assignments.build(tmp / "asg", ["05"])
    dist = tmp / "asg" / "ch05" / "dist"
    solution = json.loads((dist / "autograder" / "ch05.ipynb").read_text(encoding="utf-8"))
    student = json.loads((dist / "student" / "ch05.ipynb").read_text(encoding="utf-8"))
    subs = tmp / "subs"
    subs.mkdir()
    (subs / "correct.ipynb").write_text(json.dumps(_with_id(solution, "s001")))
    wrong = _with_id(student, "s002")
    for c in wrong["cells"]:           # dW transposed: the classic slip
        if "def dense_backward" in _src(c):
            c["source"] = ("import numpy as np\n\ndef dense_backward(dy, x, W):\n"
                           "    return W.T @ dy, np.outer(x, dy), dy\n")
    (subs / "wrong.ipynb").write_text(json.dumps(wrong))
    (subs / "empty.ipynb").write_text(json.dumps(_with_id(student, "s003")))
    out = tmp / "gradebook.csv"
    grade.grade(subs, tmp / "asg", out)
    with out.open(encoding="utf-8") as f:
        rows = {r["file"]: r for r in csv.DictReader(f)}
    return rows, student, dist


def test_gradebook_scores(graded):
    rows, _, _ = graded
    assert set(rows) == {"correct.ipynb", "wrong.ipynb", "empty.ipynb"}
    assert float(rows["correct.ipynb"]["autograded"]) == float(rows["correct.ipynb"]["autograded_max"]) > 0
    assert float(rows["wrong.ipynb"]["autograded"]) < float(rows["wrong.ipynb"]["autograded_max"])
    assert float(rows["empty.ipynb"]["autograded"]) == 0.0
    assert rows["correct.ipynb"]["student_id"] == "s001"
    assert any("by hand" in k for k in rows["correct.ipynb"])     # the written answer's column


def test_handout_has_no_solution_and_no_hidden_test(graded):
    _, student, dist = graded
    text = json.dumps(student)
    assert "np.outer(dy, x)" not in text           # the solution's body
    assert "E['seed']" not in text and "_draw(" not in text   # the hidden test
    assert "def dense_backward(dy, x, W)" in text  # the stub to fill in
    assert any(c["cell_type"] == "markdown" and "otter_answer_cell" in c["metadata"].get("tags", [])
               for c in student["cells"])           # a place for the written answer


def test_numbers_differ_per_student():
    ns = {}
    exec(assignments.DRAW_HEAD, ns)
    draws = {sid: ns["_rng"]("ch01", sid).integers(0, 10**9) for sid in ("s001", "s002", "s003")}
    assert len(set(draws.values())) == 3
    assert ns["_rng"]("ch01", "s001").integers(0, 10**9) == draws["s001"]   # reproducible
    with pytest.raises(ValueError, match="STUDENT_ID"):
        ns["_rng"]("ch01", "")


def test_every_chapter_has_a_question_and_a_written_part():
    assert sorted(assignments.CHAPTERS) == [f"{i:02d}" for i in range(1, 12)]
    for nn in ("05", "06", "07", "08", "09", "10"):
        assert any(q["kind"] == "coding" for q in assignments.CHAPTERS[nn]["questions"]), nn
    for nn, ch in assignments.CHAPTERS.items():
        assert ch["written"].strip()
        nb = assignments.master_notebook(nn)
        assert any("manual: true" in _src(c) for c in nb["cells"])
