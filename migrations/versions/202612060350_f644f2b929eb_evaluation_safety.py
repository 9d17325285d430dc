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


# The questions' prompts were stored translated into the creator's language (French by
# default); they are now stored in English (the key) and translated when shown. The French
# prompts of the built-in questions go back to their key; any other prompt stays as written.
FRENCH_PROMPTS = (
    ('\xcates-vous satisfait de cette formation ?', 'How satisfied are you with this training?'),
    ('Est-elle utile pour votre travail ?', 'How useful is it for your work?'),
    ('Quelle est la probabilit\xe9 que vous la recommandiez \xe0 un coll\xe8gue ?', 'How likely are you to recommend it to a colleague?'),
    ('Comptez-vous appliquer ce que vous avez appris ?', 'Do you intend to apply what you learned?'),
    ('Que changeriez-vous ?', 'What would you change?'),
    ('Avez-vous appliqu\xe9 ce que vous avez appris dans votre travail ?', 'Have you applied what you learned in your work?'),
    ('\xc0 quelle fr\xe9quence l\u2019utilisez-vous ?', 'How often do you use it?'),
    ('Un exemple de situation o\xf9 vous l\u2019avez utilis\xe9 :', 'An example of when you used it:'),
)


def upgrade() -> None:
    # E-mailed links take one form of answers from now on. The links made before cannot be told
    # apart (e-mailed, or a public one a manager asked for): they keep taking any number.
    with op.batch_alter_table('evaluation_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('single_use', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('used', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The LRS secret is stored sealed from now on (longer than the secret). The secrets stored
    # in clear before stay readable and are sealed in place at the next pull: the app's secret
    # key, which seals, is not known here.
    with op.batch_alter_table('learning_settings', schema=None) as batch_op:
        batch_op.alter_column('lrs_secret', existing_type=sa.String(length=1000),
                              type_=sa.String(length=2000), existing_nullable=False)
    question = sa.table('evaluation_question', sa.column('prompt', sa.String))
    for french, english in FRENCH_PROMPTS:
        op.execute(question.update().where(question.c.prompt == french).values(prompt=english))


def downgrade() -> None:
    with op.batch_alter_table('learning_settings', schema=None) as batch_op:
        batch_op.alter_column('lrs_secret', existing_type=sa.String(length=2000),
                              type_=sa.String(length=1000), existing_nullable=False)
    with op.batch_alter_table('evaluation_link', schema=None) as batch_op:
        batch_op.drop_column('used')
        batch_op.drop_column('single_use')
