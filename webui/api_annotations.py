"""The annotation JSON-LD API, mounted at /api."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_annotations", __name__)
