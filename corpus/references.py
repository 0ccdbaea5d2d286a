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

from .clean import slug, strip_accents
from .models import Footnote, Reference
from .works import Work, build_works  # noqa: F401  (the works index lives in corpus.works)

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]+")
URL_LEAD = re.compile(
    r"\b(?:available\s+(?:at|on|from)|retrieved\s+(?:from|on)|accessed\s+at|online\s+at)\s*:?\s*$", re.I
)
YEAR_PAREN = re.compile(
    r"\(\s*(?:\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?,?\s+(?:de\s+)?)?((?:1[6-9]|20)\d\d[a-z]?|n\.\s?d\.)(?:,\s*[A-Z][a-z]+\.?(?:\s+\d{1,2})?)?\s*\)\s*[.,:]?"
)
YEAR = re.compile(r"\b(?:1[6-9]|20)\d\d\b")
IBID = re.compile(
    r"^\s*(?:ibid(?:em)?|ibíd(?:em)?|id(?:em)?|ebd|ebenda|ivi)\.?(?=[\s,]|$)\s*,?\s*(?P<pages>(?:(?:pp?|paras?|par|S|at|n|nn|fn|note)\.?\s*)?"
    r"[\divxlc]+(?:\.\d+)*(?:\s*(?:[–-]|and|,)\s*\d+(?:\.\d+)*)*(?:\s*f{1,2}\.?)?)?\s*\.?\s*$",
    re.I,
)
#: an Ibid. followed by a remark: "Ibid. See infra, section 4.1." / "Id. at 5. The court then held ..."
IBID_LEAD = re.compile(
    r"^\s*(?i:ibid(?:em)?|ibíd(?:em)?|id(?:em)?|ebd|ebenda|ivi)\.(?:,?\s*(?P<pages>(?i:pp?\.|paras?\.?|par\.|S\.|at)"
    r"\s*[\divxlc]+(?:\s*[–-]\s*\d+)?))?[.;,]?\s+(?P<rest>[A-Z(„“\"].*)$",
    re.S,
)
OPCIT = re.compile(
    r"^\s*(?P<who>.+?),?\s+(?:op\.?\s*cit|loc\.?\s*cit)\.?\s*,?\s*(?P<pages>(?:pp?\.)?\s*\d+(?:\s*[–-]\s*\d+)?)?\s*\.?\s*$",
    re.I,
)
#: a short form pointing back: "Smith, supra note 3, at 12." / "Smith (n 3) 45." / "Smith, Title, cit., p. 4."
SUPRA = re.compile(
    r"^\s*(?P<who>[^;]{2,120}?)(?:,\s*|\s+)(?:supra|above|oben)(?:,?\s*(?:notes?|nn?\.|fn\.?|Fn\.?)\s*(?P<n>\d+))?"
    r"(?P<rest>[^;]{0,80})$|^\s*(?P<who2>[^;]{2,120}?)\s+\((?:n|note)\.?\s*(?P<n2>\d+)\)(?P<rest2>[^;]{0,80})$",
    re.I,
)
CIT = re.compile(
    r"^\s*(?P<who>[^;]{2,200}?),\s*(?:cit|op\.\s*cit|loc\.\s*cit|a\.\s?a\.\s?O)\.(?P<rest>[^;]{0,80})$", re.I
)
SIGNAL = re.compile(
    r"^(?:(?:see(?:\s+also|\s+generally)?|cf|vgl|siehe|compare|also|e\.\s?g|z\.\s?b|ex\s+multis|for\s+example|"
    r"for\s+instance|dazu(?:\s+etwa)?|etwa|nur|auch|more\s+on\s+this(?:\s+in)?|ver(?:\s+ainda)?|véase|véanse|vid|"
    r"si\s+veda|voir|cfr|vd)\.?\s*[,:]?\s+)+",
    re.I,
)
REF_START = re.compile(
    r":\s+|\s[-–—]\s?(?=(?:cf|see|vgl)\b)|\b(?:see(?:\s+also)?|cf|cfr|vgl|siehe|ver|véase|véanse|si\s+veda|voir)\b\.?(?:\s+e\.\s?g\.)?,?:?\s+|(?<=[a-z)]\.)\s+(?=[A-Z])",
    re.I,
)
NOT_NAMES = {
    "or",
    "and",
    "but",
    "see",
    "also",
    "in",
    "on",
    "for",
    "the",
    "this",
    "that",
    "as",
    "at",
    "so",
    "thus",
    "however",
    "moreover",
    "further",
    "similarly",
    "compare",
    "here",
    "there",
    "yet",
    "still",
    "then",
    "thereby",
}
PARTICLES = {
    "de",
    "da",
    "del",
    "della",
    "di",
    "dos",
    "das",
    "du",
    "van",
    "von",
    "der",
    "den",
    "la",
    "le",
    "ten",
    "ter",
    "zu",
    "al",
    "el",
    "y",
    "e",
    "d",
}
INITIAL_TOKEN = re.compile(r"^(?:[^\W\d_]{1,2}\.-?)+$")
NAME_TOKEN = re.compile(r"^(?:[dlDL]['’])?[^\W\d_a-z][^\W\d_]*(?:['’-][^\W\d_]+)*\.?$")
#: the words that join two names in an author list ("Fossier and Zarri", "BASSANINI e TIBERI")
NAME_JOIN = re.compile(r"\s(?:and|AND|und|UND|e|y|et|i)\s|\s&\s")
#: a parenthetical that ends with the year: "(2003)", "(4th ed. 2006)", "(Macmillan 2010)", "(New York, 1976)"
YEAR_PARENTHETICAL = r"\((?:[^()]*?[\s,])?(?:1[6-9]|20)\d\d[a-z]?\)"
#: editors marked after the names: "(ed.)", "(eds.)", "(Hrsg.)", "(a cura di)", "(dir.)", "(coord.)"
EDITORS = re.compile(r"\s*\((?:eds?|hrsg|a\s+cura\s+di|dirs?|coords?|red|org)\.?\)\s*$", re.I)
TITLE_STOP = re.compile(
    r"^(?:in\b|in:|(?:on|at)\s+[\w-]+\.(?:org|com|net|eu|de|it|fr|uk|info)\b|\[in:?\]|eds?\.|hrsg|übers|trans|pp?\.|vol\.|no\.|nr\.|s\.\s*\d|cit\b|\d)",
    re.I,
)
YEAR_ANY = re.compile(r"(?<![\d/–-])(?<!pp\.\s)(?<!p\.\s)((?:1[6-9]|20)\d\d)(?![\d/])")
#: a year inside an issue number: "n. 21/2012", "55/2004/7-8" (volume/year/issue)
ISSUE_YEAR = re.compile(r"(?<![\d/])\d{1,3}/((?:1[6-9]|20)\d\d)(?:/\d{1,2}(?:-\d{1,2})?)?(?![\d/])")
#: a work named by its title alone, with place (and publisher) and year: "The Black Family (New York, 1976)."
BOOK_ONLY = re.compile(
    r"^\s*(?P<title>[^()\d]{4,200}?)\s*\((?P<pub>[^()\d]*[^\W\d_][^()\d]*?),?\s*(?P<year>(?:1[6-9]|20)\d\d)\)\s*(?:[.;,]|$)"
)
CASE = re.compile(r"^(?P<title>.{2,200}?\sv\.?\s.{2,200}?),\s+\d{1,4}\s+[A-Z][^,;]{0,30}?\s\d")
ABNT = re.compile(
    r"^(?P<who>[A-ZÀ-Þ][A-ZÀ-Þ'’-]+(?:\s+[A-ZÀ-Þ][A-ZÀ-Þ'’-]+)*,\s+[A-ZÀ-Þ][^\W\d_]*\.?"
    r"(?:\s+(?:[A-ZÀ-Þ][^\W\d_]*\.?|d[aeo]s?|d[ae]l|van|von)){0,4})\.\s+"
)
LEGAL_TITLE = re.compile(r"\b(?:Act|Code|Statute|Regulation|Directive|Convention|Treaty|Law|Constitution)\b")
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
    "publishing",
    "publishers",
    "verlag",
    "books",
    "editora",
    "editorial",
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


