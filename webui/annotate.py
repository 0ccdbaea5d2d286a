"""HTML pages for annotations: the /annotations list, login and logout."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("annotate", __name__)
