// The board's done columns fold to a narrow strip (their name and count) and unfold again;
// each person's choice is kept in this browser (localStorage), per stage. Without this file
// the columns are simply shown, and the fold buttons stay hidden.
(function () {
  "use strict";

  var region = document.getElementById("board-region");
  if (!region) { return; }
  var KEY = "brique.board.folded.";

  function remembered(stageId) {
    try { return window.localStorage.getItem(KEY + stageId) === "1"; } catch (e) { return false; }
  }

  function remember(stageId, folded) {
    try {
      if (folded) { window.localStorage.setItem(KEY + stageId, "1"); }
      else { window.localStorage.removeItem(KEY + stageId); }
    } catch (e) { /* private browsing: not kept */ }
  }

  // Every column of the stage: its head and, with lanes, its cell in each lane.
  function columns(stageId) {
    var found = [];
    region.querySelectorAll('.column-head[data-stage="' + stageId + '"], .cards[data-stage="' + stageId + '"]')
      .forEach(function (element) {
        var column = element.closest(".column");
        if (column && found.indexOf(column) < 0) { found.push(column); }
      });
    return found;
  }

  function fold(button, folded) {
    var stageId = button.getAttribute("data-collapse");
    columns(stageId).forEach(function (column) { column.classList.toggle("is-folded", folded); });
    button.setAttribute("aria-expanded", folded ? "false" : "true");
  }

  function prepare() {
    region.querySelectorAll("[data-collapse]").forEach(function (button) {
      button.hidden = false;
      fold(button, remembered(button.getAttribute("data-collapse")));
    });
  }

  region.addEventListener("click", function (event) {
    var button = event.target.closest("[data-collapse]");
    if (!button) { return; }
    var folded = button.getAttribute("aria-expanded") === "true";
    fold(button, folded);
    remember(button.getAttribute("data-collapse"), folded);
  });

  prepare();
  // The board is redrawn after a conflict (board.js replaces the region's content).
  new MutationObserver(function (changes) {
    if (changes.some(function (c) { return c.addedNodes.length && c.target === region; })) { prepare(); }
  }).observe(region, { childList: true });
})();
