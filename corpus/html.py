"""HTML to blocks: main content via trafilatura, lxml text as a fallback; footnotes kept apart."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
import trafilatura

from . import clean
from .builder import Block
from .footnotes import decode_marks, encode_marks, make_footnotes, strip_sentinels

_NOISE_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "embed")
_CHROME_TAGS = ("nav", "header", "footer", "aside", "form", "button", "select")
_CHROME_HINT = re.compile(
    r"comment|share|social|cookie|newsletter|sidebar|related|promo|advert|breadcrumb|menu", re.IGNORECASE
)
_NOTE_ID = re.compile(r"^_?(?:fn|ftn|edn|footnote|note|endnote)[-_:]?(\d+)$", re.IGNORECASE)
_NOTE_AREA = re.compile(r"footnote|endnote", re.IGNORECASE)
_NOTE_PARA = re.compile(r"^\s*\[\^(\w{1,6})\]:?\s*(.*)$", re.DOTALL)
_BLOCK_TAGS = {
    "h1": 1,
    "h2": 2,
    "h3": 3,
    "h4": 4,
    "h5": 5,
    "h6": 6,
    "p": 0,
    "li": 0,
    "blockquote": 0,
    "pre": 0,
    "figcaption": 0,
    "dd": 0,
    "dt": 0,
    "tr": 0,
    "td": 0,
    "th": 0,
}


_SPACED = {
    "br",
    "td",
    "th",
    "tr",
    "li",
    "p",
    "div",
    "dd",
    "dt",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
}


def _text(el) -> str:
    """The element's text; line breaks, cells, items and blocks inside it stay apart ("1 Kyle Busch 50")."""
    parts: list[str] = []

    def visit(node) -> None:
        if not isinstance(node.tag, str):
            return
        spaced = node.tag in _SPACED
        if spaced:
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            visit(child)
            parts.append(child.tail or "")
        if spaced:
            parts.append(" ")

    visit(el)
    return clean.collapse_spaces("".join(parts))


def _prepare(tree) -> list[tuple[str, str]]:
    """Drop scripts and similar; turn <sup>N</sup> into ``[^N]``; pull footnote bodies out."""
    for el in list(tree.iter(*_NOISE_TAGS)):
        el.drop_tree()
    for el in list(tree.iter(lxml.etree.Comment)):
        el.drop_tree()
    for el in list(tree.xpath("//*[contains(@class, 'editsection')]")):
        el.drop_tree()  # MediaWiki's "[edit]" links beside every heading
    notes: list[tuple[str, str]] = _cite_notes(tree)
    for el in list(tree.iter("li", "div", "p", "aside", "section")):
        if el.getparent() is None:
            continue
        m = _NOTE_ID.match(el.get("id") or "")
        if m and el.tag != "section":
            for back in el.xpath(".//a[starts-with(@href, '#')]"):
                if back.text_content().strip() in ("↩", "↑", "^", "↩︎", "back") or "ref" in (back.get("href") or ""):
                    back.drop_tree()
            for sup in el.iter("sup"):
                if sup.text_content().strip() == m.group(1):
                    sup.drop_tree()
                    break
            notes.append((m.group(1), _text(el)))
            el.drop_tree()
    handled: set = set()
    for el in list(tree.iter("section", "div", "ol")):
        if el.getparent() is None or any(a in handled for a in el.iterancestors()):
            continue
        if _NOTE_AREA.search(f"{el.get('class', '')} {el.get('id', '')}"):
            handled.add(el)
            items = el.xpath(".//li")
            for i, li in enumerate(items, 1):
                notes.append((str(i), _text(li).rstrip("↩ ").strip()))
            if items or not _text(el):
                el.drop_tree()
    numbers = {n for n, _ in notes}
    for sup in list(tree.iter("sup")):
        label = sup.text_content().strip().strip("[]")
        linked = bool(sup.xpath(".//a[starts-with(@href, '#')] | ancestor::a[starts-with(@href, '#')]"))
        if not (linked or label in numbers):
            continue  # "km<sup>2</sup>", "10<sup>6</sup>": an exponent, not a note mark
        if re.fullmatch(r"\d{1,4}|[*†‡]", label) and sup.getparent() is not None:
            for child in list(sup):
                sup.remove(child)
            sup.text, sup.tag = f"[^{label}]", "span"
    return notes


_REFS_HEADING = re.compile(r"^\s*(?:references?|notes?|footnotes?|citations?|sources?|notes and references)\s*$", re.I)


