"""`make slides`: lecture decks that fit a 1280×800 screen and page through without a JavaScript
error. Every deck is built into a temporary folder (tools/slides.py, offline assets from
_build/offline) and paged through in headless Chromium with the network cut off."""
import importlib.util
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
spec = importlib.util.spec_from_file_location("slides", ROOT / "tools" / "slides.py")
slides = importlib.util.module_from_spec(spec)
spec.loader.exec_module(slides)


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    assert (slides.VENDOR / ".complete").exists(), "run `make book` (it vendors the offline assets)"
    out = tmp_path_factory.mktemp("slides")
    assert slides.main(["slides", str(ROOT / "book"), str(out)]) == 0
    return sorted(out.glob("*.slides.html"))


def test_one_deck_per_chapter(decks):
    chapters = [p for p in (ROOT / "book").glob("*.ipynb") if slides.CHAPTER.match(p.name)]
    assert len(decks) == len(chapters) > 0


def test_decks_have_no_prompts_code_labels_or_exercise_outputs(decks):
    for deck in decks:
        html = deck.read_text(encoding="utf-8")
        body = html[html.index('<div class="reveal">'):]
        body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
        assert "In&nbsp;[" not in body and "jp-InputPrompt" not in body, deck.name
        assert 'jp-CodeCell' not in body and "jp-OutputPrompt" not in body, deck.name
        slides_only = re.sub(r'<aside class="notes">.*?</aside>', "", body, flags=re.S)
        assert not re.search(r"\$\$\s*\((ch\d\d|[a-z]+-)[\w-]*\)", slides_only), deck.name
        assert not re.search(r"\{(eq|term|ref|doc|cite)\}`", slides_only), deck.name
        for mark in ("✓", "✗", "not answered yet", "check_ex"):
            assert mark not in slides_only, (deck.name, mark)
        assert '<aside class="notes">' in body, f"{deck.name}: no speaker notes"


def test_every_slide_fits_and_no_js_error(decks):
    too_tall, errors, n_slides = [], [], 0
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        for deck in decks:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda e, d=deck.name: errors.append(f"{d}: {e}"))
            page.on("console", lambda m, d=deck.name: errors.append(f"{d}: {m.text}")
                    if m.type == "error" else None)
            page.route("http*://**", lambda r: r.abort())
            page.goto(deck.as_uri())
            page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=60_000)
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=60_000)
            page.evaluate("() => MathJax.startup.promise")
            height = page.evaluate("() => Reveal.getConfig().height")
            total = page.evaluate("() => Reveal.getTotalSlides()")
            for i in range(total):
                time.sleep(0.05)
                h, title = page.evaluate("() => { const s = Reveal.getCurrentSlide(); "
                                         "return [s.scrollHeight, (s.innerText || '').slice(0, 50)]; }")
                n_slides += 1
                if h > height + 1:
                    too_tall.append((deck.name, i, h, title))
                page.evaluate("() => Reveal.next()")
            page.close()
        browser.close()
    assert n_slides > 0
    assert not too_tall, too_tall[:5]
    assert not errors, errors[:5]
