"""The built website's widget panels and its accessibility, in headless Chromium, offline.

* Every widget panel (``.cnnlab-panel``, built by :mod:`cnnlab.widgets._frames`) on every page:
  each of its controls is moved the way a reader moves it — a slider from the keyboard (focus,
  then End, Home, ArrowRight), every option of a dropdown, every toggle button (clicked, the
  last one pressed with Enter) — and after each move the frame shown must be the one whose
  ``data-key`` is built from the labels the controls now show (``name=label|…``); then a burst
  of keys on each slider, with no console error. The panels are found on the page, so a
  chapter that gains one is covered without editing this file.
* Controls that need a running kernel (``.cnnlab-kernel-only``) are disabled on the website
  and described by the sentence under them.
* Every control of a panel can be reached with the keyboard: Tab from its first control walks
  through all of them (each toggle button, each slider handle, each dropdown); dropdowns also
  answer ArrowDown.
* axe-core (vendored by ``tools/vendor_assets.py``) is injected into every page: no critical or
  serious violation of the WCAG 2.1 A/AA rules.
* No page links to the placeholder addresses of the repository or launch buttons
  (``tools/offline_site.py`` shows those buttons only when ``repository.url`` is set).

Skipped without chromium or a built site, except with ``CI=true`` (then they fail), like
``tests/test_browser.py``, whose page-opening helpers this file shares.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from test_browser import PAGES, PAGE_IDS, ROOT, SITE, chromium, open_page, unavailable

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")
PLACEHOLDERS = ("github.com/cnn-math-lab/cnn-math-lab", "jupyterhub.example.edu")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (test_browser.py's own fixture also clears its screenshots)."""
    yield from chromium()


def _axe_source() -> str:
    for path in (SITE / "_static" / "vendor" / "axe-core" / "axe.min.js",
                 ROOT / "_build" / "offline" / "vendor" / "axe-core" / "axe.min.js"):
        if path.exists():
            return path.read_text(encoding="utf-8")
    unavailable("axe-core is not vendored: run `make book` (tools/vendor_assets.py fetches it)")


def _panel_pages() -> list[Path]:
    return [p for p in PAGES if "cnnlab-panel" in p.read_text(encoding="utf-8")]


PANEL_PAGES = _panel_pages()
PANEL_IDS = [str(p.relative_to(SITE)) for p in PANEL_PAGES]


def _ready(v):
    """Page loaded, MathJax done, every stored widget view rendered, the site's widget script
    has run (slider handles named)."""
    v.settle()
    views = v.page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if views:
        v.page.wait_for_function(
            "n => document.querySelectorAll('.widget-subarea').length >= n", arg=views)
        v.page.wait_for_function("""() => Array.from(document.querySelectorAll('.noUi-handle'))
            .every(h => h.hasAttribute('aria-labelledby') || h.closest('.cnnlab-kernel-only'))""")
        # html-manager goes on creating the views of hidden stack children after the first
        # paint; wait until the page has not changed for half a second
        v.page.evaluate("""() => new Promise(done => {
            let timer = setTimeout(finish, 500);
            const obs = new MutationObserver(() => { clearTimeout(timer);
                                                     timer = setTimeout(finish, 500); });
            function finish() { obs.disconnect(); done(true); }
            obs.observe(document.body, {childList: true, subtree: true});
        })""")
    return views


