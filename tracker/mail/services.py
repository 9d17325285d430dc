"""E-mail: queue a message in the request's transaction; a command sends the queue later.

Sending happens outside web requests (`flask send-mail`, run by cron or `flask worker`).
Each message is claimed by one sender with a conditional update before it is sent, so that two
senders running at once never send the same message twice.

Personal links (bearer tokens) are never stored in a message: its bodies hold LINK_TOKEN where
the token goes, and the sender asks the issuer registered for the message's `link_kind` for a
fresh token just before the message leaves; the token then exists only in the e-mail sent (the
database keeps its SHA-256). A message kept in the outbox (no SMTP) never gets a token.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.db import contains_text
from tracker.errors import NotFound
from tracker.mail.models import MailMessage, MailStatus
from tracker.tokens import new_token

# Where a personal link's token goes in a queued body ("https://…/r/{link-token}"): not a
# token, and left alone by HTML escaping.
LINK_TOKEN = "{link-token}"  # noqa: S105 (a placeholder, not a secret)

# kind -> issuer(session, link_ref, now): a fresh token for the link, its hash stored by the
# issuer; None when the link may no longer be given (invitation withdrawn, round closed...).
LinkIssuer = Callable[[Session, int, dt.datetime], str | None]
_LINK_ISSUERS: dict[str, LinkIssuer] = {}


# Characters no e-mail header may hold (CR and LF would end it): C0 and C1 controls, DEL and
# the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(" {2,}")


def has_control_characters(text: str) -> bool:
    """True for a value refused where people type names (academy names, person names...)."""
    return bool(_CONTROL.search(text or ""))


def header_value(text: str, limit: int = 255) -> str:
    """A value safe to write in a header: controls become spaces, runs of spaces one (the
    non-breaking spaces of French typography are kept)."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip(" ")[:limit]


def register_link_issuer(kind: str, issuer: LinkIssuer) -> None:
    """Called by the app factory for each kind of personal link a message may carry."""
    _LINK_ISSUERS[kind] = issuer


def queue_mail(
    session: Session,
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    category: str = "",
    academy_id: int | None = None,
    link_kind: str = "",
    link_ref: int | None = None,
) -> MailMessage:
    """Render `<template>.txt` (and `<template>.html` when it exists) and queue the message.

    Call it inside `force_locale(...)` to write in the recipient's language. The first line of
    the text template is the subject. A message carrying a personal link names its issuer
    (`link_kind`, `link_ref`) and has LINK_TOKEN in its link.
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
        subject=header_value(subject),
        body_text=body.lstrip("\n"),
        body_html=html,
        category=category,
        academy_id=academy_id,
        link_kind=link_kind,
        link_ref=link_ref,
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


def build_email(message: MailMessage, sender: str, *, token: str | None = None) -> EmailMessage:
    """The e-mail of a message, with `token` in place of LINK_TOKEN (raises ValueError on a
    header the e-mail library refuses)."""
    body_text, body_html = message.body_text, message.body_html
    if token is not None:
        body_text = body_text.replace(LINK_TOKEN, token)
        if body_html:
            body_html = body_html.replace(LINK_TOKEN, str(escape(token)))
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"brique.{message.id}")
    email.set_content(body_text)
    if body_html:
        email.add_alternative(body_html, subtype="html")
    return email


class LinkWithdrawn(Exception):
    """The personal link a message carries may no longer be given: the message is not sent."""


def issue_link(session: Session, message: MailMessage, now: dt.datetime) -> str | None:
    """A fresh token for the message's personal link (None when it carries none)."""
    if not message.link_kind:
        return None
    issuer = _LINK_ISSUERS.get(message.link_kind)
    token = issuer(session, message.link_ref or 0, now) if issuer else None
    if token is None:
        raise LinkWithdrawn(message.link_kind)
    return token


# A message claimed (SENDING) longer than this was left by a sender that died: it returns to
# the queue. Each claim counts as an attempt; after MAX_ATTEMPTS the message is marked failed.
LEASE = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 5
# The wait before attempt n + 1 after a temporary failure of attempt n (then the last one).
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
)

# Not translated: the outbox shows errors as the SMTP server wrote them, in English.
WITHDRAWN = "Not sent: the personal link it carries is no longer valid (withdrawn or expired)."
ABANDONED = "Sending never finished (the sender stopped {attempts} times); not retried."


