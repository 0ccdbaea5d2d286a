/* Glossa: the search page's facet values as checkboxes. Without this file each value is a link
   that adds or removes it (several values of one facet: any of them; several facets: all), with
   a box drawn before it; with it, the links are announced and worked as checkboxes too (Space
   toggles, as Enter and a click do), and after the page reloads the value just toggled has
   the focus again, so a keyboard user goes on where they were. */
(function () {
  "use strict";
  var KEY = "glossa-facet-focus";

  function remember(link) {
    try {
      window.sessionStorage.setItem(KEY, link.getAttribute("data-param") + "\t" + link.getAttribute("data-value"));
    } catch (e) {
      /* no storage: the focus is not restored */
    }
  }

  var links = [];
  Array.prototype.forEach.call(document.querySelectorAll("ul.facet-options"), function (list) {
    var param = list.getAttribute("data-param");
    Array.prototype.forEach.call(list.querySelectorAll("a.facet-option"), function (link) {
      link.setAttribute("data-param", param);
      link.setAttribute("role", "checkbox");
      link.setAttribute("aria-checked", link.getAttribute("data-chosen") === "true" ? "true" : "false");
      var state = link.querySelector(".facet-state");
      if (state) state.parentNode.removeChild(state); // aria-checked says it now
      link.addEventListener("click", function () {
        remember(link);
        link.classList.add("pending");
      });
      link.addEventListener("keydown", function (ev) {
        if (ev.key === " " || ev.key === "Spacebar") {
          ev.preventDefault();
          link.click();
        }
      });
      links.push(link);
    });
  });

  var wanted = null;
  try {
    wanted = window.sessionStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
  } catch (e) {
    wanted = null;
  }
  if (wanted) {
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-param") + "\t" + links[i].getAttribute("data-value") === wanted) {
        links[i].focus();
        break;
      }
    }
  }
})();
