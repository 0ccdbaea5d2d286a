/* The footnote lookup's document picker (progressive enhancement).
 *
 * Without a script, the document field of a large corpus is a text field: an id, or words
 * of a title that /cite resolves. With it, typing searches the titles through the JSON
 * endpoint named by the field's data-picker attribute and offers the matches in the
 * field's <datalist>; choosing one puts its id in the field. No inline script: the CSP holds.
 */
(function () {
  "use strict";

  function setup(field) {
    var list = document.getElementById(field.getAttribute("list"));
    var url = field.getAttribute("data-picker");
    if (!list || !url) return;
    var timer = null;
    var asked = "";
    var controller = null;

    function fill(rows) {
      while (list.firstChild) list.removeChild(list.firstChild);
      rows.forEach(function (row) {
        var option = document.createElement("option");
        option.value = row.doc_id;
        option.textContent = row.title + (row.footnotes ? " (" + row.footnotes + " notes)" : "");
        list.appendChild(option);
      });
    }

    function ask() {
      var words = field.value.trim();
      if (words === asked) return;
      asked = words;
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var target = url + "?limit=20&q=" + encodeURIComponent(words);
      fetch(target, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
        .then(function (response) { return response.ok ? response.json() : { documents: [] }; })
        .then(function (data) { if (words === asked) fill(data.documents || []); })
        .catch(function () { /* aborted or offline: the field still works as typed */ });
    }

    field.addEventListener("input", function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    field.addEventListener("focus", function () {
      if (!list.children.length || list.children.length === 1) ask();
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-picker]"), setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
