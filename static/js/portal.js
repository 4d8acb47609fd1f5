// Move focus to a form's error summary so that screen readers announce it.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
