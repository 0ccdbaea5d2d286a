/* Glossa reader annotations: select text, tag or comment it, see and edit annotations.
 *
 * Configuration comes from data- attributes of #annotation-panel (no inline script).
 * A passage is an element `.passage[data-start][data-end]`; its text is the concatenation
 * of its text nodes that are not inside a [data-glossa-skip] element, and equals the
 * canonical text slice [data-start, data-end). A footnote's text is an element
 * `[data-anno-note=NUMBER]` (in the notes list, on the note page, in a popover's copy): its
 * text is the note's own text, from offset 0, and an annotation on it has the note as its
 * target source (DOC_IRI/fn/NUMBER). Highlights are <mark class="anno"> elements, which
 * hold text nodes themselves, so they do not change that mapping. An annotation under
 * review (moved onto changed text) gets a marker button before its highlight, and its list
 * item shows the quote as last confirmed with Accept and Re-place.
 * User text is only ever inserted with textContent / createTextNode.
 */
(function () {
  "use strict";

  var panel = document.getElementById("anno-panel");
  if (!panel) return;
  var placeholder = document.getElementById("annotation-panel");
  if (placeholder && !placeholder.contains(panel)) placeholder.appendChild(panel);
  var cfg = panel.dataset;
  var SEP = "\n\n";
  var CONTEXT = 32;
  var state = { annotations: [], selection: null, editing: null, replacing: null, tags: [] };
  var list = panel.querySelector(".anno-list");
  var statusLine = panel.querySelector(".anno-status");
  var editor = panel.querySelector(".anno-editor");
  var toolbar = document.createElement("div");

  var CONTAINERS = ".passage[data-start][data-end], [data-anno-note]";

  /* Text containers of one scope ("" the document's text, else a note number); with
     `all`, popover copies too (they can be selected, never highlighted). */
  function containers(scope, all) {
    return Array.prototype.slice.call(document.querySelectorAll(CONTAINERS)).filter(function (c) {
      return scopeOf(c) === scope && (all || !c.closest(".popover"));
    });
  }

  function passages() { return containers(""); }

  function scopeOf(c) {
    return c.hasAttribute("data-anno-note") ? c.getAttribute("data-anno-note") : "";
  }

  function startOf(c) { return c.hasAttribute("data-anno-note") ? 0 : Number(c.dataset.start); }

  function skipped(node, root) {
    var el = node.parentElement ? node.parentElement.closest("[data-glossa-skip]") : null;
    return el !== null && root.contains(el);
  }

  function textNodes(root) {
    var out = [];
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var n;
    while ((n = walker.nextNode())) if (!skipped(n, root)) out.push(n);
    return out;
  }

  function passageText(p) {
    return textNodes(p).map(function (n) { return n.data; }).join("");
  }

  /* Canonical offset of a DOM boundary point inside passage p. */
  function boundaryOffset(p, container, offset) {
    var probe = document.createRange();
    probe.setStart(container, offset);
    var total = startOf(p);
    var nodes = textNodes(p);
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (node === container) return total + offset;
      if (probe.comparePoint(node, node.length) < 0) total += node.length;
      else break;
    }
    return total;
  }

  /* Text of the rendered passages between two canonical offsets (gaps are the separator). */
  function textSlice(start, end) {
    var out = "";
    var last = null;
    passages().forEach(function (p) {
      var ps = Number(p.dataset.start), pe = Number(p.dataset.end);
      if (pe <= start || ps >= end) { last = pe; return; }
      if (last !== null && ps > last && ps > start) {
        var gapStart = Math.max(last, start);
        out += SEP.repeat(Math.ceil((ps - gapStart) / SEP.length)).slice(0, ps - gapStart);
      }
      var text = passageText(p);
      out += text.slice(Math.max(start, ps) - ps, Math.min(end, pe) - ps);
      last = pe;
    });
    return out;
  }

  /* The canonical target of the current selection, or null: in the document's text, or
     in one note (a selection from a note on into the next is cut at the note's end). */
  function selectionTarget() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    var all = Array.prototype.slice.call(document.querySelectorAll(CONTAINERS));
    var hit = all.filter(function (c) { return range.intersectsNode(c); });
    if (hit.length === 0) return null;
    var scope = scopeOf(hit[0]);
    if (scope !== "") {
      var note = hit[0];
      var text = passageText(note);
      var ns = note.contains(range.startContainer) ? boundaryOffset(note, range.startContainer, range.startOffset) : 0;
      var ne = note.contains(range.endContainer) ? boundaryOffset(note, range.endContainer, range.endOffset) : text.length;
      if (ne <= ns) return null;
      return {
        note: scope, start: ns, end: ne, exact: text.slice(ns, ne),
        prefix: text.slice(Math.max(0, ns - CONTEXT), ns), suffix: text.slice(ne, ne + CONTEXT)
      };
    }
    hit = hit.filter(function (c) { return scopeOf(c) === ""; });
    var first = hit[0], last = hit[hit.length - 1];
    var start = first.contains(range.startContainer)
      ? boundaryOffset(first, range.startContainer, range.startOffset) : Number(first.dataset.start);
    var end = last.contains(range.endContainer)
      ? boundaryOffset(last, range.endContainer, range.endOffset) : Number(last.dataset.end);
    if (end <= start) return null;
    return {
      note: null, start: start, end: end, exact: textSlice(start, end),
      prefix: textSlice(Math.max(0, start - CONTEXT), start), suffix: textSlice(end, end + CONTEXT)
    };
  }

  /* ---- reading annotations (W3C JSON-LD) ---- */

  function shortId(anno) {
    var id = String(anno.id || "");
    return id.slice(id.lastIndexOf("/") + 1);
  }

  function selectorOf(anno, type) {
    var target = Array.isArray(anno.target) ? anno.target[0] : anno.target;
    var sels = target && target.selector ? target.selector : [];
    if (!Array.isArray(sels)) sels = [sels];
    for (var i = 0; i < sels.length; i++) if (sels[i].type === type) return sels[i];
    return null;
  }

  function bodies(anno, purpose) {
    var b = anno.body || [];
    if (!Array.isArray(b)) b = [b];
    return b.filter(function (x) { return x && (x.purpose || "commenting") === purpose; })
      .map(function (x) { return String(x.value || ""); });
  }

  /* The note an annotation is on (its target source is DOC_IRI/fn/NUMBER), or null. */
  function noteOf(anno) {
    var target = Array.isArray(anno.target) ? anno.target[0] : anno.target;
    var source = String((target && target.source) || "");
    if (source.indexOf(cfg.source + "/fn/") !== 0) return null;
    try { return decodeURIComponent(source.slice(cfg.source.length + 4)); } catch (e) { return null; }
  }

  function view(anno) {
    var pos = selectorOf(anno, "TextPositionSelector") || {};
    var quote = selectorOf(anno, "TextQuoteSelector") || {};
    var creator = anno.creator || {};
    var status = anno["glossa:status"] || anno.status || "anchored";
    var previous = anno["glossa:previousQuote"];
    return {
      id: shortId(anno), raw: anno, start: Number(pos.start), end: Number(pos.end), note: noteOf(anno),
      review: status === "review", previous: previous && typeof previous.exact === "string" ? previous.exact : null,
      exact: quote.exact || "", tags: bodies(anno, "tagging"),
      comment: bodies(anno, "commenting").join("\n"),
      author: creator.name || creator.nickname || "", created: anno.created || "",
      visibility: anno["glossa:visibility"] || anno.visibility || "private",
      orphaned: (anno["glossa:status"] || anno.status) === "orphaned",
      mine: (creator.name || creator.nickname) === cfg.user
    };
  }

  /* ---- highlights ---- */

  function highlight(a) {
    if (a.orphaned || !(a.end > a.start)) return;
    var pieces = [];
    containers(a.note === null ? "" : a.note).forEach(function (p) {
      var ps = startOf(p), pe = a.note === null ? Number(p.dataset.end) : Infinity;
      if (pe <= a.start || ps >= a.end) return;
      var pos = ps;
      textNodes(p).forEach(function (node) {
        var ns = pos, ne = pos + node.length;
        pos = ne;
        var s = Math.max(ns, a.start), e = Math.min(ne, a.end);
        if (e > s) pieces.push([node, s - ns, e - ns]);
      });
    });
    var flagged = {};
    pieces.forEach(function (piece) {
      var node = piece[0];
      if (piece[2] < node.length) node.splitText(piece[2]);
      if (piece[1] > 0) node = node.splitText(piece[1]);
      var mark = document.createElement("mark");
      mark.className = "anno" + (a.mine ? " anno-mine" : " anno-other") + " anno-" + a.visibility +
        (a.review ? " anno-review" : "");
      mark.dataset.annoId = a.id;
      node.parentNode.insertBefore(mark, node);
      mark.appendChild(node);
      // the first piece in each copy of the text gets the review marker
      var host = mark.closest(CONTAINERS);
      var key = host ? Array.prototype.indexOf.call(document.querySelectorAll(CONTAINERS), host) : -1;
      if (a.review && !flagged[key]) {
        flagged[key] = true;
        mark.parentNode.insertBefore(reviewFlag(a), mark);
      }
    });
  }

  /* The marker before a highlight under review: a button (keyboard reachable, skipped by
     the offset mapping and by copying) that leads to the list item's Accept / Re-place. */
  function reviewFlag(a) {
    var flag = el("button", "anno-review-flag", "review");
    flag.type = "button";
    flag.setAttribute("data-glossa-skip", "");
    flag.dataset.annoId = a.id;
    flag.setAttribute("aria-label", "Annotation moved onto changed text: review it" +
      (a.previous !== null ? " (it was \u201c" + a.previous.slice(0, 80) + "\u201d)" : ""));
    flag.title = "Moved with changes: review it";
    return flag;
  }

  function unhighlightAll() {
    document.querySelectorAll(".anno-review-flag").forEach(function (flag) { flag.remove(); });
    document.querySelectorAll("mark.anno").forEach(function (mark) {
      var parent = mark.parentNode;
      while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
      parent.removeChild(mark);
      parent.normalize();
    });
  }

  /* ---- the list beside the text ---- */

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Plain text with http(s) links made clickable, built node by node. */
  function linkified(text) {
    var frag = document.createDocumentFragment();
    var re = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
    var last = 0, m;
    while ((m = re.exec(text))) {
      frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", null, m[0]);
      a.href = m[0];
      a.rel = "nofollow noopener noreferrer";
      a.target = "_blank";
      frag.appendChild(a);
      last = m.index + m[0].length;
    }
    frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function button(label, cls, onClick) {
    var b = el("button", cls, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function renderItem(a) {
    var li = el("li", "anno-item" + (a.orphaned ? " anno-orphaned" : "") + (a.review ? " anno-under-review" : ""));
    li.id = "anno-" + a.id;
    li.tabIndex = -1;
    li.dataset.annoId = a.id;
    var meta = el("div", "anno-meta");
    meta.appendChild(el("span", "anno-author", a.author));
    meta.appendChild(el("time", "anno-date", a.created.slice(0, 10)));
    if (a.note !== null) meta.appendChild(el("span", "anno-on-note", "note " + a.note));
    meta.appendChild(el("span", "anno-visibility anno-" + a.visibility, a.visibility));
    li.appendChild(meta);
    if (a.orphaned) li.appendChild(el("p", "anno-orphan-note", "Orphaned: the quoted text was not found after the document changed."));
    if (a.review) {
      li.appendChild(el("p", "anno-review-note", "Needs review: the document changed and this annotation was moved onto text that differs from its quote."));
      var cmp = el("dl", "anno-compare");
      cmp.appendChild(el("dt", null, "Was"));
      cmp.appendChild(el("dd", "anno-previous", a.previous !== null ? a.previous : "(not known)"));
      cmp.appendChild(el("dt", null, "Now"));
      cmp.appendChild(el("dd", "anno-current", a.exact));
      li.appendChild(cmp);
    } else {
      li.appendChild(el("blockquote", "anno-quote", a.exact));
    }
    if (a.tags.length) {
      var tags = el("ul", "anno-tags");
      a.tags.forEach(function (t) {
        var item = el("li");
        var link = el("a", "anno-tag", t);
        link.href = (cfg.searchUrl || "/search") + "?q=" + encodeURIComponent("tag:" + t);
        item.appendChild(link);
        tags.appendChild(item);
      });
      li.appendChild(tags);
    }
    if (a.comment) {
      var c = el("p", "anno-comment");
      c.appendChild(linkified(a.comment));
      li.appendChild(c);
    }
    if (a.mine) {
      var actions = el("div", "anno-actions");
      actions.appendChild(button("Edit", "anno-edit", function (ev) { ev.stopPropagation(); openEditor(null, a); }));
      if (a.review) actions.appendChild(button("Accept", "anno-accept", function (ev) { ev.stopPropagation(); accept(a); }));
      if (a.orphaned || a.review) actions.appendChild(button("Re-place", "anno-replace", function (ev) { ev.stopPropagation(); startReplacing(a); }));
      actions.appendChild(button("Delete", "anno-delete", function (ev) { ev.stopPropagation(); remove(a); }));
      li.appendChild(actions);
    }
    li.addEventListener("click", function (ev) {
      if (ev.target.closest("a, button")) return;
      var mark = document.querySelector('mark.anno[data-anno-id="' + a.id + '"]');
      if (mark) { mark.scrollIntoView({ block: "center", behavior: "smooth" }); flash(mark); }
    });
    return li;
  }

  function flash(node) {
    node.classList.add("anno-flash");
    window.setTimeout(function () { node.classList.remove("anno-flash"); }, 1500);
  }

  /* Document order: the text first, then the notes in the order they are shown. */
  function noteOrder() {
    var order = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-anno-note]"), function (c, i) {
      var n = c.getAttribute("data-anno-note");
      if (!(n in order)) order[n] = i;
    });
    return order;
  }

  function render() {
    unhighlightAll();
    var order = noteOrder();
    var rank = function (a) { return a.note === null ? -1 : (a.note in order ? order[a.note] : 1e9); };
    state.annotations.sort(function (x, y) { return (rank(x) - rank(y)) || (x.start - y.start) || (x.end - y.end); });
    state.annotations.forEach(highlight);
    list.replaceChildren();
    var shown = state.annotations.filter(function (a) { return !cfg.note || a.note === cfg.note; });
    shown.forEach(function (a) { list.appendChild(renderItem(a)); });
    panel.querySelector(".anno-empty").hidden = shown.length > 0;
  }

  function say(message, isError) {
    statusLine.textContent = message;
    statusLine.classList.toggle("anno-error", !!isError);
  }

  /* ---- talking to the API ---- */

  function request(method, url, body) {
    var headers = { "Accept": "application/ld+json, application/json" };
    if (cfg.csrf) headers["X-CSRF-Token"] = cfg.csrf;
    if (body !== undefined) headers["Content-Type"] = "application/ld+json";
    return fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (resp) {
      if (resp.status === 204) return null;
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) throw new Error(data.message || ("HTTP " + resp.status));
        return data;
      });
    });
  }

  function load() {
    return request("GET", cfg.api + "?doc=" + encodeURIComponent(cfg.docId) + "&limit=1000").then(function (data) {
      var items = (data.first && data.first.items) || data.items || [];
      state.annotations = items.map(view);
      render();
      var m = /^#anno-(.+)$/.exec(window.location.hash);
      if (m) {
        var mark = document.querySelector('mark.anno[data-anno-id="' + CSS.escape(m[1]) + '"]');
        var item = document.getElementById("anno-" + m[1]);
        if (mark) { mark.scrollIntoView({ block: "center" }); flash(mark); }
        else if (item) item.scrollIntoView({ block: "center" });
      }
    }).catch(function (err) { say("Could not load annotations: " + err.message, true); });
  }

  function loadTags() {
    if (!cfg.tagsUrl) return;
    request("GET", cfg.tagsUrl).then(function (data) {
      var dl = document.getElementById("anno-tag-options");
      dl.replaceChildren();
      (data.tags || []).forEach(function (t) {
        var o = document.createElement("option");
        o.value = t.tag || t.value || t;
        dl.appendChild(o);
      });
    }).catch(function () { /* autocomplete is optional */ });
  }

  function payload(target, form) {
    var body = [];
    if (form.comment) body.push({ type: "TextualBody", purpose: "commenting", value: form.comment, format: "text/plain" });
    form.tags.forEach(function (t) { body.push({ type: "TextualBody", purpose: "tagging", value: t }); });
    var anno = {
      "@context": "http://www.w3.org/ns/anno.jsonld", type: "Annotation", body: body,
      "glossa:visibility": form.visibility
    };
    if (target) {
      anno.target = {
        source: target.note ? cfg.source + "/fn/" + encodeURIComponent(target.note) : cfg.source,
        selector: [
          { type: "TextQuoteSelector", exact: target.exact, prefix: target.prefix, suffix: target.suffix },
          { type: "TextPositionSelector", start: target.start, end: target.end }
        ]
      };
    }
    return anno;
  }

  /* ---- the editor (tags with autocomplete, comment, visibility) ---- */

  var tagInput = editor.querySelector("[name=tag]");
  var chips = editor.querySelector(".anno-chips");

  function chipValues() {
    return Array.prototype.map.call(chips.querySelectorAll(".anno-chip"), function (c) { return c.dataset.tag; });
  }

  /* A tag as the server accepts it: letters or digits first, then letters, digits and
     "_-:./"; spaces and other characters become "-" (shown as typed), at most 40 long. */
  function normaliseTag(tag) {
    return String(tag).normalize("NFC").trim().replace(/^#+/, "")
      .replace(/[^\p{L}\p{N}_\-:./]+/gu, "-").replace(/-{2,}/g, "-")
      .replace(/^[^\p{L}\p{N}]+/u, "").replace(/-+$/, "").slice(0, 40);
  }

  function addChip(tag) {
    tag = normaliseTag(tag);
    if (!tag || chipValues().indexOf(tag) !== -1) return;
    var chip = el("span", "anno-chip", tag);
    chip.dataset.tag = tag;
    chip.appendChild(button("\u00d7", "anno-chip-remove", function () { chip.remove(); }));
    chips.appendChild(chip);
  }

  /* ---- drafts: a half-written annotation survives another selection and a reload ----
     sessionStorage, one entry per document and target (or annotation being edited). */
  var DRAFTS = "glossa-drafts:" + cfg.docId;

  function draftKey(target, anno) {
    if (anno) return "anno:" + anno.id;
    if (!target) return "";
    return (target.note ? "note:" + target.note + ":" : "") + target.start + "-" + target.end;
  }

  function readDrafts() {
    try { return JSON.parse(window.sessionStorage.getItem(DRAFTS) || "{}") || {}; } catch (e) { return {}; }
  }

  function writeDrafts(drafts) {
    try { window.sessionStorage.setItem(DRAFTS, JSON.stringify(drafts)); } catch (e) { /* storage full or off */ }
  }

  function keepDraft() {
    var ed = state.editing;
    if (!ed) return;
    var key = draftKey(ed.target, ed.anno);
    if (!key) return;
    var drafts = readDrafts();
    var form = {
      tags: chipValues(), pending: tagInput.value, comment: editor.querySelector("[name=comment]").value,
      visibility: editor.querySelector("[name=visibility]").value, target: ed.target, annoId: ed.anno ? ed.anno.id : null
    };
    if (form.tags.length || form.pending.trim() || form.comment.trim()) drafts[key] = form;
    else delete drafts[key];
    drafts._open = key;
    writeDrafts(drafts);
  }

  function dropDraft(ed) {
    var drafts = readDrafts();
    delete drafts[draftKey(ed.target, ed.anno)];
    delete drafts._open;
    writeDrafts(drafts);
  }

  function openEditor(target, anno, focus) {
    keepDraft();
    state.editing = { target: target, anno: anno };
    var draft = readDrafts()[draftKey(target, anno)];
    chips.replaceChildren();
    tagInput.value = draft ? draft.pending || "" : "";
    editor.querySelector("[name=comment]").value = draft ? draft.comment : (anno ? anno.comment : "");
    editor.querySelector("[name=visibility]").value = draft ? draft.visibility
      : (anno ? anno.visibility : (cfg.defaultVisibility || "private"));
    (draft ? draft.tags : (anno ? anno.tags : [])).forEach(addChip);
    if (draft) say("Your unsaved draft of this annotation is restored.");
    keepDraft();
    editor.querySelector(".anno-editor-quote").textContent = target ? target.exact : (anno ? anno.exact : "");
    editor.hidden = false;
    hideToolbar();
    if (focus !== "none") (focus === "comment" ? editor.querySelector("[name=comment]") : tagInput).focus();
  }

  function closeEditor() {
    if (state.editing) dropDraft(state.editing);
    editor.hidden = true;
    state.editing = null;
  }

  /* Reopen the editor a reload interrupted. */
  function restoreDraft() {
    var drafts = readDrafts();
    var draft = drafts[drafts._open];
    if (!draft || cfg.canAnnotate !== "true") return;
    var anno = null;
    if (draft.annoId) {
      anno = state.annotations.filter(function (a) { return a.id === draft.annoId; })[0] || null;
      if (!anno) return;
    }
    openEditor(anno ? null : draft.target, anno, "none");
  }

  function save() {
    var ed = state.editing;
    if (!ed) return;
    if (tagInput.value.trim()) addChip(tagInput.value);
    var form = {
      tags: chipValues(), comment: editor.querySelector("[name=comment]").value.trim(),
      visibility: editor.querySelector("[name=visibility]").value
    };
    var done = ed.anno
      ? request("PATCH", cfg.api + "/" + encodeURIComponent(ed.anno.id), payload(ed.target, form))
      : request("POST", cfg.api, payload(ed.target, form));
    done.then(function () {
      dropDraft(ed);
      if (state.editing === ed) closeEditor();
      say(ed.anno ? "Annotation updated." : "Annotation saved.");
      window.getSelection().removeAllRanges();
      loadTags();
      return load();
    }).catch(function (err) { say("Not saved: " + err.message, true); });
  }

  function remove(a) {
    if (!window.confirm("Delete this annotation?")) return;
    request("DELETE", cfg.api + "/" + encodeURIComponent(a.id)).then(function () {
      say("Annotation deleted.");
      return load();
    }).catch(function (err) { say("Not deleted: " + err.message, true); });
  }

  function accept(a) {
    request("POST", cfg.api + "/" + encodeURIComponent(a.id) + "/accept").then(function () {
      say("Accepted: the annotation stays on the text it was moved onto.");
      return load();
    }).then(function () {
      var item = document.getElementById("anno-" + a.id);
      if (item) item.focus();
    }).catch(function (err) { say("Not accepted: " + err.message, true); });
  }

  function startReplacing(a) {
    state.replacing = a;
    say("Select the new place of this annotation in the text, then press \u201cPlace here\u201d.");
  }

  function place(target) {
    var a = state.replacing;
    state.replacing = null;
    hideToolbar();
    var body = payload(target, { tags: a.tags, comment: a.comment, visibility: a.visibility });
    request("PATCH", cfg.api + "/" + encodeURIComponent(a.id), body).then(function () {
      say("Annotation re-placed.");
      window.getSelection().removeAllRanges();
      return load();
    }).catch(function (err) { say("Not re-placed: " + err.message, true); });
  }

  /* ---- the selection toolbar ---- */

  function hideToolbar() { toolbar.hidden = true; }

  function showToolbar(target) {
    state.selection = target;
    toolbar.replaceChildren();
    if (state.replacing) {
      toolbar.appendChild(shortcutButton("Place here", "p", "anno-place", function () { place(state.selection); }));
    } else {
      toolbar.appendChild(shortcutButton("Tag", "t", "anno-tag-btn", function () { openEditor(state.selection, null, "tag"); }));
      toolbar.appendChild(shortcutButton("Comment", "a", "anno-comment-btn", function () { openEditor(state.selection, null, "comment"); }));
    }
    var range = window.getSelection().getRangeAt(0);
    // Right after the selected passage in the document, so Tab from the selection reaches it.
    var node = range.endContainer.nodeType === 1 ? range.endContainer : range.endContainer.parentElement;
    var host = node.closest(".passage, .note, [data-anno-note]") || node;
    var anchor = host.closest("li.note") || host;
    if (anchor.closest(".popover")) {
      // a popover goes away: the toolbar follows its note in the list (or the page's end)
      var original = containers(state.selection.note || "")[0];
      anchor = original ? (original.closest("li.note") || original) : null;
    }
    if (anchor === null) document.body.appendChild(toolbar);
    else if (anchor.nextSibling !== toolbar) anchor.parentNode.insertBefore(toolbar, anchor.nextSibling);
    toolbar.hidden = false;
    var rect = range.getBoundingClientRect();
    var parent = toolbar.offsetParent || document.body;
    var base = parent.getBoundingClientRect();
    toolbar.style.top = (rect.top - base.top + parent.scrollTop - toolbar.offsetHeight - 6) + "px";
    toolbar.style.left = (rect.left - base.left + parent.scrollLeft) + "px";
  }

  function shortcutButton(label, key, cls, onClick) {
    var b = button(label + " ", cls, onClick);
    b.setAttribute("aria-keyshortcuts", key);
    b.title = label + " (shortcut: " + key + ")";
    b.appendChild(el("kbd", null, key));
    return b;
  }

  function isTyping(node) {
    if (!node) return false;
    var tag = node.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || node.isContentEditable;
  }

  /* After a selection: "a" (or "c") comments, "t" (or "h") tags, "p" places, Escape hides. */
  function onShortcut(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(document.activeElement)) return;
    if (toolbar.hidden || !state.selection) return;
    var key = ev.key.toLowerCase();
    if (key === "escape") { hideToolbar(); return; }
    if (state.replacing) {
      if (key === "p") { ev.preventDefault(); place(state.selection); }
      return;
    }
    if (key === "a" || key === "c") { ev.preventDefault(); openEditor(state.selection, null, "comment"); }
    else if (key === "t" || key === "h") { ev.preventDefault(); openEditor(state.selection, null, "tag"); }
  }

  var selectTimer = null;

  /* A selection made with the keyboard, by script or by assistive technology. */
  function onSelectionChange() {
    window.clearTimeout(selectTimer);
    selectTimer = window.setTimeout(function () {
      var active = document.activeElement;
      if (active && (panel.contains(active) || toolbar.contains(active))) return;
      var target = selectionTarget();
      if (target) {
        if (!state.selection || toolbar.hidden || target.start !== state.selection.start ||
            target.end !== state.selection.end || target.note !== state.selection.note) showToolbar(target);
      } else if (!toolbar.contains(active)) hideToolbar();
    }, 150);
  }

  function onSelect(ev) {
    if (toolbar.contains(ev.target) || panel.contains(ev.target)) return;
    window.setTimeout(function () {
      var target = selectionTarget();
      if (target) showToolbar(target); else hideToolbar();
    }, 0);
  }

  function init() {
    toolbar.className = "anno-toolbar";
    toolbar.hidden = true;
    toolbar.setAttribute("role", "toolbar");
    document.body.appendChild(toolbar);
    if (cfg.canAnnotate === "true") {
      document.addEventListener("mouseup", onSelect);
      document.addEventListener("keyup", function (ev) { if (ev.shiftKey || ev.key === "Shift") onSelect(ev); });
      document.addEventListener("selectionchange", onSelectionChange);
      document.addEventListener("keydown", onShortcut);
    }
    // Enter adds the typed tag; Enter on an empty tag field saves; spaces show as "-" at once.
    tagInput.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !tagInput.value.trim()) { ev.preventDefault(); save(); return; }
      if (ev.key === "Enter" || ev.key === ",") { ev.preventDefault(); addChip(tagInput.value); tagInput.value = ""; keepDraft(); }
    });
    tagInput.addEventListener("input", function () {
      var v = tagInput.value;
      var shown = v.replace(/\s+/g, "-").replace(/-{2,}/g, "-").replace(/^-+/, "");
      if (shown !== v) tagInput.value = shown;
      keepDraft();
    });
    editor.querySelector("[name=comment]").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); save(); }
    });
    editor.addEventListener("input", keepDraft);
    editor.addEventListener("change", keepDraft);
    chips.addEventListener("click", function () { window.setTimeout(keepDraft, 0); });
    editor.addEventListener("submit", function (ev) { ev.preventDefault(); save(); });
    editor.querySelector(".anno-cancel").addEventListener("click", closeEditor);
    document.addEventListener("click", function (ev) {
      var flag = ev.target.closest ? ev.target.closest(".anno-review-flag") : null;
      if (flag) {
        var entry = document.getElementById("anno-" + flag.dataset.annoId);
        if (entry) {
          entry.scrollIntoView({ block: "nearest" });
          flash(entry);
          var next = entry.querySelector(".anno-accept, .anno-replace") || entry;
          next.focus();
        }
        return;
      }
      var mark = ev.target.closest ? ev.target.closest("mark.anno") : null;
      if (!mark) return;
      var item = document.getElementById("anno-" + mark.dataset.annoId);
      if (item) { item.scrollIntoView({ block: "nearest", behavior: "smooth" }); flash(item); }
    });
    loadTags();
    load().then(restoreDraft);
  }

  init();
})();
