// Amparo's only script besides htmx. Everything works without it; it makes forms quicker.

// Send the CSRF token with every htmx request.
document.addEventListener("htmx:configRequest", function (e) {
  var m = document.querySelector('meta[name="csrf-token"]');
  if (m) { e.detail.headers["X-CSRF-Token"] = m.getAttribute("content"); }
});

// A choice that narrows another (`data-filters="#other"`): only the other's option group
// for the chosen value stays (assistance type -> its details). Without this script every
// group is shown, labelled by type, and the server refuses a detail of another type.
function amparoFilter(sel) {
  var target = document.querySelector(sel.getAttribute("data-filters"));
  if (!target) { return; }
  var groups = target.querySelectorAll("optgroup[data-kind]");
  var firstShown = null;
  groups.forEach(function (g) {
    var on = g.getAttribute("data-kind") === sel.value;
    g.hidden = !on; g.disabled = !on;
    if (on && !firstShown) { firstShown = g.querySelector("option"); }
  });
  var cur = target.selectedOptions[0];
  if ((!cur || cur.parentElement.disabled) && firstShown) { firstShown.selected = true; }
}
document.addEventListener("change", function (e) {
  if (e.target.matches && e.target.matches("select[data-filters]")) { amparoFilter(e.target); }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-filters]").forEach(amparoFilter);
});
