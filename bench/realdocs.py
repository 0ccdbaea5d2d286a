"""Benchmark: Glossa's readers on the real documents of ``/work/shared/realdocs`` (prints figures).

    .venv/bin/python -m bench.realdocs [--only PATTERN] [--pdf-only | --html-only] [--json OUT]

Every PDF of ``pdf/`` and every page of ``html/`` is read with ``corpus.read_document`` (one
process, one worker) and timed; a file that raises is counted as failed, with its reason, and
the run goes on. The PDFs with a hand-corrected segmentation (``pdf-segmentation/``, read by
``bench/realdocs_gold.py``) are scored against it; the web pages against ``html-gold/`` (human)
and ``html-silver/`` (a reader-mode tool's expected output, a second opinion). Each figure's
exact definition is printed under the tables (``DEFINITIONS`` below). A gold PDF that fails to
read counts every one of its gold items as missed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
import time
from pathlib import Path

from tqdm import tqdm

from bench.realdocs_gold import GOLD_FIXES, Gold, compact, ends_sentence, read_gold, similarity, token_f1, words
from corpus import read_document
from corpus.models import Footnote
from corpus.references import annotate_footnotes

ROOT = Path(__file__).resolve().parent.parent

DATA = Path(os.environ.get("GLOSSA_REALDOCS", "/work/shared/realdocs"))
NOTE_SIMILARITY = 0.8
TITLE_SIMILARITY = 0.8
MIN_LINE = 25  # letters: shorter gold lines are too common to be looked for inside other text
PHRASE_SIDE = 3  # words taken on each side of a page break
KNOWN_LINES = 3  # known-item queries per document made from its reference text
KNOWN_WORDS = 6  # words in each of them
REFERENCES = ROOT / "bench" / "gold" / "references.json"

#: a note number the gold keeps after a sentence's end ("... lignite. 8"): the sentence has ended
TRAILING_MARK = re.compile(r"(?<=[.!?:;…\"'”’»)\]])\s*(\d{1,4}|[*†‡]{1,3})$")
#: between the forms of a phrase whose page break falls after a hyphen (joined, or kept as two words)
ALTERNATIVE = " / "
#: a figure or table caption (the gold sets a float that tops a page in the body)
CAPTION = re.compile(r"(fig(ure|ura)?|table|tabla|tabelle|abb(ildung)?|tab)\.?\s+\d", re.I)

DEFINITIONS = {
    "notes right": f"a gold note (number + text, cut from the TEI footnote areas at each leading number "
    f"that continues the sequence) matched by a Glossa footnote with the same number whose text has "
    f"similarity >= {NOTE_SIMILARITY}: difflib SequenceMatcher ratio over folded word tokens (NFKC, "
    f"line-end hyphens joined, lower case, accents and punctuation dropped)",
    "numbers found": "gold note numbers for which Glossa has a footnote with that number, whatever its text",
    "note lines in body": f"gold note lines of >= {MIN_LINE} letters found inside one body passage (letters only, "
    "no spaces, digits dropped, so line breaks, hyphens and marks do not matter); a body passage is any "
    "passage but a reference-list entry (kind 'reference')",
    "note lines in notes": "gold note lines found inside one Glossa footnote text or reference-list entry (the gold "
    "sets a reference list as a footnote area; the note text is kept, rightly cut or not); 'in neither' = "
    "found neither there nor in a body passage",
    "note first lines in body": "the same for the first line of each gold note only",
    "body lines as notes": f"gold body lines of >= {MIN_LINE} letters found inside one Glossa footnote text or "
    "reference-list entry (same folding)",
    "body lines kept": f"gold body lines of >= {MIN_LINE} letters found inside one body passage (text not lost)",
    "split paragraphs": "pairs of consecutive paragraph passages where the first does not end with . ! ? : ; … "
    "(closing quotes/brackets allowed) and the next starts with a lower-case letter, or the first ends "
    "with a hyphenated word; share = split pairs / pairs; a PDF counts as split when share >= 0.5",
    "cross-page phrases": f"{2 * PHRASE_SIDE} words ({PHRASE_SIDE} each side) around each gold page break that falls "
    "mid-sentence (last body line of a page not ending a sentence, a note number after its full stop "
    "counting as an end + first body line of the next, both of >= 3 words and the last line not in "
    "capitals, so no heading; a next page that starts with a figure or table caption is not counted: "
    "the sentence goes on after the float; a word hyphenated across the break may be found joined or as "
    "two words: 'non-discriminatory' is a compound), found as consecutive words (letters only) inside one body passage",
    "references right": f"for each hand-checked citing note of bench/gold/references.json (the first work the note "
    f"cites: year, first author's surname, title), the first reference Glossa parsed from its footnote of that "
    f"number: the same year, the gold surname's folded words standing in a row in the first author's (or no "
    f"author when the gold names none), and a title of similarity >= {TITLE_SIMILARITY} (same measure as notes); "
    "'parser alone' = the same on the gold note text parsed by itself (no PDF reading)",
    "column phrases": "not measured: the segmentation TEI has no coordinates to tell where a column ends",
    "titles": f"Glossa's title vs the TEI title (teiHeader title level=a, or docTitle/titlePart), difflib ratio of "
    f"the folded words >= {TITLE_SIMILARITY}; files without a gold title are not counted",
    "known-item MRR@10": f"every document read goes into one Whoosh index (on disk, no entity tagging); per document "
    f"{KNOWN_LINES} queries made from its reference text alone (gold body lines of PDFs, human gold or silver "
    f"text of web pages): the {KNOWN_WORDS} middle words of the lines at 1/{KNOWN_LINES + 1}, 2/{KNOWN_LINES + 1}, ... of "
    "the lines of >= 10 words, typed as plain words; and, for PDFs with a gold title, the title's words; "
    "reciprocal rank of the document among the distinct documents of the first hits (0 past 10)",
    "html F1": "bag-of-words token F1 (folded tokens) of the document text against the gold; Glossa = "
    "read_document(page).text, trafilatura = trafilatura.extract(page bytes) with its defaults",
}


# --------------------------------------------------------------------------- PDFs
def split_share(doc) -> tuple[int, int]:
    """(split pairs, pairs) of consecutive paragraph passages (see DEFINITIONS)."""
    paras = [doc.passage_text(p) for p in doc.passages if p.kind == "paragraph"]
    split = 0
    for first, second in zip(paras, paras[1:], strict=False):
        first, second = first.rstrip(), second.lstrip()
        if re.search(r"\w[-\u2010\u00ad]$", first) or (not ends_sentence(first) and second[:1].islower()):
            split += 1
    return split, max(len(paras) - 1, 0)


def page_phrases(gold: Gold) -> list[str]:
    """The word phrases around the gold's mid-sentence page breaks."""
    out = []
    for page, following in zip(gold.pages, gold.pages[1:], strict=False):
        if not page.body or not following.body:
            continue
        last, first = page.body[-1], following.body[0]
        if ends_sentence(TRAILING_MARK.sub("", last)) or len(last.split()) < 3 or len(first.split()) < 3:
            continue  # a paragraph or a heading ends at the break, not a sentence
        if not re.search(r"[^\W\d_]", last) or last == last.upper() or CAPTION.match(first):
            continue  # a heading in capitals ends the page, or a float's caption starts the next
        before, after = words(last, digits=False), words(first, digits=False)
        joined = words(last + "\n" + first, digits=False)
        if not before or not after:
            continue
        junction = len(before) - (len(before) + len(after) - len(joined))  # a hyphenated word joins two
        phrase = joined[max(0, junction - PHRASE_SIDE) : junction + PHRASE_SIDE]
        if len(phrase) >= 4:
            out.append(" ".join(phrase))
            if len(joined) < len(before) + len(after):  # "non-" + "discriminatory": a compound may keep its hyphen
                kept = before + after
                out[-1] += ALTERNATIVE + " ".join(kept[max(0, len(before) - PHRASE_SIDE) : len(before) + PHRASE_SIDE])
    return out


