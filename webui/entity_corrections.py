"""Entity corrections in the web app: editors' rules from the database, applied to what the
document store gives every page, API route and command, and the index brought up to date
(only the passages a change affects) whenever a rule is added or undone.

The composition of three parts that do not know each other: ``annotations.entity_rules``
stores the rules, ``indexer.entity_rules`` applies them, ``indexer.pipeline`` re-indexes.
The document store keeps the tagger's own entities, so undoing a rule needs no tagging.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_app_context

from annotations.base import AnnotationError
from annotations.entity_rules import EntityRuleStore, RuleRecord
from indexer.entity_rules import (
    EntityRule,
    QueryRewrite,
    RuleError,
    RuleSet,
    hidden_before,
    lookup_names,
    parse_rule,
    rewrite_entity_filters,
    rewrite_query,
)
from indexer.gazetteer import clean_surface, fold
from indexer.schema import exact_names
from indexer.store import EntityCount

from . import services
from .caches import cache
from .labels import LABELS

log = logging.getLogger(__name__)

#: seconds a request waits for the re-index of the passages its change affects; after that
#: the change is in force on pages at once and in search when the re-index ends
REINDEX_WAIT = 20.0
#: the most rules one import may bring
MAX_IMPORT = 5000


def _registry() -> dict:
    return current_app.extensions["glossa"]


def rule_store() -> EntityRuleStore:
    """The rule store of the app's database."""
    reg = _registry()
    if "entity_rules" not in reg:
        from annotations import db

        reg["entity_rules"] = EntityRuleStore(db.make_session_factory(services.get_engine()))
    return reg["entity_rules"]


def to_rule(record: RuleRecord) -> EntityRule:
    """The indexer's rule for a stored one."""
    return EntityRule(id=record.id, **record.fields())


def rule_set(records: Iterable[RuleRecord]) -> RuleSet:
    """A RuleSet of stored rules (oldest first)."""
    return RuleSet(to_rule(r) for r in records)


def current() -> tuple[tuple[int, int], list[RuleRecord], RuleSet]:
    """(version, rules in force, their RuleSet), read once per request."""
    found = g.get("glossa_entity_rules")
    if found is not None:
        return found
    if _no_database():
        found = ((0, 0), [], RuleSet())
        g.glossa_entity_rules = found
        return found
    store = rule_store()
    version = store.version()
    rules = cache("entity_rules.sets", 2).get(version)
    if rules is None:
        records = store.active()
        rules = cache("entity_rules.sets", 2).put(version, (records, rule_set(records)))
    found = (version, rules[0], rules[1])
    g.glossa_entity_rules = found
    return found


def _no_database() -> bool:
    """True when the SQLite database does not exist yet (so there are no rules): reading
    commands and pages then do not create it."""
    if "engine" in _registry():
        return False
    from sqlalchemy.engine import make_url

    from annotations import db

    url = current_app.config["DATABASE_URL"]
    if not db.is_sqlite(url):
        return False
    name = make_url(db.normalize_url(url)).database
    return name is not None and name not in ("", ":memory:") and not Path(name).exists()


def forget_current() -> None:
    """Drop this request's copy of the rules (after a change)."""
    g.pop("glossa_entity_rules", None)


# what the store gives, corrected ------------------------------------------------------------


def _manifest_stamp(store: Any) -> tuple[str, int]:
    try:
        return str(store.root), os.stat(store.manifest_path).st_mtime_ns
    except OSError:
        return str(store.root), 0


def raw_mentions(store: Any) -> dict[tuple[str, str, str], list[Any]]:
    """(label, canonical, folded surface) -> [surface, mentions, documents] over the tagger's
    entities, read once per version of the store."""

    def make() -> dict[tuple[str, str, str], list[Any]]:
        found: dict[tuple[str, str, str], list[Any]] = {}
        for doc_id in store.manifest():
            stored = store.get(doc_id)
            for entity in stored.entities if stored else []:
                surface = clean_surface(entity.text)
                key = (entity.label, entity.canonical, fold(surface))
                entry = found.get(key)
                if entry is None:
                    entry = found[key] = [surface, 0, set()]
                entry[1] += 1
                entry[2].add(doc_id)
        return found

    return cache("entity_rules.raw", 1).get_or_make(_manifest_stamp(store), make)


def corrected_index(store: Any, rules: RuleSet, version: Any) -> list[EntityCount]:
    """The store's entity index with ``rules`` applied (hidden entities left out)."""

    def make() -> list[EntityCount]:
        mentions: dict[tuple[str, str], int] = defaultdict(int)
        docs: dict[tuple[str, str], set[str]] = defaultdict(set)
        names: dict[tuple[str, str], str] = {}
        for (label, canonical, _), (surface, n, doc_ids) in raw_mentions(store).items():
            found = rules.resolve(label, canonical, surface)
            if found is None:
                continue
            names.setdefault((found[0], fold(found[1])), found[1])
            key = (found[0], names[(found[0], fold(found[1]))])
            mentions[key] += n
            docs[key].update(doc_ids)
        result = [EntityCount(k[0], k[1], n, sorted(docs[k])) for k, n in mentions.items()]
        result.sort(key=lambda e: (-e.mentions, e.label, e.canonical))
        return result

    if not rules:
        return store.entity_index()
    return cache("entity_rules.index", 2).get_or_make((_manifest_stamp(store), version), make)


