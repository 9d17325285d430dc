"""pre-assessment facts

Revision ID: efcc89a9e68a
Revises: 3d4276a0f052
Create Date: 2026-12-06 03:16:46.958391
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'efcc89a9e68a'
down_revision: str | None = '3d4276a0f052'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A fact of a brick's pre-assessment ("pre") or of the brick itself (""): the facts already
    # stored are the brick's. The pre-assessment's identifiers are new values of
    # learning_activity.kind (a VARCHAR): nothing to change there.
    with op.batch_alter_table('learner_fact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=8), server_default=sa.text("''"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('learner_fact', schema=None) as batch_op:
        batch_op.drop_column('phase')
