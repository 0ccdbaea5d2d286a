"""Annotation tags in the search index, without leaking private tags to other people.

How tags reach the index: each passage record's ``tags`` field holds

* the tags of *shared* annotations overlapping the passage, as themselves (``pushbacks``);
* the tags of *private* annotations, in a user-scoped form ``@<user id>@<tag>``
  (``@3@pushbacks``), unless the same tag is already there as a shared tag.

Annotation tags cannot contain ``@`` (see ``annotations.service.TAG_RE``), so the two forms
never collide. The searcher handed to views (``services.get_searcher``) is wrapped in
:class:`ScopedSearcher`, which rewrites ``tag:x`` in queries (and ``tag`` filters) to
``(tag:x OR tag:@<me>@x)`` for the current user (and adds ``@<me>@x`` to ``tag`` filters, which are OR-ed), refuses tag values that start with ``@``,
``*`` or ``?`` (they would match other people's private tags), and removes other people's
private tags from hits and the tag facet (showing one's own in their plain form).
So ``tag:pushbacks`` finds a privately tagged passage for its author, and no one else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from flask import g

PRIVATE = "@"
_TAG_TERM = re.compile(r"""(?<![\w@.:-])tags?:(?:"([^"]*)"|'([^']*)'|([^\s()"']*))""", re.IGNORECASE)
_TAG_VALUE = re.compile(r"[^\W_][\w\-:./*?]*")
_SCOPED = re.compile(r"@\d+@")


def scoped_tag(user_id: int, tag: str) -> str:
    """The index form of a private tag of one user."""
    return f"{PRIVATE}{user_id}{PRIVATE}{tag.strip().lower()}"


def visible_tags(tags: Iterable[str], user_id: int | None) -> list[str]:
    """Index tags as ``user_id`` may see them: shared ones, and own private ones unscoped."""
    mine = scoped_tag(user_id, "") if user_id is not None else None
    out: list[str] = []
    for tag in tags:
        if tag.startswith(PRIVATE):
            if mine is None or not tag.startswith(mine):
                continue
            tag = tag[len(mine) :]
        if tag and tag not in out:
            out.append(tag)
    return out


def passage_ordinals(document, start: int, end: int) -> list[int]:
    """Ordinals of the passages of ``document`` that overlap [start, end)."""
    return [p.ordinal for p in document.passages if p.start < end and p.end > start]


def index_tags(document, records: Iterable[Any]) -> dict[int, set[str]]:
    """Passage ordinal -> index tags, from every anchored annotation record of the document."""
    shared: dict[int, set[str]] = defaultdict(set)
    private: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for rec in records:
        if rec.status != "anchored":
            continue
        for ordinal in passage_ordinals(document, rec.start, rec.end):
            for tag in rec.tags:
                if rec.visibility == "shared":
                    shared[ordinal].add(tag.lower())
                else:
                    private[ordinal].add((rec.creator_id, tag.lower()))
    out: dict[int, set[str]] = {o: set(t) for o, t in shared.items()}
    for ordinal, pairs in private.items():
        bucket = out.setdefault(ordinal, set())
        bucket.update(scoped_tag(uid, t) for uid, t in pairs if t not in shared.get(ordinal, ()))
    return out


class TagIndex:
    """The annotation tags of one app's search index, written from every annotation.

    :param store: the document store (passages of each document).
    :param annotations: the AnnotationService (every annotation, whoever wrote it).
    :param index_dir: the Whoosh index directory.
    """

    def __init__(self, store, annotations, index_dir: str) -> None:
        self.store = store
        self.annotations = annotations
        self.index_dir = index_dir

    def _indexed_tagged_ordinals(self, doc_id: str) -> set[int]:
        from indexer.writer import open_index

        ix = open_index(self.index_dir)
        if ix is None:
            return set()
        with ix.searcher() as searcher:
            return {int(f["ordinal"]) for f in searcher.documents(doc_id=doc_id) if f.get("tags")}

    def sync_tags(self, doc_id: str, ordinals: Iterable[int] | None = None) -> int:
        """Write the tags of passages of ``doc_id`` to the index (given ordinals, else every
        passage tagged now or before); returns how many passages were written."""
        from indexer.writer import set_passage_tags

        stored = self.store.get(doc_id)
        if stored is None:
            return 0
        wanted = index_tags(stored.document, self.annotations.all_annotations(doc_id))
        todo = set(ordinals) if ordinals is not None else set(wanted) | self._indexed_tagged_ordinals(doc_id)
        written = 0
        for ordinal in sorted(todo):
            written += bool(set_passage_tags(self.index_dir, doc_id, ordinal, sorted(wanted.get(ordinal, ()))))
        return written

    def sync_for(self, records: Iterable[Any]) -> None:
        """Update the index for the passages touched by these annotation records (old and new)."""
        by_doc: dict[str, set[int]] = defaultdict(set)
        for rec in records:
            if rec is None:
                continue
            stored = self.store.get(rec.doc_id)
            if stored is not None:
                by_doc[rec.doc_id].update(passage_ordinals(stored.document, rec.start, rec.end))
        for doc_id, ordinals in by_doc.items():
            self.sync_tags(doc_id, ordinals)