def annotate_footnotes(footnotes: list[Footnote]) -> int:
    """Fill ``references``, ``commentary``, ``kind`` and ``refers_to`` of each footnote in place.

    Never raises: a note the parser cannot read is kept as a commentary note with no reference.
    Returns how many notes could not be parsed (0 when all went well).
    """
    failures = 0
    for note in footnotes:
        try:
            _parse_note(note)
        except Exception:  # noqa: BLE001 - one odd note must never take its document down
            failures += 1
            note.kind, note.references, note.commentary, note.refers_to = "note", [], note.text.strip(), None
    try:
        _resolve(footnotes)
    except Exception:  # noqa: BLE001
        failures += 1
    return failures


def parse_list_entry(text: str) -> list[Reference] | None:
    """The works an entry of a reference list names (its leading "[12]" / "12." left out);
    None when the parser fails on it (never raises: the entry is kept as text)."""
    text = re.sub(r"^\s*(?:\[\d{1,3}\]|\d{1,3}\.)\s+", "", text)
    try:
        refs, _ = parse_reference_text(text)
    except Exception:  # noqa: BLE001 - one odd entry must never take its document down
        return None
    return refs


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
    note.refers_to = None
    ibid = IBID.match(text)
    if ibid:
        note.kind, note.commentary = "ibid", ""
        note.references = [Reference(raw=text, pages=_clean_pages(ibid.group("pages")))]
        return
    lead = IBID_LEAD.match(text)
    if lead:
        note.kind, note.commentary = "ibid", lead.group("rest").strip()
        note.references = [Reference(raw=text, pages=_clean_pages(lead.group("pages")))]
        return
    opcit = OPCIT.match(text)
    if opcit and len(opcit.group("who")) < 80:
        note.kind, note.commentary = "opcit", ""
        who = _authors(opcit.group("who"))
        note.references = [Reference(raw=text, authors=who, pages=_clean_pages(opcit.group("pages")))]
        return
    short = _short_form(text)
    if short is not None:
        note.kind, note.commentary = "opcit", ""
        note.references = [short]
        return
    note.kind = "note"
    note.references, note.commentary = parse_reference_text(text)


