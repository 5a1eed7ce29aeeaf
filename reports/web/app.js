// ropa serve: sort an answer's rows by a column (click its heading again to reverse). No framework, no inline script.
"use strict";
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.querySelector("button").addEventListener("click", function () {
      var body = table.tBodies[0];
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      var collator = new Intl.Collator(document.documentElement.lang, { numeric: true, sensitivity: "base" });
      rows.sort(function (a, b) {
        var order = collator.compare(a.cells[column].textContent, b.cells[column].textContent);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
