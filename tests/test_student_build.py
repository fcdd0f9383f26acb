"""The student edition (``make student`` -> tools/student.py) leaks no solution text and keeps
every exercise and self-check. Built here from the real notebooks in book/."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

spec = importlib.util.spec_from_file_location("student", ROOT / "tools" / "student.py")
student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student)

FENCE = re.compile(r"^(```+|:::+)|^:[a-z-]+:")
SELF_CHECK = re.compile(r"\bcheck_\w+\s*\(")
SOURCES = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
IDS = [str(p.relative_to(BOOK)) for p in SOURCES]


def text(cell) -> str:
    return student.source(cell)


def tagged(cell, tag) -> bool:
    return tag in cell.get("metadata", {}).get("tags", [])


def distinctive_lines(solution_cells, other_cells) -> set[str]:
    """Lines of the solutions long enough to be telling, that appear nowhere else."""
    elsewhere = "\n".join(text(c) for c in other_cells)
    lines = set()
    for cell in solution_cells:
        for line in text(cell).splitlines():
            line = line.strip()
            if len(line) >= 12 and not FENCE.match(line) and line not in elsewhere:
                lines.add(line)
    return lines


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    written = student.build(BOOK, out)
    return out, written


def test_one_student_notebook_per_chapter(built):
    out, written = built
    assert sorted(p.relative_to(out / "book") for p in written) == \
        sorted(p.relative_to(BOOK) for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_no_solution_leaks_and_checks_kept(built, path):
    out, _ = built
    nb = json.loads(path.read_text(encoding="utf-8"))
    stu = json.loads((out / "book" / path.relative_to(BOOK)).read_text(encoding="utf-8"))
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.from_dict(stu))

    solutions = [c for c in nb["cells"] if student.is_solution(c)]
    others = [c for c in nb["cells"] if not student.is_solution(c)]
    stu_text = "\n".join(text(c) for c in stu["cells"])

    assert not any(tagged(c, "solution") for c in stu["cells"])
    assert "{solution" not in stu_text, "a {solution} directive survived"
    leaked = sorted(line for line in distinctive_lines(solutions, others) if line in stu_text)
    assert not leaked, f"solution text in the student notebook: {leaked[:5]}"

    # everything that is not a solution is kept, in order, with outputs cleared; code unchanged
    assert [c["cell_type"] for c in stu["cells"]] == [c["cell_type"] for c in others]
    assert [text(c) for c in stu["cells"] if c["cell_type"] == "code"] == \
        [text(c) for c in others if c["cell_type"] == "code"]
    assert all(c.get("outputs") == [] for c in stu["cells"] if c["cell_type"] == "code")
    assert "widgets" not in stu.get("metadata", {})
    checks = [text(c) for c in others if c["cell_type"] == "code" and SELF_CHECK.search(text(c))]
    assert checks == [text(c) for c in stu["cells"]
                      if c["cell_type"] == "code" and SELF_CHECK.search(text(c))]
    # each exercise keeps its statement
    n_ex = sum(text(c).count("{exercise}") for c in others)
    assert n_ex == sum(text(c).count("**Exercise") for c in stu["cells"])


def test_removal_on_a_hand_made_notebook(tmp_path):
    """Works on a known case too, so the check above cannot pass vacuously."""
    def md(src, tags=()):
        return {"cell_type": "markdown", "source": src, "metadata": {"tags": list(tags)}}

    def code(src, tags=(), outputs=()):
        return {"cell_type": "code", "source": src, "execution_count": 3,
                "outputs": list(outputs), "metadata": {"tags": list(tags)}}

    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"widgets": {"state": {}}},
          "cells": [
              md("```{exercise}\n:label: ch99-ex1\nHow many weights?\n```"),
              code("answer = None\nch99.check_ex1(answer)",
                   outputs=[{"output_type": "stream", "name": "stdout", "text": "✓"}]),
              md("```{solution} ch99-ex1\n:class: dropdown\nThe secret count is 4242.\n```",
                 tags=["solution"]),
              code("print('secret code 4242')", tags=["solution"]),
              md(":::{solution} ch99-ex2\nUntagged secret 777\n:::"),  # safety net
          ]}
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "99_x.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    student.build(tmp_path / "book", tmp_path / "out")
    stu = json.loads((tmp_path / "out" / "book" / "99_x.ipynb").read_text(encoding="utf-8"))
    all_text = json.dumps(stu)
    assert "4242" not in all_text and "777" not in all_text
    assert len(stu["cells"]) == 2
    assert "check_ex1" in text(stu["cells"][1])
    assert stu["cells"][1]["outputs"] == [] and stu["cells"][1]["execution_count"] is None
    assert "widgets" not in stu["metadata"]


MYST_LEFT = re.compile(r"\{[a-z:]+\}`|^\s*(```+|:::+)\s*\{|^:[a-z-]+:|^\([A-Za-z0-9_.:-]+\)=$"
                       r"|\\tag\{\?\}", re.M)


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_markdown_reads_without_myst(built, path):
    """No role, directive, option line or target is left; labelled equations carry \\tag{n}
    and every {eq} reference became a number."""
    out, _ = built
    nb = json.loads(path.read_text(encoding="utf-8"))
    stu = json.loads((out / "book" / path.relative_to(BOOK)).read_text(encoding="utf-8"))
    md = "\n".join(text(c) for c in stu["cells"] if c["cell_type"] == "markdown")
    left = [m.group(0) for m in MYST_LEFT.finditer(md)]
    assert not left, left[:5]
    src = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "markdown"
                    and not student.is_solution(c))
    n_labelled = len(student.EQ_LABEL.findall(src))
    assert md.count("\\tag{") == n_labelled


def test_conversion_on_a_hand_made_notebook():
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source":
         "(sec-a)=\n## Section A\n\n$$\ny = x\n$$ (eq-a)\n\nBy {eq}`eq-a` and {term}`ReLU`, "
         "see {ref}`sec-a`, {cite}`k1,k2`, {doc}`the notes <notation>`; "
         "{glue:text}`n:.1f` here.\n% hidden comment\n"},
        {"cell_type": "markdown", "metadata": {}, "source":
         "````{exercise} Count\n:label: ch99-ex3\n\nHow many? ```python\nx = 1\n```\n````"},
        {"cell_type": "markdown", "metadata": {}, "source":
         "```{admonition} Careful\n:class: warning\nA point.\n```"},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "glue('n', 2.25)",
         "outputs": [{"output_type": "display_data", "metadata": {"scrapbook": {"name": "n"}},
                      "data": {"application/papermill.record/text/plain": "2.25"}}]},
    ]}
    index = student.BookIndex({"99_x": nb})
    stu, _, _ = student.student_notebook(nb, "99_x", index)
    a, b, c = (text(stu["cells"][i]) for i in range(3))
    assert "\\tag{1}" in a and "By (1)" in a and "ReLU" in a and "“Section A”" in a
    assert "[k1, k2]" in a and "*the notes* (in the book)" in a and "2.2 here" in a
    assert "(sec-a)=" not in a and "hidden comment" not in a
    assert b.startswith("**Exercise 3** — Count") and ":label:" not in b and "x = 1" in b
    assert c.startswith("> **Careful**") and ":class:" not in c


def test_handout_is_self_contained(built):
    """Caches and experiment runners the chapters load are in the handout, next to book/, so
    the chapters find ../cache from book/ and nothing is retrained or written outside."""
    out, _ = built
    assert (out / "README.md").is_file()
    cache = ROOT / "cache"
    if cache.is_dir():
        for f in cache.iterdir():
            if f.is_file():
                assert (out / "cache" / f.name).read_bytes() == f.read_bytes()
    exp = BOOK / "experiments"
    if exp.is_dir():
        for f in exp.glob("*.py"):
            assert (out / "book" / "experiments" / f.name).read_text() == f.read_text()
    # every ../cache/NAME or cache/NAME a notebook mentions exists in the handout
    for p in SOURCES:
        for name in set(re.findall(r"cache/([A-Za-z0-9_.-]+\.(?:npz|json))", p.read_text())):
            assert (out / "cache" / name).is_file(), (p.name, name)


def test_handout_runners_find_their_caches_inside_the_handout(built):
    """Run from the handout's book/ (as a student would), the experiment runners resolve every
    cache path inside the handout, and those files exist: nothing is retrained or written
    elsewhere."""
    import subprocess
    import sys
    out, _ = built
    if not (out / "book" / "experiments").is_dir():
        pytest.fail("the book has no experiments/ package to copy")
    code = (
        "import importlib, pkgutil, json, experiments\n"
        "from pathlib import Path\n"
        "paths = []\n"
        "for m in pkgutil.iter_modules(experiments.__path__):\n"
        "    mod = importlib.import_module('experiments.' + m.name)\n"
        "    for k, v in vars(mod).items():\n"
        "        if isinstance(v, Path) and 'CACHE' in k:\n"
        "            paths.append(str(v))\n"
        "    if hasattr(mod, 'cache_dir'):\n"
        "        paths.append(str(mod.cache_dir()))\n"
        "print(json.dumps(paths))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=out / "book", capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    paths = [Path(p) for p in json.loads(r.stdout.strip().splitlines()[-1])]
    assert paths, "no cache paths found"
    for p in paths:
        assert out.resolve() in p.resolve().parents, f"{p} is outside the handout"
        if p.suffix:
            assert p.exists(), f"{p} missing from the handout"
