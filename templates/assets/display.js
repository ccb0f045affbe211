/* Display modes (大字 large text, 高对比度 high contrast): classes on <html>, remembered across
   pages in localStorage. Loaded synchronously in <head>, so a page is painted in the chosen mode
   from the start; the header's buttons are shown only when this script runs. Also: Escape hides
   an open glossary tooltip (WCAG 1.4.13), and a printed page shows its full address. */
(function () {
  "use strict";
  var KEY = "site-builder.display";
  var MODES = ["large", "contrast"];
  var root = document.documentElement;

  function read() {
    try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function apply(state) {
    MODES.forEach(function (mode) { root.classList.toggle("mode-" + mode, state[mode] === true); });
  }
  var state = read();
  apply(state);

  function sync(buttons) {
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(state[b.dataset.mode] === true)); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var group = document.querySelector(".display-modes");
    if (group) {
      var buttons = Array.prototype.slice.call(group.querySelectorAll("button[data-mode]"));
      buttons.forEach(function (button) {
        button.addEventListener("click", function () {
          state[button.dataset.mode] = !(state[button.dataset.mode] === true);
          try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* this page only */ }
          apply(state);
          sync(buttons);
        });
      });
      window.addEventListener("storage", function (event) {   // another tab changed the mode
        if (event.key === KEY) { state = read(); apply(state); sync(buttons); }
      });
      sync(buttons);
      group.hidden = false;
    }
    var address = document.querySelector(".print-meta [data-local]");
    if (address && /^https?:$/.test(location.protocol)) {
      address.textContent = location.origin + location.pathname;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { root.classList.add("tips-off"); }
  });
  function tipsOn(event) {
    if (root.classList.contains("tips-off") && event.target.closest && event.target.closest(".term")) {
      root.classList.remove("tips-off");
    }
  }
  document.addEventListener("focusin", tipsOn);
  document.addEventListener("pointerover", tipsOn);
})();
