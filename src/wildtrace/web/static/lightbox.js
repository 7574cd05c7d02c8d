/* The listing page's image viewer (templates/_image_gallery.html). Without this script each
   thumbnail is a plain link to the full image. With it, a thumbnail opens the full image in a
   modal <dialog>: Esc closes it (the dialog's own cancel), the arrow keys and the buttons move to
   the previous or next image, and focus returns to the thumbnail that opened it. No inline script:
   the pages allow scripts from /static only. */
(function () {
  "use strict";
  function init() {
    var dialog = document.getElementById("lightbox");
    if (!dialog || typeof dialog.showModal !== "function") return; // no <dialog>: plain links
    var links = Array.prototype.slice.call(document.querySelectorAll("a.lightbox-open"));
    var img = dialog.querySelector(".lightbox-image");
    var caption = dialog.querySelector(".lightbox-caption");
    var current = -1;
    var opener = null;

    function show(i) {
      if (!links.length) return;
      current = (i + links.length) % links.length;
      var link = links[current];
      img.src = link.getAttribute("href");
      img.alt = link.getAttribute("data-caption") || "";
      caption.textContent = (link.getAttribute("data-caption") || "") + " (" + (current + 1) + " of " + links.length + ")";
    }
    function open(i, from) {
      opener = from;
      show(i);
      if (!dialog.open) dialog.showModal();
      dialog.querySelector(".lightbox-close").focus();
    }
    links.forEach(function (link, i) {
      link.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return; // a new tab: the plain link
        ev.preventDefault();
        open(i, link);
      });
    });
    dialog.querySelector(".lightbox-prev").addEventListener("click", function () { show(current - 1); });
    dialog.querySelector(".lightbox-next").addEventListener("click", function () { show(current + 1); });
    dialog.querySelector(".lightbox-close").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowLeft") { ev.preventDefault(); show(current - 1); }
      else if (ev.key === "ArrowRight") { ev.preventDefault(); show(current + 1); }
    });
    dialog.addEventListener("click", function (ev) { if (ev.target === dialog) dialog.close(); });
    dialog.addEventListener("close", function () {
      img.removeAttribute("src");
      if (opener) opener.focus();
      opener = null;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
