// cs-agent inbox: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // While a call is analysed (or its email is sent), poll its progress and reload when done.
  var progress = document.querySelector("[data-progress-url]");
  if (progress && window.fetch) {
    var url = progress.getAttribute("data-progress-url");
    var label = progress.querySelector("[data-progress-label]");
    var steps = Array.prototype.slice.call(progress.querySelectorAll("[data-step]"));
    var poll = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          // Signed out meanwhile: reloading leads to the sign-in page and back here.
          if (response.redirected) { window.location.reload(); return null; }
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (state) {
          if (state === null) { return; }
          if (state.done) { window.location.reload(); return; }
          var reached = true;
          steps.forEach(function (step) {
            var current = step.getAttribute("data-step") === state.status;
            step.className = current ? "current" : (reached ? "done" : "todo");
            if (current) { step.setAttribute("aria-current", "step"); reached = false; } else { step.removeAttribute("aria-current"); }
          });
          if (label && steps.length) { label.textContent = "Now: " + state.label + ". This page updates by itself."; }
          window.setTimeout(poll, 800);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }

  // A quote link moves focus to its moment in the transcript, for keyboard and screen readers.
  var focusTarget = function () {
    if (!window.location.hash) { return; }
    var target = document.getElementById(window.location.hash.slice(1));
    if (target && target.closest(".transcript")) {
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "center" });
    }
  };
  window.addEventListener("hashchange", focusTarget);
  focusTarget();

  // Upload: a file dropped on the box goes into the file input; show what was chosen.
  var zone = document.querySelector("[data-drop-target]");
  if (zone) {
    var input = zone.querySelector("input[type=file]");
    var chosen = zone.querySelector("[data-file-name]");
    var show = function () {
      var file = input.files && input.files[0];
      chosen.textContent = file ? "Chosen: " + file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)" : "";
    };
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
  }

  // Say what a submitted form is doing, and keep an impatient second click from re-posting.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-busy]"), function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        window.setTimeout(function () { button.disabled = true; button.textContent = form.getAttribute("data-busy"); }, 0);
      }
    });
  });

  // After a failed submit, start at the list of what to fix.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
