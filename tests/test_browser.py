"""Open every page of the built website in headless Chromium with the network blocked.

Proves that the site works offline (a lab with no internet opening ``_build/html`` from disk):

* every page loads with no console error, no page error and no failed request, and makes no
  request off the site at all (every non-``file://`` request is aborted and reported);
* mathematics is typeset by the site's own MathJax (each ``.math`` element holds an
  ``mjx-container``) and no TeX error (``mjx-merror``) is shown;
* every image has loaded (non-zero size) and has a non-empty ``alt`` text;
* widgets stored in a page render from their saved state;
* every ``to_jshtml`` animation's Play control advances its frames;
* a screenshot of each page goes to ``_build/screenshots/``.

Driven by Playwright for Python with Debian's ``chromium`` (no ``playwright install``).
Without chromium or without a built site the tests are skipped with the reason, except when
``CI=true``, where they fail. ``make test`` builds the site first when it is stale.
Set ``CNNLAB_SITE`` to test a site built elsewhere.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("CNNLAB_SITE", ROOT / "_build" / "html")).resolve()
SHOTS = ROOT / "_build" / "screenshots"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static"}


def unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run, not skip)")
    pytest.skip(reason)


def site_pages() -> list[Path]:
    if not (SITE / "index.html").exists():
        return []
    # index.html only redirects to the root page: test_index_redirects_to_intro covers it
    return sorted(p for p in SITE.rglob("*.html")
                  if p != SITE / "index.html"
                  and not any(part in SKIP_DIRS or part.startswith(".")
                              for part in p.relative_to(SITE).parts))


PAGES = site_pages()
PAGE_IDS = [str(p.relative_to(SITE)) for p in PAGES]


def chromium():
    """Generator: yields a headless Chromium (Debian's) driven by Playwright, closes it after;
    skips (fails under CI=true) when either is missing. Shared by the browser test files."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        unavailable("no `chromium` on PATH: install it with `apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser():
    if SHOTS.exists():  # screenshots of this run only
        for old in SHOTS.glob("*.png"):
            old.unlink()
    yield from chromium()


class Visit:
    """A page opened with every off-site request aborted and every problem recorded."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)  # the machine may be busy
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.offsite: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("console",
                     lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed",
                     lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.goto(path.as_uri(), wait_until="load")

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file://", "data:", "blob:")):
            route.continue_()
        else:
            self.offsite.append(url)
            route.abort()

    def settle(self):
        """Wait until MathJax (when present) has typeset and the fonts have loaded.
        (Not Playwright's "networkidle": it timed out on a busy machine.)"""
        self.page.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                                    ? MathJax.startup.promise.then(() => true) : false""")
        self.page.evaluate("() => document.fonts.ready.then(() => true)")

    def close(self):
        self.context.close()


def open_page(browser, path):
    if path is None:
        unavailable(f"no built site at {SITE}: run `make book` (or `make test`, which builds)")
    return Visit(browser, path)


@pytest.mark.parametrize("path", PAGES or [None], ids=PAGE_IDS or ["no-site"])
def test_page_offline(browser, path):
    v = open_page(browser, path)
    try:
        v.settle()
        page = v.page
        # math: every .math element typeset by the local MathJax, no TeX errors
        math = page.evaluate("""() => {
            const els = Array.from(document.querySelectorAll('.math'));
            return {n: els.length,
                    untypeset: els.filter(e => !e.querySelector('mjx-container'))
                                  .map(e => e.textContent.slice(0, 80)),
                    merror: Array.from(document.querySelectorAll('mjx-merror'))
                                 .map(e => e.textContent.slice(0, 80))};
        }""")
        if math["n"]:
            assert page.locator("mjx-container").count() > 0, "math present but not typeset"
        assert not math["untypeset"], f"math left as raw TeX: {math['untypeset'][:5]}"
        assert not math["merror"], f"TeX errors shown on the page: {math['merror'][:5]}"

        # widgets: each stored view renders from its saved state
        views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        if views:
            page.wait_for_function(
                "n => document.querySelectorAll('.widget-subarea').length >= n", arg=views)
            rendered = page.evaluate("""() => Array.from(
                document.querySelectorAll('.widget-subarea'))
                .filter(e => e.getBoundingClientRect().height > 0).length""")
            assert rendered >= views, f"{views} widget views stored, {rendered} rendered"
            # widget labels written as $...$ are typeset (MathJax-2 adapter in the site)
            page.wait_for_timeout(300)
            raw = page.evaluate("""() => Array.from(
                document.querySelectorAll('.widget-subarea .widget-label'))
                .map(e => e.textContent).filter(t => /\\$[^$]+\\$/.test(t))""")
            assert not raw, f"widget labels left as raw TeX: {raw[:5]}"

        # images: loaded with a size, and described
        page.evaluate("""() => Promise.all(Array.from(document.images).map(img =>
            img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })))""")
        images = page.evaluate("""() => Array.from(document.images).map(img => ({
            src: (img.getAttribute('src') || img.id || '').slice(0, 100),
            widget: !!img.closest('.widget-subarea'),
            alt: (img.getAttribute('alt') || '').trim(),
            w: img.naturalWidth, h: img.naturalHeight}))""")
        empty = [i["src"] for i in images if i["w"] == 0 or i["h"] == 0]
        assert not empty, f"images that did not load (zero size): {empty}"
        # An ipywidgets Image has no alt attribute; its static twin carries the description.
        no_alt = [i["src"] for i in images if not i["alt"] and not i["widget"]]
        assert not no_alt, (f"images without alt text: {no_alt}. In a notebook, set the "
                            'cell metadata "mystnb": {"image": {"alt": "..."}}')

        # screenshot of the first screen, before any control is touched (a full-page shot
        # repeats the theme's sticky header mid-page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = str(path.relative_to(SITE).with_suffix("")).replace(os.sep, "__")
        page.screenshot(path=str(SHOTS / f"{name}.png"))

        # animations (Matplotlib to_jshtml): Play advances the frames
        for anim in page.locator("div.animation").all():
            slider = anim.locator("input.anim-slider")
            img = anim.locator("img")
            before = (int(slider.input_value()), img.get_attribute("src"))
            n_frames = int(slider.get_attribute("max")) + 1
            assert n_frames > 1, "an animation with a single frame"
            anim.locator('button[title="Play"]').click()
            page.wait_for_function(
                "([s, v]) => parseInt(document.getElementById(s).value) !== v",
                arg=[slider.get_attribute("id"), before[0]], timeout=10_000)
            anim.locator('button[title="Pause"]').click()
            assert img.get_attribute("src") != before[1], "the frame image did not change"

        assert not v.offsite, f"requests off the site (blocked): {v.offsite}"
        assert not v.failed, f"failed requests: {v.failed}"
        assert not v.errors, f"console errors: {v.errors}"
    finally:
        v.close()


def test_index_redirects_to_intro(browser):
    index = SITE / "index.html"
    v = open_page(browser, index if index.exists() else None)
    try:
        v.page.wait_for_url("**/book/intro.html")
        assert v.page.locator("h1").count() >= 1
    finally:
        v.close()


def test_site_loads_nothing_from_a_cdn():
    """Static check of the HTML files, independent of the browser: no script or stylesheet
    from another host (what the browser test sees only for the pages it opens)."""
    if not PAGES:
        unavailable(f"no built site at {SITE}: run `make book`")
    import re
    remote = re.compile(r"<(?:script[^>]*\ssrc|link[^>]*rel=\"stylesheet\"[^>]*\shref)"
                        r"\s*=\s*\"(?:https?:)?//", re.I)
    bad = [str(p.relative_to(SITE)) for p in PAGES if remote.search(p.read_text("utf-8"))]
    assert not bad, f"pages that load a script or stylesheet from the network: {bad}"
