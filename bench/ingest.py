"""Benchmark: ingest words/second for the whole pipeline next to spaCy NER alone (prints figures)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import read_document  # noqa: E402
from indexer.ner import EntityTagger  # noqa: E402
from indexer.pipeline import ingest  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "webui" / "sample_corpus"


def make_corpus(dest: Path, copies: int) -> None:
    """``copies`` variants of each sample document (a distinct first line keeps hashes apart)."""
    dest.mkdir(parents=True)
    for i in range(copies):
        for path in sorted(CORPUS.glob("0*.txt")):
            text = path.read_text(encoding="utf-8")
            (dest / f"{path.stem}_{i:03d}.txt").write_text(f"Copy {i}.\n\n{text}", encoding="utf-8")


def ner_alone(texts: list[str], workers: int) -> float:
    """Seconds for loading the model and running nlp.pipe over ``texts`` (no post-processing)."""
    began = time.perf_counter()
    tagger = EntityTagger(workers=workers)
    n_process = workers if len(texts) >= 4 * tagger.batch_size else 1
    for _ in tagger.nlp.pipe(texts, batch_size=tagger.batch_size, n_process=n_process):
        pass
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=6)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="glossa-bench-ingest-"))
    try:
        src = root / "src"
        make_corpus(src, args.copies)
        docs = [read_document(p) for p in sorted(src.glob("*.txt"))]
        texts = [d.passage_text(p) for d in docs for p in d.passages]
        words = sum(len(t.split()) for t in texts)
        print(f"corpus: {len(docs)} files, {len(texts)} passages, {words} words")
        for workers in (1, 2):
            alone = ner_alone(texts, workers)
            data = root / f"data-{workers}"
            began = time.perf_counter()
            report = ingest([src], data, workers=workers, progress=False)
            whole = time.perf_counter() - began
            assert not report.failed, report.failed
            print(
                f"workers={workers}: NER alone {words / alone:,.0f} words/s ({alone:.1f}s); "
                f"pipeline {words / whole:,.0f} words/s ({whole:.1f}s); "
                f"pipeline/NER = {alone / whole:.0%}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
