/* Glossa upload page: drag and drop of files, folders and zips, a folder picker, the upload's
   progress, and each file's result as the ingest job reports it (polling /api/jobs/<id>).
   Without this script the plain form posts the files and the job page refreshes itself. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var LABELS = {
    queued: "waiting", processing: "reading", added: "added", unchanged: "unchanged",
    updated: "updated", failed: "failed", removed: "removed"
  };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function sizeText(n) {
    var units = [["GB", 1073741824], ["MB", 1048576], ["KB", 1024]];
    for (var i = 0; i < units.length; i++) {
      if (n >= units[i][1]) { return (n / units[i][1]).toFixed(1).replace(/\.0$/, "") + " " + units[i][0]; }
    }
    return n + " bytes";
  }

  function csrfToken(form) {
    var field = form ? form.querySelector("input[name=csrf_token]") : null;
    if (field) { return field.value; }
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  var holder = document.querySelector("[data-doc-url]");
  var docUrl = holder ? holder.getAttribute("data-doc-url") : "/doc/DOC";

  function docLink(id) {
    var a = el("a", null, id);
    a.href = docUrl.replace("DOC", encodeURIComponent(id));
    return a;
  }

  function summaryText(job) {
    var parts = [];
    var s = job.summary || {};
    ["added", "updated", "unchanged", "removed", "failed"].forEach(function (k) {
      if (s[k]) { parts.push(s[k] + " " + k); }
    });
    return parts.join(", ");
  }

  function statusText(job) {
    if (job.status === "queued") { return "Waiting for its turn (one ingest runs at a time)."; }
    if (job.status === "running") {
      var left = (job.summary && job.summary.pending) || 0;
      return "Working" + (job.message ? ": " + job.message : "") + (left ? " (" + left + " to go)" : "") + "…";
    }
    if (job.status === "failed") { return job.message || "The job failed."; }
    return "Done: " + (summaryText(job) || "nothing to do") + ".";
  }

  function renderRows(tbody, job, withSize) {
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    (job.files || []).forEach(function (f) {
      var tr = el("tr", "upload-row upload-" + f.status);
      tr.setAttribute("data-name", f.name || "");
      tr.appendChild(el("td", null, f.sent_as || f.name));
      if (withSize) { tr.appendChild(el("td", null, f.size !== undefined ? sizeText(f.size) : "")); }
      tr.appendChild(el("td", "upload-result", LABELS[f.status] || f.status));
      var detail = el("td", "upload-detail");
      if (f.doc_id && (f.status === "added" || f.status === "updated" || f.status === "unchanged")) {
        detail.appendChild(docLink(f.doc_id));
        detail.appendChild(document.createTextNode(" "));
      }
      if (f.reason) { detail.appendChild(document.createTextNode(f.reason)); }
      tr.appendChild(detail);
      tbody.appendChild(tr);
    });
  }

  function follow(url, status, tbody, withSize, done) {
    function tick() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        var job;
        try { job = JSON.parse(xhr.responseText); } catch (e) { job = null; }
        if (xhr.status === 404) {  // pruned (UPLOAD_JOB_KEEP_HOURS) or never there: nothing to follow
          status.textContent = (job && job.message) || "This job is gone.";
          return;
        }
        if (xhr.status !== 200 || !job) {
          status.textContent = (job && job.message) || ("Could not read the job (HTTP " + xhr.status + "); retrying…");
          window.setTimeout(tick, POLL_MS * 3);
          return;
        }
        renderRows(tbody, job, withSize);
        status.textContent = statusText(job);
        if (job.status === "queued" || job.status === "running") {
          window.setTimeout(tick, POLL_MS);
        } else if (done) {
          done(job);
        }
      };
      xhr.onerror = function () {
        status.textContent = "Lost contact with the server; retrying…";
        window.setTimeout(tick, POLL_MS * 3);
      };
      xhr.send();
    }
    tick();
  }

  /* --- the job page --- */
  var jobSection = document.getElementById("upload-job");
  if (jobSection) {
    var state = jobSection.getAttribute("data-status");
    if (state === "queued" || state === "running") {
      follow(jobSection.getAttribute("data-job"), document.getElementById("upload-status"),
        document.getElementById("upload-rows"), false, null);
    }
  }

  /* --- the upload page --- */
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var drop = document.getElementById("upload-drop");
  var input = document.getElementById("upload-files");
  var folder = document.getElementById("upload-folder");
  var folderRow = document.getElementById("upload-folder-row");
  var section = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var bar = document.getElementById("upload-bar");
  var tbody = document.getElementById("upload-rows");
  var submit = document.getElementById("upload-submit");
  var dropped = [];  /* [{file, path}] */

  drop.hidden = false;
  if ("webkitdirectory" in folder) { folderRow.hidden = false; }

  function chosen() {
    var out = dropped.slice();
    Array.prototype.forEach.call(input.files || [], function (f) { out.push({ file: f, path: f.name }); });
    Array.prototype.forEach.call(folder.files || [], function (f) {
      out.push({ file: f, path: f.webkitRelativePath || f.name });
    });
    return out;
  }

  function showChosen() {
    var items = chosen();
    section.hidden = items.length === 0;
    bar.hidden = true;
    renderRows(tbody, { files: items.map(function (it) {
      return { name: it.path, sent_as: it.path, size: it.file.size, status: "queued", reason: "" };
    }) }, true);
    status.textContent = items.length ? items.length + " file(s) chosen; press Upload to send them." : "";
  }

  function readEntry(entry, prefix, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (f) { out.push({ file: f, path: prefix + f.name }); resolve(); }, function () { resolve(); });
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        var all = [];
        var more = function () {
          reader.readEntries(function (batch) {
            if (!batch.length) {
              Promise.all(all.map(function (e) { return readEntry(e, prefix + entry.name + "/", out); })).then(resolve);
              return;
            }
            all = all.concat(Array.prototype.slice.call(batch));
            more();
          }, function () { resolve(); });
        };
        more();
      } else {
        resolve();
      }
    });
  }

  function onDrop(event) {
    event.preventDefault();
    drop.classList.remove("upload-over");
    var dt = event.dataTransfer;
    var items = dt.items ? Array.prototype.slice.call(dt.items) : [];
    var entries = items.map(function (it) { return it.webkitGetAsEntry ? it.webkitGetAsEntry() : null; });
    if (entries.length && entries.every(function (e) { return e; })) {
      var out = [];
      Promise.all(entries.map(function (e) { return readEntry(e, "", out); })).then(function () {
        dropped = dropped.concat(out);
        showChosen();
      });
    } else {
      Array.prototype.forEach.call(dt.files || [], function (f) { dropped.push({ file: f, path: f.name }); });
      showChosen();
    }
  }

  drop.addEventListener("dragover", function (event) { event.preventDefault(); drop.classList.add("upload-over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("upload-over"); });
  drop.addEventListener("drop", onDrop);
  drop.addEventListener("click", function () { input.click(); });
  drop.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
  });
  input.addEventListener("change", showChosen);
  folder.addEventListener("change", showChosen);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var items = chosen();
    section.hidden = false;
    if (!items.length) {
      status.textContent = "Choose or drop files, a folder or a zip first.";
      return;
    }
    var data = new FormData();
    items.forEach(function (it) {
      data.append("files", it.file, it.file.name);
      data.append("paths", it.path);
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-api"));
    xhr.setRequestHeader("X-CSRF-Token", csrfToken(form));
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    submit.disabled = true;
    status.textContent = "Sending " + items.length + " file(s)…";
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = "Sending " + items.length + " file(s): " + bar.value + "%";
      }
    };
    xhr.onload = function () {
      var body;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      submit.disabled = false;
      bar.hidden = true;
      if (xhr.status !== 202 || !body) {
        status.textContent = "Refused: " + ((body && body.message) || ("HTTP " + xhr.status));
        return;
      }
      dropped = [];
      form.reset();
      var url = xhr.getResponseHeader("Location") || (form.getAttribute("data-jobs") + "/" + body.id);
      var page = form.getAttribute("data-job-page").replace("JOB", encodeURIComponent(body.id));
      renderRows(tbody, body, true);
      status.textContent = statusText(body);
      follow(url, status, tbody, true, function () {
        var link = el("a", null, "this upload's page");
        link.href = page;
        status.appendChild(document.createTextNode(" See "));
        status.appendChild(link);
        status.appendChild(document.createTextNode("."));
      });
    };
    xhr.onerror = function () {
      submit.disabled = false;
      status.textContent = "The upload could not be sent (the connection failed).";
    };
    xhr.send(data);
  });
}());
