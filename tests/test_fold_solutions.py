"""tools/fold_solutions.py: solution code is collapsed in Jupyter Lab (``jupyter.source_hidden``).

The book's notebooks must all pass ``--check``; the tool itself is tested on copies (it sets
exactly the flags it should, leaves everything else byte for byte, and a second run is a no-op).
"""
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "fold_solutions.py"
BOOK = sorted((ROOT / "book").glob("*.ipynb"))

spec = importlib.util.spec_from_file_location("fold_solutions", TOOL)
fold_solutions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fold_solutions)


def run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)


def test_the_book_has_solution_code_to_fold():
    n = sum(1 for p in BOOK for c in json.loads(p.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code" and "solution" in c["metadata"].get("tags", []))
    assert n >= 10, n


@pytest.mark.parametrize("path", BOOK, ids=[p.name for p in BOOK])
def test_book_notebook_has_its_solutions_folded(path):
    r = run("--check", path)
    assert r.returncode == 0, ("run `python tools/fold_solutions.py` (solution code shows in Lab):\n"
                               + r.stdout)


def test_fold_sets_the_flags_and_the_marker_and_nothing_else(tmp_path):
    src = ROOT / "book" / "01_convolution.ipynb"
    nb_path = tmp_path / src.name
    shutil.copy(src, nb_path)
    before = json.loads(src.read_text(encoding="utf-8"))
    for c in before["cells"]:                          # start from an unfolded notebook
        c["metadata"].pop("jupyter", None)
        if c["source"][:1] == [fold_solutions.MARKER + "\n"]:
            c["source"] = c["source"][1:]
    nb_path.write_text(fold_solutions.dumps(before), encoding="utf-8")

    r = run("--check", nb_path)
    assert r.returncode == 1 and "marker, source_hidden" in r.stdout, r
    assert nb_path.read_text(encoding="utf-8") == fold_solutions.dumps(before)   # --check wrote nothing

    r = run(nb_path)
    assert r.returncode == 0, r.stderr
    after = json.loads(nb_path.read_text(encoding="utf-8"))
    n_sol = 0
    for b, a in zip(before["cells"], after["cells"], strict=True):
        tags = b["metadata"].get("tags", [])
        jup = a["metadata"].pop("jupyter", None)
        if b["cell_type"] == "code" and "solution" in tags:
            n_sol += 1
            assert jup["source_hidden"] is True
            assert jup.get("outputs_hidden", False) is ("hide-cell" in tags)
            # Lab shows the first line of a collapsed input: the marker, not the answer
            assert a["source"][0] == fold_solutions.MARKER + "\n"
            assert a["source"][1:] == b["source"]
            a["source"] = b["source"]
        else:
            assert jup is None, (b["cell_type"], tags)  # markdown solutions stay (myst folds them)
        assert a == b                                   # the rest of the cell is unchanged
    assert n_sol == 4
    assert len(r.stdout.strip().splitlines()) == n_sol

    text = nb_path.read_text(encoding="utf-8")
    r = run(nb_path)                                    # idempotent
    assert r.returncode == 0 and r.stdout == ""
    assert nb_path.read_text(encoding="utf-8") == text
    assert run("--check", nb_path).returncode == 0


def test_fold_keeps_other_jupyter_metadata():
    nb = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["solution"], "jupyter": {"outputs_hidden": False}},
         "source": "x = 1", "outputs": [], "execution_count": None},
        {"cell_type": "code", "metadata": {"tags": ["hide-cell"]}, "source": "y = 2", "outputs": [],
         "execution_count": None},
        {"cell_type": "markdown", "metadata": {"tags": ["solution"]}, "source": "```{solution} ex\n```"},
    ]}
    changed = fold_solutions.fold(nb)
    assert [(i, names) for i, _, names in changed] == [(0, ["marker", "source_hidden"])]
    assert nb["cells"][0]["metadata"]["jupyter"] == {"outputs_hidden": False, "source_hidden": True}
    assert nb["cells"][0]["source"] == fold_solutions.MARKER + "\nx = 1"
    assert nb["cells"][1]["source"] == "y = 2" and nb["cells"][2]["source"].startswith("```")
    assert "jupyter" not in nb["cells"][1]["metadata"] and "jupyter" not in nb["cells"][2]["metadata"]
    assert fold_solutions.fold(nb) == []


def test_fold_rejects_a_path_that_is_not_a_notebook(tmp_path):
    r = run(tmp_path / "missing.ipynb")
    assert r.returncode != 0 and "neither a notebook nor a folder" in r.stderr
