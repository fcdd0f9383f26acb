/* CNN Math Lab: run @jupyter-widgets/html-manager 1.x offline and under MathJax 3.
 *
 * Loaded (by myst-nb's nb_ipywidgets_js, see _config.yml) after require.js and before
 * vendor/html-manager/embed-amd.js, on pages that store widget state.
 *  1. require.js paths: the widget modules are defined by name inside embed-amd.js; telling
 *     require.js where that file lives makes `module.uri` (and so webpack's public path, from
 *     which the widget fonts are fetched) point at _static/vendor/html-manager/ instead of the
 *     page's own folder.
 *  2. html-manager 1.x typesets widget labels with the MathJax 2 call
 *     `MathJax.Hub.Queue(["Typeset", MathJax.Hub, el])`; MathJax 3 has no `Hub`. A small
 *     adapter forwards such calls to `MathJax.typesetPromise`.
 *  3. Accessibility of the rendered widgets (WCAG 2.1, checked with axe-core by
 *     tests/test_browser_widgets.py): each slider handle (`role="slider"`, noUiSlider) is named
 *     by its description label (`aria-labelledby`) and announces the label it shows
 *     (`aria-valuetext` = the readout, not the option's index); the label's `title="null"`
 *     goes. A widget box that scrolls (content wider or taller than the box) and holds nothing
 *     focusable gets `tabindex="0"`, so keyboard users can scroll it.
 *  4. Controls inside a `cnnlab-kernel-only` box (cnnlab.widgets._frames.kernel_only) need
 *     Python running: on the website they are disabled (out of the tab order, `disabled` /
 *     `aria-disabled`) and described by the sentence under them that says why.
 *  5. A stack (ipywidgets.Stack) renders only its selected child: moving a control disposes
 *     the old child's view, and a Lumino message already queued for it (resize, update)
 *     then reached a view set to null ("Cannot read properties of null (reading
 *     'processLuminoMessage')" in the console, when keys are pressed quickly). Such late
 *     messages to a disposed view are dropped.
 */
