// Feedback rounds: small enhancements of the testers' form; everything works without them.
(function () {
  "use strict";

  // After a refused submission, move the focus to the list of what needs attention, so that a
  // screen reader announces it and the keyboard starts from it.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  document.querySelectorAll("form[data-questionnaire]").forEach(function (form) {
    var changed = false;
    form.addEventListener("change", function () { changed = true; });
    form.addEventListener("input", function () { changed = true; });

    // One submission per click: a second click while the first is on its way does nothing
    // (the server would store one response anyway).
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "1");
      changed = false;
    });

    // Leaving with unsaved answers asks first (the browser shows its own message).
    window.addEventListener("beforeunload", function (event) {
      if (changed && !form.hasAttribute("data-preview")) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  });
})();
