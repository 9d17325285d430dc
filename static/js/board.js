// The board: drag and drop between and within columns (SortableJS: mouse and touch), and the
// "Move…" dialog (one per board, filled for the card it is opened from). The board works
// without this file: each card's small move button (⇄) is a link to an ordinary form.
(function () {
  "use strict";

  var region = document.getElementById("board-region");
  if (!region || !region.hasAttribute("data-move-url")) { return; }
  var statusBox = document.querySelector("[data-board-status]");
  var busy = false;

  var csrfToken = window.Brique.csrfToken;

  function say(text, kind) {
    if (!statusBox) { return; }
    statusBox.textContent = text;
    statusBox.classList.toggle("is-error", kind === "error");
    statusBox.classList.toggle("is-warning", kind === "warning");
  }

  function number(element, name) {
    var value = element && element.getAttribute(name);
    return value ? parseInt(value, 10) : null;
  }

  function head(stageId) {
    return region.querySelector('.column-head[data-stage="' + stageId + '"]');
  }

  function add(element, selector, delta) {
    var target = element && element.querySelector(selector);
    if (target) { target.textContent = String(parseInt(target.textContent, 10) + delta); }
  }

  // The figures of a column: cards and points shown (the moved card matches the filters),
  // and the stage's total against its WIP limit, as the server counted it.
  function updateHead(stageId, delta, points, total) {
    var h = head(stageId);
    if (!h) { return; }
    add(h, "[data-count]", delta);
    add(h, "[data-points]", delta * points);
    if (typeof total === "number") {
      h.setAttribute("data-total", String(total));
      var shown = h.querySelector("[data-total]");
      if (shown) { shown.textContent = String(total); }
      var limit = number(h, "data-limit");
      h.classList.toggle("is-over", limit !== null && total > limit);
    }
  }

  function putBack(item, from, oldIndex) {
    var siblings = Array.prototype.filter.call(from.children, function (c) { return c !== item; });
    from.insertBefore(item, siblings[oldIndex] || null);
  }

  function postMove(payload) {
    return fetch(region.getAttribute("data-move-url"), {
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
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  // Someone else changed the board: draw the columns as the server has them now.
  function reloadColumns() {
    return fetch(window.location.href, {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) { return response.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board-region");
      if (fresh) {
        region.innerHTML = fresh.innerHTML;
        setUpSortables();
      }
    });
  }

  function onEnd(event) {
    var item = event.item;
    var from = event.from;
    var to = event.to;
    if (from === to && event.oldIndex === event.newIndex) { return; }
    if (busy) { putBack(item, from, event.oldIndex); return; }
    var previous = item.previousElementSibling;
    var next = item.nextElementSibling;
    var toStage = number(to, "data-stage");
    var points = number(item, "data-p") || 0;
    var payload = {
      brick: number(item, "data-n"),
      version: number(item, "data-v"),
      stage: toStage
    };
    // Name a neighbour, not a position: right even when the filters hide cards in between.
    if (previous) { payload.after = number(previous, "data-n"); }
    else if (next) { payload.before = number(next, "data-n"); }
    else { payload.position = 1; }
    busy = true;
    region.setAttribute("aria-busy", "true");
    postMove(payload).then(function (answer) {
      var data = answer.data || {};
      if (answer.ok) {
        item.setAttribute("data-v", String(data.version));
        var totals = data.totals || {};
        if (data.from_stage !== data.stage) {
          updateHead(data.from_stage, -1, points, totals[String(data.from_stage)] || 0);
          updateHead(data.stage, 1, points, totals[String(data.stage)] || 0);
        }
        say(data.message || "", data.over_limit ? "warning" : "ok");
        return null;
      }
      // Errors are RFC 9457 problems: {type, title, status, detail, code, ...}.
      var message = data.detail || String(answer.status);
      if (answer.status === 409) {
        say(message + " " + (region.getAttribute("data-conflict-text") || ""), "error");
        return reloadColumns();
      }
      putBack(item, from, event.oldIndex);
      say(message, "error");
      if (data.code === "definition_of_done" && data.can_override) {
        openDialog(item, toStage, true);
      }
      return null;
    }).catch(function (failure) {
      putBack(item, from, event.oldIndex);
      say((region.getAttribute("data-failed-text") || "{reason}").replace("{reason}", failure.message), "error");
    }).then(function () {
      busy = false;
      region.removeAttribute("aria-busy");
      item.classList.add("is-just-moved");
      window.setTimeout(function () { item.classList.remove("is-just-moved"); }, 1500);
    });
  }

  function setUpSortables() {
    if (!window.Sortable) { return; }
    region.querySelectorAll("ol.cards").forEach(function (list) {
      var lane = list.getAttribute("data-lane");
      window.Sortable.create(list, {
        group: lane === null ? "board" : "lane-" + lane,
        draggable: ".board-card",
        animation: 150,
        ghostClass: "is-drag-ghost",
        // On a touch screen a short press starts a drag; a swipe still scrolls the board.
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: onEnd
      });
    });
  }

  // -- The "Move…" dialog ------------------------------------------------------------------------

  var dialog = document.getElementById("move-dialog");
  var opener = null;

  function openDialog(card, stageId, focusReason) {
    if (!dialog || typeof dialog.showModal !== "function" || !card) { return false; }
    var form = dialog.querySelector("form");
    var link = card.querySelector("a.card-move");
    var title = card.querySelector(".card-title");
    form.setAttribute("action", link ? link.getAttribute("href") : "");
    form.querySelector("input[name=version]").value = card.getAttribute("data-v");
    var select = form.querySelector("select[name=stage]");
    var column = card.closest("ol.cards");
    select.value = String(stageId || (column && column.getAttribute("data-stage")));
    form.querySelector("input[name=position]").value = "";
    var reason = form.querySelector("textarea[name=override_reason]");
    if (reason) { reason.value = ""; }
    var label = dialog.querySelector("[data-move-card]");
    if (label && title) { label.textContent = title.textContent; }
    opener = link;
    dialog.showModal();
    (focusReason && reason ? reason : select).focus();
    return true;
  }

  if (dialog) {
    region.addEventListener("click", function (event) {
      var link = event.target.closest("a.card-move");
      if (link && openDialog(link.closest(".board-card"), null, false)) {
        event.preventDefault();
      }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target.closest("[data-close-dialog]")) { dialog.close(); }
    });
    dialog.addEventListener("close", function () {
      if (opener && document.body.contains(opener)) { opener.focus(); }
    });
  }

  setUpSortables();
  // Back from a move (form or dialog): show the card that moved.
  var match = /^#card-(\d+)$/.exec(window.location.hash);
  if (match) {
    var moved = document.getElementById("card-" + match[1]);
    var link = moved && moved.querySelector("a.card-move");
    if (link) { link.focus(); }
  }
})();
