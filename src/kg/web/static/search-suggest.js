// Suggestions while typing in a search box: names in Chinese and English from /search/suggest.json on this server.
// An ARIA combobox (role=combobox, aria-autocomplete=list, aria-activedescendant over a listbox): the arrow keys move
// through the suggestions, Enter opens the one chosen (or searches for the text when none is), Esc closes the list.
(function () {
  "use strict";
  var count = 0;

  function attach(input) {
    var id = "suggest-" + (++count), list = document.createElement("ul"), items = [], active = -1, asked = "", timer = null;
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.getAttribute("aria-label") || "");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.parentNode.classList.add("has-suggestions");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      active = i;
      items.forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      if (i >= 0) { input.setAttribute("aria-activedescendant", items[i].id); } else { input.removeAttribute("aria-activedescendant"); }
    }
    function show(suggestions) {
      list.textContent = "";
      items = suggestions.map(function (s, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("lang", s.lang || "");
        li.dataset.page = s.page;
        li.textContent = s.label;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = s.page; });
        list.appendChild(li);
        return li;
      });
      if (!items.length) { close(); return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }
    function ask() {
      var q = input.value.trim();
      if (q === asked) { return; }
      asked = q;
      if (!q) { show([]); return; }
      fetch("/search/suggest.json?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (d) { if (q === input.value.trim()) { show(d.suggestions || []); } })
        .catch(function () { show([]); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 120); });
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden) { asked = ""; ask(); return; }
        e.preventDefault();
        var next = active + (e.key === "ArrowDown" ? 1 : -1);  // -1 is the text typed, between the last and the first
        highlight(next >= items.length ? -1 : next < -1 ? items.length - 1 : next);
      } else if (e.key === "Enter" && active >= 0 && !list.hidden) {
        e.preventDefault();
        window.location.href = items[active].dataset.page;
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("form[role=search] input[name=q]");
    for (var i = 0; i < boxes.length; i++) { attach(boxes[i]); }
  });
})();
