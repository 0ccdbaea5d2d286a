"""from_jsonld: clear errors naming the bad field; create_jsonld through the service."""

from __future__ import annotations

import pytest

from annotations.base import AnnotationError
from annotations.model import JsonLdError, from_jsonld, to_jsonld

BASE = "http://localhost:5000"
TEXT = "One two three four five six seven."


def posted(**over):
    data = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "body": [
            {"type": "TextualBody", "purpose": "commenting", "value": "hi"},
            {"type": "TextualBody", "purpose": "tagging", "value": "numbers"},
        ],
        "target": {
            "source": BASE + "/doc/d1",
            "selector": [
                {"type": "TextQuoteSelector", "exact": "three four"},
                {"type": "TextPositionSelector", "start": 8, "end": 18},
            ],
        },
        "glossa:visibility": "shared",
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    "data, field",
    [
        ([], "annotation"),
        (posted(type="Note"), "type"),
        (posted(target=None), "target"),
        (posted(target={"source": "http://x/other", "selector": []}), "target.source"),
        (posted(target={"source": BASE + "/doc/d1", "selector": []}), "target.selector"),
        (
            posted(target={"source": BASE + "/doc/d1", "selector": [{"type": "TextQuoteSelector", "exact": 5}]}),
            "target.selector.exact",
        ),
        (
            posted(
                target={
                    "source": BASE + "/doc/d1",
                    "selector": [
                        {"type": "TextQuoteSelector", "exact": "x"},
                        {"type": "TextPositionSelector", "start": "1", "end": 2},
                    ],
                }
            ),
            "target.selector.start",
        ),
        (posted(body=[{"type": "Image", "value": "x"}]), "body[0]"),
        (posted(body=[{"type": "TextualBody", "purpose": "linking", "value": "x"}]), "body[0].purpose"),
        (posted(body=[{"type": "TextualBody", "value": 3}]), "body[0].value"),
        (posted(bodyValue="x"), "bodyValue"),
        (posted(created="last tuesday"), "created"),
        (posted(created="2026-01-01T10:00:00"), "created"),
        (posted(id="http://x/annotations/not-a-uuid"), "id"),
        (posted(**{"glossa:visibility": "public"}), "glossa:visibility"),
        (posted(creator={"type": "Person"}), "creator"),
    ],
)
def test_errors_name_the_field(data, field):
    with pytest.raises(JsonLdError) as err:
        from_jsonld(data)
    assert err.value.field == field


def test_body_value_and_defaults():
    inp = from_jsonld(posted(body=None, bodyValue="plain comment"))
    assert inp.comment == "plain comment" and inp.tags == []
    inp = from_jsonld(posted())
    assert (inp.doc_id, inp.exact, inp.start, inp.end, inp.comment, inp.tags, inp.visibility) == (
        "d1",
        "three four",
        8,
        18,
        "hi",
        ["numbers"],
        "shared",
    )


def test_create_jsonld(service):
    alice = service.add_user("alice", "alice-password")
    texts = {"d1": TEXT}
    a = service.create_jsonld(alice, posted(), texts.get)
    assert (a.exact, a.start, a.end, a.tags, a.visibility) == ("three four", 8, 18, ["numbers"], "shared")
    assert to_jsonld(a, BASE)["target"]["selector"][0]["prefix"] == "One two "
    with pytest.raises(AnnotationError) as err:
        service.create_jsonld(alice, posted(type="Note"), texts.get)
    assert err.value.status == 400 and "type" in err.value.message
    unknown = posted(
        target={"source": BASE + "/doc/nope", "selector": [{"type": "TextQuoteSelector", "exact": "three"}]}
    )
    with pytest.raises(AnnotationError) as err:
        service.create_jsonld(alice, unknown, texts.get)
    assert err.value.status == 404
