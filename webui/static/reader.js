/* Glossa reader: plain-text copy, find in document, entity toggles that keep the place. */
(function () {
  "use strict";
  var body = document.getElementById("doc-body");
  if (!body) return;

  // ---- Copy: the selection as the document's plain text ----------------------------------
  // Inserted parts (screen-reader entity kinds, the ¶ links, page markers) are left out; a
  // note mark becomes its number after a space ("2023 82"), never glued to the word.
  var GLUE = "\u0001";

  function plainText(root) {
    var out = [];
    function walk(node) {
      if (node.nodeType === 3) {
        out.push(node.data);
        return;
      }
      if (node.nodeType !== 1 && node.nodeType !== 11) return;
      if (node.nodeType === 1) {
        if (node.matches("sup.fnref")) {
          var num = node.textContent.trim();
          if (num) out.push(" " + num + GLUE);
          return;
        }
        if (node.hasAttribute("data-glossa-skip")) return;
        if (node.matches(".passage") && out.length) out.push("\n\n");
      }
      node.childNodes.forEach(walk);
    }
    walk(root);
    return out
      .join("")
      .replace(new RegExp(GLUE + "(?=[^\\s.,;:!?)\\]])", "g"), " ")
      .replace(new RegExp(GLUE, "g"), "")
      .replace(/[ \t]+\n/g, "\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim();
  }

  document.addEventListener("copy", function (ev) {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount || !ev.clipboardData) return;
    var range = sel.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) return;
    var text = plainText(range.cloneContents());
    if (!text) return;
    ev.clipboardData.setData("text/plain", text);
    ev.preventDefault();
  });
  window.glossaPlainText = plainText;
})();

/* Find in document: "hit 2 of 14", next/previous by button, N / Shift+N, or Enter in the box. */
(function () {
  "use strict";
  var body = document.getElementById("doc-body");
  var form = document.querySelector("form.find");
  if (!body || !form) return;
  var box = form.querySelector("input[name=q]");
  var status = form.querySelector(".find-status");
  var asked = box.value.trim();
  var hits = Array.prototype.slice.call(body.querySelectorAll("mark.term"));
  var current = -1;

  function show(i, scroll) {
    if (!hits.length) return;
    if (current >= 0) hits[current].classList.remove("term-current");
    current = (i + hits.length) % hits.length;
    var hit = hits[current];
    hit.classList.add("term-current");
    status.textContent = "hit " + (current + 1) + " of " + hits.length;
    if (scroll) hit.scrollIntoView({ block: "center" });
  }

  function step(delta) {
    show(current < 0 ? (delta > 0 ? 0 : hits.length - 1) : current + delta, true);
  }

  if (asked) {
    if (!hits.length) {
      status.textContent = "no hits";
    } else {
      form.querySelector(".find-steps").hidden = false;
      form.querySelector(".find-prev").addEventListener("click", function () { step(-1); });
      form.querySelector(".find-next").addEventListener("click", function () { step(1); });
      // start at the passage the search result pointed to, else at the first hit
      var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
      var first = 0;
      if (target && body.contains(target)) {
        for (var i = 0; i < hits.length; i++) {
          var after = target.compareDocumentPosition(hits[i]);
          if (target.contains(hits[i]) || after & Node.DOCUMENT_POSITION_FOLLOWING) { first = i; break; }
        }
      }
      show(first, !target);
    }
  }

  box.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && hits.length && box.value.trim() === asked) {
      ev.preventDefault();
      step(ev.shiftKey ? -1 : 1);
    }
  });

  document.addEventListener("keydown", function (ev) {
    var el = document.activeElement;
    var typing = el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey || !hits.length) return;
    if (ev.key === "n" || ev.key === "N") {
      ev.preventDefault();
      step(ev.key === "N" ? -1 : 1);
    }
  });
})();
