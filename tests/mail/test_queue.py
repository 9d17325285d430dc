"""A mail queue that never jams: each message is sent, retried or failed on its own; header
values are cleaned where written and names with control characters refused where typed; a
message left in "sending" returns to the queue after the lease; one that keeps failing is
marked failed, shown with its error, and queued again by the site admin."""

from __future__ import annotations

import datetime as dt
import smtplib

from sqlalchemy import select, update

from tests.conftest import csrf_token_in
from tests.mail.test_sending import smtp_at
from tracker.academies.models import Role
from tracker.academies.services import invite_member
from tracker.db import utcnow
from tracker.mail import services
from tracker.mail.models import MailMessage, MailStatus

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _message(db_session, to="ok@example.com", subject="Hello", **values):
    message = MailMessage(
        to_address=to, subject=subject, body_text="Body", category="test", **values
    )
    db_session.add(message)
    db_session.flush()
    return message


def _invite(db_session, world, email):
    return invite_member(
        db_session, world.academy, email=email, role=Role.TESTER, actor=world.manager,
        base_url="http://brique.test", now=utcnow(),
    )  # fmt: skip


def test_a_bad_academy_name_jams_nothing(db_session, world, smtp_server):
    """The issue's reproduction: the name `Acad\\rX` (written before names were checked),
    one invitation, the name put back, three more, then the sender."""
    inbox, port = smtp_server
    world.academy.name = "Acad\rX"
    _invite(db_session, world, "jam.first@example.com")
    world.academy.name = "Acad"
    for n in (2, 3, 4):
        _invite(db_session, world, f"jam.person{n}@example.com")
    # And a row written by an older version, its subject never cleaned.
    legacy = _message(db_session, subject="Acad\rX invites you")
    db_session.commit()

    report = services.send_queued_mail(db_session, smtp_at(port), clock=utcnow)

    assert (report.sent, report.failed, report.retried) == (4, 1, 0)
    subjects = sorted(str(m["Subject"]) for m in inbox.messages)
    assert any("Acad X" in subject for subject in subjects)  # cleaned when queued
    db_session.refresh(legacy)
    assert legacy.status == MailStatus.FAILED and "Cannot be built" in legacy.last_error
    statuses = db_session.scalars(select(MailMessage.status)).all()
    assert MailStatus.SENDING not in statuses


def test_header_values_are_cleaned_where_they_are_written():
    assert services.header_value("Acad\rX\n invites\tyou\x00\u2028now") == "Acad X invites you now"
    assert services.header_value("Notes\u202f: Acad") == "Notes\u202f: Acad"  # French spacing kept
    assert services.has_control_characters("Acad\rX")
    assert not services.has_control_characters("Académie de l'Épargne - 2026")


