// "Copy" buttons of the Cite this box: copy the permalink or the citation to the clipboard. Without this script the
// buttons stay hidden and the permalink field and the citation text can be selected and copied by hand.
(function () {
  "use strict";
  function copy(button) {
    var target = document.querySelector(button.dataset.copy);
    if (!target) { return; }
    var text = target.value !== undefined ? target.value : target.textContent.trim();
    var done = function () {
      var old = button.textContent;
      button.textContent = "✓";
      button.setAttribute("aria-live", "polite");
      setTimeout(function () { button.textContent = old; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { select(target); });
    } else {
      select(target);
    }
  }
  function select(target) {
    if (target.select) { target.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(target);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button.copy[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (e) { copy(e.currentTarget); });
    }
  });
})();
