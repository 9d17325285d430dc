"""Submissions racing each other on a real, committed database (not the rolled-back test
transaction): two threads submitting the same response at once, and 50 testers submitting at
the same moment to a multi-process gunicorn server (SQLite file, or a scratch PostgreSQL
database when TRACKER_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench.round_burst import check_round, figures, run_burst, seed_round, served_round
from tests.conftest import SECRET, committed_database, make_test_app
from tracker import migrate
from tracker.db import db, utcnow
from tracker.feedback.answers import save_response
from tracker.feedback.models import Answer, Response, RoundInvitation


@pytest.fixture(scope="module")
def real_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on its own migrated database, where every session commits for real."""
    workdir = tmp_path_factory.mktemp("race")
    with committed_database(workdir, "race") as url:
        app = make_test_app(url, workdir)
        try:
            with app.app_context():
                migrate.upgrade(db.engine)
            yield app
        finally:
            app.extensions["database"].engine.dispose()


def test_two_threads_submitting_the_same_response_at_once_store_one(real_app: Flask) -> None:
    # Arrange: a round and 8 testers, committed
    with real_app.app_context():
        facts = seed_round(db.session, testers=8, secret_key=SECRET)
        db.session.commit()
        invitation_ids = list(
            db.session.scalars(
                select(RoundInvitation.id).where(RoundInvitation.round_id == facts.round_id)
            )
        )
    values: dict[str, list[str]] = {}
    for name, value in facts.form:
        values.setdefault(name, []).append(value)
    failures: list[BaseException] = []

    def submit(invitation_id: int, barrier: threading.Barrier) -> None:
        with real_app.app_context():
            session = db.session
            try:
                invitation = session.get(RoundInvitation, invitation_id)
                assert invitation is not None
                invitation.round  # noqa: B018 (loaded before the race, as a view would)
                # End the read transaction: on SQLite it holds the write lock (BEGIN IMMEDIATE),
                # and the other thread could not reach the barrier.
                session.commit()
                barrier.wait()
                save_response(
                    session, invitation, values, submit=True, secret_key=SECRET, now=utcnow()
                )
                session.commit()
            except BaseException as error:
                session.rollback()
                failures.append(error)

    # Act: for each tester, two threads submit at the same moment
    for invitation_id in invitation_ids:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=submit, args=(invitation_id, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    # Assert: one response per tester, each with one set of answers, nothing failed
    assert not failures, failures
    with real_app.app_context():
        stored = check_round(db.session, facts)
        per_response = db.session.execute(
            select(Answer.response_id, func.count(Answer.id))
            .join(Response, Response.id == Answer.response_id)
            .where(Response.round_id == facts.round_id)
            .group_by(Answer.response_id)
        ).all()
    assert stored == {"responses": 8, "submitted": 8, "answers": 8 * len(facts.form),
                      "completed": 8}  # fmt: skip
    assert {count for _response, count in per_response} == {facts.answers_per_response}


@pytest.mark.slow
def test_fifty_testers_submitting_at_once_to_gunicorn_are_each_stored_once(
    tmp_path: Path,
) -> None:
    """Every tester submits twice at the same moment (a double click): 100 requests at once,
    2 gunicorn workers x 4 threads; 50 responses, no error."""
    with (
        committed_database(tmp_path, "burst") as url,
        served_round(url, tmp_path, testers=50, workers=2, threads=4) as (base_url, facts, check),
    ):
        outcome = run_burst(base_url, facts, double_click=True)
        stored = check()

    print(figures(outcome))
    assert outcome.errors == []
    assert outcome.statuses == [303] * 100
    assert stored == {
        "responses": 50,
        "submitted": 50,
        "answers": 50 * facts.answers_per_response,
        "completed": 50,
    }