def _release_expired_leases(session: Session, now: dt.datetime) -> None:
    """Messages left in SENDING past the lease go back to the queue (or fail, out of tries)."""
    expired = (MailMessage.status == MailStatus.SENDING) & (MailMessage.claimed_at < now - LEASE)
    session.execute(
        update(MailMessage)
        .where(expired, MailMessage.attempts >= MAX_ATTEMPTS)
        .values(
            status=MailStatus.FAILED,
            claim_token=None,
            last_error=ABANDONED.format(attempts=MAX_ATTEMPTS),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(MailMessage)
        .where(expired)
        .values(status=MailStatus.QUEUED, claim_token=None, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )


def _claim(session: Session, batch_size: int, *, now: dt.datetime) -> list[MailMessage]:
    _release_expired_leases(session, now)
    token = new_token()[:32]
    due = (MailMessage.status == MailStatus.QUEUED) & (
        MailMessage.next_attempt_at.is_(None) | (MailMessage.next_attempt_at <= now)
    )
    ids = list(
        session.scalars(
            select(MailMessage.id).where(due).order_by(MailMessage.id).limit(batch_size)
        )
    )
    if not ids:
        session.commit()
        return []
    session.execute(
        update(MailMessage)
        .where(MailMessage.id.in_(ids), due)
        .values(
            status=MailStatus.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=MailMessage.attempts + 1,
        )
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
    retried: int = 0  # a temporary failure: back in the queue for a later attempt


def _is_temporary(exc: Exception) -> bool:
    """A failure worth another try later: the connection, a timeout, a 4xx reply."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return _connection_lost(exc)


def _connection_lost(exc: Exception) -> bool:
    """The connection is gone (SMTPException is an OSError too: an SMTP reply is not this)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _fail(message: MailMessage, error: str, *, now: dt.datetime, temporary: bool) -> bool:
    """Record a failed attempt; True when the message goes back to the queue."""
    message.claim_token = None
    message.last_error = error[:2000]
    if temporary and message.attempts < MAX_ATTEMPTS:
        delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
        message.status = MailStatus.QUEUED
        message.next_attempt_at = now + delay
        return True
    message.status = MailStatus.FAILED
    return False


class _Unreachable(Exception):
    """The SMTP server could not be reached or refused the login: no message is to blame."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Connection:
    """One SMTP connection, opened when first needed and again after it drops."""

    def __init__(self, smtp: SmtpSettings, connect: Callable[[SmtpSettings], smtplib.SMTP]):
        self.smtp, self.connect = smtp, connect
        self.client: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.client is None:
            try:
                self.client = self.connect(self.smtp)
            except (smtplib.SMTPException, OSError) as exc:
                raise _Unreachable(exc) from exc
        try:
            self.client.send_message(email)
        except Exception as exc:
            if _connection_lost(exc):
                with contextlib.suppress(OSError):
                    self.client.close()
                self.client = None  # the next message opens a new connection
            raise

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.client.quit()
        self.client = None


def _send_one(
    session: Session,
    message: MailMessage,
    connection: _Connection,
    report: SendReport,
    clock: Callable[[], dt.datetime],
) -> None:
    """Send one claimed message and commit its outcome: nothing it holds (a bad header, a
    withdrawn link, a refused recipient) stops the others."""
    sender = connection.smtp.sender
    # Still ours? (A batch slower than the lease may have been taken over by another sender.)
    # Renewing the lease here makes it count from this message, not from the batch's claim.
    still_ours = session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == message.id,
            MailMessage.status == MailStatus.SENDING,
            MailMessage.claim_token == message.claim_token,
        )
        .values(claimed_at=clock())
        .execution_options(synchronize_session=False)
    )
    if not still_ours.rowcount:  # type: ignore[attr-defined]
        session.commit()
        return
    try:
        build_email(message, sender)  # refuses a bad header before any link is made
        token = issue_link(session, message, clock())
    except (ValueError, TypeError, LinkWithdrawn) as exc:
        error = WITHDRAWN if isinstance(exc, LinkWithdrawn) else f"Cannot be built: {exc}"
        _fail(message, error, now=clock(), temporary=False)
        report.failed += 1
        session.commit()
        return
    session.commit()  # the link's hash is stored before its token leaves
    try:
        connection.send(build_email(message, sender, token=token))
    except _Unreachable:
        raise  # the server, not this message: the run stops (see send_queued_mail)
    except Exception as exc:  # whatever it is, it is this message's outcome
        if _fail(
            message, str(exc) or type(exc).__name__, now=clock(), temporary=_is_temporary(exc)
        ):
            report.retried += 1
        else:
            report.failed += 1
    else:
        message.status = MailStatus.SENT
        message.claim_token = None
        message.sent_at = clock()
        report.sent += 1
    session.commit()


def send_queued_mail(
    session: Session,
    smtp: SmtpSettings | None,
    *,
    batch_size: int = 100,
    max_batches: int | None = None,
    connect: Callable[[SmtpSettings], smtplib.SMTP] | None = None,
    clock: Callable[[], dt.datetime],
) -> SendReport:
    """Send what is due, in batches, committing after each message.

    Each message is sent, retried or failed on its own: a temporary failure (connection lost,
    timeout, 4xx) puts it back in the queue for later (RETRY_DELAYS), up to MAX_ATTEMPTS; a
    permanent one (5xx, a header that cannot be written, a withdrawn link) marks it failed with
    the error, for an admin to read in the outbox and queue again. A message left in SENDING by
    a sender that died returns to the queue after LEASE. When the SMTP server cannot be reached
    at all, the batch goes back to the queue untouched and the error is raised.

    With no SMTP settings the messages are marked as kept in the outbox (never with a personal
    link's token). `clock` rather than one `now`: a run lasts as long as the SMTP server takes.
    """
    report = SendReport()
    batches = 0
    while max_batches is None or batches < max_batches:
        messages = _claim(session, batch_size, now=clock())
        if not messages:
            break
        batches += 1
        if smtp is None:
            for message in messages:
                message.status = MailStatus.OUTBOX
                message.claim_token = None
                message.sent_at = clock()
                report.kept_in_outbox += 1
            session.commit()
            continue
        connection = _Connection(smtp, connect or _connect)
        try:
            for index, message in enumerate(messages):
                try:
                    _send_one(session, message, connection, report, clock)
                except _Unreachable as exc:
                    _give_back(session, messages[index:])
                    raise exc.error from None
        finally:
            connection.close()
    return report


def _give_back(session: Session, messages: Sequence[MailMessage]) -> None:
    """The server could not be reached: these were not sent, and the try does not count."""
    session.rollback()
    for message in messages:
        if message.status == MailStatus.SENDING:
            message.status = MailStatus.QUEUED
            message.claim_token = None
            message.attempts = max(0, message.attempts - 1)
    session.commit()


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
    """An admin sends a failed message again, knowingly (with a full set of tries; its last
    error stays until then). False when it had not failed."""
    if message.status != MailStatus.FAILED:
        return False
    message.status = MailStatus.QUEUED
    message.claim_token = None
    message.attempts = 0
    message.next_attempt_at = None
    session.flush()
    return True
