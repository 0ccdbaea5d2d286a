"""Turn a stored document, its entities and footnote marks into safe HTML.

Every piece of document text is escaped with markupsafe; the only markup is what this
module writes. Inside a passage element, the text nodes that are not inside an element
carrying ``data-glossa-skip`` concatenate to exactly ``document.text[start:end]``: entity
spans and term marks wrap text, everything inserted (footnote marks, the visually hidden
entity kinds, passage links) sits inside a ``data-glossa-skip`` element.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from functools import lru_cache

from markupsafe import Markup, escape

from corpus.pdf_bibliography import is_heading as is_references_heading
from indexer.snippets import Highlighter

from .labels import label_name

# field prefixes whose values are not words of the text
_NON_TEXT_FIELDS = {"doc", "fn", "tag", "cites", "type", "page", "ordinal", "title"}
_TOKEN = re.compile(r'(?:(\w+):)?("([^"]*)"|[^\s()"]+)', re.UNICODE)
_WORD = re.compile(r"[\w*?]+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
_URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:]")


def safe_label(label: str) -> str:
    """An entity label reduced to characters safe in a CSS class."""
    return re.sub(r"[^A-Za-z0-9_]", "", label) or "OTHER"


def note_id(number: str | int) -> str:
    """The HTML id suffix of a footnote number ("*" -> "star")."""
    text = str(number)
    if text.isalnum():
        return text
    return "".join(c if c.isalnum() else "star" if c == "*" else "x" for c in text)


class QueryTerms(list):
    """The words of a query worth highlighting (a list, as before), with the highlighter
    the searcher built for the query when one was at hand (aliases, word forms, phrases)."""

    highlighter: Highlighter | None = None


def query_terms(query: str | None) -> QueryTerms:
    """Lower-cased words of a query worth highlighting (field values and operators left out);
    a quoted phrase of several words is one item, ``'"border procedure"'``.

    Inside a request, the list carries the searcher's highlighter for the query, so the
    reader marks exactly what the search matched (and its snippets show).
    """
    terms = QueryTerms()
    for m in _TOKEN.finditer(query or ""):
        field, value = (m.group(1) or "").lower(), m.group(3) if m.group(3) is not None else m.group(2)
        if field in _NON_TEXT_FIELDS or value in _OPERATORS:
            continue
        words = [w.strip("?").lower() for w in _WORD.findall(value)]
        words = [w for w in words if w.lstrip("-") and len(w.rstrip("*")) >= 2]
        if not field and m.group(3) is not None and len(words) > 1:
            phrase = '"' + " ".join(words) + '"'
            if phrase not in terms:
                terms.append(phrase)
            continue
        for word in words:
            if word not in terms:
                terms.append(word)
    terms.highlighter = _search_highlighter(query) if terms else None
    return terms


def _search_highlighter(query: str | None) -> Highlighter | None:
    """The app searcher's highlighter for ``query`` inside a request, else None."""
    from flask import has_app_context

    if not query or not has_app_context():
        return None
    from indexer.search import QueryError

    from . import entity_corrections, services

    try:
        found = entity_corrections.ruled(services.get_searcher()).highlighter(query)
    except (QueryError, KeyError, RuntimeError, AttributeError):
        return None
    return found if isinstance(found, Highlighter) else None


def term_ranges(text: str, terms: Sequence[str], offset: int = 0) -> list[tuple[int, int]]:
    """Spans (shifted by ``offset``) of ``text`` the query matches, marked by the index's analyzer
    (the highlighter of search snippets): a phrase where its words stand in a row, a word
    where its indexed form is one the query searched."""
    highlighter = getattr(terms, "highlighter", None) or _words_highlighter(tuple(terms))
    return [(a + offset, b + offset) for a, b in highlighter.spans(text)]


@lru_cache(maxsize=256)
def _words_highlighter(terms: tuple[str, ...]) -> Highlighter:
    return Highlighter.from_words(terms)


def _clip_entities(entities: Iterable, start: int, end: int) -> list:
    """Entities inside [start, end), sorted, overlaps dropped (first and longest wins)."""
    chosen, last_end = [], start
    for ent in sorted(entities, key=lambda e: (e.start, -(e.end - e.start))):
        if ent.start >= last_end and ent.end <= end and ent.end > ent.start:
            chosen.append(ent)
            last_end = ent.end
    return chosen


def linkify(text: str) -> Markup:
    """Escape text, turning http(s) URLs into links."""
    out, pos = [], 0
    for m in _URL.finditer(text):
        out.append(escape(text[pos : m.start()]))
        url = m.group(0)
        out.append(Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(url))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _attr(value) -> str:
    """A value escaped for a double-quoted attribute (or text)."""
    return str(escape(value))


