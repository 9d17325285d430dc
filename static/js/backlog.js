// The backlog list: drag-and-drop reordering (SortableJS), row selection for bulk actions,
// and focus kept on the move control after a no-JS move. The page works without this file:
// every row has a menu of move buttons posting an ordinary form.
(function () {
  "use strict";

  var MOVE_KEY = "brique.backlog.lastMove";

  var csrfToken = window.Brique.csrfToken;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  function announce(text, isError) {
    var status = document.querySelector("[data-reorder-status]");
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  // Positions are absolute (the whole backlog): after a move from `from` to `to`, the rows in
  // between shift by one, whatever the filters hide.
  function renumber(tbody, moved, from, to) {
    tbody.querySelectorAll("tr[data-position]").forEach(function (row) {
      var p = parseInt(row.getAttribute("data-position"), 10);
      if (row === moved) { p = to; }
      else if (from < to && p > from && p <= to) { p -= 1; }
      else if (to < from && p >= to && p < from) { p += 1; }
      else { return; }
      row.setAttribute("data-position", String(p));
      var cell = row.querySelector("[data-position-cell]");
      if (cell) { cell.textContent = String(p); }
      var input = row.querySelector("input[name^=p][type=number]");
      if (input) { input.setAttribute("placeholder", String(p)); }
    });
  }

  // A row says its brick's number in its id (brick-42) and its key in its key's cell (#k42).
  function numberOf(row) { return parseInt(row.id.slice("brick-".length), 10); }
  function keyOf(row) {
    var code = document.getElementById("k" + numberOf(row));
    return code ? code.textContent : "";
  }

  function putBack(tbody, row, oldIndex) {
    var rows = Array.prototype.filter.call(tbody.children, function (r) { return r !== row; });
    tbody.insertBefore(row, rows[oldIndex] || null);
  }

  function setUpDragAndDrop(table) {
    var tbody = table.tBodies[0];
    if (!window.Sortable || !tbody || !tbody.querySelector("tr[data-position]")) { return; }
    var busy = false;
    var dragText = table.getAttribute("data-drag-text") || "";
    tbody.querySelectorAll(".drag-handle").forEach(function (handle) { handle.title = dragText; });
    window.Sortable.create(tbody, {
      handle: ".drag-handle",
      draggable: "tr[data-position]",
      // Sortable's own pointer tracking rather than HTML5 drag and drop: the same on every
      // browser and touch screen, and no text gets selected on the way.
      forceFallback: true,
      fallbackOnBody: true,
      animation: 150,
      ghostClass: "is-drag-ghost",
      onEnd: function (event) {
        var row = event.item;
        if (event.oldIndex === event.newIndex) { return; }
        if (busy) { putBack(tbody, row, event.oldIndex); return; }
        var previous = row.previousElementSibling;
        var next = row.nextElementSibling;
        var payload = { brick: numberOf(row) };
        // Name a neighbour, not a position: right even when filters hide rows in between.
        if (previous && previous.hasAttribute("data-position")) {
          payload.after = numberOf(previous);
        } else if (next && next.hasAttribute("data-position")) {
          payload.before = numberOf(next);
        } else { return; }
        var from = parseInt(row.getAttribute("data-position"), 10);
        busy = true;
        table.setAttribute("aria-busy", "true");
        fetch(table.getAttribute("data-reorder-url"), {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": csrfToken()
          },
          body: JSON.stringify(payload)
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (!response.ok) {
              var reason = (data && data.detail) || response.statusText;
              throw new Error(reason);
            }
            return data;
          });
        }).then(function (data) {
          renumber(tbody, row, from, data.position);
          announce(fill(table.getAttribute("data-moved-text") || "", {
            key: keyOf(row), n: data.position
          }), false);
        }).catch(function (error) {
          putBack(tbody, row, event.oldIndex);
          announce(fill(table.getAttribute("data-failed-text") || "", { reason: error.message }), true);
        }).then(function () {
          busy = false;
          table.removeAttribute("aria-busy");
        });
      }
    });
    table.classList.add("is-sortable");
  }

  // After a keyboard move the page reloads at the row (#brick-N, which also makes Tab continue
  // from that row without JavaScript): open the row's menu again and give focus back to the same
  // control, so that pressing it again moves the brick one more place. The row menus' controls
  // belong to the page's one move form (form="mv"): a button says "<number> <move>"; Enter in a
  // position field (p<number>) submits the form's hidden first button, which says nothing.
  function rememberMoves(table) {
    var form = document.getElementById("mv");
    if (form) {
      form.addEventListener("submit", function (event) {
        var value = event.submitter ? event.submitter.value : "";
        var active = document.activeElement;
        if (!value && active && /^p\d+$/.test(active.name || "")) {
          value = active.name.slice(1) + " position";
        }
        var parts = value.split(" ");
        if (parts.length !== 2) { return; }
        try {
          window.sessionStorage.setItem(MOVE_KEY, JSON.stringify({
            number: parts[0], action: parts[1]
          }));
        } catch (e) { /* storage refused: focus simply goes to the row */ }
      });
    }
    var match = /^#brick-(\d+)$/.exec(window.location.hash);
    if (!match) { return; }
    var row = document.getElementById("brick-" + match[1]);
    if (!row) { return; }
    var target = row.querySelector(".row-actions summary");
    try {
      var last = JSON.parse(window.sessionStorage.getItem(MOVE_KEY) || "null");
      window.sessionStorage.removeItem(MOVE_KEY);
      if (last && last.number === match[1]) {
        var button = row.querySelector('button[value="' + last.number + " " + last.action + '"]');
        if (button) {
          button.closest("details").open = true;
          target = button;
        }
      }
    } catch (e) { /* keep the menu's button */ }
    row.classList.add("is-just-moved");
    if (!target) { return; }
    // Browsers reset the focus when they scroll to the #fragment at load: focus after that.
    function focusTarget() { window.setTimeout(function () { target.focus(); }, 0); }
    if (document.readyState === "complete") { focusTarget(); }
    else { window.addEventListener("load", focusTarget); }
  }

  // A row menu closes with Escape (focus back on its button) and when another one opens.
  function setUpMenus(table) {
    table.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var menu = event.target.closest(".row-actions details[open]");
      if (!menu) { return; }
      menu.open = false;
      menu.querySelector("summary").focus();
    });
    table.addEventListener("toggle", function (event) {
      var menu = event.target;
      if (menu.tagName !== "DETAILS" || !menu.open || !menu.parentElement.classList.contains("row-actions")) { return; }
      table.querySelectorAll(".row-actions details[open]").forEach(function (other) {
        if (other !== menu) { other.open = false; }
      });
    }, true);
  }

  function setUpSelection() {
    var form = document.getElementById("bulk-form");
    if (!form) { return; }
    var boxes = document.querySelectorAll('input[type=checkbox][name=bricks][form="bulk-form"]');
    var all = document.querySelector("[data-select-all]");
    var count = form.querySelector("[data-selected-count]");
    function update() {
      var checked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
      if (count) { count.textContent = checked ? "(" + checked + ")" : ""; }
      if (all) {
        all.checked = checked > 0 && checked === boxes.length;
        all.indeterminate = checked > 0 && checked < boxes.length;
      }
    }
    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
        update();
      });
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    update();
  }

  function start() {
    var table = document.querySelector("table[data-reorder-url]");
    if (table) {
      setUpDragAndDrop(table);
      rememberMoves(table);
      setUpMenus(table);
    }
    setUpSelection();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
