"""annotations.note: annotations on a footnote's text.

A note's text is not part of the document's canonical text; an annotation on it names the
note (its number) and counts its offsets in that note's text. NULL: the document's text.
The history records the note before and after each step (a re-anchoring may find the quote
in a renumbered note).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (see 0003: a SQLite batch copy is refused while rows refer to the table).


def upgrade() -> None:
    op.add_column("annotations", sa.Column("note", sa.String(20), nullable=True))
    op.add_column("annotation_anchors", sa.Column("old_note", sa.String(20), nullable=True))
    op.add_column("annotation_anchors", sa.Column("new_note", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("annotation_anchors", "new_note")
    op.drop_column("annotation_anchors", "old_note")
    op.drop_column("annotations", "note")
