#!/usr/bin/env python3
"""reveal.js slides, one deck per chapter notebook, for teaching.

Usage: ``python tools/slides.py [BOOK_DIR] [OUT_DIR]`` (``make slides``: ``book`` ->
``_build/slides``). Needs the npm assets of ``tools/vendor_assets.py`` in
``_build/offline/vendor`` (``make slides`` fetches them); they are copied next to the decks so
the folder works from disk, without internet.

Lecture decks, not the chapters poured into slides (``lecture_notebook``): the notebook's MyST
is converted as for the student edition (labelled equations numbered, roles as text); each
heading starts a slide that shows one idea — its display equations, a short table or list, or
a figure (image outputs only) — within a height budget that fits reveal.js's 960×700 canvas
(a full 1280×800 screen), continued on a new slide when it would not; every prose paragraph
goes to the speaker notes (press ``s``). No code, no ``In [ ]`` prompts, no text or widget
outputs, nothing from the Exercises section but the exercise titles (statements in the
notes), no solutions. ``tests/test_slides.py`` pages through every deck in Chromium and
checks the heights and that no JavaScript error fires.

Offline: reveal.js, jQuery, require.js, MathJax 3 and the widget manager are local. The
template's mermaid ES-module import (unused here) is removed, since browsers refuse module
scripts from ``file://``.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_build" / "offline" / "vendor"
CHAPTER = re.compile(r"^\d+[a-z]?_.*\.ipynb$")

# MathJax 3 for the slides: nbconvert's template writes a MathJax-2 configuration (ignored
# by MathJax 3), expects $...$ inline math and calls MathJax.Hub.getAllJax/Rerender on every
# slide change; this loader configures MathJax 3 and answers those MathJax-2 calls.
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
  }, Config: function () {},
    // nbconvert's reveal template calls these on every slide change
    getAllJax: function () { return []; },
    Rerender: function (el) {
      var MJ = window.MathJax;
      if (MJ && MJ.startup && MJ.startup.promise) {
        MJ.startup.promise.then(function () { return MJ.typesetPromise(el ? [el] : undefined); });
      }
    }};
  window.MathJax.Hub = hub;
  s.onload = function () { window.MathJax.Hub = hub; };
  document.head.appendChild(s);
})();
"""
MERMAID_BLOCK = re.compile(r'<script type="module">\s*import mermaid from [^<]*</script>', re.S)


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


# ---------------------------------------------------------------- lecture decks

# Budget of one slide, in pixels of reveal.js's 960×700 canvas (title and margins included).
SLIDE_BUDGET = 560
TITLE_PX = 90
IMG_MAX_PX = 400
SLIDE_CSS = """<style>
.reveal .slides section { text-align: left; }
.reveal .slides section h1, .reveal .slides section h2, .reveal .slides section h3 {
  font-size: 1.25em; text-transform: none; margin-bottom: 0.4em; }
.reveal .slides section img.slide-figure { max-height: %dpx; max-width: 100%%; display: block;
  margin: 0.2em auto; }
.reveal .slides section table { font-size: 0.55em; }
.reveal .slides section ul, .reveal .slides section ol { font-size: 0.7em; }
.reveal .slides section p { font-size: 0.75em; }
.reveal .slides section mjx-container[display="true"] { font-size: 80%%; }
</style>""" % IMG_MAX_PX
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _blocks(md: str) -> list[str]:
    """Split Markdown into blocks: display math, lists, tables, headings, paragraphs."""
    out, cur, in_math = [], [], False
    for line in md.split("\n"):
        if in_math:
            cur.append(line)
            if line.rstrip().endswith("$$"):
                out.append("\n".join(cur))
                cur, in_math = [], False
            continue
        if line.strip().startswith("$$"):
            if cur:
                out.append("\n".join(cur))
            cur = [line]
            if line.strip() == "$$" or not line.rstrip().endswith("$$") or line.strip() == "$$$$":
                in_math = True
            else:
                out.append(line)
                cur = []
            continue
        if HEADING.match(line):
            if cur:
                out.append("\n".join(cur))
            out.append(line)
            cur = []
            continue
        if not line.strip():
            if cur:
                out.append("\n".join(cur))
            cur = []
            continue
        cur.append(line)
    if cur:
        out.append("\n".join(cur))
    return [b for b in out if b.strip()]


def _kind(block: str) -> str:
    first = block.lstrip()
    if HEADING.match(first):
        return "heading"
    if first.startswith("$$"):
        return "math"
    if first.startswith("|"):
        return "table"
    if re.match(r"^([-*+]|\d+\.)\s", first):
        return "list"
    if first.startswith("**Exercise"):
        return "exercise"
    return "prose"


