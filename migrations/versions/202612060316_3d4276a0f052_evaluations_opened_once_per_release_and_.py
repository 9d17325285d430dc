"""evaluations opened once per release and kind

Revision ID: 3d4276a0f052
Revises: 16d4513154ce
Create Date: 2026-12-06 03:16:39.823736
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.db

revision: str = '3d4276a0f052'
down_revision: str | None = '16d4513154ce'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def merge_duplicates() -> None:
    """Before the unique constraint: where a release has two evaluations of one kind (made by
    hand before), the oldest is kept and the others are merged into it, nothing lost: their
    answers move to the kept one's question at the same position, their e-mailed links and
    queued e-mails point to it, their public link becomes one more link to it, and it closes
    at the latest of their closing times."""
    bind = op.get_bind()
    groups = bind.execute(
        sa.text(
            "SELECT release_id, kind FROM evaluation GROUP BY release_id, kind"
            " HAVING COUNT(*) > 1"
        )
    ).all()
    for release_id, kind in groups:
        rows = bind.execute(
            sa.text(
                "SELECT id, link_hash, closes_at, created_at FROM evaluation"
                " WHERE release_id = :release AND kind = :kind ORDER BY created_at, id"
            ),
            {"release": release_id, "kind": kind},
        ).all()
        keep = rows[0]
        positions = dict(
            bind.execute(
                sa.text("SELECT position, id FROM evaluation_question WHERE evaluation_id = :e"),
                {"e": keep.id},
            ).all()
        )
        for duplicate in rows[1:]:
            for question_id, position in bind.execute(
                sa.text("SELECT id, position FROM evaluation_question WHERE evaluation_id = :e"),
                {"e": duplicate.id},
            ).all():
                if position in positions:
                    bind.execute(
                        sa.text(
                            "UPDATE evaluation_answer SET evaluation_id = :keep,"
                            " question_id = :target WHERE question_id = :question"
                        ),
                        {"keep": keep.id, "target": positions[position], "question": question_id},
                    )
            bind.execute(
                sa.text("UPDATE evaluation_link SET evaluation_id = :keep WHERE evaluation_id = :e"),
                {"keep": keep.id, "e": duplicate.id},
            )
            bind.execute(
                sa.text(
                    "UPDATE mail_message SET link_ref = :keep"
                    " WHERE link_kind = 'evaluation' AND link_ref = :e"
                ),
                {"keep": keep.id, "e": duplicate.id},
            )
            for table in ("evaluation_answer", "evaluation_question"):
                bind.execute(
                    sa.text(f"DELETE FROM {table} WHERE evaluation_id = :e"),  # noqa: S608
                    {"e": duplicate.id},
                )
            bind.execute(sa.text("DELETE FROM evaluation WHERE id = :e"), {"e": duplicate.id})
            bind.execute(
                sa.text(
                    "INSERT INTO evaluation_link (evaluation_id, token_hash, created_at)"
                    " VALUES (:keep, :hash, :created)"
                ),
                {"keep": keep.id, "hash": duplicate.link_hash, "created": duplicate.created_at},
            )
            bind.execute(
                sa.text(
                    "UPDATE evaluation SET closes_at = :closes"
                    " WHERE id = :keep AND closes_at < :closes"
                ),
                {"keep": keep.id, "closes": duplicate.closes_at},
            )


def upgrade() -> None:
    merge_duplicates()
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', tracker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', tracker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_evaluation_release_id_kind'), ['release_id', 'kind'])

    with op.batch_alter_table('learning_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_evaluations', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('learning_settings', schema=None) as batch_op:
        batch_op.drop_column('auto_evaluations')

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_evaluation_release_id_kind'), type_='unique')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('sent_at')