def _short_form(text: str) -> Reference | None:
    """A "supra note N" / "(n N)" / ", cit." back-reference, as a Reference whose raw names the target.

    The target note's number (when given) is kept in ``container`` until ``_resolve`` replaces the
    reference with a copy of the cited one.
    """
    body = SIGNAL.sub("", text.strip())
    m = SUPRA.match(body)
    if m:
        who, number, rest = (
            (m.group("who"), m.group("n"), m.group("rest"))
            if m.group("who")
            else (m.group("who2"), m.group("n2"), m.group("rest2"))
        )
    else:
        m = CIT.match(body)
        if not m:
            return None
        who, number, rest = m.group("who"), None, m.group("rest")
    who = who.split(", ")[0] if not re.search(r"\s[A-Z]\.$", who.split(", ")[0]) else who
    pages = re.search(r"(?:pp?\.|at|paras?\.?|par\.|S\.)?\s*(\d+(?:\s*[–-]\s*\d+)?)", rest or "")
    authors = _authors(re.sub(r"\s*\((?:eds?|hrsg)\.?\)\s*$", "", who, flags=re.I))
    ref = Reference(raw=text, authors=authors, pages=_clean_pages(pages.group(1)) if pages else None)
    ref.container = f"#note:{number}" if number else None
    return ref