def _cite_notes(tree) -> list[tuple[str, str]]:
    """MediaWiki-style reference lists (``<li id="cite_note-N">``) as notes; their marks as ``[^N]``.

    A note's number is the label its first mark shows in the text ("[5]", "[a]", "[note 1]"), else
    its position in the list; the back-links ("^", "^ a b") are dropped; the emptied list, and a
    "References" heading standing right before it, leave the text.
    """
    items = tree.xpath("//li[starts-with(@id, 'cite_note')]")
    if not items:
        return []
    labels: dict[str, str] = {}
    for link in tree.xpath("//a[starts-with(@href, '#cite_note')]"):
        if link.xpath("ancestor::li[starts-with(@id, 'cite_note')]"):
            continue
        label = re.sub(r"\s+", "", link.text_content()).strip("[]")
        if label and len(label) <= 12:
            labels.setdefault(link.get("href")[1:], label)
    positions = {}
    for li in items:
        siblings = [c for c in li.getparent() if isinstance(c.tag, str) and c.tag == "li"]
        positions[li] = siblings.index(li) + 1
    notes: list[tuple[str, str]] = []
    lists = []
    for li in items:
        parent = li.getparent()
        number = labels.get(li.get("id"), str(positions[li]))
        for back in li.xpath(".//*[contains(@class, 'cite-backlink')] | .//a[starts-with(@href, '#cite_ref')]"):
            if back.getparent() is not None:
                back.drop_tree()
        body = li.xpath(".//*[contains(@class, 'reference-text')]")
        text = _text(body[0] if body else li)
        text = re.sub(r"^\s*\^(?:\s+[a-z]{1,2}\b)*\s*", "", text)
        if text:
            notes.append((number, text))
        if parent not in lists:
            lists.append(parent)
        li.drop_tree()
    for link in tree.xpath("//a[starts-with(@href, '#cite_note')]"):
        mark = labels.get(link.get("href")[1:])
        sup = next((a for a in link.iterancestors("sup")), None)
        if mark and sup is not None and sup.getparent() is not None:
            tail = sup.tail
            sup.clear()
            sup.tag, sup.text, sup.tail = "span", f"[^{mark}]", tail
    for ol in lists:
        box = ol
        while box.getparent() is not None and not _text(box.getparent()) and box.getparent().tag != "body":
            box = box.getparent()  # the empty wrapper (<div class="reflist">)
        before = box.getprevious()
        if before is not None and before.tag in ("h2", "h3", "h4") and _REFS_HEADING.match(_text(before)):
            before.drop_tree()
        if box.getparent() is not None and not _text(box):
            box.drop_tree()
    return notes


def _title(tree) -> tuple[str, bool]:
    """The page title: the main <h1>, else og:title, else <title> without a site suffix; and whether it is an h1."""
    for h1 in tree.xpath("//article//h1 | //main//h1") or tree.xpath("//h1"):
        text = _text(h1)
        if text:
            return text, True
    for path in ("//meta[@property='og:title']/@content", "//title"):
        found = tree.xpath(path)
        if found:
            value = clean.collapse_spaces(found[0] if isinstance(found[0], str) else found[0].text_content())
            head = re.split(r"\s+[|–—-]\s+", value)[0]
            if value:
                return (head if len(head.split()) >= 3 else value), False
    return "", False


def _from_trafilatura(markup: str) -> list[tuple[str, int, str]]:
    try:
        xml = trafilatura.extract(
            markup,
            output_format="xml",
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
        )
        root = lxml.etree.fromstring(xml.encode("utf-8")) if xml else None
    except (ValueError, TypeError, lxml.etree.LxmlError):
        return []
    if root is None:
        return []
    main = root.find("main")
    out: list[tuple[str, int, str]] = []
    _walk_xml(main if main is not None else root, out)
    return out


_XML_BLOCKS = {"head", "p", "item", "quote", "row", "code"}
_XML_CONTAINERS = {"main", "list", "table", "div", "section", "body", "doc", "figure"}


