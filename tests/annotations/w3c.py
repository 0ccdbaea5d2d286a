"""A validator built on the W3C Web Annotation test-suite assertions (JSON Schema draft-04)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

W3C_DIR = Path(__file__).resolve().parent.parent / "data" / "w3c"
ANNOTATION_MUSTS = "annotations/annotationMusts.test"
COLLECTION_MUSTS = "collections/collectionMusts.test"

checker = FormatChecker()


@checker.checks("uri")
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and " " not in value


@checker.checks("date-time")
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value and dt.tzinfo is not None


@lru_cache(maxsize=1)
def schemas() -> tuple[dict, Registry]:
    """Every assertion/definition schema by file name, and a registry resolving their `$ref`s."""
    by_name: dict[str, dict] = {}
    resources = []
    for path in sorted(W3C_DIR.rglob("*.json")):
        if "tools" in path.relative_to(W3C_DIR).parts:
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        by_name[path.name] = schema
        resource = Resource.from_contents(schema, default_specification=DRAFT4)
        resources.append((path.name, resource))
        if schema.get("id") and schema["id"] != path.name:
            resources.append((schema["id"], resource))
    return by_name, Registry().with_resources(resources)


@cache
def _validator(name: str, strict_formats: bool):
    by_name, registry = schemas()
    schema = by_name[name]
    return schema, Draft4Validator(schema, registry=registry, format_checker=checker if strict_formats else None)


def failed_assertions(instance, test_file: str, strict_formats: bool = True) -> list[str]:
    """Assertions of a `.test` file whose outcome differs from its expectedResult.

    strict_formats also checks the `uri` and `date-time` formats (jsonschema skips them
    unless optional packages are installed; the suite's sample counts assume they are skipped).
    """
    test = json.loads((W3C_DIR / test_file).read_text(encoding="utf-8"))
    failed = []
    for ref in test["assertions"]:
        schema, validator = _validator(Path(ref).name, strict_formats)
        expected = schema.get("expectedResult", "valid") == "valid"
        if validator.is_valid(instance) != expected:
            failed.append(f"{ref}: {schema.get('errorMessage', '')}")
    return failed


def sample_verdicts(kind: str, strict_formats: bool = False) -> dict[str, bool]:
    """For each suite sample annotation (correct/incorrect): does it pass every MUST?"""
    out = {}
    for path in sorted((W3C_DIR / "tools" / "samples" / kind).glob("anno*.json")):
        try:
            instance = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            out[path.name] = False
            continue
        out[path.name] = not failed_assertions(instance, ANNOTATION_MUSTS, strict_formats)
    return out
