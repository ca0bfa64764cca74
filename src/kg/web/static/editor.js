// A small SPARQL editor: syntax colouring under a plain <textarea> (which stays the real input, so the form works
// without this script), Ctrl/Cmd+Enter to run, Tab to indent. No dependencies, nothing loaded from elsewhere.
(function () {
  "use strict";
  var KEYWORDS = ("BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED GRAPH OPTIONAL UNION MINUS FILTER BIND " +
    "VALUES AS DISTINCT REDUCED ORDER BY ASC DESC LIMIT OFFSET GROUP HAVING SERVICE NOT EXISTS IN UNDEF a " +
    "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE " +
    "RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE " +
    "STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 " +
    "COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE true false")
    .split(" ");
  var KW = {};
  KEYWORDS.forEach(function (k) { KW[k.toUpperCase()] = true; });
  KW.A = false; // "a" only as written in lower case
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                   // 1 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                     // 3 IRI
    "([?$][A-Za-z0-9_\\u00B7-\\uFFFF]+)",           // 4 variable
    "([A-Za-z][\\w.-]*:[\\w.:%-]*|:[\\w.:%-]+)",    // 5 prefixed name
    "(\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)",   // 6 number
    "([A-Za-z_]+)"                                  // 7 word
  ].join("|"), "g");

  function esc(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlight(text) {
    var out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      out += esc(text.slice(last, m.index));
      var cls = m[1] ? "comment" : m[2] ? "str" : m[3] ? "iri" : m[4] ? "var" : m[5] ? "pname" : m[6] ? "num" :
        (KW[m[7].toUpperCase()] || m[7] === "a") ? "kw" : "";
      out += cls ? '<span class="tok-' + cls + '">' + esc(m[0]) + "</span>" : esc(m[0]);
      last = TOKEN.lastIndex;
      if (m[0].length === 0) { TOKEN.lastIndex++; }
    }
    return out + esc(text.slice(last)) + "\n";
  }

  function init(box) {
    var area = box.querySelector("textarea");
    var code = box.querySelector(".highlight code");
    var pre = box.querySelector(".highlight");
    if (!area || !code) { return; }
    box.classList.add("js");
    function sync() { code.innerHTML = highlight(area.value); pre.scrollTop = area.scrollTop; pre.scrollLeft = area.scrollLeft; }
    function fit() { pre.style.height = area.offsetHeight + "px"; }
    area.addEventListener("input", sync);
    area.addEventListener("scroll", function () { pre.scrollTop = area.scrollTop; pre.scrollLeft = area.scrollLeft; });
    area.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        area.form.submit();
      } else if (e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        var s = area.selectionStart, t = area.selectionEnd;
        area.value = area.value.slice(0, s) + "  " + area.value.slice(t);
        area.selectionStart = area.selectionEnd = s + 2;
        sync();
      }
    });
    if (window.ResizeObserver) { new ResizeObserver(fit).observe(area); }
    fit();
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-editor]");
    for (var i = 0; i < boxes.length; i++) { init(boxes[i]); }
  });
})();
