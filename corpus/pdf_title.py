"""A PDF's title: the metadata title when it is one, else the first page's typography.

A metadata title is accepted when it is not junk (a file name, a number or DOI, a journal
issue line, a running head repeated on the pages) and its words are printed on the first
page. Otherwise the title is built from the first page with text: the first block (lines of
one size, close together) in the largest type above the body size that is not made only of
running heads or journal names, with the next block in smaller but still above-body type (a
subtitle) appended; lines that are journal, issue, volume, DOI, ISSN, URL or date lines are
never part of it. A title set in body-size (or smaller) capitals or bold at the top of the
page is taken when there is no larger type. A parallel title after `` | `` is left out.

A journal issue may come before the article: a cover (a few lines naming the journal and the
issue), a masthead (the editorial board in small type), a table of contents (lines ending in
page numbers). When the first page is such front matter, the title is read from the first
page after it that starts an article (an author line, or an abstract, summary, keywords or
introduction heading, near its top).
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import median

from .pdf_layout import PAGE_NUMBER, Line, Page

JUNK_TITLE = re.compile(
    r"^(untitled|microsoft word - .*|.*\.(docx?|odt|pdf|tex|rtf|indd|qxd|qxp|p65|pm\d|fm|eps|ai|dvi|ps)|"
    r"[\d\s._/-]+|(doi:?\s*)?10\.\d+/\S+|.*\$.*|cover\b.*)$",
    re.I,
)
#: a line that is page furniture, never part of a title: identifiers, links, dates of the process
FURNITURE = re.compile(
    r"https?://|www\.|\bdoi\b|\bissn\b|\bisbn\b|orcid|@|©|^copyright\W*(\(c\)|\d{4}|:)|"
    r"^(received|accepted|published|submitted|revised)\b",
    re.I,
)
YEAR = re.compile(r"\b(1[6-9]|20)\d\d\b")
#: volume / issue / page words of a journal issue line ("2024, t. 1, nr 2", "Vol. 3 No. 1")
ISSUE_WORD = re.compile(
    r"\b(vol|volume|tom|t|nr|no|n|num|issue|heft|bd|band|jg|jahrgang|pp|s|p|anno|fasc|rok)\b\.?\s*\d",
    re.I,
)
#: the numbering of a section heading ("1.", "I.", "A)")
SECTION_NUMBER = re.compile(r"^(\d{1,2}|[IVX]{1,4}|[A-H])[.)]\s")
#: a line of a table of contents: it ends with a page number ("... p. 45", "Title ....... 12")
TOC_LINE = re.compile(r"(?:(?:\.\s?){3,}|…)\s*\d{1,4}\s*$|(?:^|\s)p(?:p|ag)?\.\s*\d{1,4}\s*$", re.I)
TOC_HEADING = re.compile(
    r"^\s*(?:table\s+of\s+)?contents?\b|^\s*(?:indice|sommario|inhalt(?:sverzeichnis)?|sommaire|spis\s+treści|índice)\b",
    re.I,
)
#: a heading or lead-in that starts an article's text
ARTICLE_START = re.compile(
    r"^\s*(?:\d+\.?\s*)?(?:abstract|summary|keywords?|key\s+words|introduction|zusammenfassung|einleitung|"
    r"résumé|riassunto|sommario|resumen|resumo|streszczenie|sumário)\b",
    re.I,
)
#: lower-case words an author line may hold between names
NAME_PARTICLES = {"and", "und", "et", "y", "e", "de", "la", "le", "van", "von", "der", "den", "dos", "da", "di", "del"}


def norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())


def is_issue_line(text: str) -> bool:
    """A journal issue/volume line: a year and a volume, issue or page number."""
    if not YEAR.search(text) or len([w for w in re.findall(r"\b[a-z]{4,}", text)]) >= 3:
        return False  # no year, or running prose ("Law No. 5 of 2019 on the protection of data")
    return bool(ISSUE_WORD.search(text)) or len(re.findall(r"\d+", text)) >= 2 and len(_words(text)) <= 6


def is_furniture(text: str) -> bool:
    return bool(FURNITURE.search(text)) or is_issue_line(text) or bool(PAGE_NUMBER.match(text.strip()))


def is_author_line(text: str) -> bool:
    """Names only: every word capitalised or an initial, apart from particles ("and", "von")."""
    tokens = re.findall(r"[^\W\d_][^\s,;&*†+]*", text)
    if not tokens or len(tokens) > 14:
        return False
    caps = [t for t in tokens if t[0].isupper()]
    rest = [t for t in tokens if not t[0].isupper() and t.lower() not in NAME_PARTICLES]
    return not rest and len(caps) >= 2 and text.upper() != text


def repeated_texts(pages: list[Page]) -> set[str]:
    """Normalised texts of lines that appear on many pages (journal names, running heads)."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({norm(ln.text) for ln in page.lines})
    need = max(2, len(pages) * 0.3)
    return {text for text, n in counts.items() if n >= need and len(pages) > 2 and text}


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    head = text.split(" | ")[0].strip()
    return head if len(head.split()) >= 3 else text


