"""Helpers for the annotation tests: a small real data directory (store + Whoosh index)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.common.client import BufferedClient

DOCS = {
    "alpha": (
        "Border policy in the Aegean",
        [
            "Introduction to the border regime of the European Union.",
            "Reports describe pushbacks at the Greek border and the role of Frontex.",
            "Asylum seekers wait for months on the islands.",
        ],
    ),
    "beta": (
        "Readmission agreements",
        [
            "The EU-Turkey statement of 2016 changed the route.",
            "Readmission agreements link visas to returns.",
        ],
    ),
}

#: a footnote mark inside "...Greek border| and the role..." so the reader renders a <sup>
NOTES = {
    "alpha": {
        "notes": {"1": "Amnesty International, 2021."},
        "marks": {1: [(len("Reports describe pushbacks at the Greek border"), "1")]},
    }
}


def build_data_dir(root: Path, backend: str | None = None) -> Path:
    """Write the DOCS into ``root`` as an ingested data directory (no NER: no entities), indexed
    by ``backend`` (None: the one the suite runs on, tests/common/backend.py)."""
    from indexer.store import DocumentStore, StoredDocument
    from tests.common.backend import write_index
    from tests.common.indexing import make_document

    root.mkdir(parents=True, exist_ok=True)
    documents = [
        make_document(doc_id, paras, title=title, **NOTES.get(doc_id, {})) for doc_id, (title, paras) in DOCS.items()
    ]
    write_index(root / "index", [(d, []) for d in documents], backend)
    store = DocumentStore(root)
    for doc in documents:
        store.put(StoredDocument(document=doc, entities=[], ingested_at="2026-01-01T00:00:00Z", source_hash="x"))
    return root


def make_test_app(data_dir: Path, **extra):
    """A Glossa app over ``data_dir`` with its SQLite file there."""
    from webui.app import create_app

    config = {
        "TESTING": True,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{data_dir / 'glossa.db'}",
        "BASE_URL": "http://glossa.test",
    }
    config.update(extra)
    app = create_app(config)
    app.test_client_class = BufferedClient
    return app


def selector_body(
    doc, quote: str, tags=(), comment: str = "", visibility: str = "private", base: str = "http://glossa.test"
) -> dict:
    """A W3C annotation on the first occurrence of ``quote`` in ``doc`` (a Document)."""
    start = doc.text.index(quote)
    end = start + len(quote)
    body = [{"type": "TextualBody", "purpose": "tagging", "value": t} for t in tags]
    if comment:
        body.append({"type": "TextualBody", "purpose": "commenting", "value": comment})
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "body": body,
        "target": {
            "source": f"{base}/doc/{doc.doc_id}",
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": quote,
                    "prefix": doc.text[max(0, start - 32) : start],
                    "suffix": doc.text[end : end + 32],
                },
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        },
        "glossa:visibility": visibility,
    }


def stored_document(app, doc_id: str = "alpha"):
    """The cleaned Document of ``doc_id`` as the app's store holds it."""
    from webui import services

    with app.app_context():
        return services.get_store().get(doc_id).document


def browser_client(app):
    """A test client that behaves like a browser in single-user mode: it knows its CSRF token."""
    client = app.test_client()
    html = client.get("/doc/alpha").get_data(as_text=True)
    client.csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
    return client
