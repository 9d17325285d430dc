"""Releases: an increment, a set of bricks shipped together after its beta round."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.db import Base, UTCDateTime, enum_column, utcnow


class ReleaseState(enum.StrEnum):
    PLANNED = "planned"
    IN_BETA = "in_beta"
    APPROVED = "approved"
    REJECTED = "rejected"
    RELEASED = "released"


class Release(Base):
    __tablename__ = "release"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    goal: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[ReleaseState] = mapped_column(
        enum_column(ReleaseState), default=ReleaseState.PLANNED
    )
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("academy_id", "name"),)


class ReleaseEventKind(enum.StrEnum):
    CREATED = "created"
    EDITED = "edited"
    # Lifecycle moves (planned → in_beta → approved/rejected → released) come with the
    # feedback-round and go/no-go work; they are recorded with from_state and to_state.
    STATE_CHANGED = "state_changed"


class ReleaseEvent(Base):
    """One append-only line of a release's history: who did what, when."""

    __tablename__ = "release_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[ReleaseEventKind] = mapped_column(enum_column(ReleaseEventKind))
    from_state: Mapped[ReleaseState | None] = mapped_column(enum_column(ReleaseState))
    to_state: Mapped[ReleaseState | None] = mapped_column(enum_column(ReleaseState))
    # {field: [old, new]} for edits.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_release_event_release_id_at", "release_id", "at"),)