def _walk_xml(parent, out: list[tuple[str, int, str]]) -> None:
    """Emit trafilatura's blocks in order, with the text it leaves loose in a container or after a block.

    trafilatura puts a paragraph that follows a heading in the heading's tail (``<head>..</head>Text``)
    and may leave text directly in ``<main>``: both are paragraphs of the article (inline elements
    such as ``<hi>`` between them stay in the same paragraph).
    """
    loose: list[str] = [parent.text or ""]

    def flush() -> None:
        text = clean.collapse_spaces("".join(loose))
        if text:
            out.append(("paragraph", 0, text))
        loose.clear()

    for el in parent:
        if not isinstance(el.tag, str):
            loose.append(el.tail or "")
            continue
        if el.tag in _XML_BLOCKS:
            flush()
            text = _xml_text(el)
            if el.tag == "head":
                rend = el.get("rend") or ""
                level = int(rend[1:]) if re.fullmatch(r"h[1-6]", rend) else 2
                out.append(("heading", level, text))
            else:
                out.append(("item" if el.tag == "item" else "paragraph", 0, text))
        elif el.tag in _XML_CONTAINERS:
            flush()
            _walk_xml(el, out)
        else:  # inline: <hi>, <ref>, <lb/> inside loose text
            loose.append(" " if el.tag == "lb" else _xml_text(el))
        loose.append(el.tail or "")
    flush()


def _xml_text(el) -> str:
    """The text of one trafilatura block; table cells, nested items and line breaks stay apart."""
    parts: list[str] = []

    def visit(node, depth: int) -> None:
        if node.tag == "lb":
            parts.append(" ")
        elif node.tag == "cell" and depth:
            parts.append(" | ")
        elif node.tag in ("item", "p", "head", "list", "quote") and depth:
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                visit(child, depth + 1)
            parts.append(child.tail or "")

    if el.tag == "row":  # cells joined with a separator, empty ones left out
        cells = [_xml_text(c) for c in el if isinstance(c.tag, str)]
        return " | ".join(c for c in cells if c)
    visit(el, 0)
    return clean.collapse_spaces("".join(parts))


def _from_lxml(tree) -> list[tuple[str, int, str]]:
    for el in list(tree.iter(*_CHROME_TAGS)):
        el.drop_tree()
    for el in list(tree.iter()):
        hint = f"{el.get('class', '')} {el.get('id', '')}" if isinstance(el.tag, str) else ""
        if el.getparent() is not None and _CHROME_HINT.search(hint):
            el.drop_tree()
    out: list[tuple[str, int, str]] = []
    for el in tree.iter(*_BLOCK_TAGS):
        if any(a.tag in _BLOCK_TAGS for a in el.iterancestors()):
            continue
        level = _BLOCK_TAGS[el.tag]
        kind = "heading" if level else ("item" if el.tag == "li" else "paragraph")
        if el.tag == "tr":  # a table row: its cells kept apart
            text = " | ".join(t for t in (_text(c) for c in el if isinstance(c.tag, str)) if t)
        else:
            text = _text(el)
        out.append((kind, level, text))
    if not out:
        body = tree.find("body") if tree.find("body") is not None else tree
        chunks = re.split(r"\n\s*\n", body.text_content())
        out = [("paragraph", 0, clean.collapse_spaces(c)) for c in chunks]
    return out


def parse_html(source: str) -> clean.Parsed:
    """Parse an HTML page into blocks (main content only), footnotes and a title."""
    source = re.sub(r"^\s*<\?xml[^>]*\?>", "", clean.normalize_text(source))
    try:
        tree = lxml.html.document_fromstring(source)
    except (lxml.etree.ParserError, ValueError):
        return clean.Parsed()  # nothing parseable: the reader reports "no text found"
    page_title, _ = _title(tree)
    notes = _prepare(tree)
    markup = lxml.html.tostring(tree, encoding="unicode")
    items = _from_trafilatura(markup) or _from_lxml(lxml.html.document_fromstring(markup))
    parsed = clean.Parsed()
    for kind, level, raw in items:
        note = _NOTE_PARA.match(raw)
        if note and kind != "heading":
            notes.append((note.group(1), note.group(2)))
            continue
        if kind != "heading" and clean.is_boilerplate_line(raw):
            continue
        text, marks = decode_marks(clean.collapse_spaces(encode_marks(raw)))
        if kind == "paragraph" and clean.is_caption(text):
            kind = "caption"
        parsed.blocks.append(Block(text=text, kind=kind, level=level, marks=marks))
    kept = clean.strip_trailing_boilerplate([b.text for b in parsed.blocks])
    parsed.blocks = parsed.blocks[: len(kept)]
    parsed.footnotes = make_footnotes([(n, strip_sentinels(encode_marks(t)), None) for n, t in notes])
    parsed.title = page_title or next((clean.short_title(b.text) for b in parsed.blocks), "")
    return parsed
