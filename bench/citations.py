"""Footnote and citation figures for the sample paper 003 against a hand-made gold file.

    .venv/bin/python -m bench.citations [--pdf tests/data/paper003.pdf] [--json]

For each source (the Markdown text through ``corpus.read_document`` and the PDF typeset
from it through ``corpus.pdf.read_pdf``) it prints: footnotes found with the right number,
note texts equal to the Markdown ones, note text leaking into body passages, Ibid. notes
resolved to the right note, and for the notes that are references the share with the right
year, URLs, authors and title.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

from corpus import read_document
from corpus.models import Document
from corpus.pdf import read_pdf

ROOT = Path(__file__).resolve().parent.parent

GOLD = ROOT / "bench" / "gold" / "003_footnotes.json"
PDF = ROOT / "tests" / "data" / "paper003.pdf"


def fold(text: str | None) -> str:
    """Lower-case letters and digits only (accents, quotes and punctuation dropped)."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def same_authors(got: list[str], want: list[str]) -> bool:
    clean = [re.sub(r"^the ", "", fold(a)).replace(" ", "") for a in got]
    return clean == [re.sub(r"^the ", "", fold(a)).replace(" ", "") for a in want]


def same_urls(got: list[str], want: list[str]) -> bool:
    return sorted(u.rstrip("./") for u in got) == sorted(u.rstrip("./") for u in want)


def score(doc: Document, gold: list[dict], reference_texts: dict[str, str] | None) -> dict:
    """All figures for one read document."""
    notes = {n.number: n for n in doc.footnotes}
    numbers = [n.number for n in doc.footnotes]
    out: dict = {
        "footnotes_found": len(doc.footnotes),
        "gold_footnotes": len(gold),
        "numbers_right": sum(1 for g in gold if g["number"] in notes),
        "duplicate_numbers": len(numbers) - len(set(numbers)),
        "marks": len(doc.marks),
    }
    if reference_texts is not None:
        out["texts_equal_to_markdown"] = sum(
            1
            for num, text in reference_texts.items()
            if num in notes and " ".join(notes[num].text.split()) == " ".join(text.split())
        )
    body = " ".join(doc.passage_text(p) for p in doc.passages)
    out["notes_leaking_into_body"] = sum(
        1 for n in doc.footnotes if len(n.text) > 40 and " ".join(n.text.split())[:60] in body
    )
    ibids = [g for g in gold if g.get("ibid")]
    out["ibid_total"] = len(ibids)
    out["ibid_right"] = sum(1 for g in ibids if g["number"] in notes and notes[g["number"]].refers_to == g["ibid"])
    out["is_reference_right"] = sum(
        1 for g in gold if g["number"] in notes and bool(notes[g["number"]].references) == bool(g["is_reference"])
    )
    fields = {"year": 0, "urls": 0, "authors": 0, "title": 0}
    misses: dict[str, list[str]] = {k: [] for k in fields}
    total = 0
    for g in gold:
        if not g["is_reference"] or g.get("ibid"):
            continue
        wanted = [g] + g.get("more", [])
        got = notes[g["number"]].references if g["number"] in notes else []
        for i, want in enumerate(wanted):
            total += 1
            ref = got[i] if i < len(got) else None
            checks = {
                "year": ref is not None and ref.year == want["year"],
                "urls": ref is not None and same_urls(ref.urls, want["urls"]),
                "authors": ref is not None and same_authors(ref.authors, want["authors"]),
                "title": ref is not None and fold(ref.title) == fold(want["title"]),
            }
            for key, ok in checks.items():
                fields[key] += ok
                if not ok:
                    misses[key].append(g["number"])
    out["references_scored"] = total
    for key, hits in fields.items():
        out[f"{key}_right"] = hits
        out[f"{key}_pct"] = round(100 * hits / total, 1) if total else 0.0
    out["misses"] = misses
    return out


def report(name: str, figures: dict) -> None:
    print(f"== {name}")
    print(
        f"  footnotes found {figures['footnotes_found']}/{figures['gold_footnotes']}, "
        f"right numbers {figures['numbers_right']}, duplicates {figures['duplicate_numbers']}, "
        f"marks {figures['marks']}"
    )
    if "texts_equal_to_markdown" in figures:
        print(f"  note texts equal to the Markdown reading: {figures['texts_equal_to_markdown']}")
    print(f"  note texts found in body passages: {figures['notes_leaking_into_body']}")
    print(f"  Ibid. resolved right: {figures['ibid_right']}/{figures['ibid_total']}")
    print(f"  reference / commentary-only decided right: {figures['is_reference_right']}/{figures['gold_footnotes']}")
    n = figures["references_scored"]
    for key in ("year", "urls", "authors", "title"):
        miss = ", ".join(figures["misses"][key]) or "-"
        print(f"  {key:8s} {figures[key + '_right']:3d}/{n} = {figures[key + '_pct']:5.1f}%   misses: {miss}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--pdf", type=Path, default=PDF)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    gold_file = json.loads(args.gold.read_text(encoding="utf-8"))
    gold = gold_file["notes"]
    markdown = read_document(gold_file["document"])
    results = {"markdown": score(markdown, gold, None)}
    if args.pdf.exists():
        texts = {n.number: n.text for n in markdown.footnotes}
        results["pdf"] = score(read_pdf(args.pdf), gold, texts)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, figures in results.items():
            report(name, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
