// The brick form: add and remove objective rows, and suggest action verbs for the chosen
// Bloom level. Without JavaScript the form still offers blank rows and the verbs of each level.
(function () {
  "use strict";

  var box = document.querySelector("[data-objectives]");
  if (!box) { return; }
  var rows = box.querySelector("[data-objective-rows]");
  var template = document.getElementById("objective-row-template");
  var addButton = box.querySelector("[data-objective-add]");

  function showLevel(select) {
    var row = select.closest("[data-objective-row]");
    var option = select.options[select.selectedIndex];
    var input = row.querySelector("input[type=text]");
    var hint = row.querySelector("[data-bloom-hint]");
    if (input) { input.setAttribute("list", "bloom-verbs-" + select.value); }
    if (hint && option) { hint.textContent = option.getAttribute("data-hint") || ""; }
  }

  function nextIndex() {
    var highest = -1;
    rows.querySelectorAll("[name^='objectives-']").forEach(function (input) {
      var match = /^objectives-(\d+)-/.exec(input.name);
      if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
    });
    return highest + 1;
  }

  box.addEventListener("change", function (event) {
    if (event.target.matches("[data-bloom-level]")) { showLevel(event.target); }
  });

  box.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-objective-remove]");
    if (remove) {
      var row = remove.closest("[data-objective-row]");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      var focusable = next ? next.querySelector("input[type=text]") : addButton;
      if (focusable) { focusable.focus(); }
    }
  });

  if (addButton && template && rows) {
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var index = String(nextIndex());
      var html = template.innerHTML.replace(/__i__/g, index);
      rows.insertAdjacentHTML("beforeend", html);
      var added = rows.lastElementChild;
      added.querySelector("input[type=text]").focus();
    });
  }

  rows.querySelectorAll("[data-objective-remove]").forEach(function (button) {
    button.hidden = false;
  });
})();
