#!/usr/bin/env python3
"""Fetch the JavaScript the website needs from the npm registry, so that the built
site works with no internet connection (no CDN request at page load).

Usage: ``python tools/vendor_assets.py OUT_DIR`` (``make book`` calls it with
``_build/offline/vendor``). Nothing fetched here is committed: the folder lives in ``_build``.

Fetched (exact versions, with ``npm pack``; npm's own cache makes re-runs offline):

* ``mathjax@3.2.2``              -> OUT/mathjax/       (``tex-chtml.js``, fonts, extensions)
* ``@jupyter-widgets/html-manager@1.0.6`` -> OUT/html-manager/ (``embed-amd.js``, its fonts)
* ``requirejs@2.3.8``            -> OUT/require.js
* ``font-awesome@4.7.0``         -> OUT/font-awesome/  (icons of Matplotlib's
  ``to_jshtml`` animation player, which links font-awesome 4 from a CDN)
* ``reveal.js@4.0.2``, ``jquery@3.7.1`` -> OUT/reveal.js/, OUT/jquery.min.js (``make slides``)
* ``axe-core@4.14.1``            -> OUT/axe-core/axe.min.js (injected into each page by the
  accessibility checks of ``tests/test_browser.py``; not loaded by the site's pages)

Only the standard library is used, so it runs before ``.venv`` exists.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGES = {
    "mathjax": "mathjax@3.2.2",
    "html-manager": "@jupyter-widgets/html-manager@1.0.6",
    "requirejs": "requirejs@2.3.8",
    "font-awesome": "font-awesome@4.7.0",
    # for `make slides` (nbconvert's reveal.js template)
    "reveal.js": "reveal.js@4.0.2",
    "jquery": "jquery@3.7.1",
    # accessibility checks in tests/test_browser.py (WCAG 2.1 A/AA rules)
    "axe-core": "axe-core@4.14.1",
}

# MathJax's es5 folder holds several alternative bundles; the site uses tex-chtml.js and the
# lazily loaded pieces (TeX extensions, CHTML fonts, menu, accessibility).
MATHJAX_SKIP = ("mml-chtml.js", "mml-svg.js", "tex-mml-svg.js", "tex-svg.js",
                "tex-svg-full.js", "tex-chtml-full-speech.js", "node-main.js")
MATHJAX_SKIP_DIRS = ("output/svg",)
PUBLIC_PATH_OLD = "__webpack_require__.p=`${url.origin}${url.pathname}`"
PUBLIC_PATH_NEW = "__webpack_require__.p=url.href.split(/[?#]/)[0]"
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")


def npm_pack(spec: str, dest: Path) -> Path:
    """Download the tarball of ``spec`` into ``dest`` with ``npm pack``; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("vendor_assets: `npm` not found. Install Node.js (e.g. apt-get install npm) "
                 "to build the offline site.")
    last = None
    for extra in ([], ["--offline"]):  # second try: npm's cache only (no network)
        proc = subprocess.run([npm, "pack", spec, "--json", "--pack-destination", str(dest),
                               *extra], capture_output=True, text=True)
        if proc.returncode == 0:
            out = proc.stdout
            info = json.loads(out[out.index("["):])
            return dest / info[0]["filename"]
        last = proc.stderr.strip()
    sys.exit(f"vendor_assets: `npm pack {spec}` failed:\n{last}")


def extract(tgz: Path, dest: Path) -> Path:
    with tarfile.open(tgz) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def copy_mathjax(pkg: Path, out: Path) -> None:
    src = pkg / "es5"
    for f in src.rglob("*"):
        rel = f.relative_to(src)
        if f.is_dir() or rel.as_posix() in MATHJAX_SKIP:
            continue
        if any(rel.as_posix().startswith(d) for d in MATHJAX_SKIP_DIRS):
            continue
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)


def copy_html_manager(pkg: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    dist = pkg / "dist"
    js = (dist / "embed-amd.js").read_text(encoding="utf-8")
    # webpack's public path (where the widget fonts are fetched from) is built as
    # `${url.origin}${url.pathname}`; for file:// pages the origin is the string "null", so
    # fonts would 404 when the site is opened from disk. Use the full URL instead.
    if PUBLIC_PATH_OLD not in js:
        sys.exit("vendor_assets: html-manager's public-path code changed; update the patch.")
    js = js.replace(PUBLIC_PATH_OLD, PUBLIC_PATH_NEW)
    # Source maps are not shipped: drop the comments that point at them.
    js = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.M)
    (out / "embed-amd.js").write_text(js, encoding="utf-8")
    for f in dist.iterdir():
        if f.suffix in FONT_SUFFIXES:
            shutil.copy2(f, out / f.name)
    shutil.copy2(pkg / "LICENSE", out / "LICENSE")


def copy_font_awesome(pkg: Path, out: Path) -> None:
    (out / "css").mkdir(parents=True, exist_ok=True)
    shutil.copy2(pkg / "css" / "font-awesome.min.css", out / "css" / "font-awesome.min.css")
    shutil.copytree(pkg / "fonts", out / "fonts", dirs_exist_ok=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    out = Path(argv[1])
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pkgs = {}
        for name, spec in PACKAGES.items():
            tgz = npm_pack(spec, tmp)
            pkgs[name] = extract(tgz, tmp / name)
        copy_mathjax(pkgs["mathjax"], out / "mathjax")
        copy_html_manager(pkgs["html-manager"], out / "html-manager")
        shutil.copy2(pkgs["requirejs"] / "require.js", out / "require.js")
        copy_font_awesome(pkgs["font-awesome"], out / "font-awesome")
        for folder in ("dist", "plugin"):
            shutil.copytree(pkgs["reveal.js"] / folder, out / "reveal.js" / folder)
        shutil.copy2(pkgs["jquery"] / "dist" / "jquery.min.js", out / "jquery.min.js")
        (out / "axe-core").mkdir()
        for name in ("axe.min.js", "LICENSE"):
            shutil.copy2(pkgs["axe-core"] / name, out / "axe-core" / name)
    (out / ".complete").write_text(json.dumps(PACKAGES, indent=1) + "\n")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"vendor_assets: {len(PACKAGES)} npm packages into {out} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