(function () {
  "use strict";
  var me = document.currentScript && document.currentScript.src;
  var root = me ? me.replace(/[^\/]*$/, "") : "_static/";
  var manager = root + "vendor/html-manager/embed-amd";
  if (window.require && window.require.config) {
    window.require.config({
      paths: {
        "@jupyter-widgets/base": manager,
        "@jupyter-widgets/controls": manager,
        "@jupyter-widgets/html-manager": manager,
        "@jupyter-widgets/html-manager/dist/libembed-amd": manager
      }
    });
  }

  function installHub() {
    var MJ = window.MathJax;
    if (!MJ || MJ.Hub || !MJ.version || String(MJ.version).charAt(0) !== "3") {
      return;
    }
    var typeset = function (el) {
      // MyST tells MathJax to skip the page body except elements of these classes.
      if (el && el.classList) { el.classList.add("mathjax_process"); }
      // Widget labels use $...$ (MathJax 2 in Jupyter); the site's MathJax 3 only knows \(...\).
      if (el && el.childNodes) {
        Array.prototype.forEach.call(el.childNodes, function (node) {
          if (node.nodeType === 3 && node.nodeValue.indexOf("$") !== -1) {
            node.nodeValue = node.nodeValue.replace(/\$([^$]+)\$/g, "\\($1\\)");
          }
        });
      }
      var ready = (MJ.startup && MJ.startup.promise) || Promise.resolve();
      return ready.then(function () {
        return MJ.typesetPromise ? MJ.typesetPromise(el ? [el] : undefined) : null;
      }).catch(function (err) { console.warn("MathJax typeset in a widget failed:", err); });
    };
    MJ.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (typeof job === "function") { job(); }
          else if (Array.isArray(job) && job[0] === "Typeset") { typeset(job[2]); }
        }
      },
      Typeset: function (el) { typeset(el); },
      Config: function () {},
      Register: { StartupHook: function (name, fn) { if (fn) { fn(); } } }
    };
  }
  installHub();
  document.addEventListener("DOMContentLoaded", installHub);
  window.addEventListener("load", installHub, { capture: true });

  var uid = 0;
  function idOf(el, prefix) {
    if (!el.id) { el.id = prefix + "-" + (++uid); }
    return el.id;
  }
  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }

  function nameSliders(root) {
    // html-manager writes the description tooltip as the string "null" when there is none
    Array.prototype.forEach.call(root.querySelectorAll('.widget-label[title="null"]'),
                                 function (l) { l.removeAttribute("title"); });
    var sliders = root.querySelectorAll(".widget-slider");
    Array.prototype.forEach.call(sliders, function (slider) {
      var label = slider.querySelector(":scope > .widget-label");
      var readout = slider.querySelector(":scope > .widget-readout");
      var hasName = label && label.textContent.trim() !== "";
      Array.prototype.forEach.call(slider.querySelectorAll(".noUi-handle"), function (h) {
        if (hasName) { setAttr(h, "aria-labelledby", idOf(label, "cnnlab-label")); }
        var shown = readout ? readout.textContent.trim() : "";
        if (shown) { setAttr(h, "aria-valuetext", shown); }
      });
    });
  }

  function switchOffKernelOnly(root) {
    var boxes = root.querySelectorAll(".cnnlab-kernel-only");
    Array.prototype.forEach.call(boxes, function (box) {
      var note = box.querySelector(".cnnlab-kernel-note");
      var noteId = note ? idOf(note, "cnnlab-note") : null;
      box.classList.add("cnnlab-site-disabled");
      var controls = box.querySelectorAll("button, input, select, textarea");
      Array.prototype.forEach.call(controls, function (el) {
        if (!el.disabled) { el.disabled = true; }
        if (noteId) { setAttr(el, "aria-describedby", noteId); }
      });
      Array.prototype.forEach.call(box.querySelectorAll(".noUi-target"), function (t) {
        setAttr(t, "disabled", "");
      });
      Array.prototype.forEach.call(box.querySelectorAll(".noUi-handle"), function (h) {
        if (h.hasAttribute("tabindex")) { h.removeAttribute("tabindex"); }
        setAttr(h, "aria-disabled", "true");
        if (noteId) { setAttr(h, "aria-describedby", noteId); }
      });
      Array.prototype.forEach.call(box.querySelectorAll('[contenteditable="true"]'), function (e) {
        setAttr(e, "contenteditable", "false");
      });
    });
  }

  var FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex], [contenteditable="true"]';
  function focusScrollers(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".widget-subarea .widget-box"), function (b) {
      if (b.hasAttribute("tabindex")) { return; }
      var scrolls = b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1;
      if (!scrolls) { return; }
      var style = window.getComputedStyle(b);
      if (style.overflowX === "visible" && style.overflowY === "visible") { return; }
      if (!b.querySelector(FOCUSABLE)) { b.setAttribute("tabindex", "0"); }
    });
  }

  function guardDisposedViews(base) {
    [base.JupyterLuminoWidget, base.JupyterLuminoPanelWidget].forEach(function (cls) {
      if (!cls || !cls.prototype || cls.prototype.cnnlabGuarded) { return; }
      var original = cls.prototype.processMessage;
      cls.prototype.processMessage = function (msg) {
        if (!this._view) { return; }  // the view was disposed before the message arrived
        return original.call(this, msg);
      };
      cls.prototype.cnnlabGuarded = true;
    });
  }
  // after embed-amd.js (loaded next, synchronously) has defined the module: no second fetch
  document.addEventListener("DOMContentLoaded", function () {
    if (window.require) { window.require(["@jupyter-widgets/base"], guardDisposedViews); }
  });

  var pending = false;
  function repair() {
    pending = false;
    nameSliders(document);
    focusScrollers(document);
    switchOffKernelOnly(document);
  }
  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(repair); }
  }
  function watch() {
    repair();
    new MutationObserver(schedule).observe(document.body, {
      childList: true, subtree: true, characterData: true,
      attributes: true, attributeFilter: ["aria-valuetext", "tabindex", "disabled"]
    });
  }
  if (document.body) { watch(); } else { document.addEventListener("DOMContentLoaded", watch); }
})();
