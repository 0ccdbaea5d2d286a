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
    "td": 0,
    "th": 0,
}


def _text(el) -> str:
    return clean.collapse_spaces(el.text_content())


def _prepare(tree) -> list[tuple[str, str]]:
    """Drop scripts and similar; turn <sup>N</sup> into ``[^N]``; pull footnote bodies out."""
    for el in list(tree.iter(*_NOISE_TAGS)):
        el.drop_tree()
    for el in list(tree.iter(lxml.etree.Comment)):
        el.drop_tree()
    notes: list[tuple[str, str]] = []
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
    for sup in list(tree.iter("sup")):
        label = sup.text_content().strip().strip("[]")
        if re.fullmatch(r"\d{1,4}|[*†‡]", label) and sup.getparent() is not None:
            for child in list(sup):
                sup.remove(child)
            sup.text, sup.tag = f"[^{label}]", "span"
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
    for el in (main if main is not None else root).iter("head", "p", "item", "quote", "row", "code"):
        text = clean.collapse_spaces("".join(el.itertext()))
        if el.tag == "p" and el.getparent() is not None and el.getparent().tag in ("item", "quote", "cell"):
            continue
        if el.tag == "head":
            level = int((el.get("rend") or "h2").lstrip("h") or 2) if (el.get("rend") or "").startswith("h") else 2
            out.append(("heading", level, text))
        elif el.tag == "item":
            out.append(("item", 0, text))
        else:
            out.append(("paragraph", 0, text))
    return out


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
        out.append((kind, level, _text(el)))
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
    page_title, from_h1 = _title(tree)
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
    if from_h1 and parsed.blocks and page_title not in [b.text for b in parsed.blocks[:3]]:
        parsed.blocks.insert(0, Block(text=page_title, kind="heading", level=1))  # trafilatura took it as metadata
    parsed.title = page_title or next((clean.short_title(b.text) for b in parsed.blocks), "")
    return parsed
