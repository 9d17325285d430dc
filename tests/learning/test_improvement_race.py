"""Two people proposing the same improvement brick at the same moment, on a real, committed
database (SQLite file, or a scratch PostgreSQL database when TRACKER_TEST_DATABASE_URL is set):
one brick is created, the other request is led to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import committed_database, make_test_app
from tests.factories import make_brick, make_release, make_world
from tests.learning.test_improvements import NOW, learners_of
from tests.learning.test_outcomes import add_facts
from tracker import migrate
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.db import db
from tracker.learning import improvements, outcomes, services


@pytest.fixture(scope="module")
def real_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    workdir = tmp_path_factory.mktemp("improvement-race")
    with committed_database(workdir, "improve") as url:
        app = make_test_app(url, workdir)
        try:
            with app.app_context():
                migrate.upgrade(db.engine)
            yield app
        finally:
            app.extensions["database"].engine.dispose()


def test_two_requests_at_once_make_one_improvement_brick(real_app: Flask) -> None:
    with real_app.app_context():
        world = make_world(db.session)
        release = make_release(db.session, world.academy)
        source = make_brick(db.session, world, "Phishing", release_id=release.id)
        add_facts(db.session, source, learners_of(40, 14))
        services.set_thresholds(db.session, world.academy, now=NOW, min_completion_rate=60)
        db.session.commit()
        ids = (world.academy.id, source.id, world.manager.id, world.designer.id)
    academy_id, source_id, *actor_ids = ids
    made: list[tuple[int, bool]] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def propose(actor_id: int) -> None:
        with real_app.app_context():
            session = db.session
            try:
                academy = session.get(Academy, academy_id)
                brick = session.get(Brick, source_id)
                actor = session.get(User, actor_id)
                assert academy is not None and brick is not None
                settings = services.read_settings(session, academy)
                found = improvements.brick_shortfalls(
                    session, settings, [brick], outcomes.brick_outcomes(session, [brick]), {}
                )[brick.id].shortfalls
                # End the read transaction (on SQLite it holds the write lock), then race.
                session.commit()
                barrier.wait()
                improvement, created = improvements.propose_improvement(
                    session, academy, brick, found, actor=actor, brick_url="b",
                    release_url="r", now=NOW,
                )  # fmt: skip
                session.commit()
                made.append((improvement.id, created))
            except BaseException as error:
                session.rollback()
                failures.append(error)

    threads = [threading.Thread(target=propose, args=(actor_id,)) for actor_id in actor_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sorted(created for _id, created in made) == [False, True]
    assert len({improvement_id for improvement_id, _created in made}) == 1
    with real_app.app_context():
        stored = db.session.scalars(select(Brick.id).where(Brick.improves_id == source_id)).all()
        assert stored == [made[0][0]]
