"""Alembic migrations of the annotation store (run through annotations.db.upgrade)."""
