"""The history of a training need: who submitted it, who changed its status or links, when."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.backlog.models import NeedStatus
from tracker.db import Base, UTCDateTime, enum_column, utcnow


class NeedEventKind(enum.StrEnum):
    SUBMITTED = "submitted"
    STATUS_CHANGED = "status_changed"
    EDITED = "edited"
    BRICK_LINKED = "brick_linked"
    BRICK_UNLINKED = "brick_unlinked"


class NeedEvent(Base):
    """One append-only line of a need's history (status changes carry from and to)."""

    __tablename__ = "need_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("training_need.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[NeedEventKind] = mapped_column(enum_column(NeedEventKind))
    from_status: Mapped[NeedStatus | None] = mapped_column(enum_column(NeedStatus))
    to_status: Mapped[NeedStatus | None] = mapped_column(enum_column(NeedStatus))
    # The decline reason, or the brick key linked/unlinked (kept readable if the brick goes).
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_need_event_need_id_at", "need_id", "at"),)
