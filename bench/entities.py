"""Benchmark: what the entity tagger finds, per label, and how precise its PERSON, GPE and ORG are.

Usage: .venv/bin/python -m bench.entities [--realdocs N] [--top K] [--all]

Tags the sample corpus and a few real documents from ../shared/realdocs (web pages and PDFs,
those that read today) with the real tagger (spaCy model + gazetteer + rules) and prints:

* per corpus and label, the number of distinct entities and mentions and the most frequent
  names (all names with --all);
* for the sample corpus, against the hand-checked gold of bench/gold/entities.json (every
  distinct PERSON, GPE and ORG name the tagger found before its rules were changed, with the
  labels that are right for it): per label, the precision over distinct names and over mentions,
  the names judged wrong, and the names the gold does not judge (reported, never counted);
* "right names": of the gold's names that are surely entities (null not among their labels), how many the tagger still finds
  under a right label (a rule that drops real people would lower it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

from corpus import read_document
from indexer.ner import EntityTagger

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = ROOT / "webui" / "sample_corpus"
GOLD = ROOT / "bench" / "gold" / "entities.json"
REALDOCS = Path(os.environ.get("GLOSSA_REALDOCS", "/work/shared/realdocs"))
if not REALDOCS.exists():
    REALDOCS = Path("/work/shared/realdocs")
#: real documents of other kinds than the sample corpus: news, a legal brief, academic PDFs
REAL_FILES = [
    "html/rd-aclu.html",
    "html/rd-nytimes-2.html",
    "html/sh-04a6711caa.html",
    "html/sh-1ee91d1fce.html",
    "pdf/10.3249_1868-1581-1-2-gutbrod.pdf",
    "pdf/10.54648__eelr2015001.pdf",
]
JUDGED_LABELS = ("PERSON", "GPE", "ORG")


def read_all(paths: list[Path]) -> list:
    """The documents that read today (a file that no longer reads is reported and skipped)."""
    docs = []
    for path in paths:
        try:
            docs.append(read_document(path))
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            print(f"  skipped {path.name}: {exc}")
    return docs


def tally(tagged: list) -> dict[str, Counter]:
    """label -> Counter of canonical names (mentions)."""
    out: dict[str, Counter] = defaultdict(Counter)
    for entities in tagged:
        for e in entities:
            out[e.label][e.canonical] += 1
    return out


def print_labels(title: str, counts: dict[str, Counter], top: int | None) -> None:
    print(f"\n== {title}: entities per label (distinct names / mentions)")
    for label in sorted(counts, key=lambda lab: -sum(counts[lab].values())):
        names = counts[label]
        shown = names.most_common(top)
        listed = ", ".join(f"{n} {c}" if c > 1 else n for n, c in shown)
        more = f" ... (+{len(names) - len(shown)})" if len(shown) < len(names) else ""
        print(f"  {label:<12} {len(names):>4} / {sum(names.values()):<5} {listed}{more}")


def precision(counts: dict[str, Counter], gold: dict[str, list]) -> dict[str, dict]:
    """Per judged label: right/judged over distinct names and mentions, wrong and unjudged names."""
    result = {}
    for label in JUDGED_LABELS:
        names = counts.get(label, Counter())
        right = [n for n in names if n in gold and label in gold[n]]
        wrong = [n for n in names if n in gold and label not in gold[n]]
        unjudged = [n for n in names if n not in gold]
        result[label] = {
            "names": (len(right), len(right) + len(wrong)),
            "mentions": (sum(names[n] for n in right), sum(names[n] for n in right + wrong)),
            "wrong": sorted(wrong),
            "unjudged": sorted(unjudged),
        }
    return result


def right_names(counts: dict[str, Counter], gold: dict[str, list]) -> tuple[int, int, list[str]]:
    """Of the gold's real entities, how many are found under a right label; the ones lost."""
    real = {n: labels for n, labels in gold.items() if None not in labels}
    found = {n for label, names in counts.items() for n in names if n in real and label in real[n]}
    return len(found), len(real), sorted(set(real) - found)


def ratio(pair: tuple[int, int]) -> str:
    right, total = pair
    return f"{right}/{total} = {right / total:.3f}" if total else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdocs", type=int, default=len(REAL_FILES), help="how many real documents")
    parser.add_argument("--top", type=int, default=12, help="names shown per label")
    parser.add_argument("--all", action="store_true", help="show every name")
    args = parser.parse_args()
    top = None if args.all else args.top

    started = time.perf_counter()
    tagger = EntityTagger()
    print(f"tagger: {tagger.description}; loaded in {time.perf_counter() - started:.1f} s")
    sample = read_all(sorted(SAMPLE.glob("0*.txt")))
    real = read_all([REALDOCS / f for f in REAL_FILES[: args.realdocs] if (REALDOCS / f).exists()])
    for title, docs in (("sample corpus", sample), (f"{len(real)} real documents", real)):
        started = time.perf_counter()
        tagged = tagger.tag(docs)
        chars = sum(len(d.text) for d in docs)
        print(f"\n{title}: {len(docs)} documents, {chars} characters, tagged in {time.perf_counter() - started:.1f} s")
        counts = tally(tagged)
        print_labels(title, counts, top)
        if docs is sample:
            sample_counts = counts

    gold = json.loads(GOLD.read_text(encoding="utf-8"))["labels"]
    print(f"\n== sample corpus against {GOLD.relative_to(ROOT)} ({len(gold)} judged names)")
    print(f"  {'label':<8} {'precision (names)':<22} {'precision (mentions)':<22}")
    totals = [0, 0]
    for label, figures in precision(sample_counts, gold).items():
        print(f"  {label:<8} {ratio(figures['names']):<22} {ratio(figures['mentions']):<22}")
        totals[0] += figures["names"][0]
        totals[1] += figures["names"][1]
        if figures["wrong"]:
            print(f"           wrong: {', '.join(figures['wrong'])}")
        if figures["unjudged"]:
            print(f"           unjudged: {', '.join(figures['unjudged'])}")
    print(f"  {'all 3':<8} {ratio((totals[0], totals[1])):<22}")
    found, real_total, lost = right_names(sample_counts, gold)
    print(f"  right names: {found}/{real_total} of the gold's real entities found under a right label")
    if lost:
        print(f"           not found right: {', '.join(lost)}")


if __name__ == "__main__":
    main()
