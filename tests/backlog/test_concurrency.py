"""Bricks under concurrency, on a real committed database (SQLite file or PostgreSQL).

The rolled-back `db_session` of the other tests cannot be shared between threads, so these
tests build their own database: a temporary SQLite file, or a scratch PostgreSQL database when
TRACKER_TEST_DATABASE_URL is set, migrated from scratch, with one Session per thread.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_academy, make_user
from tracker.backlog import services
from tracker.backlog.models import Brick
from tracker.db import utcnow
from tracker.errors import Conflict

THREADS = 10
BRICKS_PER_THREAD = 5


@pytest.fixture
def academy_id(app, sessions: sessionmaker[Session]) -> tuple[int, int]:
    with app.app_context(), sessions() as session:
        manager = make_user(session)
        academy = make_academy(session, actor=manager)
        session.commit()
        return academy.id, manager.id


def _create_bricks(app, sessions, academy_id, user_id, barrier, numbers, errors) -> None:
    from tracker.academies.models import Academy
    from tracker.auth.models import User

    try:
        with app.app_context():
            barrier.wait(timeout=30)
            for i in range(BRICKS_PER_THREAD):
                with sessions() as session:
                    academy = session.get(Academy, academy_id)
                    actor = session.get(User, user_id)
                    brick = services.create_brick(
                        session,
                        academy,
                        actor=actor,
                        title=f"Brick {i}",
                        format="video",
                        now=utcnow(),
                    )
                    session.commit()
                    numbers.append(brick.number)
    except Exception as error:  # reported by the test, not lost in the thread
        errors.append(error)


def test_concurrent_creations_get_distinct_keys(app, sessions, academy_id):
    academy, manager = academy_id
    barrier = threading.Barrier(THREADS)
    numbers: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(
            target=_create_bricks,
            args=(app, sessions, academy, manager, barrier, numbers, errors),
        )
        for _ in range(THREADS)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    total = THREADS * BRICKS_PER_THREAD
    assert sorted(numbers) == list(range(1, total + 1))
    with sessions() as session:
        ranks = session.scalars(select(Brick.rank).where(Brick.academy_id == academy)).all()
        assert len(ranks) == len(set(ranks)) == total


def test_a_save_based_on_a_stale_version_is_refused_at_flush(app, sessions, academy_id):
    from tracker.academies.models import Academy
    from tracker.auth.models import User

    academy, manager = academy_id
    with app.app_context():
        with sessions() as setup:
            brick = services.create_brick(
                setup, setup.get(Academy, academy), actor=setup.get(User, manager),
                title="Shared", format="mooc", summary="Old", now=utcnow(),
            )  # fmt: skip
            setup.commit()
            brick_id = brick.id
        with sessions() as a, sessions() as b:
            # Both read version 1 and end their read transactions (outside a request, SQLite
            # transactions begin IMMEDIATE: an open one would make the other wait).
            mine = a.get(Brick, brick_id)
            a.commit()
            theirs = b.get(Brick, brick_id)
            b.commit()
            services.update_brick(
                a,
                mine,
                actor=a.get(User, manager),
                expected_version=1,
                title="A's title",
                now=utcnow(),
            )
            a.commit()

            # B's copy still says version 1, so the check in Python passes; the UPDATE ...
            # WHERE version = 1 matches no row and the flush refuses.
            assert theirs.version == 1
            with pytest.raises(Conflict):
                services.update_brick(
                    b,
                    theirs,
                    actor=b.get(User, manager),
                    expected_version=1,
                    summary="B's",
                    now=utcnow(),
                )
            b.rollback()

        with sessions() as check:
            saved = check.get(Brick, brick_id)
            assert (saved.title, saved.summary, saved.version) == ("A's title", "Old", 2)
