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
})();
