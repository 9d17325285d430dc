"""The migration that gives rounds their own secret (8cefecf88d5f) on rounds made before it:
drafts keep their secret-less keys until their round closes, anonymous rounds lose their times
finer than the round's day, and closed anonymous rounds are forgotten."""

from __future__ import annotations

import datetime as dt

from flask import g
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from tests.conftest import SECRET
from tests.factories import make_world
from tests.feedback.factories import complete_values, invite, make_round, make_tester
from tests.test_migrations import empty_engine  # noqa: F401 - the fixture
from tracker import migrate
from tracker.feedback.answers import my_response, save_response
from tracker.feedback.keys import _hmac
from tracker.feedback.models import FeedbackRound, Response, RoundInvitation, RoundState

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BEFORE = "edc22efed86b"


def _legacy_round(session: Session, world, *, closed: bool):
    """An anonymous round as it was before per-round secrets: answers keyed by the application's
    key alone, exact times on responses and invitations."""
    setup = make_round(session, world.academy, world.manager, anonymous=True, now=START)
    session.execute(
        update(FeedbackRound).where(FeedbackRound.id == setup.round.id).values(draft_secret=None)
    )
    session.refresh(setup.round)
    testers = [make_tester(session, world.academy) for _ in range(3)]
    invitations = invite(session, setup.round, testers, now=START)
    for n, invitation in enumerate(invitations):
        when = START + dt.timedelta(minutes=n + 1)
        save_response(
            session, invitation, complete_values(setup), submit=True, secret_key=SECRET, now=when
        )
        session.execute(
            update(RoundInvitation)
            .where(RoundInvitation.id == invitation.id)
            .values(completed_at=when)
        )
    session.execute(
        update(Response).where(Response.round_id == setup.round.id).values(created_at=START)
    )
    if closed:
        session.execute(
            update(FeedbackRound)
            .where(FeedbackRound.id == setup.round.id)
            .values(state=RoundState.CLOSED)
        )
    return setup.round.id, [t.id for t in testers]


def test_the_migration_keeps_open_drafts_and_forgets_closed_anonymous_rounds(
    app,
    empty_engine: Engine,  # noqa: F811
) -> None:
    migrate.upgrade(empty_engine)
    with app.app_context(), Session(empty_engine) as session:
        g._db_session = session
        world = make_world(session)
        open_id, open_people = _legacy_round(session, world, closed=False)
        closed_id, closed_people = _legacy_round(session, world, closed=True)
        draft = make_round(session, world.academy, world.manager, open_it=False, now=START)
        session.execute(
            update(FeedbackRound)
            .where(FeedbackRound.id == draft.round.id)
            .values(draft_secret=None)
        )
        draft_id = draft.round.id
        old_closed_ids = set(
            session.scalars(select(Response.id).where(Response.round_id == closed_id))
        )
        session.commit()

    migrate.downgrade(empty_engine, BEFORE)
    migrate.upgrade(empty_engine)

    with app.app_context(), Session(empty_engine) as session:
        g._db_session = session
        rounds = {r.id: r for r in session.scalars(select(FeedbackRound))}
        assert rounds[draft_id].draft_secret and len(rounds[draft_id].draft_secret) == 64
        assert rounds[open_id].draft_secret is None and rounds[closed_id].draft_secret is None
        # The open round's testers still find their answers (the application's key, as before).
        for person in open_people:
            assert my_response(session, rounds[open_id], person, secret_key=SECRET) is not None
        # Times: the round's day on responses, the day on invitations.
        for round_id in (open_id, closed_id):
            stamps = session.execute(
                text(
                    "SELECT created_at, updated_at, submitted_at FROM response WHERE round_id = :r"
                ),
                {"r": round_id},
            ).all()
            assert len({v for row in stamps for v in row}) == 1
            completed = session.scalars(
                select(RoundInvitation.completed_at).where(RoundInvitation.round_id == round_id)
            ).all()
            assert {(c.hour, c.minute) for c in completed} == {(0, 0)}
        # The closed round is forgotten: new ids, keys nobody can recompute.
        keys = {
            r.lookup_key: r.id
            for r in session.scalars(select(Response).where(Response.round_id == closed_id))
        }
        assert len(keys) == 3 and not set(keys.values()) & old_closed_ids
        for person in closed_people:
            assert _hmac(SECRET, f"{closed_id}:{person}").hex() not in keys
            assert my_response(session, rounds[closed_id], person, secret_key=SECRET) is None