class CorrectedStore:
    """A DocumentStore whose documents and entity index show the entity rules in force.

    Everything else is the store's own; the rules are read only when entities are asked for.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def raw(self) -> Any:
        """The store itself (the tagger's entities)."""
        return self._store

    @property
    def rules_version(self) -> tuple[int, int]:
        """Changes whenever a rule is added or undone (part of cache keys of what shows entities)."""
        return current()[0]

    def get(self, doc_id: str):
        """The stored document with its entities corrected, or None."""
        stored = self._store.get(doc_id)
        if stored is None:
            return None
        rules = current()[2]
        return replace(stored, entities=rules.apply(stored.entities)) if rules else stored

    def entity_index(self) -> list[EntityCount]:
        """Every entity as corrected, with mentions and documents."""
        version, _, rules = current()
        return corrected_index(self._store, rules, version)


# queries -----------------------------------------------------------------------------------


def query_rewrite(query: str) -> QueryRewrite:
    """``query`` read through the rules in force (``org:EASO`` after EASO was merged into EUAA
    searches EUAA); outside an app context, or without rules, the query as it is."""
    if not query or not has_app_context():
        return QueryRewrite(query)
    return rewrite_query(query, current()[2])


class RewrittenResults:
    """Search results of a rewritten query: the results' own attributes, the query as typed,
    and ``rewrites`` (what each changed entity clause now means) in ``to_dict`` too."""

    def __init__(self, results: Any, typed: str, rewrite: QueryRewrite) -> None:
        self._results = results
        self.query = typed
        self.rewritten_query = rewrite.query
        self.rewrites = [note.to_dict() for note in rewrite.notes]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._results, name)

    def to_dict(self) -> dict[str, Any]:
        """The results' dict with ``query`` as typed, ``rewritten_query`` and ``rewrites``."""
        data = self._results.to_dict()
        data.update(query=self.query, rewritten_query=self.rewritten_query, rewrites=self.rewrites)
        return data


