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
// the progress bar moves; the server answers JSON {next: url} when asked for JSON.
function qazaiUploadForms() {
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-upload-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && bar) { bar.hidden = false; bar.max = e.total; bar.value = e.loaded; }
        if (status && e.lengthComputable) { status.textContent = Math.round(100 * e.loaded / e.total) + "%"; }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (xhr.status < 300 && body && body.next) { window.location.assign(body.next); return; }
        if (status) {
          status.textContent = (body && body.error && body.error.message) || form.getAttribute("data-failed") || "Error";
        }
      });
      xhr.addEventListener("error", function () {
        if (status) { status.textContent = form.getAttribute("data-failed") || "Error"; }
      });
      xhr.send(new FormData(form));
    });
  });
}

// Live job progress: polls /api/v1/jobs/{id} (the same endpoint API clients use); without
// JavaScript the page refreshes itself instead.
function qazaiJobProgress() {
  var box = document.querySelector("[data-job]");
  if (!box || box.hasAttribute("data-final")) { return; }
  var jobId = box.getAttribute("data-job");
  var bar = box.querySelector("progress");
  var message = box.querySelector("[data-job-message]");
  var state = box.querySelector("[data-job-state]");
  var refresh = document.querySelector("meta[http-equiv=refresh]");
  if (refresh) { refresh.remove(); }
  function poll() {
    fetch("/api/v1/jobs/" + encodeURIComponent(jobId), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (bar && typeof job.progress_percent === "number") { bar.value = job.progress_percent; }
        if (message && job.progress_message) { message.textContent = job.progress_message; }
        if (state && job.state) { state.textContent = box.getAttribute("data-label-" + job.state) || job.state; }
        if (job.state === "succeeded" || job.state === "failed" || job.state === "dead") {
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
