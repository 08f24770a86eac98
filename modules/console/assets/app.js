// SkillCert console script. Every page works without it; it only enhances: confirm prompts for what
// can't be undone (forms with data-confirm), and focus on the first invalid field.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    // A button may carry its own prompt (a table's row buttons submitting a shared form with form=).
    var by = ev.submitter;
    var msg = (by && by.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
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
// Candidates (考生): a multipart form marked data-upload is sent with XMLHttpRequest so that its
// <progress> shows the upload; the answer replaces the page's main content (or, after a redirect,
// the browser goes there). Without the script the form posts as usual.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (ev.defaultPrevented || !form.hasAttribute("data-upload") || !window.FormData || !window.DOMParser) {
      return;
    }
    var bar = form.querySelector("progress.upload");
    var status = form.querySelector(".upload-status");
    var button = form.querySelector("button");
    var say = function (key) {
      if (status) {
        status.hidden = false;
        status.textContent = status.getAttribute("data-" + key) || "";
      }
    };
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (bar && e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
      }
    });
    xhr.upload.addEventListener("load", function () {
      if (bar) {
        bar.removeAttribute("value"); // indeterminate while the server works
      }
      say("working");
    });
    xhr.addEventListener("load", function () {
      var target = xhr.responseURL || form.action;
      if (target.split("#")[0] !== form.action) {
        window.location.assign(target);
        return;
      }
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var main = doc.querySelector("main");
      if (!main) {
        say("failed");
        if (bar) {
          bar.hidden = true;
        }
        if (button) {
          button.disabled = false;
        }
        return;
      }
      document.title = doc.title;
      document.querySelector("main").replaceWith(document.adoptNode(main));
      var focus = document.querySelector("#result, [role=alert], .field.invalid input");
      if (focus) {
        focus.setAttribute("tabindex", "-1");
        focus.focus();
      }
    });
    xhr.addEventListener("error", function () {
      say("failed");
      if (button) {
        button.disabled = false;
      }
    });
    if (bar) {
      bar.hidden = false;
      bar.value = 0;
    }
    say("sending");
    if (button) {
      button.disabled = true;
    }
    xhr.send(new FormData(form));
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

/* --- portal --- the GB 11643 check of a resident ID number (input[data-gb11643]) as the person types:
   length, birth date and the MOD 11-2 check character, said in the field's live region. The server
   checks the same and shows its message next to the field; this only tells earlier. */
