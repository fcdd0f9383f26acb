"""The notation page is linked from the chapters, and its index covers every chapter.

The site promises that "the notation page is linked from each symbol's first use": the chapters
turn a symbol's first use into a glossary link, {term}`text <target>`, to a term of the
```{glossary}``` blocks of book/notation.md. These tests check that
(a) every chapter notebook uses at least one {term} role,
(b) every {term} target used anywhere in book/ is a glossary term of book/notation.md
    (a broken target is only a warning in a build without -W), and
(c) every numbered chapter of _toc.yml is linked from the index table at the end of
    book/notation.md ("## Where each symbol is introduced").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTATION = BOOK / "notation.md"
INDEX_HEADING = "## Where each symbol is introduced"

# {term}`target` or {term}`shown text <target>`; the text may wrap onto the next line.
TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")
EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
LABEL = re.compile(r"^\(([\w-]+)\)=\s*$", re.M)


def chapter_notebooks() -> list[Path]:
    return sorted(BOOK.glob("[0-9]*.ipynb"))


def markdown_text(path: Path) -> str:
    """The markdown of a notebook (its markdown cells) or of a .md file."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return "\n\n".join(
            "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for cell in nb["cells"]
            if cell["cell_type"] == "markdown"
        )
    return path.read_text(encoding="utf-8")


def term_targets(text: str) -> list[str]:
    """The glossary terms that the {term} roles in `text` point to."""
    targets = []
    for content in TERM_ROLE.findall(text):
        m = EXPLICIT.match(content.strip())
        target = m.group(2) if m else content
        targets.append(" ".join(target.split()))  # a role may wrap onto the next line
    return targets


def glossary_terms(text: str) -> set[str]:
    """Terms of the ```{glossary} blocks: their unindented, non-empty lines."""
    terms: set[str] = set()
    for block in re.findall(r"^```\{glossary\}[^\n]*\n(.*?)^```\s*$", text, re.S | re.M):
        for line in block.splitlines():
            if line.strip() and not line[0].isspace() and not line.startswith(":"):
                terms.add(line.strip())
    return terms


def numbered_chapters() -> list[str]:
    """The docnames (e.g. 'book/01_convolution') of the numbered parts of _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = []
    for part in toc.get("parts", []):
        if part.get("numbered"):
            files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def index_table() -> str:
    text = NOTATION.read_text(encoding="utf-8")
    assert INDEX_HEADING in text, f"{NOTATION.name} has no section {INDEX_HEADING!r}"
    section = text.split(INDEX_HEADING, 1)[1]
    section = re.split(r"^#{1,2} ", section, maxsplit=1, flags=re.M)[0]  # up to the next section
    rows = [line for line in section.splitlines() if line.lstrip().startswith("|")]
    assert rows, f"the section {INDEX_HEADING!r} holds no table"
    return "\n".join(rows)


def test_glossary_is_parsed():
    terms = glossary_terms(NOTATION.read_text(encoding="utf-8"))
    # terms that other pages link to; renaming one breaks their links
    for term in ("layer l", "sensitivity", "cross-correlation", "rot180", "switches",
                 "connection table", "TReLU", "padding and stride"):
        assert term in terms
    assert len(terms) >= 28


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_chapter_links_the_notation_page(path):
    assert term_targets(markdown_text(path)), (
        f"{path.name} has no {{term}} link to the notation page's glossary; turn the first use "
        "of a symbol into one, e.g. {term}`cross-correlation` or {term}`residual <sensitivity>`"
    )


def test_every_term_target_exists():
    terms = glossary_terms(NOTATION.read_text(encoding="utf-8"))
    lower = {t.lower() for t in terms}  # Sphinx resolves glossary terms case-insensitively
    missing = []
    for path in sorted(BOOK.rglob("*.md")) + sorted(BOOK.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        for target in term_targets(markdown_text(path)):
            if target not in terms and target.lower() not in lower:
                missing.append(f"{path.relative_to(BOOK)}: {{term}} target {target!r}")
    assert not missing, "not a glossary term of book/notation.md:\n" + "\n".join(missing)


def test_index_table_links_every_chapter():
    table = index_table()
    chapters = numbered_chapters()
    assert len(chapters) >= 10
    unlinked = []
    for docname in chapters:
        path = ROOT / f"{docname}.ipynb"
        if not path.exists():
            path = ROOT / f"{docname}.md"
        name = Path(docname).name
        labels = LABEL.findall(markdown_text(path)) if path.exists() else []
        linked = (
            re.search(rf"\]\({re.escape(name)}(\.ipynb|\.md)?(#[^)]*)?\)", table)
            or re.search(rf"\{{doc\}}`([^`]*<)?{re.escape(name)}>?`", table)
            or any(re.search(rf"\{{ref\}}`([^`]*<)?{re.escape(label)}>?`", table) for label in labels)
        )
        if not linked:
            unlinked.append(docname)
    assert not unlinked, f"chapters not linked from the notation index table: {unlinked}"
