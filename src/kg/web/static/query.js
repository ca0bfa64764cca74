// The query page in the browser: YASGUI's editor (YASQE, vendored in /static/vendor/yasgui) over the plain textarea,
// which stays the form's real input (the page works without this script), and sort, filter and paging for the
// results table the server drew (its cells keep their labels and links).
//
// YASQE's own prefix and term autocompleters call prefix.cc and LOV; they are replaced here by completers fed from
// /query/terms.json on this server: the project's prefixes, the ontology's classes and properties, and the data's
// entities by their Chinese and English labels. Nothing is requested from anywhere else.
(function () {
  "use strict";

  function text(key, values) {
    var el = document.getElementById("results-ui-text");
    var out = (el && el.dataset[key]) || key;
    Object.keys(values || {}).forEach(function (k) { out = out.replace("{" + k + "}", values[k]); });
    return out;
  }

  // ---- the editor ----------------------------------------------------------------------------------------------

  function localCompleters(Yasqe, terms) {
    var base = {};  // YASQE's own completers, copied before ours replace them under the same names
    ["prefixes", "class", "property"].forEach(function (n) { base[n] = Yasqe.Autocompleters[n]; });
    var labels = {};
    function remember(list) {
      list.forEach(function (t) { labels[t.iri] = [t.en, t.zh].filter(Boolean).join(" · "); });
      return list.map(function (t) { return t.iri; });
    }
    var classes = remember(terms.classes), properties = remember(terms.properties);
    var entities = remember(terms.entities);
    var prefixes = Object.keys(terms.prefixes).map(function (p) { return p + ": <" + terms.prefixes[p] + ">"; });
    function withLabels(yasqe, hints) {
      hints.forEach(function (h) {
        var iri = h.text.replace(/^<|>$/g, "");
        var full = iri;
        var m = /^([A-Za-z][\w.-]*)?:(.*)$/.exec(iri);
        if (m && terms.prefixes[m[1] || ""] !== undefined) { full = terms.prefixes[m[1] || ""] + m[2]; }
        if (labels[full]) { h.displayText = h.text + "  " + labels[full]; }
      });
      return hints;
    }
    function local(name, from, list) {
      return Object.assign({}, base[from], {
        name: name, bulk: true, persistenceId: null, autoShow: from !== "class" && from !== "property" ? undefined : true,
        get: function () { return list; }, postprocessHints: withLabels
      });
    }
    var entityCompleter = Object.assign({}, base.property, {
      name: "jp-entities", bulk: true, persistenceId: null, autoShow: true, postprocessHints: withLabels,
      get: function () { return entities; },
      isValidCompletionPosition: function (yasqe) {
        var token = yasqe.getCompleteToken();
        var s = token.string || "";
        return /^jpr:/.test(s) || s.indexOf("<" + (terms.prefixes.jpr || "\u0000")) === 0;
      }
    });
    Yasqe.registerAutocompleter(Object.assign({}, base.prefixes, {
      name: "prefixes", bulk: true, persistenceId: null, get: function () { return prefixes; }
    }), true);
    Yasqe.registerAutocompleter(local("class", "class", classes), true);
    Yasqe.registerAutocompleter(local("property", "property", properties), true);
    Yasqe.registerAutocompleter(entityCompleter, true);
  }

  function startEditor(box, terms) {
    var Yasqe = window.Yasgui && window.Yasgui.Yasqe;
    var area = box.querySelector("textarea");
    if (!Yasqe || !area) { return; }
    localCompleters(Yasqe, terms);
    var holder = document.createElement("div");
    holder.className = "yasqe-holder";
    box.insertBefore(holder, area);
    var yasqe = new Yasqe(holder, {
      value: area.value,
      persistenceId: null,
      showQueryButton: false,
      createShareableLink: null,
      prefixCcApi: undefined,
      resizeable: true,
      editorHeight: "22rem",
      requestConfig: { endpoint: terms.endpoint || "/sparql", method: "POST" },
      autocompleters: ["prefixes", "variables", "class", "property", "jp-entities"],
      screenReaderLabel: "SPARQL",
      tabindex: 0
    });
    box.classList.add("js");
    var scroller = holder.querySelector(".CodeMirror-scroll");  // keyboard users can scroll a long query too
    if (scroller) { scroller.tabIndex = 0; scroller.setAttribute("aria-label", "SPARQL"); }
    area.hidden = true;
    area.setAttribute("aria-hidden", "true");
    area.tabIndex = -1;
    // the project's prefixes are predeclared: one used without its PREFIX line (typed, pasted) gets it added
    var OPAQUE = /#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>/g;
    var USED = /(^|[^\w?$:.-])([A-Za-z][\w-]*)?:(?=[\w%])/g;
    function declareUsed() {
      var visible = yasqe.getValue().replace(OPAQUE, " ");
      var declared = yasqe.getPrefixesFromQuery(), add = {}, m, any = false;
      USED.lastIndex = 0;
      while ((m = USED.exec(visible)) !== null) {
        var name = m[2] || "";
        if (terms.prefixes[name] !== undefined && declared[name] === undefined && add[name] === undefined) {
          add[name] = terms.prefixes[name];
          any = true;
        }
      }
      if (any) { yasqe.addPrefixes(add); }
    }
    var pending = null;
    yasqe.on("change", function () {
      area.value = yasqe.getValue();
      clearTimeout(pending);
      pending = setTimeout(declareUsed, 300);
    });
    var form = area.form;
    function run() { area.value = yasqe.getValue(); form.submit(); }
    yasqe.query = function () { run(); return Promise.resolve(); };  // run on the server: labelled, linked results
    yasqe.addKeyMap({
      "Ctrl-Enter": run, "Cmd-Enter": run,
      "Shift-Ctrl-F": function () { yasqe.autoformat(); },
      // Tab indents inside the editor; Esc lets the keyboard leave it (the next Tab goes to the Run button)
      "Esc": function () { yasqe.getInputField().blur(); var b = form.querySelector("button[type=submit]"); if (b) { b.focus(); } }
    });
    var actions = form.querySelector(".actions");
    if (actions) {
      var fmt = document.createElement("button");
      fmt.type = "button";
      fmt.className = "secondary";
      fmt.id = "format-query";
      fmt.textContent = text("format");
      fmt.addEventListener("click", function () { yasqe.autoformat(); area.value = yasqe.getValue(); });
      actions.insertBefore(fmt, actions.children[1] || null);
    }
    window.kgYasqe = yasqe;  // for the browser tests and the curious
  }

  // ---- the results table ---------------------------------------------------------------------------------------

  var PAGE = 100;

  function cellKey(td) {
    var t = (td.textContent || "").trim();
    var n = Number(t.replace(/[,\s]/g, ""));
    return { num: t !== "" && !isNaN(n) ? n : null, text: t.toLowerCase() };
  }

  function enhanceTable(table) {
    var tbody = table.tBodies[0];
    if (!tbody) { return; }
    var rows = Array.prototype.slice.call(tbody.rows);
    var state = { sort: -1, desc: false, filter: "", page: 0 };
    var wrap = table.closest(".table-wrap") || table;
    var bar = document.createElement("div");
    bar.className = "results-bar";
    var label = document.createElement("label");
    label.textContent = text("filter") + " ";
    var input = document.createElement("input");
    input.type = "search";
    input.className = "results-filter";
    label.appendChild(input);
    var status = document.createElement("span");
    status.className = "muted small";
    status.setAttribute("aria-live", "polite");
    bar.appendChild(label);
    bar.appendChild(status);
    wrap.parentNode.insertBefore(bar, wrap);
    var pager = document.createElement("nav");
    pager.className = "pager";
    pager.setAttribute("aria-label", text("page"));
    wrap.parentNode.insertBefore(pager, wrap.nextSibling);

    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort-button";
      b.textContent = th.textContent;
      b.title = text("sort") + " " + th.textContent;
      th.textContent = "";
      th.appendChild(b);
      b.addEventListener("click", function () {
        state.desc = state.sort === i ? !state.desc : false;
        state.sort = i;
        state.page = 0;
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
        draw();
      });
    });
    input.addEventListener("input", function () { state.filter = input.value.trim().toLowerCase(); state.page = 0; draw(); });

    function draw() {
      var list = rows.filter(function (r) { return !state.filter || r.textContent.toLowerCase().indexOf(state.filter) >= 0; });
      if (state.sort >= 0) {
        list = list.map(function (r, i) { return { r: r, k: cellKey(r.cells[state.sort]), i: i }; });
        list.sort(function (a, b) {
          var d = 0;
          if (a.k.num !== null && b.k.num !== null) { d = a.k.num - b.k.num; }
          else if (a.k.num !== null) { d = -1; } else if (b.k.num !== null) { d = 1; }
          else { d = a.k.text.localeCompare(b.k.text, document.documentElement.lang); }
          return (state.desc ? -d : d) || a.i - b.i;
        });
        list = list.map(function (x) { return x.r; });
      }
      var pages = Math.max(1, Math.ceil(list.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      var from = state.page * PAGE;
      rows.forEach(function (r) { r.hidden = true; });
      list.forEach(function (r, i) { tbody.appendChild(r); r.hidden = i < from || i >= from + PAGE; });
      status.textContent = text("shown", { n: list.length, total: rows.length });
      pager.textContent = "";
      if (pages > 1) {
        [["prev", state.page - 1], [null, null], ["next", state.page + 1]].forEach(function (p) {
          if (p[0] === null) {
            var s = document.createElement("span");
            s.textContent = text("page") + " " + (state.page + 1) + " / " + pages;
            pager.appendChild(s);
            return;
          }
          var b = document.createElement("button");
          b.type = "button";
          b.className = "secondary page-" + p[0];
          b.textContent = text(p[0]);
          b.disabled = p[1] < 0 || p[1] >= pages;
          b.addEventListener("click", function () { state.page = p[1]; draw(); });
          pager.appendChild(b);
        });
      }
    }
    draw();
  }

  // ---- share: a link to the editor's current text (and the chart shown), copied ---------------------------------

  function shareUrl() {
    var area = document.getElementById("query-text");
    var text = window.kgYasqe ? window.kgYasqe.getValue() : (area ? area.value : "");
    var here = new URLSearchParams(window.location.search), out = new URLSearchParams();
    out.set("query", text);
    ["chart", "x", "y", "by"].forEach(function (k) { if (here.get(k)) { out.set(k, here.get(k)); } });
    return window.location.origin + "/query?" + out.toString();
  }

  function copyByHand(input) {  // no clipboard API (an insecure origin, an old phone): select it for the reader
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function startShare() {
    var button = document.getElementById("share-button"), box = document.getElementById("share-box");
    if (!button || !box) { return; }
    var input = document.getElementById("share-url"), status = document.getElementById("share-status");
    var old = document.getElementById("share-link");
    if (old) { old.hidden = true; }  // it links the last run query; the button links what the editor holds now
    button.hidden = false;
    button.addEventListener("click", function () {
      input.value = shareUrl();
      box.hidden = false;
      function done(ok) { status.textContent = text(ok ? "copied" : "copyByHand"); }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(copyByHand(input)); });
      } else {
        done(copyByHand(input));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startShare();
    var tables = document.querySelectorAll("table[data-results]");
    for (var i = 0; i < tables.length; i++) { enhanceTable(tables[i]); }
    var box = document.querySelector("[data-editor]");
    if (!box) { return; }
    fetch(box.dataset.terms, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .catch(function () { return { prefixes: {}, classes: [], properties: [], entities: [], endpoint: "/sparql" }; })
      .then(function (terms) { startEditor(box, terms); });
  });
})();
