"""backlog hidden columns: the optional columns a person hides on the backlog

Revision ID: 16d4513154ce
Revises: f7b4f29e9ec5
Create Date: 2026-12-06 03:16:43.916694
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '16d4513154ce'
down_revision: str | None = 'f7b4f29e9ec5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backlog_hidden_columns', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('backlog_hidden_columns')
