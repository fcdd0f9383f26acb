#!/usr/bin/env python3
"""reveal.js slides, one deck per chapter notebook, for teaching.

Usage: ``python tools/slides.py [BOOK_DIR] [OUT_DIR]`` (``make slides``: ``book`` ->
``_build/slides``). Needs the npm assets of ``tools/vendor_assets.py`` in
``_build/offline/vendor`` (``make slides`` fetches them); they are copied next to the decks so
the folder works from disk, without internet.

Slides are cut from the notebook's structure, so chapters need no slide metadata:
``#``/``##`` headings start a slide, ``###`` a sub-slide (vertical), other cells continue
the current one; cells tagged ``solution`` are left out (show them from the book when the
class is ready), inputs tagged ``remove-input``/``hide-input`` and cells tagged
``remove-cell``/``hide-cell`` are hidden. Long slides scroll.

Offline: reveal.js, jQuery, require.js, MathJax 3 and the widget manager are local. The
template's mermaid ES-module import (unused here) is removed, since browsers refuse module
scripts from ``file://``.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_build" / "offline" / "vendor"
CHAPTER = re.compile(r"^\d+[a-z]?_.*\.ipynb$")

# MathJax 3 for the slides: nbconvert's template writes a MathJax-2 configuration (ignored
# by MathJax 3) and expects $...$ inline math; this loader configures MathJax 3 accordingly.
MATHJAX_LOADER = """window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]],
        displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"},
  options: {ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process"}
};
(function () {
  var me = document.currentScript.src.replace(/[^\\/]*$/, "");
  var s = document.createElement("script");
  s.src = me + "mathjax/tex-chtml.js";
  s.async = true;
  // The template (and the widget manager) call the MathJax-2 API MathJax.Hub.Queue.
  var hub = {Queue: function () {
    var MJ = window.MathJax;
    if (MJ && MJ.startup && MJ.startup.promise) {
      MJ.startup.promise.then(function () { return MJ.typesetPromise(); });
    }
  }, Config: function () {}};
  window.MathJax.Hub = hub;
  s.onload = function () { window.MathJax.Hub = hub; };
  document.head.appendChild(s);
})();
"""
MERMAID_BLOCK = re.compile(r'<script type="module">\s*import mermaid from [^<]*</script>', re.S)


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


TARGET = re.compile(r"^\s*\([^)\s]+\)=\s*$")
DIRECTIVE = re.compile(r"^(\s*)(`{3,}|:{3,})\{([\w:-]+)\}\s*(.*)$")
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")


def _role(m: re.Match) -> str:
    name, text = m.group(1), m.group(2)
    shown = re.sub(r"\s*<[^>]*>$", "", text) or text
    if name in ("eq", "numref"):
        return f"({text})"
    if name == "cite":
        return f"[{text}]"
    return shown


def myst_to_markdown(text: str) -> str:
    """What reveal.js can show of MyST: targets dropped, directives as bold titles, roles as
    their text (nbconvert renders plain Markdown only)."""
    out, closing = [], []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if TARGET.match(line):
            i += 1
            continue
        m = DIRECTIVE.match(line)
        if m:
            indent, fence, name, arg = m.groups()
            title = name.split(":")[-1].replace("-", " ").capitalize()
            if name not in ("math",):
                out.append(f"{indent}**{title}** {ROLE.sub(_role, arg)}".rstrip())
            closing.append(fence)
            i += 1
            while i < len(lines) and re.match(r"^\s*:[\w-]+:", lines[i]):
                i += 1  # directive options
            continue
        if closing and line.strip() == closing[-1]:
            closing.pop()
            i += 1
            continue
        out.append(ROLE.sub(_role, line))
        i += 1
    return "\n".join(out)


def slide_notebook(nb: dict) -> dict:
    """A copy of ``nb`` with reveal.js slide types set from the headings."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"solution", "remove-cell", "hide-cell"}:
            continue
        kind = "-"
        if cell["cell_type"] == "markdown":
            cell["source"] = myst_to_markdown(source(cell))
            first = source(cell).lstrip().split("\n", 1)[0]
            if re.match(r"#{1,2}\s", first):
                kind = "slide"
            elif re.match(r"###\s", first):
                kind = "subslide"
        if not cells:
            kind = "slide"
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
        if cell["cell_type"] == "code" and tags & {"remove-input", "hide-input"}:
            cell["metadata"].setdefault("tags", []).append("slides-remove-input")
        cells.append(cell)
    out["cells"] = cells
    return out


def main(argv: list[str]) -> int:
    book = Path(argv[1]) if len(argv) > 1 else ROOT / "book"
    dest = Path(argv[2]) if len(argv) > 2 else ROOT / "_build" / "slides"
    if not (VENDOR / ".complete").exists():
        print(f"slides: run `python tools/vendor_assets.py {VENDOR}` first (make slides does)",
              file=sys.stderr)
        return 2
    import nbformat
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    dest.mkdir(parents=True, exist_ok=True)
    vendor = dest / "vendor"
    if vendor.exists():
        shutil.rmtree(vendor)
    shutil.copytree(VENDOR, vendor, ignore=shutil.ignore_patterns("font-awesome"))
    (vendor / "mathjax-slides.js").write_text(MATHJAX_LOADER, encoding="utf-8")

    c = Config()
    c.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    c.SlidesExporter.reveal_scroll = True
    c.SlidesExporter.reveal_theme = "white"  # fonts served locally ("simple" imports Google Fonts)
    c.SlidesExporter.jquery_url = "vendor/jquery.min.js"
    c.SlidesExporter.require_js_url = "vendor/require.js"
    c.SlidesExporter.mathjax_url = "vendor/mathjax-slides.js"
    c.SlidesExporter.widget_renderer_url = "vendor/html-manager/embed-amd.js"
    c.SlidesExporter.mermaid_js_url = ""
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {"slides-remove-input"}
    exporter = SlidesExporter(config=c)

    decks = []
    for path in sorted(book.glob("*.ipynb")):
        if not CHAPTER.match(path.name):
            continue
        nb = nbformat.reads(json.dumps(slide_notebook(json.loads(path.read_text("utf-8")))),
                            as_version=4)
        html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        html = MERMAID_BLOCK.sub("", html)
        target = dest / f"{path.stem}.slides.html"
        target.write_text(html, encoding="utf-8")
        remote = sorted(set(re.findall(
            r'<(?:script[^>]*\ssrc|link[^>]*\shref)="((?:https?:)?//[^"]+)"', html)))
        note = f"  (still remote: {remote})" if remote else ""
        print(f"slides: {target.relative_to(dest.parent)}{note}")
        decks.append(target)
    index = ["<!doctype html><meta charset='utf-8'><title>CNN Math Lab slides</title>",
             "<h1>CNN Math Lab: slides</h1><ul>"]
    index += [f"<li><a href='{d.name}'>{d.stem.replace('.slides', '')}</a></li>" for d in decks]
    index.append("</ul>")
    (dest / "index.html").write_text("\n".join(index) + "\n", encoding="utf-8")
    print(f"slides: {len(decks)} deck(s) in {dest} (open {dest / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
