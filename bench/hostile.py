"""Benchmark: a folder of good files and hostile ones, ingested with the default budgets (prints figures).

The hostile files are the ones that sank whole ingests: 100 KB of nested brackets (hung
spaCy's tokenizer), an HTML ``<p>`` with 200,000 attributes (hangs lxml), and a 600 KB
Markdown file that is one paragraph (tagged whole it reached gigabytes). The good files are
the sample corpus (several copies) and real PDFs and HTML pages from /work/shared/realdocs
when present. The ingest runs in its own process; this one samples the memory of that
process and of all its descendants (zygote, workers) every 0.2 s and prints the peak sum of
their resident sets (RSS, shared pages counted in each process) and of their proportional
sets (PSS, shared pages split between them: what the machine actually holds).

Bar (issue 10): all good files searchable, each hostile one reported (ingested, or failed
with its reason), peak memory under 1.5 GB, done in under 5 minutes on 2 cores.

Run from the checkout: .venv/bin/python -m bench.hostile [--help]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CORPUS = ROOT / "webui" / "sample_corpus"
REALDOCS = Path("/work/shared/realdocs")
HOSTILE = ("brackets.txt", "attributes.html", "one-paragraph.md")


def make_folder(dest: Path, copies: int, real: int) -> list[str]:
    """Write the good and hostile files into ``dest``; the names of the good ones."""
    dest.mkdir(parents=True)
    good = []
    for i in range(copies):
        for path in sorted(CORPUS.glob("0*.txt")):
            name = f"{path.stem}_{i:02d}.txt"
            (dest / name).write_text(f"Copy {i}.\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
            good.append(name)
    for folder, suffix in (("pdf", ".pdf"), ("html", ".html")):
        found = sorted((REALDOCS / folder).glob(f"*{suffix}"))[:real] if (REALDOCS / folder).is_dir() else []
        for path in found:
            if path.name == "image-pdf.pdf":  # an image-only scan has no text: not a good file
                continue
            shutil.copy(path, dest / path.name)
            good.append(path.name)
    (dest / "brackets.txt").write_text("(" * 51_200 + ")" * 51_200)
    attributes = " ".join(f'a{i}="v{i}"' for i in range(200_000))
    (dest / "attributes.html").write_text(f"<html><body><p {attributes}>Hello.</p><p>More text.</p></body></html>")
    rng = random.Random(7)
    words = [
        "the",
        "European",
        "Union",
        "border",
        "agency",
        "Frontex",
        "said",
        "in",
        "Brussels",
        "that",
        "Serbia",
        "and",
        "migration",
        "policy",
    ]
    lines, size = ["# One paragraph", ""], 0
    while size < 600_000:
        line = " ".join(rng.choice(words) for _ in range(12))
        lines.append(line)
        size += len(line) + 1
    (dest / "one-paragraph.md").write_text("\n".join(lines) + "\n")
    return good


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(parents.get(current, []))
    return out


def _memory(pids: list[int]) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in bytes."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return rss, pss


CHILD = """
import json, sys
from indexer.pipeline import ingest
report = ingest([sys.argv[1]], sys.argv[2], workers=int(sys.argv[3]), progress=False)
json.dump(report.to_dict(), open(sys.argv[4], "w"))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=4, help="copies of the sample corpus among the good files")
    parser.add_argument("--real", type=int, default=6, help="real PDFs and HTML pages of each kind")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="glossa-bench-hostile-"))
    try:
        src, data, out = root / "src", root / "data", root / "report.json"
        good = make_folder(src, args.copies, args.real)
        timeout = os.environ.get("GLOSSA_INGEST_FILE_TIMEOUT", "120 (default)")
        memory = os.environ.get("GLOSSA_INGEST_FILE_MEMORY", "1024 (default)")
        print(f"folder: {len(good)} good files, {len(HOSTILE)} hostile; workers={args.workers}; {os.cpu_count()} cores")
        print(f"budget per file: {timeout} s, {memory} MB")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        began = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(src), str(data), str(args.workers), str(out)], env=env, cwd=ROOT
        )
        peak_rss = peak_pss = 0
        while proc.poll() is None:
            rss, pss = _memory(_tree(proc.pid))
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.2)
        elapsed = time.perf_counter() - began
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the ingest and every process it reaped
        cpu = kids.ru_utime + kids.ru_stime
        if proc.returncode != 0:
            raise SystemExit(f"the ingest failed (exit status {proc.returncode})")
        report = json.loads(out.read_text())

        from indexer.search import Searcher
        from indexer.store import DocumentStore

        store = DocumentStore(data)
        searcher = Searcher(data / "index")
        ids = {Path(s.source_path).name: s.doc_id for s in store.summaries()}
        searchable = [n for n in good if n in ids and searcher.search("", filters={"doc": ids[n]}).total > 0]
        failed = {Path(f["path"]).name: f["reason"] for f in report["failed"]}
        load = os.getloadavg()[0]
        print(
            f"elapsed: {elapsed:.1f} s wall (bar: under 300 s), {cpu:.1f} s of processor time "
            f"(on 2 idle cores the wall time is at least half that); load average {load:.1f}"
        )
        print(
            f"peak memory of the ingest's processes: PSS {peak_pss / 2**20:,.0f} MB, "
            f"RSS {peak_rss / 2**20:,.0f} MB (bar: under 1,536 MB)"
        )
        print(f"good files searchable: {len(searchable)} of {len(good)}")
        for name in sorted(set(good) - set(searchable)):
            print(f"  not searchable: {name}: {failed.get(name, 'not stored')}")
        for name in HOSTILE:
            if name in ids:
                stored = store.get(ids[name])
                print(
                    f"hostile {name}: ingested ({len(stored.document.passages)} passages, "
                    f"{len(stored.entities)} entities)"
                )
            else:
                print(f"hostile {name}: failed: {failed.get(name, 'NOT REPORTED')}")
        searcher.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
