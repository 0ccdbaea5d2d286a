"""Parse footnote text into references; resolve Ibid. and op. cit.; give each work a key.

The parser reads the citation styles of policy and research papers: APA-like
("Surname, I., & Other, J. (2019). Title. Container, 12(1), pp. 51-74. URL"), Chicago-like
(``Author. "Title," Month Day, Year. URL``), organisation authors, several references in one
note separated by ";", commentary before or instead of a reference.
"""

from __future__ import annotations

import copy
import hashlib
import re
import unicodedata

from .models import Footnote, Reference
from .works import Work, build_works  # noqa: F401  (the works index lives in corpus.works)

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]+")
URL_LEAD = re.compile(
    r"\b(?:available\s+(?:at|on|from)|retrieved\s+(?:from|on)|accessed\s+at|online\s+at)\s*:?\s*$", re.I
)
YEAR_PAREN = re.compile(r"\(\s*((?:1[6-9]|20)\d\d[a-z]?|n\.\s?d\.)\s*\)\s*[.,:]?")
YEAR = re.compile(r"\b(?:1[6-9]|20)\d\d\b")
IBID = re.compile(
    r"^\s*(?:ibid(?:em)?|id)\b\.?\s*,?\s*(?P<pages>(?:pp?\.|at)?\s*[\divxlc]+(?:\s*[–-]\s*\d+)?)?\s*\.?\s*$", re.I
)
OPCIT = re.compile(
    r"^\s*(?P<who>.+?),?\s+(?:op\.?\s*cit|loc\.?\s*cit)\.?\s*,?\s*(?P<pages>(?:pp?\.)?\s*\d+(?:\s*[–-]\s*\d+)?)?\s*\.?\s*$",
    re.I,
)
QUOTED = re.compile(r"[“\"‘]([^”\"’]{4,})[”\"’]")
NOTES_STYLE = re.compile(
    r"(?:^|(?<=[.:]\s))(?P<who>[A-Z][^,()]{2,60}),\s+(?P<title>[^()]{4,200}?)\s*"
    r"\((?P<pub>[^()]*?),?\s*(?P<year>(?:1[6-9]|20)\d\d)\)\s*,?\s*(?P<pages>\d+(?:\s*[–-]\s*\d+)?)?"
)
PAGES = re.compile(r"\bpp?\.\s*(\d+(?:\s*[–-]\s*\d+)?)|(?<=[,:]\s)(\d+\s*[–-]\s*\d+)(?=\s*\.?\s*$)")
INITIALS = re.compile(r"^(?:[A-Z][a-z]?\.\s?-?\s?)+$")
QUOTES = "\"“”‘’'«»"
CONTAINER_WORDS = {
    "journal",
    "review",
    "press",
    "university",
    "ministry",
    "office",
    "times",
    "news",
    "institute",
    "foundation",
    "stiftung",
    "agency",
    "report",
    "quarterly",
    "bulletin",
    "studies",
    "proceedings",
    "magazine",
    "gazette",
}
ABBREVIATIONS = {
    "no.",
    "vol.",
    "pp.",
    "p.",
    "ed.",
    "eds.",
    "eds.).",
    "al.",
    "n.",
    "st.",
    "jr.",
    "dr.",
    "vs.",
    "e.g.",
    "i.e.",
    "cf.",
}
STOP = {"the", "a", "an", "of", "and", "in", "on", "for", "to", "at", "by", "with", "from", "et", "al"}


def annotate_footnotes(footnotes: list[Footnote]) -> None:
    """Fill ``references``, ``commentary``, ``kind`` and ``refers_to`` of each footnote in place."""
    for note in footnotes:
        _parse_note(note)
    _resolve(footnotes)


