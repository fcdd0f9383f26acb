#!/usr/bin/env python3
"""Write the source of the student website: the book without solutions and without the teacher
pages, whose launch buttons open the *student* notebooks (``make student-site``).

Usage: ``python tools/student_site.py SRC_DIR`` then ``jupyter-book build SRC_DIR``
(the Makefile does both and puts the site in ``_build/student-site/html``).

* pages: every page of ``_toc.yml`` except the instructor guide (``book/instructor/*``,
  ``book/howto_teacher``); notebooks keep their outputs and widget state but lose every cell
  tagged ``solution`` (and untagged ``{solution}`` blocks), as in ``tools/student.py``;
* launch buttons: ``repository.url`` is ``$STUDENT_REPO`` and ``repository.branch`` is
  ``$STUDENT_BRANCH`` (default: the project's repository, branch ``student``). Publish the
  handout ``_build/student`` there (its notebooks sit in ``book/``, the same paths as in the
  book), and Binder, JupyterHub (nbgitpuller) and Colab open the page's *student* notebook.
"""
from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import student  # noqa: E402

TEACHER_ONLY = ("book/instructor/", "book/howto_teacher")
# links to teacher-only pages become plain text on the student site
TEACHER_LINK = re.compile(r"\[([^\]]*)\]\((?:\.\./|\./)*(?:book/)?(?:instructor/[^)]*|howto_teacher(?:\.md)?)\)")
TEACHER_DOC = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<)?(?:\.\./|\./)*(?:book/)?"
                         r"(instructor/[^`>]*|howto_teacher)>?`")


def _unlink_teacher(text: str) -> str:
    text = TEACHER_LINK.sub(lambda m: m.group(1), text)
    return TEACHER_DOC.sub(lambda m: (m.group(1) or "the teacher's guide").strip(), text)


def _strip_toc(node):
    """Drop teacher-only files from a jb-book toc (parts/chapters/sections)."""
    if isinstance(node, list):
        out = []
        for item in node:
            if isinstance(item, dict) and str(item.get("file", "")).startswith(TEACHER_ONLY):
                continue
            item = _strip_toc(item)
            if isinstance(item, dict) and "chapters" in item and not item["chapters"]:
                continue
            out.append(item)
        return out
    if isinstance(node, dict):
        return {k: _strip_toc(v) for k, v in node.items()}
    return node


def _toc_files(node):
    if isinstance(node, list):
        for item in node:
            yield from _toc_files(item)
    elif isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        if "root" in node:
            yield node["root"]
        for v in node.values():
            if isinstance(v, (list, dict)):
                yield from _toc_files(v)


def without_solutions(nb: dict) -> dict:
    out = copy.deepcopy(nb)
    out["cells"] = [c for c in nb.get("cells", []) if not student.is_solution(c)]
    return out


def write_source(dest: Path, root: Path = ROOT, repo: str | None = None,
                 branch: str | None = None) -> Path:
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    toc = _strip_toc(toc)
    config["title"] = f"{config.get('title', 'Book')} — student edition"
    config.setdefault("repository", {})
    config["repository"]["url"] = repo or os.environ.get("STUDENT_REPO") or \
        config["repository"].get("url", "")
    config["repository"]["branch"] = branch or os.environ.get("STUDENT_BRANCH") or "student"
    config["repository"]["path_to_book"] = ""
    html = config.setdefault("html", {})
    html["use_edit_page_button"] = False
    html["use_issues_button"] = False
    # the offline assets, the Sphinx helper and the bibliography come from the project
    for name in ("site_assets", "tools"):
        if (root / name).exists():
            (dest / name).symlink_to(root / name, target_is_directory=True)
    if (root / "_build" / "offline").exists():
        (dest / "_build").mkdir()
        (dest / "_build" / "offline").symlink_to(root / "_build" / "offline",
                                                 target_is_directory=True)
    (dest / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                                      encoding="utf-8")
    (dest / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    # book/: every non-notebook file as it is, notebooks without solutions, no teacher pages
    book = root / "book"
    for f in sorted(book.rglob("*")):
        rel = f.relative_to(root)
        if f.is_dir() or ".ipynb_checkpoints" in f.parts or "__pycache__" in f.parts:
            continue
        if str(rel.with_suffix("")).startswith(TEACHER_ONLY):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if f.suffix == ".ipynb":
            nb = without_solutions(json.loads(f.read_text(encoding="utf-8")))
            for c in nb["cells"]:
                if c.get("cell_type") == "markdown":
                    c["source"] = _unlink_teacher(student.source(c))
            target.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        elif f.suffix == ".md":
            target.write_text(_unlink_teacher(f.read_text(encoding="utf-8")), encoding="utf-8")
        else:
            shutil.copy2(f, target)
    missing = [p for p in _toc_files(toc) if not any((dest / (p + ext)).exists()
                                                      for ext in ("", ".md", ".ipynb"))]
    if missing:
        raise SystemExit(f"student_site: pages of _toc.yml missing: {missing}")
    return dest


def main(argv):
    if len(argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    d = write_source(Path(argv[1]))
    print(f"student_site: source written to {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
