"""A learner in Jupyter Lab: start Lab from the project's environment (jupyterlab-myst, Lab < 4.5,
the settings of tools/lab-settings, as `make lab` sets it up), open a chapter, run every cell and
check what the learner sees.

Chapter 1 (a copy, folded with tools/fold_solutions.py as the book is):

* no raw MyST is visible: no role (``{eq}`…```, ``{term}`…```), no directive fence, no
  ``:label:`` line, no raw ``\\begin{…}``;
* exercises render as exercise blocks and every written solution is folded (a closed
  ``<details>``); every solution code cell shows a collapsed input (Lab's placeholder holds the
  fold marker, not the code) before and after running;
* the precomputed-frame panels (``cnnlab.widgets._frames``) respond: moving a slider with the
  keyboard or choosing a dropdown option shows the frame drawn for the new values (the visible
  frame's ``data-key`` and picture change to the ones the controls now read).

Chapter 3 (a copy): its frame panel responds to a toggle, and the free network builder, which
recomputes in Python (a live kernel, no frames), redraws its table when the input rows change
and when a layer is removed: what Lab shows is what cnnlab computes for the new network.

No page error in either.  The notebooks are copies in a temporary folder (Lab autosaves).
Takes two to four minutes.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CH01 = "01_convolution.ipynb"
CH03 = "03_counting_parameters.ipynb"
TOKEN = "cnnlab-test"
RAW_MYST = ["{eq}`", "{term}`", "{ref}`", "{doc}`", "{cite}`", "```{", ":::{", ":label:",
            ":class:", "{solution}", "{exercise}", "\\begin{"]
WAIT = 30          # seconds a control may take to change what is shown (not a speed check)

sys.path.insert(0, str(ROOT / "tools"))
import fold_solutions  # noqa: E402


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    (tmp / "book").mkdir()
    for name in (CH01, CH03):
        shutil.copy(ROOT / "book" / name, tmp / "book" / name)
    # fold the copy (a no-op once the book itself is folded; tests/test_fold_solutions.py checks that)
    subprocess.run([sys.executable, str(ROOT / "tools" / "fold_solutions.py"), str(tmp / "book")],
                   check=True, capture_output=True)
    if (ROOT / "cache").is_dir():
        (tmp / "cache").symlink_to(ROOT / "cache", target_is_directory=True)
    shutil.copytree(ROOT / "tools" / "lab-settings", tmp / "settings")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "ws"), JUPYTER_RUNTIME_DIR=str(tmp / "rt"))
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(
        [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={tmp / 'book'}", "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api?token={TOKEN}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("Jupyter Lab did not start: " + (tmp / "lab.log").read_text()[-2000:])
        yield f"http://127.0.0.1:{port}", tmp
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shut_down_kernels(base):
    """Free the CPU for the next test (each test starts its own kernel)."""
    with urllib.request.urlopen(f"{base}/api/kernels?token={TOKEN}", timeout=10) as r:
        kernels = json.load(r)
    for k in kernels:
        req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={TOKEN}",
                                     method="DELETE")
        urllib.request.urlopen(req, timeout=30).close()


def _open(page, base, name, workspace):
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={TOKEN}")
    nb = page.wait_for_selector(".jp-Notebook:visible", timeout=120_000)
    page.wait_for_selector(".jp-Notebook:visible .jp-Cell", timeout=120_000)
    page.wait_for_function(
        "() => document.querySelector('.jp-Notebook-ExecutionIndicator, .jp-KernelStatus')"
        " !== null", timeout=60_000)
    time.sleep(3)                                       # let the kernel come up
    return nb


def _run_all(page, nb_json):
    """Run all cells (Run menu) and wait until every code cell has run.  A cell with a
    collapsed input has no prompt in the page; it runs in order with the others, so the
    prompts that are shown all numbered means it has run too."""
    page.click("text=Run", timeout=30_000)
    page.click("text=Run All Cells", timeout=30_000)
    shown = sum(1 for c in nb_json["cells"] if c["cell_type"] == "code"
                and not c["metadata"].get("jupyter", {}).get("source_hidden"))
    page.wait_for_function(
        """(n) => {
            const ps = Array.from(document.querySelectorAll(
                '.jp-Notebook:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt'));
            const done = ps.filter(p => /\\[\\d+\\]/.test(p.textContent)).length;
            return ps.length >= n && !ps.some(p => p.textContent.includes('*')) && done >= n;
        }""", arg=shown, timeout=600_000, polling=1000)
    errs = page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type="
        "\"application/vnd.jupyter.stderr\"], .jp-RenderedText[data-mime-type="
        "\"application/vnd.jupyter.error\"]')).map(e => e.innerText.slice(0, 200))")
    assert not [e for e in errs if "Error" in e], errs


# the frame a panel shows now: the visible .cnnlab-frame's data-key and its picture
_SHOWN = """(panel) => {
    const fs = Array.from(panel.querySelectorAll('.cnnlab-frame'))
        .filter(f => f.offsetParent !== null);
    return fs.map(f => [f.dataset.key, (f.querySelector('img') || {}).src || '']);
}"""


def _shown(panel):
    """(data-key as a dict, img src) of the one frame the panel shows."""
    frames = panel.evaluate(_SHOWN)
    assert len(frames) == 1, f"a panel must show exactly one frame, shows {len(frames)}"
    key, src = frames[0]
    assert src.startswith("data:image/png;base64,"), src[:40]
    return dict(part.split("=", 1) for part in key.split("|")), src


def _wait_for(condition, what):
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} within {WAIT} s")


def _readout(panel, name):
    """What the control ``name`` shows now (a slider's readout, a dropdown's selected option,
    a toggle's pressed button), among the controls visible in ``panel``."""
    return panel.evaluate(
        """(panel, name) => {
            const ctl = Array.from(panel.querySelectorAll('.cnnlab-ctl-' + name))
                .find(c => c.offsetParent !== null);
            if (!ctl) return null;
            const ro = ctl.querySelector('.widget-readout');
            if (ro) return ro.textContent.trim();
            const sel = ctl.querySelector('select');
            if (sel) return sel.options[sel.selectedIndex].textContent.trim();
            const on = ctl.querySelector('button.mod-active');
            return on ? on.textContent.trim() : null;
        }""", name)


def _move_slider(page, panel, name):
    """Move the visible slider ``name`` of ``panel`` one step with the keyboard (right, or left
    at its end) and check the frame shown is the one for the controls' new values."""
    before, src = _shown(panel)
    label = _readout(panel, name)
    assert before[name] == label, (before, name, label)   # the frame shown matches the control
    handle = panel.locator(f".cnnlab-ctl-{name} .noUi-handle").locator("visible=true").first
    handle.scroll_into_view_if_needed()
    at_end = float(handle.get_attribute("aria-valuenow")) >= float(handle.get_attribute("aria-valuemax"))
    handle.focus()
    page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
    _wait_for(lambda: _readout(panel, name) != label, f"slider {name!r} did not move")
    _wait_for(lambda: _shown(panel)[0] != before,
              f"moving {name!r} from {label} to {_readout(panel, name)} did not change the frame")
    after, src_after = _shown(panel)
    assert after == {**before, name: _readout(panel, name)}, (before, after)
    assert src_after != src, "the data-key changed but the picture did not"
    return after


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def test_lab_uses_a_myst_capable_version():
    out = subprocess.run([str(BIN / "jupyter"), "labextension", "list"], capture_output=True,
                         text=True)
    out = out.stdout + out.stderr
    assert "jupyterlab-myst" in out and "enabled" in out
    import jupyterlab
    major, minor = (int(v) for v in jupyterlab.__version__.split(".")[:2])
    assert (major, minor) < (4, 5), f"jupyterlab-myst 2.7 is not loaded by JupyterLab {jupyterlab.__version__}"


def test_chapter_runs_renders_folds_solutions_and_frames_respond(lab, browser):
    base, tmp = lab
    nb_json = json.loads((tmp / "book" / CH01).read_text(encoding="utf-8"))
    sol = [i for i, c in enumerate(nb_json["cells"]) if c["cell_type"] == "code"
           and "solution" in c["metadata"].get("tags", [])]
    assert sol, "chapter 1 has solution code cells"
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    nb = _open(page, base, CH01, "ch01")
    page.wait_for_selector(".jp-Notebook:visible .myst-exercise", timeout=120_000)

    def folded():
        """For each solution code cell: (input area shown?, placeholder text, output shown?)."""
        return page.evaluate(
            """(sol) => {
                const cells = Array.from(document.querySelectorAll(
                    '.jp-Notebook:not(.lm-mod-hidden) .jp-Cell'));
                return [cells.length, sol.map(i => {
                    const c = cells[i];
                    const ia = c.querySelector('.jp-InputArea');
                    const ph = c.querySelector('.jp-InputPlaceholder');
                    const oa = c.querySelector('.jp-OutputArea');
                    return [!!ia && ia.offsetParent !== null,
                            ph && ph.offsetParent !== null ? ph.innerText.trim() : null,
                            !!oa && oa.offsetParent !== null];
                })];
            }""", sol)

    n_cells, state = folded()
    assert n_cells == len(nb_json["cells"]), (n_cells, len(nb_json["cells"]))
    for i, (input_shown, placeholder, output_shown) in zip(sol, state):
        assert not input_shown and placeholder == fold_solutions.MARKER, (i, input_shown, placeholder)
        if nb_json["cells"][i]["metadata"]["jupyter"].get("outputs_hidden"):
            assert not output_shown, f"cell {i}: the stored output of a solution is unfolded"

    _run_all(page, nb_json)

    # no raw MyST visible, and no solution code (Lab shows a collapsed input's first line)
    text = nb.inner_text()
    left = {p: text.count(p) for p in RAW_MYST if p in text}
    assert not left, f"raw MyST visible in Lab: {left}"
    for i in sol:
        code = "".join(nb_json["cells"][i]["source"]).splitlines()[1:]
        shown = [line for line in code if len(line.strip()) > 12 and line.strip() in text]
        assert not shown, f"solution code of cell {i} is visible: {shown}"
    _, state = folded()
    assert all(not inp and ph == fold_solutions.MARKER for inp, ph, _ in state), state
    # exercises rendered, written solutions folded
    n_ex = page.evaluate("() => document.querySelectorAll('.jp-Notebook aside.myst-exercise')"
                         ".length")
    sols = page.evaluate("() => Array.from(document.querySelectorAll('.jp-Notebook "
                         "details.myst-exercise')).map(d => d.open)")
    assert n_ex >= 1 and len(sols) >= 1, (n_ex, sols)
    assert not any(sols), "a solution is unfolded"

    # the frame panels respond in Lab
    sizes = page.locator(".cnnlab-panel", has=page.locator(".cnnlab-ctl-k")).first
    window = page.locator(".cnnlab-panel", has=page.locator(".cnnlab-ctl-position")).first
    for name in ("i", "k", "p"):                       # i starts at its end: the key goes left
        _move_slider(page, sizes, name)
    _move_slider(page, window, "position")
    before, src = _shown(window)
    assert before["padding"] == "valid", before
    window.locator(".cnnlab-ctl-padding select").select_option(label="same")
    _wait_for(lambda: _shown(window)[0]["padding"] == "same",
              "choosing padding 'same' did not change the frame")
    after, src_after = _shown(window)
    # the position slider of the 'same' frames is shown, and the frame is the one it reads
    assert after == {**before, "padding": "same", "position": _readout(window, "position")}, after
    assert src_after != src
    _move_slider(page, window, "position")
    page.screenshot(path=str(tmp / "ch01.png"))
    page.close()
    _shut_down_kernels(base)
    assert not errors, errors


def test_live_widget_recomputes_in_python(lab, browser):
    """Chapter 3's free network builder runs Python on every change (kernel_only: no frames)."""
    from cnnlab.widgets import network_builder

    base, tmp = lab
    nb_json = json.loads((tmp / "book" / CH03).read_text(encoding="utf-8"))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    nb = _open(page, base, CH03, "ch03")
    _run_all(page, nb_json)
    text = nb.inner_text()
    left = {p: text.count(p) for p in RAW_MYST if p in text}
    assert not left, f"raw MyST visible in Lab: {left}"

    # the frame panel: a toggle picks the frames of the other padding
    readings = page.locator(".cnnlab-panel").first
    before, src = _shown(readings)
    other = "valid" if before["padding"] == "same" else "same"
    readings.locator(".cnnlab-ctl-padding button", has_text=other).click()
    _wait_for(lambda: _shown(readings)[0]["padding"] == other,
              "the padding toggle did not change the frame")
    assert _shown(readings)[1] != src

    # the free builder: the table is recomputed by the kernel
    free = page.locator(".cnnlab-kernel-only").first
    free.scroll_into_view_if_needed()
    table = free.locator(".widget-html").first

    def totals(b):
        return f"{b.total_params:,}", f"{b.total_macs:,}"

    start = network_builder.NetworkBuilder((100, 100, 1), network_builder.Q2_AS_CODED)
    assert totals(start)[1] in table.inner_text(), table.inner_text()
    rows = free.locator("input").first                   # the input's rows
    rows.fill("64")
    rows.press("Enter")
    smaller = network_builder.NetworkBuilder((64, 100, 1), network_builder.Q2_AS_CODED)
    _wait_for(lambda: "(None, 64, 100, 1)" in table.inner_text(),
              "setting the input rows to 64 did not redraw the builder's table")
    assert totals(smaller)[1] in table.inner_text(), (totals(smaller), table.inner_text())
    assert totals(start)[1] not in table.inner_text()

    free.locator("button", has_text="remove last").click()
    smaller.pop()
    _wait_for(lambda: totals(smaller)[0] in table.inner_text(),
              "'remove last' did not redraw the builder's table")
    assert "dense_1" not in table.inner_text() and totals(smaller)[1] in table.inner_text()
    page.screenshot(path=str(tmp / "ch03.png"))
    page.close()
    _shut_down_kernels(base)
    assert not errors, errors