def parse_reference_text(text: str) -> tuple[list[Reference], str]:
    """Split one note's text into its references and the commentary around them."""
    urls = [u.rstrip(".,;:)]»”’") for u in URL.findall(text)]
    urls = list(dict.fromkeys(urls))
    segments = _segments(text)
    refs: list[Reference] = []
    commentary: list[str] = []
    for segment in segments:
        ref, comment = _parse_segment(segment)
        if comment:
            commentary.append(comment)
        if ref:
            refs.append(ref)
    if not refs:
        return [], text.strip()
    if len(refs) == 1:
        refs[0].urls = urls
    else:
        for ref in refs:
            ref.urls = [u.rstrip(".,;:)]»”’") for u in URL.findall(ref.raw)]
    for ref in refs:
        ref.work_key = work_key(ref)
    return refs, " ".join(commentary).strip()


def _parse_note(note: Footnote) -> None:
    text = note.text.strip()
    ibid = IBID.match(text)
    if ibid:
        note.kind, note.commentary = "ibid", ""
        note.references = [Reference(raw=text, pages=_clean_pages(ibid.group("pages")))]
        return
    opcit = OPCIT.match(text)
    if opcit and len(opcit.group("who")) < 80:
        note.kind, note.commentary = "opcit", ""
        who = _authors(opcit.group("who"))
        note.references = [Reference(raw=text, authors=who, pages=_clean_pages(opcit.group("pages")))]
        return
    note.kind = "note"
    note.references, note.commentary = parse_reference_text(text)


def _resolve(footnotes: list[Footnote]) -> None:
    """Point Ibid. notes at the previous cited work, op. cit. notes at the same author's."""
    last: Footnote | None = None
    seen: list[Footnote] = []
    for note in footnotes:
        if note.kind == "ibid":
            target = last
        elif note.kind == "opcit":
            wanted = _surname(note.references[0].authors[0]) if note.references[0].authors else ""
            target = next(
                (
                    n
                    for n in reversed(seen)
                    if n.references[-1].authors and _surname(n.references[-1].authors[0]) == wanted
                ),
                None,
            )
        else:
            if note.references:
                last = note
                seen.append(note)
            continue
        if target is None:
            continue
        note.refers_to = target.number
        cited = note.references[0]
        source = target.references[-1]
        ref = copy.deepcopy(source)
        ref.raw = cited.raw
        ref.pages = cited.pages or None
        note.references = [ref]


def _segments(text: str) -> list[str]:
    """Split a note holding several references (each with its own year) at semicolons."""
    parts = re.split(r";\s+", text)
    if len(parts) > 1 and sum(bool(YEAR_PAREN.search(p)) for p in parts) > 1:
        return parts
    return [text]


def _parse_segment(text: str) -> tuple[Reference | None, str]:
    """One reference (or None) and the leading commentary of one segment."""
    body = URL.sub(" ", text)
    year_match = YEAR_PAREN.search(body)
    quoted = QUOTED.search(body)
    if year_match and not (quoted and quoted.end() <= year_match.start()):
        head, rest = body[: year_match.start()], body[year_match.end() :]  # Author (2019). Title.
        year = year_match.group(1) if year_match.group(1)[0].isdigit() else None
        comment, who = _split_head(head)
        title, tail = _title(rest)
    elif quoted:  # Author, "Title," Container, Month Day, Year.
        tail = body[quoted.end() :]
        late = YEAR_PAREN.search(tail)
        years = [late.group(1)] if late else YEAR.findall(tail[:40])
        comment, who = _split_head(body[: quoted.start()])
        if not years or len(who.split()) > 8:
            return None, ""
        title, year = quoted.group(1).strip().rstrip(",."), years[0]
        tail = tail[: late.start()] if late else ""
    else:  # Author, Title (Place: Publisher, Year), page.
        notes = NOTES_STYLE.search(body)
        if not notes:
            return None, ""
        comment, who = body[: notes.start()].strip(), notes.group("who")
        title, year = notes.group("title").strip(" ,."), notes.group("year")
        tail = notes.group("pub") + (", pp. " + notes.group("pages") if notes.group("pages") else "")
    authors = _authors(who)
    if not authors and not title:
        return None, ""
    ref = Reference(
        raw=text.strip(),
        authors=authors,
        year=year,
        title=title or None,
        container=_container(tail),
        pages=_pages(tail),
    )
    return ref, comment


