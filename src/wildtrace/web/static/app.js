// WildTrace workbench keyboard shortcuts. No inline script anywhere (the CSP forbids it).
//   queue and search hits: j/k move, Enter or o open, x select the row, Shift+X select the page,
//            c add the selected listings to the chosen case; queue only: 1-4 label the row and move on;
//            search only: / goes to the search box
//   listing: 1-4 label and open the next, j/k next/previous
(function () {
  "use strict";
  var TABLES = "table.queue tr.row, table.hits tr.row";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(TABLES)); }
  function current() { return document.querySelector("table.queue tr.row.selected, table.hits tr.row.selected"); }
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
  // the bulk selection: a checkbox per row (form="bulk"), a select-all box, a count
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name=listing_id][form=bulk]')); }
  function counted() {
    var all = boxes();
    var n = all.filter(function (b) { return b.checked; }).length;
    var out = document.querySelector("#bulk .sel-count .n");
    if (out) { out.textContent = String(n); }
    var every = document.querySelector("input.select-all");
    if (every) { every.checked = all.length > 0 && n === all.length; every.indeterminate = n > 0 && n < all.length; }
  }
  function selectPage(on) { boxes().forEach(function (b) { b.checked = on; }); counted(); }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) { return; }
    if (t.matches("input.select-all")) { selectPage(t.checked); }
    else if (t.matches("input[type=checkbox][name=listing_id]")) { counted(); }
  });
  function addSelected() {
    var button = document.querySelector("#bulk button.add-selected");
    if (button && boxes().some(function (b) { return b.checked; })) { button.click(); }
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var k = e.key;
    var box = document.querySelector("form.search input[name=q]");
    if (k === "/" && box) { box.focus(); box.select(); e.preventDefault(); return; }
    if (document.querySelector("table.queue, table.hits")) {
      var row = current();
      if (k === "j") { move(1); e.preventDefault(); }
      else if (k === "k") { move(-1); e.preventDefault(); }
      else if ((k === "Enter" || k === "o") && row) { window.location.href = row.getAttribute("data-href"); }
      else if (k === "x" && row) {
        var mine = row.querySelector("input[type=checkbox][name=listing_id]");
        if (mine) { mine.checked = !mine.checked; counted(); e.preventDefault(); }
      }
      else if (k === "X") {
        var all = boxes();
        if (all.length) { selectPage(!all.every(function (b) { return b.checked; })); e.preventDefault(); }
      }
      else if (k === "c") { addSelected(); e.preventDefault(); }
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
  document.addEventListener("DOMContentLoaded", function () {
    // a page left with the back button keeps its checked boxes: count them
    counted();
    if (rows().length) { select(rows()[0]); }
  });
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
