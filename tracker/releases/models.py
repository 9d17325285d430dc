"""Releases: an increment, a set of bricks shipped together after its beta round."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
