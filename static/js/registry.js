// The registry import page: polls the import's JSON status and moves the
// progress bar until the import has finished (no inline script: CSP).
(function () {
  var section = document.querySelector("[data-registry-import]");
  if (!section || section.getAttribute("data-finished") === "true") {
    return;
  }
  var url = section.getAttribute("data-status-url");
  var bar = section.querySelector("[data-registry-bar]");
  var progressbar = section.querySelector("[data-registry-progressbar]");
  var POLL_MS = 1500;

  function show(status) {
    var percent = Math.max(0, Math.min(100, status.percent || 0));
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    progressbar.setAttribute("aria-valuenow", String(percent));
    ["state_label", "processed", "total", "created", "updated", "deleted", "rejected", "error"].forEach(function (name) {
      var field = section.querySelector('[data-registry-field="' + name + '"]');
      if (field && status[name] !== undefined) {
        field.textContent = String(status[name]);
        if (name === "error") {
          field.classList.toggle("d-none", !status.error);
        }
      }
    });
    if (status.finished) {
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      if (status.state === "failed") {
        bar.classList.add("bg-danger");
      }
      var reload = section.querySelector("[data-registry-reload]");
      if (reload) {
        reload.classList.remove("d-none");
      }
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (!status.finished) {
          window.setTimeout(poll, POLL_MS);
        }
      })
      .catch(function () {
        window.setTimeout(poll, POLL_MS * 4);
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
