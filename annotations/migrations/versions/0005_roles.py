"""users.role (reader, editor, admin) and the removed_documents table.

Existing users: the oldest user anyone can sign in to (a usable password hash) becomes
``admin``, every other user ``reader``. Before this revision no user could change the corpus
from the web, so nobody gains the editor's powers silently except that one account, which is
what a new install gives its first user; an administrator grants more with
``glossa user role NAME ROLE``.

removed_documents: documents taken out of the corpus from the web or the API; their
annotations are kept and shown as belonging to a removed document until the same file is
added again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: the prefix of a password hash no password matches (annotations.security.UNUSABLE)
UNUSABLE = "!"

# Plain ALTER TABLE ADD/DROP COLUMN, not a batch (see 0003): the users table is referred to.


def upgrade() -> None:
    op.add_column("users", sa.Column("role", sa.String(16), nullable=False, server_default="reader"))
    conn = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Integer()),
        sa.column("password_hash", sa.String()),
        sa.column("created", sa.DateTime()),
        sa.column("role", sa.String()),
    )
    first = conn.execute(
        sa.select(users.c.id)
        .where(sa.not_(users.c.password_hash.startswith(UNUSABLE)), users.c.password_hash != "")
        .order_by(users.c.created, users.c.id)
        .limit(1)
    ).scalar()
    if first is not None:
        conn.execute(sa.update(users).where(users.c.id == first).values(role="admin"))
    op.create_table(
        "removed_documents",
        sa.Column("doc_id", sa.String(200), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False, server_default=""),
        sa.Column("source_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("source_name", sa.Text(), nullable=False, server_default=""),
        sa.Column("removed_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_removed_documents_source_hash", "removed_documents", ["source_hash"])


def downgrade() -> None:
    op.drop_index("ix_removed_documents_source_hash", table_name="removed_documents")
    op.drop_table("removed_documents")
    op.drop_column("users", "role")
