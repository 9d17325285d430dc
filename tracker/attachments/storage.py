"""Where the bytes of attachments live: a small interface, and the database behind it.

Another backend (an S3 bucket, a shared volume) implements `Storage` and is returned by
`storage()`; deleting an attachment's row must then also delete its bytes there.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.attachments.models import Attachment, AttachmentBlob

ORIGINAL = "original"
THUMBNAIL = "thumbnail"


class Storage(Protocol):
    def put(self, session: Session, attachment: Attachment, part: str, data: bytes) -> None: ...

    def get(self, session: Session, attachment: Attachment, part: str) -> bytes | None: ...

    def remove(self, session: Session, attachment: Attachment) -> None: ...


class DatabaseStorage:
    """In the attachment_blob table, in the transaction of the change (the default)."""

    def put(self, session: Session, attachment: Attachment, part: str, data: bytes) -> None:
        session.add(AttachmentBlob(attachment_id=attachment.id, part=part, data=data))

    def get(self, session: Session, attachment: Attachment, part: str) -> bytes | None:
        return session.scalar(
            select(AttachmentBlob.data).where(
                AttachmentBlob.attachment_id == attachment.id, AttachmentBlob.part == part
            )
        )

    def remove(self, session: Session, attachment: Attachment) -> None:
        # The foreign key cascades too; said here so that the ORM does not keep stale rows.
        session.execute(delete(AttachmentBlob).where(AttachmentBlob.attachment_id == attachment.id))


_DEFAULT = DatabaseStorage()


def storage() -> Storage:
    return _DEFAULT
