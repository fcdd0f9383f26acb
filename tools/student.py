#!/usr/bin/env python3
"""Write the student edition: a handout folder that works on its own, without solutions.

Usage: ``python tools/student.py [BOOK_DIR] [OUT_DIR]`` (``make student``: ``book`` ->
``_build/student``).

The handout mirrors the project's layout, so the paths the chapters use work unchanged::

    OUT_DIR/book/NN_*.ipynb        the student notebooks (open them from OUT_DIR/book)
    OUT_DIR/book/experiments/      the experiment runners the chapters import (copied)
    OUT_DIR/cache/                 the trained models and results the chapters load (copied:
                                   nothing is retrained, nothing is written outside OUT_DIR)
    OUT_DIR/README.md              how to open it

Each student notebook:

* drops every cell tagged ``solution`` (the ``{solution}`` dropdown and the code that belongs
  to it, CONTRIBUTING.md), and, as a safety net, any markdown cell that still holds a
  ``{solution}`` directive without the tag (reported on stderr);
* converts the book's MyST markup to plain Markdown that Jupyter Lab, VS Code or GitHub render
  without the MyST extension: ``{exercise}`` and ``{admonition}`` blocks become bold headings
  and quotes, labelled equations ``$$ … $$ (label)`` get ``\\tag{n}`` and ``{eq}`label``` becomes
  ``(n)``, ``{term}``, ``{ref}``, ``{doc}``, ``{cite}`` become text or links, ``{glue:text}``
  becomes the number the book shows, ``(label)=`` targets and ``%`` comments are removed;
* keeps the exercise statements and the self-check cells (``chNN.check_ex1(answer)``);
* clears outputs, execution counts and stored widget state.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
SOLUTION_DIRECTIVE = re.compile(r"^\s*(```+|:::+)\s*\{solution(?:-start)?\}", re.M)
FENCE_OPEN = re.compile(r"^(?P<indent>[ ]{0,3})(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[a-zA-Z:_-]+)\}"
                        r"[ \t]*(?P<arg>.*)$")
EQ_LABEL = re.compile(r"\$\$(?P<body>(?:(?!\$\$).)+?)\$\$[ \t]*\((?P<label>[A-Za-z0-9_:.-]+)\)",
                      re.S)
ROLE = re.compile(r"\{(?P<role>[a-z:]+)\}`(?P<text>[^`]*)`")
TARGET = re.compile(r"^\((?P<label>[A-Za-z0-9_:.-]+)\)=[ \t]*\n?", re.M)
COMMENT = re.compile(r"^%.*\n?", re.M)
HEADING = re.compile(r"^#+\s+(.*)$", re.M)


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def is_solution(cell) -> bool:
    if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
        return True
    return cell.get("cell_type") == "markdown" and bool(SOLUTION_DIRECTIVE.search(source(cell)))


# ---------------------------------------------------------------- an index of the whole book

class BookIndex:
    """Labels of equations and sections, notebook titles, glued values — across the book."""

    def __init__(self, notebooks: dict[str, dict]):
        self.eq: dict[str, tuple[str, int]] = {}         # label -> (stem, number)
        self.sec: dict[str, tuple[str, str]] = {}        # label -> (stem, heading text)
        self.titles: dict[str, str] = {}
        self.glue: dict[str, str] = {}
        for stem, nb in notebooks.items():
            n = 0
            md = [source(c) for c in nb.get("cells", []) if c.get("cell_type") == "markdown"]
            text = "\n".join(md)
            m = HEADING.search(text)
            self.titles[stem] = m.group(1).strip() if m else stem
            for m in EQ_LABEL.finditer(text):
                n += 1
                self.eq[m.group("label")] = (stem, n)
            for m in TARGET.finditer(text):
                h = HEADING.search(text, m.end())
                self.sec[m.group("label")] = (stem, h.group(1).strip() if h else m.group("label"))
            for cell in nb.get("cells", []):
                for out in cell.get("outputs", []) or []:
                    name = out.get("metadata", {}).get("scrapbook", {}).get("name")
                    if name:
                        data = out.get("data", {})
                        val = next((v for k, v in data.items() if k.endswith("text/plain")), "")
                        self.glue[name] = "".join(val) if isinstance(val, list) else str(val)


def _format_glue(raw: str, fmt: str) -> str:
    raw = raw.strip().strip("'\"")
    if not fmt:
        return raw
    try:
        return format(float(raw) if any(c in fmt for c in "efg%") or "." in fmt
                      else int(float(raw)), fmt)
    except (ValueError, TypeError):
        return raw


def convert_roles(text: str, stem: str, index: BookIndex) -> str:
    def role(m):
        r, t = m.group("role"), m.group("text")
        shown, target = t, t
        mm = re.match(r"^(?P<shown>.*?)\s*<(?P<target>[^>]+)>$", t, re.S)
        if mm:
            shown, target = mm.group("shown"), mm.group("target")
        if r == "eq":
            where = index.eq.get(target)
            if where is None:
                return f"({target})"
            s, n = where
            return f"({n})" if s == stem else f"[{index.titles.get(s, s)}, ({n})]({s}.ipynb)"
        if r == "term":
            return shown
        if r in ("ref", "numref"):
            where = index.sec.get(target)
            if where is None:
                return shown
            s, heading = where
            label = shown if mm else f"“{heading}”"
            return label if s == stem else f"[{label}]({s}.ipynb)"
        if r == "doc":
            name = Path(target).name
            label = shown if mm else index.titles.get(name, name)
            return f"[{label}]({name}.ipynb)" if name in index.titles else f"*{label}* (in the book)"
        if r in ("cite", "cite:p", "cite:t"):
            return "[" + ", ".join(k.strip() for k in t.split(",")) + "]"
        if r == "glue:text":
            name, _, fmt = t.partition(":")
            return _format_glue(index.glue.get(name, name), fmt)
        if r in ("math",):
            return f"${t}$"
        return shown
    return ROLE.sub(role, text)


def convert_directives(text: str) -> str:
    """Fenced ``{name}`` blocks -> plain Markdown (exercise, admonition, note, …)."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        fence, name, arg = m.group("fence"), m.group("name"), m.group("arg").strip()
        j, body = i + 1, []
        close = re.compile(r"^[ ]{0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        while j < len(lines) and not close.match(lines[j]):
            body.append(lines[j])
            j += 1
        opts = {}
        while body and re.match(r"^:[a-zA-Z_-]+:", body[0]):
            k, _, v = body.pop(0)[1:].partition(":")
            opts[k] = v.strip()
        while body and body[0].strip() == "":
            body.pop(0)
        inner = convert_directives("\n".join(body))
        if name == "exercise":
            num = re.search(r"ex(\d+)$", opts.get("label", ""))
            head = f"**Exercise {num.group(1)}**" if num else "**Exercise**"
            out.append(head + (f" — {arg}" if arg else "") + "\n\n" + inner)
        elif name in ("math",):
            out.append("$$\n" + inner + "\n$$")
        elif name in ("code", "code-block"):
            out.append("```" + arg + "\n" + "\n".join(body) + "\n```")
        elif name in ("figure", "image"):
            out.append(f"![{inner.strip()}]({arg})")
        else:
            title = arg or name.capitalize()
            quoted = "\n".join("> " + ln if ln else ">" for ln in inner.split("\n"))
            out.append(f"> **{title}**\n>\n{quoted}")
        i = j + 1
    return "\n".join(out)


def convert_markdown(text: str, stem: str, index: BookIndex) -> str:
    def eq(m):
        where = index.eq.get(m.group("label"))
        n = where[1] if where else "?"
        return "$$" + m.group("body").rstrip() + f" \\tag{{{n}}}\n$$"
    text = EQ_LABEL.sub(eq, text)
    text = TARGET.sub("", text)
    text = COMMENT.sub("", text)
    text = convert_directives(text)
    text = convert_roles(text, stem, index)
    return text


# ---------------------------------------------------------------- one notebook

def student_notebook(nb: dict, stem: str = "", index: BookIndex | None = None
                     ) -> tuple[dict, int, list[int]]:
    """Return (student copy, number of cells removed, untagged solution cells found)."""
    index = index or BookIndex({stem: nb})
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
        elif cell.get("cell_type") == "markdown":
            cell["source"] = convert_markdown(source(cell), stem, index)
        kept.append(cell)
    out["cells"] = kept
    out.get("metadata", {}).pop("widgets", None)
    return out, len(nb.get("cells", [])) - len(kept), untagged


README = """# CNN Math Lab — student notebooks

Open the notebooks in `book/` (for example `jupyter lab book/` from this folder, or the
launch button of the student website). Run each notebook from the top. Every exercise has an
answer cell with `None` in it: replace `None` by your answer and run the cell; the self-check
prints ✓, or what is probably off.

`book/experiments/` and `cache/` hold what the later chapters load (trained models, results):
keep them next to `book/`. Nothing here needs the internet.
"""


def build(book: Path, dest: Path, root: Path | None = None) -> list[Path]:
    """Write the handout into ``dest`` (see the module docstring); return the notebooks."""
    book, dest = Path(book), Path(dest)
    root = Path(root) if root is not None else book.resolve().parent
    paths = [p for p in sorted(book.rglob("*.ipynb"))
             if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts]
    nbs = {p: json.loads(p.read_text(encoding="utf-8")) for p in paths}
    index = BookIndex({p.stem: nb for p, nb in nbs.items()})
    written = []
    for path, nb in nbs.items():
        stu, removed, untagged = student_notebook(nb, path.stem, index)
        target = dest / "book" / path.relative_to(book)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(stu, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
        note = f"  (untagged solution cells {untagged}: tag them `solution`)" if untagged else ""
        print(f"{path.relative_to(book)}: {removed} solution cell(s) removed{note}",
              file=sys.stderr if untagged else sys.stdout)
    exp = book / "experiments"
    if exp.is_dir():
        shutil.copytree(exp, dest / "book" / "experiments", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    cache = root / "cache"
    if cache.is_dir():
        (dest / "cache").mkdir(parents=True, exist_ok=True)
        for f in sorted(cache.iterdir()):
            if f.is_file():
                shutil.copy2(f, dest / "cache" / f.name)
    (dest / "README.md").write_text(README, encoding="utf-8")
    return written


def main(argv: list[str]) -> int:
    book = Path(argv[1]) if len(argv) > 1 else Path("book")
    dest = Path(argv[2]) if len(argv) > 2 else Path("_build/student")
    if not book.is_dir():
        print(f"student: BOOK_DIR {book} is not a directory", file=sys.stderr)
        return 2
    written = build(book, dest)
    print(f"student: {len(written)} notebook(s) written to {dest / 'book'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
