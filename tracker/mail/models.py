"""Outgoing e-mail, queued in the database and sent outside web requests."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, email_column, enum_column, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by one sender; back to QUEUED if still here after the lease
    SENT = "sent"  # handed to the SMTP server
    OUTBOX = "outbox"  # no SMTP configured: kept for the admin to read in the app
    FAILED = "failed"  # a permanent error, or too many tries: an admin may queue it again


class MailMessage(Base):
    __tablename__ = "mail_message"
    # Shown on no page that sends a validator: its writes bump no change counter (tracker.changes).
    shown_on_pages = False

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(email_column())
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # What the message is about, e.g. "academy_invitation" (for the outbox and for tests).
    category: Mapped[str] = mapped_column(String(40), default="")
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("academy.id", ondelete="SET NULL"))
    # A personal link is never stored: the bodies hold LINK_TOKEN where it goes, and the sender
    # asks the issuer registered for `link_kind` (tracker.mail.services) for a fresh token,
    # about `link_ref` (e.g. an invitation's id), just before the message leaves.
    link_kind: Mapped[str] = mapped_column(String(40), default="")
    link_ref: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.QUEUED)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # After a temporary failure: not claimed again before this time.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_mail_message_status_id", "status", "id"),
        Index("ix_mail_message_claim_token", "claim_token"),
    )
