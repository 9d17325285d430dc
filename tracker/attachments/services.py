"""The rules of attachments: what may be uploaded, recorded in the brick's history, removed."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.attachments import files
from tracker.attachments.models import Attachment
from tracker.attachments.storage import ORIGINAL, THUMBNAIL, storage
from tracker.auth.models import User
from tracker.backlog.models import ActivityKind, Brick
from tracker.backlog.services import record_activity
from tracker.errors import DomainError, NotFound
from tracker.feedback.models import FeedbackItem

FILENAME_MAX = 200
HISTORY_FIELD = "attachment"


def megabytes(size: int) -> str:
    """A size in whole megabytes (at least 1), for the limit's message."""
    return ngettext("%(num)s MB", "%(num)s MB", max(1, round(size / 1_000_000)))


def clean_filename(name: str) -> str:
    """The last part of a path, without control characters, at most FILENAME_MAX characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        keep = extension[:16] if dot else ""
        name = (stem if dot else name)[: FILENAME_MAX - len(keep) - 1] + (
            f".{keep}" if keep else ""
        )
    return name or "file"


def _store(
    session: Session,
    academy_id: int,
    *,
    filename: str,
    data: bytes,
    max_bytes: int,
    now: dt.datetime,
    **owner: Any,
) -> Attachment:
    """Keep a file once its content is one of the allowed types (the name decides nothing);
    images get a thumbnail drawn from them. `owner`: brick_id, or feedback_item_id."""
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    if len(data) > max_bytes:
        raise DomainError(
            _("The file is too large: the limit is %(limit)s.", limit=megabytes(max_bytes)),
            field="file",
        )
    name = clean_filename(filename)
    media_type = files.sniff(data, name)
    if media_type is None:
        raise DomainError(
            _(
                "This kind of file is not accepted (its content was checked, not its name): "
                "images (PNG, JPEG, GIF, WebP), PDF, office documents."
            ),
            field="file",
        )
    small = files.thumbnail(data) if media_type in files.IMAGE_TYPES else None
    if media_type in files.IMAGE_TYPES and small is None:
        raise DomainError(_("This image cannot be read."), field="file")
    return _keep(
        session, academy_id, filename=name, media_type=media_type, data=data, thumbnail=small,
        now=now, **owner,
    )  # fmt: skip


def _keep(
    session: Session,
    academy_id: int,
    *,
    filename: str,
    media_type: str,
    data: bytes,
    thumbnail: bytes | None,
    now: dt.datetime,
    **owner: Any,
) -> Attachment:
    """The attachment row of checked content, and its bytes (and thumbnail) in the storage."""
    attachment = Attachment(
        academy_id=academy_id,
        filename=filename,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        has_thumbnail=thumbnail is not None,
        created_at=now,
        **owner,
    )
    session.add(attachment)
    session.flush()
    storage().put(session, attachment, ORIGINAL, data)
    if thumbnail is not None:
        storage().put(session, attachment, THUMBNAIL, thumbnail)
    session.flush()
    return attachment


def attach_to_brick(
    session: Session,
    brick: Brick,
    *,
    actor: User,
    filename: str,
    data: bytes,
    max_bytes: int,
    now: dt.datetime,
) -> Attachment:
    """A file on a brick, recorded in the brick's history."""
    attachment = _store(
        session, brick.academy_id, filename=filename, data=data, max_bytes=max_bytes,
        now=now, brick_id=brick.id, uploaded_by_id=actor.id,
    )  # fmt: skip
    record_activity(
        session, brick, ActivityKind.ATTACHED, actor=actor,
        changes={HISTORY_FIELD: [None, attachment.filename]}, at=now,
    )  # fmt: skip
    session.flush()
    return attachment


# A tester's report needs a screenshot or two, not a folder.
MAX_ITEM_FILES = 5


