"""Mail retries: a message that failed for a temporary reason waits until next_attempt_at.

(Messages left in "sending" by an earlier sender return to the queue on their own: the sender
now releases claims older than its lease.)

Revision ID: d92bc5993ede
Revises: e6e89b4ed1d7
Create Date: 2026-12-05 12:34:26.599182
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.db

revision: str = "d92bc5993ede"
down_revision: str | None = "e6e89b4ed1d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", tracker.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
