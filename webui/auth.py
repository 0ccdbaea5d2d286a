"""Users and access for the web layer (filled in below)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the user-loading and CSRF hooks on the app."""