# Everything about the controls is read in the page, by these functions (one place).
JS_HELPERS = r"""
window.__cnn = {
  visible(el) { return !!el && el.getClientRects().length > 0
                       && getComputedStyle(el).visibility !== 'hidden'; },
  panels() { return Array.from(document.querySelectorAll('.cnnlab-panel')); },
  kind(ctl) {
    if (ctl.classList.contains('widget-slider')) return 'slider';
    if (ctl.classList.contains('widget-dropdown')) return 'dropdown';
    if (ctl.classList.contains('widget-toggle-buttons')) return 'toggle';
    return 'other';
  },
  nameOf(ctl) {
    const c = Array.from(ctl.classList).find(c => c.startsWith('cnnlab-ctl-'));
    return c ? c.slice('cnnlab-ctl-'.length) : null;
  },
  // the controls of panel i that are visible now (top level, then those of shown children)
  controls(i) {
    const p = this.panels()[i];
    return Array.from(p.querySelectorAll('[class*="cnnlab-ctl-"]')).filter(c => this.visible(c));
  },
  control(i, name) {
    return this.controls(i).find(c => this.nameOf(c) === name) || null;
  },
  // labels as text: ipywidgets writes the spaces of dropdown options as no-break spaces
  norm(s) { return s == null ? s : s.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim(); },
  labelOf(ctl) { return this.norm(this.rawLabel(ctl)); },
  rawLabel(ctl) {
    const k = this.kind(ctl);
    if (k === 'slider') return ctl.querySelector('.widget-readout').textContent.trim();
    if (k === 'dropdown') { const s = ctl.querySelector('select');
                            return s.options[s.selectedIndex].textContent.trim(); }
    if (k === 'toggle') { const b = ctl.querySelector('button.mod-active');
                          return b ? b.textContent.trim() : null; }
    return null;
  },
  expected(i) {
    const out = {};
    for (const c of this.controls(i)) out[this.nameOf(c)] = this.labelOf(c);
    return out;
  },
  shown(i) {
    const p = this.panels()[i];
    const frames = Array.from(p.querySelectorAll('.cnnlab-frame')).filter(f => this.visible(f));
    return frames.map(f => f.getAttribute('data-key'));
  },
  parse(key) {
    const out = {};
    for (const part of (key ? key.split('|') : [])) {
      const at = part.indexOf('=');
      out[part.slice(0, at)] = this.norm(part.slice(at + 1));
    }
    return out;
  },
  // true when exactly one frame is shown and its key is what the controls show
  agrees(i) {
    const shown = this.shown(i);
    if (shown.length !== 1) return false;
    const got = this.parse(shown[0]), want = this.expected(i);
    const keys = new Set(Object.keys(got).concat(Object.keys(want)));
    for (const k of keys) if (got[k] !== want[k]) return false;
    return true;
  },
  options(i, name) {
    const c = this.control(i, name);
    const k = this.kind(c);
    if (k === 'dropdown') return Array.from(c.querySelectorAll('option')).map(o => o.textContent);
    if (k === 'toggle') return Array.from(c.querySelectorAll('button')).map(b => this.norm(b.textContent));
    return [];
  },
  // why the keyboard cannot reach this control (null when it can)
  unreachable(c) {
    const k = this.kind(c);
    const els = k === 'slider' ? Array.from(c.querySelectorAll('.noUi-handle'))
              : k === 'dropdown' ? Array.from(c.querySelectorAll('select'))
              : Array.from(c.querySelectorAll('button'));
    if (!els.length) return 'no focusable element';
    for (const e of els) {
      if (e.disabled || e.getAttribute('aria-disabled') === 'true') return 'disabled';
      if (e.tabIndex < 0) return 'tabindex ' + e.tabIndex;
    }
    return null;
  },
};
"""


def _state(page, i):
    return page.evaluate("i => ({want: __cnn.expected(i), shown: __cnn.shown(i)})", i)


def _check(page, i, what):
    try:
        page.wait_for_function("i => __cnn.agrees(i)", arg=i, timeout=15_000)
    except Exception:  # noqa: BLE001 - report what is shown instead of a bare timeout
        st = _state(page, i)
        pytest.fail(f"panel {i}, after {what}: the controls show {st['want']} but the frame(s) "
                    f"shown are {st['shown']}")


def _move_slider(page, i, name, moves):
    handle = page.locator(".cnnlab-panel").nth(i).locator(
        f".cnnlab-ctl-{name}:visible .noUi-handle").first
    for key in ("End", "Home", "ArrowRight"):
        before = page.evaluate("([i, n]) => __cnn.labelOf(__cnn.control(i, n))", [i, name])
        handle.focus()
        page.keyboard.press(key)
        _check(page, i, f"{key} on slider {name!r}")
        after = page.evaluate("([i, n]) => __cnn.labelOf(__cnn.control(i, n))", [i, name])
        moves.append((name, key, before, after))


