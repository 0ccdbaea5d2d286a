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
        self._by_doc: dict[str, tuple[np.ndarray, np.ndarray]] = {}
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
            # the same pairs ordered by passage: a passage's terms are one slice, so counting
            # costs in proportion to the matches, not to the whole index
            order = np.argsort(flat, kind="stable")
            self._by_doc[field] = (own[order], np.searchsorted(flat[order], np.arange(self.doc_count + 1)))
        self.titles: dict[str, str] = {}
        doc_terms, doc_posts, doc_owner = self.fields["doc_id"]
        first: dict[int, int] = {}
        for i, owner in enumerate(doc_owner.tolist()):
            first.setdefault(owner, int(doc_posts[i]))
        for owner, docnum in first.items():
            self.titles[doc_terms[owner]] = searcher.stored_fields(docnum).get("title", "")

    def counts(self, docnums: np.ndarray, field: str) -> list[tuple[str, int]]:
        """(term, number of matching passages holding it), most frequent first."""
        terms = self.fields[field][0]
        if not terms or not len(docnums):
            return []
        owners, indptr = self._by_doc[field]
        starts = indptr[docnums]
        lens = indptr[docnums + 1] - starts
        ends = np.cumsum(lens)
        if not len(ends) or not ends[-1]:
            return []
        slots = np.repeat(starts - (ends - lens), lens) + np.arange(ends[-1])
        tally = np.bincount(owners[slots], minlength=len(terms))
        held = np.flatnonzero(tally)
        order = held[np.argsort(-tally[held], kind="stable")]
        return [(terms[i], int(tally[i])) for i in order.tolist()]

    def facets(self, docnums: np.ndarray, top: int = 20) -> dict[str, list[dict[str, Any]]]:
        """The four facets the UI shows: documents, entity types, top entities, tags (top ``top`` each)."""
        return self.facets_and_more(docnums, top)[0]

    def facets_and_more(
        self, docnums: np.ndarray, top: int = 20, quiet: frozenset[str] = frozenset()
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
        """(facets, how many entries each list left off) over the matching passages; entities
        of the ``quiet`` labels are not among the top entities (nor counted in its "more").

        Each list holds its ``top`` most frequent entries, so a page stays small however
        many documents match. Tags are not counted beyond the list: some are private to
        other people, and even their number is not theirs to see.
        """
        doc_counts = self.counts(docnums, "doc_id")
        docs = [{"value": d, "label": self.titles.get(d, d), "count": n} for d, n in doc_counts[:top]]
        types = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "entity_types")]
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for term, n in self.counts(docnums, "ent_facet"):
            label, _, name = term.partition("\t")
            if label in quiet:
                continue
            key = (label, name.casefold())
            if key in merged:
                merged[key]["count"] += n
            else:
                merged[key] = {"value": name, "label": label, "count": n}
        ranked = sorted(merged.values(), key=lambda e: (-e["count"], e["value"]))
        tags = [{"value": t, "label": t, "count": n} for t, n in self.counts(docnums, "tags")][:top]
        facets = {"documents": docs, "entity_types": types, "entities": ranked[:top], "tags": tags}
        more = {"documents": max(0, len(doc_counts) - top), "entities": max(0, len(ranked) - top)}
        return facets, more
