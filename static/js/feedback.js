// Feedback rounds: small enhancements of the testers' form; everything works without them.
(function () {
  "use strict";

  // After a refused submission, move the focus to the list of what needs attention, so that a
  // screen reader announces it and the keyboard starts from it.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  var AUTOSAVE_DELAY_MS = 1500;  // after the last keystroke or tick

  function fill(template, n, total) {
    return (template || "").replace("{n}", String(n)).replace("{total}", String(total));
  }

  // A question is answered when one of its inputs holds a value (a tick, or text).
  function answered(question) {
    return Array.prototype.some.call(question.querySelectorAll("input, textarea"), function (input) {
      if (input.type === "radio" || input.type === "checkbox") { return input.checked; }
      return input.value.trim() !== "";
    });
  }

  // "Question 4 of 12 · 3 of 12 answered": the question being answered, and how many are.
  function setUpProgress(form) {
    var box = form.querySelector("[data-progress]");
    if (!box) { return function () {}; }
    var questions = form.querySelectorAll("[data-question]");
    var total = questions.length;
    var current = box.querySelector("[data-progress-current]");
    var count = box.querySelector("[data-progress-answered]");
    var bar = box.querySelector("[data-progress-bar]");
    function update() {
      var done = Array.prototype.filter.call(questions, answered).length;
      count.textContent = fill(box.getAttribute("data-answered-text"), done, total);
      if (bar) { bar.value = done; bar.textContent = done + "/" + total; }
    }
    form.addEventListener("focusin", function (event) {
      var question = event.target.closest("[data-question]");
      if (question) {
        current.textContent = fill(box.getAttribute("data-current-text"),
                                   question.getAttribute("data-question"), total);
      }
    });
    return update;
  }

  // The draft saved while typing: the form's own draft save, answered in JSON.
  function setUpAutosave(form, onSaved) {
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    var running = null;
    var again = false;
    function say(name) { if (status) { status.textContent = status.getAttribute(name) || ""; } }
    function save() {
      timer = null;
      if (running) { again = true; return; }
      var data = new FormData(form);
      data.set("action", "draft");
      say("data-saving-text");
      running = fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: data  // with the form's own csrf_token field
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function () {
        say("data-saved-text");
        if (!timer && !again) { onSaved(); }  // nothing typed since
      }).catch(function () {
        say("data-failed-text");
      }).then(function () {
        running = null;
        if (again) { again = false; save(); }
      });
    }
    function later() {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, AUTOSAVE_DELAY_MS);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", function () { if (timer) { window.clearTimeout(timer); } });
  }

  document.querySelectorAll("form[data-questionnaire]").forEach(function (form) {
    var changed = false;
    var updateProgress = setUpProgress(form);
    form.addEventListener("change", function () { changed = true; updateProgress(); });
    form.addEventListener("input", function () { changed = true; updateProgress(); });
    if (form.hasAttribute("data-autosave") && window.fetch && window.FormData) {
      setUpAutosave(form, function () { changed = false; });
    }

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
