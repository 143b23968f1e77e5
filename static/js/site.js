// Confsite's site-wide script: loaded with defer, no inline code (the CSP forbids it).
// <time datetime="ISO" data-local-time> elements are shown in the viewer's own time zone; the
// server's rendering (in the edition's zone, or AoE for deadlines) stays available as a tooltip.
(function () {
  "use strict";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("time[data-local-time]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) { return; }
    el.title = el.textContent.trim();
    el.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) + " (" + zone + ")";
  });
})();
