// Loaded on widget pages between require.js and the ipywidgets HTML manager (embed-amd.js);
// see nb_ipywidgets_js in _config.yml. Two fixes for reading the book offline:
//
// 1. The HTML manager derives the folder of its font files from its AMD module id,
//    "@jupyter-widgets/html-manager/dist/...", resolved against the page. Map that id to the
//    folder this book serves the manager from (../widgets/ next to this script's ../js/).
// 2. The manager typesets widget labels with MathJax 2's MathJax.Hub.Queue; the book loads
//    MathJax 3, which has MathJax.typesetPromise instead and no Hub. Give every object assigned
//    to window.MathJax (the page's config object, then MathJax 3 itself) a Hub that forwards.
(function () {
  "use strict";
  var here = document.currentScript.src;
  var widgets = new URL("../widgets", here).href;
  window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": widgets } });

  var hub = {
    Queue: function (command) {
      var element = command && command[2];
      if (window.MathJax && typeof window.MathJax.typesetPromise === "function") {
        window.MathJax.typesetPromise(element ? [element] : undefined);
      }
    },
  };
  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) {
      value.Hub = hub;
    }
    return value;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); },
  });
})();
