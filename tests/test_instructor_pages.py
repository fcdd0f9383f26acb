"""The instructor pages say what the book has: an activity for every widget, a schedule that
places every chapter once with the reading load it states, lab and homework exercises that
neither overlap nor leave one out, and assessment weights that add up to 100 %."""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
INSTR = BOOK / "instructor"


def _words(nb_path):
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    n = 0
    for c in nb["cells"]:
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        if c["cell_type"] == "markdown" and "solution" not in c.get("metadata", {}).get("tags", []):
            n += len(re.findall(r"\w+", src))
    return n


def _chapter_files():
    return {int(p.name[:2]): p for p in BOOK.glob("[0-9][0-9]_*.ipynb")}


def _table(text, header_start):
    lines = text.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(header_start))
    rows = []
    for ln in lines[i + 2:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return rows


def test_every_widget_has_an_activity():
    text = (INSTR / "activities.md").read_text(encoding="utf-8")
    widgets = [p.stem for p in (ROOT / "cnnlab" / "widgets").glob("*.py") if not p.stem.startswith("_")]
    headings = re.findall(r"^## .*$", text, re.M)
    missing = [w for w in widgets if not any(f"`{w}`" in h for h in headings)]
    assert not missing, f"no activity for {missing}"


def test_schedule_places_every_chapter_once_with_its_reading_load():
    text = (INSTR / "schedule.md").read_text(encoding="utf-8")
    rows = _table(text, "| week | chapters")
    assert [r[0] for r in rows] == [str(w) for w in range(1, 7)]
    files = _chapter_files()
    seen = []
    for week, chapters, words, *_ in rows:
        nums = [int(n) for n in re.findall(r"(?:^|; )(\d+) ", chapters)]
        seen += nums
        stated = int(words.replace(",", ""))
        actual = sum(_words(files[n]) for n in nums)
        if 4 in nums:      # "Bring your own model" is read with chapter 4
            actual += sum(_words(p) for p in BOOK.glob("04b_*.ipynb"))
        assert abs(actual - stated) <= 0.10 * actual, \
            f"week {week}: the schedule says {stated:,} words, the chapters have {actual:,}"
    assert sorted(seen) == sorted(files), (sorted(seen), sorted(files))
    loads = [int(r[2].replace(",", "")) for r in rows]
    assert max(loads) <= 2 * min(loads)


def _exercises(cell_text):
    """{chapter: set of exercise numbers} from 'chapter N exercise(s) a–b' phrases."""
    out = {}
    for ch, a, b in re.findall(r"chapter (\d+) exercises? (\d+)(?:–(\d+))?", cell_text):
        out.setdefault(int(ch), set()).update(range(int(a), int(b or a) + 1))
    return out


def test_lab_and_homework_exercises_cover_the_book_without_overlap():
    text = (INSTR / "schedule.md").read_text(encoding="utf-8")
    lab = {}
    for r in _table(text, "| week | chapters"):
        for ch, ex in _exercises(r[4]).items():
            lab.setdefault(ch, set()).update(ex)
    hw = {}
    for r in _table(text, "| week | book exercises"):
        for ch, ex in _exercises(r[1]).items():
            hw.setdefault(ch, set()).update(ex)
    for n, p in _chapter_files().items():
        nb = json.loads(p.read_text(encoding="utf-8"))
        k = sum(("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
                .count("{exercise}") for c in nb["cells"])
        assert not (lab.get(n, set()) & hw.get(n, set())), f"chapter {n}: lab and homework overlap"
        assert lab.get(n, set()) | hw.get(n, set()) == set(range(1, k + 1)), \
            f"chapter {n}: exercises {sorted(lab.get(n, set()) | hw.get(n, set()))} of {k}"


def test_assessment_weights_add_up():
    text = (INSTR / "schedule.md").read_text(encoding="utf-8")
    rows = _table(text, "| part | weight")
    assert sum(int(r[1].rstrip(" %")) for r in rows) == 100
    project = _table(text, "| criterion | points")
    assert sum(int(r[1]) for r in project) == 40