class ScopedSearcher:
    """A Searcher seen by one user: tag queries and tag results scoped to what they may see."""

    def __init__(self, searcher, user_id: int | None):
        self._searcher = searcher
        self.user_id = user_id

    def __getattr__(self, name: str):
        return getattr(self._searcher, name)

    def scope_query(self, query: str) -> str:
        """Rewrite every ``tag:x`` so it also matches this user's private tag x; refuse tag
        terms that could reach other people's private tags (groups, ranges, ``@``)."""
        from indexer.search import QueryError

        if _SCOPED.search(query):
            raise QueryError("Queries cannot contain @<number>@: that form is reserved for private tags.")

        def repl(m: re.Match) -> str:
            value = next((v for v in m.groups() if v is not None), "")
            if not _TAG_VALUE.fullmatch(value):
                raise QueryError(
                    f"tag:{value} is not allowed: write a tag (letters, digits, - _ : . /, "
                    "optionally with * or ?) after tag:, and tag:a OR tag:b for several."
                )
            if self.user_id is None:
                return m.group(0)
            return f"(tag:{value} OR tag:{scoped_tag(self.user_id, value)})"

        return _TAG_TERM.sub(repl, query)

    def search(self, query: str, page: int = 1, pagelen: int = 10, filters=None):
        """Search like ``Searcher.search``, with tags scoped to the user."""
        filters = dict(filters or {})
        tag_values = filters.get("tag")
        if tag_values:
            values = [tag_values] if isinstance(tag_values, str) else list(tag_values)
            for value in values:
                if not _TAG_VALUE.fullmatch(str(value)):
                    from indexer.search import QueryError

                    raise QueryError(f"Tag filter {value!r} is not allowed: a tag starts with a letter or digit.")
            if self.user_id is not None:
                values += [scoped_tag(self.user_id, str(v)) for v in values]
            filters["tag"] = values
        results = self._searcher.search(self.scope_query(query), page=page, pagelen=pagelen, filters=filters or None)
        self.scrub(results)
        if hasattr(results, "query"):
            results.query = query  # not the rewritten form, which names user ids
        return results

    def scrub(self, results) -> None:
        """Drop other users' private tags from hits and facets (in place)."""
        seen = set()
        hits = list(getattr(results, "hits", []))
        for group in getattr(results, "groups", []):
            hits.extend(getattr(group, "hits", []))
        for hit in hits:
            if id(hit) not in seen:
                seen.add(id(hit))
                hit.tags = visible_tags(hit.tags or [], self.user_id)
        facets = getattr(results, "facets", None)
        if isinstance(facets, dict) and facets.get("tags"):
            merged: dict[str, dict] = {}
            for item in facets["tags"]:
                shown = visible_tags([str(item["value"])], self.user_id)
                if not shown:
                    continue
                entry = merged.setdefault(shown[0], dict(item, value=shown[0], label=shown[0], count=0))
                entry["count"] += item.get("count", 0)
            facets["tags"] = sorted(merged.values(), key=lambda e: (-e["count"], e["value"]))


def scoped_searcher(searcher) -> ScopedSearcher:
    """Wrap the app's searcher for the user of this request (anonymous outside one)."""
    user = g.get("user") if g else None
    return ScopedSearcher(searcher, getattr(user, "id", None))
