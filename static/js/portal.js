// The portal's behaviour, in one static file: the Content-Security-Policy allows
// no inline script or onclick="" attribute (portal/settings/base.py).
(function () {
  // Move focus to a form's error summary so that screen readers announce it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // Progress bars: the width comes from data-progress (a percentage); setting
  // it through the CSSOM is allowed where a style="" attribute is not.
  document.querySelectorAll("[data-progress]").forEach(function (bar) {
    var percent = parseInt(bar.getAttribute("data-progress"), 10);
    if (!isNaN(percent)) {
      bar.style.width = Math.max(0, Math.min(100, percent)) + "%";
    }
  });

  // "Print this page" buttons.
  var printButtons = document.querySelectorAll("[data-print]");
  printButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
  // A printable page prints with every explanation opened.
  if (printButtons.length) {
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details").forEach(function (details) {
        details.open = true;
      });
    });
  }
})();
