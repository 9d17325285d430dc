"""Evaluations opened by the worker after a release: J+0 at the release, J+30 and J+90 later,
each once per release and kind (also by hand), e-mailed and reminded once in named mode, the
managers told in the default mode; the release page shows each kind's state."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.factories import csv_bytes, make_release
from tests.factories.backlog import add_bricks
from tracker.learning import evaluations, lms_import, services
from tracker.learning.evaluations import ScheduleState, open_due_evaluations, send_due_reminders
from tracker.learning.models import Evaluation, EvaluationKind
from tracker.mail.models import MailMessage
from tracker.releases.models import ReleaseState
from tracker.workspace.models import Notification, NotificationKind

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BASE = "https://brique.test"
DAY = dt.timedelta(days=1)


def released(db_session, world, at=T0):
    release = make_release(db_session, world.academy)
    release.state = ReleaseState.RELEASED
    release.released_at = at
    db_session.flush()
    return release


def opened_kinds(db_session, **when):
    return [o.evaluation.kind for o in open_due_evaluations(db_session, base_url=BASE, **when)]


def evaluation_mail(db_session):
    return db_session.scalars(
        select(MailMessage).where(MailMessage.link_kind == evaluations.LINK_KIND)
    ).all()


def completers(db_session, world, release, count=6):
    """Named mode, and `count` learners who completed the release's brick (3 more enrolled)."""
    services.set_named_mode(db_session, world.academy, named=True, retention_days=90, now=T0)
    brick = add_bricks(db_session, world.academy, release, 1)[0]
    services.set_brick_identifiers(db_session, brick, course_id="SCHED-1", iris=[])
    rows = [["learner_id", "course_id", "status", "learner_email"]]
    rows += [[f"c{n}", "SCHED-1", "passed" if n < count else "enrolled", f"c{n}@corp.example"]
             for n in range(count + 3)]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key="k", now=T0)


def test_each_kind_opens_at_its_date_and_once(db_session, world):
    release = released(db_session, world)
    make_release(db_session, world.academy)  # planned: never evaluated
    assert opened_kinds(db_session, now=T0 - dt.timedelta(minutes=1)) == []
    assert opened_kinds(db_session, now=T0) == [EvaluationKind.REACTION]
    assert opened_kinds(db_session, now=T0 + dt.timedelta(hours=1)) == []  # a second run
    assert opened_kinds(db_session, now=T0 + 29 * DAY) == []
    assert opened_kinds(db_session, now=T0 + 30 * DAY) == [EvaluationKind.TRANSFER_30]
    assert opened_kinds(db_session, now=T0 + 31 * DAY) == []
    assert opened_kinds(db_session, now=T0 + 90 * DAY + DAY) == [EvaluationKind.TRANSFER_90]
    assert opened_kinds(db_session, now=T0 + 91 * DAY) == []
    made = evaluations.release_evaluations(db_session, release)
    assert [e.kind for e in made] == list(evaluations.SCHEDULE)
    reaction = made[0]
    assert reaction.opens_on == T0.date()
    assert reaction.closes_at == T0 + evaluations.OPEN_DAYS * DAY
    assert len(evaluations.questions_of(db_session, reaction)) == 5


def test_an_evaluation_whose_time_passed_is_not_opened_late(db_session, world):
    release = released(db_session, world)
    late = T0 + 30 * DAY + evaluations.OPEN_DAYS * DAY  # J+0 and J+30 both over
    assert opened_kinds(db_session, now=late) == []
    states = [row.state for row in evaluations.release_schedule(db_session, release, now=late)]
    assert states == [ScheduleState.MISSED, ScheduleState.MISSED, ScheduleState.SCHEDULED]


def test_default_mode_opens_tells_the_managers_and_mails_nobody(client, db_session, world, login):
    release = released(db_session, world)
    [opened] = open_due_evaluations(db_session, now=T0, base_url=BASE)
    assert evaluation_mail(db_session) == []
    told = db_session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.EVALUATION)
    ).all()
    assert [(n.user_id, n.release_id) for n in told] == [(world.manager.id, release.id)]
    assert opened.queued == 1
    # No e-mail either: none is kept in this mode (the managers are reminded: see below).
    assert evaluation_mail(db_session) == []
    login(world.manager)
    page = client.get(f"/a/{world.academy.slug}/notifications").get_data(as_text=True)
    assert "An evaluation opened: share its public link" in page
    assert f"/releases/{release.id}/#evaluations" in page


