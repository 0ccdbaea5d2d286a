"""Write tests/data/stored_keys.json: every key Glossa stores for the sample corpus.

Run once with the code whose keys are the reference (``python -m tests.data.make_stored_keys``);
tests/test_stored_keys.py ingests the same files with the code of today and compares. The
keys are the ones a change to accent folding or slugs would alter: document ids (from file
names), work keys (from the parsed references, in every stored document and in the index's
``cites`` terms), the index's entity terms (folded names), the folded lookup key of every
gazetteer name, and the annotation store's entity-rule name keys.

The sample corpus is ingested with the rule-based tagger (no spaCy model), so the entities,
and with them the keys, are the same on every machine.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[1] / "webui" / "sample_corpus"
OUT = HERE / "stored_keys.json"
#: no such spaCy model: the rule-based fallback tags
NO_MODEL = "no_such_model_for_stored_keys"
#: names with accents, ligatures, letters without an ASCII form, odd spaces and punctuation:
#: the inputs on which folding and slug implementations differ, if they do
AWKWARD = [
    "Été à Šabac (draft)",
    "Türkiye",
    "Straße – Bjørn Ødegård’s report",
    "Łódź, Kraków & Gdańsk",
    "Œuvre ﬁnale ﬀ",
    "İstanbul",
    "ΑΘΗΝΑ Αθήνα",
    "Москва",
    "北京 報告",
    "  Frontex\u00a0\u2009Agency\n",
    "Women’s Rights — 2019–2020",
    "ﬆrasse ǅemal",
    "\u00c5ngstr\u00f6m A\u030angstro\u0308m",
]


def index_terms(data: Path, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """Every term of ``fields`` in the current index generation of ``data``."""
    from whoosh import index as whoosh_index

    from indexer.writer import current_generation

    gen = current_generation(data / "index")
    assert gen is not None, "no index generation"
    out: dict[str, list[str]] = {}
    with whoosh_index.open_dir(str(gen)).reader() as reader:
        for field in fields:
            out[field] = sorted(t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in reader.lexicon(field))
    return out


def collect(data: Path) -> dict[str, object]:
    """The stored keys of the sample corpus, ingested into ``data`` (a fresh folder)."""
    from annotations.entity_rules import name_key
    from corpus import make_doc_id
    from corpus.models import Reference
    from corpus.references import work_key
    from indexer.gazetteer import alias_table, fold, place_table
    from indexer.pipeline import ingest
    from indexer.store import DocumentStore

    # Whoosh, whatever backend the suite runs on: the snapshot holds its index's terms
    report = ingest([SAMPLE], data, progress=False, model=NO_MODEL, workers=1, backend="whoosh")
    assert not report.failed, report.failed
    store = DocumentStore(data)
    work_keys: dict[str, list[str]] = {}
    entity_names: set[str] = set()
    for doc_id in sorted(store.manifest()):
        stored = store.get(doc_id)
        keys = [r.work_key or "" for fn in stored.document.footnotes for r in fn.references]
        keys += [r.work_key or "" for p in stored.document.passages for r in p.references]
        work_keys[doc_id] = keys
        entity_names.update(e.canonical for e in stored.entities)
        entity_names.update(e.text for e in stored.entities)
    gazetteer = sorted({*alias_table(), *place_table()})
    names = sorted(entity_names | set(AWKWARD))
    taken: set[str] = set()
    return {
        "doc_ids": sorted(store.manifest()),
        "doc_ids_of_names": {
            name: make_doc_id(name, taken) for name in [*sorted(p.stem for p in SAMPLE.iterdir()), *AWKWARD]
        },
        "work_keys": work_keys,
        "work_keys_of_names": {
            name: work_key(Reference(raw=name, authors=[name], year="2020", title=f"{name} report")) for name in AWKWARD
        },
        "index": index_terms(data, ("person", "org", "place", "entity", "ent_facet", "cites")),
        "gazetteer_keys": {name: fold(name) for name in gazetteer},
        "fold": {name: fold(name) for name in names},
        "name_key": {name: name_key(name) for name in names},
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        keys = collect(Path(tmp) / "data")
    OUT.write_text(json.dumps(keys, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
