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

  // Footnote popovers: hover or focus a mark to read its note. On a touch screen (no hover) the
  // first tap on a mark opens its popover in place, with a link to the note; a second tap follows
  // the mark to the note, a tap elsewhere closes the popover.
  var touchOnly = !!(window.matchMedia && window.matchMedia("(hover: none)").matches);
  var tapped = null;
  var popover = null;
  var popoverFor = null;

  var hideTimer = null;

  function noteFor(link) {
    var id = (link.getAttribute("href") || "").slice(1);
    var item = id ? document.getElementById(id) : null;
    return item ? item.querySelector(".note-text") : null;
  }

  function cancelHide() {
    if (hideTimer) clearTimeout(hideTimer);
    hideTimer = null;
  }

  // a short grace period lets the pointer travel from the mark into the popover
  function hideSoon() {
    cancelHide();
    hideTimer = setTimeout(hidePopover, 300);
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
    var refers = note.parentNode.querySelector(".note-refers");
    if (refers) popover.appendChild(refers.cloneNode(true));
    if (touchOnly) {
      var go = document.createElement("a");
      go.className = "pop-go";
      go.href = link.getAttribute("href");
      go.textContent = "Go to note " + link.textContent + " ↓";
      popover.appendChild(go);
    }
    popover.addEventListener("mouseenter", cancelHide);
    popover.addEventListener("mouseleave", hideSoon);
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
    cancelHide();
    tapped = null;
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
    if (link) {
      if (link !== popoverFor) showPopover(link);
      else cancelHide();
    }
  });
  document.addEventListener("mouseout", function (ev) {
    var link = fnLink(ev.target);
    if (link && !link.contains(ev.relatedTarget) && document.activeElement !== link) {
      if (popover && popover.contains(ev.relatedTarget)) return;
      hideSoon();
    }
  });
  document.addEventListener("focusin", function (ev) {
    var link = fnLink(ev.target);
    if (link) showPopover(link);
  });
  document.addEventListener("focusout", function (ev) {
    if (fnLink(ev.target) && !(popover && popover.contains(ev.relatedTarget))) hidePopover();
  });
  document.addEventListener("click", function (ev) {
    var link = fnLink(ev.target);
    if (touchOnly && link && tapped !== link) {
      ev.preventDefault();  // stay at the text: the note opens where it is cited
      if (link !== popoverFor) showPopover(link);
      tapped = link;
      return;
    }
    if (link || (touchOnly && popover && !popover.contains(ev.target))) hidePopover();
  });

  // Entity type toggles in the reader: switch highlighting on and off in place.
  var body = document.getElementById("doc-body");

  // the first passage at the top of the window: where the reader is
  function readingPlace() {
    var passages = body ? body.querySelectorAll(".passage") : [];
    for (var i = 0; i < passages.length; i++) {
      if (passages[i].getBoundingClientRect().bottom > 0) return passages[i].id;
    }
    return "";
  }

  // a type the server left out needs the page again: come back to the same passage
  function reloadAtPlace(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { params.append(key, value); });
    var place = readingPlace();
    window.location.assign(form.action.split("?")[0].split("#")[0] + "?" + params.toString() + (place ? "#" + place : ""));
  }
  document.querySelectorAll(".ent-toggles input[type=checkbox]").forEach(function (box) {
    var apply = function () {
      if (body) body.classList.toggle("hide-ent-" + box.getAttribute("data-label"), !box.checked);
    };
    box.addEventListener("change", function () {
      // a type the server left out needs a reload with the form; otherwise toggle in place
      if (box.checked && body && !body.querySelector(".ent-" + box.getAttribute("data-label"))) {
        reloadAtPlace(box.form);
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