def phrase_found(phrase: str, body_words: str) -> bool:
    """Whether one of the phrase's forms stands in the body words (see ``page_phrases``)."""
    return any(f" {form} " in f" {body_words} " for form in phrase.split(ALTERNATIVE))


def score_pdf(doc, gold: Gold | None) -> dict:
    """Figures for one read PDF (gold figures only when there is a gold)."""
    out: dict = {"passages": len(doc.passages), "footnotes": len(doc.footnotes), "title": doc.title}
    out["split_pairs"], out["pairs"] = split_share(doc)
    out["reference_entries"] = sum(1 for p in doc.passages if p.kind == "reference")
    if gold is None:
        return out
    passages = [doc.passage_text(p) for p in doc.passages if p.kind != "reference"]
    entries = [doc.passage_text(p) for p in doc.passages if p.kind == "reference"]
    body_key = "|" + "|".join(compact(t) for t in passages) + "|"
    # the gold sets a reference list as a footnote area: its entries count with the notes
    notes_key = "|" + "|".join([compact(n.text) for n in doc.footnotes] + [compact(t) for t in entries]) + "|"
    by_number: dict[str, list] = {}
    for note in doc.footnotes:
        by_number.setdefault(str(note.number), []).append(note)
    right, found, misses = 0, 0, []
    for gnote in gold.notes:
        candidates = by_number.get(gnote.number, [])
        found += bool(candidates)
        best = max((similarity(gnote.text, c.text) for c in candidates), default=0.0)
        if best >= NOTE_SIMILARITY:
            right += 1
        elif len(misses) < 5:
            misses.append({"number": gnote.number, "similarity": round(best, 2), "gold": gnote.text[:80]})
    out.update(notes_right=right, numbers_found=found, misses=misses)
    note_lines = [k for k in (compact(line) for line in gold.note_lines) if len(k) >= MIN_LINE]
    body_lines = [k for k in (compact(line) for line in gold.body_lines) if len(k) >= MIN_LINE]
    out["note_lines_in_body"] = sum(1 for k in note_lines if k in body_key)
    out["note_lines_in_notes"] = sum(1 for k in note_lines if k in notes_key)
    out["note_lines_lost"] = sum(1 for k in note_lines if k not in notes_key and k not in body_key)
    firsts = [k for k in (compact(n.lines[0]) for n in gold.notes if n.lines) if len(k) >= MIN_LINE]
    out["note_first_lines_in_body"] = sum(1 for k in firsts if k in body_key)
    out["body_lines_as_notes"] = sum(1 for k in body_lines if k in notes_key)
    out["body_lines_kept"] = sum(1 for k in body_lines if k in body_key)
    body_words = " | ".join(" ".join(words(t, digits=False)) for t in passages)
    phrases = page_phrases(gold)
    out["page_phrases_found"] = sum(1 for p in phrases if phrase_found(p, body_words))
    out["page_phrases_missed"] = [p for p in phrases if not phrase_found(p, body_words)][:5]
    if gold.title:
        out["title_similarity"] = round(similarity(doc.title or "", gold.title), 3)
    return out


