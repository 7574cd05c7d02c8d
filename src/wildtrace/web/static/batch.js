// The batch search's table (templates/search.html): each term's row loads itself with htmx
// (GET /search/batch/row). The server answers a failed search with a row that says so; this marks
// a row whose request failed otherwise (an HTTP error, no answer), so it does not stay
// "Searching…". Text only (textContent): nothing from the answer is put in the page.
(function () {
  "use strict";
  function failed(e) {
    var row = e.target;
    if (!(row instanceof Element) || !row.matches("tr.batch-row[data-state=pending]")) { return; }
    var xhr = e.detail && e.detail.xhr;
    var why = xhr && xhr.status ? "the server answered " + xhr.status : "no answer from the server";
    var cells = row.querySelectorAll("td");
    row.setAttribute("data-state", "failed");
    row.classList.add("failed");
    if (cells.length === 3) {
      cells[1].textContent = "–";
      cells[1].classList.remove("muted");
      cells[2].textContent = "Not searched: " + why + ". The term's link opens its own search.";
      cells[2].className = "small error batch-error";
    }
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
