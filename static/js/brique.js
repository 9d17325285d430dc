// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Helpers for the page scripts (backlog.js, board.js): base.html loads this file first.
  var Brique = window.Brique = window.Brique || {};

  // The CSRF token a page puts in <meta name="csrf-token">, for fetch() calls that change data.
  Brique.csrfToken = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  // A page re-rendered by a form's action (an error to correct) shows the page's own address.
  var pageUrl = document.querySelector('meta[name="page-url"]');
  if (pageUrl && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", pageUrl.getAttribute("content"));
  }

  // Buttons with data-confirm ask before submitting their form.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A select with data-autosubmit submits its form on change (its button stays for no-JS).
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) {
      select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
    }
  });

  // Close open menus on a click elsewhere or on Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) { menu.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.menu"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector("details.menu[open]");
      closeMenus(null);
      if (open) { open.querySelector("summary").focus(); }
    }
  });
})();