def _move_dropdown(page, i, name, moves):
    select = page.locator(".cnnlab-panel").nth(i).locator(f".cnnlab-ctl-{name}:visible select").first
    options = page.evaluate("([i, n]) => __cnn.options(i, n)", [i, name])
    for label in options[1:] + options[:1]:
        select.select_option(label=label)
        _check(page, i, f"choosing {label!r} in dropdown {name!r}")
        moves.append((name, "select", None, label))
    # from the keyboard: focus, ArrowDown picks the next option (the first is selected now)
    if len(options) > 1:
        select.focus()
        page.keyboard.press("ArrowDown")
        _check(page, i, f"ArrowDown in dropdown {name!r}")
        now = page.evaluate("([i, n]) => __cnn.labelOf(__cnn.control(i, n))", [i, name])
        assert now == " ".join(options[1].replace("\u00a0", " ").split()), \
            f"panel {i}: ArrowDown in dropdown {name!r} gave {now!r}, not the second option"


def _move_toggle(page, i, name, moves):
    ctl = page.locator(".cnnlab-panel").nth(i).locator(f".cnnlab-ctl-{name}:visible").first
    options = page.evaluate("([i, n]) => __cnn.options(i, n)", [i, name])
    order = options[1:] + options[:1]
    for n, label in enumerate(order):
        button = ctl.locator("button", has_text=label).first
        if n == len(order) - 1:  # keyboard: focus and Enter
            button.focus()
            page.keyboard.press("Enter")
        else:
            button.click()
        _check(page, i, f"pressing {label!r} of toggle buttons {name!r}")
        moves.append((name, "toggle", None, label))


def _tab_reaches_every_control(page, i, names):
    """From the element before the panel's first control, Tab walks through every visible
    control of the panel (slider handle, dropdown, each toggle button)."""
    targets = page.evaluate("""i => {
        let n = 0;
        for (const c of __cnn.controls(i)) {
          const k = __cnn.kind(c);
          const els = k === 'slider' ? c.querySelectorAll('.noUi-handle')
                    : k === 'dropdown' ? c.querySelectorAll('select') : c.querySelectorAll('button');
          for (const e of els) e.setAttribute('data-cnnlab-tab', __cnn.nameOf(c) + '#' + (n++));
        }
        return n;
    }""", i)
    first = page.locator(".cnnlab-panel").nth(i).locator("[data-cnnlab-tab]").first
    first.focus()
    seen = {page.evaluate("() => document.activeElement.getAttribute('data-cnnlab-tab')")}
    for _ in range(4 * targets + 10):  # readouts and frames may sit between controls
        page.keyboard.press("Tab")
        seen.add(page.evaluate("() => document.activeElement.getAttribute('data-cnnlab-tab')"))
        if len(seen - {None}) == targets:
            break
    missing = sorted({n for n, _ in names} - {s.split("#")[0] for s in seen if s})
    assert len(seen - {None}) == targets, (f"panel {i}: Tab reached {len(seen - {None})} of "
                                           f"{targets} control elements; never: {missing}")


