"""Notifications: what happened that concerns a person, read in the app and e-mailed as a digest."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import AcademyRow, Base, UTCDateTime, enum_column, utcnow


class NotificationKind(enum.StrEnum):
    MENTION = "mention"  # "@name" in a comment or a brick's description
    ASSIGNED = "assigned"  # a brick now owned by them
    REVIEWER = "reviewer"  # a brick they are now the reviewer of
    IN_REVIEW = "in_review"  # their brick moved into a review column
    DONE = "done"  # their brick moved into a done column
    INVITED = "invited"  # invited to a feedback round
    DECISION = "decision"  # a go/no-go on a release holding one of their bricks
    NOTES = "notes"  # release notes published (their bricks' release; stakeholders)
    EVALUATION = "evaluation"  # an evaluation opened by the worker (managers, pseudonymous mode)
    # An evaluation closes in REMIND_DAYS: share its public link again (managers, pseudonymous).
    EVALUATION_CLOSING = "eval_closing"


class DigestFrequency(enum.StrEnum):
    IMMEDIATE = "immediate"  # at the next pass of the worker (every minute or so)
    DAILY = "daily"
    NEVER = "never"


class Notification(AcademyRow, Base):
    __tablename__ = "notification"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, 16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_round.id", ondelete="CASCADE")
    )
    release_id: Mapped[int | None] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    # What it is about, as it was called then (a brick's key and title, a round's title).
    title: Mapped[str] = mapped_column(String(240))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When it went out in an e-mail (or was passed over: digest "never").
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notification_user_academy_read", "user_id", "academy_id", "read_at"),
        Index("ix_notification_emailed_at", "emailed_at"),
    )


class NotificationSetting(Base):
    """A person's choice of e-mail digest (no row: daily)."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[DigestFrequency] = mapped_column(
        enum_column(DigestFrequency, 16), default=DigestFrequency.DAILY
    )
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