def test_names_with_control_characters_are_refused_where_they_are_typed(
    client, db_session, world, login
):
    login(world.manager)
    settings = f"/a/{world.academy.slug}/settings"
    page = client.get(settings).get_data(as_text=True)

    refused = client.post(
        settings,
        data={"csrf_token": csrf_token_in(page), "name": "Acad\rX", "default_locale": "fr",
              "sprint_length_days": "14"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    profile = client.post(
        "/account", data={"display_name": "Léa\nBcc: x", "locale": "fr"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip

    release = client.post(
        f"/a/{world.academy.slug}/releases/new", data={"name": "Incrément\r\n1"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip

    assert refused.status_code == 422
    assert "control characters are not allowed" in refused.get_data(as_text=True)
    assert release.status_code == 422
    assert profile.status_code == 422
    db_session.refresh(world.academy)
    db_session.refresh(world.manager)
    assert "\r" not in world.academy.name and "\n" not in world.manager.display_name


def test_a_message_left_in_sending_returns_to_the_queue_after_the_lease(
    db_session, world, smtp_server
):
    inbox, port = smtp_server
    stale = _message(
        db_session, to="stale@example.com", status=MailStatus.SENDING, claim_token="x" * 32,
        claimed_at=NOW - services.LEASE - dt.timedelta(seconds=1), attempts=1,
    )  # fmt: skip
    busy = _message(
        db_session, to="busy@example.com", status=MailStatus.SENDING, claim_token="y" * 32,
        claimed_at=NOW - dt.timedelta(minutes=1), attempts=1,
    )  # fmt: skip
    hopeless = _message(
        db_session, to="hopeless@example.com", status=MailStatus.SENDING, claim_token="z" * 32,
        claimed_at=NOW - dt.timedelta(hours=1), attempts=services.MAX_ATTEMPTS,
    )  # fmt: skip
    db_session.commit()

    report = services.send_queued_mail(db_session, smtp_at(port), clock=lambda: NOW)

    assert report.sent == 1
    assert [str(m["To"]) for m in inbox.messages] == ["stale@example.com"]
    for message in (stale, busy, hopeless):
        db_session.refresh(message)
    assert (stale.status, stale.attempts) == (MailStatus.SENT, 2)
    assert busy.status == MailStatus.SENDING  # another sender may still be on it
    assert hopeless.status == MailStatus.FAILED and "never finished" in hopeless.last_error


def test_a_temporary_failure_is_retried_later_then_marked_failed(db_session, world, smtp_server):
    inbox, port = smtp_server
    inbox.defer.add("busy@example.com")
    busy = _message(db_session, to="busy@example.com")
    fine = _message(db_session, to="fine@example.com")
    db_session.commit()
    moments = [NOW]
    reports = []

    for _attempt in range(services.MAX_ATTEMPTS):
        reports.append(
            services.send_queued_mail(db_session, smtp_at(port), clock=lambda: moments[-1])
        )
        db_session.refresh(busy)
        if busy.status == MailStatus.QUEUED:
            just_before = busy.next_attempt_at - dt.timedelta(seconds=1)
            too_soon = services.send_queued_mail(
                db_session, smtp_at(port), clock=lambda moment=just_before: moment
            )
            assert too_soon.retried == 0  # not before its time
            moments.append(busy.next_attempt_at)

    assert [r.retried for r in reports] == [1] * (services.MAX_ATTEMPTS - 1) + [0]
    assert reports[-1].failed == 1 and reports[0].sent == 1
    db_session.refresh(fine)
    assert fine.status == MailStatus.SENT
    assert (busy.status, busy.attempts) == (MailStatus.FAILED, services.MAX_ATTEMPTS)
    assert "try again later" in busy.last_error


def test_a_dropped_connection_fails_that_try_only_and_the_next_message_reconnects(db_session):
    first = _message(db_session, to="a@example.com")
    _message(db_session, to="b@example.com")
    db_session.commit()
    sent, connections = [], []

    class Client:
        def __init__(self):
            connections.append(self)

        def send_message(self, email):
            if str(email["To"]) == "a@example.com":
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            sent.append(str(email["To"]))

        def quit(self):
            pass

        def close(self):
            pass

    report = services.send_queued_mail(
        db_session, smtp_at(25), connect=lambda _smtp: Client(), clock=lambda: NOW
    )

    assert (report.sent, report.retried, sent, len(connections)) == (1, 1, ["b@example.com"], 2)
    db_session.refresh(first)
    assert first.status == MailStatus.QUEUED and first.next_attempt_at > NOW


def test_the_outbox_shows_a_failed_message_with_its_error_and_queues_it_again(
    client, db_session, world, login
):
    failed = _message(
        db_session, status=MailStatus.FAILED, attempts=services.MAX_ATTEMPTS,
        last_error="451 4.3.0 Mailbox busy", next_attempt_at=NOW,
    )  # fmt: skip
    db_session.commit()
    login(world.admin)

    listing = client.get("/admin/outbox/", headers={"Accept-Language": "en"})
    page = client.get(f"/admin/outbox/{failed.id}", headers={"Accept-Language": "en"})
    forged = client.post(f"/admin/outbox/{failed.id}/requeue", csrf=False)
    done = client.post(
        f"/admin/outbox/{failed.id}/requeue",
        data={"csrf_token": csrf_token_in(page.get_data(as_text=True))},
    )

    assert "451 4.3.0 Mailbox busy" in listing.get_data(as_text=True)
    assert "Queue again" in page.get_data(as_text=True)
    assert forged.status_code == 400
    assert done.status_code == 303
    db_session.refresh(failed)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (MailStatus.QUEUED, 0, None)


def test_a_message_another_sender_took_over_is_left_to_it(db_session):
    """A batch slower than the lease: the messages another sender claimed meanwhile are its."""
    _message(db_session, to="a@example.com")
    second = _message(db_session, to="b@example.com")
    db_session.commit()
    sent = []

    class Client:
        def send_message(self, email):
            sent.append(str(email["To"]))

        def quit(self):
            pass

    def connect(_smtp):
        # While this sender reaches the server, another one takes the second message over.
        db_session.execute(
            update(MailMessage)
            .where(MailMessage.id == second.id)
            .values(claim_token="o" * 32)
            .execution_options(synchronize_session=False)  # as another process would
        )
        db_session.commit()
        return Client()

    report = services.send_queued_mail(db_session, smtp_at(25), connect=connect, clock=lambda: NOW)

    assert (report.sent, sent) == (1, ["a@example.com"])
    db_session.refresh(second)
    assert (second.status, second.claim_token) == (MailStatus.SENDING, "o" * 32)