def _resolve(footnotes: list[Footnote]) -> None:
    """Point Ibid. at the previous cited work, op. cit./supra at the note named or the same author's."""
    last: Footnote | None = None
    seen: list[Footnote] = []
    by_number = {n.number: n for n in footnotes}
    for note in footnotes:
        if note.kind == "ibid":
            target = last
        elif note.kind == "opcit":
            cited = note.references[0]
            container = cited.container or ""
            number = container[6:] if container.startswith("#note:") else None
            cited.container = None
            wanted = _surname(cited.authors[0]) if cited.authors else ""
            target = by_number.get(number) if number else None
            while target is not None and target.kind != "note" and target.refers_to in by_number:
                target = by_number[target.refers_to]  # "supra note 5" where note 5 is itself an Ibid.
            if target is not None and not target.references:
                target = None
            if target is None and wanted:
                target = next(
                    (
                        n
                        for n in reversed(seen)
                        if any(_surname(a) == wanted for r in n.references for a in r.authors[:1])
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
        if cited.authors and note.kind == "opcit":
            wanted = _surname(cited.authors[0])
            source = next((r for r in target.references if r.authors and _surname(r.authors[0]) == wanted), source)
        ref = copy.deepcopy(source)
        ref.raw = cited.raw
        ref.pages = cited.pages or None
        note.references = [ref]
        if note.kind == "opcit":
            last = target  # a following Ibid. repeats the work this short form named


def _segments(text: str) -> list[str]:
    """Split a note holding several references (each with its own year) at semicolons."""
    parts = re.split(r";\s+", text)
    if len(parts) > 1 and sum(bool(YEAR_PAREN.search(p)) for p in parts) > 1:
        return parts
    return [text]


def _parse_segment(text: str) -> tuple[Reference | None, str]:
    """One reference (or None) and the leading commentary of one segment."""
    body = re.sub(r"\b([A-Z])\s+\.", r"\1.", URL.sub(" ", text))  # "D .S . Smith" (spaced initials)
    body = re.sub(r"(?<=[^\W\d_)])\s+\.(?=[\s,;:]|$)", ".", body)  # "et al .," "(New York, 1976) ."
    book = BOOK_ONLY.match(body)
    if book and ", " not in book.group("title") and _title_like(book.group("title")):
        return Reference(raw=text.strip(), year=book.group("year"), title=_tidy(book.group("title"))), ""
    year_match = YEAR_PAREN.search(body)
    quoted = QUOTED.search(body)
    apa = False
    if year_match and not (quoted and quoted.end() <= year_match.start()):
        comment, who = _split_head(body[: year_match.start()])
        after = re.findall(r"[^\W\d_]{3,}", body[year_match.end() :])
        apa = _names(who) and len(after) >= 2  # "Author (2019). Title...", not "Author, Title (2019), 12."
    if not apa:
        found = _comma_style_anywhere(body)
        if found:
            ref, comment = found
            ref.raw = text.strip()
            return ref, comment
    statute = re.match(r"^\s*([^()§;]{2,120}?§[^;§]{1,80}?)\s*\((?:[^()]*\s)?((?:1[6-9]|20)\d\d)\)", body)
    if statute:  # "ARIZ. REV. STAT. § 15-154(A) (2021)": a statute, its section as the title
        return Reference(raw=text.strip(), year=statute.group(2), title=_tidy(statute.group(1))), ""
    if year_match and not (quoted and quoted.end() <= year_match.start()):
        head, rest = body[: year_match.start()], body[year_match.end() :]  # Author (2019). Title.
        year = year_match.group(1) if year_match.group(1)[0].isdigit() else None
        comment, who = _split_head(head)
        if year_match.group(0).rstrip().endswith(",") and ", " in rest:  # Author (2019), Title, Journal
            title, tail = _lead_title(rest)
            title = _tidy(title)
        else:
            title, tail = _title(rest)
    elif quoted:  # Author, "Title," Container, Month Day, Year.
        tail = body[quoted.end() :]
        late = YEAR_PAREN.search(tail)
        late = late if late and late.group(1)[0].isdigit() else None
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


def _name_like(piece: str) -> bool:
    """Could ``piece`` be one person's name ("J. Smith", "Capra Fritjof", "k. Mucha-kuś", "De Spiegeleir")?"""
    piece = re.sub(r"\s+et\s+al\.?$", "", EDITORS.sub("", piece.strip()))
    piece = re.sub(r"\b([dDlL])\s+['’](?=[^\W\d_])", r"\1'", piece)  # "d 'Argenteuil"
    tokens = [t.lstrip("-‐") for t in piece.replace(".", ". ").split()]
    tokens = [t for t in tokens if t]
    if not tokens or len(tokens) > 6 or re.search(r"\d|\sv\.?\s|[()\[\]\"“”:;]", f" {piece} "):
        return False
    initials = sum(bool(INITIAL_TOKEN.match(t)) for t in tokens)
    words = [t for t in tokens if not INITIAL_TOKEN.match(t)]
    # a capital alone is an initial whose period was cut off ('Balibar, E'), never the particle e/y/d
    named = [w for w in words if w.lower() not in PARTICLES or (len(w) == 1 and w.isupper())]
    if not named or len(named) > 4 or (len(tokens) == 1 and tokens[0].lower() in NOT_NAMES):
        return False
    for word in words:
        if word.lower() in PARTICLES and word is not words[-1]:
            continue
        if NAME_TOKEN.match(word) or (initials and re.fullmatch(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", word)):
            continue
        return False
    return True


def _names(who: str) -> bool:
    """Is ``who`` a list of person names (an author part), not a title or prose?"""
    who = re.sub(r"^(?:see(?: also)?|cf\.|e\.g\.,?)\s+", "", who.strip(" ,;:."), flags=re.I)
    who = re.sub(r"\s+et\s+al\.?$", "", EDITORS.sub("", who))
    parts = [p for p in re.split(r",|/|" + NAME_JOIN.pattern, who) if p.strip()]
    return bool(parts) and all(_name_like(p) or INITIALS.match(p.strip()) for p in parts)


def _comma_style_anywhere(body: str) -> tuple[Reference, str] | None:
    """Try the comma-separated styles at the start of the note and after commentary or a signal."""
    chicago = NOTES_STYLE.search(body)
    if chicago and ":" in chicago.group("pub"):  # "Title (Place: Publisher, 2003)": the notes path reads it
        return None
    starts = {0: True} | {m.end(): True for m in REF_START.finditer(body[:240])}
    for m in re.finditer(r",\s+", body[:240]):  # "... in the Union, Craig, Paul. EU Law. Oxford, ..., 2008"
        starts.setdefault(m.end(), False)  # after a comma, only the sentence style is tried
    for start in sorted(starts):
        ref = _sentence_style(body[start:]) or (_comma_style(body[start:]) if starts[start] else None)
        if ref:
            return ref, body[:start].strip(" ,-–—")
    return None


def _sentence_style(body: str) -> Reference | None:
    """Bibliography style, sentences not commas: "Surname, Given y Surname, Given. Title. Place, Publisher, Year"
    or "Surname Surname Given. Title. Place, Publisher, Year" (Spanish, Chicago bibliography)."""
    body = SIGNAL.sub("", body.strip())
    pieces = _sentences(body.split("; ")[0])
    if len(pieces) < 3 or ":" in pieces[0]:
        return None
    who = pieces[0].rstrip(".")
    people = [n.strip() for n in NAME_JOIN.split(who) if n.strip()]
    if not people or any(n.count(",") > 1 for n in people):
        return None
    sides = [side.strip() for n in people for side in n.split(",")]
    if not all(side and _name_like(side) for side in sides):
        return None
    if any(w[:1].islower() and w.lower() not in PARTICLES for side in sides for w in side.split()):
        return None  # "J. P. Langrod, Kontrola administracji": a name and a title, not "Surname, Given"
    given = [n.split(",", 1)[1] for n in people if "," in n]
    if any(w.lower() in PARTICLES for g in given for w in g.split()):
        return None  # "Capra Fritjof, La Trama de la Vida": a given name has no article
    if not any("," in n or len(n.split()) >= 3 for n in people):
        return None  # "Smith. Title." is too weak: a surname with a given name is wanted
    title = pieces[1]
    if YEAR_ANY.search(title) or len(title.split()) < 2 and not title[:1].isupper():
        return None
    return _finish(people, title, " ".join(pieces[2:]))


def _comma_style(body: str) -> Reference | None:
    """Bluebook, Chicago/Oxford notes and European styles: "Author, Title, ..., Year" (no APA year).

    "A. Author, Title, Place: Publisher 2003", "Author: Title, Place 2003", "Jane Doe, Title,
    12 HARV. L. REV. 345 (2003)", "SURNAME, Given. Title. Container, 2003", case names
    ("Roe v. Wade, 410 U.S. 113 (1973)") and statutes without an author.
    """
    body = SIGNAL.sub("", body.strip())
    if not body:
        return None
    case = CASE.match(body)
    if case and not _names(case.group("title")):
        return _finish([], case.group("title"), body[case.end("title") :])
    abnt = ABNT.match(body)
    if abnt:
        rest = body[abnt.end() :]
        pieces = _sentences(rest)
        if pieces:
            return _finish([abnt.group("who")], pieces[0], rest[len(pieces[0]) :])
    colon = re.match(r"^([^,:;]{2,60}?)\s?:\s+(?=\S)", body)
    full = colon and all(len(p.split()) >= 2 for p in re.split(r"/|\s&\s|\sand\s|,", colon.group(1)) if p.strip())
    if colon and full and _names(colon.group(1)):
        authors, rest = _authors(colon.group(1)), body[colon.end() :]
    else:
        pieces = body.split(", ")
        first = pieces[0]
        if not _names(first):
            if LEGAL_TITLE.search(first) and len(pieces) > 1 and len(first.split()) <= 15:
                return _finish([], first, ", ".join(pieces[1:]))
            return None
        used = 1
        names = [first]
        while used < len(pieces) - 1:
            nxt = pieces[used]
            if INITIALS.match(nxt.strip()):  # "Surname, I."
                names[-1] = f"{names[-1]}, {nxt}"
            elif re.fullmatch(r"et\s+al\.?", nxt.strip()):  # "L.L. Bean, et al., Title": more authors, unnamed
                pass
            elif INITIAL_TOKEN.match(nxt.split()[0] if nxt.split() else "") and _name_like(nxt):
                names.append(nxt)
            else:
                break
            used += 1
        if used >= len(pieces):
            return None
        authors = []
        for name in names:
            for part in name.split("/"):  # "Keller/Bornemann": German-style co-authors
                authors.extend(_authors(part))
        rest = ", ".join(pieces[used:])
    if not authors:
        return None
    title, after = _lead_title(rest)
    return _finish(authors, title, after) if title else None


def _lead_title(rest: str) -> tuple[str, str]:
    """The title at the start of ``rest`` (quoted, or up to the next piece that is not part of it)."""
    rest = rest.strip()
    if rest and rest[0] in QUOTES:
        close = {"“": "”", "‘": "’", "«": "»", "„": "“"}.get(rest[0], rest[0])
        for m in re.finditer(re.escape(close), rest[1:]):
            end = m.start() + 1
            if re.match(r"\s+(?!in\b)[a-zà-ž]", rest[end + 1 :]):
                break  # '"Entgrenzung" von Arbeitszeiten': the quotes mark a word the title goes on from
            if rest[end - 1] in ".,?!" or rest[end + 1 : end + 2] in (",", ".", ";", ":", " ", ""):
                return rest[1:end].strip(" ,."), rest[end + 1 :]
    pieces = rest.split(", ")
    title, used = pieces[0], 1
    while used < len(pieces) and re.match(r"(?:and|or|und|et|y|e)\s|[a-zà-ž]", pieces[used]):
        if TITLE_STOP.match(pieces[used]) or YEAR_ANY.search(pieces[used]):
            break
        title, used = f"{title}, {pieces[used]}", used + 1
    # "Surname, Title, Subtitle (1985), 252": a year in parentheses closes a title that has commas
    for extra in range(used, min(used + 2, len(pieces))):
        piece = pieces[extra]
        if TITLE_STOP.match(piece) or YEAR_ANY.search(title) or re.search(r"\d", piece.split("(")[0]):
            break
        if re.search(r"\s" + YEAR_PARENTHETICAL + r"[.;]?$", piece):
            title, used = ", ".join(pieces[: extra + 1]), extra + 1
            break
    after = ", ".join(pieces[used:])
    inner = re.search(r"\s+\[in:?\]|\s+in:\s|\.\s+(?=[A-Z][^\s:,.]*(?:/[A-Z]?\w*)?(?:\s[a-zA-Z.]+){0,2}:\s)", title)
    if inner:  # "Title [in:] Book" or "Title. Eine Archäologie. Frankfurt/M: Suhrkamp 1974"
        title, after = title[: inner.start()], title[inner.start() :] + ", " + after
    cut = re.search(r"\s*" + YEAR_PARENTHETICAL + r"|,?\s+\d+(?:st|nd|rd|th)\s+ed\.", title)
    if cut:
        title, after = title[: cut.start()], title[cut.start() :] + ", " + after
        pin = re.search(r"\s+\d+(?:\s*[-–]\s*\d+)?$", title)  # Bluebook: "CORPORATION LAW 38-40 (2d ed. 2000)"
        if pin and re.search(r"[^\W\d_]", title[: pin.start()]):
            title, after = title[: pin.start()], title[pin.start() :] + " " + after
    title = re.sub(r"\s*\[[^\]]*\]\s*$", "", title.strip()).strip(" ,.;")
    if len(title.split()) <= 3 and YEAR_ANY.search(title):  # "EuZA 2008": a journal, not a title
        return "", rest
    return title, after


def _finish(authors: list[str], title: str, after: str) -> Reference | None:
    year = YEAR_ANY.search(after) or ISSUE_YEAR.search(after)
    if not year or not title:
        return None
    title = _tidy(re.sub(r"\s*\[[^\]]*\]\s*$", "", title.rstrip(" .")))  # a translation or "[online]" after it
    return Reference(
        raw="", authors=authors, year=year.group(1), title=title, container=_container(after), pages=_pages(after)
    )


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
    if rest and rest[0] in QUOTES:
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
        numbers = 0
        while len(parts) > 2 and re.fullmatch(r"(?:pp?\.\s*)?[\d:()\s–-]+", parts[-1]):
            tail, numbers = parts.pop() + (", " + tail if tail else ""), numbers + 1  # "49:2, 165-175"
        if numbers and len(parts) > 1 and parts[-1][:1].isupper():
            tail = parts.pop() + ", " + tail  # the journal those numbers belong to
        while len(parts) > 1 and (_is_place(parts[-1]) or _has_container_word(parts[-1])):
            tail = parts.pop() + (", " + tail if tail else "")
        title = ", ".join(parts)
    return _tidy(title), tail


def _title_like(piece: str) -> bool:
    """Most words capitalised, as a title is ("Fertility and Occupation: Population Patterns")."""
    words = [w for w in re.findall(r"[^\W\d_]+", piece) if w.lower() not in STOP]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


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
    pages = re.sub(r"^(?:pp?\.|at|paras?\.?|par\.|S\.|nn?\.|fn\.|note)\s*", "", pages.strip(), flags=re.I)
    return re.sub(r"\s*[–-]\s*", "–", pages) or None


def _authors(who: str) -> list[str]:
    """Split an author string into names ("Surname, I." for persons, organisations as written)."""
    who = re.sub(r"\s+", " ", who).strip(" ,;:")
    if not re.search(r"(?:^|[\s.,])[A-Z]\.$", who):
        who = who.rstrip(".")
    who = re.sub(r"^(?:see(?: also)?|cf\.|e\.g\.,?)\s+", "", who, flags=re.I)
    who = re.sub(r",?\s+et\s+al\.?$", "", EDITORS.sub("", who))
    if not who or len(who) > 160:
        return []
    parts = [p.strip() for p in re.split(r",|\s&\s|\sand\s(?=[A-Z][^,]*,\s*[A-Z]\.)", who) if p.strip()]
    joined = [p.strip() for p in re.split(r",|" + NAME_JOIN.pattern, who) if p.strip()]
    if len(joined) > len(parts) and all(_name_like(p) and len(p.split()) > 1 for p in joined):
        parts = joined  # "L. Fossier and G.-P. Zarri", "RICHARD H. THALER AND CASS R. SUNSTEIN": full names
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
    """The family name, folded: "Smith, J." and "J. Smith" both give "smith"."""
    name = author.split(",")[0].split()[0] if "," in author else (author.split() or [""])[-1]
    return strip_accents(name).lower().strip(".")


def work_key(ref: Reference) -> str:
    """A key shared by every citation of the same work: author, year, title words and a hash."""
    author = slug(ref.authors[0].split(",")[0]) if ref.authors else "anon"
    author = "-".join([w for w in author.split("-") if w not in STOP][:3]) or "anon"
    words = [w for w in slug(ref.title or "").split("-") if w and w not in STOP]
    norm = " ".join(words)
    digest = hashlib.sha1(norm.encode()).hexdigest()[:6] if words else "0"
    first = words[0] if words else "untitled"
    return f"{'-'.join(author.split('-')[:3])}-{ref.year or 'nd'}-{first}-{digest}"
