// Confsite's site-wide script: loaded with defer, no inline code (the CSP forbids it).
// Elements marked data-local-time="ISO datetime" get a title showing the time in the viewer's zone.
(function () {
  "use strict";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("time[data-local-time]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) { return; }
    el.title = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) + " (" + zone + ")";
  });
})();
