// Sprint planning: drag a brick between the backlog and the sprint (SortableJS). A drop ticks
// the brick's own checkbox and posts the same form as the buttons; when the sprint has started
// the form needs a reason first, so the drop only ticks the brick and moves focus to the
// reason. The page works without this file: tick the boxes and press the buttons.
(function () {
  "use strict";

  function announce(text) {
    var status = document.querySelector("[data-plan-status]");
    if (status) { status.textContent = text; }
  }

  function submitFor(row, reasonRequired) {
    var box = row.querySelector("input[type=checkbox][form]");
    if (!box) { return; }
    var form = document.getElementById(box.getAttribute("form"));
    if (!form) { return; }
    // Only the dragged brick: the other ticks of that form are cleared.
    document.querySelectorAll('input[type=checkbox][form="' + form.id + '"]').forEach(function (other) {
      other.checked = other === box;
    });
    var reason = form.querySelector("input[name=reason]");
    if (reasonRequired && reason && !reason.value.trim()) {
      reason.focus();
      announce(reason.getAttribute("data-drop-hint") || "");
      return;
    }
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  }

  function setUp(root) {
    if (!window.Sortable) { return; }
    var reasonRequired = root.getAttribute("data-reason-required") === "true";
    root.querySelectorAll("tbody[data-plan-list]").forEach(function (tbody) {
      window.Sortable.create(tbody, {
        group: "sprint-plan",
        draggable: "tr[data-brick]",
        filter: "input, label, a",
        preventOnFilter: false,
        forceFallback: true,
        fallbackOnBody: true,
        animation: 150,
        ghostClass: "is-drag-ghost",
        onAdd: function (event) { submitFor(event.item, reasonRequired); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sprint-plan]").forEach(setUp);
  });
})();
