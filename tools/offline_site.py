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


def setup(app):
    app.connect("builder-inited", _check_vendor)
    app.connect("html-page-context", _rewrite)
    # after sphinx-thebe's own html-page-context handler (priority 500)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
