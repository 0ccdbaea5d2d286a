"""Benchmark: the time to apply one entity merge (and to undo it) on the sample corpus and on
a scaled copy of it (prints figures).

A merge re-indexes only the passages naming the merged entity, from the stored tagged
documents, in a new index generation switched in atomically (indexer.pipeline.reindex_entities).
The scaled corpus is the sample corpus's documents replicated under new ids (tagged once),
with their stored documents, so the figure includes finding the passages through the index,
reading the stored documents, copying the generation and writing the passages.

    python -m bench.entity_rules                 # sample corpus, then 100 copies
    python -m bench.entity_rules --copies 400
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from corpus import read_document
from indexer.entity_rules import EntityRule, RuleSet, lookup_names
from indexer.ner import EntityTagger
from indexer.pipeline import reindex_entities
from indexer.store import StoredDocument, write_json
from indexer.writer import write_documents

CORPUS = Path(__file__).resolve().parents[1] / "webui" / "sample_corpus"
MERGE = EntityRule("merge", "ORG", "EASO", new_label="ORG", new_name="EUAA")
BIG_MERGE = EntityRule("merge", "ORG", "European Border and Coast Guard", new_label="ORG", new_name="Frontex")


def build(data: Path, copies: int, tagged: list) -> tuple[int, int]:
    """A data directory of ``copies`` copies of the tagged sample documents; (documents, passages)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    items, manifest = [], {}
    for c in range(copies):
        for doc, ents in tagged:
            copy = replace(doc, doc_id=f"{doc.doc_id}-c{c:04d}") if copies > 1 else doc
            stored = StoredDocument(copy, ents, now, f"{c}")
            write_json(data / "docs" / f"{copy.doc_id}.json", stored.to_dict())
            manifest[copy.doc_id] = stored.summary().to_dict()
            items.append((copy, ents))
    write_documents(data / "index", items)
    write_json(data / "manifest.json", {"version": 1, "documents": manifest})
    return len(items), sum(len(d.passages) for d, _ in items)


def measure(data: Path, rule: EntityRule, repeat: int) -> dict[str, float]:
    """Median seconds to apply ``rule`` and to undo it, and what each re-indexed."""
    apply_s, undo_s, passages, documents = [], [], 0, 0
    with_rule, without = RuleSet([rule]), RuleSet()
    for _ in range(repeat):
        t0 = time.perf_counter()
        report = reindex_entities(data, with_rule, lookup_names(without, with_rule, rule))
        apply_s.append(time.perf_counter() - t0)
        passages, documents = report.passages, report.documents
        t0 = time.perf_counter()
        reindex_entities(data, without, lookup_names(with_rule, without, rule))
        undo_s.append(time.perf_counter() - t0)
    return {
        "apply": statistics.median(apply_s),
        "undo": statistics.median(undo_s),
        "passages": passages,
        "documents": documents,
    }


def index_size(data: Path) -> float:
    live = data / "index" / (data / "index" / "CURRENT").read_text().strip()
    return sum(f.stat().st_size for f in live.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=100, help="copies of the sample corpus in the scaled run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    args = parser.parse_args()
    docs = [read_document(p) for p in sorted(CORPUS.glob("0*.txt"))]
    began = time.perf_counter()
    tagged = list(zip(docs, EntityTagger().tag(docs), strict=True))
    print(f"tagged the sample corpus once in {time.perf_counter() - began:.1f} s")
    root = Path(tempfile.mkdtemp(prefix="glossa-bench-rules-"))
    try:
        for copies in (1, args.copies):
            data = root / f"data-{copies}"
            began = time.perf_counter()
            n_docs, n_passages = build(data, copies, tagged)
            print(
                f"\n{n_docs} documents, {n_passages} passages, index {index_size(data):.1f} MB "
                f"(built in {time.perf_counter() - began:.1f} s)"
            )
            for rule in (MERGE, BIG_MERGE):
                got = measure(data, rule, args.repeat)
                print(
                    f"  merge {rule.name!r} into {rule.new_name!r}: {got['passages']} passages of "
                    f"{got['documents']} documents re-indexed; apply {got['apply'] * 1000:.0f} ms, "
                    f"undo {got['undo'] * 1000:.0f} ms (median of {args.repeat})"
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