(function () {
  "use strict";
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], C = "10X98765432";
  function verdict(v) {
    if (v.length < 18) { return /^\d*$/.test(v) ? "typing" : "format"; }
    if (!/^\d{17}[\dX]$/.test(v)) { return "format"; }
    var y = +v.substr(6, 4), m = +v.substr(10, 2), d = +v.substr(12, 2), t = new Date(y, m - 1, d);
    if (y < 1900 || t.getFullYear() !== y || t.getMonth() !== m - 1 || t.getDate() !== d || t > new Date()) { return "birth"; }
    var s = 0;
    for (var i = 0; i < 17; i++) { s += (+v.charAt(i)) * W[i]; }
    return C.charAt(s % 11) === v.charAt(17) ? "ok" : "checksum";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("input[data-gb11643]");
    var live = input && document.getElementById(input.id + "-live");
    var type = input && input.form && input.form.querySelector("select[name=id_type]");
    if (!live) { return; }
    function check() {
      var v = input.value.replace(/\s+/g, "").toUpperCase();
      if ((type && type.value !== "resident_id") || v === "") {
        live.textContent = "";
        return;
      }
      var r = verdict(v);
      live.textContent = (live.getAttribute("data-" + r) || "").replace("{n}", v.length);
      live.className = "live" + (r === "ok" ? " ok" : r === "typing" ? "" : " bad");
      if (r === "ok") { input.removeAttribute("aria-invalid"); } else if (r !== "typing") { input.setAttribute("aria-invalid", "true"); }
    }
    input.addEventListener("input", check);
    if (type) { type.addEventListener("change", check); }
    // After a refused submit the server's message stands next to the field; the check starts on typing.
    if (input.value && !document.getElementById(input.id + "-err")) { check(); }
  });
})();
/* --- scoring --- */
// 评分: the score grid (form[data-score-grid]). Enter moves to the next cell as Tab does; a cell is
// checked against 0–100 as it is typed and marked when under its pass mark; a changed row is saved
// when focus leaves it — one row posted to the form's own action with the CSRF token, answered in
// JSON — and its state (saving, saved, not saved) and result shown in the row. Without the script the
// whole grid is one form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-score-grid]");
  if (!form || !window.fetch || !window.URLSearchParams) { return; }
  var d = form.dataset;
  function cells() { return Array.prototype.slice.call(form.querySelectorAll("input[data-method]")); }
  function rowOf(el) { return el.closest("tr[data-row]"); }
  function setError(inp, msg) {
    var err = document.getElementById(inp.id + "-err");
    if (err) { err.textContent = msg || ""; }
    inp.closest("td").classList.toggle("invalid", !!msg);
    if (msg) {
      inp.setAttribute("aria-invalid", "true");
      inp.setAttribute("aria-describedby", inp.id + "-err");
    } else {
      inp.removeAttribute("aria-invalid");
    }
  }
  // check validates one cell; it returns false when the value can't be saved.
  function check(inp) {
    var raw = inp.value.trim().replace("，", ".");
    var td = inp.closest("td");
    td.classList.remove("below");
    if (raw === "") { setError(inp, ""); return true; }
    var n = Number(raw);
    if (isNaN(n)) { setError(inp, d.nan); return false; }
    if (n < 0 || n > 100) { setError(inp, d.range); return false; }
    setError(inp, "");
    td.classList.toggle("below", n < Number(inp.dataset.pass));
    return true;
  }
  function state(row, text, bad) {
    var st = row.querySelector("td.state");
    st.textContent = text;
    st.className = "state" + (bad ? " err" : " ok");
  }
  function result(row, key, text) {
    var cell = row.querySelector("td.result");
    cell.textContent = "";
    if (!text) { return; }
    var tag = document.createElement("span");
    tag.className = "tag " + (key === "pass" ? "ok" : "bad");
    tag.textContent = text;
    cell.appendChild(tag);
  }
  function save(row) {
    var ins = Array.prototype.slice.call(row.querySelectorAll("input[data-method]"));
    if (!ins.every(check)) { state(row, d.error, true); return; }
    var body = new URLSearchParams();
    body.set("_csrf", form.querySelector("input[name=_csrf]").value);
    row.querySelectorAll("input[name]").forEach(function (i) { body.set(i.name, i.value.trim()); });
    row.dataset.dirty = "";
    state(row, d.saving, false);
    fetch(form.getAttribute("action"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json", "X-CSRF-Token": body.get("_csrf") }
    }).then(function (r) {
      return r.json().catch(function () { return { error: d.error }; });
    }).then(function (res) {
      (res.errors || []).forEach(function (e) {
        var inp = row.querySelector("input[data-method='" + e.method + "']");
        if (inp) { setError(inp, e.message); }
      });
      if (res.error || (res.errors && res.errors.length)) {
        row.dataset.dirty = "1";
        state(row, res.error || d.error, true);
        return;
      }
      (res.saved || []).forEach(function (s) { result(row, s.result, s.result_text); });
      state(row, d.saved, false);
    }).catch(function () {
      row.dataset.dirty = "1";
      state(row, d.error, true);
    });
  }
  form.addEventListener("input", function (ev) {
    var inp = ev.target;
    if (!inp.dataset.method) { return; }
    rowOf(inp).dataset.dirty = "1";
    check(inp);
    if (Number(inp.value) < Number(inp.dataset.pass) && inp.value.trim() !== "" && check(inp)) {
      result(rowOf(inp), "fail", d.fail);
    }
  });
  form.addEventListener("keydown", function (ev) {
    var inp = ev.target;
    if (ev.key !== "Enter" || !inp.dataset.method) { return; }
    ev.preventDefault();
    var all = cells(), i = all.indexOf(inp) + (ev.shiftKey ? -1 : 1);
    if (i >= 0 && i < all.length) {
      all[i].focus();
      all[i].select();
    } else {
      inp.blur();
    }
  });
  // Enter never sends the grid from a cell (a key press may arrive apart from its keydown).
  form.addEventListener("keypress", function (ev) {
    if (ev.key === "Enter" && ev.target.dataset.method) { ev.preventDefault(); }
  });
  form.addEventListener("focusout", function (ev) {
    var row = rowOf(ev.target);
    if (!row || row.dataset.dirty !== "1") { return; }
    if (ev.relatedTarget && rowOf(ev.relatedTarget) === row) { return; }
    save(row);
  });
})();
