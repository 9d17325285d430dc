"""sprint baseline scope changes results

A sprint's baseline (the scope frozen at its start), its scope changes with their reason, its
results written at the close, and at most one active sprint per academy (a partial unique
index, on both engines).

Revision ID: 5b430ee0f471
Revises: 12410563284e
Create Date: 2026-11-28 16:22:14.929327
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.db

revision: str = "5b430ee0f471"
down_revision: str | None = "12410563284e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sprint_result",
        sa.Column("sprint_id", sa.Integer(), nullable=False),
        sa.Column("baseline_points", sa.Integer(), nullable=False),
        sa.Column("baseline_count", sa.Integer(), nullable=False),
        sa.Column("added_points", sa.Integer(), nullable=False),
        sa.Column("removed_points", sa.Integer(), nullable=False),
        sa.Column("scope_points", sa.Integer(), nullable=False),
        sa.Column("scope_count", sa.Integer(), nullable=False),
        sa.Column("completed_points", sa.Integer(), nullable=False),
        sa.Column("completed_count", sa.Integer(), nullable=False),
        sa.Column("to_backlog_count", sa.Integer(), nullable=False),
        sa.Column("to_sprint_count", sa.Integer(), nullable=False),
        sa.Column("carried_points", sa.Integer(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["user_account.id"],
            name=op.f("fk_sprint_result_closed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sprint_id"],
            ["sprint.id"],
            name=op.f("fk_sprint_result_sprint_id_sprint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sprint_id", name=op.f("pk_sprint_result")),
    )
    op.create_table(
        "sprint_baseline_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sprint_id", sa.Integer(), nullable=False),
        sa.Column("brick_id", sa.Integer(), nullable=True),
        sa.Column("brick_number", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brick_id"],
            ["brick.id"],
            name=op.f("fk_sprint_baseline_item_brick_id_brick"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sprint_id"],
            ["sprint.id"],
            name=op.f("fk_sprint_baseline_item_sprint_id_sprint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprint_baseline_item")),
        sa.UniqueConstraint(
            "sprint_id", "brick_number", name=op.f("uq_sprint_baseline_item_sprint_id_brick_number")
        ),
    )
    op.create_table(
        "sprint_scope_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sprint_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("brick_id", sa.Integer(), nullable=True),
        sa.Column("brick_number", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("added", "removed", name="scopechangekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_sprint_scope_change_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_sprint_scope_change_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["brick_id"],
            ["brick.id"],
            name=op.f("fk_sprint_scope_change_brick_id_brick"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sprint_id"],
            ["sprint.id"],
            name=op.f("fk_sprint_scope_change_sprint_id_sprint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprint_scope_change")),
    )
    with op.batch_alter_table("sprint_scope_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sprint_scope_change_sprint_id_at", ["sprint_id", "at"], unique=False
        )

    with op.batch_alter_table("sprint", schema=None) as batch_op:
        batch_op.create_index(
            "uq_sprint_one_active",
            ["academy_id"],
            unique=True,
            postgresql_where=sa.text("state = 'active'"),
            sqlite_where=sa.text("state = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("sprint", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sprint_one_active",
            postgresql_where=sa.text("state = 'active'"),
            sqlite_where=sa.text("state = 'active'"),
        )

    with op.batch_alter_table("sprint_scope_change", schema=None) as batch_op:
        batch_op.drop_index("ix_sprint_scope_change_sprint_id_at")

    op.drop_table("sprint_scope_change")
    op.drop_table("sprint_baseline_item")
    op.drop_table("sprint_result")
