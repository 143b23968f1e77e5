// Schedule pages only (loaded with defer from schedule/_layout.html; no inline code: the CSP forbids it).
//
// 1. Time zones. The server renders every programme time in the edition's zone inside
//    <time datetime="UTC ISO" data-schedule-time="time|date|datetime">. The button of the
//    [data-tz-note] line rewrites them into the viewer's own zone with Intl.DateTimeFormat, and back;
//    the choice is remembered in localStorage ("schedule-tz": "viewer" or absent).
// 2. Poster filter. An <input data-filter-list="ID"> hides the items of list #ID whose text does not
//    contain every typed word (accents and case ignored). Without the script the same form
//    submits ?q= and the server filters.
(function () {
  "use strict";

  var STORAGE_KEY = "schedule-tz";

  function remembered() {
    try { return window.localStorage.getItem(STORAGE_KEY) === "viewer"; } catch (e) { return false; }
  }

  function remember(viewer) {
    try {
      if (viewer) { window.localStorage.setItem(STORAGE_KEY, "viewer"); }
      else { window.localStorage.removeItem(STORAGE_KEY); }
    } catch (e) { /* storage disabled: the choice lasts for this page only */ }
  }

  // The viewer asked for their own zone: their browser's locale formats it.
  var lang;
  var viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var formats = {
    time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    date: { weekday: "short", day: "numeric", month: "short" },
    datetime: { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
  };

  function dayKey(when, zone) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(when);
  }

  function zoneName(when, zone) {
    var parts = new Intl.DateTimeFormat(lang, { timeZone: zone, timeZoneName: "short" }).formatToParts(when);
    for (var i = 0; i < parts.length; i++) { if (parts[i].type === "timeZoneName") { return parts[i].value; } }
    return zone;
  }

  function showViewerZone(editionZone) {
    document.querySelectorAll("time[data-schedule-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) { return; }
      if (!el.hasAttribute("data-edition-text")) { el.setAttribute("data-edition-text", el.textContent); }
      var kind = el.getAttribute("data-schedule-time");
      var options = Object.assign({ timeZone: viewerZone }, formats[kind] || formats.time);
      var text = new Intl.DateTimeFormat(lang, options).format(when);
      // A bare time that falls on another calendar day for the viewer names that day.
      if (kind === "time" && editionZone && dayKey(when, viewerZone) !== dayKey(when, editionZone)) {
        text += " (" + new Intl.DateTimeFormat(lang, { timeZone: viewerZone, weekday: "short" }).format(when) + ")";
      }
      if (/\s[A-Z]{2,5}$|\s[+-]\d+$/.test(el.getAttribute("data-edition-text"))) { text += " " + zoneName(when, viewerZone); }
      el.textContent = text;
      el.title = el.getAttribute("data-edition-text");
    });
  }

  function showEditionZone() {
    document.querySelectorAll("time[data-edition-text]").forEach(function (el) {
      el.textContent = el.getAttribute("data-edition-text");
      el.removeAttribute("title");
    });
  }

  function setUp(notes) {
    if (!notes.length || typeof Intl === "undefined") { return; }
    var editionZone = notes[0].getAttribute("data-edition-zone");
    var viewer = false;

    function apply() {
      if (viewer) { showViewerZone(editionZone); } else { showEditionZone(); }
      notes.forEach(function (note) {
        var label = note.querySelector("[data-tz-label]");
        var button = note.querySelector("[data-tz-switch]");
        if (label) {
          label.textContent = viewer
            ? note.getAttribute("data-viewer-text").replace("%(zone)s", viewerZone)
            : note.getAttribute("data-edition-text");
        }
        if (button) {
          button.textContent = viewer ? note.getAttribute("data-back-label") : note.getAttribute("data-switch-label");
          button.setAttribute("aria-pressed", viewer ? "true" : "false");
        }
      });
    }

    notes.forEach(function (note) {
      var label = note.querySelector("[data-tz-label]");
      note.setAttribute("data-edition-text", label ? label.textContent : "");
      var button = note.querySelector("[data-tz-switch]");
      if (!button) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        viewer = !viewer;
        remember(viewer);
        apply();
      });
    });
    if (remembered() && viewerZone !== editionZone) {
      viewer = true;
      apply();
    }
  }

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").normalize("NFC").toLowerCase();
  }

  function setUpFilter(input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    var status = document.getElementById(input.getAttribute("data-filter-status") || "");
    if (!list) { return; }
    var items = Array.prototype.slice.call(list.children);
    var texts = null;
    var pending = null;

    function run() {
      pending = null;
      if (texts === null) { texts = items.map(function (li) { return fold(li.textContent); }); }
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (li, i) {
        var match = words.every(function (w) { return texts[i].indexOf(w) !== -1; });
        li.hidden = !match;
        if (match) { shown += 1; }
      });
      if (status) {
        var total = status.getAttribute("data-total");
        status.textContent = words.length
          ? status.getAttribute("data-template-some").replace("%(shown)s", shown).replace("%(total)s", total)
          : status.getAttribute("data-template-all");
      }
    }

    input.addEventListener("input", function () {
      if (pending) { window.clearTimeout(pending); }
      pending = window.setTimeout(run, 120);
    });
  }

  setUp(Array.prototype.slice.call(document.querySelectorAll("[data-tz-note]")));
  document.querySelectorAll("input[data-filter-list]").forEach(setUpFilter);
})();