@pytest.mark.browser
@pytest.mark.parametrize("path", PANEL_PAGES or [None], ids=PANEL_IDS or ["no-panels"])
def test_every_control_selects_its_frame(browser, path):
    if path is None:
        if not PAGES:
            unavailable(f"no built site at {SITE}: run `make book`")
        pytest.fail("the built site has no widget panel (.cnnlab-panel) on any page")
    v = open_page(browser, path)
    try:
        _ready(v)
        page = v.page
        page.evaluate(JS_HELPERS)
        n_panels = page.evaluate("() => __cnn.panels().length")
        assert n_panels > 0, "the page's HTML mentions cnnlab-panel but none rendered"
        for i in range(n_panels):
            page.locator(".cnnlab-panel").nth(i).scroll_into_view_if_needed()
            _check(page, i, "loading the page")
            names = page.evaluate(
                "i => __cnn.controls(i).map(c => [__cnn.nameOf(c), __cnn.kind(c)])", i)
            assert names, f"panel {i} has no visible control"
            for name, kind in names:
                c = page.evaluate("([i, n]) => { const c = __cnn.control(i, n); "
                                  "return c && __cnn.unreachable(c); }", [i, name])
                assert c is None, f"panel {i}: control {name!r} cannot be reached by keyboard ({c})"
            _tab_reaches_every_control(page, i, names)
            moves = []
            for name, kind in names:
                if kind == "slider":
                    _move_slider(page, i, name, moves)
                elif kind == "dropdown":
                    _move_dropdown(page, i, name, moves)
                elif kind == "toggle":
                    _move_toggle(page, i, name, moves)
                else:
                    pytest.fail(f"panel {i}: control {name!r} of an unknown kind")
            # the moves changed something: a panel whose controls all sit still would pass the
            # agreement checks trivially
            changed = [m for m in moves if m[2] != m[3]]
            assert changed, f"panel {i}: no control changed its value ({moves})"
            # a burst of keys with no pause (a reader holding an arrow key): the panel ends on
            # the right frame and the console stays clean (stacks dispose views mid-flight)
            for name, kind in names:
                if kind == "slider":
                    handle = page.locator(".cnnlab-panel").nth(i).locator(
                        f".cnnlab-ctl-{name}:visible .noUi-handle").first
                    handle.focus()
                    for key in ("End", "Home", "ArrowRight", "End", "ArrowLeft", "Home") * 2:
                        page.keyboard.press(key)
                    _check(page, i, f"a burst of keys on slider {name!r}")
            # every slider with more than one option moved under End/Home
            for name, kind in names:
                if kind == "slider":
                    labels = {m[3] for m in moves if m[0] == name}
                    opts = page.evaluate("""([i, n]) => { const h = __cnn.control(i, n)
                        .querySelector('.noUi-handle');
                        return parseFloat(h.getAttribute('aria-valuemax')) + 1; }""", [i, name])
                    if opts > 1:
                        assert len(labels) >= 2, (f"panel {i}: slider {name!r} did not move "
                                                  f"with End/Home ({moves})")

        # controls that need a kernel: disabled here, with the sentence saying why
        kernel_only = page.evaluate("""() => Array.from(
            document.querySelectorAll('.cnnlab-kernel-only')).map(box => {
              const note = box.querySelector('.cnnlab-kernel-note');
              const ctls = Array.from(box.querySelectorAll('button, input, select, textarea'));
              const handles = Array.from(box.querySelectorAll('.noUi-handle'));
              return {note: note ? note.textContent.trim() : '',
                      noteId: note ? note.id : '',
                      enabled: ctls.filter(c => !c.disabled).map(c => c.outerHTML.slice(0, 80))
                        .concat(handles.filter(h => h.tabIndex >= 0
                                || h.getAttribute('aria-disabled') !== 'true')
                                .map(h => 'slider handle')),
                      undescribed: ctls.concat(handles).filter(
                        c => !note || c.getAttribute('aria-describedby') !== note.id).length,
                      n: ctls.length + handles.length};
            })""")
        for box in kernel_only:
            assert box["n"] > 0, "a kernel-only box without controls"
            assert len(box["note"]) > 20, f"kernel-only controls without a sentence: {box}"
            assert not box["enabled"], f"kernel-only controls left enabled: {box['enabled']}"
            assert box["undescribed"] == 0, "kernel-only controls not described by the note"

        assert not v.offsite, f"requests off the site (blocked): {v.offsite}"
        assert not v.failed, f"failed requests: {v.failed}"
        assert not v.errors, f"console errors: {v.errors}"
    finally:
        v.close()


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES or [None], ids=PAGE_IDS or ["no-site"])
def test_page_has_no_serious_accessibility_violation(browser, path):
    """axe-core, WCAG 2.1 A and AA rules: no violation of impact critical or serious."""
    v = open_page(browser, path)
    try:
        _ready(v)
        v.page.add_script_tag(content=_axe_source())
        result = v.page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']})""", WCAG_TAGS)
        bad = [(r["id"], r["impact"], len(r["nodes"]),
                [n["target"] for n in r["nodes"][:3]])
               for r in result["violations"] if r["impact"] in BLOCKING]
        assert not bad, ("axe-core violations (rule, impact, count, first elements): "
                         + "; ".join(map(str, bad)))
    finally:
        v.close()


