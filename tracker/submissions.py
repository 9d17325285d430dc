"""Create forms that create once: a double click, a resent form or two tabs make one object.

Every create form carries a random token (tracker.forms.OnceField), drawn when the form is
shown. The view's create runs through once(): in the same transaction as the creation, a row
claims the token (its hash, unique); a second submission of the same form finds the claim and
gets the object the first one created, instead of creating another. Two submissions at the
very same moment are serialized by the unique index: the second waits for the first to commit
(PostgreSQL) or for the write lock (SQLite), then finds its claim. A refused creation rolls its
claim back with it, so the same form can be corrected and sent again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Index, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.db import Base, UTCDateTime
from tracker.errors import Conflict

T = TypeVar("T")

TOKEN_MAX = 64


class FormSubmission(Base):
    """A create form that was sent, and which object it created."""

    __tablename__ = "form_submission"
    # Shown on no page that sends a validator: its writes bump no change counter (tracker.changes).
    shown_on_pages = False

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_form_submission_created_at", "created_at"),)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _hash(token: str, user_id: int | None, kind: str) -> str:
    return hashlib.sha256(f"{kind}:{user_id}:{token}".encode()).hexdigest()


def earlier(session: Session, token: str | None, *, user_id: int | None, kind: str) -> int | None:
    """The id of what an earlier (committed) submission of this form created, if any."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return session.scalar(
        select(FormSubmission.object_id).where(
            FormSubmission.token_hash == _hash(token, user_id, kind)
        )
    )


def once(
    session: Session,
    token: str | None,
    *,
    user_id: int | None,
    kind: str,
    create: Callable[[], T],
    load: Callable[[int], T | None],
    id_of: Callable[[T], int],
    now: dt.datetime,
) -> T:
    """`create()` the first time this form (its `token`) is sent; afterwards `load` the object
    that first submission created. Without a usable token (a client that sends none) it
    simply creates. Flushes, never commits: the caller commits claim and object together."""
    if not token or len(token) > TOKEN_MAX:
        return create()
    digest = _hash(token, user_id, kind)
    claim = FormSubmission(token_hash=digest, user_id=user_id, kind=kind, created_at=now)
    try:
        with session.begin_nested():
            session.add(claim)
    except IntegrityError:
        earlier = session.scalar(
            select(FormSubmission.object_id).where(FormSubmission.token_hash == digest)
        )
        found = load(earlier) if earlier is not None else None
        if found is None:
            raise Conflict(
                _("This form was already sent, and what it created no longer exists.")
            ) from None
        return found
    created = create()
    claim.object_id = id_of(created)
    session.flush()
    return created
