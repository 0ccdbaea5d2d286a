"""entity_rules: entity corrections (retype, rename, merge, split, hide) with author and time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "entity_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("new_label", sa.String(length=32), nullable=False),
        sa.Column("new_name", sa.String(length=200), nullable=False),
        sa.Column("surface", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("deleted", TS, nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "action IN ('retype', 'rename', 'merge', 'split', 'hide')", name=op.f("ck_entity_rules_action")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_rules")),
    )
    op.create_index(op.f("ix_entity_rules_name_key"), "entity_rules", ["name_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_entity_rules_name_key"), table_name="entity_rules")
    op.drop_table("entity_rules")
