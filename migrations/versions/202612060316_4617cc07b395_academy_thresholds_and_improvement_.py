"""academy thresholds and improvement bricks

Revision ID: 4617cc07b395
Revises: 3d4276a0f052
Create Date: 2026-12-06 03:16:46.609443
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4617cc07b395'
down_revision: str | None = '3d4276a0f052'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An improvement brick names the brick it improves; the academy's thresholds (percentages).
    with op.batch_alter_table('brick', schema=None) as batch_op:
        batch_op.add_column(sa.Column('improves_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_brick_improves_id', ['improves_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_brick_improves_id_brick'), 'brick', ['improves_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('learning_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_completion_rate', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_satisfaction', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_objective_share', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('learning_settings', schema=None) as batch_op:
        batch_op.drop_column('min_objective_share')
        batch_op.drop_column('min_satisfaction')
        batch_op.drop_column('min_completion_rate')

    with op.batch_alter_table('brick', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_brick_improves_id_brick'), type_='foreignkey')
        batch_op.drop_index('ix_brick_improves_id')
        batch_op.drop_column('improves_id')
