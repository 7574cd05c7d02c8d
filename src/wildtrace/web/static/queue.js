// The triage queue's "?" overlay: the keyboard shortcuts. No inline script (the CSP forbids it).
//   ? (or the Shortcuts button) opens and closes it; Esc, the Close button or a click outside closes it.
//   While it is open, other keys do nothing (app.js's j/k/x/1-4 wait until it closes).
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
