"""No usable token at rest: after a round's invitations and reminders, published release notes,
a feed link and the sender's run, every text column of every table is read and nothing found
there opens anything: not a personal link (/r/...), not a feed (/feeds/....atom), not a row of
any table keeping a token's hash (sessions, invitations, links, feeds...). The tokens really
e-mailed work, which shows the check can fail."""

from __future__ import annotations

import datetime as dt
import json
import re
from email.message import EmailMessage

from sqlalchemy import JSON, String, Text, select, text
from sqlalchemy.orm import Session

from tests.factories import BASE_URL, invite, make_member, make_round, make_tester
from tracker.academies.models import Role
from tracker.db import Base, utcnow
from tracker.feedback.invitations import remind_pending
from tracker.mail.services import SmtpSettings, send_queued_mail
from tracker.releases import feed, notes
from tracker.releases.models import ReleaseState
from tracker.tokens import hash_token

CANDIDATE = re.compile(r"[A-Za-z0-9_-]{16,}")


class Inbox:
    """An SMTP client that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send_message(self, email: EmailMessage) -> None:
        self.messages.append(email)

    def quit(self) -> None:
        pass

    def close(self) -> None:
        pass


def _every_stored_string(session: Session) -> list[str]:
    """Every value of every text (and JSON) column of every table, as text."""
    found: list[str] = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for value in row:
                if value is None:
                    continue
                found.append(value if isinstance(value, str) else json.dumps(value))
    return found


def _hash_columns(session: Session) -> list[tuple[str, str]]:
    """(table, column) of every column that keeps a token's hash."""
    return [
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("token_hash")
    ]


def _opens_a_row(session: Session, candidate: str, columns: list[tuple[str, str]]) -> bool:
    digest = hash_token(candidate)
    return any(
        session.execute(
            text(f"SELECT 1 FROM {table} WHERE {column} = :h"),  # noqa: S608 - our own names
            {"h": digest},
        ).first()
        for table, column in columns
    )


def test_no_usable_token_is_left_in_any_table(client, db_session, world):
    # Arrange: a round with three testers, invited then reminded; release notes published to
    # the stakeholders; a feed link; the sender's run.
    now = utcnow()
    setup = make_round(db_session, world.academy, world.manager, now=now)
    testers = [make_tester(db_session, world.academy) for _ in range(3)]
    invite(db_session, setup.round, testers, now=now - dt.timedelta(days=2))
    remind_pending(db_session, setup.round, base_url=BASE_URL, now=now)
    make_member(db_session, world.academy, Role.STAKEHOLDER)
    setup.round.release.state = ReleaseState.APPROVED
    notes.publish_notes(
        db_session, setup.round.release, body="# Notes\n\n![x](https://img.example/p.gif)",
        actor=world.manager, now=now, base_url=BASE_URL,
    )  # fmt: skip
    feed_token = feed.issue_feed_token(db_session, world.academy, world.stakeholder, now=now)
    inbox = Inbox()
    report = send_queued_mail(
        db_session, SmtpSettings(host="smtp.test"), connect=lambda _s: inbox, clock=utcnow
    )
    db_session.commit()
    assert report.sent == len(inbox.messages) >= 3 + 3 + 2  # invitations, reminders, notes
    mailed = {
        match
        for email in inbox.messages
        for part in email.walk()
        if part.get_content_maintype() == "text"
        for match in re.findall(r"/r/([A-Za-z0-9_-]+)", part.get_content())
    }
    assert len(mailed) == 6  # one link per invitation and per reminder

    # Act: everything the database holds as text, and every token-like piece of it.
    stored = _every_stored_string(db_session)
    candidates = {piece for value in stored for piece in CANDIDATE.findall(value)}
    hash_columns = _hash_columns(db_session)

    # Assert: the tokens sent work...
    for token in mailed:
        assert client.get(f"/r/{token}").status_code == 200
        assert _opens_a_row(db_session, token, hash_columns)
    assert client.get(f"/feeds/{feed_token}.atom").status_code == 200
    # ... the scan sees what is stored (the hashes of the links sent among the rest)...
    assert {hash_token(token) for token in mailed} <= candidates and len(hash_columns) >= 4
    # ... and nothing stored opens anything.
    usable = [
        candidate
        for candidate in sorted(candidates)
        if _opens_a_row(db_session, candidate, hash_columns)
        or (len(candidate) <= 100 and client.get(f"/r/{candidate}").status_code != 404)
        or client.get(f"/feeds/{candidate}.atom").status_code != 404
    ]
    assert usable == []
    assert not any(token in value for value in stored for token in [*mailed, feed_token])
