// The search shortcut: "/" (outside a text field) focuses the academy's search box.
// Loaded by templates/search/_box.html and the search page; no inline script (CSP).
(function () {
  "use strict";
  if (window.briqueSearchShortcut) return; // the box and the page may both load it
  window.briqueSearchShortcut = true;
  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var boxes = document.querySelectorAll("[data-search-box]");
    var box = boxes[boxes.length - 1]; // the page's own box when there is one
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
