"""Anchor history and review: the annotation_anchors table, annotations.rival_score and
the 'review' status.

Every existing annotation gets a first history row ("recorded") holding its selector as it
is now (earlier re-anchorings overwrote the originals; from here on nothing is lost).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
OLD_STATUS = "status IN ('anchored', 'orphaned')"
NEW_STATUS = "status IN ('anchored', 'review', 'orphaned')"
EVENTS = "'created', 'recorded', 'imported', 'kept', 'moved', 'changed', 'orphaned', 'accepted', 'replaced'"


def _annotations_0001(status_check: str) -> sa.Table:
    """The annotations table as revision 0001 made it (SQLite rebuilds it from this)."""
    meta = sa.MetaData()
    sa.Table("users", meta, sa.Column("id", sa.Integer(), primary_key=True))
    return sa.Table(
        "annotations",
        meta,
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
        sa.CheckConstraint(status_check, name="ck_annotations_status"),
        sa.CheckConstraint("start_offset >= 0 AND end_offset >= start_offset", name="ck_annotations_offsets"),
        sa.Index("ix_annotations_doc_id", "doc_id"),
        sa.Index("ix_annotations_creator_id", "creator_id"),
    )


def _rebuild_annotations(change) -> None:
    """Apply `change(batch)` to the annotations table without losing its tags.

    SQLite cannot alter a CHECK constraint: the table is copied, dropped and renamed, and
    with foreign keys on, dropping it would cascade to annotation_tags. The tags are kept
    aside in a temporary table and put back.
    """
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE glossa_keep_tags AS SELECT * FROM annotation_tags")
    with op.batch_alter_table("annotations", copy_from=_annotations_0001(OLD_STATUS)) as batch:
        change(batch)
    if sqlite:
        op.execute("DELETE FROM annotation_tags")
        op.execute("INSERT INTO annotation_tags SELECT * FROM glossa_keep_tags")
        op.execute("DROP TABLE glossa_keep_tags")


def _status_check_name() -> str:
    """The name the status CHECK has in this database (revision 0001 named it
    "ck_annotations_ck_annotations_status" on PostgreSQL, "ck_annotations_status" on SQLite,
    where the batch rebuild takes its names from the table given to it)."""
    if op.get_bind().dialect.name == "sqlite":
        return "ck_annotations_status"
    for check in sa.inspect(op.get_bind()).get_check_constraints("annotations"):
        name = check.get("name")
        if "status" in (check.get("sqltext") or "") and name:
            return name
    return "ck_annotations_status"


def upgrade() -> None:
    old_name = _status_check_name()

    def change(batch) -> None:
        batch.add_column(sa.Column("rival_score", sa.Float(), nullable=True))
        batch.drop_constraint(op.f(old_name), type_="check")
        batch.create_check_constraint(op.f("ck_annotations_status"), sa.text(NEW_STATUS))

    _rebuild_annotations(change)
    op.create_table(
        "annotation_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.String(36), nullable=False),
        sa.Column("event", sa.String(12), nullable=False),
        sa.Column("method", sa.String(12), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("old_exact", sa.Text(), nullable=True),
        sa.Column("old_prefix", sa.Text(), nullable=True),
        sa.Column("old_suffix", sa.Text(), nullable=True),
        sa.Column("old_start", sa.Integer(), nullable=True),
        sa.Column("old_end", sa.Integer(), nullable=True),
        sa.Column("old_text_hash", sa.String(64), nullable=True),
        sa.Column("new_exact", sa.Text(), nullable=True),
        sa.Column("new_prefix", sa.Text(), nullable=True),
        sa.Column("new_suffix", sa.Text(), nullable=True),
        sa.Column("new_start", sa.Integer(), nullable=True),
        sa.Column("new_end", sa.Integer(), nullable=True),
        sa.Column("new_text_hash", sa.String(64), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_annotation_anchors"),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotations.id"],
            ondelete="CASCADE",
            name="fk_annotation_anchors_annotation_id_annotations",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], ondelete="SET NULL", name="fk_annotation_anchors_actor_id_users"
        ),
        sa.CheckConstraint(f"event IN ({EVENTS})", name=op.f("ck_annotation_anchors_event")),
    )
    op.create_index("ix_annotation_anchors_annotation_id", "annotation_anchors", ["annotation_id"])
    op.execute(
        "INSERT INTO annotation_anchors (annotation_id, event, method, new_exact, new_prefix, new_suffix, "
        "new_start, new_end, new_text_hash, created) "
        "SELECT id, 'recorded', '', exact, prefix, suffix, start_offset, end_offset, text_hash, modified "
        "FROM annotations"
    )


def downgrade() -> None:
    op.drop_index("ix_annotation_anchors_annotation_id", table_name="annotation_anchors")
    op.drop_table("annotation_anchors")
    op.execute("UPDATE annotations SET status = 'anchored' WHERE status = 'review'")
    old_name = _status_check_name()

    def change(batch) -> None:
        batch.drop_constraint(op.f(old_name), type_="check")
        batch.create_check_constraint(op.f("ck_annotations_status"), sa.text(OLD_STATUS))
        batch.drop_column("rival_score")

    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE glossa_keep_tags AS SELECT * FROM annotation_tags")
    table = _annotations_0001(NEW_STATUS)
    table.append_column(sa.Column("rival_score", sa.Float(), nullable=True))
    with op.batch_alter_table("annotations", copy_from=table) as batch:
        change(batch)
    if sqlite:
        op.execute("DELETE FROM annotation_tags")
        op.execute("INSERT INTO annotation_tags SELECT * FROM glossa_keep_tags")
        op.execute("DROP TABLE glossa_keep_tags")