def test_named_mode_mails_the_completers_and_reminds_them_once(db_session, world):
    release = released(db_session, world)
    completers(db_session, world, release)
    [opened] = open_due_evaluations(db_session, now=T0, base_url=BASE)
    assert opened.queued == 6
    invitations = evaluation_mail(db_session)
    assert sorted(m.to_address for m in invitations) == [f"c{n}@corp.example" for n in range(6)]
    assert all(m.link_ref == opened.evaluation.id for m in invitations)
    assert opened.evaluation.sent_at == T0
    closes = opened.evaluation.closes_at
    remind = closes - evaluations.REMIND_DAYS * DAY
    assert send_due_reminders(db_session, now=remind - dt.timedelta(minutes=1), base_url=BASE) == []
    [reminded] = send_due_reminders(db_session, now=remind, base_url=BASE)
    assert reminded.evaluation.id == opened.evaluation.id and reminded.queued == 6
    assert send_due_reminders(db_session, now=remind + DAY, base_url=BASE) == []  # once
    assert send_due_reminders(db_session, now=closes, base_url=BASE) == []
    messages = evaluation_mail(db_session)
    assert len(messages) == 12
    assert sum(m.subject.startswith(("Reminder", "Rappel")) for m in messages) == 6
    db_session.refresh(opened.evaluation)
    assert opened.evaluation.reminded_at == remind
    # Closed: the public link takes no answer.
    with pytest.raises(evaluations.DomainError):
        evaluations.submit_answers(db_session, opened.evaluation, {}, now=closes)


def test_an_academy_can_turn_automatic_evaluations_off(client, db_session, world, login):
    release = released(db_session, world)
    login(world.manager)
    response = client.post(f"/a/{world.academy.slug}/learning/evaluations", data={})
    assert response.status_code == 303
    assert opened_kinds(db_session, now=T0) == []
    states = [row.state for row in evaluations.release_schedule(db_session, release, now=T0)]
    assert states == [ScheduleState.MANUAL] * 3
    client.post(f"/a/{world.academy.slug}/learning/evaluations", data={"auto": "y"})
    assert opened_kinds(db_session, now=T0) == [EvaluationKind.REACTION]


def test_a_second_evaluation_of_a_kind_is_refused_with_a_message(client, db_session, world, login):
    release = released(db_session, world)
    open_due_evaluations(db_session, now=T0, base_url=BASE)  # the worker opened the reaction
    login(world.manager)
    page = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    assert 'name="closes_on"' in page  # the release page's creation form offers the date
    url = f"/a/{world.academy.slug}/releases/{release.id}/evaluations"
    refused = client.post(url, data={"kind": "reaction"})
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "already has its evaluation" in page and "Reaction at J+0" in page
    assert client.post(url, data={"kind": "transfer_30"}).status_code == 200
    assert client.post(url, data={"kind": "transfer_30"}).status_code == 303
    kinds = db_session.scalars(select(Evaluation.kind).where(Evaluation.release_id == release.id))
    assert sorted(kinds) == [EvaluationKind.REACTION, EvaluationKind.TRANSFER_30]
    # The worker, later, does not make a second transfer either.
    assert opened_kinds(db_session, now=T0 + 30 * DAY) == []


def test_the_database_refuses_two_of_a_kind(db_session, world):
    release = released(db_session, world)
    first, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=T0
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(Evaluation(
            academy_id=world.academy.id, release_id=release.id, kind=EvaluationKind.REACTION,
            link_hash="x" * 64, opens_on=T0.date(), closes_at=T0 + DAY,
        ))  # fmt: skip
        db_session.flush()
    assert db_session.scalars(select(Evaluation)).all() == [first]


def test_the_release_page_shows_each_kinds_schedule(client, db_session, world, login):
    release = released(db_session, world)
    completers(db_session, world, release)
    assert len(open_due_evaluations(db_session, now=T0, base_url=BASE)) == 1
    assert len(send_due_reminders(db_session, now=T0 + 11 * DAY, base_url=BASE)) == 1
    login(world.manager)
    html = client.get(f"/a/{world.academy.slug}/releases/{release.id}/").get_data(as_text=True)
    section = html[html.index('id="evaluation-schedule-title"') :]
    reaction, transfer_30, transfer_90 = section.split("<li>")[1:4]
    # The page reads the clock, past T0 + 104 days: the reaction closed, e-mailed and
    # reminded; the transfers' times passed with no worker running.
    assert "Reaction at J+0" in reaction and "closed on" in reaction
    assert "e-mailed" in reaction and "reminder sent" in reaction
    assert "not opened: its time had passed" in transfer_30
    assert "Transfer at J+90" in transfer_90 and "not opened" in transfer_90


def test_a_manager_makes_a_new_public_link(client, db_session, world, login):
    release = released(db_session, world)
    [opened] = open_due_evaluations(db_session, now=T0, base_url=BASE)
    opened.evaluation.closes_at = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)  # still open
    db_session.flush()
    login(world.manager)
    page = client.post(f"/a/{world.academy.slug}/evaluations/{opened.evaluation.id}/link")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split("/e/", 1)[1].split("<", 1)[0].strip()
    assert evaluations.find_by_link(db_session, token) == opened.evaluation
    assert release.id == opened.evaluation.release_id