class RuledSearcher:
    """A searcher whose queries' entity clauses mean what the entity rules in force make of
    the names (:func:`indexer.entity_rules.rewrite_query`); everything else is the searcher's."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher

    def __getattr__(self, name: str) -> Any:
        return getattr(self._searcher, name)

    def search(self, query: str, *args: Any, **options: Any) -> Any:
        """``searcher.search`` of the rewritten query (and ``entity`` filter values read the
        same way); results say what was rewritten."""
        rewrite = query_rewrite(query)
        exact = set(rewrite.exact)
        if options.get("filters") and has_app_context():
            options["filters"], names = rewrite_entity_filters(options["filters"], current()[2])
            exact |= names
        with exact_names(exact):
            results = self._searcher.search(rewrite.query, *args, **options)
        return RewrittenResults(results, query, rewrite) if rewrite.notes else results

    def highlighter(self, query: str) -> Any:
        """What the rewritten query marks in a passage (the reader's marks)."""
        rewrite = query_rewrite(query)
        with exact_names(rewrite.exact):
            return self._searcher.highlighter(rewrite.query)


def ruled(searcher: Any) -> RuledSearcher:
    """``searcher`` with the entity rules in force applied to its queries."""
    return searcher if isinstance(searcher, RuledSearcher) else RuledSearcher(searcher)


# changes ------------------------------------------------------------------------------------

LABEL_NAMES = frozenset(LABELS)


def parse(data: Mapping[str, Any]) -> EntityRule:
    """A rule from a form or JSON body, checked (RuleError)."""
    return parse_rule(data, labels=LABEL_NAMES)


def _check(active: list[RuleRecord], fields: Mapping[str, Any]) -> str | None:
    return rule_set(active).conflict(EntityRule(**fields))


def author_name() -> str:
    """Who makes a change in this request."""
    from .auth import current_user

    user = current_user()
    return user.name if user is not None else ""


def add(data: Mapping[str, Any], author: str) -> tuple[RuleRecord, dict[str, Any]]:
    """Store one rule and re-index what it changes; (record, re-index status).
    RuleError (400) or AnnotationError (409, 503...) when it cannot be."""
    rule = parse(data)
    store = rule_store()
    old = rule_set(store.active())
    record = store.add(rule.to_dict(), author, _check)
    forget_current()
    new = rule_set(store.active())
    return record, reindex(old, new, [to_rule(record)])


def add_many(
    items: list[Any], author: str, wait: float | None = REINDEX_WAIT
) -> tuple[list[RuleRecord], dict[str, Any]]:
    """Import rules (all or none): each checked like one; ``skipped`` ones already in force."""
    if not isinstance(items, list):
        raise RuleError("rules must be a list")
    if len(items) > MAX_IMPORT:
        raise RuleError(f"at most {MAX_IMPORT} rules may be imported at once")
    parsed = []
    for i, item in enumerate(items, start=1):
        try:
            parsed.append(parse(item))
        except RuleError as exc:
            raise RuleError(f"rule {i}: {exc.message}") from None
    store = rule_store()
    active = store.active()
    old = rule_set(active)
    have = {tuple(sorted(to_rule(r).to_dict().items())) for r in active}
    wanted = []
    for rule in parsed:
        key = tuple(sorted(rule.to_dict().items()))
        if key not in have:
            have.add(key)
            wanted.append(rule.to_dict())
    made = store.add_many(wanted, author, _check) if wanted else []
    forget_current()
    new = rule_set(store.active())
    status = reindex(old, new, [to_rule(r) for r in made], wait)
    status["skipped"] = len(parsed) - len(made)
    return made, status


def rule_number(text: str) -> int:
    """A rule id from a URL (0, never a rule, when it is not a number)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def delete(rule_id: int, author: str) -> tuple[RuleRecord, dict[str, Any]]:
    """Undo a rule and re-index what it had changed (AnnotationError 404 if not in force)."""
    if not 0 < rule_id < 2**62:
        raise AnnotationError(404, f"there is no entity rule {rule_id} in force")
    store = rule_store()
    old = rule_set(store.active())
    record = store.delete(rule_id, author)
    forget_current()
    new = rule_set(store.active())
    return record, reindex(old, new, [to_rule(record)])


def _affected(old: RuleSet, new: RuleSet, changed: list[EntityRule]) -> tuple[list[tuple[str, str]], set[str]]:
    """Names to find through the index, and documents to look at (entities hidden before)."""
    names: list[tuple[str, str]] = []
    doc_ids: set[str] = set()
    hidden = [r for r in changed if hidden_before(old, r)]
    for rule in changed:
        names.extend(lookup_names(old, new, rule))
    if hidden:
        keys = {r.key for r in hidden}
        for (label, canonical, _), (surface, _, docs) in raw_mentions(
            getattr(services.get_store(), "raw", services.get_store())
        ).items():
            if keys & old.touches(label, canonical, surface):
                doc_ids.update(docs)
    return list(dict.fromkeys(names)), doc_ids


def _executor(app: Flask) -> ThreadPoolExecutor:
    reg = app.extensions["glossa"]
    with reg["lock"]:
        if "reindexer" not in reg:
            reg["reindexer"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glossa-reindex")
        return reg["reindexer"]


def reindex(old: RuleSet, new: RuleSet, changed: list[EntityRule], wait: float | None = REINDEX_WAIT) -> dict[str, Any]:
    """Re-index the passages ``changed`` rules affect (one at a time per app, in a worker
    thread, with the rules in force when it runs); waits up to ``wait`` seconds (None: until done).

    Returns ``{"state": "done", "passages": n, "documents": m, "elapsed": s}``, or
    ``{"state": "running"}`` when it takes longer (an ingest holds the data directory).
    """
    if not changed:
        return {"state": "done", "passages": 0, "documents": 0, "elapsed": 0.0}
    names, doc_ids = _affected(old, new, changed)
    job = make_job(Path(current_app.config["DATA_DIR"]), rule_store(), names, doc_ids)
    future = _executor(current_app._get_current_object()).submit(job)  # type: ignore[attr-defined]
    try:
        report = future.result(timeout=wait)
    except FutureTimeout:
        return {"state": "running"}
    return {"state": "done", **{k: report[k] for k in ("passages", "documents", "elapsed")}}


def make_job(
    data_dir: Path, store: EntityRuleStore, names: list[tuple[str, str]], doc_ids: Iterable[str]
) -> Callable[[], dict[str, Any]]:
    """A re-index job that reads the rules in force when it runs (so jobs queued after one
    another end in the latest rules)."""
    from indexer.pipeline import reindex_entities

    wanted = sorted(doc_ids)

    def job() -> dict[str, Any]:
        try:
            return reindex_entities(data_dir, rule_set(store.active()), names, wanted).to_dict()
        except Exception:
            log.exception("re-indexing after an entity rule change failed; run `glossa entities rules reindex`")
            raise

    return job


def reindex_all(app: Flask) -> dict[str, Any]:
    """Re-index every passage whose entities the rules in force change (after an import, or
    to repair an index a failed re-index left behind)."""
    from indexer.pipeline import reindex_entities

    with app.app_context():
        store = services.get_store()
        docs = [s.doc_id for s in store.summaries()]
        return reindex_entities(Path(app.config["DATA_DIR"]), rule_set(rule_store().active()), [], docs).to_dict()


def rules_for_ingest(app: Flask) -> RuleSet:
    """The rules in force, for ``indexer.pipeline.ingest`` (run outside a request)."""
    with app.app_context():
        return RuleSet() if _no_database() else rule_set(rule_store().active())


def error_status(exc: Exception) -> tuple[int, str]:
    """(HTTP status, message) of a refused change."""
    if isinstance(exc, RuleError):
        return 400, exc.message
    if isinstance(exc, AnnotationError):
        return exc.status, exc.message
    raise exc
