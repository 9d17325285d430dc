"""per-round draft secret

Each round gets a random `draft_secret` from which, with the application's key, its testers'
draft keys are derived; an anonymous round's is destroyed when it closes (tracker/feedback/keys.py,
tracker/feedback/anonymity.py). Rounds still in draft get one now. Rounds already open keep NULL:
their drafts were keyed with the application's key alone, which stays their key until they close.

The data of anonymous rounds is brought to the rules of anonymity: responses and items carry the
round's day, invitations keep completion to the day, and in closed anonymous rounds the keys are
replaced by random ones and the responses stored again under new ids, in a random order. Not
undone by the downgrade (nothing could restore what was forgotten).

Revision ID: 8cefecf88d5f
Revises: f533b8cfa11d
Create Date: 2026-12-05 12:19:58.130122
"""

import datetime as dt
import random
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.db

revision: str = "8cefecf88d5f"
down_revision: str | None = "f533b8cfa11d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_when = tracker.db.UTCDateTime(timezone=True)
rounds = sa.table(
    "feedback_round",
    sa.column("id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("anonymous", sa.Boolean),
    sa.column("opened_at", _when),
    sa.column("created_at", _when),
    sa.column("draft_secret", sa.String),
)
responses = sa.table(
    "response",
    sa.column("id", sa.Integer),
    sa.column("round_id", sa.Integer),
    sa.column("respondent_id", sa.Integer),
    sa.column("lookup_key", sa.String),
    sa.column("state", sa.String),
    sa.column("business_unit", sa.String),
    sa.column("job_family", sa.String),
    sa.column("site", sa.String),
    sa.column("language", sa.String),
    sa.column("created_at", _when),
    sa.column("updated_at", _when),
    sa.column("submitted_at", _when),
)
answers = sa.table(
    "answer",
    sa.column("id", sa.Integer),
    sa.column("response_id", sa.Integer),
    sa.column("question_id", sa.Integer),
    sa.column("brick_id", sa.Integer),
    sa.column("value_int", sa.Integer),
    sa.column("value_text", sa.Text),
)
items = sa.table(
    "feedback_item",
    sa.column("round_id", sa.Integer),
    sa.column("lookup_key", sa.String),
    sa.column("created_at", _when),
    sa.column("updated_at", _when),
)
invitations = sa.table(
    "round_invitation",
    sa.column("id", sa.Integer),
    sa.column("round_id", sa.Integer),
    sa.column("completed_at", _when),
)
COPIED = (
    "state",
    "business_unit",
    "job_family",
    "site",
    "language",
    "created_at",
    "updated_at",
    "submitted_at",
)


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _anonymise(bind: sa.Connection, round_id: int, day: dt.datetime) -> None:
    bind.execute(
        responses.update()
        .where(responses.c.round_id == round_id)
        .values(created_at=day, updated_at=day)
    )
    bind.execute(
        responses.update()
        .where(responses.c.round_id == round_id, responses.c.submitted_at.is_not(None))
        .values(submitted_at=day)
    )
    bind.execute(
        items.update().where(items.c.round_id == round_id).values(created_at=day, updated_at=day)
    )
    for invitation_id, completed in bind.execute(
        sa.select(invitations.c.id, invitations.c.completed_at).where(
            invitations.c.round_id == round_id, invitations.c.completed_at.is_not(None)
        )
    ).all():
        bind.execute(
            invitations.update()
            .where(invitations.c.id == invitation_id)
            .values(completed_at=_day(completed))
        )


def _forget(bind: sa.Connection, round_id: int) -> None:
    """As tracker.feedback.anonymity.forget_respondents, for rounds closed before it existed."""
    bind.execute(items.update().where(items.c.round_id == round_id).values(lookup_key=""))
    old = bind.execute(sa.select(responses).where(responses.c.round_id == round_id)).all()
    random.SystemRandom().shuffle(old)
    for row in old:
        new_id = bind.execute(
            responses.insert()
            .values(
                round_id=round_id,
                respondent_id=None,
                lookup_key=secrets.token_hex(32),
                **{name: getattr(row, name) for name in COPIED},
            )
            .returning(responses.c.id)
        ).scalar_one()
        bind.execute(
            answers.insert().from_select(
                ["response_id", "question_id", "brick_id", "value_int", "value_text"],
                sa.select(
                    sa.literal(new_id),
                    answers.c.question_id,
                    answers.c.brick_id,
                    answers.c.value_int,
                    answers.c.value_text,
                )
                .where(answers.c.response_id == row.id)
                .order_by(answers.c.id),
            )
        )
        bind.execute(answers.delete().where(answers.c.response_id == row.id))
        bind.execute(responses.delete().where(responses.c.id == row.id))


def upgrade() -> None:
    with op.batch_alter_table("feedback_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_secret", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    for round_id, state, anonymous, opened_at, created_at in bind.execute(
        sa.select(
            rounds.c.id, rounds.c.state, rounds.c.anonymous, rounds.c.opened_at, rounds.c.created_at
        ).order_by(rounds.c.id)
    ).all():
        if state == "draft":
            bind.execute(
                rounds.update()
                .where(rounds.c.id == round_id)
                .values(draft_secret=secrets.token_hex(32))
            )
        if not anonymous:
            continue
        moment = opened_at or created_at
        if moment is not None:
            _anonymise(bind, round_id, _day(moment))
        if state == "closed":
            _forget(bind, round_id)


def downgrade() -> None:
    with op.batch_alter_table("feedback_round", schema=None) as batch_op:
        batch_op.drop_column("draft_secret")
