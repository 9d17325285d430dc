"""Attachments: what a file is (name, checked type, size, who, when) and its bytes, apart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import AcademyRow, Base, UTCDateTime, utcnow


class Attachment(AcademyRow, Base):
    """A file on a brick, or on a tester's feedback item (a screenshot): exactly one of the two;
    it goes with it (ON DELETE CASCADE). A feedback item's file names no uploader (the item
    says who reported it, or nobody in an anonymous round)."""

    __tablename__ = "attachment"

    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    feedback_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_item.id", ondelete="CASCADE")
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # As the uploader named it (cleaned: no path, no control character); shown and offered
    # as the download's name, never used to decide its type.
    filename: Mapped[str] = mapped_column(String(200))
    # From the content's first bytes (tracker.attachments.files), one of an allow-list.
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    has_thumbnail: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_attachment_brick_id", "brick_id"),
        Index("ix_attachment_feedback_item_id", "feedback_item_id"),
        CheckConstraint("(brick_id IS NULL) <> (feedback_item_id IS NULL)", name="one_owner"),
    )


class AttachmentBlob(Base):
    """The bytes of an attachment (the original, or its thumbnail) in the database: the default
    storage (tracker.attachments.storage), seen alike by every application server."""

    __tablename__ = "attachment_blob"

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(String(16))  # "original" or "thumbnail"
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("attachment_id", "part"),)
