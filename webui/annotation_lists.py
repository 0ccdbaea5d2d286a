"""The annotations a person may see, and their exports: shared by the annotation API, the
annotation pages and ``glossa annotations export``."""

from __future__ import annotations

import json

from flask import abort, current_app, g, request

from annotations import export

from . import services

EXPORT_TYPES = {
    "jsonld": ("application/ld+json", "annotations.jsonld"),
    "csv": ("text/csv; charset=utf-8", "annotations.csv"),
    "markdown": ("text/markdown; charset=utf-8", "annotations.md"),
}


def base_url() -> str:
    """The public base URL used in annotation and document IRIs."""
    return str(current_app.config.get("BASE_URL") or request.host_url).rstrip("/")


def visible_annotations(filters: dict, limit: int | None = None, offset: int = 0) -> list:
    """The annotations the current user may see, filtered."""
    service = services.get_annotation_service()
    items = service.find(
        viewer=g.user,
        doc_id=filters["doc"],
        tag=filters["tag"],
        author=filters["author"],
        q=filters["q"],
        status=filters["status"],
    )
    if filters["visibility"]:
        items = [a for a in items if a.visibility == filters["visibility"]]
    end = None if limit is None else offset + limit
    return items[offset:end]


def passage_for(doc_id: str, offset: int) -> int | None:
    """Ordinal of the passage holding a text offset (for the CSV export)."""
    stored = services.get_store().get(doc_id)
    if stored is None:
        return None
    for p in stored.document.passages:
        if p.start <= offset < max(p.end, p.start + 1):
            return p.ordinal
    return None


def doc_info(doc_id: str) -> dict | None:
    """Title and offset -> page lookup of a document (for the CSV and Markdown exports)."""
    stored = services.get_store().get(doc_id)
    if stored is None:
        return None
    doc = stored.document

    def page_for(offset: int):
        return next((p.page for p in doc.passages if p.start <= offset < max(p.end, p.start + 1)), None)

    return {"title": doc.title, "page_for": page_for}


def removed_documents(items: list) -> dict:
    """The removed documents among those of ``items`` (by id), for the exports to mark."""
    if not items:
        return {}
    return export.removed_map(services.get_annotation_service().removed_documents())


def export_payload(fmt: str, items: list, histories: dict | None = None) -> tuple[str, str, str]:
    """(text, content type, file name) of the annotations in one export format; JSON-LD
    carries `histories` (annotation id -> anchor history) as ``glossa:history``."""
    if fmt not in EXPORT_TYPES:
        abort(400, description="Parameter 'format' must be jsonld, csv or markdown.")
    mime, name = EXPORT_TYPES[fmt]
    removed = removed_documents(items)
    if fmt == "jsonld":
        collection = export.export_jsonld(items, base_url(), histories=histories, removed=removed)
        text = json.dumps(collection, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = export.export_csv(items, base_url(), passage_for, doc_info, removed=removed)
    else:
        text = export.export_markdown(items, base_url(), doc_info, removed=removed)
    return text, mime, name