def entity_open(ent, focus: str | None = None) -> str:
    """The opening tag of an entity span (its kind readable in the title, not only by colour)."""
    label = safe_label(ent.label)
    canonical = _attr(ent.canonical or ent.text)
    focused = " ent-focus" if focus and focus == f"{ent.label}:{ent.canonical or ent.text}" else ""
    return (
        f'<span class="ent ent-{label}{focused}" data-label="{label}" data-canonical="{canonical}" '
        f'title="{_attr(label_name(ent.label))}: {canonical}">'
    )


def entity_close(ent) -> str:
    """The end of an entity span, then its kind as visually hidden text for screen readers
    (inside a ``data-glossa-skip`` element, so it is not part of the document text)."""
    label = safe_label(ent.label)
    return (
        f'</span><span class="vh ent-type ent-type-{label}" data-glossa-skip> ({_attr(label_name(ent.label))})</span>'
    )


def footnote_ref(number: str, occurrence: int, preview: str) -> str:
    """The inserted superscript link of one footnote mark (skipped by the offset mapping)."""
    nid = _attr(note_id(number))
    return (
        f'<sup class="fnref" data-glossa-skip><a href="#fn-{nid}" id="fnref-{nid}-{occurrence}" '
        f'aria-describedby="fn-{nid}" data-note="{nid}" title="{_attr(preview)}">{_attr(number)}</a></sup>'
    )


def render_span(
    text: str,
    start: int,
    end: int,
    entities: Iterable = (),
    marks: Iterable = (),
    terms: Sequence[str] = (),
    notes: dict[str, str] | None = None,
    counters: dict[str, int] | None = None,
    focus: str | None = None,
) -> Markup:
    """HTML of ``text[start:end]`` with entity spans, term marks and footnote references.

    ``marks`` are FootnoteMark-like (number, offset); ``notes`` maps a number to its note
    text (for the title preview); ``counters`` numbers each reference of a note across calls.
    """
    notes = notes or {}
    counters = counters if counters is not None else {}
    ents = _clip_entities(entities, start, end)
    hits = term_ranges(text[start:end], terms, start)
    fn_at: dict[int, list[str]] = {}
    for mark in marks:
        if start <= mark.offset <= end:
            fn_at.setdefault(mark.offset, []).append(mark.number)
    cuts = {start, end, *fn_at}
    for a, b in [(e.start, e.end) for e in ents] + hits:
        cuts.update((a, b))
    points = sorted(p for p in cuts if start <= p <= end)
    ent_starts = {e.start: e for e in ents}
    hit_starts = [a for a, _ in hits]
    out: list[str] = []
    open_ent = None
    for i, pos in enumerate(points):
        if open_ent is not None and open_ent.end == pos:
            out.append(entity_close(open_ent))
            open_ent = None
        for number in fn_at.get(pos, ()):
            counters[number] = counters.get(number, 0) + 1
            preview = " ".join(notes.get(number, "").split())
            preview = preview[:280] + ("…" if len(preview) > 280 else "")
            out.append(footnote_ref(number, counters[number], preview))
        if pos == end:
            break
        if pos in ent_starts:
            open_ent = ent_starts[pos]
            out.append(entity_open(open_ent, focus))
        nxt = points[i + 1]
        segment = str(escape(text[pos:nxt]))
        if hits:
            j = bisect_left(hit_starts, pos + 1) - 1
            if j >= 0 and hits[j][0] <= pos and hits[j][1] >= nxt:
                segment = f'<mark class="term">{segment}</mark>'
        out.append(segment)
    if open_ent is not None:
        out.append(entity_close(open_ent))
    return Markup("".join(out))


def _by_passage(items: Sequence, passages: Sequence, key) -> list[list]:
    """Split offset-sorted items over passages (by their start offset)."""
    items = sorted(items, key=key)
    keys = [key(i) for i in items]
    return [items[bisect_left(keys, p.start) : bisect_left(keys, p.end + 1)] for p in passages]


