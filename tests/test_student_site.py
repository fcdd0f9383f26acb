"""`make student-site`: the website without solutions or teacher pages, whose launch buttons
open the student notebooks (tools/student_site.py + jupyter-book). Built in a temporary folder
(about 15 s); needs the offline assets that `make book` vendors into _build/offline."""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("student_site", ROOT / "tools" / "student_site.py")
student_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_site)
student = student_site.student
CHAPTERS = sorted(p for p in (ROOT / "book").glob("[0-9]*.ipynb"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    assert (ROOT / "_build" / "offline" / "vendor" / ".complete").exists(), \
        "run `make book` first (it vendors the offline assets the site needs)"
    tmp = tmp_path_factory.mktemp("ssite")
    src = student_site.write_source(tmp / "src", repo="https://github.com/example/handout",
                                    branch="spring")
    jb = Path(sys.executable).with_name("jupyter-book")
    r = subprocess.run([str(jb), "build", str(src), "--path-output", str(tmp / "out"), "-W",
                        "--keep-going"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return tmp / "out" / "_build" / "html"


def test_no_teacher_pages(site):
    assert not (site / "book" / "instructor").exists()
    assert not (site / "book" / "howto_teacher.html").exists()
    assert (site / "book" / "howto_learner.html").exists()


@pytest.mark.parametrize("nb", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_has_no_solution_and_launches_the_student_notebook(site, nb):
    html = (site / "book" / (nb.stem + ".html")).read_text(encoding="utf-8")
    assert 'class="solution' not in html and "solution-title" not in html
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    sol = "\n".join(student.source(c) for c in cells if student.is_solution(c))
    rest = "\n".join(student.source(c) for c in cells if not student.is_solution(c))
    lines = [ln.strip() for ln in sol.splitlines()
             if len(ln.strip()) >= 25 and ln.strip() not in rest and "`" not in ln
             and "$" not in ln and "{" not in ln and "*" not in ln and "<" not in ln]
    leaked = [ln for ln in lines if ln in html]
    assert not leaked, leaked[:3]
    if "{exercise}" in rest:
        assert "exercise" in html
    links = re.findall(r'href="([^"]*(?:mybinder|colab|git-pull)[^"]*)"', html)
    assert links, "no launch button"
    for link in links:
        assert "example/handout" in link and "spring" in link
        assert f"book/{nb.stem}.ipynb" in link