def _is_caps(line: Line) -> bool:
    letters = [c for c in line.text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def _leading(lines: list[Line], body_size: float) -> float:
    """The page's usual baseline step between body lines."""
    steps = [
        a.base - b.base
        for a, b in zip(lines, lines[1:], strict=False)
        if abs(a.size - body_size) < 0.3 and abs(b.size - body_size) < 0.3 and 0 < a.base - b.base < 4 * body_size
    ]
    return median(steps) if steps else 1.2 * body_size


def _block(lines: list[Line], start: int, same, limit: float, most: int = 6) -> list[Line]:
    """Lines from ``start`` on that keep ``same(first, line)`` and stay within ``limit`` of each other."""
    taken = [lines[start]]
    for line in lines[start + 1 :]:
        step = taken[-1].base - line.base
        if len(taken) == most or not same(taken[0], line) or not (-0.5 < step <= limit):
            break
        taken.append(line)
    return taken


def _text(lines: list[Line]) -> str:
    return re.sub(r"\s+", " ", " ".join(ln.text for ln in lines)).strip()


def _long_enough(text: str) -> bool:
    return len(text.split()) >= 3 or len(text) >= 20  # not a lone word ("Contents", a rubric)


def typographic_title(pages: list[Page], body_size: float, drop: set[int], repeated: set[str]) -> str:
    """The title from the first page with text, by its type (see the module's docstring)."""
    usable: list[Line] = []
    for page in pages[:2]:
        usable = [
            ln
            for ln in page.lines
            if re.search(r"[^\W\d_]{2}", ln.text)
            and not is_furniture(ln.text)
            and (id(ln) not in drop or ln.size >= 1.2 * body_size)
        ]
        if usable:
            break
    if not usable:
        return ""
    leading = _leading(usable, body_size)
    same_size = lambda a, b: abs(a.size - b.size) < 0.3  # noqa: E731
    heads = _heads_elsewhere(pages, usable[0].page)
    for skip_heads in (True, False):  # a journal name in large type that recurs as the running head is
        for big in sorted({ln.size for ln in usable if ln.size >= body_size * 1.08}, reverse=True):
            limit = max(1.8 * big, 1.15 * leading)  # passed over while another large block is not
            for i, line in enumerate(usable):
                if abs(line.size - big) >= 0.3 or (i and same_size(usable[i - 1], line)):
                    continue
                block = _block(usable, i, same_size, limit)
                text = _text(block)
                if not _long_enough(text) or all(norm(ln.text) in repeated for ln in block):
                    continue
                if skip_heads and all(_letters(ln.text) in heads for ln in block):
                    continue
                if skip_heads and heads and is_author_line(text):
                    continue  # past a recurring block, an author line is not the title either
                return _clean(text + _subtitle(usable, i + len(block), block, body_size, leading))
    # no larger type: a block of capitals or bold at the top of the page
    for i, line in enumerate(usable[:10]):
        for kind in (_is_caps, lambda ln: ln.bold):
            if not kind(line):
                continue
            same = lambda a, b, kind=kind: same_size(a, b) and kind(b)  # noqa: E731
            block = _block(usable, i, same, max(2.4 * line.size, 1.15 * leading))
            text = _text(block)
            if _long_enough(text) and not is_author_line(text) and norm(text) not in repeated:
                return _clean(text)
    return ""


def _letters(text: str) -> str:
    return re.sub(r"[\W\d_]+", "", text.lower())


def _heads_elsewhere(pages: list[Page], first: int) -> set[str]:
    """The letters of the top and bottom lines of the other pages (running heads and feet, their page
    numbers left out): a line of the title page that is one of them is the journal's or the book's name."""
    out: set[str] = set()
    for page in pages[:12]:
        if page.number == first or not page.lines:
            continue
        ordered = sorted(page.lines, key=lambda ln: -ln.y1)
        out.update(_letters(ln.text) for ln in ordered[:2] + ordered[-2:])
    return {text for text in out if len(text) >= 6}


def _subtitle(lines: list[Line], at: int, title: list[Line], body_size: float, leading: float) -> str:
    """The block after the title in smaller but above-body type, close below it ("" if none)."""
    if at >= len(lines):
        return ""
    line, last = lines[at], title[-1]
    above_body = line.size >= body_size * 1.08 or (title and _text(title).endswith(":") and line.size >= body_size)
    close = 0 < last.base - line.base <= max(1.8 * last.size, 1.15 * leading)
    if not (above_body and line.size < last.size - 0.3 and close) or is_author_line(line.text):
        return ""
    block = _block(lines, at, lambda a, b: abs(a.size - b.size) < 0.3, max(1.8 * line.size, 1.15 * leading), 4)
    text = _text(block)
    if len(text.split()) < 2 or SECTION_NUMBER.match(text):
        return ""  # a first section heading ("Introduction", "1. Scope"), not a subtitle
    return " " + text


def _printed(text: str, pages: list[Page]) -> bool:
    """Whether most of ``text``'s words are printed on the first two pages."""
    words = _words(text)
    seen = {w for page in pages[:2] for ln in page.lines for w in _words(ln.text)}
    return bool(words) and sum(w in seen for w in words) >= 0.8 * len(words)


def _above_author(page: Page) -> str:
    """The lines at the top of an article's first page above its author line (a title set
    in body type), or ""."""
    top = [
        ln
        for ln in sorted(page.lines, key=lambda ln: -ln.y1)[:8]
        if re.search(r"[^\W\d_]{2}", ln.text) and not is_furniture(ln.text)
    ]  # (the title is often printed on the cover too: "repeated" lines are not left out here)
    for k, line in enumerate(top[1:5], 1):
        if is_author_line(line.text):
            text = _text(top[:k])
            return _clean(text) if _long_enough(text) and len(text.split()) <= 40 else ""
    return ""


def is_front_matter(page: Page, body_size: float) -> bool:
    """A journal's cover, masthead or table of contents (see the module docstring)."""
    lines = [ln for ln in page.lines if re.search(r"[^\W\d_]{2}", ln.text)]
    if not lines:
        return True
    if any(ARTICLE_START.match(ln.text) for ln in sorted(page.lines, key=lambda ln: -ln.y1)[:15]):
        return False  # an abstract or introduction: the article itself
    letters = sum(len(ln.text) for ln in lines)
    if len(lines) <= 8 and letters < 400 and any(is_issue_line(ln.text) for ln in page.lines):
        return True  # a cover: the journal and its issue
    small = sum(len(ln.text) for ln in lines if ln.size < 0.8 * body_size)
    if small >= 0.6 * letters and len(lines) >= 6:
        return True  # a masthead: the editorial board in small type
    tops = sorted(page.lines, key=lambda ln: -ln.y1)[:3]
    listed = sum(1 for ln in page.lines if TOC_LINE.search(ln.text))
    return listed >= 4 and (listed >= 0.25 * len(page.lines) or any(TOC_HEADING.match(ln.text) for ln in tops))


def starts_article(page: Page) -> bool:
    """Whether a page opens an article: an author line or an abstract/introduction near its top."""
    top = sorted(page.lines, key=lambda ln: -ln.y1)[:15]
    return any(is_author_line(ln.text) or ARTICLE_START.match(ln.text) for ln in top)


def article_pages(pages: list[Page], body_size: float, most: int = 8) -> list[Page]:
    """The pages from the article's first page on: past the front matter of a journal issue
    when the first page is front matter and an article start follows within ``most`` pages."""
    if not pages or not is_front_matter(pages[0], body_size):
        return pages
    for k in range(1, min(most, len(pages))):
        if is_front_matter(pages[k], body_size):
            continue
        return pages[k:] if starts_article(pages[k]) else pages
    return pages


def pdf_title(info: dict[str, str], pages: list[Page], body_size: float, drop: set[int]) -> str:
    """The document's title ("" when neither the metadata nor the first page gives one)."""
    repeated = repeated_texts(pages)
    article = article_pages(pages, body_size)
    typo = typographic_title(article, body_size, drop, repeated)
    if not typo and article is not pages:  # past a cover: the lines above the author line
        typo = _above_author(article[0])
    meta = re.sub(r"\s+", " ", info.get("title", "")).strip()
    key = norm(meta)
    good = (
        len(key) > 3
        and not JUNK_TITLE.match(meta)
        and not is_issue_line(meta)
        and not any(key in text for text in repeated)
        and _printed(meta, pages)
    )
    if not good:
        return typo
    if typo and norm(typo).startswith(key) and len(typo) > len(meta):
        return typo  # the metadata holds the title only, the page its subtitle too
    return meta