def render_passages(
    document, entities: Sequence = (), terms: Sequence[str] = (), focus: str | None = None
) -> list[Markup]:
    """One HTML element per passage: ``<p id="p-N" class="passage" data-start data-end>``, the
    first passage of each page preceded by its page marker (:func:`page_marker`)."""
    notes = {n.number: n.text for n in document.footnotes}
    counters: dict[str, int] = {}
    ents = _by_passage(entities, document.passages, key=lambda e: e.start)
    marks = _by_passage(document.marks, document.passages, key=lambda m: m.offset)
    out = []
    page = None
    prev_kind = None
    for passage, p_ents, p_marks in zip(document.passages, ents, marks, strict=False):
        marker = page_marker(passage.page) if passage.page and passage.page != page else Markup("")
        page = passage.page or page
        if passage.kind == "reference" and prev_kind not in ("reference", "references-heading"):
            marker += references_marker()  # a reference list found by its shape, with no heading of its own
        prev_kind = passage.kind
        if passage.kind == "heading" and is_references_heading(document.text[passage.start : passage.end]):
            prev_kind = "references-heading"
        inner = render_span(document.text, passage.start, passage.end, p_ents, p_marks, terms, notes, counters, focus)
        if passage.kind == "heading":
            tag, kind = f"h{min(max(passage.level, 1) + 1, 6)}", "heading"
        else:
            tag, kind = "p", passage.kind if passage.kind in ("item", "caption", "reference") else "paragraph"
        out.append(
            Markup(
                '{7}<{0} id="p-{1}" class="passage {2}" data-start="{3}" data-end="{4}"{5}>{6}'
                '<a class="plink" href="#p-{1}" data-glossa-skip aria-label="Link to passage {1}">¶</a></{0}>'
            ).format(
                tag,
                passage.ordinal,
                kind,
                passage.start,
                passage.end,
                Markup(' data-page="{}"').format(passage.page) if passage.page else "",
                inner,
                marker,
            )
        )
    return out


def references_marker() -> Markup:
    """The "References" heading shown before a reference list that has none in the text
    (outside every passage element, like the page markers)."""
    return Markup('<h2 class="references-heading" data-glossa-skip>References</h2>')


def page_marker(page: int) -> Markup:
    """The boundary before the first passage of a page: "p. 6", the target of ``#page-6``
    (outside every passage element, so the passages' text and offsets are untouched)."""
    return Markup('<div class="page-mark" id="page-{0}" data-glossa-skip><span>p. {0}</span></div>').format(page)


def note_backrefs(document) -> dict[str, list[tuple[str, int]]]:
    """For each note number, the (anchor id, passage ordinal) of every place citing it."""
    refs: dict[str, list[tuple[str, int]]] = {}
    for mark in sorted(document.marks, key=lambda m: m.offset):
        seen = refs.setdefault(mark.number, [])
        seen.append((f"fnref-{note_id(mark.number)}-{len(seen) + 1}", mark.passage))
    return refs


def citing_sentence(text: str, start: int, end: int, offset: int) -> tuple[int, int]:
    """The span of the sentence of ``text[start:end]`` that a footnote mark at ``offset`` ends or sits in
    (the one implementation is ``presenters.sentence_span``, shared with the API and ``glossa cite``)."""
    from .presenters import sentence_span

    s, e = sentence_span(text[start:end], min(max(offset - start, 0), end - start))
    return start + s, start + e


def sentence_with_mark(text: str, start: int, end: int, offset: int, number: str) -> Markup:
    """``text[start:end]`` escaped, with the footnote number shown where its mark stood."""
    at = min(max(offset, start), end)
    return Markup('{}<sup class="fnref-here">{}</sup>{}').format(text[start:at], number, text[at:end])


#: characters a URL path segment keeps as they are (werkzeug's converters quote the same way)
PATH_SAFE = "!$&'()*+,/:;=@"


class DocumentLinks:
    """Links into the reader for the documents a page lists, each route built once per
    document (``url_for`` is the costly part of a page of results): the document (with the
    query ``q`` to mark, when given), a passage of it, and a footnote page."""

    def __init__(self, q: str | None = None) -> None:
        self.q = q or None
        self._docs: dict[str, tuple[str, str]] = {}

    def _doc(self, doc_id: str) -> tuple[str, str]:
        found = self._docs.get(doc_id)
        if found is None:
            from flask import url_for

            note = url_for("reader.footnote", doc_id=doc_id, number="0")[:-1]
            found = self._docs[doc_id] = (url_for("reader.document", doc_id=doc_id, q=self.q), note)
        return found

    def document(self, doc_id: str) -> str:
        """The reader's page of the document."""
        return self._doc(doc_id)[0]

    def passage(self, doc_id: str, ordinal: int | str) -> str:
        """A passage in the reader."""
        return f"{self._doc(doc_id)[0]}#p-{ordinal}"

    def note(self, doc_id: str, number: str | int) -> str:
        """A footnote's page."""
        from urllib.parse import quote

        return self._doc(doc_id)[1] + quote(str(number), safe=PATH_SAFE)
