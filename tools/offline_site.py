"""Sphinx extension (loaded from _config.yml): keep the built site free of CDN requests.

* Fails early, with the command to run, when the npm assets of ``tools/vendor_assets.py``
  are missing.
* Rewrites the font-awesome 4 stylesheet that Matplotlib's ``to_jshtml`` animations link
  from a CDN to the copy served from ``_static/vendor/font-awesome``.
* Gives the frame image of a ``to_jshtml`` animation an ``alt`` text (Matplotlib writes
  ``<img id="_anim_img...">`` without one).
* Drops repeated inline scripts (sphinx-thebe adds ``const THEBE_JS_URL = ...`` twice,
  a "redeclaration of const" page error; upstream issue).
* Sets the theme's ``default_mode`` (pydata-sphinx-theme otherwise logs "Got invalid theme
  mode" as a console error on a browser's first visit).
* Warns (an error under ``-W``) about any remaining ``<script src>`` or stylesheet
  ``<link href>`` that points off the site, so a new CDN dependency cannot slip in.
* Repository, issue and launch buttons: shown only when ``repository.url`` in ``_config.yml``
  is set (one setting); while it is empty none of them is shown, so no page links to a
  placeholder (see :func:`buttons_from_repository`).
* Accessibility repairs of the theme's HTML after the build (axe-core, WCAG 2.1 A/AA; see
  :func:`accessible_html`): a name for each sidebar ``<summary>`` toggle, no ``aria-label``
  that hides the visible text of the search button and of the code-cell toggles, icons of the
  colour-mode button hidden from assistive technology, list items in the citation list.
"""
from __future__ import annotations

import re
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

FONT_AWESOME_CDN = re.compile(
    r"https?://[^\"'\s]*/font-awesome/4\.[0-9.]+/css/font-awesome(?:\.min)?\.css")
FONT_AWESOME_LOCAL = "_static/vendor/font-awesome/css/font-awesome.min.css"
ANIM_IMG = re.compile(r'<img id="(_anim_img[0-9a-f]+)"\s*>')
ANIM_ALT = ("Animation frame (use the play bar below to play it or to step through "
            "the frames)")
REMOTE_ASSET = re.compile(
    r"<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*[\"'](?:https?:)?//[^\"']+[\"'][^>]*>",
    re.IGNORECASE)


def _check_vendor(app) -> None:
    if app.builder.format != "html":
        return
    marker = Path(app.confdir) / "_build" / "offline" / "vendor" / ".complete"
    if not marker.exists():
        raise ExtensionError(
            f"offline assets missing ({marker}). Run `make book`, or "
            "`python tools/vendor_assets.py _build/offline/vendor` before jupyter-book.")


def _rewrite(app, pagename, templatename, context, doctree) -> None:
    context.setdefault("default_mode", "auto")
    body = context.get("body")
    if not body:
        return
    local = context["pathto"](FONT_AWESOME_LOCAL, 1)
    body = FONT_AWESOME_CDN.sub(local, body)
    body = ANIM_IMG.sub(lambda m: f'<img id="{m.group(1)}" alt="{ANIM_ALT}">', body)
    for tag in REMOTE_ASSET.findall(body):
        if 'rel="stylesheet"' in tag or "<script" in tag.lower():
            logger.warning("page %s loads an asset from the network: %s", pagename, tag,
                           location=pagename, type="offline_site")
    context["body"] = body
    for key in ("script_files", "css_files"):
        for asset in context.get(key, []):
            name = getattr(asset, "filename", asset)
            if re.match(r"(?:https?:)?//", str(name)):
                logger.warning("page %s loads %s from the network", pagename, name,
                               location=pagename, type="offline_site")


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    files = context.get("script_files")
    if not files:
        return
    seen, kept = set(), []
    for js in files:
        attrs = getattr(js, "attributes", {}) or {}
        # the same inline body arrives once with filename None and once with ""
        key = (getattr(js, "filename", None) or "", attrs.get("body"))
        if attrs.get("body") and key in seen:
            continue
        seen.add(key)
        kept.append(js)
    files[:] = kept


#: theme options that need ``repository_url``
REPO_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button",
                "use_source_button", "use_download_button_ipynb")


