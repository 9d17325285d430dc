"""E-mail: queue a message in the request's transaction; a command sends the queue later.

Sending happens outside web requests (`flask send-mail`, run by cron or `flask worker`).
Each message is claimed by one sender with a conditional update before it is sent, so that two
senders running at once never send the same message twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.db import contains_text
from tracker.errors import NotFound
from tracker.mail.models import MailMessage, MailStatus
from tracker.tokens import new_token


def queue_mail(
    session: Session,
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    category: str = "",
    academy_id: int | None = None,
) -> MailMessage:
    """Render `<template>.txt` (and `<template>.html` when it exists) and queue the message.

    Call it inside `force_locale(...)` to write in the recipient's language. The first line of
    the text template is the subject.
    """
    text = render_template(f"{template}.txt", **context)
    subject, _, body = text.partition("\n")
    try:
        html: str | None = render_template(f"{template}.html", **context)
    except Exception as exc:  # jinja2.TemplateNotFound; others propagate
        if type(exc).__name__ != "TemplateNotFound":
            raise
        html = None
    message = MailMessage(
        to_address=to,
        subject=subject.strip()[:255],
        body_text=body.lstrip("\n"),
        body_html=html,
        category=category,
        academy_id=academy_id,
        status=MailStatus.QUEUED,
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    use_ssl: bool = False
    timeout: int = 30
    sender: str = "Brique <no-reply@localhost>"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        if not config.get("SMTP_HOST"):
            return None
        return cls(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            username=config["SMTP_USERNAME"],
            password=config["SMTP_PASSWORD"],
            starttls=bool(config["SMTP_STARTTLS"]),
            use_ssl=bool(config["SMTP_SSL"]),
            timeout=int(config["SMTP_TIMEOUT"]),
            sender=config["MAIL_FROM"],
        )


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"brique.{message.id}")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _claim(session: Session, batch_size: int, *, now: dt.datetime) -> list[MailMessage]:
    token = new_token()[:32]
    ids = list(
        session.scalars(
            select(MailMessage.id)
            .where(MailMessage.status == MailStatus.QUEUED)
            .order_by(MailMessage.id)
            .limit(batch_size)
        )
    )
    if not ids:
        return []
    session.execute(
        update(MailMessage)
        .where(MailMessage.id.in_(ids), MailMessage.status == MailStatus.QUEUED)
        .values(status=MailStatus.SENDING, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    claimed = list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.claim_token == token)
            .order_by(MailMessage.id)
            # The session may already hold these messages (queued by it) with their old status.
            .execution_options(populate_existing=True)
        )
    )
    # End the read transaction: on SQLite it would hold the write lock (BEGIN IMMEDIATE)
    # while the SMTP server is reached, blocking every web request that writes.
    session.commit()
    return claimed


@dataclass
class SendReport:
    sent: int = 0
    kept_in_outbox: int = 0
    failed: int = 0


def send_queued_mail(
    session: Session,
    smtp: SmtpSettings | None,
    *,
    batch_size: int = 100,
    max_batches: int | None = None,
    connect: Callable[[SmtpSettings], smtplib.SMTP] | None = None,
    clock: Callable[[], dt.datetime],
) -> SendReport:
    """Send what is queued, in batches, committing after each message.

    With no SMTP settings the messages are marked as kept in the outbox, where an admin reads
    them in the app. A message whose delivery fails is marked failed with the error; it is not
    retried automatically, since the server may have accepted it before the error.

    `clock` rather than one `now`: a run lasts as long as the SMTP server takes, and each
    message is dated when it actually left.
    """
    report = SendReport()
    batches = 0
    while max_batches is None or batches < max_batches:
        messages = _claim(session, batch_size, now=clock())
        if not messages:
            session.commit()  # end the read transaction: never hold a lock while idle
            break
        batches += 1
        if smtp is None:
            for message in messages:
                message.status = MailStatus.OUTBOX
                message.sent_at = clock()
                report.kept_in_outbox += 1
            session.commit()
            continue
        try:
            client = (connect or _connect)(smtp)
        except (smtplib.SMTPException, OSError):
            # Nothing was sent: give the batch back to the queue for the next run.
            for message in messages:
                message.status = MailStatus.QUEUED
                message.claim_token = None
            session.commit()
            raise
        try:
            for message in messages:
                message.attempts += 1
                try:
                    client.send_message(build_email(message, smtp.sender))
                except (smtplib.SMTPException, OSError) as exc:
                    message.status = MailStatus.FAILED
                    message.last_error = str(exc)[:2000]
                    report.failed += 1
                else:
                    message.status = MailStatus.SENT
                    message.sent_at = clock()
                    report.sent += 1
                session.commit()
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
    return report


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    client: smtplib.SMTP
    if smtp.use_ssl:
        client = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
    if smtp.username:
        client.login(smtp.username, smtp.password)
    return client


# -- The outbox, read by the site admin ----------------------------------------------------------


def outbox_page(
    session: Session, *, search: str, page: int, page_size: int
) -> tuple[list[MailMessage], int]:
    """A page of messages, newest first, whose address or subject contains `search` (lower
    case), and how many match in all: two queries."""
    statement = select(MailMessage)
    if search:
        statement = statement.where(
            contains_text(func.lower(MailMessage.to_address), search)
            | contains_text(func.lower(MailMessage.subject), search)
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    messages = session.scalars(
        statement.order_by(MailMessage.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(messages), total


def get_message(session: Session, message_id: int) -> MailMessage:
    message = session.get(MailMessage, message_id)
    if message is None:
        raise NotFound(_("This page does not exist, or no longer does."))
    return message


def requeue(session: Session, message: MailMessage) -> bool:
    """An admin sends a failed message again, knowingly. False when it had not failed."""
    if message.status != MailStatus.FAILED:
        return False
    message.status = MailStatus.QUEUED
    message.claim_token = None
    session.flush()
    return True