def _height(kind: str, block: str) -> int:
    rows = block.count("\n") + 1
    if kind == "math":
        return 40 + 42 * max(1, block.count("\\\\") + 1)
    if kind == "table":
        return 30 * rows
    if kind == "list":
        return sum(26 * (1 + len(ln) // 80) for ln in block.split("\n"))
    if kind == "figure":
        return IMG_MAX_PX + 20
    return 30 * (1 + len(block) // 90)


class Deck:
    """Slides as (title, shown blocks, notes); one idea per slide within a height budget."""

    def __init__(self):
        self.slides: list[dict] = []
        self.title = ""

    def new(self, title: str):
        self.title = title
        self.slides.append({"title": title, "shown": [], "notes": [], "used": TITLE_PX})

    def show(self, kind: str, block: str):
        h = _height(kind, block)
        if not self.slides:
            self.new(self.title or "")
        cur = self.slides[-1]
        if cur["shown"] and cur["used"] + h > SLIDE_BUDGET:
            self.new(self.title)
            self.slides[-1]["title"] = self.title
        self.slides[-1]["shown"].append(block)
        self.slides[-1]["used"] += h

    def note(self, block: str):
        if not self.slides:
            self.new(self.title or "")
        self.slides[-1]["notes"].append(block)

    def cells(self) -> list[dict]:
        cells = []
        for i, sl in enumerate(self.slides):
            body = (f"## {sl['title']}\n\n" if sl["title"] else "") + "\n\n".join(sl["shown"])
            cells.append({"cell_type": "markdown", "id": f"slide-{i}",
                          "metadata": {"slideshow": {"slide_type": "slide"}}, "source": body})
            if sl["notes"]:
                cells.append({"cell_type": "markdown", "id": f"notes-{i}",
                              "metadata": {"slideshow": {"slide_type": "notes"}},
                              "source": "\n\n".join(sl["notes"])})
        return cells


def _image_outputs(cell) -> list[str]:
    imgs = []
    for out in cell.get("outputs", []) or []:
        data = out.get("data", {})
        png = data.get("image/png")
        if png:
            png = "".join(png) if isinstance(png, list) else png
            imgs.append(f'<img class="slide-figure" alt="figure" src="data:image/png;base64,'
                        f'{png.strip()}">')
    return imgs


def lecture_notebook(nb: dict, stem: str = "", index=None) -> dict:
    """A lecture deck for ``nb``: one idea per slide (a heading with its equation, table, short
    list or figure), the prose in speaker notes; no code, no prompts, no outputs other than
    figures, no solutions, no exercise outputs, equation labels as numbers."""
    import student
    index = index or student.BookIndex({stem: nb})
    deck = Deck()
    in_exercises = False
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"solution", "remove-cell", "hide-cell"} or student.is_solution(cell):
            continue
        if cell.get("cell_type") == "markdown":
            md = student.convert_markdown(source(cell), stem, index)
            for block in _blocks(md):
                kind = _kind(block)
                if kind == "heading":
                    title = HEADING.match(block.strip()).group(2).strip()
                    in_exercises = title.lower().startswith("exercise")
                    deck.new(title)
                elif kind == "exercise":
                    head, _, rest = block.partition("\n")
                    deck.new(head.strip("* ").strip())
                    if rest.strip():
                        deck.note(rest)
                elif kind == "math":
                    deck.show(kind, block)
                elif kind in ("table", "list") and _height(kind, block) <= SLIDE_BUDGET - TITLE_PX \
                        and not in_exercises:
                    deck.show(kind, block)
                else:
                    deck.note(block)
        elif cell.get("cell_type") == "code" and not in_exercises:
            for img in _image_outputs(cell):
                deck.show("figure", img)
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": nb.get("metadata", {}),
            "cells": deck.cells()}


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
    c.SlidesExporter.reveal_scroll = False
    c.SlidesExporter.exclude_input_prompt = True
    c.SlidesExporter.exclude_output_prompt = True
    c.SlidesExporter.reveal_theme = "white"  # fonts served locally ("simple" imports Google Fonts)
    c.SlidesExporter.jquery_url = "vendor/jquery.min.js"
    c.SlidesExporter.require_js_url = "vendor/require.js"
    c.SlidesExporter.mathjax_url = "vendor/mathjax-slides.js"
    c.SlidesExporter.widget_renderer_url = "vendor/html-manager/embed-amd.js"
    c.SlidesExporter.mermaid_js_url = ""
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {"slides-remove-input"}
    exporter = SlidesExporter(config=c)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import student
    paths = [p for p in sorted(book.glob("*.ipynb")) if CHAPTER.match(p.name)]
    nbs = {p: json.loads(p.read_text("utf-8")) for p in paths}
    index = student.BookIndex({p.stem: nb for p, nb in nbs.items()})
    decks = []
    for path, src in nbs.items():
        nb = nbformat.reads(json.dumps(lecture_notebook(src, path.stem, index)), as_version=4)
        html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        html = MERMAID_BLOCK.sub("", html)
        html = html.replace("</head>", SLIDE_CSS + "\n</head>", 1)
        html = html.replace("function(Reveal, RevealNotes){",
                            "function(Reveal, RevealNotes){\n        window.Reveal = Reveal;", 1)
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
