"""When a release's work began (the start of its roadmap bar): its first sprint or round."""

from __future__ import annotations

import datetime as dt

from tests.factories import make_round
from tracker.db import utcnow
from tracker.releases import overview
from tracker.releases.services import create_release
from tracker.sprints.services import create_sprint


def test_a_release_starts_with_its_first_sprint_or_its_first_round(db_session, world):
    setup = make_round(db_session, world.academy, world.manager)  # opened now
    release_id = setup.round.release_id
    january, february = dt.date(2026, 1, 5), dt.date(2026, 2, 2)
    early = create_sprint(db_session, world.academy, name="S1", start_date=january)
    later = create_sprint(db_session, world.academy, name="S2", start_date=february)
    first, second = setup.bricks[:2]
    first.sprint_id, second.sprint_id = later.id, early.id
    idle = create_release(db_session, world.academy, name="Idle", actor=None, now=utcnow())
    db_session.flush()

    starts = overview.release_starts(db_session, world.academy)

    assert starts[release_id] == dt.date(2026, 1, 5)  # the earlier sprint, before the round
    assert idle.id not in starts


def test_without_a_sprint_the_first_round_opening_is_the_start(db_session, world):
    setup = make_round(db_session, world.academy, world.manager)

    starts = overview.release_starts(db_session, world.academy)

    opened = setup.round.opened_at or setup.round.opens_at
    assert opened is not None
    assert starts[setup.round.release_id] == opened.date()
