"""Change counters: one per academy (and scope 0, shared), bumped by every transaction that
changes what pages show; the validators of conditional requests are made from them
(tracker/changes.py).

Revision ID: 84443fd35d18
Revises: ebd5d130aa8a
Create Date: 2026-12-05 16:23:44.873649
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "84443fd35d18"
down_revision: str | None = "ebd5d130aa8a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("scope", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_change_counter")),
    )
    # Every counter exists before the first change counts: a bump is then an UPDATE of an
    # existing row. (Fifty first bumps of one new row at once, INSERT ... ON CONFLICT, deadlock
    # on PostgreSQL's speculative insertion.) New academies get theirs with their first change.
    op.execute("INSERT INTO change_counter (scope, value) VALUES (0, 0)")
    op.execute("INSERT INTO change_counter (scope, value) SELECT id, 0 FROM academy")


def downgrade() -> None:
    op.drop_table("change_counter")
