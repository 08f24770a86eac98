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
// ---- 备案 filings: the scope picker's type-ahead. The search box of a form with data-picker asks the
// same page for its rows (?partial=1, with the chosen rows and ticked matches) and swaps them in, so
// ticks survive; without the script the search button does the same with a page load.
(function () {
  "use strict";
  var form = document.querySelector("form[data-picker]");
  var q = form && form.querySelector("input[name=q]");
  if (!q || !window.fetch || !window.URLSearchParams) { return; }
  var timer, seq = 0;
  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var params = new URLSearchParams(new FormData(form));
      params.set("partial", "1");
      var mine = ++seq;
      fetch(form.getAttribute("action") + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null || mine !== seq) { return; }
          var box = document.createElement("div");
          box.innerHTML = html;
          ["picker-chosen", "picker-results"].forEach(function (id) {
            var now = document.getElementById(id), next = box.querySelector("#" + id);
            if (now && next) { now.replaceWith(next); }
          });
        })
        .catch(function () {});
    }, 250);
  });
})();