def gold_counts(gold: Gold | None) -> dict:
    if gold is None:
        return {}
    return {
        "gold_notes": len(gold.notes),
        "gold_note_lines": sum(1 for line in gold.note_lines if len(compact(line)) >= MIN_LINE),
        "gold_note_first_lines": sum(1 for n in gold.notes if n.lines and len(compact(n.lines[0])) >= MIN_LINE),
        "gold_body_lines": sum(1 for line in gold.body_lines if len(compact(line)) >= MIN_LINE),
        "gold_page_phrases": len(page_phrases(gold)),
        "gold_title": gold.title,
    }


# --------------------------------------------------------------------------- references
def load_references(path: Path = REFERENCES) -> dict[str, list[dict]]:
    """The hand-checked citing notes, by PDF file name."""
    if not path.is_file():
        return {}
    out: dict[str, list[dict]] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["notes"]:
        out.setdefault(entry["file"], []).append(entry)
    return out


def reference_right(ref, gold: dict) -> bool:
    """Whether one parsed Reference has the gold's year, first author and title (see DEFINITIONS)."""
    if ref is None or (ref.year or "") != gold["year"]:
        return False
    if gold["author"] is None:
        if ref.authors:
            return False
    else:
        want = " ".join(words(gold["author"], digits=False))
        have = " ".join(words(ref.authors[0], digits=False)) if ref.authors else ""
        if not want or f" {want} " not in f" {have} ":
            return False
    return similarity(ref.title or "", gold["title"]) >= TITLE_SIMILARITY


def parse_alone(text: str):
    """The first reference the parser gives for a note text read by itself (None if it gives none)."""
    note = Footnote(number="1", text=text)
    annotate_footnotes([note])
    return note.references[0] if note.references else None


