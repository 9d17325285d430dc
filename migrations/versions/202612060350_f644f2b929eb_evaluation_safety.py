"""evaluation safety

Revision ID: f644f2b929eb
Revises: efcc89a9e68a
Create Date: 2026-12-06 03:50:35.473497
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f644f2b929eb'
down_revision: str | None = 'efcc89a9e68a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # E-mailed links take one form of answers from now on. The links made before cannot be told
    # apart (e-mailed, or a public one a manager asked for): they keep taking any number.
    with op.batch_alter_table('evaluation_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('single_use', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('used', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('evaluation_link', schema=None) as batch_op:
        batch_op.drop_column('used')
        batch_op.drop_column('single_use')
