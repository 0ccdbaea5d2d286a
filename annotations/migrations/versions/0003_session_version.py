"""users.session_version: server-side session revocation.

A signed-in session remembers the version it was started under; signing out or changing the
password increments it, which ends every session of that user at once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# Plain ALTER TABLE ADD/DROP COLUMN, not a batch (which on SQLite copies the table and drops
# the old one: refused while annotations refer to its users, with foreign keys on).


def upgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("users", "session_version")