def score_references(doc, entries: list[dict]) -> dict:
    """references right in Glossa's notes and by the parser alone, for one PDF's gold entries."""
    by_number: dict[str, list] = {}
    for note in doc.footnotes if doc is not None else []:
        by_number.setdefault(str(note.number), []).append(note)
    right = alone = 0
    misses = []
    for entry in entries:
        # a number used twice (notes restarting, an appendix): the note whose text is the gold's
        same = by_number.get(entry["note"], [])
        note = max(same, key=lambda n: similarity(n.text, entry["text"]), default=None)
        ref = note.references[0] if note is not None and note.references else None
        ok = reference_right(ref, entry)
        right += ok
        alone += reference_right(parse_alone(entry["text"]), entry)
        if not ok:
            got = f"{ref.year} | {(ref.authors or [None])[0]} | {ref.title}" if ref else "no reference"
            misses.append(
                f"note {entry['note']}: want {entry['year']} | {entry['author']} | {entry['title'][:50]}; got {got[:90]}"
            )
    return {"refs_right": right, "refs_alone": alone, "refs_gold": len(entries), "ref_misses": misses}


# --------------------------------------------------------------------------- HTML
def html_text_of(path: Path) -> str:
    import lxml.html

    return lxml.html.fromstring(path.read_bytes()).text_content()


def score_html(path: Path, keep: dict | None = None) -> dict:
    import trafilatura

    out: dict = {}
    gold_path = DATA / "html-gold" / f"{path.stem}.txt"
    silver_path = DATA / "html-silver" / f"{path.stem}.expected.html"
    if gold_path.is_file():
        out["reference"], reference = "gold", gold_path.read_text(encoding="utf-8", errors="replace")
    elif silver_path.is_file():
        out["reference"], reference = "silver", html_text_of(silver_path)
    else:
        out["reference"], reference = None, None
    started = time.perf_counter()
    try:
        doc = read_document(path)
    except Exception as exc:  # noqa: BLE001 - a failing file is a figure, not the end of the run
        out["error"] = f"{type(exc).__name__}: {exc}"
        doc = None
    out["seconds"] = round(time.perf_counter() - started, 3)
    baseline = trafilatura.extract(path.read_bytes()) or ""
    if reference is not None:
        out["f1"] = round(token_f1(doc.text if doc else "", reference)[2], 4)
        out["trafilatura_f1"] = round(token_f1(baseline, reference)[2], 4)
    if doc is not None:
        out["footnotes"] = len(doc.footnotes)
        if keep is not None and reference is not None:
            keep[path.name] = (doc, reference.splitlines(), None)
    return out


