"""Reading statements from a real LRS (Ralph on loopback): mapping, pseudonyms, idempotence,
resuming, errors; the pull button, the command and the worker's step."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from tests.factories import SECRET as APP_SECRET
from tests.factories import make_brick
from tests.learning.conftest import EXTENSION, KEY
from tests.learning.lrs import Lrs, statement
from tracker.db import utcnow
from tracker.learning import services, xapi
from tracker.learning.models import FactVerb, LearnerFact, LearningSettings, LrsAuth
from tracker.webhooks.sealing import SecretUnreadable


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def connect(db_session, world, lrs: Lrs, *, password: str | None = None) -> None:
    services.update_lrs(
        db_session, world.academy, endpoint=lrs.endpoint, auth=LrsAuth.BASIC,
        username=lrs.username, secret=password or lrs.password,
        business_unit_extension=EXTENSION, now=utcnow(), allow_private=True,
        app_secret_key=APP_SECRET,
    )  # fmt: skip


def linked_brick(db_session, world, title: str = "Cyber") -> tuple[int, str]:
    brick = make_brick(db_session, world, title, learner_minutes=30)
    iri = f"https://lms.test/course/{uuid.uuid4()}"
    services.set_brick_identifiers(db_session, brick, course_id=f"C-{brick.id}", iris=[iri])
    return brick.id, iri


def facts(db_session, world) -> list[LearnerFact]:
    return list(
        db_session.scalars(select(LearnerFact).where(LearnerFact.academy_id == world.academy.id))
    )


# -- The mapping, on its own ------------------------------------------------------------------


def test_the_verbs_that_count_and_what_is_kept():
    iri = "https://lms.test/course/1"
    bricks = {iri: 7}
    at = "2026-11-02T10:00:00Z"
    passed = statement("u1", "passed", iri, at=at, score=0.75, duration="PT1H2M3S",
                       business_unit="Sales", extension=EXTENSION)  # fmt: skip
    mapped = xapi.map_statement(passed, bricks, EXTENSION)
    assert mapped is not None
    assert (mapped.brick_id, mapped.verb, mapped.completed) == (7, FactVerb.PASSED, True)
    assert (mapped.score, mapped.seconds, mapped.business_unit) == (0.75, 3723, "Sales")
    for verb, completed in [("launched", False), ("experienced", False), ("completed", True),
                            ("failed", False), ("scored", False)]:  # fmt: skip
        found = xapi.map_statement(statement("u1", verb, iri, at=at), bricks, EXTENSION)
        assert found is not None and found.verb == FactVerb(verb) and found.completed is completed
    # Other verbs, other activities, no learner: not counted.
    assert xapi.map_statement(statement("u1", "answered", iri, at=at), bricks, EXTENSION) is None
    assert (
        xapi.map_statement(statement("u1", "completed", "https://x/2", at=at), bricks, "") is None
    )
    anonymous = statement("u1", "completed", iri, at=at)
    anonymous["actor"] = {"objectType": "Group", "member": []}
    assert xapi.map_statement(anonymous, bricks, EXTENSION) is None
    # A sub-activity counts for the brick of its parent; raw scores are scaled.
    part = statement("u1", "scored", "https://lms.test/course/1/quiz", at=at)
    part["context"] = {"contextActivities": {"parent": [{"id": iri}]}}
    part["result"] = {"score": {"raw": 15, "min": 0, "max": 20}}
    found = xapi.map_statement(part, bricks, EXTENSION)
    assert found is not None and found.brick_id == 7 and found.score == 0.75


def test_durations():
    assert xapi.parse_duration("PT25M") == 1500
    assert xapi.parse_duration("P1DT1S") == 86401
    assert xapi.parse_duration("PT1.5S") == 1
    assert xapi.parse_duration("25 minutes") is None
    assert xapi.parse_duration("PT") is None


# -- Against the real LRS ---------------------------------------------------------------------


def test_pull_300_learners_twice_stores_each_statement_once(db_session, world, lrs: Lrs):
    _brick_id, iri = linked_brick(db_session, world)
    connect(db_session, world, lrs)
    start = utcnow()
    sent = []
    for n in range(300):
        at = iso(start + dt.timedelta(milliseconds=n))
        learner = f"learner-{n}"
        sent.append(statement(learner, "launched", iri, at=at, business_unit=f"BU{n % 3}",
                              extension=EXTENSION))  # fmt: skip
        if n % 2 == 0:
            sent.append(statement(learner, "passed", iri, at=at, score=0.5 + (n % 5) / 10,
                                  duration="PT20M", business_unit=f"BU{n % 3}",
                                  extension=EXTENSION))  # fmt: skip
    sent.append(statement("learner-1", "answered", iri, at=iso(start)))  # not counted
    lrs.post(sent)

    first = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert not first.errors
    assert first.pages >= 5  # 451 statements, 100 a page: `more` was followed
    assert (first.read, first.stored, first.skipped) == (451, 450, 1)
    stored = facts(db_session, world)
    assert len({f.learner_key for f in stored}) == 300
    assert sum(1 for f in stored if f.completed) == 150
    assert all(len(f.learner_key) == 64 and "learner" not in f.learner_key for f in stored)
    assert services.learner_key(KEY, "learner-0") in {f.learner_key for f in stored}

    second = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert (second.stored, second.errors) == (0, [])
    # Even reading everything again from the start adds nothing (idempotent on the id).
    services.get_settings(db_session, world.academy).cursor_stored = ""
    again = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert again.stored == 0 and again.known >= 450
    assert len(facts(db_session, world)) == 450


def test_a_pull_goes_on_from_where_it_stopped(db_session, world, lrs: Lrs):
    _brick_id, iri = linked_brick(db_session, world)
    connect(db_session, world, lrs)
    start = utcnow()
    lrs.post([statement(f"a{n}", "completed", iri, at=iso(start)) for n in range(10)])
    assert (
        services.pull_statements(
            db_session,
            world.academy,
            key=KEY,
            now=utcnow(),
            allow_private=True,
            app_secret_key=APP_SECRET,
        ).stored
        == 10
    )
    settings = services.get_settings(db_session, world.academy)
    assert settings.cursor_stored and not settings.pending_more

    later = utcnow() + dt.timedelta(seconds=1)
    lrs.post([statement(f"b{n}", "completed", iri, at=iso(later)) for n in range(250)])

    class Cut(Exception):
        pass

    pages = []

    def cut_after_first_page() -> None:
        pages.append(1)
        if len(pages) == 1:
            db_session.flush()
            raise Cut

    with pytest.raises(Cut):
        services.pull_statements(
            db_session,
            world.academy,
            key=KEY,
            now=utcnow(),
            checkpoint=cut_after_first_page,
            allow_private=True,
            app_secret_key=APP_SECRET,
        )
    assert settings.pending_more  # where to go on from
    report = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert report.read < 250  # not from the start again
    assert len(facts(db_session, world)) == 260
    assert not settings.pending_more


def test_voided_statements_remove_their_fact(db_session, world, lrs: Lrs):
    _brick_id, iri = linked_brick(db_session, world)
    connect(db_session, world, lrs)
    first = statement("v1", "completed", iri, at=iso(utcnow()))
    lrs.post([first])
    services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert len(facts(db_session, world)) == 1
    voiding = statement("admin", "voided", iri, at=iso(utcnow() + dt.timedelta(seconds=1)))
    voiding["object"] = {"objectType": "StatementRef", "id": first["id"]}
    lrs.post([voiding])
    report = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert report.voided == 1 and facts(db_session, world) == []


def test_wrong_credentials_are_reported_and_store_nothing(db_session, world, lrs: Lrs):
    _brick_id, iri = linked_brick(db_session, world)
    connect(db_session, world, lrs, password="not-the-password")
    lrs.post([statement("w1", "completed", iri, at=iso(utcnow()))])
    report = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert report.errors and "401" in report.errors[0]
    assert services.get_settings(db_session, world.academy).last_pull_error
    assert facts(db_session, world) == []


def test_no_key_no_learning_data(db_session, world, lrs: Lrs):
    connect(db_session, world, lrs)
    with pytest.raises(services.MissingKey):
        services.pull_statements(
            db_session,
            world.academy,
            key="",
            now=utcnow(),
            allow_private=True,
            app_secret_key=APP_SECRET,
        )


def test_an_unreachable_lrs_is_an_error_not_a_crash(db_session, world):
    services.update_lrs(
        db_session, world.academy, endpoint="http://127.0.0.1:9/xAPI/", auth=LrsAuth.TOKEN,
        username="", secret="tok", business_unit_extension="", now=utcnow(), allow_private=True,
        app_secret_key=APP_SECRET,
    )  # fmt: skip
    report = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        timeout=2,
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert report.errors and report.stored == 0


# -- Pages, command, worker ---------------------------------------------------------------------


def test_the_settings_never_show_the_secret(client, db_session, world, login, lrs: Lrs):
    login(world.manager)
    url = f"/a/{world.academy.slug}/learning/"
    response = client.post(url, data={"endpoint": lrs.endpoint, "auth": "basic",
                                      "username": "lms", "secret": "s3cret-value",
                                      "clear_secret": "keep",
                                      "business_unit_extension": EXTENSION})  # fmt: skip
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "s3cret-value" not in page and lrs.endpoint in page
    # Saved again without a secret: the one saved is kept.
    client.post(url, data={"endpoint": lrs.endpoint, "auth": "basic", "username": "lms",
                           "secret": "", "clear_secret": "keep"})  # fmt: skip
    stored = db_session.scalar(
        select(LearningSettings.lrs_secret).where(LearningSettings.academy_id == world.academy.id)
    )
    assert stored and "s3cret-value" not in stored  # sealed at rest, not in clear
    assert services.unseal_secret(stored, APP_SECRET) == "s3cret-value"  # kept
    with pytest.raises(SecretUnreadable):  # the database alone cannot give it back
        services.unseal_secret(stored, "another-app-secret-key")
    bad = client.post(url, data={"endpoint": "ftp://x", "auth": "basic", "clear_secret": "keep"})
    assert bad.status_code == 422 and "https://" in bad.get_data(as_text=True)


def test_the_pull_button(client, db_session, world, login, lrs: Lrs, learner_key):
    _brick_id, iri = linked_brick(db_session, world)
    connect(db_session, world, lrs)
    lrs.post([statement(f"p{n}", "completed", iri, at=iso(utcnow())) for n in range(3)])
    login(world.manager)
    response = client.post(f"/a/{world.academy.slug}/learning/pull", follow_redirects=True)
    assert response.status_code == 200
    assert len(facts(db_session, world)) == 3


def test_the_brick_link_form(client, db_session, world, login):
    brick = make_brick(db_session, world, "Phishing")
    other = make_brick(db_session, world, "Passwords")
    services.set_brick_identifiers(db_session, other, course_id="C-9", iris=[])
    login(world.designer)
    url = f"/a/{world.academy.slug}/bricks/{brick.number}/learning"
    iris = "https://lms.test/a\nhttps://lms.test/b\n\nhttps://lms.test/a"
    response = client.post(url, data={"course_id": "C-1", "activity_iris": iris})
    assert response.status_code == 303
    found = services.brick_identifiers(db_session, brick)
    assert (found.course_id, found.iris) == ("C-1", ["https://lms.test/a", "https://lms.test/b"])
    taken = client.post(url, data={"course_id": "C-9", "activity_iris": ""})
    assert taken.status_code == 422 and other.key in taken.get_data(as_text=True)
    not_iri = client.post(url, data={"course_id": "", "activity_iris": "just words"})
    assert not_iri.status_code == 422


def test_the_command_and_the_worker_step(app, db_session, world, lrs: Lrs, learner_key):
    from tracker.commands import run_pull_learning

    _brick_id, iri = linked_brick(db_session, world)
    connect(db_session, world, lrs)
    lrs.post([statement(f"c{n}", "completed", iri, at=iso(utcnow())) for n in range(4)])
    result = app.test_cli_runner().invoke(args=["pull-learning", "--academy", world.academy.slug])
    assert result.exit_code == 0, result.output
    assert f"{world.academy.slug}: " in result.output and "4 new" in result.output
    # The worker's step reads only the academies not read for LEARNING_PULL_MINUTES.
    assert run_pull_learning(due_only=True) == []
    count = db_session.scalar(select(func.count()).select_from(LearnerFact))
    assert count is not None and count >= 4


def test_a_secret_stored_in_clear_before_still_pulls_and_is_sealed(db_session, world, lrs: Lrs):
    """Secrets stored before sealing existed (the migration cannot seal them: the app's secret
    key is not in the database) still open the LRS, and the pull seals them in place."""
    _brick, iri = linked_brick(db_session, world)
    lrs.post([statement("u1", "completed", iri, at=iso(dt.datetime(2026, 3, 2, tzinfo=dt.UTC)))])
    connect(db_session, world, lrs)
    settings = services.get_settings(db_session, world.academy)
    settings.lrs_secret = lrs.password  # as stored before
    db_session.flush()
    report = services.pull_statements(
        db_session, world.academy, key=KEY, now=utcnow(), allow_private=True,
        app_secret_key=APP_SECRET,
    )  # fmt: skip
    assert report.errors == [] and report.stored == 1
    assert lrs.password not in settings.lrs_secret
    assert services.unseal_secret(settings.lrs_secret, APP_SECRET) == lrs.password
    refused = services.pull_statements(
        db_session, world.academy, key=KEY, now=utcnow(), allow_private=True,
        app_secret_key="a-new-key-without-fallback",
    )  # fmt: skip
    assert refused.errors and "saisissez-le de nouveau" in refused.errors[0]


def test_read_now_reads_a_bounded_number_of_pages_and_the_worker_the_rest(
    app, client, db_session, world, login, lrs: Lrs, learner_key, monkeypatch
):
    from tracker.commands import run_pull_learning

    _brick_id, iri = linked_brick(db_session, world)
    connect(db_session, world, lrs)
    lrs.post([statement(f"b{n}", "completed", iri, at=iso(utcnow())) for n in range(250)])
    db_session.commit()
    monkeypatch.setitem(app.config, "LRS_PULL_PAGES_NOW", 1)
    login(world.manager)
    response = client.post(f"/a/{world.academy.slug}/learning/pull", follow_redirects=True)
    assert "the worker reads the rest in the background" in response.get_data(as_text=True)
    settings = services.get_settings(db_session, world.academy)
    db_session.refresh(settings)
    assert settings.pending_more  # where the worker goes on from
    assert len(facts(db_session, world)) < 250  # one page of 100 at most
    # The worker goes on at its next pass, before LEARNING_PULL_MINUTES has passed.
    assert services.due_academy_ids(db_session, now=utcnow(), every_minutes=60) == [
        world.academy.id
    ]
    lines = run_pull_learning(due_only=True)
    assert len(lines) == 1 and world.academy.slug in lines[0]
    assert len(facts(db_session, world)) == 250
    db_session.refresh(settings)
    assert settings.pending_more == ""
    assert run_pull_learning(due_only=True) == []