def _split_head(head: str) -> tuple[str, str]:
    """Split the text before the year into commentary and the author part (its last sentence)."""
    head = head.strip().rstrip(",")
    cut = 0
    for m in re.finditer(r"(?<=[a-z\d)]{2}[.:])\s+(?=[A-Z«“\"‘])|(?<=:)\s+(?=[A-Z])", head):
        word = head[: m.start()].split()[-1].lower() if head[: m.start()].split() else ""
        if word not in {"al.", "eds.", "ed.", "jr.", "st."}:
            cut = m.end()
    return head[:cut].strip(), head[cut:].strip()


def _sentences(text: str) -> list[str]:
    """Sentence-like pieces of the text after the year (abbreviations and initials kept whole)."""
    out, start = [], 0
    for m in re.finditer(r"([.?!])\.?\s+(?=\S)", text):
        words = text[start : m.start() + 1].split()
        last = words[-1] if words else ""
        nxt = text[m.end() : m.end() + 1]
        if m.group(1) in "?!" and nxt != "[" and text[m.start() + 1 : m.start() + 2] != ".":
            continue
        if m.group(1) == "." and (re.fullmatch(r"\(?[A-Z]\.", last) or last.lower().strip("(") in ABBREVIATIONS):
            continue
        out.append(text[start : m.start() + 1].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [piece for piece in out if piece]


def _title(rest: str) -> tuple[str, str]:
    """The title at the start of ``rest`` and what follows it."""
    rest = rest.strip()
    rest = URL_LEAD.sub("", rest).strip()
    if rest[:1] in QUOTES:
        close = {"“": "”", "‘": "’", "«": "»"}.get(rest[0], rest[0])
        end = rest.find(close, 1)
        if end > 0 and (rest[end - 1] in ".,?!" or rest[end + 1 : end + 2] in (".", ",", "")):
            return _tidy(rest[1:end]), rest[end + 1 :].lstrip(".,; ")
    pieces = _sentences(rest)
    if not pieces:
        return "", ""
    title, used = pieces[0], 1
    if len(pieces) >= 3 and _title_case(pieces[1]):
        title, used = f"{pieces[0]} {pieces[1]}", 2
    tail = " ".join(pieces[used:])
    if used == len(pieces):  # the title ran to the end: drop a trailing place or publisher
        parts = [p.strip() for p in title.rstrip(" ,.").split(",")]
        while len(parts) > 1 and (_is_place(parts[-1]) or _has_container_word(parts[-1])):
            tail = parts.pop() + (", " + tail if tail else "")
        title = ", ".join(parts)
    return _tidy(title), tail


def _title_case(piece: str) -> bool:
    words = re.findall(r"[^\W\d_]+", piece)
    if not words or len(words) > 14 or re.search(r"\d", piece) or piece.startswith("In "):
        return False
    if _has_container_word(piece) or ":" in piece:
        return False
    big = [w for w in words if w[0].isupper() or w.lower() in STOP]
    return len(words) >= 2 and len(big) == len(words)


def _is_place(piece: str) -> bool:
    return bool(re.fullmatch(r"(?:The\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?", piece.strip()))


def _has_container_word(piece: str) -> bool:
    return any(w.lower() in CONTAINER_WORDS for w in re.findall(r"\w+", piece))


def _tidy(title: str) -> str:
    title = URL_LEAD.sub("", title.strip()).strip()
    title = re.sub(r"\s+", " ", title).strip(" ,;")
    if title.endswith(".") and not title.endswith(".."):
        title = title[:-1]
    return title.strip(QUOTES + " ") if title[:1] in QUOTES and title[-1:] in QUOTES else title


def _container(tail: str) -> str | None:
    """Journal, book, publisher or site: the first piece after the title."""
    tail = URL_LEAD.sub("", tail.strip()).strip(" ,.")
    if not tail:
        return None
    eds = re.search(r"\((?:Eds?|eds?)\.\)[.,]?\s*(.+)", tail)
    if tail.startswith("In ") and eds:
        tail = eds.group(1)
    elif tail.startswith("In "):
        tail = re.split(r",\s*eds?\.", tail[3:])[0]
    piece = _sentences(tail)[0] if _sentences(tail) else tail
    piece = re.sub(r"^[A-Z][\w ]{2,20}:\s+(?=[A-Z])", "", piece)  # "Belgrade: Publisher"
    piece = re.split(r",?\s+\d|\s*,\s*(?:pp?\.|vol\.|no\.)", piece)[0]
    piece = URL_LEAD.sub("", piece).strip(" ,.;:")
    if not piece or piece.lower().startswith(("available", "retrieved", "vol", "[")) or _city(piece):
        return None
    return piece


def _city(piece: str) -> bool:
    return piece.lower() in {
        "bruxelles",
        "brussels",
        "berlin",
        "warsaw",
        "luxembourg",
        "tirana",
        "zagreb",
        "belgrade",
        "sarajevo",
        "london",
        "oxford",
        "barcellona",
        "barcelona",
        "rome",
        "paris",
        "vienna",
        "geneva",
        "the hague",
    }


def _pages(tail: str) -> str | None:
    m = PAGES.search(tail)
    return _clean_pages(m.group(1) or m.group(2)) if m else None


def _clean_pages(pages: str | None) -> str | None:
    if not pages:
        return None
    pages = re.sub(r"^(?:pp?\.|at)\s*", "", pages.strip())
    return re.sub(r"\s*[–-]\s*", "–", pages) or None


def _authors(who: str) -> list[str]:
    """Split an author string into names ("Surname, I." for persons, organisations as written)."""
    who = re.sub(r"\s+", " ", who).strip(" ,;:")
    if not re.search(r"(?:^|[\s.,])[A-Z]\.$", who):
        who = who.rstrip(".")
    who = re.sub(r"^(?:see(?: also)?|cf\.|e\.g\.,?)\s+", "", who, flags=re.I)
    who = re.sub(r"\s+et al\.?$", "", who)
    if not who or len(who) > 160:
        return []
    parts = [p.strip() for p in re.split(r",|\s&\s|\sand\s(?=[A-Z][^,]*,\s*[A-Z]\.)", who) if p.strip()]
    parts = [re.sub(r"^(?:&|and)\s+", "", p) for p in parts]
    parts = [p[4:] if i and p.startswith("the ") else p for i, p in enumerate(parts)]
    if any(INITIALS.match(p) for p in parts) or any(re.search(r"\s[A-Z]\.$", p) for p in parts):
        names: list[str] = []
        for part in parts:
            if INITIALS.match(part) and names and "," not in names[-1]:
                names[-1] = f"{names[-1]}, {part.replace(' ', '')}"
                continue
            inline = re.match(r"^(.+?)\s+((?:[A-Z]\.\s?)+)$", part)
            names.append(f"{inline.group(1)}, {inline.group(2).replace(' ', '')}" if inline else part)
        return names
    if len(parts) == 2 and len(parts[0].split()) == 1 and len(parts[1].split()) == 1 and not who.isupper():
        return [f"{parts[0]}, {parts[1]}"]  # "Kovacevic, Nikola"
    return parts


def _surname(author: str) -> str:
    return _fold(author.split(",")[0].split()[0] if "," in author else author).lower()


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _fold(text).lower()).strip("-")


def work_key(ref: Reference) -> str:
    """A key shared by every citation of the same work: author, year, title words and a hash."""
    author = _slug(ref.authors[0].split(",")[0]) if ref.authors else "anon"
    author = "-".join([w for w in author.split("-") if w not in STOP][:3]) or "anon"
    words = [w for w in _slug(ref.title or "").split("-") if w and w not in STOP]
    norm = " ".join(words)
    digest = hashlib.sha1(norm.encode()).hexdigest()[:6] if words else "0"
    first = words[0] if words else "untitled"
    return f"{'-'.join(author.split('-')[:3])}-{ref.year or 'nd'}-{first}-{digest}"
