"""Brick services: keys, history, optimistic locking."""

from __future__ import annotations

import pytest

from tracker.backlog import services
from tracker.backlog.models import Activity, ActivityKind, BrickFormat
from tracker.db import utcnow
from tracker.errors import Conflict


def test_bricks_get_consecutive_keys_and_a_created_event(db_session, world):
    first = services.create_brick(
        db_session,
        world.academy,
        actor=world.manager,
        title="Cyber 101",
        format="mooc",
        now=utcnow(),
    )
    second = services.create_brick(
        db_session,
        world.academy,
        actor=world.manager,
        title="Phishing",
        format=BrickFormat.VIDEO,
        now=utcnow(),
    )

    assert (first.number, second.number) == (1, 2)
    assert second.key == f"{world.academy.key_prefix}-2"
    assert second.rank > first.rank
    events = db_session.query(Activity).filter_by(brick_id=first.id).all()
    assert [e.kind for e in events] == [ActivityKind.CREATED]
    assert events[0].changes["title"] == [None, "Cyber 101"]


def test_a_stale_version_is_refused_and_nothing_changes(db_session, world):
    brick = services.create_brick(
        db_session,
        world.academy,
        actor=world.manager,
        title="Data 101",
        format="mooc",
        now=utcnow(),
    )
    seen = brick.version
    services.update_brick(
        db_session,
        brick,
        actor=world.designer,
        expected_version=seen,
        title="Data basics",
        now=utcnow(),
    )

    with pytest.raises(Conflict):
        services.update_brick(
            db_session,
            brick,
            actor=world.manager,
            expected_version=seen,
            title="Overwrite",
            now=utcnow(),
        )
    assert brick.title == "Data basics"
