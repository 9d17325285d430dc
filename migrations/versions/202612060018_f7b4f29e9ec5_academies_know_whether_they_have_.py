"""academies know whether they have webhooks

Revision ID: f7b4f29e9ec5
Revises: f066c4865a30
Create Date: 2026-12-06 00:18:31.976709
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f7b4f29e9ec5'
down_revision: str | None = 'f066c4865a30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An event of an academy without a webhook endpoint is not even looked up (the move path).
    with op.batch_alter_table('academy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_webhooks', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE academy SET has_webhooks = EXISTS "
        "(SELECT 1 FROM webhook_endpoint WHERE webhook_endpoint.academy_id = academy.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('academy', schema=None) as batch_op:
        batch_op.drop_column('has_webhooks')
