"""Annotation tags in search, without ever showing anyone a private tag of someone else.

Tags live only in the annotation database; the search index holds none (its ``tags`` field
stays empty, see ``indexer.writer.strip_tags``). The searcher handed to a request
(``services.get_searcher``) is a :class:`ScopedSearcher`: it gives each search a
``TagResolver`` over the tags the current user may see (shared tags, and their own private
ones: ``AnnotationService.visible_tag_spans``), and ``indexer.tagfilter`` resolves every
``tag:`` clause of the *parsed* query, the ``tag`` filter, hit tags and the tag facet
against those alone. A query of one user therefore cannot reach another user's private
tags in any spelling (negation, wildcards, ranges, fuzzy terms), and an annotation write
never touches the index: a new tag is searchable as soon as it is committed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import g

from indexer.tagfilter import TagResolver


def resolver_for(service, user, store=None) -> TagResolver:
    """The tags ``user`` (a UserRecord, or None for anonymous: shared tags only) may search,
    fetched from the annotation ``service`` when a search first needs them. A tag on a
    footnote's text is found on the passages that cite the note (read from the document
    ``store``; without one, tags on notes are not searchable)."""

    def fetch():
        if store is None:
            return service.visible_tag_spans(viewer=user)
        spans, on_notes = service.visible_tags(viewer=user)  # one database session for both
        return spans + note_tag_spans(store, on_notes) if on_notes else spans

    return TagResolver(fetch)


def _citing_passages(store, doc_id: str) -> dict[str, list[tuple[int, int]]]:
    """note number -> (start, end) of each passage citing it, kept while the document's
    file is unchanged."""
    import os

    from .caches import cache

    try:
        st = os.stat(store.docs_dir / f"{doc_id}.json")
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    except (OSError, ValueError):
        return {}
    kept = cache("note_citing_passages", 64)
    found = kept.get(doc_id)
    if found is not None and found[0] == stamp:
        return found[1]
    stored = store.get(doc_id)
    out: dict[str, list[tuple[int, int]]] = {}
    if stored is not None:
        by_ordinal = {p.ordinal: p for p in stored.document.passages}
        for mark in stored.document.marks:
            p = by_ordinal.get(mark.passage)
            if p is not None and (p.start, p.end) not in out.setdefault(mark.number, []):
                out[mark.number].append((p.start, p.end))
    kept.put(doc_id, (stamp, out))
    return out


def note_tag_spans(store, note_tags) -> list[tuple[str, int, int, str]]:
    """(doc_id, note, tag) of tags on notes as spans of the passages citing each note."""
    out: list[tuple[str, int, int, str]] = []
    citing: dict[str, dict] = {}
    for doc_id, note, tag in note_tags:
        if doc_id not in citing:
            citing[doc_id] = _citing_passages(store, doc_id)
        out.extend((doc_id, s, e, tag) for s, e in citing[doc_id].get(note, ()))
    return out


class ScopedSearcher:
    """A Searcher seen by one user: tag clauses, hit tags and tag facets are theirs only."""

    def __init__(self, searcher, service, user, store=None):
        self._searcher = searcher
        self._service = service
        self._store = store
        self.user = user

    def __getattr__(self, name: str):
        return getattr(self._searcher, name)

    def search(self, query: str, page: int = 1, pagelen: int = 10, filters=None, **options):
        """Search like ``Searcher.search`` (same options), with the tags this user may see."""
        return self._searcher.search(
            query,
            page=page,
            pagelen=pagelen,
            filters=filters,
            tag_resolver=resolver_for(self._service, self.user, self._store),
            **options,
        )


def scoped_searcher(searcher, service, store=None) -> ScopedSearcher:
    """Wrap the app's searcher for the user of this request (anonymous outside one); the
    document ``store`` places tags on notes where the text cites them."""
    user = g.get("user") if g else None
    return ScopedSearcher(searcher, service, user, store)


@dataclass
class TagCheck:
    """What ``glossa annotations reindex-tags`` found and did."""

    stripped: int  # index records that still held tags from an older version, now cleared
    annotations: int  # annotations with at least one tag
    on_passages: int  # of those, anchored on indexed passages: found by tag: search
    unindexed: int  # anchored on a document the index does not hold
    orphaned: int  # orphaned by re-anchoring: no passage until re-placed

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return asdict(self)


def check_tags(index_dir, store, service) -> TagCheck:
    """Clear tags an older version left in the index (private ones included) and count where
    every tagged annotation of ``service`` is searchable, given the document ``store``."""
    from indexer.writer import remove_index_tags

    stripped = remove_index_tags(index_dir)
    documents: dict[str, Any] = {}
    check = TagCheck(stripped, 0, 0, 0, 0)
    for rec in service.all_annotations():
        if not rec.tags:
            continue
        check.annotations += 1
        if rec.status != "anchored":
            check.orphaned += 1
            continue
        if rec.doc_id not in documents:
            stored = store.get(rec.doc_id)
            documents[rec.doc_id] = stored.document if stored is not None else None
        doc = documents[rec.doc_id]
        if rec.note is not None:  # found where the text cites the note
            searchable = doc is not None and any(m.number == rec.note for m in doc.marks)
        else:
            searchable = doc is not None and any(p.start < rec.end and p.end > rec.start for p in doc.passages)
        if searchable:
            check.on_passages += 1
        else:
            check.unindexed += 1
    return check
