// QazAI portal: small progressive enhancements. Every page works without this file.
"use strict";

function qazaiCopyButtons() {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) { return; }
      var value = source.value !== undefined && source.tagName === "INPUT" ? source.value : source.textContent;
      if (navigator.clipboard) {
        navigator.clipboard.writeText(value).then(function () {
          button.textContent = button.getAttribute("data-copied") || button.textContent;
        });
      }
    });
  });
}

// Upload with progress: the same multipart form the no-JS fallback posts, sent by XHR so that
// the progress bar moves; the server answers JSON {next: url} when asked for JSON, or an error
// whose "text" is in the visitor's language. Every line shown comes from the form's data-*
// attributes, which the template fills in the visitor's language.
function qazaiUploadForms() {
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-upload-status]");
    var button = form.querySelector("button[type=submit]");
    function say(text) { if (status) { status.textContent = text || ""; } }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      if (button) { button.disabled = true; }
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round(100 * e.loaded / e.total);
        if (bar) { bar.hidden = false; bar.max = 100; bar.value = percent; }
        say((form.getAttribute("data-progress") || "{percent}%").replace("{percent}", String(percent)));
      });
      xhr.upload.addEventListener("load", function () { say(form.getAttribute("data-processing")); });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (xhr.status < 300 && body && body.next) { window.location.assign(body.next); return; }
        if (button) { button.disabled = false; }
        say((body && body.error && body.error.text) || form.getAttribute("data-failed"));
      });
      xhr.addEventListener("error", function () {
        if (button) { button.disabled = false; }
        say(form.getAttribute("data-failed"));
      });
      xhr.send(new FormData(form));
    });
  });
}

// Live job progress: polls the portal's /publish/jobs/{id}/progress, which answers with the state
// and the progress message already in the visitor's language; without JavaScript the page
// refreshes itself instead.
function qazaiJobProgress() {
  var box = document.querySelector("[data-job]");
  if (!box || box.hasAttribute("data-final")) { return; }
  var url = box.getAttribute("data-job");
  var bar = box.querySelector("progress");
  var message = box.querySelector("[data-job-message]");
  var state = box.querySelector("[data-job-state]");
  var refresh = document.querySelector("meta[http-equiv=refresh]");
  if (refresh) { refresh.remove(); }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (bar && typeof job.progress_percent === "number") { bar.value = job.progress_percent; }
        if (message && job.progress_message) { message.textContent = job.progress_message; }
        if (state && job.state_label) { state.textContent = job.state_label; }
        if (job.final) {
          window.location.assign(box.getAttribute("data-done") || window.location.href);
          return;
        }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
}

document.addEventListener("DOMContentLoaded", function () {
  qazaiCopyButtons();
  qazaiUploadForms();
  qazaiJobProgress();
});

// ==== data viewer (h2-viewer) ====
// The table picker opens the chosen table at once; without script its button does the same.
function qazaiTablePickers() {
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
}
document.addEventListener("DOMContentLoaded", qazaiTablePickers);
