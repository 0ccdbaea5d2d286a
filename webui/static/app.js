/* Glossa: small enhancements. Every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // "/" focuses the search box from anywhere; Escape closes a popover.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !isTyping(document.activeElement)) {
      var box = document.getElementById("q");
      if (box) {
        ev.preventDefault();
        box.focus();
        box.select();
      }
    } else if (ev.key === "Escape") {
      hidePopover();
    }
  });

  // Footnote popovers: hover or focus a mark to read its note.
  var popover = null;
  var popoverFor = null;

  function noteFor(link) {
    var id = (link.getAttribute("href") || "").slice(1);
    var item = id ? document.getElementById(id) : null;
    return item ? item.querySelector(".note-text") : null;
  }

  function showPopover(link) {
    var note = noteFor(link);
    if (!note) return;
    hidePopover();
    popover = document.createElement("div");
    popover.className = "popover";
    popover.id = "fn-popover";
    popover.setAttribute("role", "tooltip");
    var num = document.createElement("span");
    num.className = "pop-num";
    num.textContent = link.textContent + ".";
    popover.appendChild(num);
    popover.appendChild(note.cloneNode(true));
    document.body.appendChild(popover);
    if (link.title) {
      link.setAttribute("data-title", link.title);
      link.removeAttribute("title");
    }
    var r = link.getBoundingClientRect();
    var width = popover.offsetWidth;
    var left = Math.max(8, Math.min(window.scrollX + r.left - 20, window.scrollX + document.documentElement.clientWidth - width - 8));
    popover.style.left = left + "px";
    popover.style.top = (window.scrollY + r.bottom + 6) + "px";
    popoverFor = link;
  }

  function hidePopover() {
    if (popover) popover.remove();
    if (popoverFor && popoverFor.hasAttribute("data-title")) {
      popoverFor.title = popoverFor.getAttribute("data-title");
      popoverFor.removeAttribute("data-title");
    }
    popover = null;
    popoverFor = null;
  }

  function fnLink(target) {
    return target && target.closest ? target.closest("sup.fnref a") : null;
  }

  document.addEventListener("mouseover", function (ev) {
    var link = fnLink(ev.target);
    if (link && link !== popoverFor) showPopover(link);
  });
  document.addEventListener("mouseout", function (ev) {
    var link = fnLink(ev.target);
    if (link && !link.contains(ev.relatedTarget) && document.activeElement !== link) hidePopover();
  });
  document.addEventListener("focusin", function (ev) {
    var link = fnLink(ev.target);
    if (link) showPopover(link);
  });
  document.addEventListener("focusout", function (ev) {
    if (fnLink(ev.target)) hidePopover();
  });
  document.addEventListener("click", function (ev) {
    if (fnLink(ev.target)) hidePopover();
  });

  // Entity type toggles in the reader: switch highlighting on and off in place.
  var body = document.getElementById("doc-body");
  document.querySelectorAll(".ent-toggles input[type=checkbox]").forEach(function (box) {
    var apply = function () {
      if (body) body.classList.toggle("hide-ent-" + box.getAttribute("data-label"), !box.checked);
    };
    box.addEventListener("change", function () {
      // a type the server left out needs a reload with the form; otherwise toggle in place
      if (box.checked && body && !body.querySelector(".ent-" + box.getAttribute("data-label"))) {
        box.form.submit();
        return;
      }
      apply();
    });
  });

  // Entity list in the reader: mark every mention of one entity without reloading.
  document.querySelectorAll(".doc-entities .ent-mark").forEach(function (link) {
    link.addEventListener("click", function (ev) {
      if (!body) return;
      ev.preventDefault();
      var label = link.getAttribute("data-label");
      var name = link.getAttribute("data-canonical");
      var item = link.closest("li");
      var wasOn = item.classList.contains("chosen");
      document.querySelectorAll(".doc-entities li.chosen").forEach(function (li) { li.classList.remove("chosen"); });
      var first = null;
      body.querySelectorAll(".ent").forEach(function (span) {
        var match = !wasOn && span.getAttribute("data-label") === label && span.getAttribute("data-canonical") === name;
        span.classList.toggle("ent-focus", match);
        if (match && !first) first = span;
      });
      if (!wasOn) item.classList.add("chosen");
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
    });
  });
})();
