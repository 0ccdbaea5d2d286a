"""Initial tables: users, api_tokens, annotations, annotation_tags.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("last_used", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_api_tokens_user_id_users"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "annotations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("doc_id", sa.String(200), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(10), nullable=False),
        sa.Column("exact", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("suffix", sa.Text(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("modified", TS, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_annotations"),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], ondelete="RESTRICT", name="fk_annotations_creator_id_users"
        ),
        sa.CheckConstraint("visibility IN ('private', 'shared')", name="ck_annotations_visibility"),
        sa.CheckConstraint("status IN ('anchored', 'orphaned')", name="ck_annotations_status"),
        sa.CheckConstraint("start_offset >= 0 AND end_offset >= start_offset", name="ck_annotations_offsets"),
    )
    op.create_index("ix_annotations_doc_id", "annotations", ["doc_id"])
    op.create_index("ix_annotations_creator_id", "annotations", ["creator_id"])
    op.create_table(
        "annotation_tags",
        sa.Column("annotation_id", sa.String(36), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("annotation_id", "tag", name="pk_annotation_tags"),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotations.id"],
            ondelete="CASCADE",
            name="fk_annotation_tags_annotation_id_annotations",
        ),
    )
    op.create_index("ix_annotation_tags_tag", "annotation_tags", ["tag"])


def downgrade() -> None:
    op.drop_table("annotation_tags")
    op.drop_table("annotations")
    op.drop_table("api_tokens")
    op.drop_table("users")