def buttons_from_repository(theme_options: dict) -> dict:
    """The theme options with the repository and launch buttons decided by one setting,
    ``repository_url`` (``repository.url`` in ``_config.yml``).

    Empty (or missing): no repository, issue or edit button and no launch button (a Binder,
    Colab or JupyterHub link needs the repository), so nothing points at a placeholder.  Set:
    the repository and issue buttons are on unless the configuration switched them off
    explicitly (the student site does), and the launch buttons whose address is set stay.
    A launch address left empty (``jupyterhub_url: ""``) gives no button.  Returns a new
    dict; the input is not changed."""
    opts = dict(theme_options)
    url = str(opts.get("repository_url") or "").strip()
    launch = {k: v for k, v in dict(opts.get("launch_buttons") or {}).items()
              if not (k.endswith("_url") and not str(v or "").strip())}
    if not url:
        opts.pop("repository_url", None)
        for key in ("use_repository_button", "use_issues_button", "use_edit_page_button"):
            opts[key] = False
        opts["launch_buttons"] = {}
        return opts
    opts["repository_url"] = url
    opts.setdefault("use_repository_button", True)
    opts.setdefault("use_issues_button", True)
    opts["launch_buttons"] = launch
    return opts


def _buttons(app, config) -> None:
    config.html_theme_options = buttons_from_repository(config.html_theme_options or {})


# --- accessibility repairs of the written pages (axe-core, WCAG 2.1 A/AA) ------------------
_SIDEBAR_SUMMARY = re.compile(
    r'(<a class="[^"]*reference[^"]*"[^>]*>)((?:(?!</a>|<a\s).)*)(</a>\s*<details[^>]*>\s*)'
    r'<summary>(?=\s*<span class="toctree-toggle")', re.S)
_SEARCH_BUTTON = re.compile(r'(<button class="[^"]*search-button-field[^"]*"[^>]*?)'
                            r'\s+aria-label="Search"')
_THEME_ICON = re.compile(r'(<i class="theme-switch [^"]*"[^>]*?)(\s*>)')
_NB_TOGGLE = '<summary aria-label="Toggle hidden content">'
_CITATION_LIST = re.compile(r'(<div role="list" class="citation-list">)(.*?)(\n</div>\n(?!<div '
                            r'class="citation"))', re.S)


def _plain(html_text: str) -> str:
    import html as _html
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


def _quiet_icon(m) -> str:
    # Font Awesome's script turns the <i> into an <svg> whose <title> (from the title
    # attribute: "Light", "Dark", "System Settings") axe reads as the button's visible text.
    tag = re.sub(r'\s+title="[^"]*"', "", m.group(1))
    if "aria-hidden" not in tag:
        tag += ' aria-hidden="true"'
    return tag + m.group(2)


def accessible_html(page: str) -> str:
    """``page`` (a built HTML page) with the theme's accessibility faults repaired:

    * ``summary-name``: the sidebar's expand toggles (``<summary>`` holding only a chevron icon)
      get ``aria-label="Sections of <chapter title>"``;
    * ``label-content-name-mismatch``: the search buttons lose ``aria-label="Search"`` (their
      name is then their visible text, "Search Ctrl+K"); myst-nb's code-cell toggles lose
      ``aria-label="Toggle hidden content"`` (name: "Show code cell source"); the sun, moon and
      half-circle icons of the colour-mode button get ``aria-hidden="true"`` and lose their
      ``title`` (Font Awesome turns it into an SVG ``<title>`` that counts as visible text; the
      button is named "Color mode" and shows no text);
    * ``aria-required-children``: the entries of docutils' citation list
      (``role="list"``) become ``role="listitem"`` (``doc-biblioentry`` is not a list item in
      ARIA 1.2).
    """
    import html as _html

    def summary(m):
        title = _plain(m.group(2))
        label = _html.escape(f"Sections of {title}" if title else "Sections", quote=True)
        return f'{m.group(1)}{m.group(2)}{m.group(3)}<summary aria-label="{label}">'

    page = _SIDEBAR_SUMMARY.sub(summary, page)
    page = _SEARCH_BUTTON.sub(r"\1", page)
    page = _THEME_ICON.sub(_quiet_icon, page)
    page = page.replace(_NB_TOGGLE, "<summary>")
    page = _CITATION_LIST.sub(lambda m: m.group(1) + m.group(2).replace(
        'role="doc-biblioentry"', 'role="listitem"') + m.group(3), page)
    return page


def _repair_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        fixed = accessible_html(text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("config-inited", _buttons)
    app.connect("build-finished", _repair_pages)
    app.connect("builder-inited", _check_vendor)
    app.connect("html-page-context", _rewrite)
    # after sphinx-thebe's own html-page-context handler (priority 500)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
