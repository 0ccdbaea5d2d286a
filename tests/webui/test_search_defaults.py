"""The search page's defaults agree with the reader's: dates and numbers stay plain in snippets
and out of "Top entities" unless the search asks for them."""

from __future__ import annotations

import re

QUIET = ("DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "QUANTITY")


def _top_entity_labels(html: str) -> list[str]:
    section = html.split("<h3>Top entities</h3>", 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="swatch ent ent-([A-Z_]+)"', section)


def test_dates_and_numbers_are_quiet_by_default(client):
    api = client.get("/api/search?q=2019+OR+2020+OR+migrants").get_json()
    labels_found = {e["label"] for e in api["facets"]["entities"]}
    html = client.get("/?q=2019+OR+2020+OR+migrants").get_data(as_text=True)
    shown = _top_entity_labels(html)
    assert shown and not set(shown) & set(QUIET)
    assert labels_found & set(QUIET), "the corpus has dates in these passages; the facet without quiet would show them"
    results = re.search(r'<section class="results([^"]*)"', html).group(1).split()
    assert {f"hide-ent-{t}" for t in QUIET} <= set(results)
    assert re.search(r'<span class="ent ent-DATE"', html)  # still marked up, only shown plain


def test_a_type_filter_brings_its_entities_back(client):
    html = client.get("/?q=2019+OR+2020&type=DATE").get_data(as_text=True)
    assert "DATE" in _top_entity_labels(html)
    results = re.search(r'<section class="results([^"]*)"', html).group(1).split()
    assert "hide-ent-DATE" not in results and "hide-ent-CARDINAL" in results


def test_the_api_facets_keep_every_type(client):
    data = client.get("/api/search?q=2019+OR+2020").get_json()
    assert any(e["label"] == "DATE" for e in data["facets"]["entities"])
