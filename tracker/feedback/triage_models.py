"""The triage history of feedback items: who moved an item, from which status to which, when."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, enum_column
from tracker.feedback.models import ItemStatus
from tracker.history import EventMixin


class FeedbackItemEvent(EventMixin, Base):
    """One append-only line of an item's triage. The actor is a manager or designer, never the
    reporter, so this table links no tester to an item, anonymous round or not."""

    __tablename__ = "feedback_item_event"

    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_item.id", ondelete="CASCADE"))
    from_status: Mapped[ItemStatus | None] = mapped_column(enum_column(ItemStatus))
    to_status: Mapped[ItemStatus | None] = mapped_column(enum_column(ItemStatus))
    # "duplicate of #12", "brick ACAD-42 created"...: what else changed, in plain words.
    note: Mapped[str] = mapped_column(String(255), default="")

    __table_args__ = (Index("ix_feedback_item_event_item_id_at", "item_id", "at"),)
