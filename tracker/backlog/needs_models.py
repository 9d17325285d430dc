"""The history of a training need: who submitted it, who changed its status or links, when."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.backlog.models import NeedStatus
from tracker.db import Base, enum_column
from tracker.history import EventMixin


class NeedEventKind(enum.StrEnum):
    SUBMITTED = "submitted"
    STATUS_CHANGED = "status_changed"
    EDITED = "edited"
    BRICK_LINKED = "brick_linked"
    BRICK_UNLINKED = "brick_unlinked"


class NeedEvent(EventMixin, Base):
    """One append-only line of a need's history (status changes carry from and to)."""

    __tablename__ = "need_event"

    need_id: Mapped[int] = mapped_column(ForeignKey("training_need.id", ondelete="CASCADE"))
    kind: Mapped[NeedEventKind] = mapped_column(enum_column(NeedEventKind))
    from_status: Mapped[NeedStatus | None] = mapped_column(enum_column(NeedStatus))
    to_status: Mapped[NeedStatus | None] = mapped_column(enum_column(NeedStatus))
    # The decline reason, or the brick key linked/unlinked (kept readable if the brick goes).
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_need_event_need_id_at", "need_id", "at"),)
