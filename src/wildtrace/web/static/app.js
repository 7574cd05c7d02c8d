// WildTrace workbench keyboard shortcuts. No inline script anywhere (the CSP forbids it).
//   queue:   j/k move, Enter or o open, x select, 1-4 label the selected row and move on
//   listing: 1-4 label and open the next, j/k next/previous
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.queue tr.row")); }
  function current() { return document.querySelector("table.queue tr.row.selected"); }
  function select(row) {
    var old = current();
    if (old) { old.classList.remove("selected"); }
    if (row) { row.classList.add("selected"); row.scrollIntoView({ block: "nearest" }); }
  }
  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var i = all.indexOf(current());
    var j = i < 0 ? 0 : Math.min(all.length - 1, Math.max(0, i + step));
    select(all[j]);
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var k = e.key;
    if (document.querySelector("table.queue")) {
      var row = current();
      if (k === "j") { move(1); e.preventDefault(); }
      else if (k === "k") { move(-1); e.preventDefault(); }
      else if ((k === "Enter" || k === "o") && row) { window.location.href = row.getAttribute("data-href"); }
      else if (k === "x" && row) { var box = row.querySelector("input[type=checkbox]"); if (box) { box.checked = !box.checked; } }
      else if (/^[1-9]$/.test(k) && row) {
        var button = row.querySelector('button[data-key="' + k + '"]');
        if (button) { button.click(); move(1); e.preventDefault(); }
      }
      return;
    }
    if (document.querySelector("article.listing")) {
      if (k === "j") { var n = document.getElementById("next"); if (n) { n.click(); } }
      else if (k === "k") { var p = document.getElementById("prev"); if (p) { p.click(); } }
      else if (/^[1-9]$/.test(k)) {
        var b = document.querySelector('.label-form button[data-key="' + k + '"]');
        if (b) { b.click(); e.preventDefault(); }
      }
    }
  });
  document.addEventListener("DOMContentLoaded", function () { if (rows().length) { select(rows()[0]); } });
})();

// ---- triage queue: the "?" shortcut overlay (web/queue_pages.py, templates/_shortcuts.html) ----
//   ? (or the Shortcuts button) opens and closes it; Esc, the Close button or a click outside closes it.
//   While it is open, other keys do nothing (the handler above waits until it closes).
(function () {
  "use strict";
  var opener = null;
  function overlay() { return document.getElementById("shortcuts"); }
  function isOpen() { var o = overlay(); return !!o && !o.hidden; }
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function open() {
    var o = overlay();
    if (!o) { return; }
    opener = document.activeElement;
    o.hidden = false;
    var close = o.querySelector(".shortcuts-close");
    if (close) { close.focus(); }
  }
  function close() {
    var o = overlay();
    if (!o || o.hidden) { return; }
    o.hidden = true;
    if (opener && opener.focus) { opener.focus(); }
    opener = null;
  }
  // capture phase: runs before app.js's handler on document, and can stop it while open
  window.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (isOpen()) {
      if (e.key === "Escape" || e.key === "?") { close(); e.preventDefault(); }
      e.stopPropagation();
      return;
    }
    if (e.key === "?" && !typing(e)) { open(); e.preventDefault(); e.stopPropagation(); }
  }, true);
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) { return; }
    if (t.closest(".shortcuts-open")) { open(); return; }
    if (t.closest(".shortcuts-close") || t === overlay()) { close(); }
  });
})();
