"""The mail queue and its sender: delivered through a real SMTP server on loopback, each once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.mail.conftest import free_port
from tracker.db import utcnow
from tracker.mail.models import MailMessage, MailStatus
from tracker.mail.services import SmtpSettings, queue_mail, send_queued_mail

ROOT = Path(__file__).resolve().parents[2]
SENDER = "Brique <no-reply@brique.test>"


def smtp_at(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, timeout=5, sender=SENDER)


def queue_three(session: Session, world) -> list[MailMessage]:  # type: ignore[no-untyped-def]
    """An invitation (text and HTML) and two notices, as the app queues them."""
    with force_locale("en"):
        messages = [
            queue_mail(
                session,
                to="nina@example.com",
                template="mail/academy_invitation",
                category="academy_invitation",
                context={
                    "academy": world.academy,
                    "role": "tester",
                    "actor": world.manager,
                    "link": "http://brique.test/invitations/abc123",
                    "expires_at": utcnow(),
                },
            )
        ]
        for n in (1, 2):
            messages.append(
                queue_mail(
                    session,
                    to=f"person{n}@example.com",
                    template="mail/added_to_academy",
                    category="academy_membership",
                    context={
                        "academy": world.academy,
                        "role": "designer",
                        "actor": world.manager,
                        "link": f"http://brique.test/a/{world.academy.slug}/?n={n}",
                    },
                )
            )
    return messages


def test_queued_messages_are_delivered_once_with_their_headers_and_body(
    db_session, world, smtp_server
):
    inbox, port = smtp_server
    messages = queue_three(db_session, world)
    db_session.commit()

    report = send_queued_mail(db_session, smtp_at(port), clock=utcnow)

    assert (report.sent, report.failed, report.kept_in_outbox) == (3, 0, 0)
    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "nina@example.com",
        "person1@example.com",
        "person2@example.com",
    ]
    invitation = next(m for m in inbox.messages if m["To"] == "nina@example.com")
    assert invitation["Subject"] == f"Invitation to {world.academy.name} on Brique"
    assert invitation["From"] == SENDER
    assert invitation["Message-ID"] and invitation["Date"]
    plain = invitation.get_body(preferencelist=("plain",)).get_content()
    html = invitation.get_body(preferencelist=("html",)).get_content()
    assert "http://brique.test/invitations/abc123" in plain
    assert 'href="http://brique.test/invitations/abc123"' in html
    notice = next(m for m in inbox.messages if m["To"] == "person2@example.com")
    assert notice["Subject"] == f"You joined {world.academy.name} on Brique"
    assert "?n=2" in notice.get_content()
    for message in messages:
        db_session.refresh(message)
        assert message.status == MailStatus.SENT
        assert message.sent_at is not None
        assert message.attempts == 1

    again = send_queued_mail(db_session, smtp_at(port), clock=utcnow)

    assert again.sent == 0
    assert len(inbox.messages) == 3


def test_messages_are_sent_in_batches(db_session, world, smtp_server):
    inbox, port = smtp_server
    queue_three(db_session, world)
    queue_three(db_session, world)
    db_session.commit()

    first = send_queued_mail(db_session, smtp_at(port), batch_size=2, max_batches=1, clock=utcnow)
    rest = send_queued_mail(db_session, smtp_at(port), batch_size=2, clock=utcnow)

    assert (first.sent, rest.sent) == (2, 4)
    assert len(inbox.messages) == 6


def test_smtp_server_down_puts_the_messages_back_in_the_queue(db_session, world, smtp_server):
    inbox, port = smtp_server
    messages = queue_three(db_session, world)
    db_session.commit()
    nobody_listens = free_port()

    with pytest.raises(OSError):
        send_queued_mail(db_session, smtp_at(nobody_listens), clock=utcnow)

    for message in messages:
        db_session.refresh(message)
        assert message.status == MailStatus.QUEUED
        assert message.claim_token is None
    report = send_queued_mail(db_session, smtp_at(port), clock=utcnow)
    assert report.sent == 3
    assert len(inbox.messages) == 3


def test_a_refused_recipient_fails_alone_and_the_admin_can_queue_it_again(
    client, db_session, world, smtp_server, login
):
    inbox, port = smtp_server
    inbox.refuse.add("person1@example.com")
    messages = queue_three(db_session, world)
    db_session.commit()

    report = send_queued_mail(db_session, smtp_at(port), clock=utcnow)

    assert (report.sent, report.failed) == (2, 1)
    refused = messages[1]
    db_session.refresh(refused)
    assert refused.status == MailStatus.FAILED
    assert "No such user" in refused.last_error
    assert (
        send_queued_mail(db_session, smtp_at(port), clock=utcnow).sent == 0
    )  # not retried by itself

    login(world.admin)
    page = client.get(f"/admin/outbox/{refused.id}", headers={"Accept-Language": "en"})
    assert "No such user" in page.get_data(as_text=True)
    response = client.post(f"/admin/outbox/{refused.id}/requeue")
    assert response.status_code == 303
    db_session.refresh(refused)
    assert refused.status == MailStatus.QUEUED
    inbox.refuse.clear()
    assert send_queued_mail(db_session, smtp_at(port), clock=utcnow).sent == 1
    assert sorted(str(m["To"]) for m in inbox.messages).count("person1@example.com") == 1


def test_without_smtp_the_messages_stay_in_the_outbox_for_the_admin(
    client, db_session, world, login
):
    messages = queue_three(db_session, world)
    db_session.commit()

    report = send_queued_mail(db_session, None, clock=utcnow)

    assert report.kept_in_outbox == 3
    for message in messages:
        db_session.refresh(message)
        assert message.status == MailStatus.OUTBOX
    assert send_queued_mail(db_session, None, clock=utcnow).kept_in_outbox == 0
    login(world.admin)
    page = client.get("/admin/outbox/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "nina@example.com" in page
    assert f"Invitation to {world.academy.name} on Brique" in page
    assert "Kept in outbox" in page
    detail = client.get(f"/admin/outbox/{messages[0].id}").get_data(as_text=True)
    # Metadata only: the body's personal link is not the site admin's to read (issue 18.2).
    assert "nina@example.com" in detail and "academy_invitation" in detail
    assert "/invitations/abc123" not in detail
    found = client.get("/admin/outbox/", query_string={"q": "PERSON2"}).get_data(as_text=True)
    assert "person2@example.com" in found and "nina@example.com" not in found


def test_the_outbox_pages_and_bounds_its_queries(client, db_session, world, login, queries):
    login(world.admin)
    queue_three(db_session, world)
    client.get("/admin/outbox/")
    with queries() as few:
        client.get("/admin/outbox/")
    for _ in range(20):
        queue_three(db_session, world)

    with queries() as many:
        page = client.get("/admin/outbox/", headers={"Accept-Language": "en"})

    assert many.count == few.count
    assert "63 messages" in page.get_data(as_text=True)
    assert client.get("/admin/outbox/?page=2").status_code == 200
    assert client.get("/admin/outbox/?page=-3").status_code == 400
    assert client.get("/admin/outbox/?page=abc").status_code == 400


def test_the_send_mail_command_sends_through_the_configured_server(
    app, db_session, world, smtp_server, monkeypatch
):
    inbox, port = smtp_server
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    queue_three(db_session, world)
    db_session.commit()

    result = app.test_cli_runner().invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert "sent: 3, kept in outbox: 0, failed: 0" in result.output
    assert len(inbox.messages) == 3


def test_the_send_mail_command_without_smtp_fills_the_outbox(app, db_session, world):
    queue_three(db_session, world)
    db_session.commit()

    result = app.test_cli_runner().invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert "sent: 0, kept in outbox: 3, failed: 0" in result.output


def test_the_send_mail_command_fails_visibly_when_smtp_is_down(app, db_session, world, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    messages = queue_three(db_session, world)
    db_session.commit()

    result = app.test_cli_runner().invoke(args=["send-mail"])

    assert result.exit_code != 0
    assert isinstance(result.exception, OSError)
    db_session.refresh(messages[0])
    assert messages[0].status == MailStatus.QUEUED


# -- Real commits: several senders at once ------------------------------------------------------


def add_messages(engine, count: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        session.add_all(
            MailMessage(
                to_address=f"tester{n}@example.com",
                subject=f"Round {n}",
                body_text=f"Hello {n}",
                status=MailStatus.QUEUED,
            )
            for n in range(count)
        )
        session.commit()


def test_two_senders_at_once_never_send_a_message_twice(clean_engine, smtp_server):
    inbox, port = smtp_server
    inbox.delay = 0.002
    add_messages(clean_engine, 40)
    factory = sessionmaker(bind=clean_engine, expire_on_commit=False)
    start = threading.Barrier(2)
    reports, errors = [], []

    def sender() -> None:
        try:
            with factory() as session:
                start.wait()
                reports.append(send_queued_mail(session, smtp_at(port), batch_size=3, clock=utcnow))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    subjects = [str(m["Subject"]) for m in inbox.messages]
    assert len(subjects) == 40
    assert sorted(set(subjects)) == sorted(f"Round {n}" for n in range(40))
    assert sum(r.sent for r in reports) == 40
    with Session(clean_engine) as session:
        statuses = session.execute(
            select(MailMessage.status, func.count()).group_by(MailMessage.status)
        ).all()
    assert dict(statuses) == {MailStatus.SENT: 40}


def test_the_sender_holds_no_database_lock_while_talking_to_smtp(clean_engine, smtp_server):
    """A web request must be able to write while the sender waits for a slow SMTP server."""
    _inbox, port = smtp_server
    add_messages(clean_engine, 2)
    written = []

    def connect_and_write_meanwhile(smtp: SmtpSettings):  # type: ignore[no-untyped-def]
        with clean_engine.connect() as other:
            if clean_engine.dialect.name == "sqlite":
                other.exec_driver_sql("PRAGMA busy_timeout=200")  # fail fast if locked
            other.execute(
                text("UPDATE mail_message SET last_error = 'touched' WHERE subject = 'Round 1'")
            )
            other.commit()
            written.append(True)
        import smtplib

        return smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)

    with sessionmaker(bind=clean_engine, expire_on_commit=False)() as session:
        report = send_queued_mail(
            session, smtp_at(port), connect=connect_and_write_meanwhile, clock=utcnow
        )

    assert written == [True]
    assert report.sent == 2


def test_the_flask_command_line_sends_mail(real_engine, clean_engine, smtp_server, tmp_path):
    """`flask --app app send-mail` as cron runs it, configured by the environment only."""
    inbox, port = smtp_server
    add_messages(clean_engine, 2)
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": real_engine.url.render_as_string(hide_password=False),
        "TRACKER_INSTANCE_PATH": str(tmp_path),
        "TRACKER_SECRET_KEY": "shared-by-every-server",
        "TRACKER_SMTP_HOST": "127.0.0.1",
        "TRACKER_SMTP_PORT": str(port),
        "TRACKER_MAIL_FROM": SENDER,
    }

    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "send-mail"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "sent: 2" in result.stdout
    assert sorted(str(m["Subject"]) for m in inbox.messages) == ["Round 0", "Round 1"]
    assert all(m["From"] == SENDER for m in inbox.messages)
