// orch metadata pages: the filter box narrows the table's rows. Every term typed must occur in
// a row's data-filter text (case-insensitive). The filter is kept in the address (?q=) so that
// a filtered page can be shared or reloaded. "/" focuses the box, Escape clears it.
(function () {
  "use strict";
  var input = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#items tbody tr"));
  var total = rows.length;
  var one = shown.getAttribute("data-one");
  var many = shown.getAttribute("data-many");

  function apply() {
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var visible = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-filter") || "";
      var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
      row.hidden = !match;
      if (match) visible++;
    });
    var noun = (terms.length ? total : visible) === 1 ? one : many;
    shown.textContent = terms.length ? visible + " of " + total + " " + noun : total + " " + noun;
    noMatch.hidden = visible !== 0 || total === 0;
    if (window.history && window.history.replaceState) {
      var url = new URL(window.location.href);
      if (input.value) url.searchParams.set("q", input.value);
      else url.searchParams.delete("q");
      window.history.replaceState(null, "", url);
    }
  }

  input.value = new URL(window.location.href).searchParams.get("q") || "";
  input.addEventListener("input", apply);
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== input) {
      e.preventDefault();
      input.focus();
    } else if (e.key === "Escape" && document.activeElement === input) {
      input.value = "";
      apply();
    }
  });
  apply();
})();
