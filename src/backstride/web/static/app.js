/* backstride pages: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function csrf() { return document.body.getAttribute("data-csrf") || ""; }

  // HTMX requests carry the CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf();
  });

  // Range sliders show their value.
  function bindRanges(root) {
    root.querySelectorAll("input[type=range][data-output]").forEach(function (input) {
      var out = document.getElementById(input.getAttribute("data-output"));
      if (!out) return;
      var show = function () { out.textContent = input.value; };
      input.addEventListener("input", show);
      show();
    });
  }

  // Quick log: hide the pain fields when "none" is chosen.
  function bindQuickLog(root) {
    root.querySelectorAll("form.quick").forEach(function (form) {
      var update = function () {
        var chosen = form.querySelector("input[name=pain]:checked");
        form.classList.toggle("pain-none", !!chosen && chosen.value === "none");
      };
      form.addEventListener("change", update);
      update();
    });
  }

  function summaryNode(summary) {
    var frag = document.createDocumentFragment();
    var c = summary.counts || {};
    var p = document.createElement("p");
    p.textContent = "imported " + (c.imported || 0) + ", merged " + (c.merged || 0) + ", duplicate " +
      (c.duplicate || 0) + ", skipped " + (c.skipped || 0) + ", failed " + (c.failed || 0);
    frag.appendChild(p);
    var ul = document.createElement("ul");
    ul.className = "plain";
    (summary.files || []).forEach(function (f) {
      var li = document.createElement("li");
      li.className = "st-" + f.status;
      var strong = document.createElement("strong");
      strong.textContent = f.status;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(" " + f.name + (f.reason ? ": " + f.reason : "")));
      if (f.activity_id) {
        [["view", "/runs/" + f.activity_id], ["log pain", "/runs/" + f.activity_id + "/log"]].forEach(function (l) {
          li.appendChild(document.createTextNode(" · "));
          var a = document.createElement("a");
          a.href = l[1];
          a.textContent = l[0];
          li.appendChild(a);
        });
      }
      ul.appendChild(li);
    });
    frag.appendChild(ul);
    return frag;
  }

  // Upload: drag and drop, progress, the per-file summary from POST /api/imports.
  function bindUpload(root) {
    var form = root.querySelector("#upload-form");
    if (!form) return;
    var drop = form.querySelector("#drop");
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("#upload-progress");
    var result = document.getElementById("upload-result");
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; send(); }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); send(); });

    function send() {
      if (!input.files.length) return;
      var data = new FormData();
      Array.prototype.forEach.call(input.files, function (f) { data.append("files", f, f.name); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/imports");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
      });
      xhr.addEventListener("load", function () {
        bar.value = 100;
        result.textContent = "";
        try {
          var body = JSON.parse(xhr.responseText);
          if (body.counts) result.appendChild(summaryNode(body));
          else result.textContent = body.detail || ("upload failed (" + xhr.status + ")");
        } catch (err) {
          result.textContent = "upload failed (" + xhr.status + ")";
        }
        result.setAttribute("data-status", String(xhr.status));
      });
      xhr.addEventListener("error", function () { result.textContent = "upload failed: no answer from the server"; });
      result.textContent = "importing…";
      xhr.send(data);
    }
  }

  function init(root) { bindRanges(root); bindQuickLog(root); bindUpload(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
