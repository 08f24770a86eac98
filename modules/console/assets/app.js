// SkillCert console script. Every page works without it; it only enhances: confirm prompts for what
// can't be undone (forms with data-confirm), and focus on the first invalid field.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var bad = document.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea");
    if (bad) {
      bad.focus();
    }
  });
})();
