// "@" autocomplete in the text areas that mention people (a brick's comments and description).
// The container carries data-mentions="<url of mentions.json>"; typing "@" and a few letters
// offers the academy's members by name (accents and case aside); Up/Down choose, Enter or Tab
// insert "@Name ", Escape closes. Without JavaScript, "@" and a name typed in full mention the
// same person (tracker/workspace/notify.py). No inline script (CSP).
(function () {
  "use strict";
  var MAX_SHOWN = 8;
  var names = null; // fetched once per page, on the first "@"
  var loading = null;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function load(url) {
    if (names) return Promise.resolve(names);
    if (!loading) {
      loading = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { names: [] }; })
        .then(function (data) { names = data.names || []; return names; })
        .catch(function () { loading = null; return []; });
    }
    return loading;
  }

  // The "@word" just before the caret, or null.
  function typedMention(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = /(^|[\s(])@([^\s@]{0,40})$/.exec(before);
    if (!match) return null;
    return { start: before.length - match[2].length - 1, text: match[2] };
  }

  function setUp(box, index) {
    var area = box.querySelector("textarea");
    if (!area) return;
    var url = box.getAttribute("data-mentions");
    var list = document.createElement("ul");
    list.id = "mention-list-" + index;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.getAttribute("data-mentions-label") || "");
    list.hidden = true;
    area.insertAdjacentElement("afterend", list);
    // A text area is a textbox: aria-autocomplete, -controls and -activedescendant apply;
    // aria-expanded does not (axe: aria-allowed-attr), the list's visibility says it.
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", list.id);
    var active = -1;
    var current = null;

    function close() {
      list.hidden = true;
      list.textContent = "";
      area.removeAttribute("aria-activedescendant");
      active = -1;
      current = null;
    }

    function highlight(position) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (position + options.length) % options.length;
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      area.setAttribute("aria-activedescendant", options[active].id);
    }

    function choose(name) {
      if (!current) return;
      var value = area.value;
      var end = area.selectionStart;
      var inserted = "@" + name + " ";
      area.value = value.slice(0, current.start) + inserted + value.slice(end);
      var caret = current.start + inserted.length;
      area.setSelectionRange(caret, caret);
      close();
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function show(mention, all) {
      var wanted = fold(mention.text);
      var found = all.filter(function (name) {
        return fold(name).split(/\s+/).some(function (word) { return word.indexOf(wanted) === 0; })
          || fold(name).indexOf(wanted) === 0;
      }).slice(0, MAX_SHOWN);
      if (!found.length) { close(); return; }
      current = mention;
      list.textContent = "";
      found.forEach(function (name, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.textContent = name;
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the text area
          choose(name);
        });
        list.appendChild(item);
      });
      list.hidden = false;
      highlight(0);
    }

    area.addEventListener("input", function () {
      var mention = typedMention(area);
      if (!mention) { close(); return; }
      load(url).then(function (all) {
        var still = typedMention(area);
        if (still && still.start === mention.start) show(still, all);
      });
    });
    area.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" || event.key === "Tab") {
        var option = list.querySelectorAll("[role=option]")[active];
        if (option) { event.preventDefault(); choose(option.textContent); }
      } else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    area.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  document.querySelectorAll("[data-mentions]").forEach(setUp);
})();
