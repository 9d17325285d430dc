"""Starting sprints at the same moment, on a real committed database (SQLite file or PostgreSQL):
exactly one becomes active, the others are refused with a Conflict, none crashes.

Decision: a partial unique index (one row per academy WHERE state = 'active') rather than a
lock on the academy row. The index holds whatever code path writes the state; a second start
waits for the first transaction and then fails on the index (PostgreSQL), or finds the first
one active (SQLite serializes writers). The service turns both into a Conflict.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from tests.factories import make_academy, make_user
from tracker.db import utcnow
from tracker.errors import Conflict
from tracker.sprints import services
from tracker.sprints.models import Sprint, SprintState

THREADS = 8


def _academy_with_sprints(app, sessions) -> tuple[int, int, list[int]]:
    with app.app_context(), sessions() as session:
        manager = make_user(session)
        academy = make_academy(session, actor=manager)
        ids = [
            services.create_sprint(
                session, academy, name=f"Sprint {n}", start_date=dt.date(2026, 3, 2),
                end_date=dt.date(2026, 3, 13),
            ).id
            for n in range(THREADS)
        ]  # fmt: skip
        session.commit()
        return academy.id, manager.id, ids


def _start(app, sessions, sprint_id, user_id, barrier, outcomes) -> None:
    from tracker.auth.models import User

    try:
        with app.app_context(), sessions() as session:
            barrier.wait(timeout=30)
            sprint = session.get(Sprint, sprint_id)
            services.start_sprint(session, sprint, actor=session.get(User, user_id), now=utcnow())
            session.commit()
            outcomes.append("started")
    except Conflict:
        outcomes.append("conflict")
    except Exception as error:  # reported by the test, not lost in the thread
        outcomes.append(repr(error))


@pytest.mark.parametrize("skip_the_check", [False, True], ids=["service", "index-only"])
def test_concurrent_starts_leave_exactly_one_active_sprint(
    app, sessions, monkeypatch, skip_the_check
):
    academy_id, manager_id, sprint_ids = _academy_with_sprints(app, sessions)
    if skip_the_check:  # every start believes no sprint is active: only the index decides
        monkeypatch.setattr(services, "active_sprint", lambda *args: None)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    threads = [
        threading.Thread(
            target=_start, args=(app, sessions, sprint_id, manager_id, barrier, outcomes)
        )
        for sprint_id in sprint_ids
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["started"]
    with sessions() as session:
        states = session.scalars(select(Sprint.state).where(Sprint.academy_id == academy_id))
        assert sorted(states) == sorted(
            [SprintState.ACTIVE] + [SprintState.PLANNED] * (THREADS - 1)
        )