def test_no_link_to_placeholder_addresses():
    """The repository and launch buttons are not shown while ``repository.url`` is unset;
    nothing on the site points at the placeholders they used to carry."""
    if not PAGES:
        unavailable(f"no built site at {SITE}: run `make book`")
    links = re.compile(r'\b(?:href|src|action)\s*=\s*"([^"]*)"', re.I)
    bad = {str(p.relative_to(SITE)): [u for u in links.findall(p.read_text("utf-8"))
                                      if any(ph in u for ph in PLACEHOLDERS)]
           for p in PAGES}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"pages linking to placeholder addresses: {bad}"


# --- tools/offline_site.py, without a browser ----------------------------------------------
sys.path.insert(0, str(ROOT / "tools"))
import offline_site  # noqa: E402


def test_buttons_follow_the_repository_setting():
    theme = {"repository_url": "", "use_repository_button": True,
             "launch_buttons": {"binderhub_url": "https://mybinder.org", "jupyterhub_url": ""}}
    off = offline_site.buttons_from_repository(theme)
    assert off["launch_buttons"] == {} and "repository_url" not in off
    assert off["use_repository_button"] is off["use_issues_button"] is False
    assert theme["use_repository_button"] is True  # input untouched
    on = offline_site.buttons_from_repository(
        {"repository_url": " https://github.com/o/r ", "launch_buttons": {
            "binderhub_url": "https://mybinder.org", "jupyterhub_url": "",
            "notebook_interface": "jupyterlab"}})
    assert on["repository_url"] == "https://github.com/o/r"
    assert on["use_repository_button"] is on["use_issues_button"] is True
    assert on["launch_buttons"] == {"binderhub_url": "https://mybinder.org",
                                    "notebook_interface": "jupyterlab"}  # no empty hub button
    # a switch set explicitly (the student site turns the issue button off) is kept
    student = offline_site.buttons_from_repository(
        {"repository_url": "https://github.com/o/r", "use_issues_button": False})
    assert student["use_issues_button"] is False and student["use_repository_button"] is True


def test_config_leaves_the_buttons_off():
    """The committed configuration has no placeholder address: the switch is empty."""
    import yaml
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert not config["repository"]["url"]
    assert not config["launch_buttons"].get("jupyterhub_url")
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert not any(ph in text for ph in PLACEHOLDERS)


def test_accessible_html_repairs():
    page = (
        '<li class="toctree-l1 has-children"><a class="reference internal" href="a.html">'
        '4. The <em>network</em></a><details><summary><span class="toctree-toggle" '
        'role="presentation"><i class="fa-solid fa-chevron-down"></i></span></summary>\n'
        '<button class="btn search-button-field search-button__button pst-js-only" '
        'title="Search" aria-label="Search" data-bs-toggle="tooltip">\n'
        '<i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="Light"></i>\n'
        '<summary aria-label="Toggle hidden content">\n'
        '<div role="list" class="citation-list">\n'
        '<div class="citation" id="id4" role="doc-biblioentry">\n<p>A.</p>\n</div>\n</div>\n'
        '<p role="doc-biblioentry">outside</p>')
    out = offline_site.accessible_html(page)
    assert '<summary aria-label="Sections of 4. The network">' in out
    assert 'aria-label="Search"' not in out and 'title="Search"' in out
    assert 'data-mode="light" aria-hidden="true">' in out and 'title="Light"' not in out
    assert "Toggle hidden content" not in out
    assert '<div class="citation" id="id4" role="listitem">' in out
    assert '<p role="doc-biblioentry">outside</p>' in out  # only inside the citation list
    assert offline_site.accessible_html(out) == out  # idempotent


def test_every_notebook_panel_reaches_its_page():
    """The browser test above visits the pages whose HTML holds a panel; this ties that list to
    the notebooks, so a chapter whose panel is lost in the build cannot pass by being skipped."""
    if not PAGES:
        unavailable(f"no built site at {SITE}: run `make book`")
    with_panel = [nb.stem for nb in sorted((ROOT / "book").glob("*.ipynb"))
                  if "cnnlab-panel" in nb.read_text(encoding="utf-8")]
    assert len(with_panel) >= 11, with_panel
    on_site = {p.stem for p in PANEL_PAGES}
    assert sorted(set(with_panel) - on_site) == [], "panels stored in the notebook but not on the page"