def attach_to_item(
    session: Session,
    item: FeedbackItem,
    academy_id: int,
    *,
    filename: str,
    data: bytes,
    max_bytes: int,
    now: dt.datetime,
) -> Attachment:
    """A file on a tester's feedback item (a screenshot), naming no uploader: in an anonymous
    round nothing may link the tester to the item."""
    count = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.feedback_item_id == item.id)
    )
    if (count or 0) >= MAX_ITEM_FILES:
        raise DomainError(
            ngettext(
                "At most %(num)s file per report.", "At most %(num)s files per report.",
                MAX_ITEM_FILES,
            ),
            field="file",
        )  # fmt: skip
    return _store(
        session, academy_id, filename=filename, data=data, max_bytes=max_bytes, now=now,
        feedback_item_id=item.id, uploaded_by_id=None,
    )  # fmt: skip


def item_attachments(session: Session, item_ids: Sequence[int]) -> dict[int, list[Attachment]]:
    """The files of these feedback items, by item (one query)."""
    found: dict[int, list[Attachment]] = {item_id: [] for item_id in item_ids}
    if not item_ids:
        return found
    for attachment in session.scalars(
        select(Attachment)
        .where(Attachment.feedback_item_id.in_(list(item_ids)))
        .order_by(Attachment.created_at, Attachment.id)
    ):
        found[attachment.feedback_item_id or 0].append(attachment)
    return found


def copy_to_brick(
    session: Session, attachment: Attachment, brick: Brick, *, actor: User, now: dt.datetime
) -> Attachment:
    """The same file on a brick (an item turned into a brick brings its screenshots along),
    recorded in the brick's history."""
    small = content(session, attachment, thumbnail=True) if attachment.has_thumbnail else None
    copy = _keep(
        session, brick.academy_id, filename=attachment.filename,
        media_type=attachment.media_type, data=content(session, attachment), thumbnail=small,
        now=now, brick_id=brick.id, uploaded_by_id=None,
    )  # fmt: skip
    record_activity(
        session, brick, ActivityKind.ATTACHED, actor=actor,
        changes={HISTORY_FIELD: [None, copy.filename]}, at=now,
    )  # fmt: skip
    session.flush()
    return copy


def get_attachment(session: Session, academy: Academy, attachment_id: int) -> Attachment:
    attachment = session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.academy_id == academy.id
        )
    )
    if attachment is None:
        raise NotFound(_("No such file."))
    return attachment


def content(session: Session, attachment: Attachment, *, thumbnail: bool = False) -> bytes:
    data = storage().get(session, attachment, THUMBNAIL if thumbnail else ORIGINAL)
    if data is None:
        raise NotFound(_("No such file."))
    return data


def brick_of(session: Session, attachment: Attachment) -> Brick:
    """The brick of a brick's file; a feedback item's file is not found this way."""
    brick = session.get(Brick, attachment.brick_id) if attachment.brick_id is not None else None
    if brick is None:
        raise NotFound(_("No such file."))
    return brick


def remove_attachment(
    session: Session, attachment: Attachment, *, actor: User, now: dt.datetime
) -> None:
    brick = brick_of(session, attachment)
    record_activity(
        session, brick, ActivityKind.DETACHED, actor=actor,
        changes={HISTORY_FIELD: [attachment.filename, None]}, at=now,
    )  # fmt: skip
    storage().remove(session, attachment)
    session.delete(attachment)
    session.flush()


def brick_attachments(session: Session, brick: Brick) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.brick_id == brick.id)
            .order_by(Attachment.created_at, Attachment.id)
        )
    )


def export_for(session: Session, user: User) -> list[dict[str, Any]]:
    """The files a person uploaded, for their personal data export (names, not the bytes: the
    export says what is held and where; the person downloads the files from the bricks)."""
    rows = session.execute(
        select(Attachment, Brick.number, Academy.name, Academy.slug, Academy.key_prefix)
        .join(Brick, Brick.id == Attachment.brick_id)
        .join(Academy, Academy.id == Attachment.academy_id)
        .where(Attachment.uploaded_by_id == user.id)
        .order_by(Attachment.id)
    ).all()
    return [
        {
            "academy": academy_name,
            "slug": slug,
            "brick": f"{prefix}-{number}",
            "filename": attachment.filename,
            "media_type": attachment.media_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "uploaded_at": attachment.created_at.isoformat(),
        }
        for attachment, number, academy_name, slug, prefix in rows
    ]
