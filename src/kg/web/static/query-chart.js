// Charts of a query's SELECT result (bar, line, scatter, and a pivot of two variables), drawn with Vega-Lite through
// vega-embed (vendored in /static/vendor/vega, loaded from this server on the first chart, never from elsewhere).
// The server hands the result over in #chart-data: numbers as numbers, IRIs by their label in the page's language,
// and the units the result states. The chart's choice lives in the URL (&chart=bar&x=..&y=..&by=..), so a shared
// link draws the same chart. One unit per axis: a numeric variable beside a unit column with several values gets a
// warning instead of a chart.
(function () {
  "use strict";

  var TYPES = ["bar", "line", "scatter", "pivot"];
  var vegaLoading = null;

  function say(key, values) {
    var el = document.getElementById("chart-ui-text");
    var out = (el && el.dataset[key]) || key;
    Object.keys(values || {}).forEach(function (k) { out = out.split("{" + k + "}").join(values[k]); });
    return out;
  }

  function loadVega(panel) {
    if (vegaLoading) { return vegaLoading; }
    var files = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"];
    vegaLoading = files.reduce(function (done, file) {
      return done.then(function () {
        return new Promise(function (resolve, reject) {
          var s = document.createElement("script");
          s.src = panel.dataset.vendor + file + "?v=" + panel.dataset.version;
          s.onload = resolve;
          s.onerror = reject;
          document.head.appendChild(s);
        });
      });
    }, Promise.resolve());
    return vegaLoading;
  }

  function names(data, numeric) {
    return data.fields.filter(function (f) { return numeric === undefined || f.numeric === numeric; })
      .map(function (f) { return f.name; });
  }

  // the choice asked for (URL), made whole: variables the result has, sensible defaults for the rest
  function settle(data, want) {
    var all = names(data), nums = names(data, true), cats = names(data, false), notes = [];
    function pick(v, among, fallback) {
      if (v && among.indexOf(v) >= 0) { return v; }
      if (v) { notes.push(say("missing", { v: v })); }
      return fallback;
    }
    var chart = TYPES.indexOf(want.chart) >= 0 ? want.chart : "bar";
    var y = pick(want.y, nums, nums[chart === "scatter" && nums.length > 1 ? 1 : 0]);
    var xDefault = chart === "scatter" ? nums.filter(function (n) { return n !== y; })[0] : (cats[0] || all[0]);
    var x = pick(want.x, all, xDefault);
    var rest = cats.filter(function (c) { return c !== x && data.units[c] === undefined; });
    var by = pick(want.by, all, chart === "pivot" ? rest[0] || "" : "");
    return { chart: chart, x: x, y: y, by: by, notes: notes };
  }

  function unitOf(data, y) {
    var key = data.units[y + "Unit"] !== undefined ? y + "Unit" : (data.units.unit !== undefined ? "unit" : null);
    return key;
  }

  function title(data, v) {
    var key = unitOf(data, v);
    var units = key ? data.units[key] : [];
    return "?" + v + (units.length === 1 ? " (" + units[0] + ")" : "");
  }

  function numeric(data, v) { return names(data, true).indexOf(v) >= 0; }

  function spec(data, c) {
    var xType = c.chart === "scatter" ? "quantitative" : (numeric(data, c.x) ? "ordinal" : "nominal");
    var enc = {
      x: { field: c.x, type: xType, title: title(data, c.x), sort: null },
      y: { field: c.y, type: "quantitative", title: title(data, c.y) },
      tooltip: names(data).map(function (f) { return { field: f, type: numeric(data, f) ? "quantitative" : "nominal" }; })
    };
    var mark = { bar: "bar", line: { type: "line", point: true }, scatter: "point" }[c.chart];
    if (c.chart === "pivot") {
      return {
        mark: "rect",
        encoding: {
          x: enc.x,
          y: { field: c.by, type: "nominal", title: "?" + c.by, sort: null },
          color: { field: c.y, type: "quantitative", title: title(data, c.y) },
          tooltip: enc.tooltip
        }
      };
    }
    if (c.by) {
      enc.color = { field: c.by, type: "nominal", title: "?" + c.by };
      if (c.chart === "bar") { enc.xOffset = { field: c.by }; }
    }
    if (c.chart === "bar") { mark = { type: "bar", tooltip: true }; enc.y.stack = null; }
    return { mark: mark, encoding: enc };
  }

  function overlapping(data, c) {
    var seen = {};
    return data.rows.some(function (r) {
      var k = JSON.stringify([r[c.x], c.by ? r[c.by] : null]);
      if (seen[k]) { return true; }
      seen[k] = true;
      return false;
    });
  }

  function problem(data, c) {
    var key = unitOf(data, c.y);
    if (key && data.mixed.indexOf(key) >= 0 && c.by !== key) {
      return say("mixed", { y: c.y, units: data.units[key].join(", ") });
    }
    if (c.chart === "pivot" && !c.by) { return say("pivot"); }
    if (c.chart === "scatter" && !numeric(data, c.x)) { return say("scatter"); }
    return "";
  }

  function fillSelect(select, options, value) {
    var keep = select.querySelector("option[value='']");
    select.textContent = "";
    if (keep) { select.appendChild(keep); }
    options.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = "?" + v;
      select.appendChild(o);
    });
    select.value = value || "";
  }

  function writeUrl(c) {
    var url = new URL(window.location.href);
    ["chart", "x", "y", "by"].forEach(function (k) { url.searchParams.delete(k); });
    if (c) {
      ["chart", "x", "y", "by"].forEach(function (k) { if (c[k]) { url.searchParams.set(k, c[k]); } });
    }
    window.history.replaceState(null, "", url.toString());
    document.dispatchEvent(new CustomEvent("kg:chart", { detail: c }));
  }

  function Chart(panel, data) {
    this.panel = panel;
    this.data = data;
    this.box = document.getElementById("chart-box");
    this.view = document.getElementById("chart-view");
    this.warning = document.getElementById("chart-warning");
    this.note = document.getElementById("chart-note");
    this.button = document.getElementById("chart-open");
    this.controls = ["type", "x", "y", "by"].reduce(function (m, k) { m[k] = document.getElementById("chart-" + k); return m; }, {});
  }

  Chart.prototype.open = function (want) {
    var c = settle(this.data, want);
    this.box.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.controls.type.value = c.chart;
    fillSelect(this.controls.x, names(this.data), c.x);
    fillSelect(this.controls.y, names(this.data, true), c.y);
    fillSelect(this.controls.by, names(this.data, false).filter(function (v) { return v !== c.x; }), c.by);
    this.draw(c);
  };

  Chart.prototype.close = function () {
    this.box.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    writeUrl(null);
  };

  Chart.prototype.chosen = function () {
    var k = this.controls;
    return settle(this.data, { chart: k.type.value, x: k.x.value, y: k.y.value, by: k.by.value });
  };

  Chart.prototype.draw = function (c) {
    var self = this;
    writeUrl(c);
    var trouble = problem(this.data, c);
    this.warning.hidden = !trouble;
    this.warning.textContent = trouble;
    var notes = c.notes.slice();
    if (!trouble && c.chart !== "scatter" && c.chart !== "pivot" && !c.by && overlapping(this.data, c)) {
      notes.push(say("overlap", { x: "?" + c.x }));
    }
    this.note.hidden = !notes.length;
    this.note.textContent = notes.join(" ");
    this.view.textContent = "";
    this.view.dataset.chart = trouble ? "" : c.chart;
    if (trouble) { return; }
    var described = say("described", { y: c.y, x: c.x });
    this.view.setAttribute("aria-label", described);
    var full = Object.assign({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      description: described,
      data: { values: this.data.rows },
      width: "container",
      autosize: { type: "fit-x", contains: "padding" }
    }, spec(this.data, c));
    loadVega(this.panel).then(function () {
      // ast: expressions are interpreted, not compiled with new Function (safe under a strict Content-Security-Policy)
      return window.vegaEmbed(self.view, full, { actions: false, renderer: "svg", ast: true });
    }).then(function () { self.view.dataset.drawn = c.chart + ":" + c.x + ":" + c.y + ":" + (c.by || ""); });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("chart-panel");
    var source = document.getElementById("chart-data");
    if (!panel || !source) { return; }
    var chart = new Chart(panel, JSON.parse(source.textContent));
    chart.button.hidden = false;
    chart.button.addEventListener("click", function () {
      if (chart.box.hidden) { chart.open({}); } else { chart.close(); }
    });
    Object.keys(chart.controls).forEach(function (k) {
      chart.controls[k].addEventListener("change", function () {
        var c = chart.chosen();
        if (k === "type") { c = settle(chart.data, { chart: c.chart }); chart.open(c); return; }
        chart.draw(c);
      });
    });
    var asked = new URLSearchParams(window.location.search);
    if (asked.get("chart")) {
      chart.open({ chart: asked.get("chart"), x: asked.get("x"), y: asked.get("y"), by: asked.get("by") });
    }
  });
})();
