// A card's quick view: clicking a card's title opens the brick in a dialog on the board (its
// main fields, the title and owner editable, the definition of done ticked, a comment posted,
// the latest history) instead of leaving the board. Without this file the title is a plain
// link to the brick's page. The edit posts JSON with the page's CSRF token and the version
// shown; a refusal (an RFC 9457 problem) is shown in the dialog. A tick or a comment posts its
// form (CSRF field included) and the server answers the dialog's body again.
(function () {
  "use strict";

  var region = document.getElementById("board-region");
  var dialog = document.getElementById("quick-view");
  if (!region || !dialog || typeof dialog.showModal !== "function") { return; }
  var body = dialog.querySelector("[data-quick-body]");
  var opener = null;

  function failed(reason) {
    return (dialog.getAttribute("data-failed-text") || "{reason}").replace("{reason}", reason);
  }

  function quickUrl(number) {
    return region.getAttribute("data-quick-url").replace(/\/0\/quick$/, "/" + number + "/quick");
  }

  function open(card, link) {
    opener = link;
    body.innerHTML = "";
    var loading = document.createElement("p");
    loading.textContent = dialog.getAttribute("data-loading-text") || "";
    body.appendChild(loading);
    dialog.showModal();
    fetch(quickUrl(card.getAttribute("data-n")), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      body.innerHTML = html;  // the server's own escaped fragment
      var first = body.querySelector("input, select, a");
      if (first) { first.focus(); }
    }).catch(function (error) {
      loading.textContent = failed(error.message);
    });
  }

  region.addEventListener("click", function (event) {
    var link = event.target.closest("a.card-title");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    var card = link.closest(".board-card");
    if (!card) { return; }
    event.preventDefault();
    open(card, link);
  });

  dialog.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-dialog]")) { dialog.close(); }
  });
  dialog.addEventListener("close", function () {
    if (opener && document.body.contains(opener)) { opener.focus(); }
  });

  function showErrors(form, field, message) {
    form.querySelectorAll("[data-error-for]").forEach(function (p) {
      var mine = p.getAttribute("data-error-for") === field;
      p.hidden = !mine;
      p.textContent = mine ? message : "";
      var input = form.querySelector("[name=" + p.getAttribute("data-error-for") + "]");
      if (input) { input.setAttribute("aria-invalid", mine ? "true" : "false"); }
    });
  }

  function say(form, text, kind) {
    var box = form.querySelector("[data-quick-status]");
    if (!box) { return; }
    box.textContent = text;
    box.classList.toggle("error", kind === "error");
  }

  // What the card on the board shows after a save.
  function updateCard(number, data) {
    var card = document.getElementById("card-" + number);
    if (!card) { return; }
    card.setAttribute("data-v", String(data.version));
    var link = card.querySelector("a.card-title");
    if (link && link.lastChild && link.lastChild.nodeType === Node.TEXT_NODE) {
      link.lastChild.textContent = " " + data.title;
    }
    var avatar = card.querySelector(".avatar");
    var name = card.querySelector(".card-owner");
    var owner = data.owner;
    var label = owner ? owner.name : (dialog.getAttribute("data-nobody-text") || "");
    if (avatar) {
      avatar.className = "avatar " + (owner ? "avatar-" + owner.colour : "avatar-none");
      avatar.textContent = owner ? owner.initials : "?";
      avatar.setAttribute("title", label);
    }
    if (name) { name.textContent = label; }
  }

  // The card's "2/9" after a tick in the dialog (a tick only when all are done).
  function updateChecklist(number) {
    var card = document.getElementById("card-" + number);
    var view = body.querySelector("[data-quick-brick]");
    var figure = card && card.querySelector(".card-dod");
    if (!view || !figure) { return; }
    var done = parseInt(view.getAttribute("data-checklist-done"), 10);
    var total = parseInt(view.getAttribute("data-checklist-total"), 10);
    var complete = done >= total;
    figure.classList.toggle("is-complete", complete);
    figure.lastChild.textContent = (complete ? "✓ " : "") + done + "/" + total;
  }

  // A tick or a comment: the form posted as it is, the answer (the dialog's body, or the
  // comment form with its error and what was typed) put in place.
  function postForm(form) {
    var number = form.closest("[data-quick-brick]").getAttribute("data-quick-brick");
    var focused = form.hasAttribute("data-quick-post") ? "textarea" : null;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      body: new FormData(form)
    }).then(function (response) {
      if (!response.ok && response.status !== 422) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      body.innerHTML = html;  // the server's own escaped fragment
      updateChecklist(number);
      var target = focused && body.querySelector("[data-quick-post] " + focused);
      if (target && body.querySelector("[data-quick-post] [aria-invalid=true]")) { target.focus(); }
    }).catch(function (error) {
      buttons.forEach(function (b) { b.disabled = false; });
      var status = document.createElement("p");
      status.className = "quick-status error";
      status.setAttribute("role", "alert");
      status.textContent = failed(error.message);
      form.appendChild(status);
    });
  }

  dialog.addEventListener("submit", function (event) {
    var posted = event.target.closest("[data-quick-post], .checklist form");
    if (posted) {
      event.preventDefault();
      postForm(posted);
      return;
    }
    var form = event.target.closest("[data-quick-form]");
    if (!form) { return; }
    event.preventDefault();
    var view = form.closest("[data-quick-brick]");
    var number = view.getAttribute("data-quick-brick");
    var payload = {
      version: parseInt(view.getAttribute("data-version"), 10),
      title: form.elements.title.value,
      owner: form.elements.owner.value || null
    };
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": window.Brique.csrfToken()
      },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          view.setAttribute("data-version", String(data.version));
          var title = view.querySelector("[data-quick-title]");
          if (title) { title.textContent = data.title; }
          var owner = view.querySelector("[data-quick-owner]");
          if (owner) { owner.textContent = data.owner ? data.owner.name : form.elements.owner.options[0].text; }
          showErrors(form, null, "");
          say(form, data.message || "", "ok");
          updateCard(number, data);
          return;
        }
        var detail = data.detail || String(response.status);
        showErrors(form, data.field || null, detail);
        say(form, detail, "error");
      });
    }).catch(function (error) {
      say(form, failed(error.message), "error");
    }).then(function () {
      button.disabled = false;
    });
  });
})();
