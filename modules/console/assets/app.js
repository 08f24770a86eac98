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

// ---- 证书 certificates: a batch's issuance progress updates live (page_certificates.go). Without
// script the page refreshes itself (<noscript><meta refresh>) and offers a refresh link.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-progress-url]");
    if (!box || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var state = box.querySelector(".progress-state");
    var failed = -1;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (p) {
          ["total", "issued", "pending", "failed", "revoked"].forEach(function (k) {
            var el = box.querySelector('[data-count="' + k + '"]');
            if (el) { el.textContent = p[k]; }
          });
          var bad = box.querySelector("[data-bad-when-failed]");
          if (bad) { bad.classList.toggle("bad", p.failed > 0); }
          var zip = box.querySelector("[data-when-issued]");
          if (zip && p.issued > 0) { zip.hidden = false; }
          if (bar) { bar.max = p.total || 1; bar.value = p.issued; bar.textContent = Math.floor(100 * p.issued / (p.total || 1)) + "%"; }
          if (p.done) {
            if (state) { state.textContent = state.getAttribute("data-state-done"); }
            // Failures are listed by the page itself: show them once issuance stops.
            if (p.failed > 0) { window.location.reload(); }
            return;
          }
          if (failed >= 0 && p.failed !== failed) { window.location.reload(); return; }
          failed = p.failed;
          window.setTimeout(tick, 2000);
        })
        .catch(function () { window.setTimeout(tick, 10000); });
    }
    window.setTimeout(tick, 2000);
  });
})();
