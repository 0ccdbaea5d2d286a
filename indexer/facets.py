"""Facet counts over all matching passages, from postings cached once per index version."""

from __future__ import annotations

from typing import Any

import numpy as np

FACET_FIELDS = ("doc_id", "entity_types", "ent_facet", "tags")


class FacetCache:
    """Per field: every term and, flattened, the documents that hold it."""

    def __init__(self, searcher: Any) -> None:
        reader = searcher.reader()
        self.doc_count = reader.doc_count_all()
        self.fields: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        for field in FACET_FIELDS:
            terms: list[str] = []
            posts: list[np.ndarray] = []
            owners: list[np.ndarray] = []
            if field in searcher.schema:
                for btext in reader.lexicon(field):
                    ids = np.fromiter(reader.postings(field, btext).all_ids(), dtype=np.int64)
                    if not len(ids):
                        continue
                    posts.append(ids)
                    owners.append(np.full(len(ids), len(terms), dtype=np.int64))
                    terms.append(btext.decode("utf-8"))
            flat = np.concatenate(posts) if posts else np.zeros(0, dtype=np.int64)
            own = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
            self.fields[field] = (terms, flat, own)
        self.titles: dict[str, str] = {}
        doc_terms, doc_posts, doc_owner = self.fields["doc_id"]
        first: dict[int, int] = {}
        for i, owner in enumerate(doc_owner.tolist()):
            first.setdefault(owner, int(doc_posts[i]))
        for owner, docnum in first.items():
            self.titles[doc_terms[owner]] = searcher.stored_fields(docnum).get("title", "")

    def counts(self, docnums: np.ndarray, field: str) -> list[tuple[str, int]]:
        """(term, number of matching passages holding it), most frequent first."""
        terms, posts, owners = self.fields[field]
        if not terms or not len(docnums):
            return []
        mask = np.zeros(self.doc_count, dtype=bool)
        mask[docnums] = True
        tally = np.bincount(owners[mask[posts]], minlength=len(terms))
        order = np.argsort(-tally, kind="stable")
        return [(terms[i], int(tally[i])) for i in order if tally[i] > 0]

    def facets(self, docnums: np.ndarray, top: int = 20) -> dict[str, list[dict[str, Any]]]:
        """The four facets the UI shows: documents, entity types, top entities, tags."""
        docs = [
            {"value": d, "label": self.titles.get(d, d), "count": n}
            for d, n in self.counts(docnums, "doc_id")
        ]
        types = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "entity_types")]
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for term, n in self.counts(docnums, "ent_facet"):
            label, _, name = term.partition("\t")
            key = (label, name.casefold())
            if key in merged:
                merged[key]["count"] += n
            else:
                merged[key] = {"value": name, "label": label, "count": n}
        entities = sorted(merged.values(), key=lambda e: (-e["count"], e["value"]))[:top]
        tags = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "tags")][:top]
        return {"documents": docs, "entity_types": types, "entities": entities, "tags": tags}
