/* Glossa: the search page's facets as checkboxes. Without this file each facet value is a link
   that adds or removes it (several values of one facet: any of them; several facets: all). */
(function () {
  "use strict";
  var KEY = "glossa-facet-focus";

  function enhance(link, param) {
    var chosen = link.getAttribute("data-chosen") === "true";
    var value = link.getAttribute("data-value") || "";
    var label = document.createElement("label");
    label.className = "facet-check";
    if (link.title) label.title = link.title;
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = chosen;
    box.setAttribute("data-param", param);
    box.setAttribute("data-value", value);
    label.appendChild(box);
    // the link's visible parts (swatch, name, the screen-reader label kind), not its state words
    Array.prototype.forEach.call(link.childNodes, function (node) {
      if (node.nodeType === 1 && (node.classList.contains("box") || node.classList.contains("facet-state"))) return;
      label.appendChild(node.cloneNode(true));
    });
    var href = link.getAttribute("href");
    box.addEventListener("change", function () {
      try {
        window.sessionStorage.setItem(KEY, param + "\t" + value);
      } catch (e) {
        /* no storage: focus is not restored */
      }
      label.classList.add("pending");
      window.location.assign(href);
    });
    link.parentNode.replaceChild(label, link);
    return box;
  }

  var boxes = [];
  Array.prototype.forEach.call(document.querySelectorAll("ul.facet-options"), function (list) {
    var param = list.getAttribute("data-param");
    Array.prototype.forEach.call(list.querySelectorAll("a.facet-option"), function (link) {
      boxes.push(enhance(link, param));
    });
  });

  // after the page a checkbox loaded, focus is back on that checkbox (keyboard users go on)
  var wanted = null;
  try {
    wanted = window.sessionStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
  } catch (e) {
    wanted = null;
  }
  if (wanted) {
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].getAttribute("data-param") + "\t" + boxes[i].getAttribute("data-value") === wanted) {
        boxes[i].focus();
        break;
      }
    }
  }
})();