# --------------------------------------------------------------------------- known-item search
def known_queries(lines: list[str], title: str | None) -> list[str]:
    """Queries made from a document's reference text only (see DEFINITIONS)."""
    long = [w for w in (words(line, digits=False) for line in lines) if len(w) >= 10]
    out = []
    for k in range(1, KNOWN_LINES + 1):
        if long:
            line = long[k * len(long) // (KNOWN_LINES + 1)]
            mid = (len(line) - KNOWN_WORDS) // 2
            out.append(" ".join(line[mid : mid + KNOWN_WORDS]))
    if title:
        out.append(" ".join(words(title, digits=False)[:10]))
    return list(dict.fromkeys(q for q in out if q))


def known_item(kept: dict) -> dict:
    """MRR@10 of known-item queries, for the PDFs and for the web pages (see DEFINITIONS)."""
    import shutil
    import tempfile

    from indexer.search import Searcher
    from indexer.writer import write_documents

    root = Path(tempfile.mkdtemp(prefix="glossa-realdocs-"))
    try:
        docs = {name: item[0] for name, item in kept.items()}
        write_documents(root / "index", [(doc, []) for doc in docs.values()])
        searcher = Searcher(root / "index")
        out: dict = {}
        for kind, suffix in (("pdf", ".pdf"), ("html", ".html")):
            ranks, misses = [], []
            for name, (doc, lines, title) in kept.items():
                if not name.endswith(suffix):
                    continue
                for query in known_queries(lines, title):
                    seen: list[str] = []
                    for hit in searcher.search(query, pagelen=50).hits:
                        if hit.doc_id not in seen:
                            seen.append(hit.doc_id)
                    rank = seen.index(doc.doc_id) + 1 if doc.doc_id in seen[:10] else None
                    ranks.append(rank)
                    if rank is None and len(misses) < 8:
                        misses.append(f"{name[:30]}: {query}")
            mrr = sum(1 / r for r in ranks if r) / len(ranks) if ranks else None
            out[kind] = {"queries": len(ranks), "mrr10": round(mrr, 4) if mrr is not None else None, "misses": misses}
        searcher.close()
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def print_known(figures: dict) -> None:
    print("Known-item search (queries made from the reference text, one index of every document read)")
    for kind, row in figures.items():
        if row["mrr10"] is None:
            continue
        print(f"  MRR@10 {kind:<5} {row['mrr10']:.3f} ({row['queries']} queries)")
        for miss in row["misses"]:
            print(f"    not in the first 10: {miss}")


# --------------------------------------------------------------------------- report
def pct(n: int, total: int) -> str:
    return f"{n}/{total} ({100 * n / total:.1f}%)" if total else f"{n}/0"


def run_pdfs(paths: list[Path], bar, keep: dict | None = None) -> dict:
    results = {}
    references = load_references()
    for path in paths:
        bar.set_postfix_str(path.name[:30])
        gold_path = DATA / "pdf-segmentation" / f"{path.stem}.segmentation.tei.xml"
        gold = None
        row: dict = {}
        if gold_path.is_file():
            if path.stem in GOLD_FIXES and GOLD_FIXES[path.stem].startswith("excluded"):
                row["gold_excluded"] = GOLD_FIXES[path.stem]
            else:
                gold = read_gold(gold_path)
        row.update(gold_counts(gold))
        started, cpu = time.perf_counter(), time.process_time()
        try:
            doc = read_document(path)
        except Exception as exc:  # noqa: BLE001 - a failing file is a figure, not the end of the run
            row["error"] = f"{type(exc).__name__}: {exc}"
            doc = None
        row["seconds"] = round(time.perf_counter() - started, 3)
        row["cpu_seconds"] = round(time.process_time() - cpu, 3)
        if path.name in references:
            row.update(score_references(doc, references[path.name]))
        if doc is not None:
            row["pages"] = doc.pages
            row.update(score_pdf(doc, gold))
            if keep is not None:
                keep[path.name] = (doc, gold.body_lines if gold else [], gold.title if gold else None)
        results[path.name] = row
        bar.update()
    return results


def is_crash(error: str | None) -> bool:
    """A failure that is a reader's exception (wrapped or not), not a reasoned rejection."""
    reasoned = re.match(r"(ReadError|NoTextLayer|UnsupportedFormat):", error or "")  # corpus.ReadError and its kinds
    return bool(error) and (not reasoned or bool(re.search(r"could not be read \(\w+:", error)))


def pdf_totals(results: dict) -> dict:
    ok = {k: r for k, r in results.items() if "error" not in r}
    gold = {k: r for k, r in results.items() if "gold_notes" in r}

    def total(key: str, rows: dict) -> int:
        return sum(r.get(key, 0) or 0 for r in rows.values())

    pages = total("pages", ok)
    seconds = total("seconds", ok)
    cpu = total("cpu_seconds", ok)
    titled = [r for r in gold.values() if r.get("gold_title")]
    split_docs = [k for k, r in ok.items() if r.get("pairs") and r["split_pairs"] / r["pairs"] >= 0.5]
    return {
        "pdfs": len(results),
        "read": len(ok),
        "failed": {k: r["error"] for k, r in results.items() if "error" in r},
        "crashed": sorted(k for k, r in results.items() if is_crash(r.get("error"))),
        "pages": pages,
        "seconds": round(seconds, 2),
        "seconds_per_page": round(seconds / pages, 4) if pages else None,
        "seconds_per_pdf": round(seconds / len(ok), 3) if ok else None,
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_page": round(cpu / pages, 4) if pages else None,
        "gold_pdfs": len(gold),
        "notes_right": total("notes_right", gold),
        "numbers_found": total("numbers_found", gold),
        "gold_notes": total("gold_notes", gold),
        "note_lines_in_body": total("note_lines_in_body", gold),
        "gold_note_lines": total("gold_note_lines", gold),
        "note_lines_in_notes": total("note_lines_in_notes", gold),
        "note_lines_lost": total("note_lines_lost", gold),
        "note_first_lines_in_body": total("note_first_lines_in_body", gold),
        "gold_note_first_lines": total("gold_note_first_lines", gold),
        "body_lines_as_notes": total("body_lines_as_notes", gold),
        "reference_entries": total("reference_entries", ok),
        "body_lines_kept": total("body_lines_kept", gold),
        "gold_body_lines": total("gold_body_lines", gold),
        "page_phrases_found": total("page_phrases_found", gold),
        "gold_page_phrases": total("gold_page_phrases", gold),
        "titles_right": sum(1 for r in titled if (r.get("title_similarity") or 0) >= TITLE_SIMILARITY),
        "gold_titles": len(titled),
        "refs_right": total("refs_right", results),
        "refs_alone": total("refs_alone", results),
        "refs_gold": total("refs_gold", results),
        "split_pdfs": len(split_docs),
        "split_pairs": total("split_pairs", ok),
        "pairs": total("pairs", ok),
    }


def print_pdfs(results: dict, totals: dict) -> None:
    print("PDFs (one worker; times include everything read_document does)")
    head = f"{'file':<38} {'pages':>5} {'s/page':>6} {'notes right':>11} {'num':>4} {'lines in body':>13} {'body as notes':>13} {'kept':>9} {'split':>5} {'xpage':>5} {'title':>5}"
    print(head)
    for name, r in results.items():
        label = name[:-4][:38]
        if "error" in r:
            print(f"{label:<38} FAILED {r['error'][:120]}")
            continue
        sp = f"{r['seconds'] / r['pages']:.3f}" if r.get("pages") else "-"
        split = f"{100 * r['split_pairs'] / r['pairs']:.0f}%" if r["pairs"] else "-"
        if "gold_notes" in r:
            title = f"{r['title_similarity']:.2f}" if "title_similarity" in r else "-"
            print(
                f"{label:<38} {r['pages'] or 0:>5} {sp:>6} {r['notes_right']:>5}/{r['gold_notes']:<5} "
                f"{r['numbers_found']:>4} {r['note_lines_in_body']:>6}/{r['gold_note_lines']:<6} "
                f"{r['body_lines_as_notes']:>6}/{r['gold_body_lines']:<6} {r['body_lines_kept']:>4}/{r['gold_body_lines']:<4} "
                f"{split:>5} {r['page_phrases_found']:>2}/{r['gold_page_phrases']:<2} {title:>5}"
            )
        else:
            note = " (gold excluded)" if "gold_excluded" in r else " (no gold)"
            print(
                f"{label:<38} {r['pages'] or 0:>5} {sp:>6} {'':>11} {'':>4} {'':>13} {'':>13} {'':>9} {split:>5}{note} notes={r['footnotes']}"
            )
    t = totals
    print()
    print("PDF totals")
    print(f"  read                          {t['read']}/{t['pdfs']}")
    for name, reason in t["failed"].items():
        print(f"    failed {name}: {reason[:200]}")
    print(f"  crashes (a reader's exception, not a reasoned rejection)  {len(t['crashed'])}")
    if t["pages"]:
        print(
            f"  time                          {t['seconds_per_page']:.3f} s/page, {t['seconds_per_pdf']:.2f} s/PDF ({t['pages']} pages, {t['seconds']:.1f} s)"
        )
        print(
            f"  CPU time                      {t['cpu_seconds_per_page']:.3f} s/page ({t['cpu_seconds']:.1f} s; less sensitive to load)"
        )
    failed_gold = [k for k, r in results.items() if "error" in r and "gold_notes" in r]
    print(
        f"  gold PDFs                     {t['gold_pdfs']} ({len(failed_gold)} failed: their gold items count as missed)"
    )
    print(f"  footnotes right               {pct(t['notes_right'], t['gold_notes'])}")
    print(f"  note numbers found            {pct(t['numbers_found'], t['gold_notes'])}")
    print(f"  note lines left in body       {pct(t['note_lines_in_body'], t['gold_note_lines'])}")
    print(f"  note lines in Glossa's notes  {pct(t['note_lines_in_notes'], t['gold_note_lines'])}")
    print(f"  note lines in neither         {pct(t['note_lines_lost'], t['gold_note_lines'])}")
    print(f"  note first lines in body      {pct(t['note_first_lines_in_body'], t['gold_note_first_lines'])}")
    print(f"  body lines taken as notes     {pct(t['body_lines_as_notes'], t['gold_body_lines'])}")
    print(f"  body lines kept in passages   {pct(t['body_lines_kept'], t['gold_body_lines'])}")
    print(f"  reference-list entries        {t['reference_entries']} (all PDFs read)")
    print(
        f"  references right (citing notes)  {pct(t['refs_right'], t['refs_gold'])} (parser alone on the gold note text: {pct(t['refs_alone'], t['refs_gold'])})"
    )
    for name, r in results.items():
        for miss in r.get("ref_misses", [])[:8]:
            print(f"    {name[:30]} {miss}")
    print(f"  cross-page phrases found      {t['page_phrases_found']}/{t['gold_page_phrases']}")
    print("  column phrases                not measured (the TEI has no coordinates)")
    print(f"  titles right                  {t['titles_right']}/{t['gold_titles']}")
    print(
        f"  PDFs with >= half paragraphs split mid-sentence  {t['split_pdfs']}/{t['read']} (all pairs: {pct(t['split_pairs'], t['pairs'])})"
    )
    for name, reason in GOLD_FIXES.items():
        print(f"  gold note: {name}: {reason}")


def print_html(results: dict) -> dict:
    print("Web pages (token F1 of the document text)")
    print(f"{'file':<30} {'ref':<6} {'Glossa':>7} {'trafil.':>7} {'notes':>5} {'s':>6}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<30} FAILED {r['error'][:120]}")
        g = f"{r['f1']:.3f}" if "f1" in r else "-"
        b = f"{r['trafilatura_f1']:.3f}" if "trafilatura_f1" in r else "-"
        print(f"{name:<30} {r['reference'] or '-':<6} {g:>7} {b:>7} {r.get('footnotes', '-'):>5} {r['seconds']:>6.2f}")
    totals: dict = {"pages": len(results), "failed": {k: r["error"] for k, r in results.items() if "error" in r}}
    print()
    print("Web page totals")
    print(f"  read                          {len(results) - len(totals['failed'])}/{len(results)}")
    for ref in ("gold", "silver"):
        rows = [r for r in results.values() if r["reference"] == ref and "f1" in r]
        if not rows:
            continue
        f1 = sum(r["f1"] for r in rows) / len(rows)
        base = sum(r["trafilatura_f1"] for r in rows) / len(rows)
        totals[f"{ref}_pages"] = len(rows)
        totals[f"{ref}_f1"], totals[f"{ref}_trafilatura_f1"] = round(f1, 4), round(base, 4)
        print(f"  mean F1 vs {ref:<6} ({len(rows):>2} pages)   Glossa {f1:.3f}   trafilatura alone {base:.3f}")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="only files whose name matches this glob or contains this text")
    parser.add_argument("--json", type=Path, help="write the per-file and total figures here")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--pdf-only", action="store_true")
    kind.add_argument("--html-only", action="store_true")
    parser.add_argument("--no-known-item", action="store_true", help="skip the known-item search figures")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the real-documents folder (default {DATA})")
    args = parser.parse_args(argv)
    if not (args.data / "pdf").is_dir() and not (args.data / "html").is_dir():
        parser.error(f"{args.data}: no pdf/ or html/ folder (give the real-documents folder with --data)")
    globals()["DATA"] = args.data

    def wanted(path: Path) -> bool:
        return not args.only or args.only in path.name or fnmatch.fnmatch(path.name, args.only)

    pdfs = [] if args.html_only else [p for p in sorted((args.data / "pdf").glob("*.pdf")) if wanted(p)]
    pages = [] if args.pdf_only else [p for p in sorted((args.data / "html").glob("*.html")) if wanted(p)]
    report: dict = {"definitions": DEFINITIONS, "gold_fixes": GOLD_FIXES}
    kept: dict = {}
    with tqdm(total=len(pdfs) + len(pages), file=sys.stderr, unit="file") as bar:
        pdf_results = run_pdfs(pdfs, bar, kept) if pdfs else {}
        html_results = {}
        for path in pages:
            bar.set_postfix_str(path.name[:30])
            html_results[path.name] = score_html(path, kept)
            bar.update()
    if pdf_results:
        totals = pdf_totals(pdf_results)
        print_pdfs(pdf_results, totals)
        report["pdf"], report["pdf_totals"] = pdf_results, totals
        print()
    if html_results:
        report["html"], report["html_totals"] = html_results, print_html(html_results)
        print()
    if kept and not args.no_known_item:
        report["known_item"] = known_item(kept)
        print_known(report["known_item"])
        print()
    print("Definitions")
    for name, text in DEFINITIONS.items():
        print(f"  {name}: {text}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