def test_the_open_evaluations_command(app, db_session, world, monkeypatch):
    released(db_session, world)
    monkeypatch.setattr("tracker.commands.utcnow", lambda: T0 + dt.timedelta(hours=2))
    result = app.test_cli_runner().invoke(args=["open-evaluations"])
    assert result.exit_code == 0, result.output
    assert "evaluations opened: 1, reminded: 0" in result.output
    again = app.test_cli_runner().invoke(args=["open-evaluations"])
    assert "evaluations opened: 0, reminded: 0" in again.output


def test_a_creation_racing_another_is_refused_and_the_transaction_goes_on(db_session, world):
    """Another creator's row lands between the check and the insert (here: pending, not yet
    flushed when the check reads): the constraint refuses the second in its savepoint, the
    caller gets EvaluationExists and its transaction stays usable."""
    release = released(db_session, world)
    with db_session.no_autoflush:
        db_session.add(Evaluation(
            academy_id=world.academy.id, release_id=release.id, kind=EvaluationKind.REACTION,
            link_hash="y" * 64, opens_on=T0.date(), closes_at=T0 + DAY,
        ))  # fmt: skip
        with pytest.raises(evaluations.EvaluationExists):
            evaluations.create_evaluation(
                db_session, world.academy, release, EvaluationKind.REACTION, now=T0
            )
    # The other creator's row stays (as it would, committed), and it is the only one.
    assert db_session.scalars(select(Evaluation.link_hash)).all() == ["y" * 64]
    assert opened_kinds(db_session, now=T0) == []


def test_pseudonymous_mode_asks_the_managers_to_share_the_link_again(
    client, db_session, world, login
):
    release = released(db_session, world)
    [opened] = open_due_evaluations(db_session, now=T0, base_url=BASE)
    remind = evaluations.remind_at(opened.evaluation)
    assert send_due_reminders(db_session, now=remind - dt.timedelta(minutes=1), base_url=BASE) == []
    [reminded] = send_due_reminders(db_session, now=remind, base_url=BASE)
    assert reminded.evaluation.id == opened.evaluation.id and reminded.queued == 1
    assert send_due_reminders(db_session, now=remind + DAY, base_url=BASE) == []  # once
    assert evaluation_mail(db_session) == []  # no e-mail kept, none sent
    told = db_session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.EVALUATION_CLOSING)
    ).all()
    assert [(n.user_id, n.release_id) for n in told] == [(world.manager.id, release.id)]
    db_session.commit()
    login(world.manager)
    page = client.get(f"/a/{world.academy.slug}/notifications").get_data(as_text=True)
    assert "An evaluation closes soon: share its link again" in page
    assert f"/releases/{release.id}/#evaluations" in page


def test_a_manager_sets_extends_and_ends_the_answering_time(
    client, db_session, world, login, monkeypatch
):
    monkeypatch.setattr("tracker.learning.views.utcnow", lambda: T0)
    today = T0.date()
    release = make_release(db_session, world.academy)
    db_session.commit()
    login(world.manager)
    url = f"/a/{world.academy.slug}/releases/{release.id}/evaluations"
    for refused in (today, today + 121 * DAY, "2026-02-31"):
        response = client.post(url, data={"kind": "reaction", "closes_on": str(refused)},
                               follow_redirects=True)  # fmt: skip
        assert "Closing date: " in response.get_data(as_text=True)
    assert db_session.scalars(select(Evaluation)).all() == []
    made = client.post(url, data={"kind": "reaction", "closes_on": str(today + 30 * DAY)})
    assert made.status_code == 200
    token = made.get_data(as_text=True).split("/e/", 1)[1].split("<", 1)[0].split('"', 1)[0]
    evaluation = db_session.scalars(select(Evaluation)).one()
    assert evaluations.closing_day(evaluation) == today + 30 * DAY
    assert evaluation.closes_at == dt.datetime(2026, 4, 2, tzinfo=dt.UTC)  # that day's end

    closing = f"/a/{world.academy.slug}/evaluations/{evaluation.id}/closing"
    page = client.get(f"/a/{world.academy.slug}/evaluations/{evaluation.id}")
    assert closing in page.get_data(as_text=True)
    too_far = client.post(closing, data={"closes_on": str(today + 200 * DAY)},
                          follow_redirects=True)  # fmt: skip
    assert "120" in too_far.get_data(as_text=True)
    assert client.post(closing, data={"closes_on": str(today + 90 * DAY)}).status_code == 303
    db_session.refresh(evaluation)
    assert evaluations.closing_day(evaluation) == today + 90 * DAY
    assert 'name="q' in client.get(f"/e/{token}").get_data(as_text=True)
    assert client.post(closing, data={"close": "1"}).status_code == 303
    db_session.refresh(evaluation)
    assert evaluation.closes_at == T0
    closed = client.get(f"/e/{token}")
    assert "This evaluation is closed" in closed.get_data(as_text=True)
