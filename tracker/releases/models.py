"""Releases: an increment, a set of bricks shipped together after its beta round; the go/no-go
decisions taken on its rounds, its release notes, and the personal feed links to those notes."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import AcademyRow, Base, UTCDateTime, enum_column, utcnow
from tracker.history import EventMixin

if TYPE_CHECKING:
    from tracker.auth.models import User


class ReleaseState(enum.StrEnum):
    PLANNED = "planned"
    IN_BETA = "in_beta"
    APPROVED = "approved"
    REJECTED = "rejected"
    RELEASED = "released"


class Release(AcademyRow, Base):
    __tablename__ = "release"

    name: Mapped[str] = mapped_column(String(120))
    goal: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[ReleaseState] = mapped_column(
        enum_column(ReleaseState), default=ReleaseState.PLANNED
    )
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Released although its last round's gate did not pass (or it had no round): who, when, why.
    # Shown wherever the release is shown.
    override_reason: Mapped[str] = mapped_column(Text, default="")
    override_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    override_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    override_by: Mapped[User | None] = relationship(foreign_keys=[override_by_id])

    __table_args__ = (UniqueConstraint("academy_id", "name"),)

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)


class ReleaseEventKind(enum.StrEnum):
    CREATED = "created"
    EDITED = "edited"
    # Lifecycle moves (planned → in_beta → approved/rejected → released), with from_state and
    # to_state; a decision's outcome is in `changes["decision"]`, an override's reason in `note`.
    STATE_CHANGED = "state_changed"
    NOTES_PUBLISHED = "notes_published"


class ReleaseEvent(EventMixin, Base):
    """One append-only line of a release's history: who did what, when."""

    __tablename__ = "release_event"

    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    kind: Mapped[ReleaseEventKind] = mapped_column(enum_column(ReleaseEventKind))
    from_state: Mapped[ReleaseState | None] = mapped_column(enum_column(ReleaseState))
    to_state: Mapped[ReleaseState | None] = mapped_column(enum_column(ReleaseState))
    # {field: [old, new]} for edits.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_release_event_release_id_at", "release_id", "at"),)


class DecisionOutcome(enum.StrEnum):
    GO = "go"
    GO_WITH_RESERVES = "go_with_reserves"
    NO_GO = "no_go"


class Decision(Base):
    """A manager's go/no-go on a release, taken on one closed round (beside its frozen gate).

    One decision per round: a no-go sends the release back to planned, and the next decision
    waits for the next round.
    """

    __tablename__ = "release_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_round.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[DecisionOutcome] = mapped_column(enum_column(DecisionOutcome))
    reserves: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    # The round's gate result when the decision was taken (the snapshot itself never changes).
    gate_passed: Mapped[bool | None] = mapped_column(Boolean)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_release_decision_release_id", "release_id"),)


class ReleaseNotes(Base):
    """The notes of one release: a Markdown draft the manager edits, and what was published.

    `body` is the working copy; `published_body` is what readers, the feed and the e-mail see,
    copied from the draft at each publication.
    """

    __tablename__ = "release_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    published_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    first_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    release: Mapped[Release] = relationship()
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class FeedToken(AcademyRow, Base):
    """A person's personal feed link to an academy's release notes (/feeds/<token>.atom).

    The token is an HMAC of `nonce` under the application's secret key, so the page can show
    the link again while the database alone cannot produce it; only its SHA-256 is stored.
    Regenerating draws a new nonce (the old link stops working); revoking clears both.
    """

    __tablename__ = "feed_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    nonce: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("academy_id", "user_id"),
        Index("ix_feed_token_user_id", "user_id"),
    )

    @property
    def active(self) -> bool:
        return self.token_hash is not None
