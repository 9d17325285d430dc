"""Sprints: a time box with a goal and a capacity in points; its baseline, scope changes, results.

The charts are derived from the bricks' Activity history (see sprints.charts); these tables
keep what the history cannot say by itself: the scope frozen at the start, why the scope
changed afterwards, and the figures as they stood at the close.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import AcademyRow, Base, UTCDateTime, enum_column, utcnow
from tracker.history import EventMixin


class SprintState(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class Sprint(AcademyRow, Base):
    __tablename__ = "sprint"

    name: Mapped[str] = mapped_column(String(120))
    goal: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    capacity_points: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[SprintState] = mapped_column(
        enum_column(SprintState), default=SprintState.PLANNED
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("academy_id", "name"),
        CheckConstraint(
            "capacity_points IS NULL OR capacity_points >= 0", name="capacity_not_negative"
        ),
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date", name="dates_ordered"
        ),
        # One active sprint per academy, enforced by the database whatever path writes it: a
        # second concurrent start waits for the first and then fails on this index (see
        # services.start_sprint), on PostgreSQL and SQLite alike.
        Index(
            "uq_sprint_one_active",
            "academy_id",
            unique=True,
            postgresql_where=text("state = 'active'"),
            sqlite_where=text("state = 'active'"),
        ),
    )


class ScopeChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"


class SprintBaselineItem(Base):
    """A brick of the scope committed when the sprint started, with its points then."""

    __tablename__ = "sprint_baseline_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprint.id", ondelete="CASCADE"))
    # The number outlives the brick (numbers are never reused): a deleted brick keeps its line.
    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="SET NULL"))
    brick_number: Mapped[int] = mapped_column(Integer)
    points: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("sprint_id", "brick_number"),)


class SprintScopeChange(EventMixin, Base):
    """A brick added to or removed from an active sprint, and why.

    The change itself is the brick's SPRINT_CHANGED Activity (charts read that); this row
    keeps the reason and links to it.
    """

    __tablename__ = "sprint_scope_change"

    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprint.id", ondelete="CASCADE"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="SET NULL"))
    brick_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ScopeChangeKind] = mapped_column(enum_column(ScopeChangeKind))
    points: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_sprint_scope_change_sprint_id_at", "sprint_id", "at"),)


class SprintResult(Base):
    """What a sprint delivered, written once at its close: later edits never change it."""

    __tablename__ = "sprint_result"

    sprint_id: Mapped[int] = mapped_column(
        ForeignKey("sprint.id", ondelete="CASCADE"), primary_key=True
    )
    baseline_points: Mapped[int] = mapped_column(Integer)
    baseline_count: Mapped[int] = mapped_column(Integer)
    added_points: Mapped[int] = mapped_column(Integer)
    removed_points: Mapped[int] = mapped_column(Integer)
    scope_points: Mapped[int] = mapped_column(Integer)  # in the sprint at its close
    scope_count: Mapped[int] = mapped_column(Integer)
    completed_points: Mapped[int] = mapped_column(Integer)
    completed_count: Mapped[int] = mapped_column(Integer)
    to_backlog_count: Mapped[int] = mapped_column(Integer)
    to_sprint_count: Mapped[int] = mapped_column(Integer)  # carried over to a planned sprint
    carried_points: Mapped[int] = mapped_column(Integer)  # unfinished points, wherever they went
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
