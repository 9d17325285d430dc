"""What every history table shares: one append-only row per event, who did it and when.

The actor is a user account, named by its table and its class (strings), so that this module
imports no domain: every domain's event table builds on it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, ForeignKey, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship, selectinload

from tracker.db import UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.auth.models import User


class EventMixin:
    """A row of a history table: its id, its actor (None for the system, or once the account
    is deleted: the history outlives it) and its moment."""

    # Mixin columns come after the table's own; the id stays first, as in every other table.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # A relationship on a mixin is declared through a function: each table gets its own.
    @declared_attr
    def actor(cls) -> Mapped[User | None]:
        return relationship("User")


E = TypeVar("E", bound=EventMixin)


def record(
    session: Session, table: type[E], *, actor: User | None, at: dt.datetime, **event: Any
) -> E:
    """Append an event to a history table: who did it (None: the system), when, and what."""
    make: Any = table  # a mapped class: its constructor takes its columns
    row: E = make(actor_id=actor.id if actor else None, at=at, **event)
    session.add(row)
    return row


def newest_first(session: Session, table: type[E], *where: ColumnElement[bool]) -> list[E]:
    """The events of a history table that match, newest first, with their actors."""
    events: Any = table
    return list(
        session.scalars(
            select(events)
            .where(*where)
            .options(selectinload(events.actor))
            .order_by(events.at.desc(), events.id.desc())
        )
    )
