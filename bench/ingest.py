"""Benchmark: ingest words/second for the whole pipeline next to spaCy NER alone (prints figures).

Both sides get the same passages, the same model configuration (``EntityTagger``), the same
batch size and the same number of processes, and both include loading the model. Wall-clock
figures are what the target is about; CPU seconds (this process and its worker processes) are
printed too, because on a loaded machine they vary far less than wall time.

Run from the checkout: .venv/bin/python -m bench.ingest [--help]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from corpus import read_document
from indexer.ner import EntityTagger
from indexer.pipeline import ingest

CORPUS = Path(__file__).resolve().parents[1] / "webui" / "sample_corpus"


def make_corpus(dest: Path, copies: int) -> None:
    """``copies`` variants of each sample document (a distinct first line keeps hashes apart)."""
    dest.mkdir(parents=True)
    for i in range(copies):
        for path in sorted(CORPUS.glob("0*.txt")):
            text = path.read_text(encoding="utf-8")
            (dest / f"{path.stem}_{i:03d}.txt").write_text(f"Copy {i}.\n\n{text}", encoding="utf-8")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished children) of ``run()``."""
    wall, cpu = time.perf_counter(), _cpu()
    run()
    return time.perf_counter() - wall, _cpu() - cpu


def ner_alone(texts: list[str], workers: int) -> None:
    """Load the model and run its nlp.pipe over ``texts`` as the pipeline would (no post-processing)."""
    tagger = EntityTagger(workers=workers)
    n_process = workers if len(texts) >= 4 * tagger.batch_size else 1
    for _ in tagger.nlp.pipe(texts, batch_size=tagger.batch_size, n_process=n_process):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run")
    args = parser.parse_args()
    import spacy  # noqa: F401  (imported before timing: neither side pays for the import)

    root = Path(tempfile.mkdtemp(prefix="glossa-bench-ingest-"))
    try:
        src = root / "src"
        make_corpus(src, args.copies)
        docs = [read_document(p) for p in sorted(src.glob("*.txt"))]
        texts = [d.passage_text(p) for d in docs for p in d.passages]
        words = sum(len(t.split()) for t in texts)
        print(f"corpus: {len(docs)} files, {len(texts)} passages, {words} words")
        for workers in args.workers:
            alone, alone_cpu = timed(lambda w=workers: ner_alone(texts, w))
            data = root / f"data-{workers}"
            reports = []
            whole, whole_cpu = timed(
                lambda r=reports, d=data, w=workers: r.append(ingest([src], d, workers=w, progress=False))
            )
            assert not reports[0].failed, reports[0].failed
            print(
                f"workers={workers}: NER alone {words / alone:,.0f} words/s ({alone:.1f}s, "
                f"{alone_cpu:.1f} CPU s); pipeline {words / whole:,.0f} words/s ({whole:.1f}s, "
                f"{whole_cpu:.1f} CPU s); pipeline/NER = {alone / whole:.0%} "
                f"(CPU: {alone_cpu / whole_cpu:.0%})",
                flush=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
